"""Live state for the sale screen, pushed to the browser: pools closing, probable
odds and pool totals, results (static/guichet-live.js listens).

`GET /ui/events` is a Server-Sent Events stream. On connect it sends the
current state (every race's pool state, the odds of the open races, the
races with results), then each change as the sync client receives it, and a
keep-alive comment every 15 s. Events:

- `pool_state` `{"race", "state", "reason"}`: reason in French when closed;
- `odds` `{"race", "odds": {"7": "4,3"}, "pools": {"SIMPLE_GAGNANT": "1 234,00 €"}}`;
- `results` `{"race"}`: the page loads `GET /ui/races/results?race=…`;
- `clock` `{"server_time_ms"}`: the server's time as the terminal knows it (on
  connect and with each keep-alive), for the countdowns to the off.

Each stream holds one of the server's threads: at most `MAX_LISTENERS`
(adapters/live.py) at once; one more takes the place of the oldest, which
ends (a reloaded page's old stream lingers until a write to it fails). A
stream ends when writing to a closed browser fails, after `STREAM_S` (the
browser reconnects and gets the state again), when a newer stream takes its
place, or when the terminal stops. Only this terminal's own pages may open
one (web/guard.py refuses other pages' requests).
"""
from __future__ import annotations

import json
import time
from datetime import datetime

from flask import Blueprint, Response, render_template, request

from betting.catalogue import BET_TYPES
from betting.money import format_euros

from ..services.wording import ZONE_LABEL
from .api import services
from .ui import guard_ui_session

bp = Blueprint("ui_live", __name__)
bp.before_request(guard_ui_session)

KEEPALIVE_S = 15.0
STREAM_S = 300.0

REASONS = {
    "off": "Départ donné : paris fermés",
    "operator": "Paris fermés par le central",
}
KIND_LABELS = {
    "GAGNANT": "Gagnant", "PLACE": "Placé", "ORDRE": "Ordre", "DESORDRE": "Désordre",
    "BONUS4": "Bonus 4", "BONUS3": "Bonus 3", "DEUX_SUR_QUATRE": "2 sur 4",
    "NP": "Non-partant", "DEUX_CHEVAUX": "2 chevaux",
}


def odds_text(odds: int) -> str:
    """Odds ×100 as the shopkeeper reads them, one decimal: 430 -> '4,3'."""
    return f"{odds // 100},{odds % 100 // 10}"


def per_euro_text(cents: int) -> str:
    """A dividend for 1 €: 430 -> '4,30 €'."""
    return format_euros(cents)


def kind_label(kind: str) -> str:
    if kind.startswith("MULTI_EN_"):
        return f"Multi en {kind.rsplit('_', 1)[1]}"
    return KIND_LABELS.get(kind, kind)


def closed_reason(s, race_id: str, cause: str | None) -> str:
    """Why a race's pools are closed: as the server said, else by its post time
    and the server's clock (a race closed before its off was closed by the central)."""
    if cause not in REASONS:
        cached = s.store.programme.race(race_id)
        cause = "off" if cached is None or s.link.server_now() >= cached[0].post_time \
            else "operator"
    return REASONS[cause]


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


SUSPENDED_REASON = "Paris suspendus par le central : ils reprendront s'il rouvre la course"


def _pool_state(s, race_id: str, state: str, cause: str | None) -> str:
    if state == "suspended":  # before the off, by the operator: may open again
        reason = SUSPENDED_REASON
    else:
        reason = closed_reason(s, race_id, cause) if state != "open" else ""
    return _event("pool_state", {"race": race_id, "state": state, "reason": reason})


def _odds(race_id: str, live) -> str | None:
    item = live.odds(race_id)
    if item is None:
        return None
    return _event("odds", {
        "race": race_id,
        "odds": {n: odds_text(o) for n, o in item.odds.items()},
        "pools": {bt: format_euros(c) for bt, c in item.pools.items()},
    })


def _clock(s) -> str:
    """The server's time as this terminal knows it: the page's countdowns follow it."""
    return _event("clock", {"server_time_ms": int(s.link.server_now().timestamp() * 1000)})


def _snapshot(s, live) -> list[str]:
    """The clock, every race's pool state, the odds of the open ones, the races
    with results."""
    out = [_clock(s)]
    for race, state in s.store.programme.races():
        pushed = live.pool_state(race.race_id)
        state, cause = pushed if pushed else (state, None)
        out.append(_pool_state(s, race.race_id, state, cause))
    for race_id in sorted(live.all_odds()):
        text = _odds(race_id, live)
        if text:
            out.append(text)
    out.extend(_event("results", {"race": r}) for r in live.result_races())
    return out


def _news(s, event, live) -> str | None:
    if event.kind == "pool_state":
        pushed = live.pool_state(event.race)
        return _pool_state(s, event.race, *pushed) if pushed else None
    if event.kind == "odds":
        return _odds(event.race, live)
    return _event("results", {"race": event.race})


@bp.get("/ui/events")
def events():
    s = services()  # the stream runs after the view returns: no app context then
    live = s.link.live
    token = live.listen()
    try:
        after = live.last_seq
        first = _snapshot(s, live)
    except Exception:
        live.stop_listening(token)
        raise

    def stream():
        nonlocal after
        yield "retry: 1000\n\n"
        yield from first
        deadline = time.monotonic() + STREAM_S
        while not live.closed and time.monotonic() < deadline:
            news = live.wait(after, min(KEEPALIVE_S, max(0.0, deadline - time.monotonic())),
                             token)
            if live.replaced(token):
                return  # a newer page took this place
            if not news:
                yield ": keep-alive\n\n"  # a closed browser fails this write
                yield _clock(s)
                continue
            if news[0].seq > after + 1:  # fell behind the kept events: all again
                after = news[-1].seq
                yield from _snapshot(s, live)
                continue
            for event in news:
                after = event.seq
                text = _news(s, event, live)
                if text:
                    yield text

    response = Response(stream(), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    # The server closes the response however the stream ends (browser gone, time
    # up, terminal stopping), even before its first write: the slot is given back.
    response.call_on_close(lambda: live.stop_listening(token))
    return response


@bp.get("/ui/races/results")
def race_results():
    """The arrival and the dividends of a race, as the server published them."""
    race_id = request.args.get("race", "")[:40]
    published = services().link.live.results(race_id)
    return render_template("terminal/_race_results.html", race_id=race_id, zone=ZONE_LABEL,
                           published=_results_view(published) if published else None)


def _results_view(published: dict) -> dict:
    """The results push, ready for the template (French labels, euros)."""
    pools = []
    for pool in published.get("pools") or []:
        if not isinstance(pool, dict):
            continue
        code = pool.get("bet_type")
        label = BET_TYPES[code].label if code in BET_TYPES else str(code)
        dividends = [{"kind": kind_label(str(d.get("kind"))),
                      "combination": " - ".join(str(h) for h in d.get("combination") or []),
                      "amount": per_euro_text(d["per_euro_cents"])}
                     for d in pool.get("dividends") or []
                     if isinstance(d, dict) and isinstance(d.get("per_euro_cents"), int)]
        pools.append({"label": label, "void": bool(pool.get("void")), "dividends": dividends})
    arrival = [" = ".join(str(h) for h in (place if isinstance(place, list) else [place]))
               for place in published.get("arrival") or []]
    official_at = published.get("official_at")
    return {"official": bool(published.get("official")),
            "official_at": _parse(official_at) if isinstance(official_at, str) else None,
            "cancelled": bool(published.get("cancelled")),
            "reason": published.get("reason") if isinstance(published.get("reason"), str)
            else None,
            "arrival": arrival,
            "non_runners": [str(h) for h in published.get("non_runners") or []],
            "pools": pools}


def _parse(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None
