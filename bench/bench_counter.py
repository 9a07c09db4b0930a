"""The counter at rush speed: from the shopkeeper's last key or click to the ticket's bytes.

A real server and an enrolled terminal on loopback, its printer a file; real
Chromium (headless) at 1024×768 on the counter page. Each sale is timed from
the moment the browser is told to press "Valider" (or Enter) until the ticket's
bytes have grown the printer file, online (the server's ack is in the path).
Two paths are measured in the same run:

- mouse: the race opened once, then per sale: bet type, horse, Valider (stake left at
  the base; the form is cleared after each sale);
- keyboard: the quick-entry sequence typed into the counter's quick-entry field.

It prints the latency p50/p95/max of each path and the number of keystrokes a
plain Simple gagnant takes on the keyboard path (goal: at most 8).

    python bench/bench_counter.py --sales 50
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import start_server, start_terminal, write_sample_programme  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
# Simple gagnant on horse 7 of the first race, base stake: race 1, "g", horse 7, Enter.
QUICK_KEYS = ["1", "g", "7", "Enter"]


def wait_growth(path: Path, before: int, timeout: float = 15.0) -> float:
    """Seconds until `path` is longer than `before` bytes (polled every 0.5 ms)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if path.exists() and path.stat().st_size > before:
            return time.perf_counter()
        time.sleep(0.0005)
    raise SystemExit(f"no ticket bytes within {timeout} s ({path})")


def shown_code(page) -> str | None:
    """The ticket code of the sale on screen, if any."""
    code = page.locator(".bet-result .ticket-code")
    return code.get_attribute("data-code") if code.count() else None


def wait_next_sale_shown(page, before: str | None) -> None:
    """Until the answer of this sale is on screen (not the previous one's): the form
    is cleared then, and the next sale can start."""
    from playwright.sync_api import expect

    code = page.locator(".bet-result .ticket-code")
    if before is None:
        expect(code).to_have_count(1)
    else:
        expect(code).not_to_have_attribute("data-code", before)


def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict:
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(pct(ms, 0.95), 1), "max_ms": round(max(ms), 1)}


def main() -> None:
    from playwright.sync_api import expect, sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", type=int, default=50, help="sales per path")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="guichet-counter-"))
    doc = write_sample_programme(tmp / "programme.json", minutes_ahead=120)
    race = f"{doc['date']}/R1C1"
    server = start_server(tmp, tmp / "programme.json")
    tickets = tmp / "tickets.bin"
    term = start_terminal(tmp, server, printer=f"file:{tickets}")
    mouse, keyboard = [], []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page(locale="fr-FR", viewport={"width": 1024, "height": 768})
            page.goto(term.url + "/")
            page.locator(f"[data-role='race'][data-race='{race}']").click()
            form = page.locator(f"form.race-card[data-race='{race}']")
            expect(form).to_be_visible()
            for _ in range(args.sales):  # the form stays open, cleared after each sale
                form.locator("[data-role='bet-type'][data-code='SIMPLE_GAGNANT']").check()
                form.locator("[data-role='runner'][data-number='7']").click()
                # a plain mouse press where the button is: Playwright's own waits before
                # a locator's click (visible, stable, enabled) are not the shop's time
                box = form.locator("[data-role='validate']").bounding_box()
                before, shown = size(tickets), shown_code(page)
                t0 = time.perf_counter()
                page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                try:
                    mouse.append(wait_growth(tickets, before) - t0)
                except SystemExit:
                    page.screenshot(path=str(tmp / "stuck.png"))
                    print("stuck on mouse sale", len(mouse), tmp, file=sys.stderr)
                    raise
                wait_next_sale_shown(page, shown)
            quick = page.locator("[data-role='quick-entry']")
            for _ in range(args.sales):
                quick.focus()
                for key in QUICK_KEYS[:-1]:
                    page.keyboard.press(key)
                before, shown = size(tickets), shown_code(page)
                t0 = time.perf_counter()
                page.keyboard.press(QUICK_KEYS[-1])
                try:
                    keyboard.append(wait_growth(tickets, before) - t0)
                except SystemExit:
                    page.screenshot(path=str(tmp / "stuck.png"))
                    print("stuck on keyboard sale", len(keyboard), tmp, file=sys.stderr)
                    raise
                wait_next_sale_shown(page, shown)
            browser.close()
        print(json.dumps({"click_to_ticket_bytes": summary(mouse),
                          "enter_to_ticket_bytes": summary(keyboard),
                          "keystrokes_simple": len(QUICK_KEYS)}))
    finally:
        term.proc.stop()
        server.proc.stop()


if __name__ == "__main__":
    main()
