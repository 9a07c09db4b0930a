"""Read raw ESC/POS bytes back into what the paper would show.

Tests and the simulator use it to say "the ticket reads X and its barcode
carries Y" without a printer. It is strict on purpose: an unknown command
raises `EscposDecodeError`, so a stray byte in a job (which a real printer
would print as garbage or take as a command) fails a test instead of passing
unnoticed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from escpos.capabilities import CAPABILITIES

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
_CODE_PAGES = {int(k): v for k, v in CAPABILITIES["profiles"]["default"]["codePages"].items()}
_BARCODE_NAMES = {0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "NW7",
                  65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF",
                  71: "NW7", 72: "CODE93", 73: "CODE128", 74: "GS1-128"}
# ESC x / GS x commands with a fixed number of parameter bytes.
_ESC_FIXED = {ord(c): n for c, n in {
    "@": 0, "t": 1, "!": 1, "E": 1, "G": 1, "-": 1, "a": 1, "M": 1, "d": 1, "J": 1, "p": 3,
    "2": 0, "3": 1, "{": 1, "V": 1, "R": 1, "=": 1, "B": 2, "?": 2, "K": 1, "U": 1, " ": 1,
    "$": 2, "\\": 2, "%": 1, "r": 1, "c": 2, "+": 1, "A": 1}.items()}
_GS_FIXED = {ord(c): n for c, n in {
    "!": 1, "B": 1, "b": 1, "h": 1, "w": 1, "H": 1, "f": 1, "|": 1, "L": 2, "W": 2, "a": 1,
    "r": 1, "I": 1}.items()}


class EscposDecodeError(ValueError):
    pass


@dataclass(frozen=True)
class Barcode:
    symbology: str
    payload: str


@dataclass(frozen=True)
class Line:
    text: str
    align: str = "left"
    bold: bool = False
    big: bool = False
    inverted: bool = False


@dataclass
class DecodedJob:
    styled: list[Line] = field(default_factory=list)
    barcodes: list[Barcode] = field(default_factory=list)
    cuts: int = 0
    drawer_kicks: int = 0
    code_pages: list[str] = field(default_factory=list)
    status_queries: list[int] = field(default_factory=list)
    images: int = 0
    init_offsets: list[int] = field(default_factory=list)   # where each ESC @ starts

    @property
    def lines(self) -> list[str]:
        return [line.text for line in self.styled]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def python_codec(code_page: str) -> str:
    entry = CAPABILITIES["encodings"].get(code_page, {})
    return entry.get("python_encode") or code_page.lower()


def decode_barcode_data(m: int, data: bytes) -> Barcode:
    name = _BARCODE_NAMES.get(m, f"type{m}")
    if name not in ("CODE128", "GS1-128"):
        return Barcode(name, data.decode("ascii", "replace"))
    out, code_set, i = [], "B", 0
    while i < len(data):
        byte = data[i]
        if byte == ord("{") and i + 1 < len(data):
            nxt = chr(data[i + 1])
            i += 2
            if nxt in "ABC":
                code_set = nxt
            elif nxt == "{":
                out.append("{")
            continue                    # {1 {2 {3 {4 {S: function codes, not data
        out.append(f"{byte:02d}" if code_set == "C" else chr(byte))
        i += 1
    return Barcode(name, "".join(out))


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data, self.i = data, 0
        self.job = DecodedJob()
        self.codec = "cp437"
        self.style = {"align": "left", "bold": False, "big": False, "inverted": False}
        self.current: list[str] = []
        self.line_style: dict | None = None

    def take(self, n: int) -> bytes:
        if self.i + n > len(self.data):
            raise EscposDecodeError(f"command cut short at byte {self.i}")
        chunk = self.data[self.i:self.i + n]
        self.i += n
        return chunk

    def newline(self, force: bool = True) -> None:
        if self.current or force:
            style = self.line_style or self.style
            self.job.styled.append(Line("".join(self.current), **style))
        self.current, self.line_style = [], None

    def text(self, raw: bytes) -> None:
        if self.line_style is None:
            self.line_style = dict(self.style)
        self.current.append(raw.decode(self.codec, "replace"))

    def run(self) -> DecodedJob:
        while self.i < len(self.data):
            byte = self.data[self.i]
            self.i += 1
            if byte == 0x0A or byte == 0x0C:
                self.newline()
            elif byte == 0x0D:
                pass
            elif byte == 0x09:
                self.text(b" ")
            elif byte == ESC:
                self.esc(self.take(1)[0])
            elif byte == GS:
                self.gs(self.take(1)[0])
            elif byte == DLE:
                self.dle(self.take(1)[0])
            elif byte == FS:
                self.take(1)           # FS . / FS &: kanji mode on/off, nothing printed
            elif byte < 0x20:
                raise EscposDecodeError(f"stray control byte 0x{byte:02x} at {self.i - 1}")
            else:
                start = self.i - 1
                while self.i < len(self.data) and self.data[self.i] >= 0x20:
                    self.i += 1
                self.text(self.data[start:self.i])
        self.newline(force=False)
        return self.job

    def esc(self, cmd: int) -> None:
        if cmd == ord("D"):                              # tab stops, NUL-terminated
            while self.take(1) != b"\x00":
                pass
            return
        if cmd == ord("*"):                              # column bit image
            m, lo, hi = self.take(3)
            self.take((lo + hi * 256) * (1 if m in (0, 1) else 3))
            self.job.images += 1
            return
        if cmd not in _ESC_FIXED:
            raise EscposDecodeError(f"unknown command ESC 0x{cmd:02x} at {self.i - 2}")
        args = self.take(_ESC_FIXED[cmd])
        if cmd == ord("@"):
            self.job.init_offsets.append(self.i - 2)
            self.style = {"align": "left", "bold": False, "big": False, "inverted": False}
            self.codec = "cp437"
        elif cmd == ord("t"):
            name = _CODE_PAGES.get(args[0], "CP437")
            self.job.code_pages.append(name)
            self.codec = python_codec(name)
        elif cmd == ord("E"):
            self.style["bold"] = bool(args[0] & 1)
        elif cmd == ord("!"):
            self.style["bold"] = bool(args[0] & 0x08)
            self.style["big"] = bool(args[0] & 0x30)
        elif cmd == ord("a"):
            self.style["align"] = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center",
                                   50: "right"}.get(args[0], "left")
        elif cmd == ord("d"):
            self.newline(force=False)
        elif cmd == ord("p"):
            self.job.drawer_kicks += 1

    def gs(self, cmd: int) -> None:
        if cmd == ord("k"):
            self.newline(force=False)
            m = self.take(1)[0]
            if m <= 6:
                end = self.data.find(b"\x00", self.i)
                if end < 0:
                    raise EscposDecodeError("barcode without its NUL terminator")
                payload = self.take(end - self.i)
                self.take(1)
            else:
                payload = self.take(self.take(1)[0])
            self.job.barcodes.append(decode_barcode_data(m, payload))
        elif cmd == ord("V"):
            self.newline(force=False)
            m = self.take(1)[0]
            if m in (65, 66, 97, 98, 103, 104):
                self.take(1)
            self.job.cuts += 1
        elif cmd == ord("v"):                            # GS v 0 m xL xH yL yH raster image
            _zero, _m, xl, xh, yl, yh = self.take(6)
            self.take((xl + xh * 256) * (yl + yh * 256))
            self.job.images += 1
        elif cmd == ord("("):                            # GS ( L / GS ( k: length-prefixed
            _fn, lo, hi = self.take(3)
            self.take(lo + hi * 256)
        elif cmd in _GS_FIXED:
            args = self.take(_GS_FIXED[cmd])
            if cmd == ord("!"):
                self.style["big"] = args[0] != 0
            elif cmd == ord("B"):
                self.style["inverted"] = bool(args[0] & 1)
        else:
            raise EscposDecodeError(f"unknown command GS 0x{cmd:02x} at {self.i - 2}")

    def dle(self, cmd: int) -> None:
        if cmd == 0x04:                                  # DLE EOT n: real-time status request
            self.job.status_queries.append(self.take(1)[0])
        elif cmd == 0x14:                                # DLE DC4 fn m t: real-time drawer pulse
            fn, _m, _t = self.take(3)
            if fn == 1:
                self.job.drawer_kicks += 1
        else:
            raise EscposDecodeError(f"unknown command DLE 0x{cmd:02x} at {self.i - 2}")


def decode(data: bytes) -> DecodedJob:
    """Text lines (with their style), barcodes, cuts and drawer kicks of an ESC/POS stream."""
    return _Decoder(bytes(data)).run()


def split_jobs(data: bytes) -> list[bytes]:
    """Cut a `file:` printer's output back into jobs: each one starts with ESC @.

    The offsets come from the parser, not a byte search: barcode data in
    code set C can hold the bytes 0x1B 0x40 (digits "2764").
    """
    starts = decode(data).init_offsets
    if not starts or starts[0] != 0:
        starts = [0] + starts
    return [data[a:b] for a, b in zip(starts, starts[1:] + [len(data)], strict=True) if data[a:b]]
