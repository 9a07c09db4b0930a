"""One log line, not a traceback, for a TLS handshake that fails.

Under `guichet server --certfile/--keyfile`, gunicorn's gevent worker hands each
new connection to gevent's StreamServer, which does the TLS handshake in the
connection's greenlet. A client that refuses the certificate (a terminal with the
wrong CA), a port scanner or a plain-HTTP client there makes that greenlet fail,
and gevent prints a twenty-line traceback per connection into the server log.
The operator needs to know it happened, and from where, in one line.
"""
from __future__ import annotations

import logging
import ssl

log = logging.getLogger("guichet.server.tls")


def quiet_failed_handshakes() -> None:
    """Log failed handshakes as one warning line (idempotent; no-op without gevent)."""
    try:
        from gevent.server import StreamServer
    except ImportError:  # not running under gevent
        return
    original = StreamServer.wrap_socket_and_handle
    if getattr(original, "_guichet_quiet", False):
        return

    def wrap_socket_and_handle(self, client_socket, address):
        try:
            return original(self, client_socket, address)
        except (ssl.SSLError, ssl.CertificateError) as exc:
            # gunicorn handles SSL errors inside a request itself: this one is the handshake.
            # gevent closes the client socket when this greenlet ends.
            peer = address[0] if isinstance(address, tuple) and address else address
            log.warning("TLS handshake with %s failed: %s", peer,
                        getattr(exc, "reason", None) or exc)
            return None

    wrap_socket_and_handle._guichet_quiet = True
    StreamServer.wrap_socket_and_handle = wrap_socket_and_handle
