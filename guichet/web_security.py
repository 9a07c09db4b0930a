"""What both web apps (central server and shop terminal) do to every request.

One place, so the two apps cannot drift apart:

- **Security headers** on every answer (pages, JSON, static files, errors): a
  Content-Security-Policy that allows only the app's own scripts, styles and
  connections (no inline script, no inline style, no eval; htmx is configured
  not to need them), refuses framing (`frame-ancestors 'none'` and
  `X-Frame-Options: DENY`, against clickjacking a till), `nosniff`, and no
  Referer leaving the app. Neither app says which server software or version
  it runs: that is set where the HTTP server writes its `Server` line
  (guichet/gunicorn_conf.py, terminal_app/runner.py), not here, since a header
  set by the app would be sent *in addition to* the server's own.
- **Request bodies are capped** before anything reads them: 64 KB by default,
  more only for the views that need it (the operator's programme import). A
  body over the cap is answered 413 with a reason and never read, so an
  unauthenticated client cannot make the app parse megabytes.
- **A body declared as JSON that does not parse** (malformed, not UTF-8, or
  nested so deeply that Python's parser gives up with RecursionError) is
  answered 400 `bad_json`, never 500, even where a view reads the body with
  `get_json(silent=True)`: "silent" there means "absent or not JSON", and a
  broken body is a client mistake the client should be told about. Parsed
  JSON deeper than MAX_JSON_DEPTH is refused the same way, so no view meets a
  structure its own recursion could choke on.
- **Every refusal is JSON with a reason** (404, 405, 500 included), in the
  language of whoever reads that app: English for the operator's server,
  French for the shop's terminal.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, Response, jsonify, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.serving import WSGIRequestHandler

DEFAULT_BODY_LIMIT = 64 * 1024
# The operator's real programme file for one day (tests/data/pmu_programme_2021-01-01.json)
# is 191 KB; 16 MB leaves room for a heavy day, several days at once or a pretty-printed file.
PROGRAMME_BODY_LIMIT = 16 * 1024 * 1024
MAX_JSON_DEPTH = 32
SERVER_HEADER = "guichet"  # what both apps' HTTP servers say they are, without a version

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass(frozen=True)
class Messages:
    """The refusals' wording, in the language of whoever reads that app's answers."""

    bad_json: str
    too_deep: str
    too_large: str  # formatted with {limit}, a size written with `units`
    units: tuple[str, str]  # (megabytes, kilobytes)
    not_found: str
    bad_method: str
    internal: str
    nul: str  # a NUL character in the path, the query or a JSON body


ENGLISH = Messages(
    bad_json="the body is not valid JSON",
    too_deep=f"the JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)",
    too_large="request body too large: at most {limit} on this route",
    units=("MB", "KB"),
    not_found="no such resource",
    bad_method="method not allowed",
    internal="internal error",
    nul="the request holds a NUL character, which no field may contain",
)

FRENCH = Messages(
    bad_json="Corps JSON illisible.",
    too_deep=f"Corps JSON trop imbriqué ({MAX_JSON_DEPTH} niveaux au plus).",
    too_large="Requête trop volumineuse : {limit} au plus.",
    units=("Mo", "Ko"),
    not_found="Page introuvable.",
    bad_method="Méthode non permise.",
    internal="Erreur interne du terminal : réessayez ou appelez l'assistance.",
    nul="Requête refusée : caractère nul interdit.",
)


class BadJson(BadRequest):
    """A body sent as JSON that cannot be read; answered 400 `bad_json`."""

    def __init__(self, too_deep: bool = False, nul: bool = False) -> None:
        super().__init__()
        self.too_deep = too_deep
        self.nul = nul


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when `value` nests lists/objects more than `limit` levels (iterative:
    the check itself must not recurse)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return False


class GuardedRequest(Request):
    """Flask's request, whose JSON reading refuses broken bodies instead of crashing."""

    _guichet_json: Any = Ellipsis

    def get_json(self, force: bool = False, silent: bool = False,
                 cache: bool = True) -> Any | None:
        if not (force or self.is_json):
            return super().get_json(force=force, silent=silent, cache=cache)
        if self._guichet_json is not Ellipsis:
            return self._guichet_json
        data = self.get_data(cache=True)
        if not data.strip():
            # Nothing sent: what the view asked for when there is no JSON.
            return super().get_json(force=force, silent=silent, cache=cache)
        try:
            value = self.json_module.loads(data)
        except RecursionError:
            raise BadJson(too_deep=True) from None
        except ValueError:  # UnicodeDecodeError included
            raise BadJson() from None
        if json_depth_exceeds(value, MAX_JSON_DEPTH):
            raise BadJson(too_deep=True)
        if b"\\u0000" in data:  # no store holds NUL in text (PostgreSQL cannot at all)
            raise BadJson(nul=True)
        self._guichet_json = value
        return value


def _size(limit: int, units: tuple[str, str]) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} {units[0]}"
    return f"{limit // 1024} {units[1]}"


def install(app: Flask, messages: Messages,
            body_limits: dict[str, int] | None = None) -> None:
    """Give `app` the headers, body caps and JSON refusals described above.

    `body_limits` maps endpoint names (e.g. "api.import_programme") to their own
    cap; every other request gets DEFAULT_BODY_LIMIT. The cap is checked first
    among the app's before-request hooks, ahead of anything that reads a body
    (CSRF checks read forms)."""
    limits = dict(body_limits or {})
    app.request_class = GuardedRequest
    app.config["MAX_CONTENT_LENGTH"] = DEFAULT_BODY_LIMIT
    # "a//b" is a 404 like any unknown path, not an HTML redirect to "a/b".
    app.url_map.merge_slashes = False

    def cap_body() -> tuple[Response, int] | None:
        if "\x00" in request.path or any("\x00" in k or "\x00" in v
                                         for k, v in request.args.items(multi=True)):
            return jsonify(ok=False, error="bad_request", message=messages.nul), 400
        limit = limits.get(request.endpoint or "", DEFAULT_BODY_LIMIT)
        request.max_content_length = limit  # also bounds a body sent without Content-Length
        if request.content_length is not None and request.content_length > limit:
            return _too_large(limit)
        return None

    def _too_large(limit: int) -> tuple[Response, int]:
        return jsonify(ok=False, error="body_too_large", limit_bytes=limit,
                       message=messages.too_large.format(limit=_size(limit, messages.units))), 413

    def add_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def on_bad_json(exc: BadJson) -> tuple[Response, int]:
        message = (messages.too_deep if exc.too_deep else messages.nul if exc.nul
                   else messages.bad_json)
        return jsonify(ok=False, error="bad_json", message=message), 400

    def on_too_large(_exc: RequestEntityTooLarge) -> tuple[Response, int]:
        return _too_large(request.max_content_length or DEFAULT_BODY_LIMIT)

    app.before_request_funcs.setdefault(None, []).insert(0, cap_body)
    app.after_request(add_headers)
    def refusal(status: int, error: str, message: str):
        return lambda _exc: (jsonify(ok=False, error=error, message=message), status)

    # Every other refusal of either app is JSON with a reason too, in its reader's language.
    app.register_error_handler(404, refusal(404, "not_found", messages.not_found))
    app.register_error_handler(405, refusal(405, "method_not_allowed", messages.bad_method))
    app.register_error_handler(500, refusal(500, "internal_error", messages.internal))
    app.register_error_handler(BadJson, on_bad_json)
    app.register_error_handler(RequestEntityTooLarge, on_too_large)


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler for the terminal, without `Server: Werkzeug/x Python/y`:
    a page or program on the shop PC learns nothing about the versions it could attack."""

    def version_string(self) -> str:
        return SERVER_HEADER
