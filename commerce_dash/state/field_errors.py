"""Where a form's refusal shows: under the field it is about, or on the form as a whole.

A service refuses with a ``DomainError`` whose ``field`` names the input it is about (or
none). Each form maps the fields it shows errors under to the state vars holding them.
"""

from __future__ import annotations

from typing import Any

from commerce_dash.domain.errors import DomainError


def show_field_error(
    state: Any, exc: DomainError, fields: dict[str, str], fallback: str = "form_error"
) -> None:
    """Set the error var of the refused field (``fields[exc.field]``), else ``fallback``."""
    setattr(state, fields.get(exc.field or "", fallback), exc.message)
