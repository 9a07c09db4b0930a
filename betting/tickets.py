"""Numeric ticket codes.

A code is 24 digits, all numeric because keyboard-wedge scanners on AZERTY
keyboards mangle letters:

    TTTTTT SSSSSSSSS MMMMMMMM C
    terminal number (6) · sequence (9) · MAC (8) · Damm check digit (1)

The check digit (Damm algorithm) catches every single mistyped digit and
every swap of two adjacent digits, locally, before anything is asked of the
server. The MAC (HMAC-SHA256 under the terminal's enrolment key, reduced to 8
digits) makes a guessed code worthless: the server knows every terminal's key
and refuses a code whose MAC does not match. Both sides compute the same code
for the same (terminal, sequence), so an offline terminal can print the code
the server will later recognise.
"""
from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from .errors import InvalidTicketCode

CODE_LENGTH = 24
_TERMINAL_ID = re.compile(r"^T(\d{6})$")

# Damm's totally anti-symmetric quasigroup of order 10.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_digit(digits: str) -> str:
    interim = 0
    for digit in digits.encode("ascii"):
        interim = _DAMM[interim][digit - 48]
    return str(interim)


def terminal_number(terminal_id: str) -> int:
    """'T000042' -> 42. Terminal ids are issued by the server in that form."""
    m = _TERMINAL_ID.match(terminal_id or "")
    if not m:
        raise ValueError(f"not a terminal id: {terminal_id!r}")
    return int(m.group(1))


def terminal_id(number: int) -> str:
    if not 0 < number < 1_000_000:
        raise ValueError("terminal numbers have six digits")
    return f"T{number:06d}"


def _mac(number: int, seq: int, key: bytes) -> str:
    # one call into OpenSSL: no HMAC object per ticket (every accepted bet makes one)
    digest = hmac.digest(key, f"ticket:{number}:{seq}".encode(), "sha256")
    return f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"


def make_ticket_code(terminal: str, seq: int, key: bytes) -> str:
    number = terminal_number(terminal)
    if not 0 < seq < 10**9:
        raise ValueError("sequence numbers have at most nine digits")
    body = f"{number:06d}{seq:09d}{_mac(number, seq, key)}"
    return body + damm_digit(body)


@dataclass(frozen=True)
class TicketRef:
    terminal_id: str
    seq: int
    mac: str
    code: str


def parse_ticket_code(text: object) -> TicketRef:
    """Check the form and the check digit; the MAC needs the key (`verify_ticket_code`)."""
    code = re.sub(r"[\s-]", "", text) if isinstance(text, str) else ""
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        raise InvalidTicketCode("Code de ticket invalide : 24 chiffres attendus.")
    if damm_digit(code) != "0":
        raise InvalidTicketCode("Code de ticket mal lu ou mal saisi : vérifiez les chiffres.")
    number, seq = int(code[:6]), int(code[6:15])
    if number == 0 or seq == 0:
        raise InvalidTicketCode()
    return TicketRef(terminal_id(number), seq, code[15:23], code)


def verify_ticket_code(ref: TicketRef, key: bytes) -> bool:
    number = terminal_number(ref.terminal_id)
    return hmac.compare_digest(ref.mac, _mac(number, ref.seq, key))


def group_code(code: str) -> str:
    """Readable form for paper and screens: groups of four digits."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))
