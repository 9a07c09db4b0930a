"""A process works on a bounded number of terminal handshakes at once (real server
process, raw sockets on loopback): past the bound a new handshake is answered 503
at once, the back office and the API still answer, a socket that opens and never
connects gives its slot back after the TTL, and a real terminal gets in."""
from __future__ import annotations

import socket
import time

from ..helpers import http_json, start_server, start_terminal, wait_until
from server.web.admission import SLOT_TTL_S

UPGRADE = ("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def open_websocket(port: int) -> tuple[socket.socket, bytes]:
    """Upgrade a socket and read the answer's head; never send the Socket.IO connect."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(UPGRADE.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return sock, head


def test_past_the_bound_handshakes_are_refused_fast_and_a_terminal_still_gets_in(tmp_path):
    env = {"GUICHET_MAX_HANDSHAKES": "2", "GUICHET_METRICS_TOKEN": "m" * 32}
    server = start_server(tmp_path, env=env)
    held = []
    try:
        for _ in range(2):  # two sockets that open and stay silent: both slots taken
            sock, head = open_websocket(server.port)
            assert head.startswith(b"HTTP/1.1 101"), head
            held.append(sock)
        held_at = time.monotonic()
        t0 = time.monotonic()
        sock, head = open_websocket(server.port)
        sock.close()
        assert head.startswith(b"HTTP/1.1 503"), head
        assert b"retry-after:" in head.lower()
        assert time.monotonic() - t0 < 2  # answered at once, not queued
        # the back office and the API are not counted
        assert http_json("GET", server.url + "/healthz")[0] == 200
        assert server.api("GET", "/api/races")[0] == 200
        # a real terminal: refused while the silent sockets hold their slots, in once
        # their slots expire (the sockets are still open)
        terminal = start_terminal(tmp_path, server, wait_online=False)
        wait_until(lambda: terminal.status().get("online"), timeout=SLOT_TTL_S + 20,
                   what="terminal online")
        assert time.monotonic() - held_at >= SLOT_TTL_S - 0.5  # not before the TTL
        refused = metric(server, "guichet_handshakes_refused_total")
        assert refused >= 2  # ours, and the terminal's first tries
        terminal.proc.stop()
    finally:
        for sock in held:
            sock.close()
        server.proc.stop()


def metric(server, name: str) -> float:
    import urllib.request

    req = urllib.request.Request(server.url + "/metrics",
                                 headers={"Authorization": "Bearer " + "m" * 32})
    with urllib.request.urlopen(req, timeout=5) as answer:
        text = answer.read().decode()
    lines = [line for line in text.splitlines() if line.startswith(name + " ")]
    assert lines, text[:2000]
    return float(lines[0].split()[1])
