"""Terminal sockets for the load generator: raw Socket.IO over a minimal websocket.

The client side of RFC 6455 written on asyncio's Protocol, as little as the
load needs, and the Engine.IO 4 / Socket.IO 5 text packets of the `/terminal`
namespace (connect with a signature, answer pings, match acks). A connection
costs no task and a message no coroutine switch: the generator must stay far
cheaper than the server it measures.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from urllib.parse import urlsplit

from betting.protocol import NAMESPACE, connect_signature

CONNECT = f"40{NAMESPACE},"
REFUSED = f"44{NAMESPACE},"
DROPPED = f"41{NAMESPACE}"
EVENT = f"42{NAMESPACE},"
ACK = f"43{NAMESPACE},"


class Refused(Exception):
    """The server answered the namespace connect with an error (`44`)."""


class Lost(Exception):
    """The socket closed before the ack came."""


class WebSocket(asyncio.Protocol):
    """The client side of RFC 6455, as little as this load needs: one upgrade,
    text frames out (masked, as a client must), text, ping and close frames in.
    Frames are parsed in `data_received`, so a connection costs no task and a
    message no coroutine switch: the generator must stay far cheaper than the
    server it measures."""

    def __init__(self, on_text, on_close) -> None:
        self.on_text, self.on_close = on_text, on_close
        self.upgraded = asyncio.get_running_loop().create_future()
        # a socket lost before its upgrade was awaited: its failure is counted by
        # `Link.connect`, not printed as "Future exception was never retrieved"
        self.upgraded.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.transport = None
        self.buf = bytearray()
        self.fragments: list[bytes] = []

    def connection_made(self, transport) -> None:
        self.transport = transport

    def upgrade(self, host: str, path: str) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                              f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n").encode())

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded.done():
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buf[:self.buf.find(b"\r\n")])
            del self.buf[:end + 4]
            if not status.startswith(b"HTTP/1.1 101"):
                self.upgraded.set_exception(Refused(status.decode(errors="replace")))
                self.transport.close()
                return
            self.upgraded.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buf, pos, size = self.buf, 0, len(self.buf)
        while size - pos >= 2:
            b0, length, head = buf[pos], buf[pos + 1] & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            if size - pos < head + length:
                break
            payload = bytes(buf[pos + head:pos + head + length])  # a server never masks
            pos += head + length
            opcode = b0 & 0x0F
            if opcode in (0, 1, 2):
                self.fragments.append(payload)
                if b0 & 0x80:
                    message, self.fragments = b"".join(self.fragments), []
                    self.on_text(self, message.decode())
            elif opcode == 9:
                self.send(payload, 0xA)
            elif opcode == 8:
                self.send(payload[:2], 0x8)
                self.transport.close()
        del buf[:pos]

    def send(self, payload: bytes, opcode: int = 0x1) -> None:
        if self.transport is None or self.transport.is_closing():
            raise Lost()
        n, mask = len(payload), os.urandom(4)
        if n < 126:
            head = bytes((0x80 | opcode, 0x80 | n))
        elif n < 65536:
            head = bytes((0x80 | opcode, 0xFE)) + n.to_bytes(2, "big")
        else:
            head = bytes((0x80 | opcode, 0xFF)) + n.to_bytes(8, "big")
        # XOR with the repeated mask as one big integer: no Python loop per byte
        masked = (int.from_bytes(payload, "big")
                  ^ int.from_bytes((mask * (n // 4 + 1))[:n], "big")).to_bytes(n, "big")
        self.transport.write(head + mask + masked)

    def connection_lost(self, exc) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(Lost())
        self.on_close(self)


class Link:
    """One terminal's socket: connect with a fresh signature, answer pings, match acks."""

    def __init__(self, url: str, terminal_id: str, key: bytes) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.path = "/socket.io/?EIO=4&transport=websocket"
        self.terminal_id = terminal_id
        self.key = key
        self.last_ts = 0
        self.ws: WebSocket | None = None
        self.joining: asyncio.Future | None = None
        self.pending: dict[int, asyncio.Future] = {}
        self.next_ack = 0
        self.closed = asyncio.Event()
        self.closed.set()

    async def connect(self, timeout: float = 20.0) -> None:
        # ts must grow at each connection of a terminal (the server refuses a replay)
        self.last_ts = max(int(time.time()), self.last_ts + 1)
        loop = asyncio.get_running_loop()
        self.joining = loop.create_future()
        ws = None
        try:
            async with asyncio.timeout(timeout):
                _, ws = await loop.create_connection(
                    lambda: WebSocket(self._on_text, self._on_close), self.host, self.port)
                ws.upgrade(f"{self.host}:{self.port}", self.path)
                await ws.upgraded
                self.ws = ws  # the opening packet `0{…}` is answered by _on_text
                self.closed = asyncio.Event()
                await self.joining
        except BaseException:
            if ws is not None:
                ws.transport.close()
            self.ws = None
            if not self.joining.done():
                self.joining.cancel()  # connection_lost will not fail it unheard
            elif not self.joining.cancelled():
                self.joining.exception()  # already raised here or superseded: heard
            raise

    def _on_text(self, ws: WebSocket, msg: str) -> None:
        if msg == "2":
            ws.send(b"3")
        elif msg.startswith(ACK):
            body = msg[len(ACK):]
            digits = len(body) - len(body.lstrip("0123456789"))
            fut = self.pending.pop(int(body[:digits]), None)
            if fut is not None and not fut.done():
                fut.set_result(json.loads(body[digits:])[0])
        elif msg.startswith("0"):
            ws.send((CONNECT + json.dumps(self._auth())).encode())
        elif msg.startswith(CONNECT):
            if not self.joining.done():
                self.joining.set_result(None)
        elif msg.startswith(REFUSED):
            if not self.joining.done():
                self.joining.set_exception(Refused(msg[len(REFUSED):][:120]))
            ws.transport.close()
        elif msg.startswith(DROPPED) or msg == "1":
            ws.transport.close()

    def _auth(self) -> dict:
        ts = self.last_ts
        return {"terminal_id": self.terminal_id, "ts": ts,
                "sig": connect_signature(self.terminal_id, ts, self.key)}

    def _on_close(self, ws: WebSocket) -> None:
        if self.joining is not None and not self.joining.done():
            self.joining.set_exception(Lost())
        if ws is not self.ws:
            return
        self.ws = None
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(Lost())
        self.pending.clear()
        self.closed.set()

    def call(self, event: str, payload: dict) -> asyncio.Future:
        """Send an event with an ack id; the future resolves with the ack's payload."""
        if self.ws is None:
            raise Lost()
        n = self.next_ack = self.next_ack + 1
        fut = asyncio.get_running_loop().create_future()
        self.pending[n] = fut
        try:
            self.ws.send((f"{EVENT}{n}" + json.dumps([event, payload])).encode())
        except Lost:
            self.pending.pop(n, None)
            raise
        return fut

    async def close(self) -> None:
        if self.ws is not None:
            self.ws.transport.close()
