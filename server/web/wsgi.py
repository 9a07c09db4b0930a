"""Entry point for gunicorn: `gunicorn -k gevent -w 1 server.web.wsgi:app`.

Configuration comes from the environment (`GUICHET_DB`, `GUICHET_MESSAGE_QUEUE`,
… server/config.py), which `guichet server` sets from its options after
checking it.
"""
import logging

from gunicorn.errors import AppImportError

from .app import create_app
from ..config import ConfigError
from .tls_log import quiet_failed_handshakes

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
quiet_failed_handshakes()  # under --certfile: one line per refused handshake, no traceback
try:
    app = create_app()
except ConfigError as exc:
    # gunicorn prints this one line and stops, where any other error is a
    # traceback and a worker restarted in a loop
    raise AppImportError(f"configuration: {exc}") from None
