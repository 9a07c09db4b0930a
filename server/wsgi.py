"""Entry point for gunicorn: `gunicorn -k gevent -w 1 server.wsgi:app`.

Configuration comes from the environment (GUICHET_DB, GUICHET_MESSAGE_QUEUE),
which `guichet server` sets from its options.
"""
import logging

from .app import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
