"""The till end to end: a terminal app in-process (Flask test client) enrolled with a real
central server process. Shift, cash in and out, X and Z reports and their arithmetic,
bounds, the comparison with the server's ledger, clerks' login and lockout, and a
manager's approval of voids and large payouts."""
from __future__ import annotations

import json
import re
import sqlite3
import uuid
from pathlib import Path

import pytest

from terminal_app.app import create_app
from terminal_app.services import clerks as clerks_module
from terminal_app.adapters.database import now_iso
from terminal_app.services.enrolment import enrol
from terminal_app.services.till import paris_day
from terminal_app.web.guard import LISTEN_KEY

from ..helpers import wait_until

PORT = 8701
BASE = f"http://127.0.0.1:{PORT}"


class Counter:
    """One terminal app on its own data folder, driven through its local API."""

    def __init__(self, app, data: Path) -> None:
        self.app, self.data = app, data
        self.services = app.extensions["guichet.terminal"]
        self.token = self.services.store.create_token()
        self.http = app.test_client()

    def api(self, method: str, path: str, body: object = None, token: bool = True):
        headers = {"Authorization": f"Bearer {self.token}"} if token else {}
        answer = self.http.open(path, method=method, json=body, headers=headers,
                                base_url=BASE)
        return answer.status_code, answer.get_json()

    def sell(self, race: str, horse: int, stake: int, payment: str = "cash") -> dict:
        status, bet = self.api("POST", "/api/bets", {
            "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
            "selections": [horse], "bases": [], "unit_stake_cents": stake,
            "payment": payment})
        assert status == 201 and bet["status"] == "accepted", bet
        return bet

    def report_jobs(self) -> list:
        info = self.services.devices.simulator_info()
        return [j for j in info["jobs"] if j["kind"] == "lines"]


def printed(counter: Counter) -> str:
    """The last report as printed, its lines joined again (the paper wraps at 42 columns)."""
    return " ".join(" ".join(counter.report_jobs()[-1]["lines"]).split())


def make_counter(tmp: Path, server, name: str, online: bool = True) -> Counter:
    data = tmp / name
    app = create_app(str(data), {LISTEN_KEY: ("127.0.0.1", PORT)})
    counter = Counter(app, data)
    s = counter.services
    s.store.settings.set(printer=f"sim:till-{uuid.uuid4().hex}")
    s.devices.open_printer()
    if online:
        status, created = server.api("POST", "/api/enrolment-codes", {"outlet": f"Bar {name}"})
        assert status == 201, created
        enrol(s.store, server.url, created["code"])
        s.start_sync()
        wait_until(lambda: s.online and s.store.programme.races(), what="terminal online")
    return counter


@pytest.fixture(scope="module")
def day(programme) -> str:
    return json.loads(programme.read_text())["date"]


@pytest.fixture(scope="module")
def counter(workdir, server):
    c = make_counter(workdir, server, "till")
    yield c
    c.services.stop()


@pytest.fixture
def offline_app(tmp_path):
    """A terminal never enrolled: the till and the login work without a server."""
    c = make_counter(tmp_path, None, "alone", online=False)
    yield c
    c.services.stop()


# -- the shift ----------------------------------------------------------------------------
def test_a_shift_opens_once_counts_cash_and_closes_on_a_z_report(counter, day):
    status, till = counter.api("GET", "/api/till")
    assert status == 200 and till["open"] is False and till["expected_cents"] == 0

    status, refused = counter.api("POST", "/api/till/close", {"counted_cents": 0})
    assert status == 409 and refused["error"] == "no_open_shift"

    status, opened = counter.api("POST", "/api/till/open", {"float_cents": 15_000})
    assert status == 201 and opened["open"] and opened["float_cents"] == 15_000
    status, twice = counter.api("POST", "/api/till/open", {"float_cents": 100})
    assert status == 409 and twice["error"] == "shift_open"

    race = f"{day}/R1C1"
    counter.sell(race, 3, 200)                     # cash 2,00 €
    counter.sell(race, 4, 500)                     # cash 5,00 €
    counter.sell(race, 5, 1_000, payment="card")   # card 10,00 €: not in the drawer
    status, _ = counter.api("POST", "/api/till/cash",
                            {"kind": "in", "amount_cents": 5_000, "reason": "Monnaie"})
    assert status == 200
    status, till = counter.api("POST", "/api/till/cash",
                               {"kind": "out", "amount_cents": 2_000, "reason": "Dépôt banque"})
    assert status == 200
    # 150,00 float + 7,00 cash sales + 50,00 in − 20,00 out = 187,00 €
    assert till["sales_cents"] == 1_700 and till["sales_count"] == 3
    assert till["sales_cash_cents"] == 700 and till["sales_card_cents"] == 1_000
    assert (till["cash_in_cents"], till["cash_out_cents"]) == (5_000, 2_000)
    assert till["expected_cents"] == 18_700
    assert [m["reason"] for m in till["movements"]] == ["Monnaie", "Dépôt banque"]

    status, x = counter.api("POST", "/api/till/x")
    assert status == 200 and x["kind"] == "X" and x["expected_cents"] == 18_700
    assert counter.api("GET", "/api/till")[1]["open"] is True   # an X report closes nothing

    status, z = counter.api("POST", "/api/till/close", {"counted_cents": 18_500})
    assert status == 200 and z["kind"] == "Z"
    for field in ("opened_at", "float_cents", "sales_cents", "cancellations_cents",
                  "payouts_cents", "refunds_cents", "cash_in_cents", "cash_out_cents",
                  "expected_cents", "counted_cents", "difference_cents"):
        assert field in z, field
    assert z["counted_cents"] == 18_500 and z["difference_cents"] == -200   # 2,00 € short
    assert z["print_error"] is None
    text = printed(counter)
    assert "RAPPORT Z" in text and "Écart de caisse : -2,00 €" in text
    assert "Attendu en caisse : 187,00 €" in text
    assert counter.report_jobs()[-1]["barcodes"] == []   # a report is not a ticket

    assert counter.api("GET", "/api/till")[1]["open"] is False
    status, kept = counter.api("GET", "/api/till/reports")
    assert status == 200 and kept["reports"][0]["id"] == z["id"]
    jobs = len(counter.report_jobs())
    status, again = counter.api("POST", f"/api/till/reports/{z['id']}/print")
    assert status == 200 and again["difference_cents"] == -200
    assert len(counter.report_jobs()) == jobs + 1


@pytest.mark.parametrize("path, body, error", [
    ("/api/till/open", {"float_cents": -1}, "bad_amount"),
    ("/api/till/open", {"float_cents": 100_000_001}, "bad_amount"),   # over 1 000 000,00 €
    ("/api/till/open", {"float_cents": "100"}, "bad_amount"),
    ("/api/till/open", {"float_cents": 1.5}, "bad_amount"),
    ("/api/till/open", {"float_cents": True}, "bad_amount"),
    ("/api/till/open", {}, "bad_amount"),
])
def test_a_bad_float_is_refused_and_opens_nothing(offline_app, path, body, error):
    status, answer = offline_app.api("POST", path, body)
    assert status == 422 and answer["error"] == error and "€" in answer["message"]
    assert offline_app.api("GET", "/api/till")[1]["open"] is False


def test_the_largest_float_is_accepted(offline_app):
    status, till = offline_app.api("POST", "/api/till/open", {"float_cents": 100_000_000})
    assert status == 201 and till["expected_cents"] == 100_000_000


@pytest.mark.parametrize("body, error", [
    ({"kind": "in", "amount_cents": 100, "reason": ""}, "bad_reason"),
    ({"kind": "in", "amount_cents": 100, "reason": "   "}, "bad_reason"),
    ({"kind": "in", "amount_cents": 100, "reason": "x" * 201}, "bad_reason"),
    ({"kind": "in", "amount_cents": 100}, "bad_reason"),
    ({"kind": "sideways", "amount_cents": 100, "reason": "x"}, "bad_kind"),
    ({"kind": "out", "amount_cents": 0, "reason": "x"}, "bad_amount"),
    ({"kind": "out", "amount_cents": 100_000_001, "reason": "x"}, "bad_amount"),
])
def test_a_bad_cash_movement_is_refused_and_changes_nothing(offline_app, body, error):
    offline_app.api("POST", "/api/till/open", {"float_cents": 1_000})
    status, answer = offline_app.api("POST", "/api/till/cash", body)
    assert status == 422 and answer["error"] == error
    till = offline_app.api("GET", "/api/till")[1]
    assert till["cash_in_cents"] == till["cash_out_cents"] == 0 and till["expected_cents"] == 1_000


def test_cash_needs_an_open_shift_and_a_reason_of_200_characters_is_kept(offline_app):
    body = {"kind": "out", "amount_cents": 100, "reason": "r" * 200}
    status, answer = offline_app.api("POST", "/api/till/cash", body)
    assert status == 409 and answer["error"] == "no_open_shift"
    offline_app.api("POST", "/api/till/open", {"float_cents": 1_000})
    status, till = offline_app.api("POST", "/api/till/cash", body)
    assert status == 200 and till["expected_cents"] == 900   # 10,00 − 1,00


def test_the_till_api_needs_the_token_or_the_ui_session(offline_app):
    status, answer = offline_app.api("GET", "/api/till", token=False)
    assert status == 401 and answer["error"] == "unauthorized"


def test_a_z_report_offline_says_the_comparison_is_pending(offline_app):
    offline_app.api("POST", "/api/till/open", {"float_cents": 2_000})
    status, z = offline_app.api("POST", "/api/till/close", {"counted_cents": 2_000})
    assert status == 200 and z["difference_cents"] == 0
    assert z["ledger"]["pending"] is True
    # the printer of a terminal not enrolled is the simulator: the report came out
    assert "en attente (serveur central injoignable)" in printed(offline_app)


# -- the server's ledger ------------------------------------------------------------------
def test_a_day_of_sales_a_cancel_and_a_payout_agrees_with_the_server_to_the_cent(
        workdir, server, day):
    c = make_counter(workdir, server, "ledger")
    try:
        c.api("POST", "/api/till/open", {"float_cents": 10_000})
        kept = c.sell(f"{day}/R1C2", 3, 300)             # 3,00 € on the winner
        c.sell(f"{day}/R1C2", 4, 700)                    # 7,00 € on a loser
        cancelled = c.sell(f"{day}/R1C1", 6, 400)        # 4,00 €, cancelled in time
        c.sell(f"{day}/R1C1", 7, 200, payment="card")    # 2,00 € by card
        status, done = c.api("POST", f"/api/tickets/{cancelled['ticket']}/cancel")
        assert status == 200 and done["refund_cents"] == 400
        race = f"{day}/R1C2"
        assert server.api("POST", f"/api/races/{race}/close")[0] == 200
        assert server.api("POST", f"/api/races/{race}/result",
                          {"arrival": [[3], [1], [2], [4]], "official": True})[0] == 200
        status, paid = c.api("POST", f"/api/tickets/{kept['ticket']}/pay")
        assert status == 200 and paid["amount_cents"] > 0
        payout = paid["amount_cents"]

        status, z = c.api("POST", "/api/till/close", {"counted_cents": 0})
        assert status == 200
        # drawer: 100,00 + (3 + 7 + 4) cash sales − 4,00 cancelled − payout
        assert z["expected_cents"] == 10_000 + 1_400 - 400 - payout
        assert z["sales_cents"] == 1_600 and z["sales_count"] == 4
        assert (z["cancellations_cents"], z["cancellations_count"]) == (400, 1)
        assert (z["payouts_cents"], z["payouts_count"]) == (payout, 1)
        ledger = z["ledger"]
        assert ledger["pending"] is False and ledger["differences"] == {}
        assert ledger["server"]["sales_cents"] == 1_600
        assert ledger["server"]["cancellations_cents"] == 400
        assert ledger["server"]["payouts_cents"] == payout
        assert "concorde au centime près" in printed(c)

        # a bet this terminal holds as sold that the server never received
        c.api("POST", "/api/till/open", {"float_cents": 0})
        with sqlite3.connect(c.data / "terminal.db") as db:
            row = db.execute("SELECT * FROM outbox WHERE uuid = ?", (kept["uuid"],)).fetchone()
            names = [d[0] for d in db.execute("SELECT * FROM outbox LIMIT 0").description]
            copy = dict(zip(names, row))
            copy.update(uuid=str(uuid.uuid4()), seq=9_999, ticket="9" * 24,
                        total_cents=1_234, print_job_id=None)
            db.execute(f"INSERT INTO outbox ({', '.join(copy)}) VALUES "
                       f"({', '.join('?' * len(copy))})", tuple(copy.values()))
        status, z = c.api("POST", "/api/till/close", {"counted_cents": 0})
        assert status == 200
        assert z["ledger"]["differences"] == {"sales_cents": 1_234, "sales_count": 1}
        assert "Écart avec le central : Ventes 12,34 €" in printed(c)
    finally:
        c.services.stop()


def test_till_ledger_answers_for_the_connected_terminal_only(counter, day):
    counter.sell(f"{day}/R1C1", 8, 100)
    today = paris_day(now_iso()).isoformat()
    ack = counter.services.link.request("till_ledger", {"day": today, "terminal_id": "T-OTHER"},
                                        5)
    assert ack["ok"] and ack["day"] == today and ack["sales_count"] >= 1   # this terminal's
    for bad in ({"day": "2026-13-01"}, {"day": "yesterday"}, {}, {"day": "1999-01-01"}):
        ack = counter.services.link.request("till_ledger", bad, 5)
        assert ack["ok"] is False and ack["error"] == "bad_request", bad


# -- clerks -----------------------------------------------------------------------------
def _page_token(client, path: str) -> str:
    page = client.get(path, base_url=BASE)
    assert page.status_code == 200, page.status_code
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)


def _login(client, name: str, pin: str, token: str):
    return client.post("/login", base_url=BASE, data={"name": name, "pin": pin,
                                                      "csrf_token": token, "next": "/till"})


def test_without_clerks_no_login_is_asked(offline_app):
    assert offline_app.http.get("/till", base_url=BASE).status_code == 200
    assert offline_app.http.get("/login", base_url=BASE).status_code == 302


def test_once_a_clerk_exists_every_page_but_setup_and_login_needs_one(offline_app):
    client = offline_app.http
    offline_app.services.clerks.add("Paul", "clerk", "2468")
    answer = client.get("/till", base_url=BASE)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert client.get("/diagnostics", base_url=BASE).status_code == 302
    fragment = client.get("/ui/status", base_url=BASE, headers={"HX-Request": "true"})
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"] == "/login"
    assert client.get("/setup", base_url=BASE).status_code == 200
    # the API on the UI's cookie needs the clerk too; with the bearer token it does not
    status = client.get("/api/till", base_url=BASE).status_code
    assert status == 401
    assert offline_app.api("GET", "/api/till")[0] == 200

    token = _page_token(client, "/login")
    assert "Paul (caissier)" in client.get("/login", base_url=BASE).text
    answer = _login(client, "Paul", "2468", token)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/till")
    page = client.get("/till", base_url=BASE)
    assert page.status_code == 200 and "Changer de caissier" in page.text

    # a shift opened in the UI records the clerk
    answer = client.post("/ui/till/open", base_url=BASE, data={"float": "120,50"},
                         headers={"X-CSRFToken": token, "Origin": BASE})
    assert answer.status_code == 200 and "Caisse ouverte" in answer.text
    till = offline_app.api("GET", "/api/till")[1]
    assert till["float_cents"] == 12_050 and till["opened_by"] == "Paul"

    answer = client.post("/logout", base_url=BASE, headers={"X-CSRFToken": token, "Origin": BASE})
    assert answer.status_code == 302
    assert client.get("/till", base_url=BASE).status_code == 302


def test_five_wrong_pins_lock_the_clerk_even_against_the_right_one(offline_app):
    client = offline_app.http
    offline_app.services.clerks.add("Léa", "clerk", "1357")
    token = _page_token(client, "/login")
    for left in (4, 3, 2, 1):
        answer = _login(client, "Léa", "0000", token)
        assert answer.status_code == 401
        assert f"({left} essai{'s' if left > 1 else ''} avant blocage)" in answer.text
    answer = _login(client, "Léa", "0000", token)
    assert answer.status_code == 429 and "bloqué jusqu&#39;à" in answer.text
    assert "heure de Paris" in answer.text
    answer = _login(client, "Léa", "1357", token)                      # right PIN, still locked
    assert answer.status_code == 429
    assert client.get("/till", base_url=BASE).status_code == 302
    # the lock ends after its minutes
    with sqlite3.connect(offline_app.data / "terminal.db") as db:
        db.execute("UPDATE clerks SET locked_until = '2000-01-01T00:00:00Z'")
    assert _login(client, "Léa", "1357", token).status_code == 302


def test_a_disabled_clerk_is_logged_out_and_cannot_log_in(offline_app):
    client = offline_app.http
    clerks = offline_app.services.clerks
    clerks.add("Marie", "manager", "9753")
    clerks.add("Paul", "clerk", "2468")
    token = _page_token(client, "/login")
    assert _login(client, "Paul", "2468", token).status_code == 302
    clerks.disable("Paul")
    assert client.get("/till", base_url=BASE).status_code == 302
    assert _login(client, "Paul", "2468", token).status_code == 401


def test_pins_are_stored_hashed():
    assert clerks_module._hasher.hash("1234") != "1234"


def test_a_pin_is_4_to_8_digits(offline_app):
    clerks = offline_app.services.clerks
    for bad in ("123", "123456789", "12a4", "١٢٣٤", ""):
        with pytest.raises(clerks_module.ClerkError):
            clerks.add(f"X{len(bad)}{bad}", "clerk", bad)
    assert clerks.listed() == []
    clerks.add("Huit", "clerk", "12345678")
    with sqlite3.connect(offline_app.data / "terminal.db") as db:
        stored = db.execute("SELECT pin_hash FROM clerks").fetchone()[0]
    assert "12345678" not in stored and stored.startswith("$argon2id$")


# -- a manager's approval ---------------------------------------------------------------
def test_a_void_needs_a_managers_pin_once_clerks_exist(workdir, server, day):
    c = make_counter(workdir, server, "approval")
    try:
        c.services.clerks.add("Marie", "manager", "9753")
        c.services.clerks.add("Paul", "clerk", "2468")
        bet = c.sell(f"{day}/R1C1", 2, 300)
        path = f"/api/tickets/{bet['ticket']}/cancel"
        status, refused = c.api("POST", path)
        assert status == 403 and refused["error"] == "manager_pin_required"
        status, refused = c.api("POST", path, {"manager_pin": "2468"})   # a clerk's PIN
        assert status == 403 and refused["error"] == "bad_manager_pin"
        assert c.api("POST", f"/api/tickets/{bet['ticket']}/inquire")[1]["status"] == "pending"
        status, done = c.api("POST", path, {"manager_pin": "9753"})
        assert status == 200 and done["refund_cents"] == 300
        assert c.services.clerks.approvals()[0]["manager"] == "Marie"

        # a payout at or below 500,00 € needs no approval: the ticket below is lost,
        # so the server refuses it for that reason, not the till
        c.sell(f"{day}/R1C3", 3, 200)     # someone backs the winner: the pool is not refunded
        lost = c.sell(f"{day}/R1C3", 4, 200)
        big = c.sell(f"{day}/R1C4", 3, 60_000)   # 600,00 € on the winner: paid above 500 €
        race = f"{day}/R1C3"
        assert server.api("POST", f"/api/races/{race}/close")[0] == 200
        assert server.api("POST", f"/api/races/{race}/result",
                          {"arrival": [[3], [1], [2], [4]], "official": True})[0] == 200
        status, refused = c.api("POST", f"/api/tickets/{lost['ticket']}/pay")
        assert status == 409 and refused["error"] == "not_payable"

        # above 500,00 €: the manager's PIN, checked before anything is paid
        race = f"{day}/R1C4"
        assert server.api("POST", f"/api/races/{race}/close")[0] == 200
        assert server.api("POST", f"/api/races/{race}/result",
                          {"arrival": [[3], [1], [2], [4]], "official": True})[0] == 200
        status, refused = c.api("POST", f"/api/tickets/{big['ticket']}/pay")
        assert status == 403 and refused["error"] == "manager_pin_required"
        info = c.api("POST", f"/api/tickets/{big['ticket']}/inquire")[1]
        assert info["can_pay"] and info["amount_cents"] > 50_000
        status, paid = c.api("POST", f"/api/tickets/{big['ticket']}/pay",
                             {"manager_pin": "9753"})
        assert status == 200 and paid["amount_cents"] == info["amount_cents"]
        assert c.services.clerks.approvals()[0]["op"] == "pay"
    finally:
        c.services.stop()


def test_wrong_manager_pins_lock_approvals(offline_app):
    clerks = offline_app.services.clerks
    clerks.add("Marie", "manager", "9753")
    for _ in range(4):
        with pytest.raises(clerks_module.ClerkError) as wrong:
            clerks.approve("cancel", "1" * 24, "0000")
        assert wrong.value.code == "bad_manager_pin"
    with pytest.raises(clerks_module.ClerkError) as locked:
        clerks.approve("cancel", "1" * 24, "0000")
    assert locked.value.code == "locked"
    with pytest.raises(clerks_module.ClerkError) as still:
        clerks.approve("cancel", "1" * 24, "9753")
    assert still.value.code == "locked"
