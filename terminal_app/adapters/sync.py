"""The sync client: one Socket.IO connection (websocket) to the central server.

It sends pending outbox entries in sequence order, in batches, with
`call()` and a timeout, and records each answer before anything else
happens to the bet. It keeps the programme cache up to date and sends
heartbeats. Delivery is at-least-once: a timed-out batch is simply sent
again, and the server answers a resend with the original result.
"""
from __future__ import annotations

import json
import logging
import queue
import random
import threading
import time
import uuid
from typing import Callable

import socketio

from betting.errors import BettingError
from betting.protocol import NAMESPACE, OfflinePolicy, connect_signature
from betting.states import UNANSWERED, Answer, RaceState

from .live import Live
from .outbox import Outbox, wire_bet
from .race_card import Programme
from .server_clock import ServerClock
from .settings import Settings
from .tls import socket_tls_options

log = logging.getLogger("guichet.terminal.sync")

BATCH = 500  # the server takes up to 500 bets a message
CALL_TIMEOUT_S = 5
# A heartbeat every 4 s that must be answered within 3 s: a silent line is
# noticed within about seven seconds, not at the transport's own timeout
# (10 s), at 5,000 messages/s for a fleet of 20,000 terminals.
HEARTBEAT_S = 4
HEARTBEAT_TIMEOUT_S = 3
BACKOFF_MIN_S, BACKOFF_MAX_S = 0.5, 10.0
CONNECT_TIMEOUT_S = 5
# A connect that ran out its time met a central that is up but swamped (every shop
# reconnecting after a restart): the next try comes at a random moment of the next
# `OVERLOAD_SPREAD_S` seconds, so that 20,000 terminals arrive at the pace the
# central takes them instead of all timing out again together (bench/RESULTS.md,
# "Reconnect storm"). A refused or unreachable central is tried again on the short
# backoff above: it answers as soon as it is back.
OVERLOAD_SPREAD_S = 30.0
# Replaced by another connection with this terminal's identity: wait before
# taking the line back, so two holders of one key do not fight in a tight loop.
REPLACED_BACKOFF_S = 5.0


def retry_delay(backoff: float, attempt_s: float) -> float:
    """How long to wait before the next connect: a random moment of the next
    OVERLOAD_SPREAD_S seconds after a connect that timed out (the central is up
    but swamped), else the backoff with ±50 % jitter (refused or unreachable)."""
    if attempt_s >= 0.8 * CONNECT_TIMEOUT_S:
        return random.uniform(0.0, OVERLOAD_SPREAD_S)
    return backoff * random.uniform(0.5, 1.5)


class ServerUnavailable(BettingError):
    """A request could not be put to the server, or got no answer (`request`).

    `code` is "offline", "timeout" or "bad_answer"; the message is French."""

    MESSAGES = {
        "offline": "Serveur central injoignable : cette opération a besoin de lui. "
                   "Réessayez dès le retour de la connexion.",
        "timeout": "Le serveur central n'a pas répondu à temps : réessayez.",
        "bad_answer": "Réponse inattendue du serveur central : réessayez.",
    }

    def __init__(self, code: str) -> None:
        super().__init__(self.MESSAGES[code])
        self.code = code


class SyncClient:
    def __init__(self, settings: Settings, outbox: Outbox, programme: Programme,
                 printer_state: Callable[[], dict] | None = None, version: str = "",
                 live: Live | None = None) -> None:
        self.settings, self.outbox, self.programme = settings, outbox, programme
        self.live = live if live is not None else Live()  # odds, pools closing, results
        self.server_url = settings.get("server_url")
        self.terminal_id = settings.get("terminal_id")
        self._key = settings.key
        self._printer_state = printer_state or (lambda: None)
        self._version = version
        self._wake = threading.Event()
        self._answered = threading.Condition()
        self._stop = threading.Event()
        self._pushes: queue.Queue = queue.Queue()
        self._ready = False
        self._thread: threading.Thread | None = None
        saved = settings.get("clock_offset_s")
        self.clock = ServerClock(float(saved) if saved else None)
        self.policy: OfflinePolicy | None = OfflinePolicy.from_wire(
            json.loads(settings.get("policy") or "null"))
        self.last_error: str | None = None
        # Cut off by the operator: kept on disk (a restart does not sell offline),
        # cleared only by a connection the server accepts again.
        self.disabled = settings.get("disabled") == "1"
        self._saved_disabled = self.disabled
        self._refusal: str | None = None  # the code of the last refused connection
        self._replaced = False
        self._last_ts = int(settings.get("last_auth_ts") or 0)
        self._z_waiting, self._z_retry_at = True, 0.0  # Z reports kept for the server
        # wss:// is checked against the CA saved at enrolment, on every connection
        self.sio = socketio.Client(reconnection=False, logger=False, engineio_logger=False,
                                   **socket_tls_options(settings.get("server_ca_pem")))
        self.sio.on("programme", self._on_programme, namespace=NAMESPACE)
        self.sio.on("pool_state", self._on_pool_state, namespace=NAMESPACE)
        self.sio.on("odds", self._on_odds, namespace=NAMESPACE)
        self.sio.on("results", self._on_results, namespace=NAMESPACE)
        self.sio.on("policy", self._on_policy, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.sio.on("disabled", self._on_disabled, namespace=NAMESPACE)
        self.sio.on("replaced", self._on_replaced, namespace=NAMESPACE)
        self.sio.on("connect_error", self._on_connect_error, namespace=NAMESPACE)

    # -- public ------------------------------------------------------------
    @property
    def online(self) -> bool:
        """Connected, and the programme, clock and policy refreshed since."""
        return self._ready and self.sio.connected and NAMESPACE in self.sio.namespaces

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        try:
            self.sio.disconnect()
        except Exception:  # already gone
            pass
        if self._thread:
            self._thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def z_report_queued(self) -> None:
        """A Z report waits in `config` (`queue_z_report`): send it at the next pass."""
        self._z_waiting, self._z_retry_at = True, 0.0
        self._wake.set()

    @property
    def clock_offset_s(self) -> float | None:
        """Server time minus this terminal's clock, as last measured."""
        return self.clock.offset_s

    def request(self, event: str, payload: dict, timeout: float = CALL_TIMEOUT_S) -> dict:
        """Ask the server `event` through the live connection; its ack (`{"ok": …}`).

        Raises ServerUnavailable when offline, on timeout or on an answer that is not
        a JSON object; a refusal by the server is an ack with `ok` false, returned."""
        if not self.online:
            raise ServerUnavailable("offline")
        try:
            ack = self.sio.call(event, payload, namespace=NAMESPACE, timeout=timeout)
        except socketio.exceptions.TimeoutError:
            raise ServerUnavailable("timeout") from None
        except (socketio.exceptions.SocketIOError, OSError):   # the link dropped meanwhile
            raise ServerUnavailable("offline") from None
        if not isinstance(ack, dict) or not isinstance(ack.get("ok"), bool):
            raise ServerUnavailable("bad_answer")
        return ack

    def wait_for_answer(self, uuid: str, timeout: float) -> dict | None:
        """The bet once the server has answered, or None if it has not in time."""
        deadline = time.monotonic() + timeout
        with self._answered:
            while True:
                bet = self.outbox.bet(uuid)
                if bet is None or bet["status"] not in UNANSWERED:
                    return bet
                left = deadline - time.monotonic()
                if left <= 0:
                    return bet
                self._answered.wait(min(left, 0.5))

    # -- loop --------------------------------------------------------------
    def _auth(self) -> dict:
        """A fresh signature: the server accepts each `ts` once and only growing,
        so two connections within one second use now and now + 1."""
        now = int(time.time())
        ts = self._last_ts + 1 if now <= self._last_ts < now + 60 else now
        self._last_ts = ts
        self.settings.set(last_auth_ts=str(ts))
        return {"terminal_id": self.terminal_id, "ts": ts,
                "sig": connect_signature(self.terminal_id, ts, self._key)}

    def _keep_disabled_state(self) -> None:
        if self.disabled != self._saved_disabled:
            self.settings.set(disabled="1" if self.disabled else None)
            self._saved_disabled = self.disabled

    def _connect(self) -> None:
        self._ready = False
        if self.sio.connected:  # a half-done earlier attempt: start clean
            self.sio.disconnect()
        self._refusal = None
        try:
            self.sio.connect(self.server_url, auth=self._auth, transports=["websocket"],
                             namespaces=[NAMESPACE], wait_timeout=CONNECT_TIMEOUT_S)
        except Exception:
            if self._refusal == "terminal_disabled":
                self.disabled = True
            raise
        self.disabled = False  # the server let it in: enabled again
        self._replaced = False
        self.last_error = None
        log.info("connected to %s as %s", self.server_url, self.terminal_id)
        self._refresh_programme()
        self._heartbeat()
        self._ready = True

    def _run(self) -> None:
        backoff = BACKOFF_MIN_S
        next_heartbeat = 0.0
        while not self._stop.is_set():
            if not self.online:
                if self._replaced:
                    log.warning("another connection took this terminal's place; "
                                "reconnecting in %.0fs", REPLACED_BACKOFF_S)
                    self._replaced = False
                    self._stop.wait(REPLACED_BACKOFF_S)
                    continue
                started = time.monotonic()
                try:
                    self._connect()
                    backoff = BACKOFF_MIN_S
                    next_heartbeat = time.monotonic() + HEARTBEAT_S
                except Exception as exc:  # refused, unreachable, timed out
                    self.last_error = str(exc) or type(exc).__name__
                    if self.disabled:  # asks now and then whether it is enabled again
                        self.last_error = "terminal_disabled"
                        backoff = BACKOFF_MAX_S
                    wait = retry_delay(backoff, time.monotonic() - started)
                    log.info("cannot reach the server (%s); retrying in %.1fs",
                             self.last_error, wait)
                    self._keep_disabled_state()
                    self._stop.wait(wait)
                    backoff = min(backoff * 2, BACKOFF_MAX_S)
                    continue
                self._keep_disabled_state()
            try:
                self._apply_pushes()
                sent = self._drain_once()
                self._send_z_reports()
                if time.monotonic() >= next_heartbeat:
                    self._heartbeat()
                    next_heartbeat = time.monotonic() + HEARTBEAT_S
            except Exception as exc:  # timeout or lost link: the loop reconnects and resends
                self.last_error = str(exc) or type(exc).__name__
                log.warning("sync failed: %s", self.last_error)
                try:
                    self.sio.disconnect()
                except Exception:
                    pass
                continue
            if not sent:
                self._wake.wait(1.0)
                self._wake.clear()

    def _drain_once(self) -> int:
        batch = self.outbox.pending(BATCH)
        if not batch:
            return 0
        uuids = [b["uuid"] for b in batch]
        self.outbox.mark_attempt(uuids)
        try:
            ack = self.sio.call("place_bets", {"bets": [wire_bet(b) for b in batch]},
                                namespace=NAMESPACE, timeout=CALL_TIMEOUT_S)
            answers = _answers(ack, batch)
        except Exception as exc:
            self.outbox.record_failure(uuids, type(exc).__name__, str(exc))
            raise
        self.outbox.record_answers(answers)
        with self._answered:
            self._answered.notify_all()
        return len(batch)

    def _send_z_reports(self) -> None:
        """Send the Z reports kept for the server, oldest first; each one is forgotten
        once the server has it (or refuses it for good: a malformed report)."""
        if not self._z_waiting or time.monotonic() < self._z_retry_at:
            return
        for message in unsent_z_reports(self.settings):
            ack = self.sio.call("z_report", message, namespace=NAMESPACE,
                                timeout=CALL_TIMEOUT_S)
            if isinstance(ack, dict) and (ack.get("ok") or ack.get("error") == "bad_request"):
                if not ack.get("ok"):
                    log.warning("the server refused Z report %s: %.200s",
                                message.get("report_id"), ack.get("message"))
                forget_z_report(self.settings, message.get("report_id"))
                continue
            log.info("Z report %s not taken (%.100r); trying again later",
                     message.get("report_id"), ack)
            self._z_retry_at = time.monotonic() + Z_RETRY_S
            return
        self._z_waiting = False

    def _heartbeat(self) -> None:
        ack = self.sio.call("heartbeat", {"queue_depth": self.outbox.queue_depth(),
                                          "printer": self._printer_state(),
                                          "version": self._version,
                                          # for the fleet page: the server works out
                                          # the clock offset from `clock_ms`
                                          "provisional": self.outbox.provisional_count(),
                                          "clock_ms": int(time.time() * 1000)},
                            namespace=NAMESPACE, timeout=HEARTBEAT_TIMEOUT_S)
        if isinstance(ack, dict) and ack.get("ok") and isinstance(ack.get("server_time_ms"), int):
            saved = self.clock.saved_offset_s
            self.clock.observe(ack["server_time_ms"] / 1000)
            if saved is None or abs(self.clock.saved_offset_s - saved) > 1:
                # on disk only when it moved: no write (and fsync) every heartbeat
                self.settings.set(clock_offset_s=f"{self.clock.saved_offset_s:.3f}")
            self._save_policy(ack.get("policy"))

    def _save_policy(self, data: object) -> None:
        policy = OfflinePolicy.from_wire(data)
        if policy is not None and policy != self.policy:
            self.policy = policy
            self.settings.set(policy=json.dumps(data))

    def _refresh_programme(self) -> None:
        ack = self.sio.call("get_programme", {"since_version": self.programme.version},
                            namespace=NAMESPACE, timeout=CALL_TIMEOUT_S)
        if isinstance(ack, dict) and ack.get("ok"):
            self.programme.save(ack.get("races", []), ack.get("version"), ack.get("removed"))

    # -- server pushes ----------------------------------------------------
    # Handlers run on short-lived threads of the Socket.IO client: they only
    # queue the news, and the sync thread applies it to the store.
    def _on_programme(self, data=None) -> None:
        self._pushes.put(("programme", None))
        self._wake.set()

    def _on_policy(self, data=None) -> None:
        self._pushes.put(("policy", data))
        self._wake.set()

    def _on_pool_state(self, data=None) -> None:
        if isinstance(data, dict) and _race_id(data.get("race")) \
                and data.get("state") in (RaceState.OPEN, RaceState.SUSPENDED, RaceState.CLOSED):
            self._pushes.put(("pool_state", (data["race"], data["state"])))
            self._wake.set()
            # the screen is told at once, not after the sync thread's current call
            cause = data.get("cause") if data.get("cause") in ("off", "operator") else None
            self.live.set_pool_state(data["race"], data["state"], cause)

    def _on_odds(self, data=None) -> None:
        """Probable odds (x100 per runner) and pool totals (cents per bet type) of an
        open race: kept in memory for the screen, nothing written."""
        if not isinstance(data, dict) or not _race_id(data.get("race")):
            return
        odds, pools = _counts(data.get("odds"), 64), _counts(data.get("pools"), 32)
        if odds is None or pools is None:
            log.info("odds push for %.40r ignored: malformed", data.get("race"))
            return
        at = data.get("at") if isinstance(data.get("at"), str) else None
        self.live.set_odds(data["race"], odds, pools, at[:40] if at else None)

    def _on_results(self, data=None) -> None:
        """A race's result and dividends, as the server publishes them: kept in
        memory for the screen (the server's record decides what a ticket is worth)."""
        if isinstance(data, dict) and _race_id(data.get("race")) \
                and isinstance(data.get("pools", []), list) \
                and isinstance(data.get("arrival", []), list):
            self.live.set_results(data["race"], data)

    def _apply_pushes(self) -> None:
        refresh = False
        while not self._pushes.empty():
            kind, value = self._pushes.get_nowait()
            if kind == "pool_state":
                self.programme.set_state(*value)
            elif kind == "policy":
                self._save_policy(value)
            else:
                refresh = True
        if refresh:
            self._refresh_programme()

    def _on_disconnect(self, *args) -> None:
        log.info("disconnected from the server")
        self._wake.set()

    def _on_disabled(self, data=None) -> None:
        """The operator cut this terminal off: no selling, online or offline."""
        log.warning("the server disabled this terminal")
        self.disabled = True
        self._ready = False
        self._wake.set()

    def _on_replaced(self, data=None) -> None:
        log.warning("the server dropped this connection: another one uses this terminal's key")
        self._replaced = True
        self._ready = False
        self._wake.set()

    def _on_connect_error(self, data=None) -> None:
        detail = data.get("data") if isinstance(data, dict) else None
        self._refusal = detail.get("error") if isinstance(detail, dict) else None


def _race_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 40 and value.isprintable()


def _counts(value: object, most: int) -> dict | None:
    """A push's `{"7": 430}` or `{"SIMPLE_GAGNANT": 12300}`: short keys, integers
    from 0; None when malformed or too large."""
    if not isinstance(value, dict) or len(value) > most:
        return None
    for key, number in value.items():
        if not isinstance(key, str) or not 0 < len(key) <= 20 or not key.isprintable() \
                or isinstance(number, bool) or not isinstance(number, int) \
                or not 0 <= number < 10**15:
            return None
    return dict(value)


def _answers(ack: object, batch: list[dict]) -> list[dict]:
    """The server's answers, checked against what was sent (same bets, same order)."""
    if not isinstance(ack, dict) or not ack.get("ok"):
        raise RuntimeError(f"place_bets refused: {ack!r:.200}")
    results = ack.get("results")
    if not isinstance(results, list) or len(results) != len(batch):
        raise RuntimeError("place_bets answer does not match the batch")
    answers = [r for r, b in zip(results, batch)
               if isinstance(r, dict) and r.get("uuid") == b["uuid"]
               and r.get("status") in tuple(Answer)]
    if len(answers) != len(batch):
        raise RuntimeError("place_bets answer names other bets")
    return answers


# -- Z reports: sent to the server when online, kept in `config` until it has them -------
Z_QUEUE_KEY = "z_reports_unsent"
MAX_UNSENT_Z = 400  # more than a year of daily closings offline; the oldest go first
Z_RETRY_S = 30.0  # after a refusal that may pass (the server failing, an older server)
_z_lock = threading.Lock()  # the till's thread adds, the sync thread removes


def z_report_message(report: dict, ledger: dict, terminal_id: str) -> dict:
    """The `z_report` message of a closed till: the terminal's own figures for the
    Paris day (`ledger["local"]`, as the till compared them) and the shift's drawer.
    Its id is derived from the shift, so the same closing always has the same id."""
    report_id = uuid.uuid5(uuid.NAMESPACE_URL,
                           f"guichet:{terminal_id}:{report['shift']}:{report['closed_at']}")
    return {"report_id": str(report_id), "day": ledger["day"], "figures": dict(ledger["local"]),
            "shift": {"id": report["shift"], "opened_at": report["opened_at"],
                      "closed_at": report["closed_at"], "float_cents": report["float_cents"],
                      "sales_cash_cents": report["sales_cash_cents"],
                      "sales_card_cents": report["sales_card_cents"],
                      "expected_cents": report["expected_cents"],
                      "counted_cents": report["counted_cents"]}}


def _kept(settings: Settings) -> list[dict]:
    try:
        kept = json.loads(settings.get(Z_QUEUE_KEY) or "[]")
    except ValueError:
        kept = None
    return [m for m in kept if isinstance(m, dict)] if isinstance(kept, list) else []


def unsent_z_reports(settings: Settings) -> list[dict]:
    with _z_lock:
        return _kept(settings)


def queue_z_report(settings: Settings, message: dict) -> None:
    with _z_lock:
        kept = [m for m in _kept(settings) if m.get("report_id") != message["report_id"]]
        kept.append(message)
        if len(kept) > MAX_UNSENT_Z:
            log.warning("%d Z reports never reached the server: the oldest are dropped "
                        "(the till keeps them all)", len(kept))
            kept = kept[-MAX_UNSENT_Z:]
        settings.set(**{Z_QUEUE_KEY: json.dumps(kept)})


def forget_z_report(settings: Settings, report_id: object) -> None:
    with _z_lock:
        left = [m for m in _kept(settings) if m.get("report_id") != report_id]
        settings.set(**{Z_QUEUE_KEY: json.dumps(left) if left else None})
