"""The processor screen's rules: which processor takes a department's payments, choices
refused while keys or the webhook secret are missing (naming the settings), a switch taking
effect on the next checkout, a department that cannot sell, and a signed test webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.commerce import PaymentEvent
from commerce_dash.payments.factory import reset_processors
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce.overview import admin_overview
from commerce_dash.settings import get_settings
from tests.builders import a_course, a_department, checked_out
from tests.payments.razorpay_fake import RazorpayFake

KEY_ID, KEY_SECRET, WEBHOOK_SECRET = "rzp_test_Choice01", "rzp_choice_secret", "rzp_choice_hook"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    reset_processors()
    yield monkeypatch
    get_settings.cache_clear()
    reset_processors()


def _set(env: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        env.setenv(name, value)
    get_settings.cache_clear()
    reset_processors()


def _razorpay_keys(env: pytest.MonkeyPatch, fake: RazorpayFake, *, hook: bool = True) -> None:
    _set(env, COMMERCE_RAZORPAY_KEY_ID=KEY_ID, COMMERCE_RAZORPAY_KEY_SECRET=KEY_SECRET,
         COMMERCE_RAZORPAY_API_BASE=fake.base_url,
         **({"COMMERCE_RAZORPAY_WEBHOOK_SECRET": WEBHOOK_SECRET} if hook else {}))


def test_the_screen_says_what_is_set_up_and_never_shows_a_secret(
    session: Session, super_admin: Actor, env: pytest.MonkeyPatch
) -> None:
    _set(env, COMMERCE_RAZORPAY_KEY_ID=KEY_ID)  # the secret key is missing
    a_department(session, super_admin, "SCR", name="Screen School")

    screen = commerce_area.processor_screen(session=session, actor=super_admin)

    rows = {r.config.name: r for r in screen.processors}
    assert rows["sandbox"].config.configured and rows["sandbox"].config.mode == "test"
    assert not rows["razorpay"].config.configured
    assert rows["razorpay"].config.missing == ("COMMERCE_RAZORPAY_KEY_SECRET",)
    assert not rows["stripe"].config.configured
    assert "COMMERCE_STRIPE_SECRET_KEY" in rows["stripe"].config.missing
    assert [(d.code, d.processor, d.source) for d in screen.departments] == [
        ("SCR", "sandbox", "default")]
    assert KEY_SECRET not in repr(screen) and "secret_key" not in repr(screen)


def test_a_processor_lacking_keys_or_its_webhook_secret_is_refused_naming_them(
    session: Session, super_admin: Actor, env: pytest.MonkeyPatch
) -> None:
    dept = a_department(session, super_admin, "REF")
    with pytest.raises(DomainError) as no_keys:
        commerce_area.choose_processor(session=session, actor=super_admin,
                                       department_id=dept, processor="razorpay")
    assert "COMMERCE_RAZORPAY_KEY_ID, COMMERCE_RAZORPAY_KEY_SECRET" in no_keys.value.message
    with RazorpayFake(KEY_ID, KEY_SECRET, WEBHOOK_SECRET) as fake:
        _razorpay_keys(env, fake, hook=False)
        with pytest.raises(DomainError) as no_hook:
            commerce_area.choose_processor(session=session, actor=super_admin,
                                           department_id=dept, processor="razorpay")
    assert no_hook.value.field == "processor"
    assert "set COMMERCE_RAZORPAY_WEBHOOK_SECRET" in no_hook.value.message
    with pytest.raises(DomainError) as unknown:
        commerce_area.choose_processor(session=session, actor=super_admin,
                                       department_id=None, processor="paypal")
    assert unknown.value.code == "invalid_processor"


def test_switching_a_departments_processor_takes_effect_on_the_next_checkout(
    session: Session, super_admin: Actor, learner: Actor, env: pytest.MonkeyPatch
) -> None:
    dept = a_department(session, super_admin, "SWT", name="Switch School")
    first = a_course(session, super_admin, "SWT-1", department_id=dept, price=12_000)
    second = a_course(session, super_admin, "SWT-2", department_id=dept, price=8_000)
    with RazorpayFake(KEY_ID, KEY_SECRET, WEBHOOK_SECRET) as fake:
        _razorpay_keys(env, fake)
        before = checked_out(session, learner, ("course", first))
        assert before.processor == "sandbox"

        chosen = commerce_area.choose_processor(session=session, actor=super_admin,
                                                department_id=dept, processor="razorpay")
        again = commerce_area.choose_processor(session=session, actor=super_admin,
                                               department_id=dept, processor="razorpay")
        after = checked_out(session, learner, ("course", second))

        assert chosen == again == "razorpay"
        assert after.processor == "razorpay" and after.intent_id in fake.orders
    audits = session.exec(select(AuditLog).where(AuditLog.action == "processor.chosen")).all()
    assert len(audits) == 1  # choosing what is chosen changes nothing
    assert audits[0].after == {"processor": "razorpay"}
    assert audits[0].before == {"processor": None}
    screen = commerce_area.processor_screen(session=session, actor=super_admin)
    assert [(d.processor, d.source) for d in screen.departments] == [("razorpay", "screen")]
    # back to the default
    commerce_area.choose_processor(session=session, actor=super_admin, department_id=dept,
                                   processor=None)
    screen = commerce_area.processor_screen(session=session, actor=super_admin)
    assert [(d.processor, d.source) for d in screen.departments] == [("sandbox", "default")]


def test_a_department_whose_processor_has_no_keys_cannot_sell_and_the_overview_says_so(
    session: Session, super_admin: Actor, learner: Actor, env: pytest.MonkeyPatch
) -> None:
    _set(env, COMMERCE_PROCESSOR_BY_DEPARTMENT=json.dumps({"NOK": "razorpay"}))
    dept = a_department(session, super_admin, "NOK", name="No Keys School")
    course = a_course(session, super_admin, "NOK-1", department_id=dept, price=5_000)

    with pytest.raises(DomainError) as refused:
        checked_out(session, learner, ("course", course))

    assert refused.value.code == "processor_unavailable"
    assert "Nothing was charged" in refused.value.message
    assert "COMMERCE_" not in refused.value.message  # the learner is not told settings
    figures = admin_overview(session=session, actor=super_admin)
    assert figures.sales is not None
    assert figures.sales.cannot_sell == ("No Keys School (Razorpay)",)


def test_a_test_webhook_is_signed_with_the_configured_secret_and_stored(
    session: Session, super_admin: Actor, env: pytest.MonkeyPatch
) -> None:
    with RazorpayFake(KEY_ID, KEY_SECRET, WEBHOOK_SECRET) as fake:
        _razorpay_keys(env, fake)
        outcome = commerce_area.send_test_webhook(session=session, actor=super_admin,
                                                  processor="razorpay")
        sandbox = commerce_area.send_test_webhook(session=session, actor=super_admin,
                                                  processor="sandbox")

    assert (outcome.status, sandbox.status) == ("ignored", "ignored")
    stored = session.exec(select(PaymentEvent).where(
        PaymentEvent.event_type == "commerce_dash.test_webhook")).all()
    assert sorted(e.processor for e in stored) == ["razorpay", "sandbox"]
    screen = commerce_area.processor_screen(session=session, actor=super_admin)
    heard = {r.config.name for r in screen.processors if r.last_webhook}
    assert heard == {"razorpay", "sandbox"}
    assert len(session.exec(select(AuditLog).where(
        AuditLog.action == "processor.test_webhook")).all()) == 2
    with pytest.raises(DomainError) as no_secret:
        commerce_area.send_test_webhook(session=session, actor=super_admin, processor="stripe")
    assert "COMMERCE_STRIPE_WEBHOOK_SECRET" in no_secret.value.message


def test_only_billing_admins_see_the_screen(session: Session, learner: Actor) -> None:
    with pytest.raises(DomainError) as refused:
        commerce_area.processor_screen(session=session, actor=learner)
    assert refused.value.code == "forbidden"
