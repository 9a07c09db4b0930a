"""QR codes drawn on the server as SVG (segno, pure Python): the back office
prints them on enrolment receipts, with no image service and no CDN."""
from __future__ import annotations

import io


def qr_svg(text: str, scale: int = 6, label: str = "Code QR du code d'enrôlement") -> str:
    """`text` as a QR code: a standalone SVG document that can also sit inside an
    HTML page (no XML declaration; `role="img"` and a French label for screen readers).
    The QR holds the digits only, so a 2D scanner typing into the setup page's
    code field enters the code as if typed."""
    import segno  # here: each server process needs it only once a code is printed

    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        out, kind="svg", scale=scale, xmldecl=False, svgns=True, title=label,
        svgclass="qr", lineclass=None, nl=False)
    svg = out.getvalue().decode("utf-8")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
