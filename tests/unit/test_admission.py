"""The bound on terminal handshakes in progress (server/web/admission.py), on a
plain WSGI callable standing for the Socket.IO stack."""
from __future__ import annotations

from server.web.admission import SLOT_TTL_S, Admission, release

OPEN = {"PATH_INFO": "/socket.io/", "QUERY_STRING": "EIO=4&transport=websocket"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def call(admission, environ):
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(admission(dict(environ), start_response))
    return seen["status"], seen["headers"], body


def holding(environs: list):
    """An inner app that keeps the environ of each admitted handshake (its slot
    stays taken until released, as a websocket request would keep it)."""
    def app(environ, start_response):
        environs.append(environ)
        start_response("200 OK", [])
        return [b"ok"]
    return app


def test_past_the_bound_a_new_handshake_gets_503_with_retry_after():
    refused = []
    admission = Admission(holding([]), limit=2, on_refused=lambda: refused.append(1))
    # two admitted handshakes whose requests have not ended: slots taken by hand
    admission._take(), admission._take()
    status, headers, body = call(admission, OPEN)
    assert status.startswith("503")
    assert 1 <= int(headers["Retry-After"]) <= 5
    assert body == b"busy\n" and refused == [1] and admission.refused == 1


def test_a_slot_comes_back_when_the_connect_is_decided_or_the_request_ends():
    environs: list = []
    admission = Admission(holding(environs), limit=1)
    assert call(admission, OPEN)[0] == "200 OK"
    assert admission.in_progress == 0  # the request ended: slot back
    slot = admission._take()
    assert call(admission, OPEN)[0].startswith("503")
    admission.slots.pop(slot)
    status, _, _ = call(admission, OPEN)
    assert status == "200 OK"
    # the namespace's connect handler gives the slot back through the environ
    taken = admission._take()
    assert admission.in_progress == 1
    release({"guichet.admission.release": lambda: admission.slots.pop(taken, None)})
    assert admission.in_progress == 0
    release({})  # no admission on this request: nothing to do
    release(None)


def test_a_socket_that_never_connects_loses_its_slot_after_the_ttl():
    clock = Clock()
    admission = Admission(holding([]), limit=1, clock=clock)
    admission._take()  # a websocket opened, no Socket.IO connect ever sent
    assert call(admission, OPEN)[0].startswith("503")
    clock.now += SLOT_TTL_S + 0.1
    assert call(admission, OPEN)[0] == "200 OK"


def test_only_new_socketio_sessions_are_counted():
    admission = Admission(holding([]), limit=1)
    admission._take()
    for environ in ({"PATH_INFO": "/healthz", "QUERY_STRING": ""},
                    {"PATH_INFO": "/api/races", "QUERY_STRING": ""},
                    {"PATH_INFO": "/admin/login", "QUERY_STRING": ""},
                    # an existing Engine.IO session (engineio refuses an unknown sid)
                    {"PATH_INFO": "/socket.io/", "QUERY_STRING": "EIO=4&transport=websocket&sid=abc"}):
        assert call(admission, environ)[0] == "200 OK", environ
    assert call(admission, OPEN)[0].startswith("503")

