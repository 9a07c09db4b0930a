"""Probable odds and pool totals pushed to the terminals (in-process server, both stores):
bets placed -> an `odds` message with the pools and the odds priced as the pari-mutuel
would; nothing pushed when nothing changed; closed races are no longer priced."""
from __future__ import annotations

import json
import queue
import threading
import time
import uuid as uuidlib
from datetime import timedelta

import pytest

from betting.protocol import NAMESPACE, connect_signature
from guichet.clock import utcnow
from server.services import fleet, races
from server.services.programme_import import parse_programme
from server.web.app import create_app, push_odds_pass
from tests.server_store import committed

from .socket_client import fresh_ts, in_process_client


def programme(day: str, post_time: str, races_count: int = 2) -> dict:
    return {"format": "guichet-programme", "version": 1, "date": day, "meetings": [
        {"number": 1, "venue": "VINCENNES", "races": [
            {"number": n, "name": f"PRIX {n}", "post_time": post_time,
             "runners": [{"number": h, "name": f"CHEVAL {h}"} for h in range(1, 9)],
             "bet_types": [{"bet_type": "SIMPLE_GAGNANT", "base_stake_cents": 100},
                           {"bet_type": "SIMPLE_PLACE", "base_stake_cents": 100}]}
            for n in range(1, races_count + 1)]}]}


class World:
    def __init__(self, db_url: str, interval: float = 0) -> None:
        self.app = create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": interval})
        self.store = self.app.extensions["guichet.store"]
        self.socketio = self.app.extensions["socketio"]
        self.board = self.app.extensions["guichet.odds"]
        now = utcnow()
        post = (now + timedelta(hours=1)).replace(microsecond=0)
        day = now.date().isoformat()
        self.race, self.other = f"{day}/R1C1", f"{day}/R1C2"
        with committed(self.store) as db:
            races.import_races(db, parse_programme(programme(
                day, post.isoformat().replace("+00:00", "Z"))))
            code = fleet.create_enrolment_code(db, "Bar A", now)["code"]
            got = fleet.enrol(db, code, now)
            self.terminal = (got["terminal_id"], bytes.fromhex(got["key"]))
        self.seq = 0

    def client(self):
        return in_process_client(self.app, *self.terminal)

    def reconnect(self):
        """A new connection: its signature needs a `ts` never used before."""
        terminal_id, key = self.terminal
        ts = fresh_ts(terminal_id)
        return self.socketio.test_client(
            self.app, namespace=NAMESPACE,
            auth={"terminal_id": terminal_id, "ts": ts,
                  "sig": connect_signature(terminal_id, ts, key)})

    def bet(self, horse: int, cents: int, bet_type: str = "SIMPLE_GAGNANT",
            race: str | None = None) -> dict:
        self.seq += 1
        return {"uuid": str(uuidlib.uuid4()), "seq": self.seq,
                "placed_at": utcnow().isoformat().replace("+00:00", "Z"),
                "race": race or self.race, "bet_type": bet_type, "formula": "UNITAIRE",
                "selections": [horse], "bases": [], "unit_stake_cents": cents,
                "total_cents": cents, "offline": False}

    def place(self, client, *bets: dict) -> None:
        ack = client.emit("place_bets", {"bets": list(bets)}, namespace=NAMESPACE, callback=True)
        assert ack["ok"] and all(r["status"] == "accepted" for r in ack["results"]), ack

    def tick(self) -> int:
        return push_odds_pass(self.socketio, self.store, self.board)


def odds_received(client) -> list[dict]:
    return [m["args"][0] for m in client.get_received(NAMESPACE) if m["name"] == "odds"]


@pytest.fixture
def world(db_url):
    return World(db_url)


def test_bets_placed_are_pushed_as_pools_and_probable_odds(world):
    client = world.client()
    world.place(client,
                world.bet(7, 2000), world.bet(2, 5000), world.bet(2, 3000),
                world.bet(5, 700, bet_type="SIMPLE_PLACE"))
    client.get_received(NAMESPACE)  # the connect's policy

    assert world.tick() == 1
    (message,) = odds_received(client)
    assert message["race"] == world.race
    # Simple gagnant pool: 20 + 50 + 30 = 100,00 €; deduction 13.9 % = 13,90 €;
    # masse 86,10 €. The 7 (20,00 €): 86.10 / 20 = 4.305 -> 4,3 (rounded down to
    # 0.10). The 2 (80,00 €): 86.10 / 80 = 1.076 -> 1,0 -> the 1,10 minimum.
    # Nobody backed the other runners: no odds for them.
    assert message["odds"] == {"2": 110, "7": 430}
    assert message["pools"] == {"SIMPLE_GAGNANT": 10000, "SIMPLE_PLACE": 700}
    assert message["at"].endswith("Z")


def test_nothing_is_pushed_when_nothing_changed(world):
    client = world.client()
    world.place(client, world.bet(3, 1000))
    assert world.tick() == 1
    client.get_received(NAMESPACE)
    assert world.tick() == 0
    assert odds_received(client) == []

    # a bet on a Simple placé changes the pools, not the odds: pushed again
    world.place(client, world.bet(3, 500, bet_type="SIMPLE_PLACE"))
    assert world.tick() == 1
    (message,) = odds_received(client)
    # 10,00 € on the 3 alone: masse 8,61 € -> 0.861 -> the 1,10 minimum
    assert message["odds"] == {"3": 110}
    assert message["pools"] == {"SIMPLE_GAGNANT": 1000, "SIMPLE_PLACE": 500}


def test_only_the_race_that_changed_is_pushed(world):
    client = world.client()
    world.place(client, world.bet(1, 1000), world.bet(4, 4000, race=world.other))
    world.tick()
    client.get_received(NAMESPACE)
    world.place(client, world.bet(4, 1000, race=world.other))
    assert world.tick() == 1
    (message,) = odds_received(client)
    # R1C2: 40 + 10 = 50,00 € on the 4 alone; masse 43,05 €; 43.05 / 50 -> 1,10 minimum
    assert message["race"] == world.other
    assert message["pools"] == {"SIMPLE_GAGNANT": 5000}


def test_a_cancelled_bet_leaves_the_pool_and_the_odds(world):
    client = world.client()
    world.place(client, world.bet(6, 1000), world.bet(8, 3000))
    world.tick()
    # 40,00 €, masse 34,44 €: the 6 at 3.444 -> 3,4; the 8 at 1.148 -> 1,1
    assert world.board.pushed[world.race]["odds"] == {"6": 340, "8": 110}
    first = next(iter(world.board.latest()))
    ticket = client.emit("place_bets", {"bets": [world.bet(8, 1000)]}, namespace=NAMESPACE,
                         callback=True)["results"][0]["ticket"]
    ack = client.emit("cancel_ticket", {"ticket": ticket}, namespace=NAMESPACE, callback=True)
    assert ack["ok"], ack
    client.get_received(NAMESPACE)
    assert world.tick() == 0  # placed then cancelled: back where it was
    assert world.board.latest()[0]["odds"] == first["odds"]


def test_a_closed_race_is_no_longer_priced(world):
    client = world.client()
    world.place(client, world.bet(1, 1000), world.bet(2, 1000, race=world.other))
    world.tick()
    with committed(world.store) as db:
        races.close_race(db, world.race, utcnow())
    client.get_received(NAMESPACE)
    world.place(client, world.bet(3, 1000, race=world.other))
    assert world.tick() == 1
    assert [m["race"] for m in odds_received(client)] == [world.other]
    assert set(world.board.pushed) == {world.other}


def test_a_terminal_that_connects_gets_the_last_odds(world):
    client = world.client()
    world.place(client, world.bet(5, 2500))
    world.tick()
    client.disconnect(namespace=NAMESPACE)
    fresh_ts(world.terminal[0])  # the first connection's second
    again = world.reconnect()
    (message,) = odds_received(again)
    # 25,00 € on the 5 alone: masse 21,53 € -> 0.86 -> 1,10
    assert (message["race"], message["odds"]) == (world.race, {"5": 110})


def test_the_pool_state_push_says_why_the_race_closed(world):
    client = world.client()
    client.get_received(NAMESPACE)
    status = world.app.test_client().post(
        f"/api/races/{world.race}/close",
        headers={"Authorization": f"Bearer {_admin_token(world)}"})
    assert status.status_code == 200, status.get_json()
    pushed = [m["args"][0] for m in client.get_received(NAMESPACE) if m["name"] == "pool_state"]
    assert pushed and pushed[0]["state"] == "closed" and pushed[0]["cause"] == "operator"


def _admin_token(world) -> str:
    with committed(world.store) as db:
        return fleet.create_admin_token(db, utcnow())


def test_the_watch_loop_pushes_odds_by_itself(db_url):
    world = World(db_url, interval=0.2)
    client = world.client()
    world.place(client, world.bet(7, 1000))
    deadline = time.monotonic() + 8
    seen = []
    while time.monotonic() < deadline and not seen:
        world.socketio.sleep(0.2)
        seen = [m for m in odds_received(client) if m["race"] == world.race]
    assert seen and seen[-1]["pools"] == {"SIMPLE_GAGNANT": 1000}


# -- the terminal: pushes kept in memory, streamed to the sale screen ---------------------
TERMINAL_PORT = 8702
TERMINAL_BASE = f"http://127.0.0.1:{TERMINAL_PORT}"


@pytest.fixture
def terminal_app(tmp_path):
    from terminal_app.app import create_app as create_terminal
    from terminal_app.web.guard import LISTEN_KEY

    app = create_terminal(str(tmp_path / "terminal"), {LISTEN_KEY: ("127.0.0.1", TERMINAL_PORT)})
    yield app
    app.extensions["guichet.terminal"].stop()


def live_of(app):
    return app.extensions["guichet.terminal"].link.live


class Stream:
    """An event stream read as the browser does: named events, comments skipped."""

    def __init__(self, response) -> None:
        self.response = response
        self.chunks = iter(response.response)
        self.buffer = ""

    def next_event(self) -> tuple[str, dict]:
        while True:
            while "\n\n" in self.buffer:
                block, self.buffer = self.buffer.split("\n\n", 1)
                lines = block.splitlines()
                names = [line[7:] for line in lines if line.startswith("event: ")]
                data = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
                if names:
                    return names[0], data[0]
            chunk = next(self.chunks)
            self.buffer += chunk.decode() if isinstance(chunk, bytes) else chunk

    def until(self, name: str, race: str) -> dict:
        while True:
            got, data = self.next_event()
            if got == name and data.get("race") == race:
                return data

    def close(self) -> None:
        self.response.close()


def open_stream(client) -> Stream:
    response = client.get("/ui/events", base_url=TERMINAL_BASE, buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    return Stream(response)


def test_the_screen_gets_pushes_in_french(terminal_app):
    live = live_of(terminal_app)
    live.set_odds("2026-07-07/R1C2", {"7": 430, "2": 110}, {"SIMPLE_GAGNANT": 123400}, None)
    stream = open_stream(terminal_app.test_client())
    try:
        # the state on connect: the odds known so far
        first = stream.until("odds", "2026-07-07/R1C2")
        assert first["odds"] == {"7": "4,3", "2": "1,1"}
        assert first["pools"] == {"SIMPLE_GAGNANT": "1\u202f234,00 €"}
        # then each change as it comes
        live.set_pool_state("2026-07-07/R1C2", "closed", "off")
        assert stream.until("pool_state", "2026-07-07/R1C2") == {
            "race": "2026-07-07/R1C2", "state": "closed",
            "reason": "Départ donné : paris fermés"}
        live.set_pool_state("2026-07-07/R1C3", "closed", "operator")
        assert stream.until("pool_state", "2026-07-07/R1C3")["reason"] == \
            "Paris fermés par le central"
        live.set_results("2026-07-07/R1C2", {"race": "2026-07-07/R1C2"})
        assert stream.until("results", "2026-07-07/R1C2") == {"race": "2026-07-07/R1C2"}
    finally:
        stream.close()
    assert live.odds("2026-07-07/R1C2") is None  # a closed race is no longer priced


def test_event_streams_are_bounded_and_the_newest_takes_the_oldest_s_place(terminal_app):
    """A reloaded page leaves its old stream behind until a write to it fails: a new
    page past the bound must not be left deaf, so it takes the oldest place."""
    from terminal_app.adapters.live import MAX_LISTENERS

    live = live_of(terminal_app)
    client = terminal_app.test_client()
    streams = [open_stream(client) for _ in range(MAX_LISTENERS)]
    for stream in streams:
        stream.next_event()  # each started
    assert live.listeners == MAX_LISTENERS
    newest = open_stream(client)
    assert newest.next_event()[0] == "clock"  # served at once, with the whole state
    assert live.listeners == MAX_LISTENERS
    with pytest.raises(StopIteration):  # the oldest ends: its page, if open, reconnects
        while True:
            streams[0].next_event()
    streams[0].close()
    live.set_pool_state("2026-07-07/R1C2", "closed", "off")  # the others still hear
    assert streams[1].until("pool_state", "2026-07-07/R1C2")["state"] == "closed"
    assert newest.until("pool_state", "2026-07-07/R1C2")["state"] == "closed"
    for stream in streams[1:] + [newest]:
        stream.close()
    assert live.listeners == 0


def test_another_page_cannot_hold_a_stream(terminal_app):
    """A page of another site (another port of 127.0.0.1 is the same *site*) could
    take every place and leave the sale screen deaf: the browser names it in
    Sec-Fetch-Site, and the terminal refuses it before any place is taken."""
    live = live_of(terminal_app)
    client = terminal_app.test_client()
    for site in ("same-site", "cross-site"):
        answer = client.get("/ui/events", base_url=TERMINAL_BASE,
                            headers={"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "cors",
                                     "Sec-Fetch-Dest": "empty"})
        assert answer.status_code == 403, site
        assert "une page de ce terminal" in answer.get_data(as_text=True)
    assert live.listeners == 0
    own = client.get("/ui/events", base_url=TERMINAL_BASE, buffered=False,
                     headers={"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"})
    assert own.status_code == 200 and live.listeners == 1
    own.close()


def test_stopping_the_terminal_ends_the_streams(terminal_app):
    stream = open_stream(terminal_app.test_client())
    stream.next_event()
    live_of(terminal_app).close()
    with pytest.raises(StopIteration):
        while True:
            stream.next_event()
    stream.close()


def test_the_results_fragment_shows_the_arrival_and_dividends_in_french(terminal_app):
    race = "2026-07-07/R1C4"
    client = terminal_app.test_client()
    empty = client.get(f"/ui/races/results?race={race}", base_url=TERMINAL_BASE)
    assert empty.status_code == 200 and "pas encore reçus" in empty.text
    live_of(terminal_app).set_results(race, {
        "race": race, "official": True, "official_at": "2026-07-07T14:05:00Z",
        "arrival": [[7], [2, 9], [4]], "non_runners": [3], "cancelled": False,
        "pools": [{"bet_type": "SIMPLE_GAGNANT", "total_cents": 10000, "void": False,
                   "dividends": [{"kind": "GAGNANT", "combination": [7],
                                  "per_euro_cents": 430, "winning_stake_cents": 2000}]},
                  {"bet_type": "COUPLE_PLACE", "total_cents": 5000, "void": True,
                   "dividends": []}]})
    page = client.get(f"/ui/races/results?race={race}", base_url=TERMINAL_BASE).text
    assert "Arrivée officielle" in page
    assert "7 - 2 = 9 - 4" in page
    assert "Non-partant : 3" in page
    assert "Simple gagnant" in page and "Gagnant" in page and "4,30 €" in page
    assert "Couplé placé" in page and "Pari remboursé." in page
    assert "16:05 (heure de Paris)" in page  # 14:05 UTC in July


def test_the_sync_client_keeps_well_formed_pushes_only(tmp_path):
    from terminal_app.adapters.live import Live
    from terminal_app.adapters.sync import SyncClient

    client = SyncClient.__new__(SyncClient)  # the push handlers only, no connection
    client.live = Live()
    client._pushes, client._wake = queue.Queue(), threading.Event()
    client._on_odds({"race": "2026-07-07/R1C1", "odds": {"7": 430}, "pools": {"TRIO": 900},
                     "at": "2026-07-07T12:00:00Z"})
    assert client.live.odds("2026-07-07/R1C1").odds == {"7": 430}
    for bad in ({"race": "2026-07-07/R1C1", "odds": {"7": "4,3"}, "pools": {}},
                {"race": "2026-07-07/R1C1", "odds": {"7": -1}, "pools": {}},
                {"race": "2026-07-07/R1C1", "odds": {"7": True}, "pools": {}},
                {"race": "x" * 41, "odds": {}, "pools": {}},
                {"race": "2026-07-07/R1C1", "odds": {str(n): 1 for n in range(65)},
                 "pools": {}},
                ["not", "an", "object"], None):
        client._on_odds(bad)
    assert client.live.odds("2026-07-07/R1C1").odds == {"7": 430}
    client._on_pool_state({"race": "2026-07-07/R1C1", "state": "closed", "cause": "nonsense"})
    assert client.live.pool_state("2026-07-07/R1C1") == ("closed", None)
    assert client.live.odds("2026-07-07/R1C1") is None
