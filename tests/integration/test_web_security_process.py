"""The central server as it really runs (gunicorn, gevent worker): what its HTTP
answers say about it, and that unreadable input over HTTP and Socket.IO leaves it
serving (docs/security.md)."""
from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

from betting.protocol import NAMESPACE

from ..helpers import http_json, start_server
from .socket_client import connect


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("websec"))
    yield srv
    srv.proc.stop()


def _headers(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return {name.lower(): value for name, value in resp.getheaders()}


def test_the_server_does_not_advertise_its_software(server):
    for path in ("/healthz", "/", "/static/guichet.css"):
        headers = _headers(server.url + path)
        assert headers.get("server") == "guichet", (path, headers.get("server"))
        assert "gunicorn" not in str(headers).lower()
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
    with urllib.request.urlopen(server.url + "/static/guichet.css", timeout=10) as resp:
        assert resp.read()  # the body still comes through


def test_too_deep_json_is_bad_json_under_gunicorn(server):
    req = urllib.request.Request(server.url + "/api/enrol", data=b"[" * 30_000 + b"]" * 30_000,
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 400
        assert b'"bad_json"' in exc.read()


def test_a_too_deep_socket_payload_leaves_the_server_serving(server):
    status, created = server.api("POST", "/api/enrolment-codes", {"outlet": "Bar du test"})
    assert status == 201, created
    status, enrolled = http_json("POST", server.url + "/api/enrol", {"code": created["code"]})
    assert status == 201, enrolled
    terminal_id, key = enrolled["terminal_id"], bytes.fromhex(enrolled["key"])

    client = connect(server.url, terminal_id, key)
    try:
        # An EVENT packet with ack id 1 whose JSON nests 100,000 lists (200 KB, under
        # the 1 MB message cap): python-socketio's decoder hits RecursionError.
        client.eio.send("2" + NAMESPACE + ",1" + "[" * 100_000 + "]" * 100_000)
        time.sleep(0.5)
        answer = client.call("heartbeat", {"queue_depth": 0}, namespace=NAMESPACE, timeout=10)
        assert answer["ok"] is True, answer
    finally:
        client.disconnect()

    assert http_json("GET", server.url + "/healthz")[0] == 200
    other = connect(server.url, terminal_id, key)
    try:
        assert other.call("heartbeat", {}, namespace=NAMESPACE, timeout=10)["ok"] is True
    finally:
        other.disconnect()
    assert server.proc.popen.poll() is None  # still the same process
    log = server.proc.output()
    assert "dropped an unreadable Socket.IO message (nested too deeply" in log, log[-2000:]
    assert "RecursionError" not in log and "Traceback" not in log


def test_gunicorn_opens_no_control_socket(server):
    assert "Control socket" not in server.proc.output()
