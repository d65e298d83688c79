"""The fonts a certificate PDF prints with: the base families a design may choose, and their
embedded DejaVu equivalents for letters outside Windows-1252.

Re-exported by ``certificate_pdf.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)


# (regular, bold, italic) faces of each base family a design may choose.
FACES: dict[str, tuple[str, str, str]] = {
    "Helvetica": ("Helvetica", "Helvetica-Bold", "Helvetica-Oblique"),
    "Times-Roman": ("Times-Roman", "Times-Bold", "Times-Italic"),
    "Courier": ("Courier", "Courier-Bold", "Courier-Oblique"),
}


# The base faces print only Windows-1252 (a "Ł" comes out as a black box); a certificate
# with other letters uses the matching DejaVu family, embedded, when the system has it.
UNICODE_FACES: dict[str, tuple[str, str, str]] = {
    "Helvetica": ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"),
    "Times-Roman": ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic"),
    "Courier": ("DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique"),
}


FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/share/fonts/TTF"), Path("/Library/Fonts"))


def faces_for(font: str, texts: Sequence[str]) -> tuple[str, str, str]:
    """(regular, bold, italic) font names able to print ``texts`` in the design's family:
    the base faces when Windows-1252 covers them, else DejaVu if installed."""
    try:
        "".join(texts).encode("cp1252")
        return FACES[font]
    except UnicodeEncodeError:
        return _unicode_faces(font) or FACES[font]


@cache
def _unicode_faces(font: str) -> tuple[str, str, str] | None:
    faces = UNICODE_FACES[font]
    for folder in FONT_DIRS:
        if all((folder / f"{face}.ttf").is_file() for face in faces):
            for face in faces:
                pdfmetrics.registerFont(TTFont(face, str(folder / f"{face}.ttf")))
            return faces
    log.warning("no DejaVu fonts found: letters outside Windows-1252 print as boxes")
    return None
