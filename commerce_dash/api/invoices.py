"""Invoices and credit notes (issue 19): the learner downloads those of their own orders
(another learner's order answers 404, like an unknown number), admins of the orders section
those of any order; billing admins read and set the seller's details printed on them.

The PDF is rendered in the thread pool (the routes are sync), never on the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

from commerce_dash.api.deps import CurrentActor, DbSession, section_guard
from commerce_dash.api.schemas import Out, binary
from commerce_dash.domain.actor import Actor
from commerce_dash.services import commerce as commerce_area

router = APIRouter(tags=["invoices"])

OrdersActor = Annotated[Actor, section_guard("orders")]
SettingsActor = Annotated[Actor, section_guard("settings")]
OrderNumber = Annotated[str, Path(min_length=1, max_length=40)]
CreditNoteNumber = Annotated[str, Path(min_length=1, max_length=32)]
_PDF = {200: binary("application/pdf", description="The document as PDF")}


class SellerOut(Out):
    name: str
    address: str
    tax_id: str
    email: str


class SellerBody(BaseModel):
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=1000)
    tax_id: str = Field(default="", max_length=64)
    email: str = Field(default="", max_length=254)


def _pdf(filename: str, data: bytes) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


# -- learner -----------------------------------------------------------------------------------


@router.get("/api/v2/orders/{number}/invoice.pdf", response_class=Response, responses=_PDF)
def my_invoice(actor: CurrentActor, session: DbSession, number: OrderNumber) -> Response:
    return _pdf(*commerce_area.invoice_pdf(session=session, number=number, user_id=actor.user_id))


@router.get(
    "/api/v2/orders/{number}/credit-notes/{credit_note}.pdf",
    response_class=Response,
    responses=_PDF,
)
def my_credit_note(
    actor: CurrentActor, session: DbSession, number: OrderNumber, credit_note: CreditNoteNumber
) -> Response:
    return _pdf(
        *commerce_area.credit_note_pdf(
            session=session, number=number, credit_note=credit_note, user_id=actor.user_id
        )
    )


# -- admin -------------------------------------------------------------------------------------


@router.get(
    "/api/v2/admin/orders/{number}/invoice.pdf",
    tags=["admin"],
    response_class=Response,
    responses=_PDF,
)
def admin_invoice(actor: OrdersActor, session: DbSession, number: OrderNumber) -> Response:
    return _pdf(*commerce_area.invoice_pdf(session=session, number=number, actor=actor))


@router.get(
    "/api/v2/admin/orders/{number}/credit-notes/{credit_note}.pdf",
    tags=["admin"],
    response_class=Response,
    responses=_PDF,
)
def admin_credit_note(
    actor: OrdersActor, session: DbSession, number: OrderNumber, credit_note: CreditNoteNumber
) -> Response:
    return _pdf(
        *commerce_area.credit_note_pdf(
            session=session, number=number, credit_note=credit_note, actor=actor
        )
    )


@router.get("/api/v2/admin/seller-details", tags=["admin"], response_model=SellerOut)
def seller(actor: SettingsActor, session: DbSession) -> dict[str, Any]:
    return commerce_area.seller_details(session).as_dict()


@router.put("/api/v2/admin/seller-details", tags=["admin"], response_model=SellerOut)
def set_seller(actor: SettingsActor, session: DbSession, body: SellerBody) -> dict[str, Any]:
    return commerce_area.save_seller_details(
        session=session,
        actor=actor,
        name=body.name,
        address=body.address,
        tax_id=body.tax_id,
        email=body.email,
    ).as_dict()
