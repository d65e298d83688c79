"""The check of an image uploaded for a certificate (a logo or a signature): PNG or JPEG,
readable, within the size limits.

Re-exported by ``certificate_pdf.py``.
"""

from __future__ import annotations

from io import BytesIO

from PIL import Image

from commerce_dash.domain.errors import DomainError

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


MAX_IMAGE_SIDE = 4000


def inspect_image(data: bytes, *, max_bytes: int = 2_000_000) -> tuple[str, int, int]:
    """Check an uploaded PNG or JPEG; returns (content type, width, height) or raises
    DomainError ``invalid_image`` saying what is wrong."""
    if not data:
        raise _invalid("The image is empty.")
    if len(data) > max_bytes:
        raise _invalid(f"The image is too large: at most {max_bytes / 1_000_000:g} MB.")
    try:
        with Image.open(BytesIO(data)) as image:
            kind = image.format or ""
            width, height = image.size
            if kind not in IMAGE_TYPES:
                raise _invalid("Only PNG or JPEG images can be used.")
            if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
                raise _invalid(f"The image is too big: at most {MAX_IMAGE_SIDE} x "
                               f"{MAX_IMAGE_SIDE} pixels.")
            image.load()  # decodes every pixel: a truncated or corrupt file fails here
    except DomainError:
        raise
    except Exception as exc:  # Pillow raises many types for bad data; all mean the same
        raise _invalid("The file is not a readable PNG or JPEG image.") from exc
    if width < 1 or height < 1:
        raise _invalid("The image is empty.")
    return IMAGE_TYPES[kind], width, height


def _invalid(message: str) -> DomainError:
    return DomainError("invalid_image", message, field="image")
