"""A template's preview: made-up facts to print, and page 1 of a PDF as a PNG (pypdfium2).

Re-exported by ``certificate_pdf.py``.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO

from commerce_dash.domain.certificate_design import CertificateFacts


def render_preview_png(pdf: bytes, *, width_px: int = 1000) -> bytes:
    """Page 1 of ``pdf`` as a PNG ``width_px`` wide (height keeps the page's aspect)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        try:
            bitmap = page.render(scale=width_px / page.get_width())
            try:
                image = bitmap.to_pil()
                if image.width != width_px:  # rounding of the scale, off by a pixel at most
                    ratio = image.height / image.width
                    image = image.resize((width_px, round(width_px * ratio)))
                out = BytesIO()
                # level 2: half the time of the default 6 for a file about 15% larger
                image.save(out, format="PNG", compress_level=2)
            finally:
                bitmap.close()
        finally:
            page.close()
    finally:
        document.close()
    return out.getvalue()


def sample_facts(verification_base: str = "https://example.org/verify") -> CertificateFacts:
    """Realistic made-up facts for previewing a template."""
    number = "CERT-2026-SAMPLE"
    return CertificateFacts(
        number=number,
        recipient_name="Alex Morgan",
        course_title="Data Analysis with Python",
        certificate_title="Certificate of Completion",
        department_name="School of Data",
        completed_on=date(2026, 11, 20),
        issued_on=date(2026, 11, 22),
        verification_url=f"{verification_base.rstrip('/')}/{number}",
        grade="A",
        percentage=92,
    )
