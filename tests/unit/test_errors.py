"""One error family: every refusal is a BettingError with a code and a message,
the French text both sides show is written once, and only the edges pick a status."""
import pytest
from flask import Flask

from betting import errors
from betting.errors import BettingError, NotPayable, TerminalDisabled, WrongTerminal
from server.services.fleet import EnrolmentError
from server.services.races import RaceRemovalRefused
from server.services.review import ReviewError
from server.services.settlement import SettlementError
from server.web import api as server_api
from server.web import socket_ns
from terminal_app.adapters.sync import ServerUnavailable
from terminal_app.services.enrolment import EnrolError
from terminal_app.services.print_jobs import PrintRefused
from terminal_app.services.ticket_desk import REFUSALS, TicketRefused
from terminal_app.web.api import ticket_status


@pytest.mark.parametrize("family", [
    SettlementError, ReviewError, EnrolmentError, RaceRemovalRefused, server_api.ApiError,
    socket_ns.ReplayedSignature, TicketRefused, PrintRefused, EnrolError, ServerUnavailable,
])
def test_every_refusal_family_is_a_betting_error(family):
    assert issubclass(family, BettingError)


def test_a_refusal_carries_a_code_and_a_message_but_no_status():
    refused = SettlementError("race_open", "R1C1 is still open: close it first")
    assert (refused.code, refused.message) == ("race_open", "R1C1 is still open: close it first")
    assert not hasattr(refused, "status") and not hasattr(refused, "http_status")
    assert not hasattr(TicketRefused("offline", "x"), "http_status")


def test_a_named_refusal_says_its_default_french_text():
    assert str(WrongTerminal()) == "Un ticket s'annule sur le terminal qui l'a vendu."
    assert WrongTerminal().code == "wrong_terminal"


def test_the_terminal_shows_the_shared_ticket_texts_from_betting_errors():
    for cls in errors.TICKET_REFUSALS.values():
        assert REFUSALS[cls.code] == cls.default_message
    assert REFUSALS["not_payable"] == NotPayable.default_message


def test_the_server_pushes_the_shared_disabled_text():
    assert socket_ns.DISABLED_MESSAGE == TerminalDisabled.default_message


@pytest.mark.parametrize(("code", "method", "status"), [
    ("unauthorized", "POST", 401), ("bad_result", "POST", 400), ("unknown_code", "POST", 403),
    ("code_used", "POST", 409), ("unknown_race", "POST", 404), ("race_has_bets", "DELETE", 409),
    ("no_result", "GET", 404), ("no_result", "POST", 409), ("already_decided", "POST", 409),
])
def test_the_server_api_chooses_the_status_from_the_code(code, method, status):
    with Flask(__name__).test_request_context(method=method):
        assert server_api.status_of(SettlementError(code, "x")) == status


@pytest.mark.parametrize(("code", "status"), [
    ("invalid_ticket_code", 422), ("unknown_bet", 404), ("offline", 503), ("timeout", 504),
    ("bad_answer", 504), ("already_paid", 409), ("printed", 409),
])
def test_the_terminal_chooses_the_status_of_a_ticket_refusal_from_the_code(code, status):
    assert ticket_status(TicketRefused(code, "x")) == status
