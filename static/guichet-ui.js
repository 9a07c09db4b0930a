/* Guichet: the terminal pages' own behaviour, kept out of the HTML so the pages
 * hold no inline script or event handler (the Content-Security-Policy lets only
 * this terminal's own script files run).
 *
 * - [data-action="close-panel"]: empties the ticket panel it sits in.
 *
 * State-changing requests carry the session's CSRF token: htmx's through
 * hx-headers on <body>, fetch() calls from <meta name="csrf-token">
 * (guichet-scan.js).
 */
(function () {
  "use strict";

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest('[data-action="close-panel"]') : null;
    if (!button) { return; }
    var panel = button.closest("#ticket-panel");
    if (panel) { panel.innerHTML = ""; }
  });
})();
