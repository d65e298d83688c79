"""The learner's personal data: a copy of it as a JSON file, and deleting the account.

``GET /api/v2/me/data`` answers everything kept about the signed-in learner (profile,
orders with lines and payments, refund requests, registrations, enrollments, progress,
certificates, subscriptions with invoices, bookings, session credits) as a downloadable
JSON file; the browser's session cookie is enough (a read).

``POST /api/v2/me/delete`` deletes the account (bearer token; the email typed again and
the password): personal fields anonymised, sessions ended, live registrations ended;
orders, ledger and audit kept. Refused with 409 while a payment is being made or a
subscription still renews; asking again after it was deleted changes nothing (the token
no longer works, so the answer is 401). See ``services/commerce/personal_data.py``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from commerce_dash.api.deps import CurrentActor, DbSession
from commerce_dash.api.schemas import Out
from commerce_dash.services import commerce as commerce_area

router = APIRouter(tags=["personal data"])


@router.get(
    "/api/v2/me/data",
    response_class=Response,
    responses={
        200: {
            "description": "Everything kept about the signed-in learner, as a JSON file",
            "content": {"application/json": {}},
        }
    },
)
def my_data(actor: CurrentActor, session: DbSession) -> Response:
    data = commerce_area.export_personal_data(session=session, user_id=actor.user_id)
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="'
            f'{commerce_area.export_filename(actor.user_id)}"',
            "Cache-Control": "private, no-store",
        },
    )


class DeleteBody(BaseModel):
    confirmEmail: str = Field(max_length=254, description="The account's email, typed again")  # noqa: N815
    password: str = Field(default="", max_length=1024)


class DeletedOut(Out):
    deleted: bool
    alreadyDeleted: bool  # noqa: N815
    registrationsEnded: int  # noqa: N815
    bookingsCancelled: int  # noqa: N815
    cartsDeleted: int  # noqa: N815
    sessionsRevoked: int  # noqa: N815


@router.post("/api/v2/me/delete", response_model=DeletedOut)
def delete_me(actor: CurrentActor, session: DbSession, body: DeleteBody) -> dict[str, Any]:
    outcome = commerce_area.delete_account(
        session=session, actor=actor, confirm_email=body.confirmEmail, password=body.password
    )
    return {
        "deleted": True,
        "alreadyDeleted": outcome.already_deleted,
        "registrationsEnded": outcome.registrations_ended,
        "bookingsCancelled": outcome.bookings_cancelled,
        "cartsDeleted": outcome.carts_deleted,
        "sessionsRevoked": outcome.sessions_revoked,
    }
