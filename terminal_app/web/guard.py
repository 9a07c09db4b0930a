"""Only the terminal's own pages may drive the terminal (docs/security.md).

The UI listens on 127.0.0.1, but that does not keep other web pages out: a page
served on 127.0.0.1 at another port is *same-site*, so the browser sends the
SameSite=Strict session cookie with its form posts and fetches, and a DNS-rebinding
page reaches the port under a name of its own. Four checks, before any view runs:

1. `Host` (every request) must name this terminal: 127.0.0.1, localhost, [::1] or
   the configured `--host`, at the port it listens on; otherwise 400.
2. `Origin` (or, when a browser sent none, `Referer`) of a state-changing request
   must be this terminal's own address; otherwise 403.
3. A state-changing request that relies on the session cookie must carry the
   session's CSRF token (Flask-WTF): htmx sends it in the `X-CSRFToken` header
   (`hx-headers` on <body>), plain forms in the `csrf_token` field, the page's own
   scripts from `<meta name="csrf-token">`. A request with `Authorization: Bearer
   <local token>` (`guichet terminal token`) needs none: no web page has that token.
4. Any other page's fetch, event stream, image or frame (the browser says so in
   `Sec-Fetch-Site`: `same-site` or `cross-site`) is refused, reads included: such a
   page cannot read the answer anyway, but it could hold the terminal's threads and
   its few live-stream places (`/ui/events`) and leave the sale screen deaf to a
   race closing. A top-level navigation (a link, a bookmark) is let through.

Every refusal changes nothing and tells the shopkeeper, in French, what to do.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

log = logging.getLogger("guichet.terminal")

LISTEN_KEY = "GUICHET_LISTEN"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("", "0.0.0.0", "::")

csrf = CSRFProtect()


def _split_host(value: str, default_port: int) -> tuple[str, int] | None:
    """`name[:port]` or `[v6][:port]` → (lower-case name, port), None when malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        name, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else ""
    else:
        name, _, port_text = value.partition(":")
        if ":" in port_text:
            return None
    if not name:
        return None
    if not port_text:
        return name, default_port
    if not port_text.isdigit() or len(port_text) > 5:
        return None
    return name, int(port_text)


def own_addresses(host: str, port: int) -> frozenset[tuple[str, int]]:
    """The (name, port) pairs under which this terminal may be addressed.

    A wildcard bind (0.0.0.0, ::) names no address of its own: only the loopback
    names are then accepted, so give `--host` the address the till's browser uses."""
    names = set(LOOPBACK_NAMES)
    bare = host.strip().lower().strip("[]")
    if bare not in WILDCARDS:
        names.add(bare)
    return frozenset((name, port) for name in names)


def _own() -> frozenset[tuple[str, int]]:
    return current_app.extensions["guichet.own_addresses"]


def _is_own(host_header: str, scheme: str) -> bool:
    parsed = _split_host(host_header, 443 if scheme == "https" else 80)
    return parsed is not None and parsed in _own()


def _is_own_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) \
        and "@" not in parts.netloc and _is_own(parts.netloc, parts.scheme)


def bearer_ok() -> bool:
    """`Authorization: Bearer <local token>` with a token this terminal issued (cached
    per request: the guard and `local_auth` both ask)."""
    if "guichet_bearer_ok" not in g:
        header = request.headers.get("Authorization", "")
        terminal = current_app.extensions["guichet.terminal"]
        g.guichet_bearer_ok = header.startswith("Bearer ") and \
            terminal.store.check_token(header[7:].strip())
    return g.guichet_bearer_ok


def _refuse(status: int, error: str, message: str, why: str):
    """Answer in the form the caller reads: JSON under /api, an htmx fragment (the
    UI swaps it into the place the action answers in) elsewhere."""
    log.warning("refused %s %s: %s", request.method, request.path, why)
    if request.path.startswith("/api/") or request.path in ("/api", "/healthz"):
        return jsonify(ok=False, error=error, message=message), status
    return render_template("terminal/_message.html", kind="error", message=message), status


def check_host():
    """Every request: the Host header names this terminal (DNS rebinding)."""
    if _is_own(request.host, request.scheme):
        return None
    port = current_app.extensions["guichet.listen"][1]
    return _refuse(400, "unknown_host",
                   "Adresse inconnue : ouvrez le terminal à son adresse locale, "
                   f"par exemple http://127.0.0.1:{port}/.",
                   f"Host {request.host!r} is not this terminal")


def check_origin():
    """State-changing requests: sent by a page of this terminal, or by no page at all
    (a script with a token sends neither header; the CSRF token still applies)."""
    if request.method not in STATE_CHANGING:
        return None
    origin = request.headers.get("Origin")
    if origin is not None:
        if _is_own_url(origin):
            return None
        why = f"Origin {origin!r} is not this terminal"
    else:
        referer = request.headers.get("Referer")
        if referer is None or _is_own_url(referer):
            return None
        why = f"Referer {referer!r} is not this terminal"
    return _refuse(403, "foreign_origin",
                   "Requête refusée : elle ne vient pas d'une page de ce terminal.", why)


def check_csrf():
    """State-changing requests on the session cookie carry the session's CSRF token."""
    if request.method not in STATE_CHANGING or bearer_ok():
        return None
    try:
        csrf.protect()
    except CSRFError as exc:
        return _refuse(403, "csrf_failed", "Session expirée : rechargez la page.",
                       f"CSRF: {exc.description}")
    return None


FOREIGN_SITES = frozenset({"same-site", "cross-site"})


def check_fetch_site():
    """Another page's subresource request, even a read, is refused (point 4)."""
    site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    if site not in FOREIGN_SITES:
        return None  # our own pages, a typed address, or no browser at all
    if request.headers.get("Sec-Fetch-Mode") == "navigate" \
            and request.headers.get("Sec-Fetch-Dest", "document") == "document" \
            and request.method not in STATE_CHANGING:
        return None  # a link followed to the terminal: it opens as if typed
    return _refuse(403, "foreign_origin",
                   "Requête refusée : elle ne vient pas d'une page de ce terminal.",
                   f"Sec-Fetch-Site {site!r} ({request.headers.get('Sec-Fetch-Dest', '?')})")


def install(app: Flask, host: str, port: int) -> None:
    """Register the four checks first among the app's hooks, so they run before any
    view, blueprint guard or body parsing."""
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by check_csrf, which lets bearer calls by
        WTF_CSRF_TIME_LIMIT=None,      # valid as long as the session: a till page stays open all day
    )
    csrf.init_app(app)
    app.extensions["guichet.listen"] = (host, port)
    app.extensions["guichet.own_addresses"] = own_addresses(host, port)
    app.before_request_funcs.setdefault(None, [])[:0] = [check_host, check_fetch_site,
                                                          check_origin, check_csrf]
