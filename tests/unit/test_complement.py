"""The cheval de complément (betting/complement.py): the substitution, worked by hand;
the offer flag from both programme formats; the sale's refusals; the price unchanged;
a settled pool paying the completed unit; the terminal's outbox, wire and ticket."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from betting.bets import make_request, price_bet
from betting.complement import with_complement
from betting.errors import (
    ComplementInBet,
    ComplementNotAllowed,
    ComplementNotRunning,
    ProtocolError,
)
from betting.pools import bet_payout, pool_stakes, settle_pool
from betting.programme import Offer, Race
from betting.protocol import parse_wire_bet
from betting.results import make_result
from server.services.programme_import import ProgrammeError, parse_programme
from terminal_app.adapters.outbox import wire_bet
from terminal_app.adapters.store import TerminalStore
from terminal_app.services.wording import describe_bet

RAPPORTS = Path(__file__).resolve().parents[1] / "data" / "pmu_rapports_2025-11-04_R1C1.json"
POST = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
RACE = "2030-01-01/R1C1"


def card(non_runners: tuple[int, ...] = ()) -> Race:
    """Ten runners; the Tiercé and the Couplé gagnant allow a complément, the Simple does not."""
    return Race.from_dict({
        "race": RACE, "venue": "VINCENNES", "name": "Prix Test", "post_time": POST.isoformat(),
        "runners": [{"number": n, "non_runner": n in non_runners} for n in range(1, 11)],
        "bet_types": [
            {"bet_type": "SIMPLE_GAGNANT", "base_stake_cents": 100},
            {"bet_type": "COUPLE_GAGNANT", "base_stake_cents": 100, "complement": True},
            {"bet_type": "TIERCE", "base_stake_cents": 100, "complement": True},
        ]})


def request(**change):
    data = {"race": RACE, "bet_type": "TIERCE", "formula": "UNITAIRE",
            "selections": [4, 7, 2], "bases": [], "unit_stake_cents": 100, "complement": 9}
    data.update(change)
    return make_request(data)


# -- the substitution, by hand -------------------------------------------------------------

@pytest.mark.parametrize(("combos", "complement", "non_runners", "expected"), [
    # Tiercé 4-7-2, 7 withdrawn: 7 out, 2 moves up to second, 9 goes third
    ([(4, 7, 2)], 9, {7}, [(4, 2, 9)]),
    # the first horse withdrawn: everyone moves up one place
    ([(7, 4, 2)], 9, {7}, [(4, 2, 9)]),
    # the last one: the complément simply takes its place
    ([(4, 2, 7)], 9, {7}, [(4, 2, 9)]),
    # a combiné's units: only those naming 7 change, the units keep their number and order
    ([(4, 7, 2), (2, 4, 5), (7, 2, 4)], 9, {7}, [(4, 2, 9), (2, 4, 5), (2, 4, 9)]),
    # two withdrawn in one unit: the first (in the unit's order) is replaced, 2 stays NP
    ([(4, 7, 2)], 9, {2, 7}, [(4, 2, 9)]),
    # the complément withdrawn too: nothing is replaced
    ([(4, 7, 2)], 9, {7, 9}, [(4, 7, 2)]),
    # a unit that already holds the complément is left as it is
    ([(9, 7, 2)], 9, {7}, [(9, 7, 2)]),
    # no complément, or no non-runner: unchanged
    ([(4, 7, 2)], None, {7}, [(4, 7, 2)]),
    ([(4, 7, 2)], 9, set(), [(4, 7, 2)]),
    # Couplé (unordered) 3-7 with 7 withdrawn: (3, 9); the pool sorts it again
    ([(3, 7)], 1, {7}, [(3, 1)]),
])
def test_the_complement_replaces_the_first_non_runner_and_goes_last(combos, complement,
                                                                   non_runners, expected):
    assert with_complement(combos, complement, non_runners) == expected


def test_an_unordered_unit_is_keyed_sorted_in_the_pool():
    # Couplé gagnant 3-7 with complément 1, 7 withdrawn: the unit (3, 1) is the pool's (1, 3)
    units = with_complement([(3, 7)], 1, {7})
    assert pool_stakes("COUPLE_GAGNANT", [(units, 200)]) == {(1, 3): 200}


# -- the offer flag ------------------------------------------------------------------------

def test_the_operator_programme_says_which_bet_types_allow_a_complement():
    course = json.loads(RAPPORTS.read_text())["course_data"]
    # the programme's date is local midnight (Paris, UTC+1 on 4 Nov 2025) in epoch ms
    midnight = datetime(2025, 11, 3, 23, 0, tzinfo=timezone.utc)
    doc = {"programme": {"date": int(midnight.timestamp() * 1000), "timezoneOffset": 3_600_000,
                         "reunions": [{"numOfficiel": 1, "courses": [course]}]}}
    (race,) = parse_programme(doc)
    allowed = {o.bet_type: o.complement for o in race.offers}
    assert allowed == {
        "SIMPLE_GAGNANT": False, "SIMPLE_PLACE": False, "COUPLE_GAGNANT": True,
        "COUPLE_PLACE": True, "DEUX_SUR_QUATRE": True, "MULTI": False, "TIERCE": True,
        "QUARTE_PLUS": True, "QUINTE_PLUS": True,
        "REPORT_PLUS": False,  # kept for Report+ (betting/reports.py), never a complément
    }


def own(bet_types: list) -> dict:
    return {"format": "guichet-programme", "version": 1, "date": "2030-01-01",
            "meetings": [{"number": 1, "venue": "VINCENNES", "races": [
                {"number": 1, "name": "PRIX", "post_time": "2030-01-01T12:00:00Z",
                 "runners": [{"number": 1}, {"number": 2}, {"number": 3}],
                 "bet_types": bet_types}]}]}


def test_the_own_format_takes_the_flag_default_false():
    (race,) = parse_programme(own(["SIMPLE_GAGNANT",
                                   {"bet_type": "TIERCE", "complement": True},
                                   {"bet_type": "TRIO", "base_stake_cents": 100}]))
    assert [o.complement for o in race.offers] == [False, True, False]
    with pytest.raises(ProgrammeError, match="complement of TIERCE must be true or false"):
        parse_programme(own([{"bet_type": "TIERCE", "complement": "yes"}]))


def test_the_card_carries_the_flag_to_the_terminal():
    race = card()
    again = Race.from_dict(race.to_dict())
    assert again.offer("TIERCE") == Offer("TIERCE", 100, True)
    assert again.offer("SIMPLE_GAGNANT").complement is False
    # a card written before the flag existed: no complément anywhere
    old = race.to_dict()
    for o in old["bet_types"]:
        del o["complement"]
    assert not any(o.complement for o in Race.from_dict(old).offers)


# -- the request and the sale --------------------------------------------------------------

def test_the_request_carries_an_optional_complement():
    assert request().complement == 9
    assert request(complement=None).complement is None
    data = {"race": RACE, "bet_type": "TIERCE", "formula": "UNITAIRE",
            "selections": [4, 7, 2], "unit_stake_cents": 100}
    assert make_request(data).complement is None  # absent: none


@pytest.mark.parametrize("bad", [0, 1000, -1, True, "9", 9.0, [9]])
def test_a_malformed_complement_is_a_protocol_error(bad):
    with pytest.raises(ProtocolError):
        request(complement=bad)


def test_the_complement_is_free():
    with_it = price_bet(request(), card())
    without = price_bet(request(complement=None), card())
    assert (with_it.combinations, with_it.total_cents) == (without.combinations,
                                                           without.total_cents) == (1, 100)
    # a combiné of 4 horses: 24 units either way
    combine = price_bet(request(formula="COMBINE", selections=[1, 2, 3, 4], complement=5),
                        card())
    assert (combine.combinations, combine.total_cents) == (24, 2400)


@pytest.mark.parametrize(("change", "error", "words"), [
    ({"bet_type": "SIMPLE_GAGNANT", "selections": [4]}, ComplementNotAllowed,
     "pas proposé"),
    ({"complement": 42, "selections": [4, 8, 2]}, ComplementNotRunning, "ne court pas"),
    ({"complement": 7, "selections": [4, 8, 2]}, ComplementNotRunning, "non-partant"),
    ({"complement": 2, "selections": [4, 8, 2]}, ComplementInBet, "déjà joué"),
    ({"formula": "CHAMP_REDUIT", "bases": [4], "selections": [2, 3], "complement": 4},
     ComplementInBet, "déjà joué"),
    ({"formula": "CHAMP_REDUIT", "bases": [4], "selections": [2, 3], "complement": 3},
     ComplementInBet, "déjà joué"),
    # a champ total plays every running horse already
    ({"formula": "CHAMP_TOTAL", "bases": [4, 8], "selections": [], "complement": 9},
     ComplementInBet, "déjà joué"),
])
def test_the_sale_refuses_a_complement_it_cannot_take(change, error, words):
    with pytest.raises(error, match=words) as refused:
        price_bet(request(**change), card(non_runners=(7,)))
    assert refused.value.code in ("complement_not_allowed", "complement_not_running",
                                  "complement_in_bet")


def test_a_champ_reduit_takes_a_horse_it_does_not_play():
    priced = price_bet(request(formula="CHAMP_REDUIT", bases=[4], selections=[2, 3, 5],
                               complement=9), card())
    assert priced.combinations == 6 * 3  # 3 pairs of partners, 6 orders each


# -- settled: the completed unit is paid ------------------------------------------------------

def test_a_tierce_with_its_complement_is_paid_as_if_the_complement_were_played():
    """Tiercé pool: A plays 4-7-2 with complément 9 (1 €), B plays 4-2-9 (1 €), C plays
    4-7-2 without complément (1 €), D plays 1-2-3 (2 €). 7 is withdrawn; arrival 4-2-9.
    A's unit becomes (4, 2, 9): in the pool beside B's, both win ORDRE; C keeps its
    non-runner: 4 and 2 first and second, the rapport spécial (art. 62 I c), here the
    minimum (no Couplé gagnant pool given)."""
    a = with_complement([(4, 7, 2)], 9, {7})
    stakes = pool_stakes("TIERCE", [(a, 100), ([(4, 2, 9)], 100), ([(4, 7, 2)], 100),
                                    ([(1, 2, 3)], 200)])
    assert stakes == {(4, 2, 9): 200, (4, 7, 2): 100, (1, 2, 3): 200}
    result = make_result([[4], [2], [9], [1], [3]], 10, {7})
    pool = settle_pool("TIERCE", stakes, result)
    assert pool.refunded_cents == 0 and pool.total_cents == 500
    paid_a = bet_payout(pool, a, 100)
    paid_b = bet_payout(pool, [(4, 2, 9)], 100)
    assert paid_a == paid_b and paid_a.amount_cents > 110 and "ORDRE" in paid_a.kinds
    paid_c = bet_payout(pool, [(4, 7, 2)], 100)
    assert (paid_c.amount_cents, paid_c.refund_cents, paid_c.kinds) == (110, 0, ("NP",))


# -- the terminal: outbox, wire, ticket ------------------------------------------------------

def test_the_terminal_keeps_and_sends_the_complement(tmp_path):
    store = TerminalStore(tmp_path / "t")
    with_it = store.outbox.add(price_bet(request(), card()))
    without = store.outbox.add(price_bet(request(complement=None), card()))
    assert with_it["complement"] == 9 and without["complement"] is None
    sent = wire_bet(with_it)
    assert sent["complement"] == 9
    assert parse_wire_bet(sent).request.complement == 9
    # a bet without one says nothing of it on the wire
    assert "complement" not in wire_bet(without)
    assert parse_wire_bet(wire_bet(without)).request.complement is None
    assert [b["uuid"] for b in store.outbox.pending()] == [with_it["uuid"], without["uuid"]]


def test_the_ticket_prints_the_complement():
    bet = {"bet_type": "TIERCE", "formula": "UNITAIRE", "bases": [], "selections": [4, 7, 2],
           "combinations": 1, "unit_stake_cents": 100, "complement": 9}
    assert "Complément : 9" in describe_bet(bet)
    assert not any(line.startswith("Complément") for line in
                   describe_bet({**bet, "complement": None}))


def test_the_sale_form_offers_the_runners_and_reads_the_choice(tmp_path, monkeypatch):
    import re

    from terminal_app.app import create_app
    from terminal_app.services.sales import Sales

    here = "http://127.0.0.1:8701"  # the terminal's own address (its Host check)
    app = create_app(str(tmp_path / "t"))
    race = card(non_runners=(7,))
    app.extensions["guichet.terminal"].store.programme.save(
        [{**race.to_dict(), "state": "open", "version": 1}], 1)
    ui = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      ui.get("/setup", base_url=here).get_data(as_text=True)).group(1)
    form = ui.get(f"/ui/race?race={RACE}", base_url=here).get_data(as_text=True)
    select = form[form.index('<select name="complement">'):form.index("</select>")]
    # none by default, then the horses that run (7 is withdrawn)
    assert re.findall(r'<option value="(\d*)"', select) == ["", "1", "2", "3", "4", "5", "6",
                                                          "8", "9", "10"]
    assert '<option value="" selected>aucun</option>' in select

    asked = []
    monkeypatch.setattr(Sales, "quote", lambda self, data: {"total_cents": 100})
    monkeypatch.setattr(Sales, "sell", lambda self, data, **_: asked.append(data) or {})
    monkeypatch.setattr("terminal_app.web.ui._bet_result", lambda bet, **_: ("sold", 200))

    def sell(complement: str):
        return ui.post("/ui/sell", base_url=here, headers={"X-CSRFToken": token}, data={
            "race": RACE, "bet_type": "TIERCE", "formula": "UNITAIRE",
            "horse": ["4", "8", "2"], "stake": "1", "complement": complement})

    assert sell("9").status_code == 200 and asked[-1]["complement"] == 9
    assert sell("").status_code == 200 and asked[-1]["complement"] is None
    for bad in ("abc", "99999", "-1"):
        refused = sell(bad)
        assert refused.status_code == 422
        assert "Cheval de complément invalide" in refused.get_data(as_text=True)
    assert len(asked) == 2
