"""A bare Flask-SocketIO server speaking the terminal namespace, for comparison.

The same stack as the central server (Flask-SocketIO, gunicorn, gevent worker,
the same ping settings and message queue) with none of its work: any connect
is accepted, `place_bets` is answered at once with the ack the real server
would send, nothing is stored. A load run against both, in one session, shows
what the server's own work costs, whatever the machine.

    GUICHET_MESSAGE_QUEUE=redis://127.0.0.1:6379/0 python -m gunicorn \\
        --worker-class gevent --workers 2 --bind 127.0.0.1:8790 \\
        --pythonpath bench echo_server:app

bench/bench_load.py starts it with the very arguments `guichet server` gives gunicorn.
"""
from __future__ import annotations

import os

from flask import Flask
from flask_socketio import Namespace, SocketIO

NAMESPACE = "/terminal"  # betting.protocol.NAMESPACE, kept literal so this file stands alone


class EchoNamespace(Namespace):
    def on_connect(self, auth=None):
        return True

    def on_place_bets(self, payload=None):
        bets = payload.get("bets", []) if isinstance(payload, dict) else []
        return {"ok": True, "results": [
            {"uuid": b.get("uuid"), "status": "accepted", "ticket": None, "reason": None,
             "message": None, "seq": b.get("seq")} for b in bets if isinstance(b, dict)]}

    def on_heartbeat(self, payload=None):
        return {"ok": True}


def create_app() -> Flask:
    app = Flask(__name__)
    socketio = SocketIO(app, message_queue=os.environ.get("GUICHET_MESSAGE_QUEUE") or None,
                        channel="guichet-echo", max_http_buffer_size=1_000_000,
                        cors_allowed_origins="*", ping_interval=25, ping_timeout=20)
    socketio.on_namespace(EchoNamespace(NAMESPACE))

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    return app


app = create_app()
