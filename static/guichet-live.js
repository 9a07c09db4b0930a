/* Guichet: the sale screen's live state, pushed by the terminal (GET /ui/events,
 * Server-Sent Events; terminal_app/web/ui_live.py), never polled.
 *
 * - pool_state: the race button ([data-role="race"][data-race]) takes the state
 *   in data-state and a "fermée" mark ("suspendue" for a race the central
 *   suspended, which may open again); when the sale form of that race is open
 *   (form.race-card[data-race]) its buttons and fieldsets are disabled and the
 *   reason shows in [data-role="race-closed"].
 * - odds: the open form of that race shows each runner's probable odds in
 *   [data-role="odds"][data-number] and the chosen bet type's pool in
 *   [data-role="pool-total"].
 * - results: [data-role="race-results"][data-race] loads the race's arrival and
 *   dividends (GET /ui/races/results?race=…).
 * - clock: the server's time, so the countdowns follow the server's clock.
 * - Every second each race button's [data-role="countdown"] shows the time left
 *   before data-post-time: "dans 4 min 12 s", "départ imminent", "parti".
 *
 * A form loaded after an event (the shopkeeper opens a closed race) gets the
 * known state at once. EventSource reconnects by itself; the terminal sends the
 * whole state again on each connection.
 */
(function () {
  "use strict";

  var states = {};   // race -> {state, reason}
  var odds = {};     // race -> {odds: {"7": "4,3"}, pools: {"SIMPLE_GAGNANT": "12,00 €"}}
  var offsetMs = 0;  // server clock minus this browser's clock

  function sel(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, "\\$&");
  }

  function raceButtons(race) {
    return document.querySelectorAll('[data-role="race"][data-race="' + sel(race) +
                                      '"], button.race[data-race="' + sel(race) + '"]');
  }

  function raceForms(race) {
    var forms = Array.prototype.slice.call(
      document.querySelectorAll('form.race-card[data-race="' + sel(race) + '"]'));
    Array.prototype.forEach.call(document.querySelectorAll("form.race-card:not([data-race])"),
      function (form) {
        var input = form.querySelector('input[name="race"]');
        if (input && input.value === race) { forms.push(form); }
      });
    return forms;
  }

  function formRace(form) {
    if (form.dataset.race) { return form.dataset.race; }
    var input = form.querySelector('input[name="race"]');
    return input ? input.value : null;
  }

  // -- pools closing ---------------------------------------------------------
  function markButton(button, state) {
    button.dataset.state = state;
    button.classList.toggle("race-closed", state !== "open");
    button.classList.toggle("race-open", state === "open");
    var mark = button.querySelector('[data-role="closed-mark"], .closed-mark');
    // a suspended race may open again (the operator's choice before the off)
    var word = state === "suspended" ? "suspendue" : "fermée";
    if (state !== "open" && !mark) {
      mark = document.createElement("em");
      mark.dataset.role = "closed-mark";
      button.appendChild(mark);
    }
    if (state !== "open" && mark.textContent !== word) {
      mark.textContent = word;
    } else if (state === "open" && mark) {
      mark.remove();
    }
  }

  function closeForm(form, reason) {
    form.dataset.state = "closed";
    form.dataset.liveClosed = "1";
    var note = form.querySelector('[data-role="race-closed"]');
    if (!note) {
      note = document.createElement("p");
      note.dataset.role = "race-closed";
      form.insertBefore(note, form.firstChild);
    }
    note.className = "message error race-closed";
    note.setAttribute("role", "alert");
    note.textContent = reason || "Paris fermés";
    note.hidden = false;
    form.querySelectorAll("button, fieldset, input[type=submit]").forEach(function (el) {
      if (!el.disabled) { el.disabled = true; el.dataset.liveDisabled = "1"; }
    });
  }

  function reopenForm(form) {
    form.dataset.state = "open";
    delete form.dataset.liveClosed;
    var note = form.querySelector('[data-role="race-closed"]');
    if (note) { note.hidden = true; note.textContent = ""; }
    form.querySelectorAll('[data-live-disabled="1"]').forEach(function (el) {
      el.disabled = false;
      delete el.dataset.liveDisabled;
    });
  }

  function applyState(race) {
    var known = states[race];
    if (!known) { return; }
    raceButtons(race).forEach(function (b) { markButton(b, known.state); });
    raceForms(race).forEach(function (form) {
      if (known.state === "open") {
        // closed here, or drawn shut (suspended) before this page heard it reopen
        if (form.dataset.liveClosed === "1" || (form.dataset.state || "open") !== "open") {
          reopenForm(form);
        }
      } else {
        closeForm(form, known.reason);
      }
    });
  }

  // -- odds and pools --------------------------------------------------------
  function chosenBetType(form) {
    var radio = form.querySelector('[data-role="bet-type"]:checked') ||
                form.querySelector('input[name="bet_type"]:checked');
    if (!radio) { return null; }
    return radio.dataset.code || radio.value;
  }

  function applyOdds(race) {
    var known = odds[race];
    if (!known) { return; }
    raceForms(race).forEach(function (form) {
      form.querySelectorAll('[data-role="odds"][data-number]').forEach(function (span) {
        span.textContent = known.odds[span.dataset.number] || "";
      });
      var total = form.querySelector('[data-role="pool-total"]');
      if (total) {
        var code = chosenBetType(form);
        total.textContent = (code && known.pools[code]) || "";
      }
    });
  }

  // -- results ---------------------------------------------------------------
  function loadResults(race) {
    var places = document.querySelectorAll(
      '[data-role="race-results"][data-race="' + sel(race) + '"]');
    if (!places.length) { return; }
    fetch("/ui/races/results?race=" + encodeURIComponent(race), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        places.forEach(function (place) { place.innerHTML = html; });
      })
      .catch(function () { /* the next results event or page load tries again */ });
  }

  // -- countdowns ------------------------------------------------------------
  function countdownText(seconds) {
    if (seconds <= 0) { return "parti"; }
    if (seconds < 60) { return "départ imminent"; }
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = Math.floor(seconds % 60);
    if (h > 0) { return "dans " + h + " h " + (m < 10 ? "0" : "") + m; }
    return "dans " + m + " min " + (s < 10 ? "0" : "") + s + " s";
  }

  function tick() {
    var now = Date.now() + offsetMs;
    document.querySelectorAll('[data-role="race"][data-post-time]').forEach(function (button) {
      var out = button.querySelector('[data-role="countdown"]');
      var post = Date.parse(button.dataset.postTime);
      if (!out || isNaN(post)) { return; }
      // a race that no longer sells counts nothing down: it says "fermée" instead
      var open = (button.dataset.state || "open") === "open";
      var text = open ? countdownText(Math.floor((post - now) / 1000)) : "";
      if (out.textContent !== text) { out.textContent = text; }
      button.classList.toggle("race-imminent", open && post - now > 0 && post - now < 60000);
    });
  }

  // -- the stream ------------------------------------------------------------
  function parse(ev) {
    try { return JSON.parse(ev.data); } catch (e) { return null; }
  }

  function listen() {
    if (!window.EventSource) { return; }
    var source = new EventSource("/ui/events");
    source.addEventListener("pool_state", function (ev) {
      var data = parse(ev);
      if (!data || !data.race) { return; }
      states[data.race] = {state: data.state, reason: data.reason};
      applyState(data.race);
    });
    source.addEventListener("odds", function (ev) {
      var data = parse(ev);
      if (!data || !data.race) { return; }
      odds[data.race] = {odds: data.odds || {}, pools: data.pools || {}};
      applyOdds(data.race);
    });
    source.addEventListener("results", function (ev) {
      var data = parse(ev);
      if (data && data.race) { loadResults(data.race); }
    });
    source.addEventListener("clock", function (ev) {
      var data = parse(ev);
      if (data && typeof data.server_time_ms === "number") {
        offsetMs = data.server_time_ms - Date.now();
      }
    });
    source.addEventListener("error", function () {
      // a refused or broken stream is not retried by the browser itself
      if (source.readyState === EventSource.CLOSED) { setTimeout(listen, 5000); }
    });
  }

  // A form or race list swapped in by htmx gets what is already known.
  document.addEventListener("htmx:afterSettle", function () {
    Object.keys(states).forEach(applyState);
    Object.keys(odds).forEach(applyOdds);
    document.querySelectorAll('[data-role="race-results"][data-race]').forEach(function (el) {
      if (!el.dataset.loaded) { el.dataset.loaded = "1"; loadResults(el.dataset.race); }
    });
  });

  // Nothing is sent from the form of a closed race, whatever enabled a button again
  // (the server refuses such a bet anyway).
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail && ev.detail.elt;
    var form = elt && elt.closest ? elt.closest("form.race-card") : null;
    if (form && form.dataset.liveClosed === "1" && ev.detail.requestConfig &&
        ev.detail.requestConfig.verb === "post") {
      ev.preventDefault();
    }
  });

  // The pool total follows the bet type chosen.
  document.addEventListener("change", function (ev) {
    var form = ev.target.closest ? ev.target.closest("form.race-card") : null;
    if (form && ev.target.name === "bet_type") {
      var race = formRace(form);
      if (race) { applyOdds(race); }
    }
  });

  function start() {
    listen();
    tick();
    setInterval(tick, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
