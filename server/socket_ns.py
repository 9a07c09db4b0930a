"""Socket.IO namespace /terminal: thin handlers around the store and `betting`.

Every event answers through its ack with `{"ok": true, …}` or
`{"ok": false, "error", "message"}`; no exception leaves a handler.
"""
from __future__ import annotations

import functools
import logging
import threading

from flask import request
from flask_socketio import Namespace

from betting.errors import BettingError, ProtocolError
from betting.programme import iso_utc
from betting.protocol import ack_error, ack_from_error, ack_ok, check_connect_auth, parse_place_bets

from . import fleet, races, tickets
from .bets import place_one
from .tickets import TicketError
from .store import utcnow

log = logging.getLogger("guichet.server")


def _safe(handler):
    @functools.wraps(handler)
    def wrapper(self, *args):
        try:
            return handler(self, *args)
        except BettingError as exc:
            return ack_from_error(exc)
        except TicketError as exc:
            return ack_error(exc.code, exc.message)
        except Exception:  # a bug must not kill the connection or the server
            log.exception("handler %s failed", handler.__name__)
            return ack_error("internal_error", "the server could not handle this request")
    return wrapper


class TerminalNamespace(Namespace):
    def __init__(self, namespace: str, store, policy: dict) -> None:
        super().__init__(namespace)
        self.store = store
        self.policy = policy  # offline selling rules, pushed to every terminal
        self.sessions: dict[str, str] = {}  # sid -> terminal_id
        # Latest heartbeat per terminal, written to the store in one transaction
        # by the watch loop: 20,000 terminals must not mean thousands of fsyncs/s.
        self.beats: dict[str, tuple] = {}
        self._beats_lock = threading.Lock()

    def _terminal(self) -> str:
        terminal_id = self.sessions.get(request.sid)
        if terminal_id is None:
            raise ProtocolError("not authenticated")
        return terminal_id

    def on_connect(self, auth=None):
        # Any failure here must refuse the connection itself: Flask-SocketIO
        # would take a TypeError for a handler without `auth` and call again.
        try:
            with self.store.read() as db:
                terminal_id = check_connect_auth(
                    auth, lambda t: fleet.terminal_key(db, t), utcnow().timestamp()
                )
        except ProtocolError as exc:
            log.info("refused a terminal connection: %s", exc)
            raise ConnectionRefusedError(str(exc)) from None
        except Exception:
            log.exception("connection check failed")
            raise ConnectionRefusedError("internal_error") from None
        self.sessions[request.sid] = terminal_id
        with self.store.transaction() as db:
            fleet.mark_connected(db, terminal_id, True, utcnow())
        log.info("terminal %s connected", terminal_id)
        self.emit("policy", self.policy, room=request.sid)

    def on_disconnect(self, reason=None):
        terminal_id = self.sessions.pop(request.sid, None)
        if terminal_id:
            with self.store.transaction() as db:
                fleet.mark_connected(db, terminal_id, False, utcnow())
            log.info("terminal %s disconnected", terminal_id)

    @_safe
    def on_place_bets(self, payload=None):
        terminal_id = self._terminal()
        raw_bets = parse_place_bets(payload)
        now = utcnow()
        cache: dict = {}
        with self.store.transaction() as db:
            key = fleet.terminal_key(db, terminal_id)
            if key is None:
                raise ProtocolError("terminal disabled")
            results = [place_one(db, terminal_id, key, raw, now, cache) for raw in raw_bets]
        return ack_ok(results=results)

    @_safe
    def on_heartbeat(self, payload=None):
        terminal_id = self._terminal()
        payload = payload if isinstance(payload, dict) else {}
        depth = payload.get("queue_depth")
        depth = depth if isinstance(depth, int) and not isinstance(depth, bool) else None
        version = payload.get("version")
        now = utcnow()
        with self._beats_lock:
            self.beats[terminal_id] = (now, depth, payload.get("printer"),
                                       str(version)[:40] if version else None)
        return ack_ok(server_time=iso_utc(now), server_time_ms=int(now.timestamp() * 1000),
                      policy=self.policy)

    def flush_heartbeats(self) -> int:
        """Write the heartbeats received since the last flush (called by the watch loop)."""
        with self._beats_lock:
            beats, self.beats = self.beats, {}
        if beats:
            with self.store.transaction() as db:
                for terminal_id, (now, depth, printer, version) in beats.items():
                    fleet.record_heartbeat(db, terminal_id, depth, printer, version, now)
        return len(beats)

    @_safe
    def on_get_programme(self, payload=None):
        self._terminal()
        since = payload.get("since_version", 0) if isinstance(payload, dict) else 0
        if isinstance(since, bool) or not isinstance(since, int) or since < 0:
            raise ProtocolError("since_version must be a non-negative integer")
        now = utcnow()
        with self.store.read() as db:
            version = races.current_version(db)
            changed = races.races_since(db, since)
        return ack_ok(version=version, races=[r.to_dict(now) for r in changed],
                      server_time=iso_utc(now))


    @_safe
    def on_inquire_ticket(self, payload=None):
        self._terminal()
        ticket = payload.get("ticket") if isinstance(payload, dict) else None
        with self.store.read() as db:
            return ack_ok(**tickets.inquire(db, ticket))

    @_safe
    def on_pay_ticket(self, payload=None):
        terminal_id = self._terminal()
        payload = payload if isinstance(payload, dict) else {}
        with self.store.transaction() as db:
            paid = tickets.pay(db, payload.get("ticket"), payload.get("payment_uuid"),
                               terminal_id, utcnow())
        return ack_ok(**paid)

    @_safe
    def on_cancel_ticket(self, payload=None):
        terminal_id = self._terminal()
        ticket = payload.get("ticket") if isinstance(payload, dict) else None
        with self.store.transaction() as db:
            return ack_ok(**tickets.cancel(db, ticket, terminal_id, utcnow()))


def push_pool_states(socketio, records, now) -> None:
    for record in records:
        socketio.emit("pool_state", {"race": record.race.race_id, "state": record.state_at(now),
                                     "version": record.version},
                      namespace="/terminal")


def push_programme(socketio, version: int) -> None:
    socketio.emit("programme", {"version": version}, namespace="/terminal")


def push_results(socketio, published: dict) -> None:
    socketio.emit("results", published, namespace="/terminal")
