"""The admin side of subscriptions: the list (filtered, scoped to the admin's departments),
one subscription, and cancel (with or without a refund of the unused part), pause, resume and
extend a trial. Section "subscriptions"; another department's subscription answers 404."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from commerce_dash.api.deps import DbSession, OptionalIdQuery, PageNumber, PageSize
from commerce_dash.api.schemas import Paged, paged
from commerce_dash.api.subscriptions import (
    CancelBody,
    ChangeOut,
    Interval,
    Status,
    SubscriptionDetailOut,
    SubscriptionId,
    SubscriptionRowOut,
    SubscriptionsActor,
    change_answer,
    detail_answer,
    subscription_answer,
)
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services import commerce as commerce_area

admin_router = APIRouter(tags=["subscriptions", "admin"])


class AdminCancelBody(CancelBody):
    refund: bool | None = Field(default=None, description="Cancelling now: False queues no "
                                "refund of the unused part (default: as the settings say)")


class ExtendTrialBody(BaseModel):
    days: int = Field(strict=True, ge=1, le=90)


@admin_router.get("/api/v2/admin/subscriptions", tags=["admin"],
            response_model=Paged[SubscriptionRowOut])
def admin_subscriptions(
    actor: SubscriptionsActor,
    session: DbSession,
    department_id: OptionalIdQuery = None,
    interval: Interval = "",
    status: Status = "",
    q: Annotated[str, Query(max_length=200, description="Learner email part")] = "",
    page: PageNumber = 1,
    page_size: PageSize = None,
) -> dict[str, Any]:
    """Newest first: billing admins see every subscription, a department admin their
    departments'."""
    found = commerce_area.list_subscriptions(
        session=session, actor=actor, page=PageRequest.clamp(page, page_size),
        department_id=department_id, interval=interval, status=status, query=q)
    return paged(found, [subscription_answer(SubscriptionRowOut, v, actor) for v in found.items])


@admin_router.get("/api/v2/admin/subscriptions/{subscription_id}", tags=["admin"],
            response_model=SubscriptionDetailOut)
def admin_subscription(actor: SubscriptionsActor, session: DbSession,
                       subscription_id: SubscriptionId) -> dict[str, Any]:
    return detail_answer(session, actor, subscription_id)


@admin_router.post("/api/v2/admin/subscriptions/{subscription_id}/cancel", tags=["admin"],
             response_model=ChangeOut)
def admin_cancel(actor: SubscriptionsActor, session: DbSession,
                 subscription_id: SubscriptionId,
                 body: AdminCancelBody | None = None) -> dict[str, Any]:
    body = body or AdminCancelBody()
    return change_answer(session, actor, commerce_area.cancel_subscription(
        session=session, actor=actor, ref=subscription_id, at_period_end=body.at_period_end,
        reason=body.reason, refund=body.refund))


@admin_router.post("/api/v2/admin/subscriptions/{subscription_id}/pause", tags=["admin"],
             response_model=ChangeOut)
def admin_pause(actor: SubscriptionsActor, session: DbSession,
                subscription_id: SubscriptionId) -> dict[str, Any]:
    return change_answer(session, actor, commerce_area.pause_subscription(
        session=session, actor=actor, ref=subscription_id))


@admin_router.post("/api/v2/admin/subscriptions/{subscription_id}/resume", tags=["admin"],
             response_model=ChangeOut)
def admin_resume(actor: SubscriptionsActor, session: DbSession,
                 subscription_id: SubscriptionId) -> dict[str, Any]:
    return change_answer(session, actor, commerce_area.resume_subscription(
        session=session, actor=actor, ref=subscription_id))


@admin_router.post("/api/v2/admin/subscriptions/{subscription_id}/extend-trial", tags=["admin"],
             response_model=ChangeOut)
def admin_extend_trial(actor: SubscriptionsActor, session: DbSession,
                       subscription_id: SubscriptionId, body: ExtendTrialBody) -> dict[str, Any]:
    """More days (1 to 90) before a trialing subscription's first charge."""
    return change_answer(session, actor, commerce_area.extend_trial(
        session=session, actor=actor, ref=subscription_id, days=body.days))
