"""Entry point for gunicorn: `gunicorn -k gevent -w 1 server.web.wsgi:app`.

Configuration comes from the environment (`GUICHET_DB`, `GUICHET_MESSAGE_QUEUE`,
… server/config.py), which `guichet server` sets from its options after
checking it.
"""
import logging
import os

from gunicorn.errors import AppImportError

from guichet import log_format

from .app import create_app
from ..config import ConfigError
from .runtime import measure_gc, tune_gc, watch_loop_lag
from .socket_input import share_socket_input
from .tls_log import quiet_failed_handshakes

try:  # plain lines by default, JSON lines with GUICHET_LOG_FORMAT=json (guichet/log_format.py)
    logging.basicConfig(level=logging.INFO,
                        handlers=[log_format.stream_handler(os.environ.get(log_format.ENV))])
except ValueError as exc:
    raise AppImportError(f"configuration: {exc}") from None
quiet_failed_handshakes()  # under --certfile: one line per refused handshake, no traceback
try:
    app = create_app()
except ConfigError as exc:
    # gunicorn prints this one line and stops, where any other error is a
    # traceback and a worker restarted in a loop
    raise AppImportError(f"configuration: {exc}") from None
# gunicorn's socket handed to the websocket layer without a class per request
# (about 3 kB less per connected terminal: server/web/socket_input.py)
share_socket_input(app)

# Pauses out of the path of an ack, and the ones left measured (server/web/runtime.py).
measure_gc(app.extensions["guichet.metrics"])
watch_loop_lag(app.extensions["socketio"], app.extensions["guichet.metrics"])
tune_gc()
