"""The ticket on the terminal's screen: same words and same barcode as the paper.

The clerk checks the preview before handing the ticket over, so it is built
from the same `TicketLayout` and the same block order (`ticket_blocks`) as the
ESC/POS job, and the barcode is the same symbology (CODE128) drawn by
python-barcode as inline SVG: no file written, no network, fits in a page.
"""
from __future__ import annotations

import io
import re

import barcode
from barcode.writer import ImageWriter, SVGWriter

from .errors import InvalidTicketLayout
from .render import BARCODE_HEIGHT_DOTS, BARCODE_MODULE_DOTS
from .ticket import MAX_CODE_DIGITS, TicketLayout, group_code, rule, ticket_blocks, wrap

DEFAULT_COLUMNS = 42              # font A on an 80 mm roll (the default TM-T88V profile)
_DOT_MM = 25.4 / 180              # one dot of the default 180 dpi head
_OPTIONS = {
    "module_width": BARCODE_MODULE_DOTS * _DOT_MM,     # same bar widths as the paper
    "module_height": BARCODE_HEIGHT_DOTS * _DOT_MM,
    "quiet_zone": 10 * BARCODE_MODULE_DOTS * _DOT_MM,  # ten modules each side, as CODE128 asks
    "font_size": 0,                                    # the digits are a text line of their own
    "text_distance": 0,
    "margin_top": 0,
    "margin_bottom": 0,
}


_INLINE_STYLE = re.compile(r'style="([^"]*)"')


def _presentation_attributes(match: re.Match) -> str:
    """`style="fill:black;font-size:0pt"` → `fill="black" font-size="0pt"` (SVG
    presentation attributes, which a Content-Security-Policy does not block)."""
    pairs = (d.split(":", 1) for d in match.group(1).split(";") if ":" in d)
    return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in pairs)


def _check(code: str) -> str:
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() \
            or not 1 <= len(code) <= MAX_CODE_DIGITS:
        raise InvalidTicketLayout(f"Code-barres impossible : 1 à {MAX_CODE_DIGITS} chiffres attendus.")
    return code


def barcode_svg(code: str) -> str:
    """Inline `<svg>` of the ticket's CODE128 barcode (no XML declaration, no doctype)."""
    writer = SVGWriter()
    writer.with_doctype = False
    svg = barcode.get("code128", _check(code), writer=writer).render(
        writer_options={**_OPTIONS, "compress": True})
    text = svg.decode("utf-8")
    text = text[text.index("<svg"):]
    # Presentation attributes, not `style="fill:…"`: the terminal's
    # Content-Security-Policy (style-src 'self') blocks inline style attributes.
    text = _INLINE_STYLE.sub(_presentation_attributes, text)
    label = f'role="img" aria-label="Code-barres {group_code(code)}" '
    return text.replace("<svg ", f"<svg {label}", 1)


def barcode_png(code: str, dpi: int = 300) -> bytes:
    """The same barcode as a PNG, for screens or tools that do not take SVG."""
    writer = ImageWriter()
    image = barcode.get("code128", _check(code), writer=writer).render(
        writer_options={**_OPTIONS, "dpi": dpi, "format": "PNG"})
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def layout_text(layout: TicketLayout, *, reprint: bool = False,
                columns: int = DEFAULT_COLUMNS) -> list[str]:
    """The ticket's lines as the paper shows them (same wrapping); the empty line
    before the grouped code stands where the barcode is drawn."""
    lines: list[str] = []
    for block in ticket_blocks(layout, reprint):
        if block.kind == "rule":
            lines.append(rule(columns))
        elif block.kind == "barcode":
            lines += ["", group_code(block.lines[0])]
        else:
            for line in block.lines:
                lines += wrap(block, line, columns)
    return lines
