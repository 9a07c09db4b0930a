"""What a ticket plays, from the central's inquire answer, as the card shows it for a
ticket sold at another counter (terminal_app/services/ticket_desk.py): taken only
when well formed, never trusted to be."""
from __future__ import annotations

from terminal_app.services.ticket_desk import _played


def test_a_well_formed_answer_is_shown_in_the_order_sold():
    played = _played({"formula": "CHAMP_REDUIT", "selections": [9, 4, 1], "bases": [12],
                      "complement": 6, "unit_stake_cents": 150})
    assert played["horses_text"] == "9 - 4 - 1" and played["bases_text"] == "12"
    assert played["formula_label"] == "champ réduit"
    assert (played["complement"], played["unit_stake_cents"]) == (6, 150)


def test_anything_malformed_is_left_out():
    played = _played({"formula": "<script>", "selections": [1, "2"], "bases": [0],
                      "complement": True, "unit_stake_cents": -5})
    assert played == {"formula": None, "formula_label": "", "selections": [],
                      "horses_text": "", "bases": [], "bases_text": "",
                      "complement": None, "unit_stake_cents": None}
    assert _played({"selections": list(range(1, 30))})["selections"] == []  # too many
    assert _played({})["selections"] == []  # an older central says nothing of the bet
