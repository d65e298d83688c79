"""Drawing helpers of the certificate PDF (reportlab): the QR code, text that shrinks to fit
its box, centred paragraph styles, image boxes and tints.

Used by ``certificate_pdf.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

import qrcode
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

INK = HexColor("#1e2329")


def draw_qr(c: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (crisp at any zoom) on a white quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    n = len(matrix)
    module = size / n
    quiet = 3 * module
    c.setFillColor(white)
    c.rect(x - quiet, y - quiet, size + 2 * quiet, size + 2 * quiet, stroke=0, fill=1)
    path = c.beginPath()
    for row, cells in enumerate(matrix):
        top = y + size - (row + 1) * module
        col = 0
        while col < n:
            if not cells[col]:
                col += 1
                continue
            start = col
            while col < n and cells[col]:
                col += 1
            path.rect(x + start * module, top, (col - start) * module, module)
    c.setFillColor(INK)
    c.drawPath(path, stroke=0, fill=1)


def fit_flowables(build: Callable[[float], list[Flowable]], width: float, height: float,
         floor: float, *, start: float = 1.0) -> tuple[list[Flowable], float]:
    """The flowables at the largest scale (``start`` down to ``floor``) whose height fits."""
    scale = start
    while True:
        flows = build(scale)
        used = sum(f.wrap(width, height)[1] for f in flows)
        if used <= height or scale <= floor:
            return flows, used
        scale = max(floor, scale - 0.04)


def stack_flowables(c: Canvas, flows: Sequence[Flowable], x: float, width: float, top: float,
           used: float) -> float:
    """Draw wrapped flowables one under another from ``top``; returns the y below them."""
    y = top
    for flow in flows:
        _, h = flow.wrap(width, used)
        flow.drawOn(c, x, y - h)
        y -= h
    return y


def centred_style(font: str, size: float, colour: Color, leading: float = 1.2) -> ParagraphStyle:
    return ParagraphStyle(f"{font}-{size:.2f}", fontName=font, fontSize=size,
                          leading=size * leading, alignment=TA_CENTER, textColor=colour)


def paragraph_markup(text: str) -> str:
    """User text as Paragraph markup: escaped, line breaks kept."""
    return "<br/>".join(escape(line) for line in text.splitlines())


def shrink_to_fit(text: str, font: str, size: float, width: float, *, floor: float = 6.0,
            spacing: float = 0.0) -> float:
    """The largest font size up to ``size`` at which one line of ``text`` fits ``width``."""
    natural = stringWidth(text, font, size)
    extra = spacing * max(len(text) - 1, 0)
    if natural + extra <= width or natural == 0:
        return size
    return max(floor, size * (width - extra) / natural)


def fit_box(size: tuple[int, int], max_w: float, max_h: float) -> tuple[float, float]:
    w, h = size
    scale = min(max_w / w, max_h / h)
    return w * scale, h * scale


def tint(colour: Color, towards_white: float) -> Color:
    def channel(value: float) -> float:
        return float(value + (1 - value) * towards_white)

    return Color(channel(colour.red), channel(colour.green), channel(colour.blue))
