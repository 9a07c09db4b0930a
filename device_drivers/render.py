"""Turn a ticket description into the ESC/POS bytes of one print job.

Every job is composed in memory on a python-escpos `Dummy` and handed to the
transport in one write: the exact bytes can be asserted by a test, a `file:`
printer appends whole jobs, and a status check done before the job is not
separated from it by half a ticket.

Choices (see README.md):
- code page CP1252 (ESC t 16 on Epson-compatible printers): it has every
  French letter, "œ", typographic quotes and "€" (byte 0x80). CP858 (€ at
  0xD5) or ISO-8859-15 are the fall-backs when a profile lacks CP1252.
- barcode CODE128, code set C (two digits per symbol): 24 digits make
  167 modules, 47 mm at 2 dots per module on a 180 dpi head, so it fits
  80 mm and 58 mm rolls with quiet zones to spare; its check symbol makes a
  misread impossible to accept.
"""
from __future__ import annotations

import unicodedata
from typing import Sequence

from escpos.capabilities import NotSupported
from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy

from .errors import DeviceConfigError, InvalidTicketLayout
from .ticket import Block, TicketLayout, group_code, rule, ticket_blocks, wrap

DEFAULT_PROFILE = "TM-T88V"
PREFERRED_CODE_PAGES = ("CP1252", "CP858", "ISO_8859-15")
BARCODE_MODULE_DOTS = 2
BARCODE_HEIGHT_DOTS = 80          # 11 mm at 180 dpi: easy for a hand scanner

# Characters a code page may lack, and the nearest thing a shopkeeper reads the same.
_FALLBACK = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...",
    "\u2013": "-", "\u2014": "-", "\u0153": "oe", "\u0152": "OE", "\u20ac": "EUR",
    "\u00ab": '"', "\u00bb": '"',
}
# Spaces that French number formatting produces; printers show them as junk or blanks.
_SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2009\u2007\u2002\u2003\t"), " ")


def choose_code_page(supported: dict[str, int], wanted: str | None = None) -> str:
    """The first code page with "€" that the profile knows; CP437 (no €) as a last resort."""
    if wanted:
        name = wanted.upper()
        if name not in supported:
            raise DeviceConfigError(
                f"Page de codes {wanted!r} inconnue de ce modèle d'imprimante.",
                code="unknown_code_page")
        return name
    for name in PREFERRED_CODE_PAGES:
        if name in supported:
            return name
    return "CP437"


# In code set C a digit pair is sent as one byte 0-99, so "16" then "04"/"05"/"20" would
# put DLE EOT, DLE ENQ or DLE DC4 in the data: real-time commands many printers obey even
# inside a barcode (DLE DC4 1 kicks the drawer, DLE ENQ 2 clears the buffer). Such a "16"
# goes out in code set B instead ("1", "6" as ASCII): two digits, one symbol wider.
_REALTIME_NEXT = (4, 5, 20)


def code128_data(code: str) -> str:
    """GS k data for CODE128: set C, two digits a symbol; set B for an odd last digit."""
    pairs = [int(code[i:i + 2]) for i in range(0, len(code) - len(code) % 2, 2)]
    out, current = [], None
    for index, pair in enumerate(pairs):
        risky = pair == 16 and index + 1 < len(pairs) and pairs[index + 1] in _REALTIME_NEXT
        wanted = "B" if risky else "C"
        if wanted != current:
            out.append("{" + wanted)
            current = wanted
        out.append(f"{pair:02d}" if risky else chr(pair))
    if len(code) % 2:
        out.append(("{B" if current != "B" else "") + code[-1])
    return "".join(out)


class JobWriter:
    """One print job: start, add blocks, `finish()` returns the bytes."""

    def __init__(self, profile: str = DEFAULT_PROFILE, code_page: str | None = None) -> None:
        try:
            self.p = Dummy(profile=profile)
            self.columns = int(self.p.profile.get_columns("a"))
        except (KeyError, NotSupported, TypeError, ValueError):
            raise DeviceConfigError(f"Modèle d'imprimante {profile!r} inconnu (paramètre profile=).",
                                    code="unknown_printer_profile") from None
        self.code_page = choose_code_page(self.p.profile.get_code_pages(), code_page)
        self._state = {"align": "left", "bold": False, "big": False, "invert": False}
        self.p.hw("INIT")                      # ESC @: forget whatever the last job left set
        self.p.charcode(self.code_page)        # ESC t n, and magic encoding fixed to it

    # --- text ----------------------------------------------------------------
    def printable(self, text: str) -> str:
        """Text the code page can carry; control bytes never reach the printer as commands."""
        text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text.translate(_SPACES))
        encoder = self.p.magic.encoder
        out = []
        for char in text:
            if encoder.can_encode(self.code_page, char):
                out.append(char)
            elif char in _FALLBACK:
                out.append(_FALLBACK[char])
            else:
                base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
                out.append(base or "?")
        return "".join(out)

    def lines(self, lines: Sequence[str], *, align: str = "left", bold: bool = False,
              big: bool = False, invert: bool = False) -> None:
        self.block(Block("text", tuple(lines), align, bold, big, invert))

    def block(self, block: Block) -> None:
        if block.kind == "rule":
            return self.block(Block("text", (rule(self.columns),)))
        if block.kind == "barcode":
            return self.barcode(block.lines[0])
        self._style(align=block.align, bold=block.bold, big=block.big, invert=block.invert)
        for line in block.lines:
            # wrap before `printable` turns no-break spaces ("1 234,00 €") into plain ones
            for part in wrap(block, line, self.columns):
                self.p.textln(self.printable(part))
        self._style()

    def _style(self, align: str = "left", bold: bool = False, big: bool = False,
               invert: bool = False) -> None:
        """Send only what changes: after ESC @ the printer is left-aligned, plain, normal size."""
        want = {"align": align, "bold": bold, "big": big, "invert": invert}
        diff = {k: v for k, v in want.items() if self._state[k] != v}
        if "big" in diff:   # GS ! n: one size command that leaves bold alone
            self.p.set(custom_size=True, width=2 if big else 1, height=2 if big else 1)
        self.p.set(**{k: v for k, v in diff.items() if k != "big"})
        self._state = want

    def rule(self) -> None:
        self.block(Block("rule"))

    # --- blocks ----------------------------------------------------------------
    def barcode(self, code: str) -> None:
        """CODE128 of the code (see `code128_data`), then the code as grouped text."""
        if not code.isascii() or not code.isdigit():
            raise InvalidTicketLayout("Ticket mal formé : code non numérique.")
        data = code128_data(code)
        try:
            # _hw_barcode is barcode() minus its stdout chatter and software fallback.
            self.p._hw_barcode(data, "CODE128", height=BARCODE_HEIGHT_DOTS, width=BARCODE_MODULE_DOTS,
                               pos="OFF", font="A", align_ct=True, function_type="B")
        except EscposError as exc:
            raise InvalidTicketLayout(f"Code-barres impossible : {exc}") from None
        self.p.ln()
        self._state["align"] = "center"        # align_ct above left the printer centred
        self.lines([group_code(code)], align="center", bold=True)

    def finish(self, cut: bool = True) -> bytes:
        if cut:
            self.p.cut()                           # ESC d 6 (feed past the cutter), GS V 0
        return self.p.output


def ticket_job(layout: TicketLayout, *, reprint: bool = False, profile: str = DEFAULT_PROFILE,
               code_page: str | None = None) -> bytes:
    job = JobWriter(profile, code_page)
    for block in ticket_blocks(layout, reprint):
        job.block(block)
    return job.finish()


def lines_job(title: str, lines: Sequence[str], *, profile: str = DEFAULT_PROFILE,
              code_page: str | None = None) -> bytes:
    job = JobWriter(profile, code_page)
    job.lines([title], align="center", bold=True, big=True)
    job.rule()
    job.lines(lines)
    job.rule()
    return job.finish()


def diagnostic_page_job(uri: str, *, profile: str = DEFAULT_PROFILE, code_page: str | None = None) -> bytes:
    job = JobWriter(profile, code_page)
    job.lines(["PAGE DE TEST"], align="center", bold=True, big=True)
    job.rule()
    job.lines([f"Imprimante : {uri}", f"Modèle : {profile}", f"Page de codes : {job.code_page}",
               f"Largeur : {job.columns} colonnes", "1234567890" * (job.columns // 10),
               "Accents : àâäçéèêëîïôöùûü ÀÇÉÈ", "Symboles : « » € ° œ"])
    job.rule()
    job.lines(["TOTAL 12,50 €"], align="center", bold=True, big=True)
    job.barcode("0" * 24)
    return job.finish()
