"""Certificate PDFs: one A4 page drawn with reportlab from a template's design and the facts
of one certificate, a PNG preview of it (pypdfium2), and the check of uploaded images.

Layout, top to bottom: logo, department, title; "presented to", the recipient's name, the
filled body, the course title and the completion details, vertically centred in the space
left; signatures; footer text; a strip with the QR code, the certificate number and the
verification address. Text shrinks to fit its box instead of overflowing it.

This module draws the page and is the PDF's public face: its fonts (``certificate_fonts.py``),
drawing helpers (``certificate_drawing.py``), the image check (``certificate_images.py``) and
the preview (``certificate_preview.py``) are re-exported, so callers import them from here.
"""

from __future__ import annotations

import logging
import math
from datetime import date
from io import BytesIO
from typing import Any

from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, landscape, portrait
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Spacer

from commerce_dash.domain.certificate_design import (
    CertificateFacts,
    Signature,
    TemplateDesign,
    fill,
    format_date,
    validate_design,
    variables_of,
)
from commerce_dash.services.learning.certificate_drawing import (
    INK,
    centred_style,
    draw_qr,
    fit_box,
    fit_flowables,
    paragraph_markup,
    shrink_to_fit,
    stack_flowables,
    tint,
)
from commerce_dash.services.learning.certificate_fonts import faces_for
from commerce_dash.services.learning.certificate_preview import render_preview_png, sample_facts

log = logging.getLogger(__name__)

__all__ = [
    "INK",
    "MUTED",
    "QR_SIZE",
    "REVOKED_RED",
    "faces_for",
    "render_certificate_pdf",
    "render_preview_png",
    "sample_facts",
]


MUTED = HexColor("#5b6470")
REVOKED_RED = HexColor("#c0162b")
PAD_X, PAD_TOP, PAD_BOTTOM = 50.0, 46.0, 38.0  # content inset from the page edge
QR_SIZE = 64.0


class _Ornament(Flowable):  # type: ignore[misc]
    """A short centred rule with a diamond in the middle, under the recipient's name."""

    def __init__(self, colour: Color, width: float) -> None:
        super().__init__()
        self.colour, self.rule = colour, width

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.avail = avail_width
        return avail_width, 8.0

    def draw(self) -> None:
        c, mid = self.canv, self.avail / 2
        c.setStrokeColor(self.colour)
        c.setFillColor(self.colour)
        c.setLineWidth(0.8)
        c.line(mid - self.rule / 2, 4, mid - 7, 4)
        c.line(mid + 7, 4, mid + self.rule / 2, 4)
        diamond = c.beginPath()
        diamond.moveTo(mid, 7.5)
        diamond.lineTo(mid + 3.5, 4)
        diamond.lineTo(mid, 0.5)
        diamond.lineTo(mid - 3.5, 4)
        diamond.close()
        c.drawPath(diamond, stroke=0, fill=1)


def render_certificate_pdf(facts: CertificateFacts, design: TemplateDesign) -> bytes:
    """The certificate as a one-page A4 PDF. Raises DomainError for an invalid design;
    an image that cannot be decoded is left out (and logged) rather than failing the page."""
    validate_design(design)
    size = landscape(A4) if design.orientation == "landscape" else portrait(A4)
    out = BytesIO()
    # Binary streams: reportlab's ASCII85 encoder is pure Python and took 90% of the time of
    # a page with a background photo, for a file a quarter larger. Read when streams are
    # written, so it is set around this page only.
    a85 = rl_config.useA85
    rl_config.useA85 = 0
    try:
        canvas = Canvas(out, pagesize=size, invariant=1, pageCompression=1)
        canvas.setTitle(f"{facts.certificate_title} — {facts.number}")
        canvas.setAuthor(facts.department_name)
        canvas.setSubject(facts.course_title)
        canvas.setCreator("Commerce Dash")
        _Page(canvas, facts, design, size).draw()
        canvas.showPage()
        canvas.save()
    finally:
        rl_config.useA85 = a85
    return out.getvalue()


class _Page:
    """Draws one certificate on a canvas; the methods are the page's regions."""

    def __init__(self, canvas: Canvas, facts: CertificateFacts, design: TemplateDesign,
                 size: tuple[float, float]) -> None:
        self.c, self.facts, self.design = canvas, facts, design
        self.width, self.height = size
        self.values = variables_of(facts)
        self.regular, self.bold, self.italic = faces_for(design.font, _printed(facts, design))
        self.primary = HexColor(design.primary_color)
        self.tint = tint(self.primary, 0.78)
        self.left, self.right = PAD_X, self.width - PAD_X
        self.portrait = design.orientation == "portrait"

    def draw(self) -> None:
        if self.design.background:
            self._background(self.design.background)
        self._frame()
        top = self._header()
        bottom = self._verification_strip()
        bottom = self._footer(bottom)
        bottom = self._signatures(bottom)
        self._middle(top - (28 if self.portrait else 14), bottom + 14)
        if self.facts.revoked:
            self._revoked_mark()

    def _background(self, data: bytes) -> None:
        image = _reader(data)
        if image is None:
            return
        iw, ih = image.getSize()
        scale = max(self.width / iw, self.height / ih)  # cover the page, crop the overflow
        w, h = iw * scale, ih * scale
        self.c.drawImage(image, (self.width - w) / 2, (self.height - h) / 2, w, h)

    def _frame(self) -> None:
        c = self.c
        c.setStrokeColor(self.primary)
        c.setLineWidth(3.5)
        c.rect(18, 18, self.width - 36, self.height - 36)
        c.setLineWidth(0.8)
        c.rect(25, 25, self.width - 50, self.height - 50)
        c.setFillColor(self.primary)
        for x, y in ((25, 25), (25, self.height - 25), (self.width - 25, 25),
                     (self.width - 25, self.height - 25)):
            c.saveState()
            c.translate(x, y)
            c.rotate(45)
            c.rect(-4, -4, 8, 8, stroke=0, fill=1)
            c.restoreState()

    def _header(self) -> float:
        """Logo, department, title; returns the y below them."""
        y = self.height - PAD_TOP
        logo = _reader(self.design.logo) if self.design.logo else None
        if logo is not None:
            max_h = 72.0 if self.portrait else 54.0
            w, h = fit_box(logo.getSize(), 200.0, max_h)
            self.c.drawImage(logo, (self.width - w) / 2, y - h, w, h, mask="auto")
            y -= h + 14
        department = self.facts.department_name.upper()
        size = shrink_to_fit(department, self.bold, 9.5, self.right - self.left, spacing=2.2)
        self.c.saveState()  # the character spacing would otherwise stay for later text
        self.c.setFillColor(MUTED)
        text = self.c.beginText()
        text.setFont(self.bold, size)
        text.setCharSpace(2.2)
        width = stringWidth(department, self.bold, size) + 2.2 * max(len(department) - 1, 0)
        text.setTextOrigin((self.width - width) / 2, y - size)
        text.textOut(department)
        self.c.drawText(text)
        self.c.restoreState()
        y -= size + 10
        title = fill(self.design.title_text, self.values)
        box = 88.0 if self.portrait else 50.0
        flows, used = fit_flowables(lambda s: [Paragraph(paragraph_markup(title), centred_style(
            self.bold, 36 * s, self.primary, leading=1.15))], self.right - self.left, box, 0.45)
        return stack_flowables(self.c, flows, self.left, self.right - self.left, y, used)

    def _middle(self, top: float, bottom: float) -> None:
        """Name, body, course and details, shrunk together to fit between ``top`` and
        ``bottom``; portrait pages, taller, start larger and leave more air."""
        facts, width = self.facts, min(self.right - self.left, 620.0)
        body = fill(self.design.body_text, self.values)
        air = 1.8 if self.portrait else 1.0

        def build(s: float) -> list[Flowable]:
            flows: list[Flowable] = [
                Paragraph("Presented to", centred_style(self.italic, 13 * s, MUTED)),
                Spacer(1, 6 * s * air),
                Paragraph(paragraph_markup(facts.recipient_name), centred_style(self.bold, 34 * s, INK, 1.1)),
                Spacer(1, 8 * s), _Ornament(self.primary, 220 * s), Spacer(1, 12 * s * air),
                Paragraph(paragraph_markup(body), centred_style(self.regular, 13 * s, INK, 1.4)),
                Spacer(1, 12 * s * air),
                Paragraph(paragraph_markup(facts.course_title), centred_style(self.bold, 20 * s,
                                                              self.primary, 1.15)),
            ]
            details = self._details()
            if details:
                flows += [Spacer(1, 7 * s * air),
                          Paragraph(paragraph_markup(details), centred_style(self.italic, 11 * s, MUTED))]
            return flows

        flows, used = fit_flowables(build, width, top - bottom, 0.35, start=1.3 if self.portrait else 1.0)
        slack = max(0.0, top - bottom - used)
        x = (self.width - width) / 2
        stack_flowables(self.c, flows, x, width, top - slack * (0.4 if self.portrait else 0.5), used)

    def _details(self) -> str:
        parts = [f"Completed on {format_date(self.facts.completed_on)}"]
        if self.facts.grade:
            parts.append(f"Grade {self.facts.grade}")
        if self.facts.percentage is not None:
            parts.append(f"Score {self.facts.percentage}%")
        return "  ·  ".join(parts)

    def _signatures(self, bottom: float) -> float:
        """Up to three signatures evenly spaced above ``bottom``; returns the y above them."""
        signatures = self.design.signatures
        if not signatures:
            return bottom
        slot = (self.right - self.left) / len(signatures)
        rule = min(slot * 0.72, 190.0)
        titles = [self._title_lines(s.title, slot - 16) for s in signatures]
        line_y = bottom + 32 + 10 * max(len(lines) for lines, _ in titles)
        top = line_y
        for i, (signature, title) in enumerate(zip(signatures, titles, strict=True)):
            centre = self.left + slot * (i + 0.5)
            top = max(top, self._signature(signature, title, centre, rule, slot - 16, line_y))
        return top

    def _title_lines(self, title: str, width: float) -> tuple[list[str], float]:
        """A signatory's title on at most two lines, in the size that allows it."""
        size = 9.0
        while True:
            lines = simpleSplit(title, self.regular, size, width)
            if len(lines) <= 2 or size <= 5.5:
                return lines[:2], size
            size -= 0.5

    def _signature(self, signature: Signature, title: tuple[list[str], float], centre: float,
                   rule: float, room: float, line_y: float) -> float:
        c = self.c
        top = line_y + 30
        image = _reader(signature.image) if signature.image else None
        if image is not None:
            w, h = fit_box(image.getSize(), rule, 42.0)
            c.drawImage(image, centre - w / 2, line_y + 2, w, h, mask="auto")
            top = max(top, line_y + 2 + h)
        c.setStrokeColor(MUTED)
        c.setLineWidth(0.6)
        c.line(centre - rule / 2, line_y, centre + rule / 2, line_y)
        c.setFillColor(INK)
        size = shrink_to_fit(signature.name, self.bold, 10.5, room, floor=6.0)
        c.setFont(self.bold, size)
        c.drawCentredString(centre, line_y - 13, signature.name)
        lines, size = title
        c.setFillColor(MUTED)
        c.setFont(self.regular, size)
        for n, line in enumerate(lines):
            c.drawCentredString(centre, line_y - 25 - n * (size + 1.5), line)
        return top

    def _footer(self, bottom: float) -> float:
        footer = fill(self.design.footer_text, self.values).strip()
        if not footer:
            return bottom
        flows, used = fit_flowables(lambda s: [Paragraph(paragraph_markup(footer), centred_style(
            self.italic, 9 * s, MUTED, 1.3))], self.right - self.left, 36.0, 0.6)
        stack_flowables(self.c, flows, self.left, self.right - self.left, bottom + 8 + used, used)
        return bottom + 8 + used

    def _verification_strip(self) -> float:
        """QR code, number, address, dates along the bottom; returns the y above the strip."""
        c, facts = self.c, self.facts
        y0 = PAD_BOTTOM
        draw_qr(c, facts.verification_url, self.left, y0, QR_SIZE)
        c.linkURL(facts.verification_url, (self.left, y0, self.left + QR_SIZE, y0 + QR_SIZE),
                  relative=0, thickness=0)
        x = self.left + QR_SIZE + 14
        room = self.right - x
        c.setFillColor(INK)
        c.setFont(self.bold, 10)
        c.drawString(x, y0 + QR_SIZE - 14, f"Certificate No. {facts.number}")
        label = "Verify at "
        size = shrink_to_fit(label + facts.verification_url, self.regular, 9, room, floor=5.0)
        c.setFont(self.regular, size)
        c.setFillColor(MUTED)
        c.drawString(x, y0 + QR_SIZE - 32, label)
        url_x = x + stringWidth(label, self.regular, size)
        c.setFillColor(self.primary)
        c.drawString(url_x, y0 + QR_SIZE - 32, facts.verification_url)
        url_w = stringWidth(facts.verification_url, self.regular, size)
        c.linkURL(facts.verification_url, (url_x, y0 + QR_SIZE - 35, url_x + url_w,
                                           y0 + QR_SIZE - 32 + size), relative=0, thickness=0)
        c.setFillColor(MUTED)
        c.setFont(self.regular, 9)
        c.drawString(x, y0 + QR_SIZE - 50, _dates_line(facts.issued_on, facts.expires_on))
        top = y0 + QR_SIZE + 12
        c.setStrokeColor(self.tint)
        c.setLineWidth(0.8)
        c.line(self.left, top, self.right, top)
        return top

    def _revoked_mark(self) -> None:
        c = self.c
        c.saveState()
        c.translate(self.width / 2, self.height / 2)
        c.rotate(math.degrees(math.atan2(self.height, self.width)))
        c.setFillColor(REVOKED_RED)
        c.setFillAlpha(0.22)
        size = min(self.width, self.height) * 0.26
        c.setFont("Helvetica-Bold", size)
        c.drawCentredString(0, -size * 0.35, "REVOKED")
        c.restoreState()


def _printed(facts: CertificateFacts, design: TemplateDesign) -> list[str]:
    values = variables_of(facts)
    texts = [fill(t, values) for t in (design.title_text, design.body_text,
                                       design.footer_text)]
    texts += [s.name + s.title for s in design.signatures]
    return texts + list(values.values())


def _dates_line(issued: date, expires: date | None) -> str:
    line = f"Issued {format_date(issued)}"
    return f"{line}  ·  Valid until {format_date(expires)}" if expires else line


def _reader(data: bytes | None) -> Any:
    """A reportlab image for PNG/JPEG bytes, or None (logged) when they cannot be decoded."""
    if not data:
        return None
    try:
        reader = ImageReader(BytesIO(data))
        reader.getSize()
        return reader
    except Exception:  # a stored image gone bad must not stop certificates being issued
        log.warning("certificate image skipped: it cannot be decoded", exc_info=True)
        return None


