"""A programme cannot break the server: every field is checked at import, a
bad stored row is skipped by every reader and by the watch loop, and the
operator can remove a race (in-process: Flask and Flask-SocketIO test clients)."""
from __future__ import annotations

import json
import time
import uuid as uuidlib
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from betting.programme import iso_utc
from betting.protocol import NAMESPACE, connect_signature
from guichet.cli_admin import admin
from server.services import fleet, races
from server.web.app import create_app
from server.services.programme_import import parse_programme, sample_programme
from guichet.clock import utcnow
from tests.admin_support import AdminClient
from tests.server_store import committed, damage
from terminal_app.adapters.store import TerminalStore

OPERATOR = Path(__file__).resolve().parents[1] / "data" / "pmu_programme_2021-01-01.json"


def _make(db_url: str, interval: float = 0):
    app = create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": interval})
    store = app.extensions["guichet.store"]
    with committed(store) as db:
        token = fleet.create_admin_token(db, utcnow())
    return app, store, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def server(db_url):
    return _make(db_url)


def _today_programme(minutes_ahead: int = 60) -> dict:
    first = utcnow().replace(microsecond=0) + timedelta(minutes=minutes_ahead)
    return sample_programme(first.date(), first, meetings=1, races_per_meeting=2)


def _store_unchecked(store, programme: dict, **changes) -> str:
    """Store a race as imports did before every field was checked: the way a
    bad row (R100C1, R-1C0…) got into existing stores."""
    race = replace(parse_programme(programme)[0], **changes)
    race = replace(race, race_id=f"{race.race_id[:10]}/R{race.meeting}C{race.number}")
    with committed(store) as db:
        races.import_races(db, [race])
    return race.race_id


def _socket(app, store):
    with committed(store) as db:
        code = fleet.create_enrolment_code(db, "Bar des tests", utcnow())["code"]
        enrolled = fleet.enrol(db, code, utcnow())
    terminal_id, key = enrolled["terminal_id"], bytes.fromhex(enrolled["key"])
    ts = int(time.time())
    client = app.extensions["socketio"].test_client(
        app, namespace=NAMESPACE,
        auth={"terminal_id": terminal_id, "ts": ts, "sig": connect_signature(terminal_id, ts, key)})
    assert client.is_connected(NAMESPACE)
    return client


def _listed(client) -> list[str]:
    answer = client.get("/api/races")
    assert answer.status_code == 200, answer.get_json()
    return [r["race"] for r in answer.get_json()["races"]]


# -- refused at import ---------------------------------------------------------

@pytest.mark.parametrize("meeting, race, words", [
    (1, 100, "meeting 1, race 100: race number must be 1–99"),
    (-1, 1, "meeting -1: meeting number must be 1–99"),
    (1, 0, "meeting 1, race 0: race number must be 1–99"),
])
def test_out_of_range_numbers_are_refused_and_nothing_is_imported(server, meeting, race, words):
    app, _, admin_auth = server
    doc = _today_programme()
    doc["meetings"][0]["races"][1]["number"] = race  # the first race is valid
    doc["meetings"][0]["number"] = meeting
    answer = app.test_client().post("/api/programme", json=doc, headers=admin_auth)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "bad_programme"
    assert words in answer.get_json()["message"]
    assert _listed(app.test_client()) == []  # all or nothing


def _operator_with(change) -> dict:
    doc = json.loads(OPERATOR.read_text())
    change(doc["programme"], doc["programme"]["reunions"][0]["courses"][0])
    return doc


@pytest.mark.parametrize("doc, words", [
    (_operator_with(lambda p, c: c.update(heureDepart=10**30)), "heureDepart (epoch ms) must be"),
    (_operator_with(lambda p, c: p.update(date=10**30)), "date (epoch ms) must be"),
    (_operator_with(lambda p, c: p.update(timezoneOffset=2**70)), "timezoneOffset (ms) must be"),
    (_operator_with(lambda p, c: c.update(participants=[{"numPmu": 2**70}, {"numPmu": 2}])),
     "runner number must be 1–99"),
    (_operator_with(lambda p, c: c["paris"][0].update(miseBase=2**64)), "base stake"),
    ({**_today_programme(), "date": "99999-01-01"}, "date must be YYYY-MM-DD"),
])
def test_huge_numbers_and_dates_are_a_400_with_a_reason(server, doc, words):
    app, _, admin_auth = server
    answer = app.test_client().post("/api/programme", json=doc, headers=admin_auth)
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"] == "bad_programme"
    assert words in answer.get_json()["message"]
    assert _listed(app.test_client()) == []


# -- a bad stored row is skipped everywhere ----------------------------------------

def test_a_stored_bad_race_hides_nothing_and_breaks_nothing(server):
    app, store, _ = server
    doc = _today_programme()
    with committed(store) as db:
        races.import_races(db, parse_programme(doc))
    good = _listed(app.test_client())
    assert len(good) == 2
    _store_unchecked(store, doc, meeting=1, number=100)
    _store_unchecked(store, doc, meeting=-1, number=0)
    damage(store,  # a row whose card is damaged
           "INSERT INTO races (race_id, day, meeting, number, post_time, card, version) "
           "VALUES ('2030-01-01/R1C1', '2030-01-01', 1, 1, '2030-01-01T12:00:00Z', "
           "'{\"race\": 42}', 99)")

    assert _listed(app.test_client()) == good
    operator = AdminClient(app, "operator")  # the back office lists the good ones
    for page in ("/admin/pools", "/admin/programme", "/admin/results"):
        answer = operator.get(page)
        assert answer.status_code == 200, page
        assert "R1C100" not in answer.data.decode()
    assert app.test_client().get("/api/races/2030-01-01/R1C1").status_code == 404
    client = _socket(app, store)
    ack = client.emit("get_programme", {"since_version": 0}, namespace=NAMESPACE, callback=True)
    assert ack["ok"] is True, ack
    assert [r["race"] for r in ack["races"]] == good
    client.disconnect(NAMESPACE)


def test_the_watch_loop_closes_and_pushes_the_good_races_past_a_bad_one(db_url):
    app, store, _ = _make(db_url, interval=0.05)
    socketio = app.extensions["socketio"]
    past = _today_programme(minutes_ahead=-65)  # both races are due
    bad = _store_unchecked(store, past, meeting=1, number=100)
    with committed(store) as db:
        good = [r.race_id for r in parse_programme(past)]
        races.import_races(db, parse_programme(past))
    client = _socket(app, store)
    deadline = time.monotonic() + 10
    states: dict = {}
    while time.monotonic() < deadline and set(states) != set(good):
        socketio.sleep(0.05)  # lets the watch loop run
        for event in client.get_received(NAMESPACE):
            if event["name"] == "pool_state":
                states[event["args"][0]["race"]] = event["args"][0]["state"]
    assert states == {race: "closed" for race in good}
    with store.unit_of_work(read_only=True) as uow:
        stored = {race: uow.races.get(race).state for race in [*good, bad]}
    assert stored == {**{race: "closed" for race in good}, bad: "closed"}  # no bet gets in
    client.disconnect(NAMESPACE)


# -- the operator removes or corrects a race -----------------------------------------

def test_a_bad_race_is_removed_and_terminals_are_told(server):
    app, store, admin_auth = server
    doc = _today_programme()
    with committed(store) as db:
        races.import_races(db, parse_programme(doc))
    bad = _store_unchecked(store, doc, meeting=-1, number=100)
    client = _socket(app, store)
    before = client.emit("get_programme", {"since_version": 0}, namespace=NAMESPACE,
                         callback=True)
    assert before["removed"] == []

    http = app.test_client()
    assert http.delete(f"/api/races/{bad}").status_code == 401
    answer = http.delete(f"/api/races/{bad}", headers=admin_auth)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["version"] > before["version"]
    assert http.delete(f"/api/races/{bad}", headers=admin_auth).status_code == 404

    after = client.emit("get_programme", {"since_version": before["version"]},
                        namespace=NAMESPACE, callback=True)
    assert after["removed"] == [bad] and after["races"] == []
    assert after["version"] == answer.get_json()["version"]
    with store.unit_of_work(read_only=True) as db:
        assert races.get_race(db, bad) is None
    assert len(_listed(http)) == 2
    client.disconnect(NAMESPACE)


def test_a_race_with_bets_cannot_be_removed_only_closed(server):
    app, store, admin_auth = server
    doc = _today_programme()
    with committed(store) as db:
        races.import_races(db, parse_programme(doc))
    race = _listed(app.test_client())[0]
    client = _socket(app, store)
    bet = {"uuid": str(uuidlib.uuid4()), "seq": 1, "placed_at": iso_utc(utcnow()),
           "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
           "selections": [1], "bases": [], "unit_stake_cents": 100, "total_cents": 100,
           "offline": False}
    ack = client.emit("place_bets", {"bets": [bet]}, namespace=NAMESPACE, callback=True)
    assert ack["results"][0]["status"] == "accepted", ack
    client.disconnect(NAMESPACE)

    answer = app.test_client().delete(f"/api/races/{race}", headers=admin_auth)
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "race_has_bets"
    assert "close it instead" in answer.get_json()["message"]
    assert race in _listed(app.test_client())
    result = CliRunner().invoke(admin, ["remove-race", race, "--db", app.config["DB"]])
    assert result.exit_code != 0 and "close it instead" in result.output
    assert race in _listed(app.test_client())


def test_remove_race_on_the_command_line(server):
    app, store, _ = server
    doc = _today_programme()
    bad = _store_unchecked(store, doc, meeting=1, number=100)
    result = CliRunner().invoke(admin, ["remove-race", bad, "--db", app.config["DB"]])
    assert result.exit_code == 0, result.output
    assert f"{bad} removed" in result.output
    with store.unit_of_work(read_only=True) as db:
        assert races.removed_since(db, 0) == [bad]
    result = CliRunner().invoke(admin, ["remove-race", bad, "--db", app.config["DB"]])
    assert result.exit_code != 0 and "no race" in result.output


def test_a_damaged_race_is_corrected_by_importing_it_again(server):
    app, store, admin_auth = server
    doc = _today_programme()
    race_id = parse_programme(doc)[0].race_id
    with committed(store) as db:
        races.import_races(db, parse_programme(doc))
    damage(store, "UPDATE races SET card = ? WHERE race_id = ?", '{"race": "?"}', race_id)
    assert race_id not in _listed(app.test_client())
    answer = app.test_client().post("/api/programme", json=doc, headers=admin_auth)
    assert answer.status_code == 200, answer.get_json()
    assert race_id in _listed(app.test_client())
    # a removed race comes back open when imported again
    assert app.test_client().delete(f"/api/races/{race_id}", headers=admin_auth).status_code == 200
    assert race_id not in _listed(app.test_client())
    assert app.test_client().post("/api/programme", json=doc, headers=admin_auth).status_code == 200
    card = app.test_client().get(f"/api/races/{race_id}").get_json()
    assert card["state"] == "open"


def test_the_terminal_drops_the_races_the_server_removed(tmp_path):
    terminal = TerminalStore(tmp_path / "t")
    day = date(2030, 1, 1)
    cards = [{**r.to_dict(), "state": "open", "version": 1}
             for r in parse_programme(sample_programme(day, utcnow().replace(
                 year=2030, month=1, day=1, hour=12), meetings=1, races_per_meeting=2))]
    terminal.programme.save(cards, 1)
    assert len(terminal.programme.races()) == 2
    terminal.programme.save([], 2, removed=[cards[0]["race"], 42])
    assert [race.race_id for race, _ in terminal.programme.races()] == [cards[1]["race"]]
    assert terminal.programme.version == 2
