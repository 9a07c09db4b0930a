"""The Redis connections a server process publishes through (real Redis on loopback):
when every one is busy a publish waits for one, where redis-py's default pool (100
connections) failed at once and made python-socketio connect again, closing the
listener's subscription under it."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis

from server.web.message_queue import PUBLISH_CONNECTIONS, CatchingUpRedisManager

URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def manager():
    try:
        redis.Redis.from_url(URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    mq = CatchingUpRedisManager(URL, f"test-{uuid.uuid4().hex}", lambda: None)
    mq._redis_connect()
    yield mq
    mq.redis.connection_pool.disconnect()


def test_a_publish_waits_for_a_busy_pool_instead_of_failing(manager):
    pool = manager.redis.connection_pool
    assert pool.max_connections == PUBLISH_CONNECTIONS
    listener = manager.pubsub
    busy = [pool.get_connection() for _ in range(PUBLISH_CONNECTIONS)]  # all taken
    threading.Timer(0.3, pool.release, args=(busy.pop(),)).start()
    t0 = time.monotonic()
    manager._publish({"method": "emit", "event": "programme", "data": {}})
    waited = time.monotonic() - t0
    assert 0.25 <= waited < 5  # it waited for the connection given back, then published
    assert manager.connected and manager.pubsub is listener  # nothing reconnected
    for conn in busy:
        pool.release(conn)

