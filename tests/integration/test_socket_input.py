"""gunicorn's socket handed to the websocket layer in one shared class
(server/web/socket_input.py): the Engine.IO server still finds the socket where it
reads it, no class is made per request, and other requests are left as they were."""
from __future__ import annotations

from server.web.app import create_app
from server.web.socket_input import SocketInput, share_socket_input


def _app(db_url, seen: list):
    app = create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": 0})
    engineio = app.wsgi_app.engineio_app  # python-socketio's server, as the middleware holds it

    def handle_request(environ, start_response):
        seen.append(dict(environ))
        start_response("200 OK", [])
        return [b""]

    engineio.handle_request = handle_request
    share_socket_input(app)
    return app


def _call(app, path: str, sock) -> None:
    app.wsgi_app({"PATH_INFO": path, "REQUEST_METHOD": "GET", "QUERY_STRING": "",
                  "gunicorn.socket": sock}, lambda status, headers: None)


def test_an_engineio_request_finds_its_socket_in_both_places(db_url):
    seen: list = []
    app = _app(db_url, seen)
    first, second = object(), object()
    _call(app, "/socket.io/", first)
    _call(app, "/socket.io/", second)
    assert [e["gunicorn.socket"] for e in seen] == [first, second]
    assert [e["eventlet.input"].get_socket() for e in seen] == [first, second]
    # one class for every request, not a new one per connection
    assert type(seen[0]["eventlet.input"]) is type(seen[1]["eventlet.input"]) is SocketInput


def test_other_requests_keep_gunicorns_socket(db_url):
    seen: list = []
    app = _app(db_url, seen)
    sock = object()
    environ = {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET", "QUERY_STRING": "",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
               "gunicorn.socket": sock}
    statuses: list = []
    body = b"".join(app.wsgi_app(environ, lambda status, headers: statuses.append(status)))
    assert not seen and statuses[0].startswith("200") and b"ok" in body
    assert environ["gunicorn.socket"] is sock
