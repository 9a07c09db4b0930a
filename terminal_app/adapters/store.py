"""The terminal's data folder: one SQLite file and the owner of each of its tables.

Each table is read and written by one object only, all sharing the folder's
`Database` (per-thread connections, transactions that join):

- `settings` (`config`) and `tokens` (`api_tokens`): terminal_app/adapters/settings.py
- `programme` (`races`): terminal_app/adapters/race_card.py
- `outbox` (`outbox`, `outbox_attempts`): terminal_app/adapters/outbox.py
- `prints` (`prints`) and `ticket_ops` (`ticket_ops`): terminal_app/adapters/journals.py
"""
from __future__ import annotations

from pathlib import Path

from .database import Database, TerminalStoreError
from .journals import PrintJournal, TicketOps
from .outbox import Outbox
from .race_card import Programme
from .settings import LocalTokens, Settings

__all__ = ["TerminalStore", "TerminalStoreError"]  # the error its constructor raises


class TerminalStore:
    def __init__(self, data_dir: str | Path) -> None:
        self.database = Database(data_dir)
        self.settings = Settings(self.database)
        self.tokens = LocalTokens(self.database)
        self.programme = Programme(self.database, self.settings)
        self.outbox = Outbox(self.database, first_seq=self.settings.first_seq)
        self.prints = PrintJournal(self.database)
        self.ticket_ops = TicketOps(self.database)

    @property
    def data_dir(self) -> Path:
        return self.database.data_dir

    def lock_exclusive(self) -> None:
        """One running terminal per data folder: two would share sequence numbers."""
        self.database.lock_exclusive()

    # `guichet terminal token` and the local API's bearer check (terminal_app/web/guard.py)
    # ask the data folder itself.
    def create_token(self) -> str:
        return self.tokens.create()

    def check_token(self, token: str) -> bool:
        return self.tokens.check(token)
