"""Driving the back office (/admin) from tests: an in-process app on a fresh store,
users of each role, and clients logged in with the session's CSRF token at hand."""
from __future__ import annotations

import re
from pathlib import Path

from guichet.clock import utcnow
from server.services import accounts, fleet

from .helpers import run_cli
from .server_store import committed

PASSWORD = "correct horse 42"


def make_app(db_url: str, **config):
    from server.web.app import create_app

    return create_app({"DB": db_url, "AUTO_CLOSE_INTERVAL_S": 0, **config})


def add_user(app, name: str, role: str, password: str = PASSWORD) -> None:
    with committed(app.extensions["guichet.store"]) as uow:
        accounts.add_account(uow, name, role, password, utcnow())


def token_for(app, name: str | None = None) -> str:
    with committed(app.extensions["guichet.store"]) as uow:
        return fleet.create_admin_token(uow, utcnow(), name)


def csrf_of(page: bytes) -> str:
    return re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()


def login(client, name: str, password: str = PASSWORD, next_path: str | None = None):
    token = csrf_of(client.get("/admin/login").data)
    url = "/admin/login" + (f"?next={next_path}" if next_path else "")
    return client.post(url, data={"name": name, "password": password, "csrf_token": token})


class AdminClient:
    """A Flask test client logged in as a new user of `role`; `post` adds the CSRF token."""

    def __init__(self, app, role: str, name: str | None = None) -> None:
        self.app, self.name = app, name or f"{role[:4]}{id(self) % 10000}"
        add_user(app, self.name, role)
        self.client = app.test_client()
        assert login(self.client, self.name).status_code == 302
        self.csrf = csrf_of(self.client.get("/admin/login").data)

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, **kw):
        headers = {"X-CSRFToken": self.csrf, **kw.pop("headers", {})}
        return self.client.post(path, data=data or {}, headers=headers, **kw)


def add_user_cli(db: str, name: str, role: str, tmp: Path, password: str = PASSWORD) -> None:
    """The same through `guichet admin user add` (for a server running in its own process)."""
    secret = tmp / f"{name}.pw"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    run_cli("admin", "user", "add", name, "--role", role, "--password-file", str(secret),
            "--db", str(db))
