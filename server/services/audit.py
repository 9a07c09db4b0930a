"""The audit log: every operator action and pool event, in an order no one can alter unseen.

Each entry is appended in the same transaction as the change it records (a
change that rolls back leaves no entry, an entry never describes a change that
did not happen). Entry `seq` holds `prev_hash`, the hash of entry `seq - 1`
(64 zeros for the first), and `hash`, the SHA-256 of its own fields with
`prev_hash` (`entry_hash`). So:

- altering any field of an entry changes its hash: the stored hash no longer
  matches (and forging a new one breaks the next entry's `prev_hash`);
- deleting an entry leaves a gap in `seq` and a `prev_hash` that points nowhere;
- reordering entries (swapping their `seq`) breaks both.

Deleting the last entries, or rewriting the whole chain from some point on,
is what a chain cannot show by itself: `verify` takes an anchor (the last
line of an earlier export kept elsewhere), and the chain must still hold that
entry unchanged.

Who acted comes from the edge: the JSON API names the admin token, the command
line the operating-system user, the periodic work "system" (`acting_as`).
"""
from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from betting.programme import iso_utc
from guichet.clock import utcnow

from ..records import AuditEntry
from ..store import UnitOfWork

GENESIS = "0" * 64
MAX_DETAIL_CHARS = 4000
PAGE = 1000

_actor: ContextVar[str] = ContextVar("guichet_audit_actor", default="system")


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Entries recorded inside the block name `actor` (bounded to 100 characters)."""
    token = _actor.set(str(actor)[:100])
    try:
        yield
    finally:
        _actor.reset(token)


def cli_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return f"cli:{user}"


def entry_hash(seq: int, at: str, actor: str, action: str, subject: str, detail: str,
               prev_hash: str) -> str:
    payload = json.dumps([seq, at, actor, action, subject, detail, prev_hash],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _detail(detail: dict | None) -> str:
    text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)
    if len(text) > MAX_DETAIL_CHARS:  # bounded: say it was cut rather than fail the action
        text = json.dumps({"truncated": text[:MAX_DETAIL_CHARS]}, ensure_ascii=False,
                          separators=(",", ":"))
    return text


def record(uow: UnitOfWork, action: str, subject: str, detail: dict | None = None,
           now: datetime | None = None) -> AuditEntry:
    """Append one entry in `uow`'s transaction; appenders take turns (the chain is a line)."""
    uow.audit.lock()
    last = uow.audit.last()
    seq = last.seq + 1 if last else 1
    prev = last.hash if last else GENESIS
    at = iso_utc(now or utcnow())
    actor, text = _actor.get(), _detail(detail)
    subject = str(subject)[:200]
    entry = AuditEntry(seq, at, actor, action, subject, text, prev,
                       entry_hash(seq, at, actor, action, subject, text, prev))
    uow.audit.append(entry)
    return entry


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    first_bad: int | None = None  # the seq of the first entry that does not match
    reason: str = ""


def verify(uow: UnitOfWork, anchor: tuple[int, str] | None = None) -> Verdict:
    """Check the whole chain from its first entry; name the first that does not match.
    `anchor` (seq, hash): an entry from an earlier export that must still be there."""
    expected_seq, prev, count, anchored = 1, GENESIS, 0, anchor is None
    after = 0
    while True:
        page = uow.audit.entries(after=after, limit=PAGE)
        if not page:
            break
        for e in page:
            if e.seq != expected_seq:
                return Verdict(False, count, expected_seq,
                               f"entry {expected_seq} is missing (the next stored is {e.seq})")
            if e.prev_hash != prev:
                return Verdict(False, count, e.seq,
                               f"entry {e.seq} does not follow entry {e.seq - 1} "
                               "(its previous hash differs): removed, reordered or altered")
            if entry_hash(e.seq, e.at, e.actor, e.action, e.subject, e.detail,
                          e.prev_hash) != e.hash:
                return Verdict(False, count, e.seq,
                               f"entry {e.seq} was altered (its content does not match its hash)")
            if anchor is not None and e.seq == anchor[0]:
                if e.hash != anchor[1]:
                    return Verdict(False, count, e.seq,
                                   f"entry {e.seq} differs from the anchor (rewritten since)")
                anchored = True
            prev, expected_seq, count = e.hash, expected_seq + 1, count + 1
        after = page[-1].seq
    if not anchored:
        return Verdict(False, count, anchor[0],
                       f"entry {anchor[0]} of the anchor is gone: the log was cut to {count} "
                       "entries")
    return Verdict(True, count)


def as_dict(entry: AuditEntry) -> dict:
    out = entry._asdict()
    out["detail"] = json.loads(entry.detail)
    return out


def export(uow: UnitOfWork) -> Iterator[AuditEntry]:
    """Every entry in order, a page at a time."""
    after = 0
    while True:
        page = uow.audit.entries(after=after, limit=PAGE)
        if not page:
            return
        yield from page
        after = page[-1].seq
