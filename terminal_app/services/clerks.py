"""The shop's clerks: a name, a role (clerk or manager) and a PIN of 4 to 8 digits.

`Clerks` alone reads and writes the `clerks` and `till_approvals` tables. A PIN is
kept only as an argon2id hash (argon2-cffi). After `MAX_FAILURES` wrong PINs in a
row a clerk is locked for `LOCK_MINUTES`, checked before the PIN is even hashed;
a manager's approval (a void, a large payout: `approve`) has its own counter, kept
in memory, with the same limits. docs/security.md says why that is enough for a
4-digit secret on a shop PC, and what it does not stop.

While no clerk exists the terminal sells without login (installation, tests, a
demo); once one exists every UI page but /setup and /login needs a clerk
(terminal_app/web/ui_till.py).
"""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from betting.errors import BettingError
from betting.programme import iso_utc, parse_utc
from guichet.clock import utcnow

from ..adapters.database import Database, now_iso

ROLES = ("clerk", "manager")
ROLE_LABELS = {"clerk": "caissier", "manager": "responsable"}
MAX_FAILURES = 5
LOCK_MINUTES = 5
MAX_NAME = 40

_hasher = PasswordHasher()


class ClerkError(BettingError):
    """A refused clerk operation; `status` is the HTTP status the edges answer."""

    status = 422

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        if status is not None:
            self.status = status


def check_name(name: object) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not text or len(text) > MAX_NAME or not text.isprintable():
        raise ClerkError("bad_name", f"Nom invalide : 1 à {MAX_NAME} caractères.")
    return text


def check_pin(pin: object) -> str:
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit() \
            or not 4 <= len(pin) <= 8:
        raise ClerkError("bad_pin_format", "Code PIN invalide : 4 à 8 chiffres.")
    return pin


def _verify(pin_hash: str, pin: str) -> bool:
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


def _locked_message(until: str) -> str:
    from .wording import local_time

    return (f"Trop de codes PIN erronés : caissier bloqué jusqu'à {local_time(parse_utc(until))} "
            "(heure de Paris).")


class Clerks:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._approval_lock = threading.Lock()
        self._approval_failures = 0
        self._approvals_locked_until = 0.0  # time.monotonic()

    # -- the list ---------------------------------------------------------------
    def exist(self) -> bool:
        """At least one clerk can log in: from then on the UI needs a login."""
        return bool(self._db.query("SELECT 1 FROM clerks WHERE disabled_at IS NULL LIMIT 1"))

    def add(self, name: object, role: object, pin: object) -> dict:
        name, pin = check_name(name), check_pin(pin)
        if role not in ROLES:
            raise ClerkError("bad_role", "Rôle inconnu : clerk ou manager.")
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM clerks WHERE name = ?", (name,)).fetchone():
                raise ClerkError("clerk_exists", f"Le caissier « {name} » existe déjà.", 409)
            conn.execute("INSERT INTO clerks (name, role, pin_hash, created_at) "
                         "VALUES (?, ?, ?, ?)", (name, role, _hasher.hash(pin), now_iso()))
        return self.get(name)

    def listed(self) -> list[dict]:
        rows = self._db.query("SELECT name, role, created_at, disabled_at, locked_until "
                              "FROM clerks ORDER BY name")
        keys = ("name", "role", "created_at", "disabled_at", "locked_until")
        return [dict(zip(keys, row)) for row in rows]

    def active(self) -> list[dict]:
        """Who may log in, for the login page's pick list."""
        return [c for c in self.listed() if not c["disabled_at"]]

    def get(self, name: str) -> dict | None:
        return next((c for c in self.listed() if c["name"] == name), None)

    def disable(self, name: object) -> None:
        name = check_name(name)
        with self._db.transaction() as conn:
            if not conn.execute("UPDATE clerks SET disabled_at = ? WHERE name = ? AND "
                                "disabled_at IS NULL", (now_iso(), name)).rowcount:
                raise ClerkError("unknown_clerk", f"Caissier inconnu ou déjà désactivé : {name}.",
                                 404)

    def is_active(self, name: object) -> dict | None:
        """The clerk a UI session names, if still allowed in."""
        if not isinstance(name, str):
            return None
        clerk = self.get(name)
        return clerk if clerk and not clerk["disabled_at"] else None

    # -- PINs -------------------------------------------------------------------
    def login(self, name: object, pin: object) -> dict:
        """The clerk, or ClerkError (unknown, locked, wrong PIN: counted)."""
        name = name.strip() if isinstance(name, str) else ""
        rows = self._db.query("SELECT role, pin_hash, failures, locked_until FROM clerks "
                              "WHERE name = ? AND disabled_at IS NULL", [name])
        if not rows:
            raise ClerkError("unknown_clerk", "Caissier inconnu ou désactivé.", 401)
        role, pin_hash, failures, locked_until = rows[0]
        now = utcnow()
        if locked_until and parse_utc(locked_until) > now:
            raise ClerkError("locked", _locked_message(locked_until), 429)
        if isinstance(pin, str) and _verify(pin_hash, pin):
            self._db.write("UPDATE clerks SET failures = 0, locked_until = NULL WHERE name = ?",
                           (name,))
            return {"name": name, "role": role}
        failures += 1
        if failures >= MAX_FAILURES:
            until = iso_utc(now + timedelta(minutes=LOCK_MINUTES))
            self._db.write("UPDATE clerks SET failures = 0, locked_until = ? WHERE name = ?",
                           (until, name))
            raise ClerkError("locked", _locked_message(until), 429)
        self._db.write("UPDATE clerks SET failures = ? WHERE name = ?", (failures, name))
        left = MAX_FAILURES - failures
        raise ClerkError("bad_pin", f"Code PIN erroné ({left} essai{'s' if left > 1 else ''} "
                                    "avant blocage).", 401)

    def approve(self, op: str, ticket: str, pin: object, clerk: str | None = None,
                manager: str | None = None) -> str:
        """A manager's approval of `op` on `ticket`: the logged-in manager (`manager`),
        or a manager's PIN. Returns the manager's name and journals it."""
        if manager is None:
            manager = self._manager_by_pin(pin)
        self._db.write("INSERT INTO till_approvals (at, op, ticket, manager, clerk) "
                       "VALUES (?, ?, ?, ?, ?)", (now_iso(), op, ticket, manager, clerk))
        return manager

    def _manager_by_pin(self, pin: object) -> str:
        with self._approval_lock:
            wait = self._approvals_locked_until - time.monotonic()
            if wait > 0:
                raise ClerkError("locked", "Trop de codes PIN responsable erronés : réessayez "
                                           f"dans {int(wait // 60) + 1} min.", 429)
            if not isinstance(pin, str) or not pin:
                raise ClerkError("manager_pin_required",
                                 "Accord d'un responsable requis : saisissez son code PIN.", 403)
            rows = self._db.query("SELECT name, pin_hash FROM clerks WHERE role = 'manager' "
                                  "AND disabled_at IS NULL ORDER BY name")
            for name, pin_hash in rows:
                if _verify(pin_hash, pin):
                    self._approval_failures = 0
                    return name
            self._approval_failures += 1
            if self._approval_failures >= MAX_FAILURES:
                self._approval_failures = 0
                self._approvals_locked_until = time.monotonic() + LOCK_MINUTES * 60
                raise ClerkError("locked", "Trop de codes PIN responsable erronés : accord "
                                           f"bloqué pendant {LOCK_MINUTES} min.", 429)
            raise ClerkError("bad_manager_pin", "Code PIN responsable erroné.", 403)

    def approvals(self, limit: int = 50) -> list[dict]:
        rows = self._db.query("SELECT at, op, ticket, manager, clerk FROM till_approvals "
                              "ORDER BY id DESC LIMIT ?", [limit])
        return [dict(zip(("at", "op", "ticket", "manager", "clerk"), r)) for r in rows]
