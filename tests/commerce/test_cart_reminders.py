"""Abandoned-cart reminders (issue 19): one email for a signed-in learner's cart left
untouched, linking back to the cart; none twice, none after a purchase, none for a guest's or an
empty cart; the unsubscribe link is honoured (and a forged one refused) without stopping
receipts; an order completed from a reminded cart counts as recovered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from commerce_dash.api import create_api
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.jobs.registry import JOBS, run_job
from commerce_dash.models.cart_reminders import CartReminder, EmailOptOut
from commerce_dash.models.commerce import Cart
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.notify.message import message_from_payload
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce.cart_lookups import CartOwner
from commerce_dash.settings import get_settings
from tests.builders import buy, owner_of, paid_order

HOURS = get_settings().cart_reminder_after_hours


def _fill(
    session: Session, owner: CartOwner, *course_ids: int, idle_hours: int = HOURS + 1
) -> Cart:
    """Put the courses in the owner's cart and leave it untouched for ``idle_hours``."""
    for course_id in course_ids:
        cart_service.add_item(session=session, owner=owner, item_type="course", item_id=course_id)
    cart = cart_service.find_cart(session=session, owner=owner)
    assert cart is not None
    cart.updated_at = utcnow() - timedelta(hours=idle_hours)
    session.add(cart)
    session.commit()
    return cart


def _reminders(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key).startswith("cart-reminder:"))
            .order_by(col(OutboxMessage.id))
        ).all()
    )


def _send(session: Session) -> int:
    sent = commerce_area.send_cart_reminders(session)
    session.commit()
    return sent


def test_an_idle_cart_is_reminded_once_with_a_link_to_the_cart(
    session: Session, shop, learner: Actor
) -> None:  # type: ignore[no-untyped-def]
    # given Lee left PY101 in the cart a day ago
    cart = _fill(session, owner_of(learner), shop.courses["PY101"])

    # when the reminders run twice
    first, second = _send(session), _send(session)

    # then one reminder went to Lee, naming the course and linking to the cart
    assert (first, second) == (1, 0)
    (queued,) = _reminders(session)
    email = message_from_payload(queued.payload or {})
    assert email.to == "lee@example.com"
    assert email.subject == "Your cart is waiting: Course PY101"
    base = get_settings().public_url.rstrip("/")
    assert f"{base}/cart" in email.text and "$100.00" in email.text
    token = commerce_area.unsubscribe_token(learner.user_id)
    assert f"/api/v2/email/cart-reminders/unsubscribe?token={token}" in email.text
    # and the mail client's own unsubscribe button posts to the same link (RFC 8058)
    assert email.headers["List-Unsubscribe"] == (
        f"<{base}/api/v2/email/cart-reminders/unsubscribe?token={token}>")
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"{base}/cart" in (email.html or "")
    session.refresh(cart)
    assert cart.reminded_at is not None
    assert session.exec(select(CartReminder.cart_id)).all() == [cart.id]


def test_a_cart_touched_recently_waits_and_the_job_sends_it_later(
    session: Session, shop, learner: Actor
) -> None:  # type: ignore[no-untyped-def]
    # given Lee changed the cart an hour ago
    _fill(session, owner_of(learner), shop.courses["PY101"], idle_hours=1)

    # then nothing is due yet; the job (run under its lease) sends it once it is
    assert _send(session) == 0
    cart = session.exec(select(Cart)).one()
    cart.updated_at = utcnow() - timedelta(hours=HOURS + 1)
    session.add(cart)
    session.commit()
    assert "cart_reminders" in JOBS
    assert run_job("cart_reminders") == "ok"
    assert run_job("cart_reminders") == "ok"
    assert len(_reminders(session)) == 1


def test_no_reminder_for_a_guest_an_empty_cart_or_after_a_purchase(
    session: Session, shop, learner: Actor
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import create_user

    # given a guest's cart, Lee's cart emptied, and Kim who bought what was in the cart
    guest = CartOwner(user_id=None, token="guest-token-123456")
    _fill(session, guest, shop.courses["PY101"])
    lee_cart = _fill(session, owner_of(learner), shop.courses["PY201"])
    view = cart_service.view_cart(session=session, owner=owner_of(learner))
    cart_service.remove_line(session=session, owner=owner_of(learner), line_id=view.lines[0].id)
    lee_cart.updated_at = utcnow() - timedelta(hours=HOURS + 1)
    session.add(lee_cart)
    session.commit()
    kim = create_user(session, "kim@example.com", full_name="Kim")
    buy(session, kim, shop, ("course", "SQL101"))
    # Kim's cart still holds a course added before the purchase, left untouched since
    _fill(session, owner_of(kim), shop.courses["ML301"], idle_hours=0)
    kim_cart = cart_service.find_cart(session=session, owner=owner_of(kim))
    assert kim_cart is not None
    kim_cart.updated_at = utcnow() - timedelta(hours=HOURS + 1)
    session.add(kim_cart)
    session.commit()

    # when the reminders run
    sent = _send(session)

    # then nobody is reminded: the guest is unknown, Lee's cart is empty, Kim bought since
    assert sent == 0
    assert _reminders(session) == []


def test_the_unsubscribe_link_is_honoured_and_receipts_still_come(
    session: Session, shop, learner: Actor
) -> None:  # type: ignore[no-untyped-def]
    # given Lee follows the unsubscribe link of a reminder
    token = commerce_area.unsubscribe_token(learner.user_id)
    path = f"/api/v2/email/cart-reminders/unsubscribe?token={token}"
    with TestClient(create_api()) as client:
        page = client.get(path)
        assert page.status_code == 200 and '<form method="post"' in page.text
        assert session.exec(select(EmailOptOut)).all() == []  # looking records nothing
        done = client.post(path)
        again = client.post(path)
    assert done.status_code == 200 and "no more cart reminders" in done.text
    assert again.status_code == 200
    (opt_out,) = session.exec(select(EmailOptOut)).all()
    assert (opt_out.user_id, opt_out.kind) == (learner.user_id, "cart_reminders")

    # when Lee leaves a cart and the reminders run
    _fill(session, owner_of(learner), shop.courses["PY101"])
    assert _send(session) == 0
    assert _reminders(session) == []

    # then a purchase still sends its receipt
    paid_order(session, learner, ("course", shop.courses["PY201"]), key="after-opt-out")
    receipts = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.dedupe_key).contains("order-confirmation"))
    ).all()
    assert len(receipts) == 1


@pytest.mark.parametrize(
    "token",
    [
        "1.0000000000000000000000000000000000000000",  # a made-up signature
        "{other}.{sig}",  # another learner's id with Lee's signature
        "not-a-token",
    ],
)
def test_a_forged_unsubscribe_link_is_refused(session: Session, learner: Actor, token: str) -> None:
    sig = commerce_area.unsubscribe_token(learner.user_id).split(".")[1]
    forged = token.format(other=learner.user_id + 1, sig=sig)
    path = f"/api/v2/email/cart-reminders/unsubscribe?token={forged}"
    with TestClient(create_api()) as client:
        shown = client.get(path)
        posted = client.post(path)
    assert shown.status_code == 422 and shown.json()["code"] == "invalid_unsubscribe_link"
    assert posted.status_code == 422 and posted.json()["code"] == "invalid_unsubscribe_link"
    assert session.exec(select(EmailOptOut)).all() == []


def test_an_order_from_a_reminded_cart_counts_as_recovered(
    session: Session, shop, learner: Actor, super_admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import create_user

    # given Lee was reminded of PY101 and then bought it from the cart
    _fill(session, owner_of(learner), shop.courses["PY101"])
    assert _send(session) == 1
    paid_order(session, learner, key="recovered")
    # and Kim bought without any reminder
    kim = create_user(session, "kim@example.com", full_name="Kim")
    buy(session, kim, shop, ("course", "SQL101"))

    # when the revenue page asks for today's recovered orders
    today = utcnow().date()
    found = commerce_area.recovered_orders(
        session=session, actor=super_admin, start=today, end=today
    )

    # then Lee's order counts, with its revenue; Kim's does not
    assert (found.orders, found.revenue, found.reminders) == (1, {"USD": 10_000}, 1)
    assert found.labels() == ["$100.00"]
    yesterday = today - timedelta(days=1)
    earlier = commerce_area.recovered_orders(
        session=session, actor=super_admin, start=yesterday, end=yesterday
    )
    assert (earlier.orders, earlier.revenue) == (0, {})


def test_a_department_admin_counts_recovered_orders_of_their_departments_only(
    session: Session, shop, learner: Actor, super_admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    from commerce_dash.domain.access import RoleName
    from commerce_dash.domain.actor import Grant
    from tests.conftest import create_department, create_user

    # given Lee's order recovered by a reminder, in the shop's department
    _fill(session, owner_of(learner), shop.courses["PY101"])
    assert _send(session) == 1
    paid_order(session, learner, key="recovered-dept")
    other = create_department(session, "OTHER")
    theirs = create_user(
        session, "dee@example.com", grants=(Grant(RoleName.DEPT_ADMIN, shop.department_id),)
    )
    elsewhere = create_user(session, "odd@example.com", grants=(Grant(RoleName.DEPT_ADMIN, other),))
    today = utcnow().date()

    # then the shop's dept-admin sees it (not the shop-wide reminder count), another none
    mine = commerce_area.recovered_orders(session=session, actor=theirs, start=today, end=today)
    assert (mine.orders, mine.revenue, mine.reminders) == (1, {"USD": 10_000}, None)
    none = commerce_area.recovered_orders(session=session, actor=elsewhere, start=today, end=today)
    assert (none.orders, none.revenue) == (0, {})
