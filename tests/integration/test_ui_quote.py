"""The sale screen's server side, in-process (Flask test client, a fresh data folder):
the live cost (`POST /ui/quote`), the confirmation of a large sale, and the hooks the
page's scripts and automation rely on.

The terminal is given an enrolment and a race card by hand: the cost is priced on the
cached card, without the central server.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from terminal_app.app import create_app

HERE = "http://127.0.0.1:8701"  # the terminal's own address (its Host check)
POST = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=0)
RACE = f"{POST.date().isoformat()}/R1C1"
CLOSED = f"{POST.date().isoformat()}/R1C2"


def card(race: str, state: str = "open") -> dict:
    return {
        "race": race, "venue": "VINCENNES", "name": "PRIX TEST", "state": state, "version": 1,
        "post_time": POST.isoformat().replace("+00:00", "Z"),
        "runners": [{"number": n, "name": f"CHEVAL {n}", "non_runner": n == 9}
                    for n in range(1, 13)],
        "bet_types": [
            {"bet_type": "SIMPLE_GAGNANT", "base_stake_cents": 100},
            {"bet_type": "COUPLE_GAGNANT", "base_stake_cents": 100},
            {"bet_type": "TIERCE", "base_stake_cents": 100},
            {"bet_type": "QUINTE_PLUS", "base_stake_cents": 200},
        ]}


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "t"))
    store = app.extensions["guichet.terminal"].store
    # enrolled as far as the sale screen can tell; no link to a server is started
    store.settings.set(terminal_id="T-TEST", key="00" * 32, server_url="http://127.0.0.1:9")
    store.programme.save([card(RACE), card(CLOSED, "closed")], 1)
    return app


@pytest.fixture
def ui(app):
    client = app.test_client()
    page = client.get("/ui/race?race=" + RACE, base_url=HERE)
    assert page.status_code == 200
    # the token of the session, as the counter page carries it for htmx
    index = client.get("/", base_url=HERE).get_data(as_text=True)
    client.token = re.search(r'name="csrf-token" content="([^"]+)"', index).group(1)
    client.outbox = app.extensions["guichet.terminal"].store.outbox
    return client


def post(ui, path: str, **form):
    data = {"race": RACE, "bet_type": "SIMPLE_GAGNANT", "formula": "UNITAIRE", "stake": "1",
            "payment": "cash", **form}
    return ui.post(path, base_url=HERE, data=data,
                   headers={"X-CSRFToken": ui.token, "Origin": HERE})


def cost(answer) -> str:
    text = answer.get_data(as_text=True)
    match = re.search(r'<output data-role="cost"[^>]*>([^<]*)</output>', text)
    assert match, text
    return match.group(1).strip()


def test_a_combine_is_priced_as_it_is_built_and_nothing_is_written(ui):
    # Couplé gagnant combiné of 3 horses: C(3, 2) = 3 combinations x 1,00 €
    answer = post(ui, "/ui/quote", bet_type="COUPLE_GAGNANT", formula="COMBINE",
                  horse=["7", "2", "5"])
    assert answer.status_code == 200
    assert cost(answer) == "3 combinaisons · 3,00 €"
    assert 'data-total-cents="300"' in answer.get_data(as_text=True)
    # twice the stake: 3 x 2,00 €
    assert cost(post(ui, "/ui/quote", bet_type="COUPLE_GAGNANT", formula="COMBINE",
                     horse=["7", "2", "5"], stake="2")) == "3 combinaisons · 6,00 €"
    assert ui.outbox.recent(10) == []


def test_one_combination_is_said_in_the_singular(ui):
    assert cost(post(ui, "/ui/quote", horse=["7"], stake="2,00")) == "1 combinaison · 2,00 €"


def test_a_champ_is_priced_with_its_bases(ui):
    # Tiercé champ réduit, base 7, associates 2 and 4: C(2, 2) sets x 3! orders = 6 x 1,00 €
    answer = post(ui, "/ui/quote", bet_type="TIERCE", formula="CHAMP_REDUIT", base=["7"],
                  horse=["2", "4"])
    assert cost(answer) == "6 combinaisons · 6,00 €"
    # the same in formule simplifiée: the base first, the associates in both orders: 2
    assert cost(post(ui, "/ui/quote", bet_type="TIERCE", formula="CHAMP_REDUIT_SIMPLIFIE",
                     base=["7"], horse=["2", "4"])) == "2 combinaisons · 2,00 €"
    # without a base it is not a champ yet, and the reason is said
    assert "base" in cost(post(ui, "/ui/quote", bet_type="TIERCE", formula="CHAMP_REDUIT",
                               horse=["2", "4"]))


@pytest.mark.parametrize(("form", "reason"), [
    ({}, "Choisissez les chevaux."),
    ({"horse": ["7"], "stake": "0,50"}, "La mise minimum du Simple gagnant est de 1,00 €."),
    ({"horse": ["7"], "stake": "deux"}, "Mise invalide"),
    ({"horse": ["7", "2"]}, "Le Simple gagnant unitaire se joue avec 1 cheval."),
    ({"horse": ["9"]}, "Le cheval n°9 est non-partant."),
    ({"horse": ["x"]}, "Numéro de cheval invalide."),
    ({"horse": ["7"], "race": CLOSED}, "Les paris sont fermés"),
])
def test_what_is_not_yet_a_bet_is_said_in_french(ui, form, reason):
    answer = post(ui, "/ui/quote", **form)
    assert answer.status_code == 200
    assert 'data-valid="0"' in answer.get_data(as_text=True)
    assert reason in cost(answer)


def test_the_quote_needs_the_pages_token(ui):
    answer = ui.post("/ui/quote", base_url=HERE, data={"race": RACE, "horse": ["7"]})
    assert answer.status_code == 403


def test_a_large_sale_asks_for_confirmation_first_and_writes_nothing(ui):
    # 150 x 1,00 € on one horse: 150,00 € is above the 100,00 € that needs a second press
    answer = post(ui, "/ui/sell", horse=["7"], stake="150")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'data-role="confirm-sale"' in text
    assert "150,00 €" in text
    trigger = answer.headers["HX-Trigger"]
    assert '"sale-confirm"' in trigger and '"total_cents": 15000' in trigger
    # a confirmation of another amount (the bet changed since) asks again
    again = post(ui, "/ui/sell", horse=["7"], stake="150", confirm_cents="12000")
    assert 'data-role="confirm-sale"' in again.get_data(as_text=True)
    assert ui.outbox.recent(10) == []
    # the quote warns already
    assert 'class="cost large"' in post(ui, "/ui/quote", horse=["7"], stake="150") \
        .get_data(as_text=True)


def test_a_sale_at_the_limit_needs_no_confirmation(ui):
    answer = post(ui, "/ui/sell", horse=["7"], stake="100")
    assert 'data-role="confirm-sale"' not in answer.get_data(as_text=True)


def test_the_sale_screen_carries_the_hooks_of_the_page_scripts(ui):
    index = ui.get("/", base_url=HERE).get_data(as_text=True)
    iso = POST.isoformat().replace("+00:00", "Z")
    button = re.search(r'<button[^>]*data-race="' + re.escape(RACE) + r'"[^>]*>', index).group(0)
    assert 'data-role="race"' in button and f'data-post-time="{iso}"' in button
    assert 'data-state="open"' in button and 'data-key="1"' in button
    closed = re.search(r'<button[^>]*data-race="' + re.escape(CLOSED) + r'"[^>]*>', index).group(0)
    assert 'data-state="closed"' in closed and "data-key" not in closed
    assert 'data-role="countdown"' in index and 'data-role="quick-entry"' in index
    assert "heure de Paris" in index and 'data-role="status"' in index
    assert 'id="basket"' in index and "favicon.svg" in index

    form = ui.get("/ui/race?race=" + RACE, base_url=HERE).get_data(as_text=True)
    for hook in ('data-role="runner" data-number="12"', 'data-role="odds" data-number="12"',
                 'data-role="bet-type" data-code="QUINTE_PLUS" data-key="u"',
                 'data-role="formula" data-code="CHAMP_REDUIT_SIMPLIFIE"',
                 'data-role="stake"', 'data-role="multiplier"', 'data-role="cost"',
                 'data-role="validate"', 'data-role="basket-add"', 'data-role="pool-total"',
                 'data-role="race-closed"', f'data-role="race-results" data-race="{RACE}"',
                 f'<form class="race-card" data-race="{RACE}"'):
        assert hook in form, hook
    assert "(heure de Paris)" in form
    closed_form = ui.get("/ui/race?race=" + CLOSED, base_url=HERE).get_data(as_text=True)
    # drawn shut, and marked so that a reopening (a suspended race) opens it again
    assert '<fieldset class="sale-fields" disabled data-live-disabled="1">' in closed_form
    assert "Paris fermés sur cette course." in closed_form


def test_the_screen_draws_a_race_as_last_pushed_before_the_cache_has_it(ui, app):
    """The push reaches the screen's stream at once and the cached programme a
    moment later: the race list, the form and the local API already say what the
    stream says, so a page never holds two states of one race."""
    live = app.extensions["guichet.terminal"].link.live
    live.set_pool_state(RACE, "suspended", None)
    form = ui.get("/ui/race?race=" + RACE, base_url=HERE).get_data(as_text=True)
    assert f'data-race="{RACE}" data-state="suspended"' in form
    assert '<fieldset class="sale-fields" disabled data-live-disabled="1">' in form
    index = ui.get("/", base_url=HERE).get_data(as_text=True)
    button = re.search(r'<button[^>]*data-race="' + re.escape(RACE) + r'"[^>]*>', index).group(0)
    assert 'data-state="suspended"' in button
    listed = ui.get("/api/races", base_url=HERE).get_json()["races"]
    assert [r["state"] for r in listed if r["race"] == RACE] == ["suspended"]
