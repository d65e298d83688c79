"""Refunds for paid places that are not given: the seam through which commerce hands its
refund steps to enrollment.

Re-exported by ``registrations.py``, the registrations' public face.
"""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.models.enrollment import Registration


class PaidPlaceRefunds(Protocol):
    """How a paid place that is not given is paid back. Refunds belong to commerce, which sits
    above enrollment (it creates registrations when an order is paid), so commerce hands its
    refund steps in here when it is imported (``services/commerce/refunds.py``)."""

    def open(self, *, session: Session, registration: Registration, actor: Actor | None,
             reason: str, automatic: bool) -> object: ...

    def pay_approved(self, *, session: Session, order_id: int) -> int: ...


_refunds: list[PaidPlaceRefunds] = []


def use_refunds(refunds: PaidPlaceRefunds) -> None:
    """Commerce's refund steps for places not given (the last one set wins)."""
    _refunds[:] = [refunds]


def refund_steps() -> PaidPlaceRefunds:
    """Fails closed: a paid rejection with no refund steps set is an error (its transaction
    rolls back), never a place rejected with the money kept."""
    if not _refunds:
        raise RuntimeError("no refund steps for paid places: commerce_dash.services.commerce"
                           ".refunds was not imported")
    return _refunds[0]
