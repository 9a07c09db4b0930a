"""The central operator's people: accounts, roles, passwords, and who holds an API token.

Roles (what each may do is decided at the edges, server/web/admin.py and api.py):

- `operator`: runs the racing day: programme, pools, results, fleet, reports;
- `auditor`: reads only: the audit log and the reports;
- `technician`: the fleet only (terminals, enrolment codes).

Passwords are hashed with argon2id (argon2-cffi's defaults). A login is refused
the same way for an unknown name and a wrong password, after the same work. After
`MAX_FAILURES` wrong passwords in a row an account is locked for `LOCK_MINUTES`
(the right password is refused too until then); the web edge also throttles per
address before any password is checked. Every login, failed login and change
to an account goes to the audit log.
"""
from __future__ import annotations

import functools
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from betting.errors import OperatorRefusal
from betting.programme import iso_utc, parse_utc

from . import audit
from ..records import Account
from ..store import UnitOfWork

ROLES = {"operator": "opérateur", "auditor": "auditeur", "technician": "technicien"}
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
MIN_PASSWORD, MAX_PASSWORD = 10, 200
MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_SECRET = "session_key"

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so that it costs the same as a wrong
    password; made at the first such login, not at every import (each CLI command and
    server process imports this module)."""
    return _hasher.hash(secrets.token_hex(16))


class AccountError(OperatorRefusal):
    """A refused account change; English for the operator's CLI and API."""


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise AccountError("bad_name", "a user name is 2 to 32 characters: lower-case letters, "
                                       "digits, '.', '_' or '-', starting with a letter or digit")
    return name


def check_role(role: object) -> str:
    if role not in ROLES:
        raise AccountError("bad_role", f"role must be one of {', '.join(ROLES)}")
    return str(role)


def check_password(password: object) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError("bad_password", f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} "
                                           "characters")
    if not password.isprintable():
        raise AccountError("bad_password", "a password must not contain control characters")
    return password


def add_account(uow: UnitOfWork, name: object, role: object, password: object,
                now: datetime) -> Account:
    name, role = check_name(name), check_role(role)
    digest = _hasher.hash(check_password(password))
    if not uow.accounts.add(name, role, digest, now):
        raise AccountError("name_taken", f"there is already a user {name}")
    audit.record(uow, "account.add", name, {"role": role}, now=now)
    return uow.accounts.get(name)


def _existing(uow: UnitOfWork, name: object) -> Account:
    account = uow.accounts.get(check_name(name))
    if account is None:
        raise AccountError("unknown_user", f"no user {name}")
    return account


def set_password(uow: UnitOfWork, name: object, password: object, now: datetime) -> None:
    """A new password; it also lifts a lock."""
    account = _existing(uow, name)
    uow.accounts.update(account.name, now, password_hash=_hasher.hash(check_password(password)),
                        failures=0, locked_until=None)
    audit.record(uow, "account.password", account.name, now=now)


def set_disabled(uow: UnitOfWork, name: object, disabled: bool, now: datetime) -> bool:
    """Disable (or enable) an account: its sessions and API tokens stop working at once.
    True when it changed."""
    account = _existing(uow, name)
    uow.accounts.update(account.name, now, disabled=disabled)
    audit.record(uow, "account.disable" if disabled else "account.enable", account.name,
                 {"changed": account.disabled != disabled}, now=now)
    return account.disabled != disabled


def list_accounts(uow: UnitOfWork) -> list[Account]:
    return uow.accounts.listed()


def authenticate(uow: UnitOfWork, name: object, password: object, now: datetime,
                 origin: str = "") -> tuple[Account | None, str]:
    """The account if `password` is its password; else None and why, for the log:
    `unknown`, `wrong`, `locked`, `disabled`. The caller commits either way (the
    failure count and the audit entry are the point of a refusal)."""
    account = uow.accounts.get(name) if isinstance(name, str) and \
        NAME_PATTERN.fullmatch(name) else None
    password = password if isinstance(password, str) and len(password) <= MAX_PASSWORD else ""
    subject = account.name if account else str(name)[:32]
    if account is None:
        _verify(_dummy_hash(), password)
        return _refused(uow, subject, "unknown", now, origin)
    if account.locked_until and parse_utc(account.locked_until) > now:
        return _refused(uow, subject, "locked", now, origin)
    if not _verify(account.password_hash, password):
        failures = account.failures + 1
        locked = iso_utc(now + timedelta(minutes=LOCK_MINUTES)) \
            if failures >= MAX_FAILURES else None
        uow.accounts.update(account.name, now, failures=0 if locked else failures,
                            locked_until=locked)
        if locked:
            audit.record(uow, "login.locked", subject,
                         {"until": locked, "origin": origin}, now=now)
        return _refused(uow, subject, "wrong", now, origin)
    if account.disabled:
        return _refused(uow, subject, "disabled", now, origin)
    if account.failures or account.locked_until:
        uow.accounts.update(account.name, now, failures=0, locked_until=None)
    audit.record(uow, "login", account.name, {"role": account.role, "origin": origin}, now=now)
    return account, ""


def _verify(digest: str, password: str) -> bool:
    try:
        return _hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False


def _refused(uow: UnitOfWork, subject: str, why: str, now: datetime,
             origin: str) -> tuple[None, str]:
    audit.record(uow, "login.failed", subject, {"why": why, "origin": origin}, now=now)
    return None, why


def active(uow: UnitOfWork, name: str) -> Account | None:
    """The account behind a session or a token, if it may still act."""
    account = uow.accounts.get(name)
    return account if account and not account.disabled else None


def session_secret(uow: UnitOfWork) -> str:
    """The key that signs back-office sessions, shared by every server process
    through the store (made once, by whichever process starts first)."""
    return uow.secrets.get_or_create(SESSION_SECRET, lambda: secrets.token_hex(32))
