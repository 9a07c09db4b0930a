"""Back office « Rapports » (in-process server, one store per test, both kinds): a day of
sales, a cancellation, a payout and a refused provisional bet on three terminals in two
outlets, counted by terminal and by outlet on screen, as CSV and through the API; Z
reports sent over the socket, stored once, under the connection's terminal only, and
compared with the ledger; the stakes before the off; who may read them."""
from __future__ import annotations

import csv
import json
import io
import uuid as uuidlib
from datetime import timedelta

import pytest

from betting.errors import ProtocolError
from betting.protocol import NAMESPACE
from guichet.clock import utcnow
from server.services import fleet, races, reports
from server.services.programme_import import parse_programme
from tests.admin_support import AdminClient, add_user, make_app, token_for
from tests.server_store import committed, count_rows

from .socket_client import in_process_client


def iso(moment) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def programme(day: str, posts: list[str]) -> dict:
    return {"format": "guichet-programme", "version": 1, "date": day, "meetings": [
        {"number": 1, "venue": "VINCENNES", "races": [
            {"number": n, "name": f"PRIX DES RAPPORTS {n}", "post_time": post,
             "runners": [{"number": r, "name": f"CHEVAL {r}"} for r in range(1, 11)],
             "bet_types": [{"bet_type": "SIMPLE_GAGNANT", "base_stake_cents": 100}]}
            for n, post in enumerate(posts, start=1)]}]}


class Day:
    """Three terminals: T_A and T_B at « Bar A », T_C at « Tabac B »; R1C1 runs in about
    10 minutes, R1C2 in about 20."""

    def __init__(self, db_url: str) -> None:
        self.app = make_app(db_url)
        self.store = self.app.extensions["guichet.store"]
        now = utcnow()
        self.day = reports.paris_today(now)
        first = now.replace(second=0, microsecond=0) + timedelta(minutes=11)
        self.r1, self.r2 = f"{self.day}/R1C1", f"{self.day}/R1C2"
        self.terminals = {}
        with committed(self.store) as uow:
            races.import_races(uow, parse_programme(programme(
                self.day.isoformat(), [iso(first), iso(first + timedelta(minutes=10))])))
            for name, outlet in (("A", "Bar A"), ("B", "Bar A"), ("C", "Tabac B")):
                code = fleet.create_enrolment_code(uow, outlet, now)["code"]
                got = fleet.enrol(uow, code, now)
                self.terminals[name] = (got["terminal_id"], bytes.fromhex(got["key"]))
        self.token = token_for(self.app)
        self.http = self.app.test_client()
        self.seq = {name: 0 for name in self.terminals}
        self.clients = {}

    def tid(self, name: str) -> str:
        return self.terminals[name][0]

    def client(self, name: str):
        if name not in self.clients:
            self.clients[name] = in_process_client(self.app, *self.terminals[name])
        return self.clients[name]

    def ask(self, name: str, event: str, payload: object) -> dict:
        return self.client(name).emit(event, payload, namespace=NAMESPACE, callback=True)

    def sell(self, name: str, race: str, horse: int, cents: int, offline: bool = False) -> dict:
        self.seq[name] += 1
        bet = {"uuid": str(uuidlib.uuid4()), "seq": self.seq[name], "placed_at": iso(utcnow()),
               "race": race, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE",
               "selections": [horse], "bases": [], "unit_stake_cents": cents,
               "total_cents": cents, "offline": offline}
        ack = self.ask(name, "place_bets", {"bets": [bet]})
        assert ack["ok"], ack
        return ack["results"][0]

    def pay(self, name: str, ticket: str) -> int:
        ack = self.ask(name, "pay_ticket", {"ticket": ticket, "payment_uuid": str(uuidlib.uuid4())})
        assert ack["ok"], ack
        return ack["amount_cents"]

    def api(self, path: str, token: str | None = None):
        answer = self.http.get(path, headers={"Authorization": f"Bearer {token or self.token}"})
        return answer.status_code, answer.get_json()

    def admin(self, method: str, path: str, body: object = None):
        answer = self.http.open(path, method=method, json=body,
                                headers={"Authorization": f"Bearer {self.token}"})
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()


@pytest.fixture
def world(db_url):
    """The day's operations, figures by hand:

    T_A sells 2,00 € (horse 3), 5,00 € (horse 4) and 3,00 € (horse 5) on R1C1, and
        cancels the 3,00 €: sales 3 / 10,00 €, cancellations 1 / 3,00 €;
    T_B sells 10,00 € on horse 3: sales 1 / 10,00 €;
    T_C sells 4,00 € on horse 6, then, R1C2 being closed by the operator, a provisional
        2,00 € sold offline that the server refuses (pool_closed, refund 2,00 €) and T_C
        pays back: sales 2 / 6,00 €, refunds 1 / 2,00 €, refused provisional 1 / 2,00 €;
    R1C1 closes, horse 3 wins, T_A is paid its 2,00 € ticket: payouts 1 / P (the
        dividend's, read from the payment).
    """
    w = Day(db_url)
    w.kept = w.sell("A", w.r1, 3, 200)
    w.sell("A", w.r1, 4, 500)
    cancelled = w.sell("A", w.r1, 5, 300)
    assert w.ask("A", "cancel_ticket", {"ticket": cancelled["ticket"]})["refund_cents"] == 300
    w.sell("B", w.r1, 3, 1_000)
    w.sell("C", w.r1, 6, 400)
    w.admin("POST", f"/api/races/{w.r2}/close")
    refused = w.sell("C", w.r2, 1, 200, offline=True)
    assert refused["status"] == "rejected" and refused["reason"] == "pool_closed"
    assert w.pay("C", refused["ticket"]) == 200
    w.admin("POST", f"/api/races/{w.r1}/close")
    w.admin("POST", f"/api/races/{w.r1}/result", {"arrival": [[3], [1], [2]], "official": True})
    w.payout = w.pay("A", w.kept["ticket"])
    assert w.payout >= 200
    yield w
    for client in w.clients.values():
        client.disconnect(namespace=NAMESPACE)


def figures(row: dict) -> dict:
    return {f: (row[f"{f}_count"], row[f"{f}_cents"]) for f in reports.FIGURES}


def test_the_day_counts_each_terminal_and_outlet_as_computed_by_hand(world):
    status, by_terminal = world.api(f"/api/reports?day={world.day}")
    assert status == 200 and by_terminal["by"] == "terminal"
    rows = {r["terminal_id"]: r for r in by_terminal["rows"]}
    a, b, c = world.tid("A"), world.tid("B"), world.tid("C")
    assert figures(rows[a]) == {"sales": (3, 1_000), "cancellations": (1, 300),
                                "payouts": (1, world.payout), "refunds": (0, 0),
                                "rejected": (0, 0)}
    assert figures(rows[b]) == {"sales": (1, 1_000), "cancellations": (0, 0),
                                "payouts": (0, 0), "refunds": (0, 0), "rejected": (0, 0)}
    assert figures(rows[c]) == {"sales": (2, 600), "cancellations": (0, 0), "payouts": (0, 0),
                                "refunds": (1, 200), "rejected": (1, 200)}
    # solde: 10,00 − 3,00 − P for T_A; 6,00 − 2,00 for T_C
    assert rows[a]["net_cents"] == 1_000 - 300 - world.payout and rows[c]["net_cents"] == 400
    assert rows[a]["outlet"] == "Bar A" and rows[c]["outlet"] == "Tabac B"

    status, by_outlet = world.api(f"/api/reports?day={world.day}&by=outlet")
    outlets = {r["outlet"]: r for r in by_outlet["rows"]}
    assert set(outlets) == {"Bar A", "Tabac B"}
    assert sorted(outlets["Bar A"]["terminals"]) == sorted([a, b])
    assert figures(outlets["Bar A"]) == {"sales": (4, 2_000), "cancellations": (1, 300),
                                         "payouts": (1, world.payout), "refunds": (0, 0),
                                         "rejected": (0, 0)}
    assert by_outlet["totals"]["sales_cents"] == 2_600 and by_outlet["totals"]["sales_count"] == 6
    assert by_outlet["totals"] == by_terminal["totals"]

    # the till's own question about T_A's day gives the same figures (one definition)
    with world.store.unit_of_work(read_only=True) as uow:
        till = reports.till_ledger.terminal_day(uow, a, world.day)
    assert (till["sales_count"], till["payouts_cents"]) == (3, world.payout)

    # another day has nothing; a bad day or grouping is refused
    assert world.api(f"/api/reports?day={world.day - timedelta(days=1)}")[1]["rows"] == []
    for query in ("day=2026-13-01", "day=hier", "by=race", "day=1999-01-01"):
        status, refused = world.api(f"/api/reports?{query}")
        assert status == 400 and refused["error"] == "bad_request", query


def test_the_csv_parses_and_sums_to_the_day(world):
    viewer = AdminClient(world.app, "auditor")
    answer = viewer.get(f"/admin/reports.csv?day={world.day}&by=terminal")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == \
        f'attachment; filename="guichet-rapport-{world.day}-terminal.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 3 and {r["Terminal"] for r in rows} == set(
        world.tid(n) for n in "ABC")
    assert sum(int(r["Ventes (centimes)"]) for r in rows) == 2_600
    assert sum(int(r["Ventes (nombre)"]) for r in rows) == 6
    assert sum(int(r["Annulations (centimes)"]) for r in rows) == 300
    assert sum(int(r["Paiements (centimes)"]) for r in rows) == world.payout
    assert sum(int(r["Remboursements (centimes)"]) for r in rows) == 200
    assert sum(int(r["Provisoires refusés (nombre)"]) for r in rows) == 1
    assert sum(int(r["Solde (centimes)"]) for r in rows) == 2_600 - 300 - world.payout - 200

    by_outlet = viewer.get(f"/admin/reports.csv?day={world.day}&by=outlet")
    rows = list(csv.DictReader(io.StringIO(by_outlet.data.decode("utf-8-sig")), delimiter=";"))
    assert [r["Point de vente"] for r in rows] == ["Bar A", "Tabac B"]
    assert [int(r["Ventes (centimes)"]) for r in rows] == [2_000, 600]
    assert viewer.get("/admin/reports.csv?day=demain").status_code == 400


def z_message(report_id: str, day, **figures_given) -> dict:
    base = {f"{f}_{u}": 0 for f in reports.LEDGER_FIGURES for u in ("count", "cents")}
    base.update(figures_given)
    now = utcnow()
    return {"report_id": report_id, "day": day.isoformat(), "figures": base,
            "shift": {"id": 1, "opened_at": iso(now - timedelta(hours=8)), "closed_at": iso(now),
                      "float_cents": 10_000, "sales_cash_cents": 1_000, "sales_card_cents": 0,
                      "expected_cents": 10_000, "counted_cents": 9_950}}


def test_z_reports_are_kept_once_as_the_connection_s_terminal_and_differences_show(world):
    a, c = world.tid("A"), world.tid("C")
    # T_A agrees with the ledger to the cent
    agree = z_message("za-1", world.day, sales_count=3, sales_cents=1_000,
                      cancellations_count=1, cancellations_cents=300,
                      payouts_count=1, payouts_cents=world.payout)
    first = world.ask("A", "z_report", agree)
    assert first == {"ok": True, "report_id": "za-1", "day": world.day.isoformat(),
                     "stored": True}
    again = world.ask("A", "z_report", {**agree, "figures": {**agree["figures"],
                                                             "sales_cents": 1}})
    assert again["ok"] and again["stored"] is False        # a resend changes nothing
    # T_C forgot its refund, and claims to be T_A with T_A's report id: it stays T_C's
    claim = z_message("za-1", world.day, sales_count=2, sales_cents=600)
    claim["terminal_id"] = a
    assert world.ask("C", "z_report", claim)["stored"] is True
    assert count_rows(world.store, "z_reports") == 2

    status, compared = world.api(f"/api/reports/z?day={world.day}")
    assert status == 200
    rows = {r["terminal_id"]: r for r in compared["terminals"]}
    assert rows[a]["status"] == "ok" and rows[a]["differences"] == {}
    assert rows[a]["terminal"]["sales_cents"] == 1_000           # the first copy, kept
    assert rows[c]["status"] == "ecart" and rows[c]["status_label"] == "écart"
    assert rows[c]["differences"] == {"refunds_count": -1, "refunds_cents": -200}
    assert rows[c]["z"]["cash_difference_cents"] == -50
    assert rows[world.tid("B")]["status"] == "missing"
    assert compared["summary"] == {"ok": 1, "ecart": 1, "missing": 1}

    # on screen: the row of T_C is marked and says « écart »
    page = AdminClient(world.app, "auditor").get(f"/admin/reports?day={world.day}").text
    row_c = page.split(f'data-terminal="{c}"')[1].split("</tr>")[0]
    assert 'class="ecart"' in row_c and "écart" in row_c and "-2,00 €" in row_c
    row_a = page.split(f'data-terminal="{a}"')[1].split("</tr>")[0]
    assert 'class="ecart"' not in row_a and "concorde" in row_a


def test_a_terminal_cannot_fill_the_store_with_z_reports(store, monkeypatch):
    """Past the day's bound a new report is refused and nothing is stored; a resend of
    one already kept is still answered as before."""
    monkeypatch.setattr(reports, "MAX_Z_PER_DAY", 3)
    now = utcnow()
    day = reports.paris_today(now)
    for n in range(3):
        with committed(store) as uow:
            assert reports.store_z_report(uow, "T000007", z_message(f"z-{n}", day), now)["stored"]
    with committed(store) as uow:
        with pytest.raises(ProtocolError, match="at most 3 Z reports"):
            reports.store_z_report(uow, "T000007", z_message("z-3", day), now)
    with committed(store) as uow:
        assert reports.store_z_report(uow, "T000007", z_message("z-1", day), now) == \
            {"report_id": "z-1", "day": day.isoformat(), "stored": False}
        # another terminal has its own allowance
        assert reports.store_z_report(uow, "T000008", z_message("z-3", day), now)["stored"]
    assert count_rows(store, "z_reports") == 4


@pytest.mark.parametrize("change, field", [
    ({"report_id": "x" * 65}, "report_id"),
    ({"report_id": "a b"}, "report_id"),
    ({"day": "2026-02-30"}, "day"),
    ({"figures": {"sales_cents": -1}}, "figures"),
    ({"figures": "lots"}, "figures"),
    ({"shift": {"id": True}}, "shift.id"),
])
def test_a_malformed_z_report_is_refused_and_nothing_is_stored(world, change, field):
    message = z_message("zc-bad", world.day)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(message.get(key), dict):
            message[key] = {**message[key], **value}
        else:
            message[key] = value
    ack = world.ask("C", "z_report", message)
    assert ack["ok"] is False and ack["error"] == "bad_request" and field in ack["message"]
    assert count_rows(world.store, "z_reports") == 0
    assert world.ask("C", "z_report", ["not", "an", "object"])["error"] == "bad_request"


def test_the_stakes_before_the_off_are_drawn_per_minute(world):
    status, stakes = world.api(f"/api/reports/stakes?day={world.day}")
    assert status == 200
    by_race = {r["race_id"]: r for r in stakes["races"]}
    r1 = by_race[world.r1]
    # accepted stakes on R1C1: 2 + 5 + 10 + 4 = 21,00 € (the cancelled 3,00 € is not in it),
    # all received about 10 minutes before the off
    assert len(r1["minutes"]) == 30 and r1["total_cents"] == 2_100 and r1["bets"] == 4
    assert sum(m["cents"] for m in r1["minutes"]) == 2_100
    busiest = max(r1["minutes"], key=lambda m: m["cents"])
    assert busiest["cents"] == 2_100 and 9 <= busiest["before_off"] <= 12
    assert by_race[world.r2]["total_cents"] == 0                  # its one bet was refused

    page = AdminClient(world.app, "operator").get(f"/admin/reports?day={world.day}").text
    chart = page.split(f'data-race="{world.r1}"')[1].split("</figure>")[0]
    assert '<svg' in chart and 'role="img"' in chart and "<title" in chart
    assert "21,00 €" in chart and chart.count('<rect class="bar"') == 1
    assert "Voir les chiffres de R1C1 en tableau" in chart and "heure de Paris" in chart


def test_the_auditor_reads_the_reports_and_the_technician_does_not(world):
    auditor, technician = AdminClient(world.app, "auditor"), AdminClient(world.app, "technician")
    page = auditor.get(f"/admin/reports?day={world.day}")
    assert page.status_code == 200 and "Rapports du" in page.text
    assert 'href="/admin/reports"' in page.text                   # in the auditor's menu
    assert technician.get("/admin/reports").status_code == 403
    assert technician.get("/admin/reports.csv").status_code == 403
    assert world.app.test_client().get("/admin/reports").status_code == 302   # no session
    add_user(world.app, "tech-api", "technician")
    add_user(world.app, "aud-api", "auditor")
    status, _ = world.api("/api/reports", token_for(world.app, "tech-api"))
    assert status == 403
    for path in ("/api/reports", "/api/reports/z", "/api/reports/stakes"):
        assert world.api(path, token_for(world.app, "aud-api"))[0] == 200, path
        assert world.http.get(path).status_code == 401, path
    assert auditor.get("/admin/reports?day=n'importe").status_code == 400


# -- the terminal's side: the till sends its Z report, or keeps it until it can ----------
def test_a_closed_till_sends_its_z_report_now_or_once_back_online(workdir, server, programme):
    from terminal_app.adapters.sync import unsent_z_reports

    from ..helpers import wait_until
    from .test_till import make_counter

    race = f"{json.loads(programme.read_text())['date']}/R1C1"
    counter = make_counter(workdir, server, "z-sender")
    link, settings = counter.services.link, counter.services.store.settings
    terminal_id = settings.get("terminal_id")
    try:
        counter.api("POST", "/api/till/open", {"float_cents": 1_000})
        counter.sell(race, 2, 300)
        status, z = counter.api("POST", "/api/till/close", {"counted_cents": 1_300})
        assert status == 200 and z["ledger"]["pending"] is False

        def compared():
            rows = server.api("GET", f"/api/reports/z?day={z['ledger']['day']}")[1]["terminals"]
            mine = [r for r in rows if r["terminal_id"] == terminal_id and r["z"]]
            return mine[0] if mine and mine[0]["z_reports"] == expected else None

        expected = 1
        row = wait_until(compared, timeout=15, what="the Z report on the server")
        assert row["status"] == "ok" and row["terminal"]["sales_cents"] == 300
        assert row["z"]["float_cents"] == 1_000 and row["z"]["cash_difference_cents"] == 0
        wait_until(lambda: unsent_z_reports(settings) == [], what="the report forgotten")

        # the link is down: the report waits on disk, then goes once the link is back
        link.client.stop()
        link.client = None
        counter.api("POST", "/api/till/open", {"float_cents": 0})
        status, z = counter.api("POST", "/api/till/close", {"counted_cents": 0})
        assert status == 200 and z["ledger"]["pending"] is True
        assert len(unsent_z_reports(settings)) == 1
        link.start()
        expected = 2
        wait_until(compared, timeout=20, what="the Z report kept offline, on the server")
        wait_until(lambda: unsent_z_reports(settings) == [], what="the queue emptied")
    finally:
        counter.services.stop()
