"""Links the pages build from a code or an email (the fixed ones are in ``routes.py``)."""

from __future__ import annotations

from urllib.parse import quote

from commerce_dash import routes


def item_href(kind: str, code: str) -> str:
    """The storefront page of a course or a program."""
    base = routes.STORE_PROGRAM if kind == "program" else routes.STORE_COURSE
    return f"{base}/{quote(code, safe='')}"


def learn_href(code: str) -> str:
    """The learning page of a course."""
    return f"{routes.LEARN}/{quote(code, safe='')}"


def department_href(code: str) -> str:
    """The storefront page of a department."""
    return f"{routes.STORE_DEPARTMENT}/{quote(code, safe='')}"


def refund_queue_href(email: str) -> str:
    """The refund queue filtered to the learner's requests."""
    return f"{routes.ADMIN_REFUNDS}?learner={quote(email, safe='@')}"
