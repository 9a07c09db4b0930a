"""The connection's socket handed to the websocket layer without a class per request.

gunicorn puts each request's socket in `environ["gunicorn.socket"]`. When it
finds that key, python-engineio's WSGI middleware defines, on every request, a
new class wrapping the socket under `environ["eventlet.input"]`; that class
stays alive as long as the request, and a terminal's websocket is one request
for the whole connection: about 3 kB per connected terminal (60 MB for
20,000 terminals).

`share_socket_input(app)` does that step itself, with one class for all
requests: for an Engine.IO request the socket moves from `gunicorn.socket` to
`eventlet.input` before the middleware (so it has nothing to wrap), and is put
back under `gunicorn.socket` as the Engine.IO server takes the request, where
simple-websocket reads it (and where engineio tells gunicorn that the
websocket has ended). The environ the Engine.IO server sees is what it saw
before; only the class behind `eventlet.input` is ours.
"""
from __future__ import annotations

GUNICORN_SOCKET = "gunicorn.socket"
SOCKET_INPUT = "eventlet.input"


class SocketInput:
    """What engineio's middleware would have built: the socket, behind `get_socket()`."""

    __slots__ = ("socket",)

    def __init__(self, socket) -> None:
        self.socket = socket

    def get_socket(self):
        return self.socket


class _SocketBack:
    """The middleware's Engine.IO server, given back `gunicorn.socket` on each request."""

    def __init__(self, server) -> None:
        self.server = server

    def handle_request(self, environ, start_response):
        given = environ.get(SOCKET_INPUT)
        if isinstance(given, SocketInput):
            environ[GUNICORN_SOCKET] = given.socket
        return self.server.handle_request(environ, start_response)

    def __getattr__(self, name):
        return getattr(self.server, name)


def share_socket_input(app) -> None:
    """Install the above around `app.wsgi_app`, Flask-SocketIO's middleware
    (a python-engineio `WSGIApp`): call once, after `SocketIO(app)`."""
    middleware = app.wsgi_app
    prefix = middleware.engineio_path
    middleware.engineio_app = _SocketBack(middleware.engineio_app)

    def wsgi_app(environ, start_response):
        path = environ.get("PATH_INFO")
        if path is not None and path.startswith(prefix) and GUNICORN_SOCKET in environ \
                and SOCKET_INPUT not in environ:
            environ[SOCKET_INPUT] = SocketInput(environ.pop(GUNICORN_SOCKET))
        return middleware(environ, start_response)

    app.wsgi_app = wsgi_app
