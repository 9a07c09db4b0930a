"""The central operator's back office: pages under /admin/, in French, behind a login.

- `/admin/login` takes a name and a password (server/services/accounts.py);
  repeated failures from one address are refused with 429 before any password
  is checked, and an account is locked after repeated wrong passwords.
- Every other page redirects to the login without a session, and answers 403
  to a role that may not see it (`page(*roles)`).
- The session (signed with a key every process shares through the store) holds
  the account's name only; each request looks the account up again, so
  disabling it ends its sessions at once.
- Every POST carries the session's CSRF token (Flask-WTF): forms in the
  `csrf_token` field, htmx in the `X-CSRFToken` header.
"""
from __future__ import annotations

import functools
import importlib
from datetime import timedelta

from flask import (Blueprint, current_app, g, redirect, render_template, request, session,
                   url_for)
from flask_wtf.csrf import CSRFError, CSRFProtect

from guichet.clock import utcnow

from ..services import accounts, audit
from ..services.throttle import FailureThrottle

bp = Blueprint("admin", __name__, url_prefix="/admin")
csrf = CSRFProtect()

SESSION_HOURS = 8  # one working day; then log in again
LOGIN_FAILURES, LOGIN_WINDOW_S = 10, 600  # per address, before any password is checked

# Sections of the back office and the roles that see them (the first that fits is home).
# Each section is its own blueprint module (server/web/admin_*.py), registered by `install`.
SECTIONS = [
    ("admin_races.programme", "Programme", ("operator",)),
    ("admin_races.pools", "Masses", ("operator", "auditor")),
    ("admin_races.results", "Résultats", ("operator", "auditor")),
    ("admin_fleet.fleet", "Parc", ("operator", "technician")),
    ("admin_reports.reports", "Rapports", ("operator", "auditor")),
    ("admin.audit_page", "Journal d'audit", ("operator", "auditor")),
]
SECTION_MODULES = ("admin_races", "admin_fleet", "admin_reports")


def install(app, store) -> None:
    """Register the back office on `app`: session key, cookie settings, CSRF."""
    with store.unit_of_work() as uow:
        app.secret_key = accounts.session_secret(uow)
        uow.commit()
    app.config.update(
        SESSION_COOKIE_NAME="guichet_admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        WTF_CSRF_CHECK_DEFAULT=False,  # the API takes bearer tokens; only /admin checks
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session
    )
    csrf.init_app(app)
    app.extensions["guichet.login_throttle"] = FailureThrottle(LOGIN_FAILURES, LOGIN_WINDOW_S)
    app.register_blueprint(bp)
    for name in SECTION_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
            continue  # a section not built
        # on this app, not the blueprint: a blueprint serves every app built in a process
        app.before_request_funcs.setdefault(module.bp.name, []).append(_load_user)
        app.register_blueprint(module.bp)


def _store():
    return current_app.extensions["guichet.store"]


@bp.before_request
def _load_user():
    g.account = None
    name = session.get("user")
    if isinstance(name, str):
        with _store().unit_of_work(read_only=True) as uow:
            g.account = accounts.active(uow, name)
        if g.account is None:
            session.clear()
    if request.method == "POST":
        try:
            csrf.protect()
        except CSRFError:
            return render_template("server/admin/message.html", title="Session expirée",
                                   message="Session expirée ou formulaire périmé : "
                                           "rechargez la page."), 403
    return None


@bp.app_context_processor
def _sections():
    account = getattr(g, "account", None)
    if account is None:
        return {"sections": []}
    return {"sections": [(endpoint, label) for endpoint, label, roles in SECTIONS
                         if account.role in roles and endpoint in current_app.view_functions],
            "role_label": accounts.ROLES.get(account.role, account.role)}


def page(*roles: str):
    """A back-office view for `roles` (every role when none is named)."""
    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            if g.account is None:
                return redirect(url_for("admin.login", next=request.path))
            if roles and g.account.role not in roles:
                return render_template("server/admin/message.html", title="Accès refusé",
                                       message="Votre rôle ne donne pas accès à cette page."), 403
            with audit.acting_as(f"user:{g.account.name}"):
                return view(*args, **kwargs)
        return inner
    return wrap


def _safe_next(target: object) -> str:
    """Only a path of the back office itself (never another site after login)."""
    if isinstance(target, str) and target.startswith("/admin/") and "//" not in target \
            and "\\" not in target and len(target) < 200:
        return target
    return url_for("admin.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    if request.method == "POST":
        address = request.remote_addr or "?"
        throttle = current_app.extensions["guichet.login_throttle"]
        wait = throttle.retry_after(address)
        if wait:
            return render_template("server/admin/login.html",
                                   error=f"Trop d'essais manqués depuis ce poste : "
                                         f"réessayez dans {_minutes(wait)}."), 429, \
                {"Retry-After": str(wait)}
        name = request.form.get("name", "").strip().lower()
        password = request.form.get("password", "")
        with _store().unit_of_work() as uow:
            account, why = accounts.authenticate(uow, name, password, utcnow(), address[:45])
            uow.commit()
        if account is not None:
            session.clear()
            session.permanent = True
            session["user"] = account.name
            return redirect(_safe_next(request.args.get("next")))
        throttle.fail(address)
        status = 401
        error = ("Compte verrouillé après trop d'essais manqués : réessayez plus tard ou "
                 "demandez un nouveau mot de passe." if why == "locked"
                 else "Nom ou mot de passe incorrect.")
    return render_template("server/admin/login.html", error=error), status


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


@bp.post("/logout")
def logout():
    if g.account is not None:
        with _store().unit_of_work() as uow, audit.acting_as(f"user:{g.account.name}"):
            audit.record(uow, "logout", g.account.name)
            uow.commit()
    session.clear()
    return redirect(url_for("admin.login"))


@bp.get("/")
@page()
def home():
    for endpoint, _label, roles in SECTIONS:
        if g.account.role in roles and endpoint in current_app.view_functions:
            return redirect(url_for(endpoint))
    return render_template("server/admin/message.html", title="Guichet",
                           message="Aucune page pour ce rôle.")


AUDIT_PAGE = 100


@bp.get("/audit")
@page("operator", "auditor")
def audit_page():
    """The audit log, newest last, a page at a time, with the chain's verdict."""
    try:
        after = max(0, int(request.args.get("after", "0")))
    except ValueError:
        after = 0
    with _store().unit_of_work(read_only=True) as uow:
        entries = [audit.as_dict(e) for e in uow.audit.entries(after=after, limit=AUDIT_PAGE)]
        verdict = audit.verify(uow) if request.args.get("verify") == "1" else None
    return render_template("server/admin/audit.html", entries=entries, verdict=verdict,
                           after=after, page_size=AUDIT_PAGE)
