"""Entry point for gunicorn: `gunicorn -k gevent -w 1 server.wsgi:app`.

Configuration comes from the environment (GUICHET_DB, GUICHET_MESSAGE_QUEUE),
which `guichet server` sets from its options.
"""
import logging

from .app import create_app
from .tls_log import quiet_failed_handshakes

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
quiet_failed_handshakes()  # under --certfile: one line per refused handshake, no traceback
app = create_app()
