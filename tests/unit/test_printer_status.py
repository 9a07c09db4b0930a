"""DLE EOT answers -> printer states, including silence and noise."""
from __future__ import annotations

import pytest

from device_drivers.status import STATES, PrinterStatus, answer_for, read_status

PLAIN = 0x12          # the fixed bits 0xx1xx10 with nothing set


def asker(answers: dict[int, bytes]):
    asked = []

    def ask(n: int) -> bytes:
        asked.append(n)
        return answers.get(n, b"")
    ask.asked = asked
    return ask


@pytest.mark.parametrize("answers, state", [
    ({1: bytes([PLAIN]), 4: bytes([PLAIN])}, "ok"),
    ({1: bytes([PLAIN]), 4: bytes([PLAIN | 0x0C])}, "paper_low"),
    ({1: bytes([PLAIN]), 4: bytes([PLAIN | 0x60])}, "paper_out"),
    ({1: bytes([PLAIN | 0x08]), 2: bytes([PLAIN | 0x04])}, "cover_open"),
    ({1: bytes([PLAIN | 0x08]), 2: bytes([PLAIN | 0x20])}, "paper_out"),
    ({1: bytes([PLAIN | 0x08]), 2: bytes([PLAIN]), 4: bytes([PLAIN | 0x60])}, "paper_out"),
    ({1: bytes([PLAIN | 0x08]), 2: bytes([PLAIN | 0x40])}, "offline"),
    ({1: bytes([PLAIN | 0x08])}, "offline"),          # offline, and no word on why
    ({}, "unknown"),                                   # silence
    ({1: b"\xff"}, "unknown"),                         # noise: fixed bits wrong
    ({1: bytes([PLAIN])}, "unknown"),                  # answered once, then went quiet
])
def test_answers_map_to_states(answers, state):
    assert read_status(asker(answers)).state == state


def test_a_stale_byte_before_the_answer_is_ignored():
    assert read_status(asker({1: b"\x00" + bytes([PLAIN]), 4: bytes([PLAIN])})).state == "ok"


def test_healthy_printer_is_asked_two_questions_only():
    ask = asker({1: bytes([PLAIN]), 4: bytes([PLAIN])})
    read_status(ask)
    assert ask.asked == [1, 4]


@pytest.mark.parametrize("state", [s for s in STATES if s != "unknown"])
def test_simulated_answers_round_trip(state):
    assert read_status(lambda n: answer_for(state, n)).state == state


def test_status_dict_and_refusal_errors():
    for state in STATES:
        status = PrinterStatus.of(state)
        assert status.to_dict()["state"] == state and status.message
        if not status.can_print:
            error = status.error()
            assert error.status is status and error.message.endswith("imprimé.")
