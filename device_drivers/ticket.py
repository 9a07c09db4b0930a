"""What a ticket says, independent of any printer.

The terminal words every line (in French, amounts already formatted); this
package only lays them out. Keeping the description a frozen value means the
paper, the on-screen preview (`preview.layout_text`) and a reprint are all
made from the very same object.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

from .errors import InvalidTicketLayout

MAX_CODE_DIGITS = 24
BANNER_DUPLICATE = "DUPLICATA"
BANNER_PROVISIONAL = "PROVISOIRE"


@dataclass(frozen=True)
class TicketLayout:
    header: tuple[str, ...]        # operator name, outlet, terminal line (centered)
    body: tuple[str, ...]          # race, post time, bet type & formula, selections, stake...
    emphasis: tuple[str, ...]      # big/bold lines, e.g. "TOTAL 2,00 €"
    code: str                      # the ticket code, digits only: barcode AND text
    footer: tuple[str, ...] = ()   # date/time line, job id, legal line
    banner: str | None = None      # "PROVISOIRE" or "DUPLICATA": big, at top and bottom

    def __post_init__(self) -> None:
        for name in ("header", "body", "emphasis", "footer"):
            value = getattr(self, name)
            if isinstance(value, str) or not isinstance(value, (tuple, list)):
                raise InvalidTicketLayout(f"Ticket mal formé : « {name} » doit être une liste de lignes.")
            if not all(isinstance(line, str) for line in value):
                raise InvalidTicketLayout(f"Ticket mal formé : « {name} » ne doit contenir que du texte.")
            object.__setattr__(self, name, tuple(value))   # accept lists, stay hashable
        code = self.code
        if not isinstance(code, str) or not code.isascii() or not code.isdigit() \
                or not 1 <= len(code) <= MAX_CODE_DIGITS:
            raise InvalidTicketLayout(
                f"Ticket mal formé : le code doit compter 1 à {MAX_CODE_DIGITS} chiffres.")
        if self.banner is not None and (not isinstance(self.banner, str) or not self.banner.strip()):
            raise InvalidTicketLayout("Ticket mal formé : bandeau vide.")

    def banners(self, reprint: bool = False) -> tuple[str, ...]:
        """Big marks to print; a reprint is always marked DUPLICATA (DESIGN.md, Tickets)."""
        marks: list[str] = [self.banner] if self.banner else []
        if reprint and BANNER_DUPLICATE not in marks:
            marks.append(BANNER_DUPLICATE)
        return tuple(marks)


@dataclass(frozen=True)
class Block:
    """One run of lines sharing a style; "rule" and "barcode" blocks carry no style."""

    kind: str                      # "text", "rule", "barcode"
    lines: tuple[str, ...] = ()
    align: str = "left"
    bold: bool = False
    big: bool = False              # double width and height: half the columns
    invert: bool = False           # white on black, for banners


def ticket_blocks(layout: TicketLayout, reprint: bool = False) -> list[Block]:
    """The order and styles of a ticket, shared by the paper and the screen preview.

    Banners go at the top and the bottom, so a torn half still shows them.
    """
    banners = layout.banners(reprint)
    blocks: list[Block] = []
    if banners:
        blocks.append(Block("text", banners, "center", bold=True, big=True, invert=True))
    blocks += [Block("text", layout.header, "center", bold=True), Block("rule"),
               Block("text", layout.body), Block("rule")]
    if layout.emphasis:
        blocks.append(Block("text", layout.emphasis, "center", bold=True, big=True))
    blocks.append(Block("barcode", (layout.code,)))
    if layout.footer:
        blocks.append(Block("text", layout.footer, "center"))
    if banners:
        blocks.append(Block("text", banners, "center", bold=True, big=True, invert=True))
    return blocks


def wrap(block: Block, line: str, columns: int) -> list[str]:
    """How one line of a block splits on paper `columns` wide (big text takes two columns)."""
    parts = textwrap.wrap(line, columns // 2 if block.big else columns) or [""]
    return [f" {part} " if block.invert else part for part in parts]


def group_code(code: str) -> str:
    """Groups of four digits: what a clerk can read back or type without losing their place."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def rule(columns: int) -> str:
    return "-" * columns
