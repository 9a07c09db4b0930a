/* Guichet: the counter page's own behaviour, kept out of the HTML so the pages
 * hold no inline script or event handler (the Content-Security-Policy lets only
 * this terminal's own script files run). docs/terminal-ui.md describes the screen.
 *
 * - [data-action="close-panel"]: empties the ticket panel it sits in.
 * - The sale form keeps the horses in the order they were ticked or typed: a
 *   browser submits checkboxes in page order (by number), which would turn a
 *   Couplé ordre 7-2 into 2-7. Each ticked runner shows its place in the order,
 *   the order is written under the grid ([data-role="picked-order"]), and every
 *   request of the form (sell, quote, add to the basket) sends them in that order.
 * - Champ formulas: in a champ réduit a first touch makes a runner an associate,
 *   a second a base, a third removes it; in a champ total a touch makes a base.
 *   Bases go out as `base` fields, in the order they were marked.
 * - Only the formulas the chosen bet type allows are shown (data-formulas on its
 *   radio); a hidden one that was chosen falls back to "unitaire". The complément
 *   select shows only where the race card offers one (data-complement).
 * - Stake and multiplier follow each other: stake = base stake x multiplier.
 * - The live cost is asked of /ui/quote (htmx, on the form's changes; a "quote"
 *   event asks again after a change made here).
 * - A large sale is confirmed in the page: the server answers the first "Valider"
 *   with a `sale-confirm` event, the button becomes "Confirmer 240,00 € ?" and the
 *   next press sends the confirmed total. Any change to the bet asks again.
 * - After a sale is recorded (`sale-recorded`) or a bet is added to the basket, the
 *   form is cleared for the next customer and the quick entry takes the focus
 *   (if the clerk touched the form while the answer was on its way, only the
 *   horses just sold are taken off: the next bet already started is kept).
 * - Quick entry ([data-role="quick-entry"]): race digit, bet type letter, horses,
 *   *N mises de base, Enter. Escape clears the bet.
 * - #result always stays in the page: whatever asks to fill it fills it inside.
 *
 * State-changing requests carry the session's CSRF token: htmx's through
 * hx-headers on <body>, fetch() calls from <meta name="csrf-token">
 * (guichet-scan.js).
 */
(function () {
  "use strict";

  var VALIDATE_TEXT = "Valider le pari";
  var AZERTY_ROW = ["&", "é", "\"", "'", "(", "-", "è", "_", "ç", "à"];

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest('[data-action="close-panel"]') : null;
    if (!button) { return; }
    var panel = button.closest("#ticket-panel");
    if (panel) { panel.innerHTML = ""; }
  });

  // ---------------------------------------------------------------- selections
  var orders = new WeakMap();  // sale form -> horse numbers in the order ticked
  var bases = new WeakMap();   // sale form -> base horses in the order marked

  function saleForm(el) {
    return el && el.closest ? el.closest("form.race-card") : null;
  }

  function currentForm() {
    return document.querySelector("#sale form.race-card");
  }

  function ticked(form) {
    return Array.prototype.map.call(
      form.querySelectorAll('input[name="horse"]:checked'), function (box) { return box.value; });
  }

  function picked(form) {
    var order = orders.get(form) || [];
    // a box unticked or ticked by other means than a click still counts right
    var now = ticked(form);
    order = order.filter(function (n) { return now.indexOf(n) >= 0; });
    now.forEach(function (n) { if (order.indexOf(n) < 0) { order.push(n); } });
    orders.set(form, order);
    bases.set(form, (bases.get(form) || []).filter(function (n) { return now.indexOf(n) >= 0; }));
    return order;
  }

  function baseList(form) {
    picked(form);
    return bases.get(form) || [];
  }

  function shape(form) {
    var formula = form.querySelector('input[name="formula"]:checked');
    return formula ? formula.getAttribute("data-shape") || formula.value : "UNITAIRE";
  }

  function isChamp(form) {
    return shape(form).indexOf("CHAMP_") === 0;
  }

  // horses sent as `horse`: every ticked one in order, bases apart in a champ
  function selections(form) {
    var order = picked(form), marked = baseList(form);
    return order.filter(function (n) { return marked.indexOf(n) < 0; });
  }

  function show(form) {
    var order = selections(form), marked = baseList(form), champ = isChamp(form);
    form.querySelectorAll(".runner").forEach(function (label) {
      var number = label.getAttribute("data-number");
      var mark = label.querySelector(".pick");
      var at = order.indexOf(number), base = marked.indexOf(number);
      label.classList.toggle("is-base", base >= 0);
      if (mark) {
        mark.textContent = base >= 0 ? "B" + (marked.length > 1 ? String(base + 1) : "")
          : (at >= 0 ? String(at + 1) : "");
      }
    });
    var line = form.querySelector('[data-role="picked-order"]');
    if (!line) { return; }
    if (!champ) {
      line.textContent = order.length ? "Ordre : " + order.join(" - ") : "Aucun cheval choisi";
    } else if (shape(form) === "CHAMP_TOTAL") {
      line.textContent = marked.length
        ? "Bases : " + marked.join(" - ") + " · avec tous les autres partants"
        : "Champ total : touchez le ou les chevaux de base.";
    } else {
      line.textContent = (marked.length || order.length)
        ? "Bases : " + (marked.join(" - ") || "aucune") + " · Associés : " + (order.join(" - ") || "aucun")
        : "Champ réduit : touchez un cheval une fois pour l'associer, deux fois pour en faire une base.";
    }
  }

  document.addEventListener("change", function (ev) {
    var box = ev.target;
    if (!box.matches || !box.matches('form.race-card input[name="horse"]')) { return; }
    var form = box.form, n = box.value;
    var order = (orders.get(form) || []).slice(), marked = (bases.get(form) || []).slice();
    var wasTicked = order.indexOf(n) >= 0, wasBase = marked.indexOf(n) >= 0;
    var kind = shape(form);
    if (kind === "CHAMP_REDUIT" && !box.checked && wasTicked && !wasBase) {
      box.checked = true;            // second touch: the associate becomes a base
      marked.push(n);
    } else if (box.checked) {
      if (!wasTicked) { order.push(n); }
      if (kind === "CHAMP_TOTAL" && !wasBase) { marked.push(n); }
    } else {
      order = order.filter(function (x) { return x !== n; });
      marked = marked.filter(function (x) { return x !== n; });
    }
    orders.set(form, order);
    bases.set(form, marked);
    show(form);
  });

  // -------------------------------------------------- bet type, formula, stake
  function betType(form) {
    return form.querySelector('input[name="bet_type"]:checked');
  }

  function baseCents(form) {
    var type = betType(form);
    var cents = type ? parseInt(type.getAttribute("data-base"), 10) : NaN;
    return cents > 0 ? cents : 0;
  }

  function euros(cents) {
    var rest = String(cents % 100);
    return Math.floor(cents / 100) + "," + (rest.length < 2 ? "0" + rest : rest);
  }

  function parseCents(text) {
    var m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*(?:€)?\s*$/.exec(text || "");
    if (!m) { return NaN; }
    return parseInt(m[1], 10) * 100 + (m[2] ? parseInt((m[2] + "0").slice(0, 2), 10) : 0);
  }

  function field(form, role) {
    return form.querySelector('[data-role="' + role + '"]');
  }

  function setMultiplier(form, n) {
    var mult = field(form, "multiplier"), stake = field(form, "stake"), base = baseCents(form);
    if (mult) { mult.value = String(n); }
    if (stake && base) { stake.value = euros(base * n); }
  }

  function multiplierNow(form) {
    var mult = field(form, "multiplier");
    var n = mult ? parseInt(mult.value, 10) : 1;
    return n > 0 ? n : 1;
  }

  function showFormulas(form) {
    var type = betType(form);
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
        if (unit) { unit.checked = true; formulaChanged(form); }
      }
    });
  }

  // a new formula: bases mean nothing outside a champ; a champ total's horses are its bases
  function formulaChanged(form) {
    var kind = shape(form);
    if (kind.indexOf("CHAMP_") !== 0) {
      bases.set(form, []);
    } else if (kind === "CHAMP_TOTAL") {
      bases.set(form, picked(form).slice());
    }
    show(form);
  }

  document.addEventListener("change", function (ev) {
    var el = ev.target, form = saleForm(el);
    if (!form || !el.matches) { return; }
    if (el.matches('input[name="bet_type"]')) {
      showFormulas(form);
      setMultiplier(form, multiplierNow(form));
    } else if (el.matches('input[name="formula"]')) {
      formulaChanged(form);
    }
  });

  document.addEventListener("input", function (ev) {
    var el = ev.target, form = saleForm(el);
    if (!form || !el.matches) { return; }
    var base = baseCents(form);
    if (el.matches('[data-role="multiplier"]')) {
      var n = /^\d{1,4}$/.test(el.value) ? parseInt(el.value, 10) : 0;
      var stake = field(form, "stake");
      if (n > 0 && stake && base) { stake.value = euros(base * n); }
    } else if (el.matches('[data-role="stake"]')) {
      var cents = parseCents(el.value), mult = field(form, "multiplier");
      if (mult) { mult.value = cents > 0 && base && cents % base === 0 ? String(cents / base) : ""; }
    }
  });

  function askQuote(form) {
    if (window.htmx) { htmx.trigger(form, "quote"); }
  }

  // ------------------------------------------------------- large sale confirm
  function resetConfirm(form) {
    var input = field(form, "confirm-cents"), button = field(form, "validate");
    if (input) { input.value = ""; }
    if (button) { button.textContent = VALIDATE_TEXT; button.classList.remove("confirming"); }
  }

  document.addEventListener("sale-confirm", function (ev) {
    var form = saleForm(ev.target), detail = ev.detail || {};
    if (!form) { return; }
    var input = field(form, "confirm-cents"), button = field(form, "validate");
    if (input) { input.value = String(detail.total_cents); }
    if (button) {
      button.textContent = "Confirmer " + detail.label + " ?";
      button.classList.add("confirming");
    }
  });

  // Each change to a sale form bumps its edit count. A sale's answer clears the form,
  // unless something was touched since it was sent: a clerk who already started the
  // next bet while the answer was on its way keeps what was added, and only the
  // horses of the bet just sold are taken off.
  var edits = new WeakMap();   // sale form -> number of changes so far
  var sentAt = new WeakMap();  // sale form -> its edit count when the sale was sent
  var sentHorses = new WeakMap();  // sale form -> the horses of the sale sent

  ["change", "input"].forEach(function (type) {
    document.addEventListener(type, function (ev) {
      var form = saleForm(ev.target);
      if (form) {
        edits.set(form, (edits.get(form) || 0) + 1);
        resetConfirm(form);
      }
    });
  });

  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail && ev.detail.elt;
    var config = ev.detail && ev.detail.requestConfig;
    var path = (config && config.path) || "";
    var form = saleForm(elt) || (elt && elt.matches && elt.matches("form.race-card") ? elt : null);
    if (form && path.indexOf("/ui/sell") === 0) {
      sentAt.set(form, edits.get(form) || 0);
      sentHorses.set(form, picked(form).slice());
    }
  });

  // ------------------------------------------------------------- clear a bet
  function clearBet(form) {
    form.querySelectorAll('input[name="horse"]:checked').forEach(function (box) { box.checked = false; });
    orders.set(form, []);
    bases.set(form, []);
    var unit = form.querySelector('input[name="formula"][value="UNITAIRE"]');
    if (unit) { unit.checked = true; }
    var cash = form.querySelector('input[name="payment"][value="cash"]');
    if (cash) { cash.checked = true; }
    var complement = form.querySelector('select[name="complement"]');
    if (complement) { complement.value = ""; }
    setMultiplier(form, 1);
    resetConfirm(form);
    show(form);
    askQuote(form);
  }

  function clearQuick() {
    var input = quickInput();
    if (input) { input.value = ""; feedback("", false); }
  }

  function readyForNext(form) {
    if (form) { clearBet(form); }
    clearQuick();
    var input = quickInput();
    if (input) { input.focus(); }
  }

  document.addEventListener("sale-recorded", function (ev) {
    var form = saleForm(ev.target) || currentForm();
    if (form && sentAt.has(form) && (edits.get(form) || 0) !== sentAt.get(form)) {
      // the next bet is already being built: keep it, without the horses just sold
      var sold = sentHorses.get(form) || [];
      form.querySelectorAll('input[name="horse"]:checked').forEach(function (box) {
        if (sold.indexOf(box.value) >= 0) { box.checked = false; }
      });
      picked(form);
      resetConfirm(form);
      show(form);
      askQuote(form);
      clearQuick();
      return;
    }
    readyForNext(form);
  });

  document.addEventListener("htmx:afterRequest", function (ev) {
    var elt = ev.detail && ev.detail.elt;
    var xhr = ev.detail && ev.detail.xhr;
    // by status: this page swaps 4xx answers too, so htmx calls them successful
    if (elt && elt.matches && elt.matches('[data-role="basket-add"]') && xhr
        && xhr.status >= 200 && xhr.status < 300) {
      readyForNext(saleForm(elt));
    }
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    var form = saleForm(ev.target);
    if (!form && ev.target !== quickInput()) { return; }
    ev.preventDefault();
    readyForNext(form || currentForm());
  });

  // ------------------------------------------------------------- quick entry
  var pending = null;     // a quick entry waiting for its race to load: {submit}
  var loadingRace = null; // the race being loaded for it

  function quickInput() {
    return document.querySelector('[data-role="quick-entry"]');
  }

  function feedback(text, error) {
    var out = document.querySelector('[data-role="quick-feedback"]');
    if (!out) { return; }
    out.textContent = text;
    out.classList.toggle("error", !!error);
  }

  /* "1g7 2*3": race 1 (the 1st open race of the picker), bet type g, horses 7
   * then 2, 3 base stakes. The race digit may be left out (the race on screen);
   * horses are separated by a space (or - . + /). */
  function parseQuick(text) {
    var q = { race: 0, key: "", horses: [], mult: 0, error: "" };
    var s = text.replace(/^\s+/, ""), i = 0;
    if (!s) { return q; }
    if (/^[1-9]/.test(s)) { q.race = parseInt(s.charAt(0), 10); i = 1; }
    else if (/^[0-9]/.test(s)) { q.error = "Course : un chiffre de 1 à 9."; return q; }
    while (s.charAt(i) === " ") { i += 1; }
    if (i < s.length) {
      if (/[a-z]/i.test(s.charAt(i))) { q.key = s.charAt(i).toLowerCase(); i += 1; }
      else { q.error = "Après la course, la lettre du pari (g : Simple gagnant…)."; return q; }
    }
    var rest = s.slice(i), star = rest.indexOf("*");
    var horses = star >= 0 ? rest.slice(0, star) : rest;
    var tokens = horses.split(/[\s.+\-\/]+/).filter(Boolean);
    for (var t = 0; t < tokens.length; t += 1) {
      if (!/^\d{1,2}$/.test(tokens[t])) { q.error = "Chevaux : des numéros séparés par une espace."; return q; }
      q.horses.push(String(parseInt(tokens[t], 10)));
    }
    if (star >= 0) {
      var mult = rest.slice(star + 1).trim();
      if (mult && !/^\d{1,3}$/.test(mult)) { q.error = "Après *, le nombre de mises de base."; return q; }
      if (mult === "0") { q.error = "Au moins une mise de base."; return q; }
      q.mult = mult ? parseInt(mult, 10) : 0;
    }
    return q;
  }

  function openRaces() {
    return Array.prototype.slice.call(document.querySelectorAll('[data-role="race"][data-key]'))
      .filter(function (b) { return b.getAttribute("data-state") === "open"; });
  }

  function applyQuick(submit) {
    var input = quickInput();
    if (!input) { return; }
    var q = parseQuick(input.value);
    if (q.error) { feedback(q.error, true); return; }
    var form = currentForm();
    if (q.race) {
      var button = openRaces()[q.race - 1];
      if (!button) { feedback("Pas de course ouverte n°" + q.race + ".", true); return; }
      var race = button.getAttribute("data-race");
      // a card swapped in but not yet settled has no htmx handlers: wait for it
      if (!form || form.getAttribute("data-race") !== race || !form.getAttribute("data-ready")) {
        pending = { submit: submit || (pending && pending.submit) };
        if (loadingRace !== race) { loadingRace = race; button.click(); }
        feedback("Course " + race.split("/").pop() + "…", false);
        return;
      }
    }
    if (!form) { feedback("Tapez d'abord le numéro de la course (1 à 9).", true); return; }
    if (!form.getAttribute("data-ready")) {
      pending = { submit: submit || (pending && pending.submit) };
      return;
    }
    var said = [form.getAttribute("data-race").split("/").pop()];
    if (q.key) {
      var radio = form.querySelector('[data-role="bet-type"][data-key="' + q.key + '"]');
      if (!radio) { feedback("Pas de pari « " + q.key + " » sur cette course.", true); return; }
      if (!radio.checked) { radio.checked = true; showFormulas(form); }
      var missing = setHorses(form, q.horses);
      if (missing) { feedback("Pas de cheval " + missing + " au départ.", true); return; }
      var wanted = q.horses.length > parseInt(radio.getAttribute("data-max"), 10) ? "COMBINE" : "UNITAIRE";
      var formula = form.querySelector('input[name="formula"][value="' + wanted + '"]');
      if (formula && !formula.closest("[data-formula]").hidden) { formula.checked = true; }
      setMultiplier(form, q.mult || 1);
      show(form);
      said.push(radio.closest("label").textContent.replace(/\s+\S$/, "").trim());
      if (q.horses.length) { said.push(q.horses.join(" - ")); }
      var n = q.mult || 1;
      said.push(n + (n > 1 ? " mises" : " mise"));
    }
    feedback(said.join(" · "), false);
    askQuote(form);
    if (submit) {
      var validate = field(form, "validate");
      if (validate && !validate.disabled) { form.requestSubmit(validate); }
    }
  }

  // tick exactly these horses, in this order; the first one not running, if any
  function setHorses(form, numbers) {
    for (var i = 0; i < numbers.length; i += 1) {
      var box = form.querySelector('input[name="horse"][value="' + numbers[i] + '"]');
      if (!box || box.disabled) { return numbers[i]; }
    }
    form.querySelectorAll('input[name="horse"]').forEach(function (box) {
      box.checked = numbers.indexOf(box.value) >= 0;
    });
    orders.set(form, numbers.slice());
    bases.set(form, []);
    return "";
  }

  document.addEventListener("input", function (ev) {
    if (ev.target !== quickInput()) { return; }
    var form = currentForm();
    if (form) { resetConfirm(form); }
    applyQuick(false);
  });

  document.addEventListener("keydown", function (ev) {
    var input = quickInput();
    if (ev.target !== input || ev.ctrlKey || ev.altKey || ev.metaKey) { return; }
    if (ev.key === "Enter") {
      ev.preventDefault();
      applyQuick(true);
      return;
    }
    // the digit row gives & é " ' ( - è _ ç à unshifted on a French keyboard: the
    // quick entry wants the digits (a shifted key, such as * on a US keyboard, stays)
    var digit = /^Digit([0-9])$/.exec(ev.code || "");
    if (digit && !ev.shiftKey && AZERTY_ROW.indexOf(ev.key) >= 0 && ev.key !== digit[1]
        && input.value.length < input.maxLength) {
      ev.preventDefault();
      input.setRangeText(digit[1], input.selectionStart, input.selectionEnd, "end");
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });

  // ------------------------------------------------------------ htmx glue
  document.addEventListener("htmx:afterSettle", function (ev) {
    document.querySelectorAll("form.race-card").forEach(function (form) {
      if (form.getAttribute("data-ready")) { return; }
      form.setAttribute("data-ready", "1");
      showFormulas(form);
      setMultiplier(form, 1);
      show(form);
    });
    var target = ev.detail && ev.detail.target;
    if (target && target.id === "sale") {
      var shown = currentForm(), race = shown ? shown.getAttribute("data-race") : "";
      document.querySelectorAll('[data-role="race"]').forEach(function (button) {
        button.setAttribute("aria-current", String(button.getAttribute("data-race") === race));
      });
      loadingRace = null;
      if (pending) { var submit = pending.submit; pending = null; applyQuick(submit); }
    }
  });

  // A form of this page is only ever sent by htmx. Enter in a form that htmx has
  // not yet settled would send it natively: a page reload, the bet not sold, or a
  // PIN in the address bar. Stop it; a race card sells once it has settled.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form || !form.matches || ev.defaultPrevented) { return; }
    if (form.matches("form[hx-post], form[hx-get]")) { ev.preventDefault(); }
    if (form.matches("form.race-card") && !form.getAttribute("data-ready")) {
      pending = { submit: true };
    }
  });

  // whatever fills #result fills it inside: it must stay for the next sale
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var target = ev.detail && ev.detail.target;
    if (target && target.id === "result") { ev.detail.swapOverride = "innerHTML"; }
  });

  document.addEventListener("htmx:configRequest", function (ev) {
    var form = saleForm(ev.detail.elt);
    if (!form || !ev.detail.formData) { return; }
    var data = ev.detail.formData;
    data.delete("horse");
    data.delete("base");
    data.delete("multiplier");
    selections(form).forEach(function (n) { data.append("horse", n); });
    baseList(form).forEach(function (n) { data.append("base", n); });
  });
})();
