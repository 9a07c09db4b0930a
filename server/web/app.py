"""The central server's Flask application factory."""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import timedelta

from flask import Flask, redirect, url_for
from flask_socketio import SocketIO

from betting.protocol import NAMESPACE
from guichet.clock import utcnow
from guichet.paths import STATIC, TEMPLATES, default_server_db, ensure_parent
from guichet.web_security import ENGLISH, PROGRAMME_BODY_LIMIT
from guichet.web_security import install as install_web_security

from ..services import races
from . import metrics
from .admin import install as install_admin
from .api import bp as api_bp
from ..config import load as load_config
from ..services.rates_config import load_rates
from ..services.settlement import dividends
from .socket_ns import (TerminalNamespace, push_odds, push_pool_states, push_programme,
                        push_results)
from ..services.odds import ODDS_INTERVAL_S, OddsBoard
from .message_queue import CatchingUpRedisManager
from .socket_packets import GuardedPacket
from ..store import Store, open_store
from .blocking import offload_blocking_calls

log = logging.getLogger("guichet.server")

MAX_MESSAGE_BYTES = 1_000_000
# The periodic work's lease: renewed every pass, lost after three missed passes
# (at least this many seconds, so a slow pass does not hand it over).
WATCH_LEASE = "watch"
WATCH_LEASE_MIN_S = 5.0
# The back office's programme upload: the file, plus the few bytes of its form.
UPLOAD_BODY_LIMIT = PROGRAMME_BODY_LIMIT + 64 * 1024


def create_app(config: dict | None = None) -> Flask:
    """The server app; `config` (Flask names: `DB`, `AUTO_CLOSE_INTERVAL_S`, …) wins
    over `GUICHET_*` in the environment. A bad setting raises `ConfigError`
    (server/config.py) before anything is opened."""
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=str(STATIC))
    settings = load_config(app.config, config)
    app.extensions["guichet.config"] = settings

    if settings.db == default_server_db():
        ensure_parent(settings.db)
    store = open_store(settings.db)
    offload_blocking_calls(store)  # SQLite's fsync off the event loop (server/web/blocking.py)
    app.extensions["guichet.store"] = store
    app.extensions["guichet.rates"] = load_rates(settings.rates)

    queue = {}
    if settings.message_queue:
        # one channel per deployment sharing a Redis; caught up after an outage
        queue["client_manager"] = CatchingUpRedisManager(
            settings.message_queue, settings.message_queue_channel,
            on_back=lambda: _refresh_own_terminals(socketio, store))
    socketio = SocketIO(
        app,
        **queue,
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        serializer=GuardedPacket,  # unreadable JSON: dropped, one log line (server/web/socket_packets.py)
        cors_allowed_origins="*",  # terminals authenticate by signature, not origin
        # websocket only: one connection is one process's from start to end, so
        # several processes on one port (or behind a balancer) need no sticky sessions
        transports=["websocket"],
        # The transport's own pings only find sockets nobody closed: a terminal
        # notices a silent line by its 4 s heartbeat (terminal_app/adapters/sync.py)
        # and the server shows it away after 15 s without one. Every 5 s, as
        # before, they were 4,000 frames a second for 20,000 terminals.
        ping_interval=25,
        ping_timeout=20,
        # A terminal's events are handled in order on its socket's own greenlet, not
        # in a new greenlet each: its sync loop waits for each answer anyway, a
        # call from its counter (a ticket to pay) waits at most for the one call
        # before it, and a greenlet per bet cost ~7 % of the rush's throughput
        # (bench/RESULTS.md). The server never `call`s a terminal, which this forbids.
        async_handlers=False,
    )
    policy = {"offline_margin_s": settings.offline_margin_s,
              "offline_ceiling_cents": settings.offline_ceiling_cents}
    namespace = TerminalNamespace(NAMESPACE, store, policy)
    namespace.odds.rates = app.extensions["guichet.rates"]  # the deduction in force
    app.extensions["guichet.odds"] = namespace.odds
    socketio.on_namespace(namespace)
    app.register_blueprint(api_bp)
    install_admin(app, store)  # the back office under /admin (server/web/admin.py)
    metrics.install(app)  # /metrics when GUICHET_METRICS_TOKEN is set (server/web/metrics.py)
    # Security headers, body caps (the programme import alone may send megabytes)
    # and 400 bad_json for unreadable JSON: guichet/web_security.py.
    install_web_security(app, ENGLISH, {"api.import_programme": PROGRAMME_BODY_LIMIT,
                                        "admin_races.programme_import": UPLOAD_BODY_LIMIT})

    @app.get("/")
    def home():
        """The back office (its pages need a login: the races, pools and fleet are
        not for whoever reaches the server)."""
        return redirect(url_for("admin.home"))

    if settings.auto_close_interval_s:
        # what is already published when the process starts: the first pass pushes
        # whatever comes after, even in the moment before it runs
        socketio.start_background_task(_watch, socketio, store, namespace,
                                       settings.auto_close_interval_s, _process_name(),
                                       _known_changes(store))
    return app


def _published(store: Store) -> tuple:
    """(programme version, result marks) in the store now: what the watch loop
    compares each pass with."""
    with store.unit_of_work(read_only=True) as uow:
        return races.current_version(uow), uow.results.marks()


def _known_changes(store: Store) -> tuple:
    """`_published`, or (None, None) when the store does not answer at start (the
    first pass that reaches it reads them instead)."""
    try:
        return _published(store)
    except Exception as exc:
        log.warning("watch: the store did not answer at start: %s", exc)
        return None, None


def _refresh_own_terminals(socketio: SocketIO, store: Store) -> None:
    """Tell this process's terminals the programme version (not through Redis):
    those that missed a push while Redis was down fetch what changed."""
    with store.unit_of_work(read_only=True) as uow:
        version = races.current_version(uow)
    socketio.server.emit("programme", {"version": version}, namespace=NAMESPACE,
                         ignore_queue=True)
    metrics.of(socketio).push_sent("programme")


def _process_name() -> str:
    """Who holds the watch lease: readable in the store, unique per app."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owns_watch(store: Store, holder: str, interval: float) -> bool:
    """Take or renew the lease on the periodic work for one more pass; False
    when another process holds it (or the store does not answer)."""
    now = utcnow()
    until = now + timedelta(seconds=max(WATCH_LEASE_MIN_S, 3 * interval))
    try:
        with store.unit_of_work() as uow:
            held = uow.leases.take(WATCH_LEASE, holder, now, until)
            uow.commit()
        return held
    except Exception:
        log.exception("watch lease not taken")
        return False


def _watch(socketio: SocketIO, store: Store, namespace: TerminalNamespace,
           interval: float, holder: str, known: tuple = (None, None)) -> None:
    """Close pools at the off by the server's clock, tell every terminal of
    changes made by any process sharing the store (`guichet admin …` included),
    and write the heartbeats received since the last pass.

    Closing and pushing belong to the one process holding the `watch` lease
    (renewed every pass, taken over when its holder stops renewing), so every
    push reaches a terminal once; the others keep track of what changed, to
    push nothing twice when they take over, and each still writes its own
    sockets' heartbeats and drops its own sockets of disabled terminals.

    Each step, and each race within a step, fails on its own: a race that
    cannot be read or pushed is logged and skipped, never stopping the others.

    `known` is what was published when the process started: a result made
    official between the start and the first pass is pushed by that pass (it
    was taken for already pushed, and never pushed at all).
    """
    version, seen = known
    odds_due = 0.0
    while True:
        socketio.sleep(interval)
        owner = _owns_watch(store, holder, interval)
        metrics.of(socketio).watch_owner(owner)
        if time.monotonic() >= odds_due:
            odds_due = time.monotonic() + ODDS_INTERVAL_S
            push_odds_pass(socketio, store, namespace.odds, owner)
        try:
            if seen is None:  # the store did not answer at start, nor since
                version, seen = _published(store)
            now = utcnow()
            closed = []
            if owner:
                with store.unit_of_work() as uow:
                    closed = races.close_due_races(uow, now)  # each race on its own
                    uow.commit()
            if closed:
                log.info("closed at the off: %s", ", ".join(r.race.race_id for r in closed))
            for record in closed:
                try:
                    push_pool_states(socketio, [record], now)
                except Exception:
                    log.exception("pool state of %s not pushed", record.race.race_id)
        except Exception:
            log.exception("watch pass failed while closing races")
        try:
            if seen is None:
                raise RuntimeError("the store did not answer yet")
            with store.unit_of_work(read_only=True) as uow:
                latest = races.current_version(uow)
                marks = uow.results.marks()
                published = []
                for race, mark in marks.items():
                    if not owner or seen.get(race) == mark:
                        continue
                    try:
                        published.append(dividends(uow, race))
                    except Exception:  # logged once: its mark is seen below
                        log.exception("result of race %.60r cannot be read: not pushed", race)
            seen = marks
            if latest != version and owner:
                push_programme(socketio, latest)
            version = latest
            for item in published:
                try:
                    push_results(socketio, item)
                except Exception:
                    log.exception("results of %s not pushed", item.get("race"))
        except Exception:
            log.exception("watch pass failed while pushing changes")
        try:
            namespace.flush_heartbeats()
            namespace.drop_disabled()  # `guichet admin disable` writes only the store
        except Exception:
            log.exception("watch pass failed")



# -- probable odds (server/services/odds.py) ---------------------------------
def push_odds_pass(socketio: SocketIO, store: Store, board: OddsBoard, owner: bool = True) -> int:
    """Price the open races and push those whose odds or pools changed; the
    number of races pushed. Only the owner of the periodic work reads and
    pushes: another process forgets what it pushed when it held the lease, so
    it sends no stale odds to the terminals that connect to it."""
    if not owner:
        board.pushed, board.at = {}, None
        return 0
    try:
        with store.unit_of_work(read_only=True) as uow:
            messages = board.changes(uow, utcnow())
        push_odds(socketio, messages)
    except Exception:
        log.exception("watch pass failed while pushing odds")
        return 0
    return len(messages)
