/* Guichet: barcode scans in the terminal's pages (ours, no dependency but htmx).
 *
 * 1. Keyboard-wedge scanners. The scanner "types" the code and Enter. We read
 *    physical keys (event.code: Digit0-9, Numpad0-9), never event.key, so a
 *    French AZERTY layout (where the digit row gives & é " ' ( - è _ ç à)
 *    changes nothing. A scan is told from typing by timing: at least
 *    MIN_DIGITS digits then Enter (or Tab), no pause longer than PAUSE_MS, and
 *    on average at most MEAN_MS between keys. Scanners send a key every few
 *    milliseconds, people one every 100 ms or more; the average (not each
 *    gap) decides, so one late key from a busy machine does not split a scan.
 *    Digits the scanner typed into a focused field are taken back out.
 * 2. Scanners read by the terminal (serial, simulator) arrive as server-sent
 *    events from /ui/scans/events.
 * A scan opens the ticket panel (POST /ui/tickets/open), except on a page with
 * data-scan-mode="log" (diagnostics), which lists the scans instead.
 */
(function () {
  "use strict";
  var PAUSE_MS = 250, MEAN_MS = 40, MIN_DIGITS = 6, MAX_DIGITS = 80;
  var DIGIT = /^(?:Digit|Numpad)([0-9])$/;
  var ENDS = { Enter: 1, NumpadEnter: 1, Tab: 1 };
  var MODIFIER = /^(?:Shift|Control|Alt|Meta|CapsLock|AltGraph)/;
  var body = document.body;
  var mode = body.getAttribute("data-scan-mode") || "panel";
  var burst = [], first = 0, last = 0, field = null, fieldValue = null;

  function reset() { burst = []; field = null; fieldValue = null; }

  function isScan(now) {
    var n = burst.length;
    return n >= MIN_DIGITS && now - last <= PAUSE_MS && (now - first) / n <= MEAN_MS;
  }

  function editable(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA") && "value" in el;
  }

  // The session's CSRF token, for the POSTs sent with fetch (htmx's carry it already).
  function csrfHeaders() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? { "X-CSRFToken": meta.getAttribute("content") } : {};
  }

  function post(url, values) {
    return htmx.ajax("POST", url, { target: "#ticket-panel", swap: "innerHTML", values: values });
  }

  function openTicket(values) {
    if (mode === "log") {
      if (values.source === "wedge") {    // recorded, then listed through the event stream
        fetch("/ui/scans/record", { method: "POST", credentials: "same-origin",
                                    headers: csrfHeaders(),
                                    body: new URLSearchParams({ code: values.code }) });
      }
      return;
    }
    post("/ui/tickets/open", values);
  }

  document.addEventListener("keydown", function (ev) {
    // When the key was pressed, not when this handler runs: a busy page must not
    // bunch a person's keys together into what looks like a scan.
    var now = ev.timeStamp || performance.now();
    var digit = DIGIT.exec(ev.code || "");
    if (digit && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
      if (!burst.length || now - last > PAUSE_MS) {
        reset();
        first = now;
        field = editable(ev.target) ? ev.target : null;
        fieldValue = field ? field.value : null;
      }
      if (burst.length < MAX_DIGITS) { burst.push(digit[1]); }
      last = now;
      return;
    }
    if (ENDS[ev.code]) {
      if (isScan(now)) {
        ev.preventDefault();
        ev.stopPropagation();
        var code = burst.join("");
        if (field) { field.value = fieldValue; }
        reset();
        openTicket({ code: code, source: "wedge" });
        return;
      }
      reset();
      return;
    }
    if (!MODIFIER.test(ev.code || "")) { reset(); }
  }, true);

  if (window.EventSource) {
    var after = body.getAttribute("data-scan-after") || "";
    var source = new EventSource("/ui/scans/events?after=" + encodeURIComponent(after));
    source.addEventListener("scan", function (msg) {
      var scan;
      try { scan = JSON.parse(msg.data); } catch (e) { return; }
      if (mode === "log") { htmx.trigger(body, "scan-received"); return; }
      if (scan.source === "wedge") { return; }   // the page that read it opened it
      openTicket({ scan_id: String(scan.id), source: scan.source });
    });
    source.onopen = function () { body.setAttribute("data-scan-stream", "1"); };
  }
})();
