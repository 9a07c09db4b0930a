/* Back office, programme page: the upload's progress and its refusals in French.
 *
 * htmx posts the programme form (hx-encoding multipart) and reports the upload
 * through `htmx:xhr:progress`; the <progress> shows it. A file over the server's
 * limit is refused here before it is sent, and a refusal the server answers
 * itself with an error status (413) is told in French, since htmx swaps nothing
 * for an error answer. No inline script (CSP): this file only.
 */
(function () {
  "use strict";
  var LIMIT_MB = 16;

  function form() { return document.getElementById("programme-import"); }
  function bar() { return document.getElementById("import-progress"); }
  function say(text) {
    var out = document.getElementById("import-result");
    if (!out) { return; }
    out.textContent = "";
    var p = document.createElement("p");
    p.className = "error";
    p.dataset.role = "import-result";
    p.dataset.ok = "no";
    p.textContent = text;
    out.appendChild(p);
  }
  function isImport(event) { return form() && event.target === form(); }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!isImport(event)) { return; }
    var file = document.getElementById("programme-file");
    if (file && file.files.length && file.files[0].size > LIMIT_MB * 1024 * 1024) {
      event.preventDefault();
      say("Fichier trop gros : au plus " + LIMIT_MB + " Mo. Rien n'a été importé.");
      return;
    }
    var p = bar();
    if (p) { p.value = 0; p.hidden = false; }
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    if (!isImport(event)) { return; }
    var p = bar();
    var d = event.detail;
    if (p && d && d.lengthComputable && d.total > 0) {
      p.value = Math.round(100 * d.loaded / d.total);
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!isImport(event)) { return; }
    var p = bar();
    if (p) { p.value = 100; }
  });

  document.addEventListener("htmx:responseError", function (event) {
    if (!isImport(event)) { return; }
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    say(status === 413 ? "Fichier trop gros : au plus " + LIMIT_MB + " Mo. Rien n'a été importé."
                       : "Le serveur a refusé l'envoi (" + status + "). Rien n'a été importé.");
  });

  document.addEventListener("htmx:sendError", function (event) {
    if (!isImport(event)) { return; }
    say("Le serveur ne répond pas : rien n'a été importé. Réessayez.");
  });
}());
