"""Socket.IO namespace /terminal: thin handlers around the store and `betting`.

Every event answers through its ack with `{"ok": true, …}` or
`{"ok": false, "error", "message"}`; no exception leaves a handler.

A terminal holds one live socket: a connect signature is accepted once (its
`ts` must grow, checked in the store), a new connection replaces the old one
(told `replaced`, then dropped, on whichever process holds it), and a
disabled terminal is refused at connect, on every event, and cut off
(`disabled`, then dropped) by the API at once or by each process's watch loop.
"""
from __future__ import annotations

import functools
import json
import logging
import threading
import time

from flask import request
from flask_socketio import Namespace

from betting.errors import BettingError, ProtocolError, TerminalDisabled
from betting.programme import iso_utc
from betting.states import RaceState
from betting.protocol import (
    NAMESPACE,
    ack_error,
    ack_from_error,
    ack_ok,
    check_connect_auth,
    parse_place_bets,
)
from guichet.clock import utcnow

from ..services import fleet, payouts, races, reports, till_ledger
from ..services.bet_writer import BetWriter
from ..services.connections import ConnectionWriter
from ..services.ledger import OfflineRule
from ..services.odds import OddsBoard
from ..services.throttle import FailureThrottle
from . import metrics

log = logging.getLogger("guichet.server")

# Failed ticket look-ups (invalid or unknown code) allowed per terminal and minute.
TICKET_FAILURES_PER_MINUTE = 30
LOOKUP_FAILURES = {"invalid_ticket_code", "unknown_ticket"}
MAX_SINCE_VERSION = 2**63 - 1  # the store's integers are 64-bit
MAX_QUEUE_DEPTH = 10**9  # an outbox holds fewer bets than a terminal's sequence allows
MAX_PRINTER_JSON = 500  # characters of printer state kept per terminal
MAX_CLOCK_OFFSET_MS = 10 * 365 * 86400 * 1000  # beyond ten years a clock says nothing useful

DISABLED_MESSAGE = TerminalDisabled.default_message
REKEYED_MESSAGE = ("La clé de ce terminal a été renouvelée : cette connexion n'est plus "
                   "valable. Si ce terminal est toujours en service, appelez l'assistance.")
REPLACED_MESSAGE = ("Une autre connexion de ce terminal a pris la place de celle-ci : "
                    "si ce n'est pas ce terminal, appelez l'assistance.")


class RateLimited(BettingError):
    code = "rate_limited"
    default_message = "Trop de codes de ticket refusés : attendez une minute avant de réessayer."


class ReplayedSignature(BettingError):
    """A connect signature used before: its `ts` must grow at each connection."""

    code = "replayed_signature"
    default_message = "signature already used: ts must grow at each connection"


def cut_off(socketio, sid: str, event: str, message: str) -> None:
    """Tell the socket `sid` why, then drop it, on whichever server process
    holds it (through the message queue when there is one)."""
    socketio.emit(event, {"message": message}, to=sid, namespace=NAMESPACE)
    socketio.server.disconnect(sid, namespace=NAMESPACE)
    metrics.of(socketio).push_sent(event)


def _answering(handler):
    """Every failure of `handler` becomes an error ack."""
    @functools.wraps(handler)
    def wrapper(self, *args):
        try:
            return handler(self, *args)
        except BettingError as exc:
            return ack_from_error(exc)
        except Exception:  # a bug must not kill the connection or the server
            log.exception("handler %s failed", handler.__name__)
            return ack_error("internal_error", "the server could not handle this request")
    return wrapper


def _safe(handler):
    """An event handler: one payload object at most, every failure an error ack."""
    answering = _answering(handler)

    @functools.wraps(handler)
    def wrapper(self, *args):
        if len(args) > 1:
            return ack_error("bad_request", "an event carries one payload object")
        return answering(self, *args)
    return wrapper


class TerminalNamespace(Namespace):
    def __init__(self, namespace: str, store, policy: dict,
                 ticket_failures_per_minute: int = TICKET_FAILURES_PER_MINUTE) -> None:
        super().__init__(namespace)
        self.store = store
        self.policy = policy  # offline selling rules, pushed to every terminal
        self.offline_rule = OfflineRule.from_policy(policy)  # what a late provisional bet is worth
        # Bets, and connects and disconnects, are written in turns (group commit);
        # the store keeps its fsync off the event loop (server/web/blocking.py).
        self.writer = BetWriter(store, self.offline_rule, on_turn=self._turn_done)
        self.connections = ConnectionWriter(store)
        self.sessions: dict[str, str] = {}  # sid -> terminal_id
        self.by_terminal: dict[str, str] = {}  # terminal_id -> its live sid on this process
        self.lookups = FailureThrottle(ticket_failures_per_minute, 60)
        # Latest heartbeat per terminal, written to the store in one transaction
        # by the watch loop: 20,000 terminals must not mean thousands of fsyncs/s.
        self.beats: dict[str, tuple] = {}
        self._beats_lock = threading.Lock()
        # Probable odds last pushed (server/services/odds.py): filled by the watch loop
        # of the process that owns the periodic work, sent to a terminal at connect.
        self.odds = OddsBoard()

    def trigger_event(self, event, *args):
        """Route an event to its `on_<event>` handler, and answer what has none.

        `connect` and `disconnect` are the transport's own events; a client
        that sends an event by one of those names is refused, so it can neither
        re-run the connection check nor drop its session while its socket stays
        open. An unknown event gets an error ack, not silence."""
        sid = args[0] if args else None
        if not isinstance(event, str) or not hasattr(self, f"on_{event}"):
            log.info("unknown event %.40r from socket %s", event, sid)
            return ack_error("unknown_event", "no such event on this namespace")
        if event == "connect":
            if sid in self.sessions:
                return ack_error("bad_request", "connect is not an event")
            # The transport's own connect (sid, environ, auth) and disconnect (sid,
            # reason) run without Flask's request context too: building a request
            # and a session for each was a sixth of a connect's CPU, which counts
            # when 20,000 terminals come back after a restart.
            return self._connect(sid, args[2] if len(args) > 2 else None)
        if event == "disconnect":
            if self.socketio.server.manager.is_connected(sid, self.namespace):
                return ack_error("bad_request", "disconnect is not an event")
            return self._disconnect(sid)
        if event == "place_bets":
            # The rush path runs without Flask's request context, which routes the
            # URL and builds a session on every event (a tenth of a bet's CPU):
            # it needs nothing from Flask, only the socket's id.
            if len(args) > 2:
                return ack_error("bad_request", "an event carries one payload object")
            return self._place_bets(sid, args[1] if len(args) > 1 else None)
        return super().trigger_event(event, *args)

    def _session(self) -> str:
        """The terminal this socket authenticated as (no store read)."""
        terminal_id = self.sessions.get(request.sid)
        if terminal_id is None:
            raise ProtocolError("not authenticated")
        return terminal_id

    def _terminal(self) -> str:
        """The terminal of this socket, refused once it is disabled: the store
        decides (any process, or `guichet admin disable`, may have changed it)."""
        terminal_id = self._session()
        with self.store.unit_of_work(read_only=True) as uow:
            if fleet.is_disabled(uow, terminal_id):
                raise TerminalDisabled()
        return terminal_id

    def on_connect(self, auth=None):
        """Routed by `trigger_event` to `_connect`, outside Flask's context."""
        return self._connect(request.sid, auth)

    def _connect(self, sid: str, auth=None):
        # Any failure here must refuse the connection itself: python-socketio
        # would take a TypeError for a handler without `auth` and call again.
        try:
            with self.store.unit_of_work(read_only=True) as uow:
                terminal_id = check_connect_auth(
                    auth, lambda t: fleet.terminal_secret(uow, t), utcnow().timestamp()
                )
            accepted, previous = self.connections.claim(terminal_id, auth["ts"], sid, utcnow())
            if not accepted:
                raise ReplayedSignature()
        except ProtocolError as exc:
            log.info("refused a terminal connection: %s", exc)
            raise ConnectionRefusedError(str(exc), {"error": "bad_auth"}) from None
        except BettingError as exc:
            log.info("refused terminal %s: %s", terminal_id, exc)
            raise ConnectionRefusedError(str(exc), {"error": exc.code}) from None
        except Exception as exc:
            if _store_failure(exc):  # the store is down or failing over: one line each
                log.warning("connection refused, the store failed: %s: %s",
                            type(exc).__name__, " ".join(str(exc).split())[:200])
            else:
                log.exception("connection check failed")
            raise ConnectionRefusedError("internal_error") from None
        local = self.by_terminal.get(terminal_id)
        self.sessions[sid] = terminal_id
        self.by_terminal[terminal_id] = sid
        metrics.of(self.socketio).terminals_connected(len(self.sessions))
        log.info("terminal %s connected", terminal_id)
        for old in {previous, local} - {None, sid}:
            log.warning("terminal %s: a new connection replaces socket %s", terminal_id, old)
            cut_off(self.socketio, old, "replaced", REPLACED_MESSAGE)
        self.emit("policy", self.policy, room=sid)
        for message in self.odds.latest():  # the open races' odds as last pushed
            self.emit("odds", message, room=sid)

    def on_disconnect(self, reason=None):
        """Routed by `trigger_event` to `_disconnect`, outside Flask's context."""
        self._disconnect(request.sid)

    def _disconnect(self, sid: str) -> None:
        terminal_id = self.sessions.pop(sid, None)
        measured = metrics.of(self.socketio)
        measured.terminals_connected(len(self.sessions))
        if terminal_id:
            if self.by_terminal.get(terminal_id) == sid:
                del self.by_terminal[terminal_id]
                measured.terminal_gone(terminal_id)
            try:
                self.connections.release(terminal_id, sid, utcnow())
            except Exception as exc:  # the socket is gone all the same
                log.warning("terminal %s disconnected, not recorded: %s", terminal_id, exc)
                return
            log.info("terminal %s disconnected", terminal_id)

    def drop_disabled(self) -> int:
        """Cut off this process's sockets of disabled terminals (watch loop):
        `guichet admin disable` writes only the store."""
        if not self.sessions:
            return 0
        with self.store.unit_of_work(read_only=True) as uow:
            disabled = fleet.disabled_terminals(uow)
        doomed = [sid for sid, t in list(self.sessions.items()) if t in disabled]
        for sid in doomed:
            log.warning("terminal %s is disabled: dropping its socket", self.sessions.get(sid))
            cut_off(self.socketio, sid, "disabled", DISABLED_MESSAGE)
        return len(doomed) + self._drop_old_keys()

    def _drop_old_keys(self) -> int:
        """Cut off this process's sockets opened with a key since replaced (re-enrolment
        cuts the live one off at once; this catches a socket that message missed)."""
        with self.store.unit_of_work(read_only=True) as uow:
            live = fleet.recently_rekeyed(uow, utcnow())
        stale = [sid for sid, t in list(self.sessions.items()) if t in live and live[t] != sid]
        for sid in stale:
            log.warning("terminal %s has a new key: dropping a socket opened with the old one",
                        self.sessions.get(sid))
            cut_off(self.socketio, sid, "disabled", REKEYED_MESSAGE)
        return len(stale)

    def _ticket_lookup(self, terminal_id: str, action):
        """Run a ticket operation, counting codes that are invalid or unknown:
        past the limit the terminal is refused for a while (guessing codes)."""
        wait = self.lookups.retry_after(terminal_id)
        if wait:
            raise RateLimited("Trop de codes de ticket refusés sur ce terminal : "
                              f"réessayez dans {wait} s.")
        try:
            return action()
        except BettingError as exc:
            if exc.code in LOOKUP_FAILURES:
                self.lookups.fail(terminal_id)
                log.info("terminal %s: refused ticket look-up (%s)", terminal_id, exc.code)
            raise

    def on_place_bets(self, payload=None):
        """Routed by `trigger_event` to `_place_bets`, outside Flask's context."""
        return self._place_bets(request.sid, payload)

    @_answering
    def _place_bets(self, sid: str, payload=None):
        # Decided with the other terminals' bets of the same moment, in one
        # transaction; answered after its commit (server/services/bet_writer.py).
        started = time.perf_counter()
        terminal_id = self.sessions.get(sid)
        if terminal_id is None:
            raise ProtocolError("not authenticated")
        raw_bets = parse_place_bets(payload)
        results = self.writer.place(terminal_id, raw_bets)
        measured = metrics.of(self.socketio)
        for answer in results:
            measured.bet_decided(answer["status"], answer["reason"])
        measured.ack_latency(time.perf_counter() - started)
        return ack_ok(results=results)

    def _turn_done(self, turn) -> None:
        """One commit of the bet writer: its size and duration, for /metrics."""
        if turn.ok:
            metrics.of(self.socketio).commit(turn.items, turn.seconds)

    @_safe
    def on_heartbeat(self, payload=None):
        terminal_id = self._terminal()
        payload = payload if isinstance(payload, dict) else {}
        depth = payload.get("queue_depth")
        if isinstance(depth, bool) or not isinstance(depth, int) \
                or not 0 <= depth <= MAX_QUEUE_DEPTH:
            depth = None
        version = payload.get("version")
        if depth is not None:
            metrics.of(self.socketio).outbox_reported(terminal_id, depth)
        now = utcnow()
        with self._beats_lock:
            self.beats[terminal_id] = (now, depth, _printer_json(payload.get("printer")),
                                       _printable(version, 40),
                                       _count(payload.get("provisional")),
                                       _clock_offset_ms(payload.get("clock_ms"), now))
        return ack_ok(server_time=iso_utc(now), server_time_ms=int(now.timestamp() * 1000),
                      policy=self.policy)

    def flush_heartbeats(self) -> int:
        """Write the heartbeats received since the last flush (called by the watch loop)."""
        with self._beats_lock:
            beats, self.beats = self.beats, {}
        if beats:
            with self.store.unit_of_work() as uow:
                for terminal_id, (now, depth, printer, version, provisional,
                                  offset) in beats.items():
                    fleet.record_heartbeat(uow, terminal_id, depth, printer, version, now,
                                           provisional, offset)
                uow.commit()
        return len(beats)

    @_safe
    def on_get_programme(self, payload=None):
        self._terminal()
        since = payload.get("since_version", 0) if isinstance(payload, dict) else 0
        if isinstance(since, bool) or not isinstance(since, int) \
                or not 0 <= since <= MAX_SINCE_VERSION:
            raise ProtocolError("since_version must be an integer from 0 to 2^63-1")
        now = utcnow()
        with self.store.unit_of_work(read_only=True) as uow:
            version = races.current_version(uow)
            changed = races.races_since(uow, since)
            removed = races.removed_since(uow, since)  # ids to drop (older terminals ignore it)
        return ack_ok(version=version, races=[r.to_dict(now) for r in changed],
                      removed=removed, server_time=iso_utc(now))

    @_safe
    def on_inquire_ticket(self, payload=None):
        terminal_id = self._terminal()
        ticket = payload.get("ticket") if isinstance(payload, dict) else None

        def inquire():
            with self.store.unit_of_work(read_only=True) as uow:
                return payouts.inquire(uow, ticket)
        return ack_ok(**self._ticket_lookup(terminal_id, inquire))

    @_safe
    def on_pay_ticket(self, payload=None):
        terminal_id = self._terminal()
        payload = payload if isinstance(payload, dict) else {}

        def pay():
            with self.store.unit_of_work() as uow:
                paid = payouts.pay(uow, payload.get("ticket"), payload.get("payment_uuid"),
                                   terminal_id, utcnow())
                uow.commit()
            return paid
        return ack_ok(**self._ticket_lookup(terminal_id, pay))

    @_safe
    def on_till_ledger(self, payload=None):
        """This terminal's figures for one Paris day (its till's Z report compares them):
        the terminal is the connection's, whatever the payload says."""
        terminal_id = self._terminal()
        day = till_ledger.parse_day(payload.get("day") if isinstance(payload, dict) else None,
                                    utcnow().date())
        with self.store.unit_of_work(read_only=True) as uow:
            return ack_ok(**till_ledger.terminal_day(uow, terminal_id, day))

    @_safe
    def on_z_report(self, payload=None):
        """A till's Z report, kept once per report id for the back office's comparison
        with the central ledger (server/services/reports.py). It is stored as this
        connection's terminal's, whatever the payload says."""
        terminal_id = self._terminal()
        with self.store.unit_of_work() as uow:
            kept = reports.store_z_report(uow, terminal_id, payload, utcnow())
            uow.commit()
        return ack_ok(**kept)

    @_safe
    def on_cancel_ticket(self, payload=None):
        terminal_id = self._terminal()
        ticket = payload.get("ticket") if isinstance(payload, dict) else None

        def cancel():
            with self.store.unit_of_work() as uow:
                cancelled = payouts.cancel(uow, ticket, terminal_id, utcnow())
                uow.commit()
            return cancelled
        return ack_ok(**self._ticket_lookup(terminal_id, cancel))


def _store_failure(exc: BaseException) -> bool:
    """An error raised by the store's driver (connection lost, database locked),
    as opposed to a bug of ours."""
    return type(exc).__module__.split(".")[0] in ("psycopg", "psycopg_pool", "sqlite3")


def _printable(value: object, most: int) -> str | None:
    """A short text to store as given, or nothing (no control characters: PostgreSQL's
    text cannot hold NUL)."""
    text = str(value)[:most] if value else None
    return text if text and text.isprintable() else None


def _count(value: object) -> int | None:
    """A count a terminal reports (bets in its outbox), or None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUEUE_DEPTH:
        return None
    return value


def _clock_offset_ms(clock_ms: object, now) -> int | None:
    """The terminal's clock (`clock_ms`, ms since the epoch, read as it sent the
    heartbeat) minus the server's: positive when the terminal is ahead."""
    if isinstance(clock_ms, bool) or not isinstance(clock_ms, int) or not 0 < clock_ms < 2**53:
        return None
    offset = clock_ms - int(now.timestamp() * 1000)
    return offset if abs(offset) <= MAX_CLOCK_OFFSET_MS else None


def _printer_json(state: object) -> str | None:
    """The printer state as stored: whole JSON or nothing, never a cut text."""
    if state is None:
        return None
    try:
        text = json.dumps(state)
    except (TypeError, ValueError, RecursionError):
        return None
    return text if len(text) <= MAX_PRINTER_JSON else None


def push_pool_states(socketio, records, now) -> None:
    for record in records:
        socketio.emit("pool_state", {"race": record.race.race_id, "state": record.state_at(now),
                                     "version": record.version, "cause": _closed_by(record, now)},
                      namespace="/terminal")
        metrics.of(socketio).push_sent("pool_state")


def _closed_by(record, now) -> str | None:
    """Why a race's pools are closed: `off` (its post time came) or `operator`
    (closed earlier by the central operator); None while open."""
    if record.state_at(now) == RaceState.OPEN:
        return None
    closed_at = record.closed_at or iso_utc(now)
    return "off" if closed_at >= iso_utc(record.race.post_time) else "operator"


def push_odds(socketio, messages: list[dict]) -> None:
    """Probable odds and pool totals of open races, to every terminal
    (server/services/odds.py makes the messages)."""
    for message in messages:
        socketio.emit("odds", message, namespace="/terminal")
        metrics.of(socketio).push_sent("odds")


def push_programme(socketio, version: int) -> None:
    socketio.emit("programme", {"version": version}, namespace="/terminal")
    metrics.of(socketio).push_sent("programme")


def push_results(socketio, published: dict) -> None:
    socketio.emit("results", published, namespace="/terminal")
    metrics.of(socketio).push_sent("results")
