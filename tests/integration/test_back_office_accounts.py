"""Back-office accounts: login, lockout, throttle, roles on pages and on the JSON API,
CSRF, and the command line that manages them (on SQLite and on PostgreSQL)."""
from __future__ import annotations

import pytest

from guichet.clock import utcnow
from server.services import accounts

from ..admin_support import add_user, csrf_of, login, make_app, token_for
from ..helpers import run_cli
from ..server_store import committed



@pytest.fixture
def app(db_url):
    app = make_app(db_url)
    yield app
    app.extensions["guichet.store"].close()


def audit_actions(app) -> list[tuple[str, str]]:
    with app.extensions["guichet.store"].unit_of_work(read_only=True) as uow:
        return [(e.action, e.subject) for e in uow.audit.entries()]


def test_pages_need_a_login_and_a_login_opens_them(app):
    add_user(app, "alice", "operator")
    client = app.test_client()
    answer = client.get("/admin/audit")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/admin/login")
    answer = login(client, "alice", next_path="/admin/audit")
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/audit"
    page = client.get("/admin/audit")
    assert page.status_code == 200
    text = page.data.decode()
    assert "Journal d'audit" in text and "alice (opérateur)" in text
    assert ("login", "alice") in audit_actions(app)
    cookie = next(c for c in client._cookies.values() if c.key == "guichet_admin")
    assert cookie.http_only and cookie.same_site == "Strict"


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(app):
    add_user(app, "alice", "operator")
    client = app.test_client()
    wrong = login(client, "alice", "not the password")
    unknown = login(client, "bob", "not the password")
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "Nom ou mot de passe incorrect." in answer.data.decode()
    assert audit_actions(app)[-2:] == [("login.failed", "alice"), ("login.failed", "bob")]


def test_an_account_is_locked_after_five_wrong_passwords_until_a_new_password(app, db_url,
                                                                              tmp_path):
    add_user(app, "alice", "operator")
    client = app.test_client()
    for _ in range(accounts.MAX_FAILURES):
        assert login(client, "alice", "wrong password").status_code == 401
    locked = login(client, "alice")  # the right password, refused while locked
    assert locked.status_code == 401 and "verrouillé" in locked.data.decode()
    assert ("login.locked", "alice") in audit_actions(app)
    secret = tmp_path / "pw"
    secret.write_text("a brand new password\n")
    run_cli("admin", "user", "passwd", "alice", "--password-file", str(secret), "--db", db_url)
    assert login(client, "alice", "a brand new password").status_code == 302


def test_repeated_failures_from_one_address_are_refused_before_any_password_check(app):
    add_user(app, "alice", "operator")
    add_user(app, "carol", "auditor")
    client = app.test_client()
    names = ["alice", "carol"]  # two accounts: no account lock gets in the way
    for i in range(10):
        assert login(client, names[i % 2], "wrong password").status_code == 401
    refused = login(client, "carol")  # right password, same address
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert "essais manqués depuis ce poste" in refused.data.decode()
    assert ("login", "carol") not in audit_actions(app)


def test_post_without_the_csrf_token_changes_nothing(app):
    add_user(app, "alice", "operator")
    client = app.test_client()
    login(client, "alice")
    refused = client.post("/admin/logout")
    assert refused.status_code == 403 and "Session expirée" in refused.data.decode()
    assert client.get("/admin/audit").status_code == 200  # still logged in
    token = csrf_of(client.get("/admin/audit").data)
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/audit").status_code == 302
    assert ("logout", "alice") in audit_actions(app)


def test_login_never_redirects_to_another_site(app):
    add_user(app, "alice", "operator")
    for target in ("//evil.example/admin/", "https://evil.example/", "/admin/\\evil"):
        answer = login(app.test_client(), "alice", next_path=target)
        assert answer.status_code == 302 and answer.headers["Location"] == "/admin/"


def test_a_role_sees_only_its_pages_and_a_disabled_account_is_out_at_once(app):
    add_user(app, "tom", "technician")
    add_user(app, "alice", "operator")
    tech = app.test_client()
    login(tech, "tom")
    denied = tech.get("/admin/audit")
    assert denied.status_code == 403 and "Accès refusé" in denied.data.decode()
    operator = app.test_client()
    login(operator, "alice")
    assert operator.get("/admin/audit").status_code == 200
    with committed(app.extensions["guichet.store"]) as uow:
        accounts.set_disabled(uow, "alice", True, utcnow())
    assert operator.get("/admin/audit").status_code == 302  # back to the login


def test_api_tokens_act_with_their_account_s_role(app):
    add_user(app, "tom", "technician")
    add_user(app, "carol", "auditor")
    client = app.test_client()
    tech, auditor, legacy = token_for(app, "tom"), token_for(app, "carol"), token_for(app)

    def call(method, path, token, body=None):
        return client.open(path, method=method, json=body,
                           headers={"Authorization": f"Bearer {token}"})

    assert call("GET", "/api/terminals", tech).status_code == 200
    assert call("POST", "/api/enrolment-codes", tech, {"outlet": "Bar"}).status_code == 201
    refused = call("GET", "/api/review", tech)
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert call("GET", "/api/review", auditor).status_code == 200
    assert call("POST", "/api/enrolment-codes", auditor, {"outlet": "Bar"}).status_code == 403
    assert call("GET", "/api/review", legacy).status_code == 200  # a token of no account
    with app.extensions["guichet.store"].unit_of_work(read_only=True) as uow:
        last = list(uow.audit.entries())[-1]
    assert (last.action, last.actor) == ("terminal.enrolment_code", "user:tom")
    with committed(app.extensions["guichet.store"]) as uow:
        accounts.set_disabled(uow, "tom", True, utcnow())
    assert call("GET", "/api/terminals", tech).status_code == 401


def test_the_command_line_manages_users_and_says_what_is_wrong(db_url, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("a long enough password\n")
    done = run_cli("admin", "user", "add", "alice", "--role", "auditor",
                   "--password-file", str(secret), "--db", db_url)
    assert "user alice added (auditor)" in done.stdout
    again = run_cli("admin", "user", "add", "alice", "--role", "auditor",
                    "--password-file", str(secret), "--db", db_url, check=False)
    assert again.returncode == 1 and "there is already a user alice" in again.stderr
    bad = run_cli("admin", "user", "add", "Alice Smith", "--role", "auditor",
                  "--password-file", str(secret), "--db", db_url, check=False)
    assert bad.returncode == 1 and "user name" in bad.stderr
    short = tmp_path / "short"
    short.write_text("short\n")
    weak = run_cli("admin", "user", "add", "bob", "--role", "operator",
                   "--password-file", str(short), "--db", db_url, check=False)
    assert weak.returncode == 1 and "10 to 200 characters" in weak.stderr
    typo = run_cli("admin", "user", "add", "bob", "--role", "operatr",
                   "--password-file", str(secret), "--db", db_url, check=False)
    assert typo.returncode == 2 and "operatr" in typo.stderr
    run_cli("admin", "user", "disable", "alice", "--db", db_url)
    listed = run_cli("admin", "user", "list", "--db", db_url).stdout
    assert listed.strip() == "alice\tauditor\tdisabled"
    token = run_cli("admin", "token", "--user", "alice", "--db", db_url, check=False)
    assert token.returncode == 1 and "no enabled user alice" in token.stderr
    unknown = run_cli("admin", "user", "disable", "nobody", "--db", db_url, check=False)
    assert unknown.returncode == 1 and "no user nobody" in unknown.stderr
