"""Terminal connections in turns: the connects and disconnects that arrive
together share one transaction (server/services/group_commit.py).

After a restart every terminal connects within seconds, and each connect
writes: its signature's `ts` accepted once and its socket made the live one
(`fleet.claim_connection`, a conditional update every process agrees on).
One commit each held the event loop for an fsync per terminal on SQLite
(20,000 terminals took 247 s to connect to two processes); in turns, a
burst of connects costs a few commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from betting.errors import TerminalDisabled

from . import fleet
from .group_commit import GroupCommit


@dataclass(frozen=True)
class Claim:
    """A terminal's new socket `sid`, signed with `ts`."""

    terminal_id: str
    ts: int
    sid: str
    at: datetime


@dataclass(frozen=True)
class Release:
    """The socket `sid` is gone."""

    terminal_id: str
    sid: str
    at: datetime


class ConnectionWriter(GroupCommit):
    """Claims answer (accepted, previous live sid) or TerminalDisabled; releases None."""

    name = "connection changes"

    def __init__(self, store, on_turn=None) -> None:
        super().__init__(on_turn)
        self.store = store

    def claim(self, terminal_id: str, ts: int, sid: str, at: datetime) -> tuple[bool, str | None]:
        return self.submit(Claim(terminal_id, ts, sid, at))

    def release(self, terminal_id: str, sid: str, at: datetime) -> None:
        self.submit(Release(terminal_id, sid, at))

    def decide_turn(self, payloads: list) -> list:
        answers: list = []
        with self.store.unit_of_work() as uow:
            for change in payloads:
                if isinstance(change, Release):
                    fleet.mark_disconnected(uow, change.terminal_id, change.sid, change.at)
                    answers.append(None)
                elif fleet.is_disabled(uow, change.terminal_id):
                    answers.append(TerminalDisabled("terminal disabled by the operator"))
                else:
                    answers.append(fleet.claim_connection(uow, change.terminal_id, change.ts,
                                                          change.sid, change.at))
            uow.commit()
        return answers
