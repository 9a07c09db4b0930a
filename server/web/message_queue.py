"""Redis between server processes, and catching up after Redis comes back.

Flask-SocketIO's Redis manager publishes each push to the other processes.
While Redis is down a process still pushes to its own sockets (bets never go
through Redis), but the other processes' terminals miss that push, and
python-socketio's listener waits 1, 2, 4… up to 60 s between attempts to
subscribe again: measured here, a 70 s outage left the processes deaf to each
other for 50 s after Redis returned.

So this manager retries every `RETRY_MAX_S` at most, and once it hears Redis
again after losing it, it tells its own sockets to fetch the programme
(`programme` with the current version, not through Redis: every process does
it for its own terminals). A terminal that missed a closing, a withdrawal or
a new race while Redis was down catches up at once; one that missed nothing
fetches an empty change list. A bet on a race a terminal still believed open
was never at risk: the store refuses it.

Publishing shares a bounded pool of Redis connections and waits for a free one.
redis-py's default pool fails once 100 connections are in use ("Too many
connections"); in a reconnect storm thousands of greenlets publish at once (a
`replaced` for each terminal's former socket), and python-socketio answers a
failed publish by connecting again, which closed the listener's subscription
under it: the process went deaf to the others, and told all its terminals to
refresh their programme, several times a minute.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import socketio

log = logging.getLogger("guichet.server")

RETRY_FIRST_S = 0.5
RETRY_MAX_S = 2.0
PUBLISH_CONNECTIONS = 32  # per process; a publish waits for one at most…
PUBLISH_WAIT_S = 10.0  # …this long, then fails (and python-socketio retries once)


class CatchingUpRedisManager(socketio.RedisManager):
    """`socketio.RedisManager` with a short retry and a catch-up call after an outage."""

    def __init__(self, url: str, channel: str, on_back: Callable[[], None]) -> None:
        super().__init__(url, channel=channel)
        self.on_back = on_back

    def _redis_connect(self):  # replaces python-socketio's: a pool that waits when all are busy
        import redis

        pool = redis.BlockingConnectionPool.from_url(
            self.redis_url, max_connections=PUBLISH_CONNECTIONS, timeout=PUBLISH_WAIT_S,
            **self.redis_options)
        self.redis = redis.Redis(connection_pool=pool)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    def _redis_listen_with_retries(self):  # replaces python-socketio's (5.x) listener loop
        wait, lost = RETRY_FIRST_S, False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                if lost:
                    log.warning("message queue: Redis is back; terminals of this process "
                                "are told to refresh their programme")
                    lost, wait = False, RETRY_FIRST_S
                    try:
                        self.on_back()
                    except Exception:
                        log.exception("catch-up after the Redis outage failed")
                yield from self.pubsub.listen()
            except Exception as exc:
                if not lost:
                    log.error("message queue: Redis lost (%s); pushes reach only this "
                              "process's terminals until it is back", exc)
                lost = True
                time.sleep(wait)
                wait = min(wait * 2, RETRY_MAX_S)
