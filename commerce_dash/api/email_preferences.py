"""The unsubscribe link of the abandoned-cart reminder (issue 19): public, signed.

GET shows a page with one button (a link scanner that follows links in emails unsubscribes
nobody); POST records the learner's opt-out of cart reminders and says so. A forged or
damaged token is refused (422). Receipts and account emails are not affected.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from commerce_dash.api.deps import DbSession
from commerce_dash.services import commerce as commerce_area

router = APIRouter(tags=["email preferences"])

Token = Annotated[str, Query(min_length=3, max_length=80)]
_HTML = {200: {"content": {"text/html": {}}, "description": "A page for people"}}


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Commerce Dash</title></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


@router.get(commerce_area.UNSUBSCRIBE_PATH, responses=_HTML)
def unsubscribe_page(token: Token) -> HTMLResponse:
    commerce_area.unsubscribe_user(token)  # a forged link is refused here already
    action = f"{commerce_area.UNSUBSCRIBE_PATH}?token={escape(token)}"
    return _page(
        "Stop cart reminders",
        (
            "<p>We email you once when you leave courses in your cart. Receipts and emails "
            "about your account and orders still reach you.</p>"
            f'<form method="post" action="{action}">'
            '<button type="submit">Stop cart reminders</button></form>'
        ),
    )


@router.post(commerce_area.UNSUBSCRIBE_PATH, responses=_HTML)
def unsubscribe(token: Token, session: DbSession) -> HTMLResponse:
    commerce_area.opt_out_of_cart_reminders(session=session, token=token)
    return _page(
        "You will get no more cart reminders",
        (
            "<p>Your choice is saved. Receipts and emails about your account and orders still "
            'reach you.</p><p><a href="/store">Back to the store</a></p>'
        ),
    )
