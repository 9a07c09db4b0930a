"""The central's answer to `inquire_ticket` carries the bet as sold (in-process server,
both stores): another counter can show the customer what the ticket plays."""
from __future__ import annotations

import pytest

from .settlement_world import World, ask


@pytest.fixture
def world(db_url):
    return World(db_url, "PRIX DU GUICHET", 10, {"TIERCE": 100})


def test_inquire_answers_the_horses_in_the_order_sold(world):
    client = world.client()
    bet = world.bet("TIERCE", [9, 4, 1], 200)
    ack = ask(client, "place_bets", {"bets": [bet]})
    (placed,) = ack["results"]
    assert placed["status"] == "accepted", ack
    answer = ask(client, "inquire_ticket", {"ticket": placed["ticket"]})
    assert answer["ok"] is True and answer["status"] == "pending"
    assert (answer["formula"], answer["selections"], answer["bases"], answer["complement"],
            answer["unit_stake_cents"], answer["total_cents"]) == \
        ("UNITAIRE", [9, 4, 1], [], None, 200, 200)
