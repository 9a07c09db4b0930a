"""The on-screen ticket: same lines as the paper, and a barcode that decodes to the code."""
from __future__ import annotations

import io
import re
import xml.dom.minidom

import pytest
from PIL import Image, ImageDraw

from device_drivers.errors import InvalidTicketLayout
from device_drivers.escpos_decode import decode
from device_drivers.preview import barcode_png, barcode_svg, layout_text
from device_drivers.render import ticket_job
from device_drivers.ticket import TicketLayout

CODE = "000042000000017123456780"


def layout(**changes) -> TicketLayout:
    fields = dict(header=("PMU", "Bar du Centre", "Terminal T000042"),
                  body=("R1C4 Vincennes 13h50", "Quinté+ combiné : 7 - 3 - 12 - 1 - 9 - 14 - 5 - 2",
                        "Combinaisons : 21", "Mise de base 2,00 €"),
                  emphasis=("TOTAL 42,00 €",), code=CODE, footer=("01/01/2021 13:42", "Job j-1"))
    fields.update(changes)
    return TicketLayout(**fields)


@pytest.mark.parametrize("reprint, banner", [(False, None), (False, "PROVISOIRE"), (True, None)])
def test_preview_lines_are_the_paper_lines(reprint, banner):
    ticket = layout(banner=banner)
    assert layout_text(ticket, reprint=reprint) == decode(ticket_job(ticket, reprint=reprint)).lines


def test_preview_shows_the_grouped_code_and_banners():
    lines = layout_text(layout(banner="PROVISOIRE"), reprint=True)
    assert "0000 4200 0000 0171 2345 6780" in lines
    assert [lines[0].strip(), lines[1].strip()] == ["PROVISOIRE", "DUPLICATA"]


def test_barcode_svg_is_inline_markup():
    svg = barcode_svg(CODE)
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "DOCTYPE" not in svg
    assert 'aria-label="Code-barres 0000 4200 0000 0171 2345 6780"' in svg
    xml.dom.minidom.parseString(svg)                   # well-formed


def test_barcode_svg_refuses_non_digits():
    with pytest.raises(InvalidTicketLayout):
        barcode_svg("12AB")


def svg_to_image(svg: str, px_per_mm: float = 12.0) -> Image.Image:
    """Draw the SVG's rectangles: python-barcode's SVG is nothing but mm-sized <rect>s."""
    doc = xml.dom.minidom.parseString(svg)
    root = doc.documentElement
    mm = lambda value: float(value.rstrip("m"))          # noqa: E731 - "12.000mm" -> 12.0
    width, height = mm(root.getAttribute("width")), mm(root.getAttribute("height"))
    image = Image.new("L", (int(width * px_per_mm) + 1, int(height * px_per_mm) + 1), 255)
    draw = ImageDraw.Draw(image)
    for rect in doc.getElementsByTagName("rect"):
        if "black" not in rect.getAttribute("fill") + rect.getAttribute("style"):
            continue
        x, y = mm(rect.getAttribute("x")), mm(rect.getAttribute("y"))
        w, h = mm(rect.getAttribute("width")), mm(rect.getAttribute("height"))
        draw.rectangle([round(x * px_per_mm), round(y * px_per_mm),
                        round((x + w) * px_per_mm) - 1, round((y + h) * px_per_mm) - 1], fill=0)
    return image


@pytest.mark.parametrize("code", [CODE, "160400000000000000000123", "12345"])
def test_svg_barcode_decodes_to_the_code(code):
    zxingcpp = pytest.importorskip("zxingcpp")
    svg = barcode_svg(code)
    assert re.search(r'<rect x="[0-9.]+mm"', svg)
    results = zxingcpp.read_barcodes(svg_to_image(svg))
    assert [(r.text, r.format.name) for r in results] == [(code, "Code128")]


def test_png_barcode_decodes_to_the_code():
    zxingcpp = pytest.importorskip("zxingcpp")
    image = Image.open(io.BytesIO(barcode_png(CODE)))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [CODE]


def test_barcode_fits_an_80mm_roll_like_the_paper_one():
    svg = barcode_svg(CODE)
    width_mm = float(re.search(r'width="([0-9.]+)mm"', svg).group(1))
    assert width_mm < 72                                # printable width of an 80 mm roll
