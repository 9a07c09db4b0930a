/* Guichet: the terminal pages' own behaviour, kept out of the HTML so the pages
 * hold no inline script or event handler (the Content-Security-Policy lets only
 * this terminal's own script files run).
 *
 * - [data-action="close-panel"]: empties the ticket panel it sits in.
 * - The sale form keeps the horses in the order they were ticked: a browser
 *   submits checkboxes in page order (by number), which would turn a Couplé
 *   ordre 7-2 into 2-7. Each ticked runner shows its place in the order, the
 *   order is written under the grid ([data-role="picked-order"]), and the
 *   request sends the horses in that order.
 *
 * - Only the formulas the chosen bet type allows are shown (the bet type's
 *   radio lists them in data-formulas); a hidden one that was chosen falls
 *   back to "unitaire". The complément select shows only where the race card
 *   offers one for that bet type (data-complement). The server checks both.
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

  var orders = new WeakMap();  // sale form -> horse numbers in the order ticked

  function picked(form) {
    var order = orders.get(form) || [];
    // a box unticked or ticked by other means than a click still counts right
    var ticked = Array.prototype.map.call(
      form.querySelectorAll('input[name="horse"]:checked'), function (box) { return box.value; });
    order = order.filter(function (n) { return ticked.indexOf(n) >= 0; });
    ticked.forEach(function (n) { if (order.indexOf(n) < 0) { order.push(n); } });
    orders.set(form, order);
    return order;
  }

  function show(form) {
    var order = picked(form);
    form.querySelectorAll(".runner").forEach(function (label) {
      var mark = label.querySelector(".pick");
      var at = order.indexOf(label.getAttribute("data-number"));
      if (mark) { mark.textContent = at >= 0 ? String(at + 1) : ""; }
    });
    var line = form.querySelector('[data-role="picked-order"]');
    if (line) {
      line.textContent = order.length ? "Ordre : " + order.join(" - ") : "Aucun cheval choisi";
    }
  }

  document.addEventListener("change", function (ev) {
    var box = ev.target;
    if (!box.matches || !box.matches('form.race-card input[name="horse"]')) { return; }
    var form = box.form;
    var order = picked(form).filter(function (n) { return n !== box.value; });
    if (box.checked) { order.push(box.value); }
    orders.set(form, order);
    show(form);
  });

  function showFormulas(form) {
    var type = form.querySelector('input[name="bet_type"]:checked');
    var allowed = type && type.getAttribute("data-formulas");
    if (!allowed) { return; }
    allowed = allowed.split(" ");
    // the complément select only where the race card allows one for this bet type
    var complement = form.querySelector(".complement");
    if (complement) {
      var offered = type.getAttribute("data-complement") === "1";
      complement.hidden = !offered;
      if (!offered) { complement.querySelector("select").value = ""; }
    }
    form.querySelectorAll("[data-formula]").forEach(function (chip) {
      var ok = allowed.indexOf(chip.getAttribute("data-formula")) >= 0;
      chip.hidden = !ok;
      var radio = chip.querySelector("input");
      if (!ok && radio && radio.checked) {
        var unit = form.querySelector('input[name="formula"][value="UNITAIRE"]');
        if (unit) { unit.checked = true; }
      }
    });
  }

  document.addEventListener("change", function (ev) {
    var radio = ev.target;
    if (radio.matches && radio.matches('form.race-card input[name="bet_type"]')) {
      showFormulas(radio.form);
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("form.race-card").forEach(showFormulas);
  });

  document.addEventListener("htmx:configRequest", function (ev) {
    var form = ev.detail.elt;
    if (!form.matches || !form.matches("form.race-card") || !ev.detail.formData) { return; }
    var data = ev.detail.formData;
    data.delete("horse");
    picked(form).forEach(function (n) { data.append("horse", n); });
  });
})();
