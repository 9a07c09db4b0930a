"""The fleet page of the back office and its JSON API: the live list with what the
heartbeat reports, enrolment codes and their receipts, disable / enable, key
renewal and replacement (same terminal id, old key dead at once, sequence
numbers go on); in-process on a fresh store of each kind."""
from __future__ import annotations

import html
import re
import time
import uuid as uuidlib
from datetime import timedelta

import pytest

from betting.protocol import NAMESPACE, connect_signature
from guichet.clock import utcnow
from server.services import fleet, races
from server.services.programme_import import parse_programme, sample_programme
from tests.admin_support import AdminClient, make_app, token_for
from tests.server_store import committed


@pytest.fixture
def app(db_url):
    app = make_app(db_url)
    app.testing = True
    return app


@pytest.fixture
def store(app):
    return app.extensions["guichet.store"]


@pytest.fixture
def tech(app):
    return AdminClient(app, "technician", "tess")


def enrol(store, outlet: str = "Bar du Marché") -> tuple[str, bytes]:
    with committed(store) as uow:
        code = fleet.create_enrolment_code(uow, outlet, utcnow())["code"]
        done = fleet.enrol(uow, code, utcnow())
    return done["terminal_id"], bytes.fromhex(done["key"])


_last_ts: dict[str, int] = {}


def connect(app, terminal_id: str, key: bytes):
    ts = max(int(time.time()), _last_ts.get(terminal_id, 0) + 1)
    _last_ts[terminal_id] = ts
    auth = {"terminal_id": terminal_id, "ts": ts, "sig": connect_signature(terminal_id, ts, key)}
    return app.extensions["socketio"].test_client(app, namespace=NAMESPACE, auth=auth)


def call(client, event, payload):
    return client.emit(event, payload, namespace=NAMESPACE, callback=True)


def pushed(client, name):
    return [m["args"][0] for m in client.queue
            if m["namespace"] == NAMESPACE and m["name"] == name]


def namespace(app):
    return app.extensions["socketio"].server.namespace_handlers[NAMESPACE]


def stored(store, terminal_id):
    with store.unit_of_work(read_only=True) as uow:
        return uow.terminals.get(terminal_id)


def row_of(page: bytes, terminal_id: str) -> str:
    text = page.decode()
    found = re.search(rf'<tr data-terminal="{terminal_id}".*?</tr>', text, re.S)
    assert found, f"no row for {terminal_id}"
    return found.group(0)


def cell(row: str, role: str) -> str:
    found = re.search(rf'data-role="{role}"[^>]*>(.*?)</td>', row, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def audit_actions(store) -> list[tuple[str, str, str]]:
    with store.unit_of_work(read_only=True) as uow:
        return [(e.actor, e.action, e.subject) for e in uow.audit.entries(limit=1000)]


def pending(store) -> list[dict]:
    with store.unit_of_work(read_only=True) as uow:
        return fleet.pending_codes(uow, utcnow())


def code_of(page: bytes) -> str:
    return re.search(rb'data-code="(\d{12})"', page).group(1).decode()


# -- the live list ---------------------------------------------------------------

def test_the_page_shows_what_the_heartbeat_reports(app, store, tech):
    terminal_id, key = enrol(store)
    client = connect(app, terminal_id, key)
    ahead_ms = 5000
    beat = call(client, "heartbeat", {
        "queue_depth": 3, "provisional": 2, "version": "1.4.2",
        "printer": {"state": "paper_out", "message": "Plus de papier", "can_print": False},
        "clock_ms": int(time.time() * 1000) + ahead_ms})
    assert beat["ok"] is True
    assert namespace(app).flush_heartbeats() == 1
    saved = stored(store, terminal_id)
    assert (saved.queue_depth, saved.provisional, saved.version) == (3, 2, "1.4.2")
    assert ahead_ms - 2000 < saved.clock_offset_ms <= ahead_ms

    row = row_of(tech.get("/admin/fleet").data, terminal_id)
    assert 'data-state="online"' in row and "Bar du Marché" in row
    assert cell(row, "queue-depth") == "3"
    assert cell(row, "provisional") == "2"
    assert cell(row, "version") == "1.4.2"
    assert cell(row, "printer") == "Plus de papier"
    assert re.fullmatch(r"\+[45],\d s \(écart\)", cell(row, "clock-offset"))
    assert "(heure de Paris)" in tech.get("/admin/fleet").data.decode()
    # the fragment the page polls says the same
    assert cell(row_of(tech.get("/admin/fleet/live").data, terminal_id), "provisional") == "2"


def test_an_older_terminal_or_bad_fields_leave_the_new_columns_unknown(app, store, tech):
    terminal_id, key = enrol(store)
    client = connect(app, terminal_id, key)
    for payload in ({"queue_depth": 1},
                    {"queue_depth": 1, "provisional": -1, "clock_ms": True},
                    {"queue_depth": 1, "provisional": "7", "clock_ms": 10**30},
                    {"queue_depth": 1, "provisional": 10**12, "clock_ms": "now"}):
        assert call(client, "heartbeat", payload)["ok"] is True
        namespace(app).flush_heartbeats()
        saved = stored(store, terminal_id)
        assert (saved.queue_depth, saved.provisional, saved.clock_offset_ms) == (1, None, None)
    row = row_of(tech.get("/admin/fleet").data, terminal_id)
    assert cell(row, "provisional") == "—" and cell(row, "clock-offset") == "—"


def test_offline_first_and_filters_by_outlet_and_state(app, store, tech):
    online = enrol(store, "Café de la Gare")
    enrol(store, "Tabac du Port")  # never connected: offline
    disabled = enrol(store, "Bar de la Gare")
    with committed(store) as uow:
        fleet.set_disabled(uow, disabled[0], True)
    connect(app, *online)
    page = tech.get("/admin/fleet").data.decode()
    order = re.findall(r'<tr data-terminal="(T\d+)" data-state="(\w+)"', page)
    assert [state for _, state in order] == ["offline", "disabled", "online"]
    assert "3 terminaux : 1 hors ligne, 1 désactivé, 1 en ligne" in page

    gare = tech.get("/admin/fleet?outlet=GARE").data.decode()
    assert sorted(re.findall(r'data-state="(\w+)"', gare)) == ["disabled", "online"]
    only_online = tech.get("/admin/fleet/live?state=online").data.decode()
    assert re.findall(r'<tr data-terminal="(T\d+)"', only_online) == [online[0]]

    api = app.test_client().get("/api/fleet?state=offline",
                                headers={"Authorization": f"Bearer {token_for(app)}"}).json
    assert [t["outlet"] for t in api["terminals"]] == ["Tabac du Port"]
    assert api["counts"] == {"offline": 1, "disabled": 1, "online": 1}
    bad = app.test_client().get("/api/fleet?state=lost",
                                headers={"Authorization": f"Bearer {token_for(app)}"})
    assert bad.status_code == 400
    # a bad filter on the page is said in French and ignored
    shown = html.unescape(tech.get("/admin/fleet?state=lost").data.decode())
    assert "Filtre d'état inconnu" in shown and shown.count("<tr data-terminal=") == 3


# -- enrolment codes and receipts -------------------------------------------------

def test_a_technician_creates_a_code_and_prints_its_receipt_with_a_qr(app, store, tech):
    answer = tech.post("/admin/fleet/codes", {"outlet": "  Bar   des Sports "})
    assert answer.status_code == 302
    receipt = tech.get(answer.headers["Location"])
    assert receipt.status_code == 200
    code = code_of(receipt.data)
    text = receipt.data.decode()
    assert " ".join([code[:4], code[4:8], code[8:]]) in text  # big grouped digits
    assert re.search(r'<svg role="img" aria-label="Code QR[^"]*" xmlns="http://www.w3.org/2000/svg"',
                     text)
    assert "Bar des Sports" in text and "(heure de Paris)" in text
    # listed as pending, without the code itself
    listed = pending(store)
    assert [(c["outlet"], c["purpose"]) for c in listed] == [("Bar des Sports", "enrol")]
    page = tech.get("/admin/fleet").data.decode()
    assert "Bar des Sports" in page and code not in page
    assert ("user:tess", "terminal.enrolment_code", "Bar des Sports") in audit_actions(store)
    # the API gives the same receipt, QR included
    token = {"Authorization": f"Bearer {token_for(app, 'tess')}"}
    api = app.test_client().get(f"/api/enrolment-codes/{listed[0]['receipt']}", headers=token)
    assert api.json["code"] == code and api.json["qr_svg"].startswith("<svg ")
    assert "code" not in app.test_client().get("/api/enrolment-codes",
                                               headers=token).json["codes"][0]
    # once used, the code leaves the list and its receipt is gone
    assert app.test_client().post("/api/enrol", json={"code": code}).status_code == 201
    assert pending(store) == []
    assert tech.get(answer.headers["Location"]).status_code == 404


@pytest.mark.parametrize("outlet", ["", "   ", "x" * 101, "Bar\x00du coin"])
def test_a_bad_outlet_is_refused_in_french_and_creates_nothing(app, store, tech, outlet):
    before = audit_actions(store)
    answer = tech.post("/admin/fleet/codes", {"outlet": outlet})
    assert answer.status_code == 400
    said = html.unescape(answer.data.decode())
    assert "Saisissez le nom du point de vente" in said and "aucun code n'a été créé" in said
    assert pending(store) == []
    assert audit_actions(store) == before


def test_an_auditor_sees_no_fleet_and_changes_nothing(app, store):
    terminal_id, _ = enrol(store)
    auditor = AdminClient(app, "auditor", "audrey")
    token = {"Authorization": f"Bearer {token_for(app, 'audrey')}"}
    before = audit_actions(store)
    assert auditor.get("/admin/fleet").status_code == 403
    assert auditor.post("/admin/fleet/codes", {"outlet": "Bar"}).status_code == 403
    for action in ("disable", "rotate", "replace"):
        assert auditor.post(f"/admin/fleet/terminals/{terminal_id}/{action}").status_code == 403
    assert app.test_client().post(f"/api/terminals/{terminal_id}/replace",
                                  headers=token).status_code == 403
    assert stored(store, terminal_id).disabled is False
    assert pending(store) == []
    assert audit_actions(store) == before


# -- disable / enable ---------------------------------------------------------------

def test_disable_asks_for_confirmation_then_cuts_the_terminal_off(app, store, tech):
    terminal_id, key = enrol(store)
    client = connect(app, terminal_id, key)
    confirm = tech.get(f"/admin/fleet/terminals/{terminal_id}/disable")
    assert confirm.status_code == 200 and "Confirmer" in confirm.data.decode()
    assert stored(store, terminal_id).disabled is False  # asking changes nothing

    done = tech.post(f"/admin/fleet/terminals/{terminal_id}/disable")
    assert done.status_code == 302
    assert stored(store, terminal_id).disabled is True
    assert pushed(client, "disabled") and not client.is_connected(NAMESPACE)
    assert "Terminal " + terminal_id in tech.get("/admin/fleet").data.decode()

    tech.post(f"/admin/fleet/terminals/{terminal_id}/enable")
    assert stored(store, terminal_id).disabled is False
    actions = [(who, what) for who, what, subject in audit_actions(store) if subject == terminal_id]
    assert ("user:tess", "terminal.disable") in actions
    assert ("user:tess", "terminal.enable") in actions


def test_unknown_terminal_or_action_is_a_french_404(app, store, tech):
    terminal_id, _ = enrol(store)
    assert "Terminal inconnu" in tech.post("/admin/fleet/terminals/T999999/disable").data.decode()
    assert tech.post("/admin/fleet/terminals/T999999/disable").status_code == 404
    assert tech.post(f"/admin/fleet/terminals/{terminal_id}/explode").status_code == 404
    assert tech.get("/admin/fleet/codes/0123456789abcdef").status_code == 404
    assert stored(store, terminal_id).disabled is False


# -- key renewal and replacement ------------------------------------------------------

def _programme(store) -> str:
    now = utcnow()
    doc = sample_programme(now.date(), now + timedelta(hours=1))
    with committed(store) as uow:
        races.import_races(uow, parse_programme(doc))
    return f"{doc['date']}/R1C1"


def _bet(race: str, seq: int) -> dict:
    return {"uuid": str(uuidlib.uuid4()), "seq": seq,
            "placed_at": utcnow().isoformat().replace("+00:00", "Z"), "race": race,
            "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE", "selections": [3], "bases": [],
            "unit_stake_cents": 300, "total_cents": 300, "offline": False}


def test_replacement_keeps_the_terminal_revokes_the_old_key_and_goes_on_with_seq(app, store, tech):
    race = _programme(store)
    terminal_id, old_key = enrol(store, "Bar du Stade")
    old = connect(app, terminal_id, old_key)
    sold = call(old, "place_bets", {"bets": [_bet(race, 1), _bet(race, 2)]})
    assert [r["status"] for r in sold["results"]] == ["accepted", "accepted"]
    old_ticket = sold["results"][0]["ticket"]

    answer = tech.post(f"/admin/fleet/terminals/{terminal_id}/replace")
    receipt = tech.get(answer.headers["Location"]).data
    assert f"remplacement de {terminal_id}" in receipt.decode()
    assert old.is_connected(NAMESPACE)  # the old key works until the code is used

    new = app.test_client().post("/api/enrol", json={"code": code_of(receipt)})
    assert new.status_code == 201
    assert (new.json["terminal_id"], new.json["outlet"], new.json["next_seq"]) == \
        (terminal_id, "Bar du Stade", 3)
    assert new.json["rekeyed"] is True and "live_sid" not in new.json
    new_key = bytes.fromhex(new.json["key"])
    assert new_key != old_key
    # the socket opened with the old key is cut off at once; the old key is refused
    assert pushed(old, "disabled") and not old.is_connected(NAMESPACE)
    assert not connect(app, terminal_id, old_key).is_connected(NAMESPACE)

    fresh = connect(app, terminal_id, new_key)
    assert fresh.is_connected(NAMESPACE)
    more = call(fresh, "place_bets", {"bets": [_bet(race, 3)]})
    assert more["results"][0]["status"] == "accepted"
    # tickets sold before the replacement stay known (their MAC is the old key's)
    assert call(fresh, "inquire_ticket", {"ticket": old_ticket})["status"] == "pending"
    assert call(fresh, "inquire_ticket", {"ticket": more["results"][0]["ticket"]})["ok"] is True
    with store.unit_of_work(read_only=True) as uow:
        assert uow.terminals.get(terminal_id).outlet == "Bar du Stade"
        assert [s for s in (1, 2, 3) if uow.bets.by_seq(terminal_id, s)] == [1, 2, 3]
    actions = [what for _, what, subject in audit_actions(store) if subject == terminal_id]
    assert actions[-2:] == ["terminal.rekey_code", "terminal.rekey"]


def test_a_renewal_code_serves_only_its_terminal(app, store, tech):
    mine, _ = enrol(store, "Bar A")
    other, _ = enrol(store, "Bar B")
    answer = tech.post(f"/admin/fleet/terminals/{mine}/rotate")
    code = code_of(tech.get(answer.headers["Location"]).data)
    http = app.test_client()
    refused = http.post("/api/enrol", json={"code": code, "terminal_id": other})
    assert refused.status_code == 409 and refused.json["error"] == "wrong_terminal"
    assert http.post("/api/enrol", json={"code": code, "terminal_id": "nope"}).status_code == 400
    done = http.post("/api/enrol", json={"code": code, "terminal_id": mine})  # not used up above
    assert done.status_code == 201 and done.json["terminal_id"] == mine
    # a code for a new terminal is not for one already enrolled
    with committed(store) as uow:
        fresh = fleet.create_enrolment_code(uow, "Bar C", utcnow())["code"]
    assert http.post("/api/enrol", json={"code": fresh, "terminal_id": mine}).json["error"] \
        == "wrong_terminal"


def test_a_newer_renewal_code_ends_the_pending_one(app, store, tech):
    terminal_id, _ = enrol(store)
    first = code_of(tech.get(tech.post(f"/admin/fleet/terminals/{terminal_id}/rotate")
                             .headers["Location"]).data)
    token = {"Authorization": f"Bearer {token_for(app, 'tess')}"}
    second = app.test_client().post(f"/api/terminals/{terminal_id}/replace", headers=token)
    assert second.status_code == 201 and second.json["purpose"] == "replace"
    assert [c["purpose"] for c in pending(store)] == ["replace"]
    assert app.test_client().post("/api/enrol", json={"code": first}).json["error"] \
        == "code_expired"
    assert app.test_client().post("/api/terminals/T999999/rotate-key",
                                  headers=token).status_code == 404


def test_the_watch_loop_drops_a_socket_opened_with_a_replaced_key(app, store):
    """Re-keyed by a process that could not reach this socket: the watch loop cuts it."""
    terminal_id, key = enrol(store)
    client = connect(app, terminal_id, key)
    with committed(store) as uow:
        code = fleet.create_rekey_code(uow, terminal_id, "rotate", utcnow())["code"]
        fleet.enrol(uow, code, utcnow(), terminal_id)
    assert client.is_connected(NAMESPACE)
    assert namespace(app).drop_disabled() == 1
    assert not client.is_connected(NAMESPACE)
    assert "clé de ce terminal a été renouvelée" in pushed(client, "disabled")[0]["message"]


# -- the terminal's side: `guichet enrol --code` with a renewal or replacement code ---

def test_guichet_enrol_renews_a_key_only_when_safe_and_a_replacement_goes_on_with_seq(tmp_path):
    """Real server process and CLI: on the same machine the renewal waits for a
    stopped terminal and an empty outbox; a new machine continues the sequence."""
    import fcntl

    from betting.bets import make_request, price_bet
    from terminal_app.adapters.database import LOCK_NAME
    from terminal_app.adapters.store import TerminalStore
    from tests.helpers import run_cli, start_server, write_sample_programme
    from tests.integration.socket_client import connect as connect_to, terminal_credentials

    doc = write_sample_programme(tmp_path / "programme.json")
    race_id = f"{doc['date']}/R1C1"
    server = start_server(tmp_path, tmp_path / "programme.json")
    try:
        code = server.api("POST", "/api/enrolment-codes", {"outlet": "Bar du Pont"})[1]["code"]
        first = tmp_path / "first"
        run_cli("enrol", "--server", server.url, "--code", code, "--data", str(first))
        terminal_id, old_key = terminal_credentials(first)
        client = connect_to(server.url, terminal_id, old_key)
        try:
            sold = client.call("place_bets", {"bets": [_bet(race_id, 1), _bet(race_id, 2)]},
                               namespace=NAMESPACE, timeout=10)
        finally:
            client.disconnect()
        assert [r["status"] for r in sold["results"]] == ["accepted", "accepted"]

        status, renewal = server.api("POST", f"/api/terminals/{terminal_id}/rotate-key")
        assert status == 201
        renew = ["enrol", "--server", server.url, "--code", renewal["code"], "--data", str(first)]
        with open(first / LOCK_NAME, "w") as running:  # as a running terminal holds it
            fcntl.flock(running, fcntl.LOCK_EX | fcntl.LOCK_NB)
            refused = run_cli(*renew, check=False)
        assert refused.returncode != 0 and "stop the terminal first" in refused.stderr

        # a bet still in the outbox (priced on the server's own race card)
        card = server.api("GET", f"/api/races/{race_id}", token=None)[1]
        store = TerminalStore(first)
        store.programme.save([{k: v for k, v in card.items() if k not in ("ok", "pools")}], 1)
        race, _ = store.programme.race(race_id)
        store.outbox.add(price_bet(make_request({
            "race": race_id, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
            "selections": [3], "bases": [], "unit_stake_cents": 300}), race))
        refused = run_cli(*renew, check=False)
        assert refused.returncode != 0 and "outbox" in refused.stderr
        assert TerminalStore(first).settings.key == old_key  # nothing saved, code not used

        status, replacement = server.api("POST", f"/api/terminals/{terminal_id}/replace")
        spare = tmp_path / "spare"
        done = run_cli("enrol", "--server", server.url, "--code", replacement["code"],
                       "--data", str(spare))
        assert f"enrolled as {terminal_id} (Bar du Pont) with a new key" in done.stdout
        taken = TerminalStore(spare)
        assert taken.settings.get("terminal_id") == terminal_id
        assert taken.settings.key not in (b"", old_key)
        taken.programme.save([{k: v for k, v in card.items() if k not in ("ok", "pools")}], 1)
        race, _ = taken.programme.race(race_id)
        entry = taken.outbox.add(price_bet(make_request({
            "race": race_id, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
            "selections": [3], "bases": [], "unit_stake_cents": 300}), race))
        assert entry["seq"] == 3
        # the first machine's key is dead: its connection is refused
        with pytest.raises(Exception):
            connect_to(server.url, terminal_id, old_key)
    finally:
        server.proc.stop()
