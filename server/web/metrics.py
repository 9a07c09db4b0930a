"""What the operator watches at the peak: `/metrics` in the Prometheus text format.

Every figure here is a count, a duration or a depth: no terminal id, key,
ticket or bet uuid ever becomes a label (20,000 terminals would also be
20,000 series). Outbox depths are therefore a histogram of the reported
depths and one summed gauge, not one series per terminal.

One `Metrics` per app (`app.extensions["guichet.metrics"]`) with its own
`CollectorRegistry`, so two apps in one process (tests) never mix their
figures. Code that only holds the `SocketIO` object (the push functions, the
watch loop) finds it with `of(socketio)`.

Several server processes (`guichet server --workers N`) share one port, so a
scrape reaches one of them at random. With `PROMETHEUS_MULTIPROC_DIR` set in
the environment before the process starts, prometheus_client writes every
value to a per-process file in that folder and each scrape sums the files
(`MultiProcessCollector`); gunicorn's `child_exit` hook
(guichet/gunicorn_conf.py) drops the gauges of a worker that died. Without
the variable each process serves its own registry.

`/metrics` is served only when `GUICHET_METRICS_TOKEN` is set, and then only
to `Authorization: Bearer <that token>` (docs/security.md): bet rates are
the operator's business, not the Internet's, and the scraper needs no admin
power.
"""
from __future__ import annotations

import hmac
import os
import re
import weakref

from flask import Flask, Response, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    values,
)
from prometheus_client.exposition import choose_encoder

from ..config import ConfigError

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Seconds: a durable ack is a commit away, a few ms on a quiet store; past a
# second a shop sees it, past 10 s a terminal gives up and resends.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
PAUSE_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)
# Bets waiting in a terminal's outbox; `le="0"` counts the terminals fully in sync.
DEPTH_BUCKETS = (0, 1, 5, 10, 50, 100, 500, 1000, 5000, 10000)

# A label value comes from the server's own codes; anything else is folded
# into "other" so that no caller can grow the number of series.
_LABEL = re.compile(r"[a-z][a-z0-9_]{0,39}")

_BY_SOCKETIO: "weakref.WeakKeyDictionary[object, Metrics]" = weakref.WeakKeyDictionary()


def _label(value: object) -> str:
    text = str(getattr(value, "value", value))
    return text if _LABEL.fullmatch(text) else "other"


class Metrics:
    """The server's metric objects and the few calls the rest of the server makes."""

    def __init__(self) -> None:
        self.multiprocess = _multiprocess()
        self.registry = CollectorRegistry()
        if not self.multiprocess:
            # Memory, CPU, open files of this process: per process only, so not
            # in multiprocess mode (prometheus_client cannot merge them).
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        r = self.registry
        self.bets = Counter("guichet_bets", "Bets answered, by answer "
                            "(accepted, duplicate, rejected).", ["status"], registry=r)
        self.rejections = Counter("guichet_bets_rejected", "Rejected bets, by reason code.",
                                  ["reason"], registry=r)
        self.ack_seconds = Histogram("guichet_bet_ack_seconds", "From a place_bets message "
                                     "received to its durable ack sent.",
                                     buckets=LATENCY_BUCKETS, registry=r)
        self.commit_seconds = Histogram("guichet_commit_seconds", "Duration of one store "
                                        "commit holding bets.", buckets=LATENCY_BUCKETS,
                                        registry=r)
        self.commit_bets = Histogram("guichet_commit_bets", "Bets written by one store commit.",
                                     buckets=BATCH_BUCKETS, registry=r)
        self.connected = Gauge("guichet_terminals_connected", "Terminal sockets authenticated "
                               "and open.", multiprocess_mode="livesum", registry=r)
        self.outbox_depth = Histogram("guichet_outbox_depth", "Outbox depth a terminal "
                                      "reported, one observation per heartbeat.",
                                      buckets=DEPTH_BUCKETS, registry=r)
        self.outbox_waiting = Gauge("guichet_outbox_bets_waiting", "Bets waiting in the "
                                    "outboxes of the connected terminals, as last reported.",
                                    multiprocess_mode="livesum", registry=r)
        self.pushes = Counter("guichet_pushes", "Events pushed to terminals, by event (one "
                              "per emit, whatever the number of recipients).", ["event"],
                              registry=r)
        self.watch = Gauge("guichet_watch_owner", "1 while this process holds the watch "
                           "lease (closes pools, pushes changes).",
                           multiprocess_mode="livesum", registry=r)
        self.gc_pause = Histogram("guichet_gc_pause_seconds", "Pauses of the garbage "
                                  "collector (every greenlet waits).", ["generation"],
                                  buckets=PAUSE_BUCKETS, registry=r)
        self.loop_lag = Histogram("guichet_event_loop_lag_seconds", "How late a 10 ms timer "
                                  "fires: how long something held the event loop.",
                                  buckets=PAUSE_BUCKETS, registry=r)
        # terminal id -> last reported depth, for the summed gauge (this process's sockets)
        self._depths: dict[str, int] = {}
        self._waiting = 0
        self._by_status: dict[object, tuple] = {}  # status -> (its `bets` child, rejected?)

    # -- calls from the bet path ---------------------------------------------

    def bet_decided(self, status: object, reason: object = None) -> None:
        """One bet answered (`Answer` value); a rejection also counts its reason code."""
        known = self._by_status.get(status)
        if known is None:  # the few statuses the server answers, each looked up once
            label = _label(status)
            known = self._by_status[status] = (self.bets.labels(label), label == "rejected")
        counter, rejected = known
        counter.inc()
        if rejected:
            self.rejections.labels(_label(reason)).inc()

    def ack_latency(self, seconds: float) -> None:
        self.ack_seconds.observe(seconds)

    def commit(self, batch_size: int, seconds: float) -> None:
        self.commit_bets.observe(batch_size)
        self.commit_seconds.observe(seconds)

    # -- calls from the socket namespace and the watch loop ---------------------

    def terminals_connected(self, count: int) -> None:
        """Set from the namespace's own session table, not counted up and down:
        a connect or disconnect path that fails half-way cannot make it drift."""
        self.connected.set(count)

    def outbox_reported(self, terminal_id: str, depth: int) -> None:
        # A running total, not a sum per heartbeat: thousands of heartbeats a
        # second over thousands of terminals.
        self.outbox_depth.observe(depth)
        self._waiting += depth - self._depths.get(terminal_id, 0)
        self._depths[terminal_id] = depth
        self.outbox_waiting.set(self._waiting)

    def terminal_gone(self, terminal_id: str) -> None:
        """A terminal left this process: its outbox is no longer ours to report
        (the store keeps its last depth for the operator's list)."""
        self._waiting -= self._depths.pop(terminal_id, 0)
        self.outbox_waiting.set(self._waiting)

    def push_sent(self, event: str) -> None:
        self.pushes.labels(_label(event)).inc()

    def watch_owner(self, is_owner: bool) -> None:
        self.watch.set(1 if is_owner else 0)

    # -- calls from the runtime probes (server/web/runtime.py) -------------------

    def gc_paused(self, generation: int, seconds: float) -> None:
        self.gc_pause.labels(str(generation)).observe(seconds)

    def loop_late(self, seconds: float) -> None:
        self.loop_lag.observe(seconds)

    # -- exposition -----------------------------------------------------------

    def render(self, accept: str | None) -> tuple[bytes, str]:
        """The scrape body and its content type (OpenMetrics when asked)."""
        registry = self.registry
        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()  # read the folder afresh at each scrape
            multiprocess.MultiProcessCollector(registry)
        encoder, content_type = choose_encoder(accept)
        return encoder(registry), content_type


class _Unmeasured:
    """Stands in for `Metrics` where no app installed one (a namespace or a
    SocketIO built on its own): every call is accepted and does nothing."""

    def __getattr__(self, name: str):
        if not callable(getattr(Metrics, name, None)) or name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


_UNMEASURED = _Unmeasured()


def of(socketio) -> Metrics:
    """The metrics of the app `socketio` serves."""
    return _BY_SOCKETIO.get(socketio, _UNMEASURED)


def install(app: Flask) -> Metrics:
    """Give `app` its metrics (after its SocketIO exists) and, when
    GUICHET_METRICS_TOKEN is set (checked in server/config.py), the `/metrics`
    route. Raises `ConfigError` for a multiprocess folder that is missing."""
    metrics = Metrics()
    app.extensions["guichet.metrics"] = metrics
    _BY_SOCKETIO[app.extensions["socketio"]] = metrics
    token = app.extensions["guichet.config"].metrics_token
    if token is None:
        return metrics  # no route: /metrics is a 404 like any unknown path
    expected = f"Bearer {token}".encode()

    def scrape():
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return Response("metrics token required: Authorization: Bearer <token>\n", 401,
                            {"WWW-Authenticate": 'Bearer realm="metrics"'},
                            mimetype="text/plain")
        body, content_type = metrics.render(request.headers.get("Accept"))
        return Response(body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"})

    app.add_url_rule("/metrics", "metrics", scrape, methods=["GET"])
    return metrics


def _multiprocess() -> bool:
    """Whether values go to PROMETHEUS_MULTIPROC_DIR: prometheus_client decides
    once, when it is imported, so the variable must be set before the process
    starts; set later, it is refused rather than half-used."""
    folder = os.environ.get(MULTIPROC_ENV)
    active = values.ValueClass is not values.MutexValue
    if not folder:
        return active  # the older lower-case variable name, read by prometheus_client
    if not os.path.isdir(folder):
        raise ConfigError(f"{MULTIPROC_ENV}: {folder!r} is not a folder")
    if not active:
        raise ConfigError(f"{MULTIPROC_ENV} was set after prometheus_client was imported: "
                          "set it before the server process starts")
    return True
