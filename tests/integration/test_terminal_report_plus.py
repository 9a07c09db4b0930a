"""The terminal's side of the Report+ (pari par reports), in-process (Flask test client,
a fresh data folder): the sale priced on the cached programme and written with its
legs, the legs on the `place_bets` wire, the refusals in French with nothing written,
the form of the counter, the ticket's words, and the ticket card of each chain state.

The central server is a stand-in on the sync client's socket (`FakeSio`): it accepts
every bet with the ticket code the real server would give and answers `inquire_ticket`
with whatever the test sets, so the card is drawn from a central answer of our choosing.
"""
from __future__ import annotations

import copy
import json
from html import unescape
import re
from datetime import datetime, timedelta, timezone

import pytest

from betting.protocol import NAMESPACE, parse_wire_bet
from betting.reports import Leg
from betting.tickets import make_ticket_code
from device_drivers.preview import layout_text
from terminal_app.adapters.sync import SyncClient
from terminal_app.app import create_app
from terminal_app.services import sales as sales_module
from terminal_app.services.wording import describe_bet, ticket_layout

HERE = "http://127.0.0.1:8701"  # the terminal's own address (its Host check)
TERMINAL = "T000042"
KEY = "00" * 32
POST = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=0)
DAY = POST.date().isoformat()


def rid(meeting: int, number: int) -> str:
    return f"{DAY}/R{meeting}C{number}"


def card(meeting: int, number: int, state: str = "open", report: bool = True) -> dict:
    offers = [{"bet_type": "SIMPLE_GAGNANT", "base_stake_cents": 100},
              {"bet_type": "SIMPLE_PLACE", "base_stake_cents": 100}]
    if report:
        offers.append({"bet_type": "REPORT_PLUS", "base_stake_cents": 100})
    return {
        "race": rid(meeting, number), "venue": "VINCENNES" if meeting == 1 else "CHANTILLY",
        "name": f"PRIX {meeting}-{number}", "state": state, "version": 1,
        "post_time": (POST + timedelta(minutes=30 * number)).isoformat()
        .replace("+00:00", "Z"),
        "runners": [{"number": n, "name": f"CHEVAL {n}", "non_runner": n == 9}
                    for n in range(1, 11)],
        "bet_types": offers}


class FakeSio:
    """The sync client's socket, connected to a central that accepts every bet."""

    def __init__(self) -> None:
        self.connected = True
        self.namespaces = {NAMESPACE: None}
        self.calls: list[tuple[str, dict]] = []
        self.answering = True
        self.inquire: dict | None = None

    def call(self, event, data, namespace=None, timeout=None):
        self.calls.append((event, copy.deepcopy(data)))
        if event == "place_bets":
            return {"ok": True, "results": [
                {"uuid": b["uuid"], "status": "accepted",
                 "ticket": make_ticket_code(TERMINAL, b["seq"], bytes.fromhex(KEY))}
                for b in data["bets"]]}
        if event == "inquire_ticket":
            return self.inquire
        return {"ok": True}

    def disconnect(self) -> None:
        self.connected = False

    def placed(self) -> list[dict]:
        return [bet for event, data in self.calls if event == "place_bets"
                for bet in data["bets"]]


class ServedClient(SyncClient):
    """Sends at once what the sale hands over (no sync thread)."""

    def wake(self) -> None:
        if self.sio.answering:
            self._drain_once()


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "t"))
    store = app.extensions["guichet.terminal"].store
    # enrolled as far as the counter can tell; the sync thread is never started
    store.settings.set(terminal_id=TERMINAL, key=KEY, server_url="http://127.0.0.1:9")
    store.programme.save([card(1, 1), card(1, 2), card(1, 3), card(1, 4), card(1, 5),
                          card(1, 6), card(1, 7), card(1, 8, "closed"),
                          card(2, 1), card(2, 2), card(3, 1, report=False)], 1)
    return app


def go_online(app) -> FakeSio:
    services = app.extensions["guichet.terminal"]
    client = ServedClient(services.store.settings, services.store.outbox,
                          services.store.programme)
    client.sio = FakeSio()
    client._ready = True
    services.link.client = client
    return client.sio


@pytest.fixture
def ui(app):
    client = app.test_client()
    index = client.get("/", base_url=HERE).get_data(as_text=True)
    client.token = re.search(r'name="csrf-token" content="([^"]+)"', index).group(1)
    client.outbox = app.extensions["guichet.terminal"].store.outbox
    client.index = index
    return client


def post(ui, path: str, data: dict):
    return ui.post(path, base_url=HERE, data=data,
                   headers={"X-CSRFToken": ui.token, "Origin": HERE})


def api_sell(ui, body: dict):
    return ui.post("/api/bets", base_url=HERE, json=body,
                   headers={"X-CSRFToken": ui.token, "Origin": HERE})


def chain(*legs, stake: int = 200) -> dict:
    """A Report+ request: legs as (meeting, race, horse, kind, carry)."""
    out = [{"race": rid(m, n), "horse": h, "kind": k, "carry": c} for m, n, h, k, c in legs]
    return {"race": out[0]["race"], "bet_type": "REPORT_PLUS", "formula": "UNITAIRE",
            "selections": [out[0]["horse"]], "bases": [], "unit_stake_cents": stake,
            "legs": out}


THREE = chain((1, 1, 7, "GAGNANT", "ALL"), (1, 3, 2, "PLACE", "HALF"),
              (1, 4, 5, "GAGNANT", "ALL"))


def rows(ui) -> list[dict]:
    return ui.outbox.recent(50)


# -- the sale ---------------------------------------------------------------------------

def test_a_report_plus_is_priced_sold_and_written_with_its_legs(app, ui):
    sio = go_online(app)
    answer = api_sell(ui, THREE)
    body = answer.get_json()
    assert answer.status_code == 201, body
    assert body["status"] == "accepted" and body["bet_type"] == "REPORT_PLUS"
    # one unit at the first stake: the ticket costs 2,00 €
    assert (body["total_cents"], body["combinations"], body["unit_stake_cents"]) == (200, 1, 200)
    assert body["legs"] == [
        {"race": rid(1, 1), "horse": 7, "kind": "GAGNANT", "carry": "ALL"},
        {"race": rid(1, 3), "horse": 2, "kind": "PLACE", "carry": "HALF"},
        {"race": rid(1, 4), "horse": 5, "kind": "GAGNANT", "carry": "ALL"}]
    [row] = rows(ui)
    assert row["status"] == "accepted" and row["ticket"] and not row["offline"]
    assert row["race"] == rid(1, 1) and row["selections"] == [7]
    assert row["legs"] == body["legs"]
    assert len(sio.placed()) == 1


def test_the_legs_go_on_the_wire_as_written(app, ui):
    sio = go_online(app)
    # the last leg carries nothing: its choice is stored as ALL
    body = chain((1, 2, 4, "PLACE", "QUARTER"), (1, 5, 1, "GAGNANT", "HALF"), stake=300)
    assert api_sell(ui, body).status_code == 201
    [sent] = sio.placed()
    assert sent["bet_type"] == "REPORT_PLUS" and sent["race"] == rid(1, 2)
    assert sent["selections"] == [4] and sent["unit_stake_cents"] == 300
    assert sent["total_cents"] == 300
    assert sent["legs"] == [{"race": rid(1, 2), "horse": 4, "kind": "PLACE", "carry": "QUARTER"},
                            {"race": rid(1, 5), "horse": 1, "kind": "GAGNANT", "carry": "ALL"}]
    # the server reads the same legs back from the message
    assert parse_wire_bet(sent).request.legs == (Leg(rid(1, 2), 4, "PLACE", "QUARTER"),
                                                 Leg(rid(1, 5), 1, "GAGNANT", "ALL"))
    # another bet carries no legs at all
    assert api_sell(ui, {"race": rid(1, 1), "bet_type": "SIMPLE_GAGNANT",
                         "formula": "UNITAIRE", "selections": [3], "bases": [],
                         "unit_stake_cents": 100}).status_code == 201
    assert "legs" not in sio.placed()[1]


def test_an_entry_whose_legs_cannot_be_read_is_set_aside_not_sent(app, ui, monkeypatch):
    sio = go_online(app)
    sio.answering = False  # keep it in the outbox
    monkeypatch.setattr(sales_module, "ANSWER_WAIT_S", 0.05)
    assert api_sell(ui, THREE).status_code == 202
    db = app.extensions["guichet.terminal"].store.database
    db.write("UPDATE outbox SET legs = ?", ("not json",))
    assert ui.outbox.pending() == []
    assert rows(ui)[0]["status"] == "corrupt"


@pytest.mark.parametrize(("body", "words"), [
    # C3 then C2: the races of a chain follow the programme
    (chain((1, 3, 7, "GAGNANT", "ALL"), (1, 2, 2, "GAGNANT", "ALL")),
     "se suivent dans l'ordre du programme"),
    (chain((1, 2, 7, "GAGNANT", "ALL"), (1, 2, 2, "GAGNANT", "ALL")),
     "chacune une seule fois"),
    (chain((1, 1, 7, "GAGNANT", "ALL"), (2, 2, 2, "GAGNANT", "ALL")),
     "une seule réunion"),
    # 0,50 € < the 1,00 € minimum; 1 001,00 € > 1,000 minimum stakes (art. 30)
    (chain((1, 1, 7, "GAGNANT", "ALL"), (1, 2, 2, "GAGNANT", "ALL"), stake=50),
     "La mise minimum du Report+ est de 1,00 €."),
    (chain((1, 1, 7, "GAGNANT", "ALL"), (1, 2, 2, "GAGNANT", "ALL"), stake=100_100),
     "au plus 1000 fois la mise minimum"),
    (chain((1, 1, 7, "GAGNANT", "ALL"), (1, 2, 2, "GAGNANT", "ALL"), stake=250),
     "multiple de 1,00 €"),
    (chain((1, 1, 7, "GAGNANT", "ALL")), "2 à 6 courses"),
    # a sum is no carry any more (art. 30 as rewritten in 2016): a share only
    (chain((1, 1, 7, "GAGNANT", 500), (1, 2, 2, "GAGNANT", "ALL")), "report invalide"),
    (chain((1, 1, 9, "GAGNANT", "ALL"), (1, 2, 2, "GAGNANT", "ALL")), "non-partant"),
    (chain((1, 8, 7, "GAGNANT", "ALL"), (1, 9, 2, "GAGNANT", "ALL")), "fermés"),
    (chain((1, 7, 7, "GAGNANT", "ALL"), (1, 8, 2, "GAGNANT", "ALL")), "fermés"),
    (chain((3, 1, 7, "GAGNANT", "ALL"), (1, 2, 2, "GAGNANT", "ALL")),
     "n'est pas proposé"),
])
def test_a_chain_that_is_not_a_bet_is_refused_in_french_and_nothing_is_written(
        app, ui, body, words):
    sio = go_online(app)
    answer = api_sell(ui, body)
    assert answer.status_code == 422
    assert words in answer.get_json()["message"]
    assert rows(ui) == [] and sio.placed() == []


def test_offline_a_report_plus_is_refused_and_nothing_is_written(app, ui):
    # no link to the central: a Simple would be sold provisionally, a chain is not
    answer = api_sell(ui, THREE)
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["reason"] == "report_plus_offline"
    assert body["message"].startswith("Le Report+ ne se vend qu'en ligne")
    assert rows(ui) == []
    # the live cost says so too
    quote = post(ui, "/ui/report/quote", form_data(THREE))
    assert "ne se vend qu'en ligne" in unescape(quote.get_data(as_text=True))


def test_a_chain_the_central_has_not_answered_waits_and_is_never_provisional(app, ui,
                                                                          monkeypatch):
    sio = go_online(app)
    sio.answering = False
    monkeypatch.setattr(sales_module, "ANSWER_WAIT_S", 0.05)
    answer = api_sell(ui, THREE)
    body = answer.get_json()
    assert answer.status_code == 202 and body["status"] == "pending"
    assert not body["offline"] and body["ticket"] is None
    [row] = rows(ui)
    assert row["status"] == "pending" and row["legs"] and not row["printed_at"]


def test_a_basket_does_not_take_a_report_plus(app, ui):
    go_online(app)
    answer = ui.post("/api/baskets", base_url=HERE, json={"bets": [THREE]},
                     headers={"X-CSRFToken": ui.token, "Origin": HERE})
    assert answer.status_code == 422
    assert "Pari 1 : Le Report+ se vend seul" in answer.get_json()["message"]
    assert rows(ui) == []


# -- the form of the counter ------------------------------------------------------------

def form_data(body: dict, **extra) -> dict:
    """The Report+ form as the page posts it."""
    data = {"meeting": body["legs"][0]["race"].rpartition("C")[0],
            "stake": f"{body['unit_stake_cents'] // 100},{body['unit_stake_cents'] % 100:02d}",
            "payment": "cash"}
    for i, leg in enumerate(body["legs"]):
        data[f"leg{i}_race"] = leg["race"]
        data[f"leg{i}_horse"] = str(leg["horse"])
        data[f"leg{i}_kind"] = leg["kind"]
        data[f"leg{i}_carry"] = leg.get("carry", "ALL")
    return {**data, **extra}


def cost(answer) -> str:
    match = re.search(r'<output data-role="cost"[^>]*>([^<]*)</output>',
                      answer.get_data(as_text=True))
    assert match, answer.get_data(as_text=True)
    return match.group(1).strip()


def legs_of(html: str) -> list[str]:
    return re.findall(r'data-role="leg" data-index="\d" data-race="([^"]+)"', html)


def test_the_sale_screen_offers_the_report_plus_entry(ui):
    assert 'data-role="report-plus"' in ui.index and 'hx-get="/ui/report"' in ui.index


def test_the_form_offers_later_races_of_one_meeting_only(ui):
    html = ui.get("/ui/report?race=" + rid(1, 3), base_url=HERE).get_data(as_text=True)
    # two legs to start with: the race asked for and the next one
    assert legs_of(html) == [rid(1, 3), rid(1, 4)]
    second = html.split('data-index="1"')[1].split("</select>")[0]
    offered = re.findall(r'<option value="([^"]+)"', second)
    # later races only, the closed C8 left out, no race of another meeting
    assert offered == [rid(1, 4), rid(1, 5), rid(1, 6), rid(1, 7)]
    # meetings offering Report+ only: R3 does not
    assert f'value="{DAY}/R2"' in html and f'value="{DAY}/R3"' not in html


def test_adding_and_removing_legs_keeps_the_choices(ui):
    data = form_data(chain((1, 2, 7, "GAGNANT", "HALF"), (1, 4, 3, "PLACE", "ALL")))
    html = post(ui, "/ui/report/form", {**data, "op": "add"}).get_data(as_text=True)
    assert legs_of(html) == [rid(1, 2), rid(1, 4), rid(1, 5)]
    assert re.search(r'name="leg0_horse".*?<option value="7" selected', html, re.S)
    assert re.search(r'name="leg0_carry".*?<option value="HALF" selected', html, re.S)
    assert re.search(r'name="leg1_kind".*?<option value="PLACE" selected', html, re.S)
    # no leg may go past the last open race of the meeting: C7, then nothing
    data = form_data(chain((1, 6, 7, "GAGNANT", "ALL"), (1, 7, 3, "PLACE", "ALL")))
    html = post(ui, "/ui/report/form", {**data, "op": "add"}).get_data(as_text=True)
    assert legs_of(html) == [rid(1, 6), rid(1, 7)]
    assert "Pas d'autre course ouverte après C7" in unescape(html)
    # at most 6 legs, at least 2
    six = chain(*[(1, n, 1, "GAGNANT", "ALL") for n in range(1, 7)])
    html = post(ui, "/ui/report/form", {**form_data(six), "op": "add"}).get_data(as_text=True)
    assert len(legs_of(html)) == 6 and re.search(r'data-role="leg-add"[^>]*disabled', html)
    two = form_data(chain((1, 1, 1, "GAGNANT", "ALL"), (1, 2, 1, "GAGNANT", "ALL")))
    html = post(ui, "/ui/report/form", {**two, "op": "remove"}).get_data(as_text=True)
    assert len(legs_of(html)) == 2


def test_choosing_an_earlier_race_moves_the_next_legs_after_it(ui):
    # leg 1 moved to C5 while leg 2 was C3: leg 2 takes the first race after C5
    data = form_data(chain((1, 5, 7, "GAGNANT", "ALL"), (1, 3, 3, "PLACE", "ALL")))
    html = post(ui, "/ui/report/form", data).get_data(as_text=True)
    assert legs_of(html) == [rid(1, 5), rid(1, 6)]
    # its horse was chosen for another race: chosen again
    assert re.search(r'name="leg1_horse".*?<option value="" selected', html, re.S)


def test_the_live_cost_and_why_it_is_not_a_bet_yet(app, ui):
    go_online(app)
    assert cost(post(ui, "/ui/report/quote", form_data(THREE))) == "Report+ 3 courses · 2,00 €"
    no_horse = form_data(THREE, leg1_horse="")
    assert cost(post(ui, "/ui/report/quote", no_horse)) == \
        "Course 2 du Report+ : choisissez un cheval."
    assert "mise minimum du Report+" in cost(post(ui, "/ui/report/quote",
                                                  form_data(THREE, stake="0,50")))
    assert "Mise invalide" in cost(post(ui, "/ui/report/quote", form_data(THREE, stake="x")))
    bad_carry = form_data(THREE, leg0_carry="MAX")
    assert cost(post(ui, "/ui/report/quote", bad_carry)) == \
        "Course 1 du Report+ : report invalide."
    assert rows(ui) == []


def test_valider_sells_the_chain_and_the_form_starts_again(app, ui):
    sio = go_online(app)
    data = form_data(chain((1, 1, 7, "GAGNANT", "THREE_QUARTERS"), (1, 2, 4, "PLACE", "ALL")))
    answer = post(ui, "/ui/report/sell", data)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'data-status="accepted"' in html, html
    assert "report-sold" in json.loads(answer.headers["HX-Trigger"])
    # the ticket as previewed: every leg in order
    assert "C1 n°7 gagnant — report : les trois quarts" in html
    assert "C2 n°4 placé" in html
    [sent] = sio.placed()
    assert sent["legs"][0]["carry"] == "THREE_QUARTERS"
    # the form drawn again after the sale: the same meeting, no horse chosen
    again = post(ui, "/ui/report/form", {**data, "op": "reset"}).get_data(as_text=True)
    assert legs_of(again) == [rid(1, 1), rid(1, 2)]
    assert not re.search(r'<option value="\d+"[^>]* selected>\d', again.split(
        'name="leg0_horse"')[1].split("</select>")[0])


def test_a_large_chain_is_confirmed_first(app, ui):
    go_online(app)
    data = form_data(THREE, stake="150")
    first = post(ui, "/ui/report/sell", data)
    assert 'data-role="report-confirm"' in first.get_data(as_text=True)
    assert "Confirmer 150,00 € ?" in first.get_data(as_text=True)
    assert rows(ui) == []
    # a confirmation for another total does not sell it either
    assert 'data-role="report-confirm"' in post(
        ui, "/ui/report/sell", {**data, "confirm_cents": "10000"}).get_data(as_text=True)
    assert rows(ui) == []
    sold = post(ui, "/ui/report/sell", {**data, "confirm_cents": "15000"})
    assert 'data-status="accepted"' in sold.get_data(as_text=True)
    assert rows(ui)[0]["total_cents"] == 15000


def test_the_form_refuses_offline_in_french(ui):
    answer = post(ui, "/ui/report/sell", form_data(THREE))
    assert answer.status_code == 422
    assert "Le Report+ ne se vend qu'en ligne" in unescape(answer.get_data(as_text=True))
    assert rows(ui) == []


def test_the_form_posts_need_the_pages_token(ui):
    answer = ui.post("/ui/report/sell", base_url=HERE, data=form_data(THREE),
                     headers={"Origin": HERE})
    assert answer.status_code in (400, 403)
    assert rows(ui) == []


# -- the ticket -------------------------------------------------------------------------

def test_the_ticket_prints_every_leg_in_order_and_the_stake():
    bet = {"uuid": "u", "seq": 12, "race": rid(1, 1), "bet_type": "REPORT_PLUS",
           "formula": "UNITAIRE", "selections": [7], "bases": [], "combinations": 1,
           "unit_stake_cents": 200, "total_cents": 200, "offline": False,
           "status": "accepted", "ticket": "1" * 24, "created_at": "2026-11-30T12:00:00Z",
           "legs": [{"race": rid(1, 1), "horse": 7, "kind": "GAGNANT", "carry": "ALL"},
                    {"race": rid(1, 3), "horse": 2, "kind": "PLACE", "carry": "HALF"},
                    {"race": rid(1, 4), "horse": 5, "kind": "GAGNANT", "carry": "QUARTER"},
                    {"race": rid(1, 6), "horse": 1, "kind": "PLACE", "carry": "ALL"}]}
    assert describe_bet(bet) == [
        "Report+ (pari par reports) : 4 courses",
        "C1 n°7 gagnant — report : tout",
        "C3 n°2 placé — report : la moitié",
        "C4 n°5 gagnant — report : le quart",
        "C6 n°1 placé",
        "Mise initiale : 2,00 €",
    ]
    from betting.programme import Race
    layout = ticket_layout(bet, Race.from_dict(card(1, 1)), TERMINAL, "Bar", "job12345")
    text = "\n".join(layout_text(layout))
    assert f"{DAY}/R1 VINCENNES" in text
    assert "TOTAL 2,00 €" in text
    # the legs in the order played
    assert text.index("C1 n°7") < text.index("C3 n°2") < text.index("C4 n°5") \
        < text.index("C6 n°1")


def test_recent_bets_and_the_ticket_list_show_report_plus_and_its_legs(app, ui):
    go_online(app)
    assert api_sell(ui, THREE).status_code == 201
    recent = ui.get("/ui/recent", base_url=HERE).get_data(as_text=True)
    assert "Report+ C1 7g → C3 2p → C4 5g" in recent
    listed = ui.get("/api/tickets", base_url=HERE).get_json()["tickets"]
    assert listed[0]["bet_type_label"] == "Report+"
    assert listed[0]["horses_text"] == "C1 7g → C3 2p → C4 5g"
    assert listed[0]["legs"][1] == {"race": rid(1, 3), "horse": 2, "kind": "PLACE",
                                    "carry": "HALF"}
    rows_html = ui.get("/ui/tickets/list", base_url=HERE).get_data(as_text=True)
    assert "Report+" in rows_html and "C1 7g → C3 2p → C4 5g" in rows_html


# -- the ticket card, drawn from the central's answer -------------------------------------

CODE = make_ticket_code(TERMINAL, 900, bytes.fromhex(KEY))


def leg(n, horse, kind="GAGNANT", carry="ALL", stake=None, back=None, kept=None,
        void=False) -> dict:
    return {"race": rid(1, n), "horse": horse, "kind": kind, "carry": carry,
            "stake_cents": stake, "return_cents": back, "kept_cents": kept, "void": void,
            "in_pool": None if stake is None else True}


def answer(status: str, amount: int, state: str, legs: list[dict], value: int = 0) -> dict:
    return {"ok": True, "ticket": CODE, "status": status, "amount_cents": amount,
            "race": legs[0]["race"], "bet_type": "REPORT_PLUS", "formula": "UNITAIRE",
            "selections": [legs[0]["horse"]], "bases": [], "unit_stake_cents": 200,
            "total_cents": 200,
            "chain": {"state": state, "legs": legs, "value_cents": value}}


def open_card(app, ui, ack: dict) -> str:
    sio = go_online(app)
    sio.inquire = ack
    found = post(ui, "/ui/tickets/open", {"code": CODE, "source": "manual"})
    assert found.status_code == 200
    return found.get_data(as_text=True)


def leg_states(html: str) -> list[str]:
    return [s.strip() for s in re.findall(r'data-role="leg-state">([^<]*)<', html)]


def test_a_chain_in_progress_shows_its_legs_and_offers_no_payment(app, ui):
    # leg 1: 2,00 € on the 7, paid 4,60 €, all carried; leg 2 plays 4,60 €; leg 3 to come
    html = open_card(app, ui, answer("pending", 0, "en_cours", [
        leg(1, 7, stake=200, back=460, kept=0), leg(3, 2, "PLACE", stake=460),
        leg(4, 5)]))
    assert 'data-role="chain" data-state="en_cours"' in html
    assert re.search(r'data-role="chain-state">en cours<', html)
    assert leg_states(html) == ["gagné 4,60 €", "à courir", "à courir"]
    assert "reporté 4,60 €" in html and "mise 4,60 €" in html
    assert "Report+ en cours : rien à payer avant la fin de la chaîne." in html
    assert 'data-role="pay"' not in html
    # the first leg has run: its stake is in play, no cancelling
    assert 'data-role="cancel"' not in html


def test_a_chain_not_started_may_still_be_cancelled(app, ui):
    html = open_card(app, ui, answer("pending", 0, "en_cours", [
        leg(1, 7, stake=200), leg(3, 2)]))
    assert leg_states(html) == ["à courir", "à courir"]
    assert 'data-role="cancel"' in html and 'data-role="pay"' not in html


def test_a_chain_said_won_while_in_progress_is_not_paid(app, ui):
    # an answer that contradicts itself: the chain is not over, nothing is paid
    html = open_card(app, ui, answer("won", 460, "en_cours", [
        leg(1, 7, stake=200, back=460, kept=0), leg(3, 2, stake=460)]))
    assert 'data-role="pay"' not in html


def test_a_lost_chain_pays_what_was_kept_before(app, ui):
    # leg 1 paid 4,60 €, a quarter carried: 4,60 / 4 = 1,15 €, 3,45 € kept;
    # leg 2 not placed: the chain is lost, 3,45 € stays the bettor's
    html = open_card(app, ui, answer("won", 345, "perdu", [
        leg(1, 7, carry="QUARTER", stake=200, back=460, kept=345),
        leg(3, 2, "PLACE", stake=115, back=0, kept=0), leg(4, 5)], value=345))
    assert re.search(r'data-role="chain-state">perdu<', html)
    assert leg_states(html) == ["gagné 4,60 €", "perdu", "non joué"]
    assert "reporté 1,15 €" in html and "acquis 3,45 €" in html
    assert "report : le quart" in html
    assert re.search(r'data-role="pay"[^>]*>Payer 3,45 €', html)


def test_a_lost_chain_with_nothing_kept_pays_nothing(app, ui):
    html = open_card(app, ui, answer("lost", 0, "perdu", [
        leg(1, 7, stake=200, back=0, kept=0), leg(3, 2)]))
    assert leg_states(html) == ["perdu", "non joué"]
    assert "Perdant : rien à payer." in html
    assert 'data-role="pay"' not in html and 'data-role="cancel"' not in html


def test_a_won_chain_is_paid_once_over(app, ui):
    # 2,00 € → 4,60 € all carried → placé pays 1,50 € per euro: 6,90 €
    html = open_card(app, ui, answer("won", 690, "gagne", [
        leg(1, 7, stake=200, back=460, kept=0),
        leg(3, 2, "PLACE", stake=460, back=690, kept=690)], value=690))
    assert re.search(r'data-role="chain-state">gagné<', html)
    assert leg_states(html) == ["gagné 4,60 €", "gagné 6,90 €"]
    assert "Gagnant : 6,90 € à payer." in html
    assert re.search(r'data-role="pay"[^>]*>Payer 6,90 €', html)


def test_a_refunded_chain_is_refunded(app, ui):
    # both horses non-runners: each leg returns its stake; the chain gives back 2,00 €
    html = open_card(app, ui, answer("refund", 200, "rembourse", [
        leg(1, 7, stake=200, back=200, kept=0, void=True),
        leg(3, 2, stake=200, back=200, kept=200, void=True)], value=200))
    assert re.search(r'data-role="chain-state">remboursé<', html)
    assert leg_states(html) == ["mise rendue 2,00 €", "mise rendue 2,00 €"]
    assert re.search(r'data-role="pay"[^>]*>Rembourser 2,00 €', html)


def test_a_malformed_chain_is_not_drawn(app, ui):
    bad = answer("pending", 0, "en_cours", [leg(1, 7, stake=200), leg(3, 2)])
    bad["chain"]["legs"][1]["kind"] = "TIERCE"
    html = open_card(app, ui, bad)
    assert 'data-role="chain"' not in html and 'data-role="pay"' not in html


def test_the_race_card_sells_no_report_plus_of_its_own(ui):
    # a chain is no pool: it has its own form, not a bet type chip on the race card
    html = ui.get("/ui/race?race=" + rid(1, 1), base_url=HERE).get_data(as_text=True)
    assert 'value="SIMPLE_GAGNANT"' in html and "REPORT_PLUS" not in html


def test_another_meeting_starts_the_legs_again_there(ui):
    data = form_data(THREE, meeting=f"{DAY}/R2")
    html = post(ui, "/ui/report/form", data).get_data(as_text=True)
    assert legs_of(html) == [rid(2, 1), rid(2, 2)]
    assert 'data-meeting="' + f"{DAY}/R2" + '"' in html


def test_without_any_report_plus_on_the_programme_the_form_says_so(app, ui):
    store = app.extensions["guichet.terminal"].store
    store.programme.save([], 2, removed=[r.race_id for r, _ in store.programme.races()])
    store.programme.save([card(3, 1, report=False)], 3)
    html = unescape(ui.get("/ui/report", base_url=HERE).get_data(as_text=True))
    assert "Aucune réunion ne propose le Report+ pour l'instant." in html
    assert legs_of(html) == []
    assert re.search(r'data-role="report-validate"[^>]*disabled', html)
