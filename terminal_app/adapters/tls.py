"""TLS to the central server: the operator's CA, trusted alone.

Enrolment checks the server's certificate against the CA the technician gives,
and the sync client checks it again on every websocket connection, with the
same context built here.
"""
from __future__ import annotations

import ssl

from betting.errors import OperatorRefusal

MAX_CA_PEM_CHARS = 64 * 1024  # a CA bundle of a few certificates, not a dump


class BadCA(OperatorRefusal):
    """The CA given is not a usable PEM certificate (English, for the technician)."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_ca", message)


def client_ssl_context(ca_pem: str | None) -> ssl.SSLContext:
    """A context that trusts `ca_pem` alone (the system store when it is None).

    Checks the certificate chain and the host name; an unreadable PEM raises
    BadCA."""
    if ca_pem is None:
        return ssl.create_default_context()
    if len(ca_pem) > MAX_CA_PEM_CHARS or "-----BEGIN CERTIFICATE-----" not in ca_pem:
        raise BadCA("the CA file is not a PEM certificate")
    try:
        return ssl.create_default_context(cadata=ca_pem)
    except (ssl.SSLError, ValueError) as exc:
        raise BadCA(f"the CA file is not a usable PEM certificate: {exc}") from None


def socket_tls_options(ca_pem: str | None) -> dict:
    """Keyword arguments for `socketio.Client`: its websocket checks the server
    certificate against the enrolment CA (websocket-client's `sslopt` context).

    Without a saved CA, nothing: websocket-client then verifies wss:// against
    the system store."""
    if not ca_pem:
        return {}
    return {"websocket_extra_options": {"sslopt": {"context": client_ssl_context(ca_pem)}}}
