"""The sandbox's subscription engine, driven like Stripe's through its test clock: trials,
first payments (3-D Secure too), renewals on the anchor day, declines and their retries,
cancels, pauses, upgrades, and never a second charge for the same invoice attempt. Every
event it emits must pass the webhook intake's signature check and parse as Stripe's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, func, select

from commerce_dash.domain.subscriptions import retry_times
from commerce_dash.models.commerce import SandboxIntent
from commerce_dash.payments import sandbox_subscription_billing as billing_module
from commerce_dash.payments import sandbox_subscriptions as engine_module
from commerce_dash.payments.base import (
    CreateSubscription,
    IntentStatus,
    ProcessorError,
    SubscriptionProcessor,
    WebhookEvent,
)
from commerce_dash.payments.sandbox import SandboxProcessor, SignedEvent
from commerce_dash.payments.sandbox_cards import CHALLENGE_CARD, DECLINES, SUCCESS_CARD
from commerce_dash.payments.sandbox_subscriptions import SandboxSubscriptions
from commerce_dash.settings import get_settings

SECRET = "whsec_sandbox_subscriptions_test"
DECLINE_CARD = "4000000000009995"  # insufficient funds
DAY = 86_400


@dataclass
class Inbox:
    """The app's webhook intake, as far as these tests need it: verify, parse, keep."""

    intake: SandboxProcessor = field(
        default_factory=lambda: SandboxProcessor(webhook_secret=SECRET, challenge_url=""))
    events: list[WebhookEvent] = field(default_factory=list)

    def __call__(self, signed: SignedEvent) -> None:
        self.events.append(self.intake.verify_webhook(signed.body, signed.headers))

    def take(self) -> list[WebhookEvent]:
        taken, self.events = self.events, []
        return taken

    def types(self) -> list[str]:
        return [e.event_type for e in self.take()]


@pytest.fixture
def inbox(session: Session) -> Inbox:
    return Inbox()


@pytest.fixture
def engine(inbox: Inbox) -> Iterator[SandboxSubscriptions]:
    yield SandboxSubscriptions(webhook_secret=SECRET, deliver=inbox)


def _request(key: str = "sub-1", *, card: str = SUCCESS_CARD, trial_days: int = 0,
             email: str = "lee@example.com") -> CreateSubscription:
    return CreateSubscription(
        customer_email=email, customer_name="Lee Learner", currency="usd", amount=2_000,
        first_amount=1_500, interval="monthly", trial_days=trial_days, idempotency_key=key,
        description="Engineering, monthly", payment_method=card,
        metadata={"subscription_id": "41", "user_id": "7"})


def _intents(session: Session) -> list[SandboxIntent]:
    session.expire_all()
    return list(session.exec(select(SandboxIntent).order_by(col(SandboxIntent.created_at))))


def _move_to(engine: SandboxSubscriptions, moment: datetime) -> None:
    engine.move_clock(max(0, int((moment - engine.now()).total_seconds()) + 1))


def _day(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, UTC).date().isoformat()


def test_every_event_passes_the_intake_and_is_ordered(
        engine: SandboxSubscriptions, inbox: Inbox) -> None:
    processor: SubscriptionProcessor = engine
    assert isinstance(processor, SubscriptionProcessor) and processor.name == "sandbox"
    sub = engine.create_subscription(_request())
    engine.change_amount(sub.subscription_id, amount=2_500, charge_now=300, idempotency_key="u1")
    engine.cancel_subscription(sub.subscription_id, at_period_end=False)
    events = inbox.take()
    # verified by the intake (a forged body would raise), ids unique, created increasing
    assert len({e.event_id for e in events}) == len(events) == 5
    assert all(e.event_id.startswith("evt_sb") for e in events)
    created = [e.created for e in events]
    assert created == sorted(set(created))
    assert abs(created[0] - int(engine.now().timestamp())) <= 2
    with pytest.raises(Exception, match="Signature does not match"):
        inbox.intake.verify_webhook(b'{"id":"evt_x"}', inbox.intake.sign_body(b"{}"))


def test_a_trial_reminds_once_then_charges_the_first_period_at_its_end(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session) -> None:
    sub = engine.create_subscription(_request(trial_days=14))
    [created] = inbox.take()
    assert created.event_type == "customer.subscription.created"
    trial = created.subscription
    assert trial is not None and trial.status == "trialing"
    assert trial.metadata == {"subscription_id": "41", "user_id": "7"}
    assert trial.trial_end == trial.current_period_end == sub.trial_end
    assert trial.current_period_end - trial.current_period_start == 14 * DAY
    assert trial.customer_id.startswith("sbcus_") and _intents(session) == []
    # nothing is due yet
    assert engine.advance() == 0
    # the reminder, so many days before the trial ends, once
    days = get_settings().subscription_trial_reminder_days
    _move_to(engine, datetime.fromtimestamp(sub.trial_end - days * DAY, UTC))
    assert engine.advance() == 1
    assert inbox.types() == ["customer.subscription.trial_will_end"]
    assert engine.advance() == 0 and inbox.take() == []
    # at the trial's end: the first paid period, at the first-period amount
    _move_to(engine, datetime.fromtimestamp(sub.trial_end, UTC))
    assert engine.advance() == 1
    paid, updated = inbox.take()
    assert paid.event_type == "invoice.paid" and paid.invoice is not None
    assert (paid.invoice.billing_reason, paid.invoice.amount_paid, paid.invoice.status) == (
        "subscription_create", 1_500, "paid")
    assert paid.invoice.period_start == sub.trial_end
    assert paid.invoice.invoice_id.startswith("in_") and paid.invoice.currency == "USD"
    assert updated.event_type == "customer.subscription.updated"
    assert updated.subscription is not None and updated.subscription.status == "active"
    assert updated.subscription.current_period_start == sub.trial_end
    assert [(i.amount, i.status) for i in _intents(session)] == [(1_500, "succeeded")]


def test_without_a_trial_the_first_period_is_paid_at_once(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session) -> None:
    sub = engine.create_subscription(_request())
    assert sub.status == "active" and sub.card_last4 == "4242"
    assert sub.latest_invoice is not None and sub.latest_invoice.status == "paid"
    paid, created = inbox.take()
    assert paid.event_type == "invoice.paid" and paid.invoice is not None
    assert paid.invoice.billing_reason == "subscription_create"
    assert paid.invoice.subscription_id == sub.subscription_id
    assert paid.invoice.metadata["subscription_id"] == "41"  # the app's id on invoices too
    assert created.event_type == "customer.subscription.created"
    assert created.subscription is not None and created.subscription.status == "active"
    assert created.subscription.metadata["subscription_id"] == "41"
    assert [(i.amount, i.status) for i in _intents(session)] == [(1_500, "succeeded")]
    # the same email is the same customer
    other = engine.create_subscription(_request("sub-2", email=" LEE@example.com"))
    assert other.customer_id == sub.customer_id


def test_a_declined_first_payment_leaves_the_subscription_incomplete(
        engine: SandboxSubscriptions, inbox: Inbox) -> None:
    sub = engine.create_subscription(_request(card=DECLINE_CARD))
    assert sub.status == "incomplete" and sub.latest_invoice is not None
    assert (sub.latest_invoice.failure_code, sub.latest_invoice.failure_message) == \
        DECLINES[DECLINE_CARD]
    failed, created = inbox.take()
    assert failed.event_type == "invoice.payment_failed"
    assert failed.failure_code == "insufficient_funds"
    assert created.subscription is not None and created.subscription.status == "incomplete"
    # an incomplete first invoice is not retried by the engine
    engine.move_clock(10 * DAY)
    assert engine.advance() == 0
    # a new card pays it
    fixed = engine.update_payment_method(sub.subscription_id, SUCCESS_CARD)
    assert fixed.status == "active" and inbox.types() == ["invoice.paid",
                                                          "customer.subscription.updated"]


def test_three_d_secure_on_the_first_invoice_approved(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session) -> None:
    sub = engine.create_subscription(_request(card=CHALLENGE_CARD))
    assert sub.status == "incomplete" and sub.intent_status is IntentStatus.REQUIRES_ACTION
    assert sub.client_secret.startswith(sub.intent_id) and sub.intent_id.startswith("sbpi_")
    assert inbox.types() == ["invoice.payment_action_required", "customer.subscription.created"]
    done = engine.complete_challenge(subscription_id=sub.subscription_id, approve=True)
    assert done.status == "active" and done.latest_invoice is not None
    assert done.latest_invoice.amount_paid == 1_500
    paid, updated = inbox.take()
    assert paid.event_type == "invoice.paid" and updated.subscription is not None
    assert updated.subscription.status == "active"
    assert [(i.amount, i.status) for i in _intents(session)] == [(1_500, "succeeded")]
    with pytest.raises(ProcessorError) as refused:
        engine.complete_challenge(subscription_id=sub.subscription_id, approve=True)
    assert refused.value.code == "subscription_unexpected_state"


def test_three_d_secure_failed_stays_incomplete(
        engine: SandboxSubscriptions, inbox: Inbox) -> None:
    sub = engine.create_subscription(_request(card=CHALLENGE_CARD))
    inbox.take()
    failed = engine.complete_challenge(subscription_id=sub.subscription_id, approve=False)
    assert failed.status == "incomplete" and failed.latest_invoice is not None
    assert failed.latest_invoice.failure_code == "authentication_failed"
    [event] = inbox.take()
    assert event.event_type == "invoice.payment_failed"
    assert event.failure_code == "authentication_failed"


def test_monthly_renewals_keep_the_anchor_day(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session) -> None:
    year = engine.now().year + 1
    _move_to(engine, datetime(year, 1, 31, 12, tzinfo=UTC))
    sub = engine.create_subscription(_request())
    assert (_day(sub.current_period_start), _day(sub.current_period_end)) == (
        f"{year}-01-31", f"{year}-02-28")
    inbox.take()
    ends = []
    for _ in range(2):
        _move_to(engine, datetime.fromtimestamp(engine.retrieve_subscription(
            sub.subscription_id).current_period_end, UTC))
        assert engine.advance() == 1
        paid, updated = inbox.take()
        assert paid.invoice is not None and paid.invoice.billing_reason == "subscription_cycle"
        assert paid.invoice.amount_paid == 2_000  # the every-period amount after the first
        assert updated.subscription is not None and updated.subscription.status == "active"
        ends.append((_day(paid.invoice.period_start), _day(paid.invoice.period_end)))
    assert ends == [(f"{year}-02-28", f"{year}-03-31"), (f"{year}-03-31", f"{year}-04-30")]
    assert [i.amount for i in _intents(session)] == [1_500, 2_000, 2_000]


def test_a_declined_renewal_is_retried_on_the_retry_days_then_paid_with_a_new_card(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session) -> None:
    settings = get_settings()
    sub = engine.create_subscription(_request())
    engine.update_payment_method(sub.subscription_id, DECLINE_CARD)
    assert inbox.types()[-1] == "customer.subscription.updated"
    _move_to(engine, datetime.fromtimestamp(sub.current_period_end, UTC))
    assert engine.advance() == 1
    failed, updated = inbox.take()
    assert failed.event_type == "invoice.payment_failed" and failed.invoice is not None
    assert updated.subscription is not None and updated.subscription.status == "past_due"
    first_failure = datetime.fromtimestamp(failed.created, UTC)
    retries = retry_times(first_failure, settings.subscription_grace_days,
                          settings.subscription_retry_days)
    assert retries, "the settings give at least one retry"
    assert failed.invoice.attempt_count == 1
    assert failed.invoice.next_payment_attempt == int(retries[0].timestamp())
    assert engine.advance() == 0  # not before the retry day
    for n, retry in enumerate(retries, start=2):
        _move_to(engine, retry)
        assert engine.advance() == 1
        failed, updated = inbox.take()
        assert failed.invoice is not None and failed.invoice.attempt_count == n
        expected = int(retries[n - 1].timestamp()) if n - 1 < len(retries) else 0
        assert failed.invoice.next_payment_attempt == expected
        assert updated.subscription is not None and updated.subscription.status == "past_due"
    # after the last retry nothing more is tried: the app decides when grace ends
    engine.move_clock(3 * DAY)
    assert engine.advance() == 0 and inbox.take() == []
    assert len(_intents(session)) == 2 + len(retries)
    unpaid = engine.retrieve_subscription(sub.subscription_id)
    assert unpaid.status == "past_due" and unpaid.latest_invoice is not None
    assert (unpaid.latest_invoice.status, unpaid.latest_invoice.next_payment_attempt) == ("open", 0)
    # a new card pays the open invoice at once
    fixed = engine.update_payment_method(sub.subscription_id, SUCCESS_CARD)
    assert fixed.status == "active" and fixed.card_last4 == "4242"
    paid, updated = inbox.take()
    assert paid.event_type == "invoice.paid" and paid.invoice is not None
    assert paid.invoice.invoice_id == unpaid.latest_invoice.invoice_id
    assert paid.invoice.attempt_count == len(retries) + 2
    assert updated.subscription is not None and updated.subscription.status == "active"
    assert sum(i.amount for i in _intents(session) if i.status == "succeeded") == 3_500


def test_cancel_at_period_end_ends_it_then_and_undo_keeps_it(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session) -> None:
    sub = engine.create_subscription(_request())
    kept = engine.create_subscription(_request("sub-2"))
    inbox.take()
    ending = engine.cancel_subscription(sub.subscription_id, at_period_end=True)
    assert ending.cancel_at_period_end and ending.status == "active"
    engine.cancel_subscription(kept.subscription_id, at_period_end=True)
    engine.undo_cancel(kept.subscription_id)
    assert inbox.types() == ["customer.subscription.updated"] * 3
    assert engine.advance() == 0
    _move_to(engine, datetime.fromtimestamp(sub.current_period_end, UTC))
    assert engine.advance() == 2
    events = inbox.take()
    deleted = [e for e in events if e.event_type == "customer.subscription.deleted"]
    assert len(deleted) == 1 and deleted[0].subscription is not None
    assert deleted[0].subscription.subscription_id == sub.subscription_id
    assert deleted[0].subscription.status == "canceled"
    assert deleted[0].subscription.canceled_at == sub.current_period_end
    # only the kept one renewed
    assert [i.amount for i in _intents(session)] == [1_500, 1_500, 2_000]
    with pytest.raises(ProcessorError) as refused:
        engine.undo_cancel(sub.subscription_id)
    assert refused.value.code == "subscription_unexpected_state"


def test_cancel_now(engine: SandboxSubscriptions, inbox: Inbox) -> None:
    sub = engine.create_subscription(_request())
    inbox.take()
    ended = engine.cancel_subscription(sub.subscription_id, at_period_end=False)
    assert ended.status == "canceled" and ended.canceled_at > 0
    [deleted] = inbox.take()
    assert deleted.event_type == "customer.subscription.deleted"
    engine.move_clock(40 * DAY)
    assert engine.advance() == 0
    with pytest.raises(ProcessorError) as refused:
        engine.cancel_subscription(sub.subscription_id, at_period_end=False)
    assert refused.value.code == "subscription_unexpected_state"
    with pytest.raises(ProcessorError) as missing:
        engine.pause_subscription("sbsub_nope")
    assert missing.value.code == "resource_missing"


def test_nothing_renews_while_paused_and_resume_moves_the_period_end(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session) -> None:
    sub = engine.create_subscription(_request())
    inbox.take()
    paused = engine.pause_subscription(sub.subscription_id)
    assert paused.status == "paused" and paused.paused
    [event] = inbox.take()
    assert event.subscription is not None and event.subscription.paused
    engine.move_clock(45 * DAY)
    assert engine.advance() == 0 and inbox.take() == [] and len(_intents(session)) == 1
    with pytest.raises(ProcessorError):
        engine.change_amount(sub.subscription_id, amount=1, charge_now=0, idempotency_key="x")
    new_end = sub.current_period_end + 45 * DAY
    resumed = engine.resume_subscription(sub.subscription_id, period_end=new_end)
    assert (resumed.status, resumed.current_period_end, resumed.paused) == (
        "active", new_end, False)
    assert inbox.types() == ["customer.subscription.updated"]
    assert engine.advance() == 0
    _move_to(engine, datetime.fromtimestamp(new_end, UTC))
    assert engine.advance() == 1
    paid, _ = inbox.take()
    assert paid.invoice is not None and paid.invoice.period_start == new_end


def test_an_upgrade_charges_now_once_and_the_new_amount_from_the_next_period(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session) -> None:
    sub = engine.create_subscription(_request())
    inbox.take()
    upgraded = engine.change_amount(sub.subscription_id, amount=3_000, charge_now=420,
                                    idempotency_key="upgrade-1")
    assert upgraded.status == "active"
    paid, updated = inbox.take()
    assert paid.event_type == "invoice.paid" and paid.invoice is not None
    assert (paid.invoice.billing_reason, paid.invoice.amount_paid) == ("subscription_update",
                                                                       420)
    assert paid.invoice.period_end == sub.current_period_end
    assert updated.event_type == "customer.subscription.updated"
    # the same key again: nothing new
    engine.change_amount(sub.subscription_id, amount=3_000, charge_now=420,
                         idempotency_key="upgrade-1")
    assert inbox.take() == [] and [i.amount for i in _intents(session)] == [1_500, 420]
    _move_to(engine, datetime.fromtimestamp(sub.current_period_end, UTC))
    engine.advance()
    assert [i.amount for i in _intents(session)] == [1_500, 420, 3_000]


def test_a_declined_upgrade_charge_reports_the_failure(
        engine: SandboxSubscriptions, inbox: Inbox) -> None:
    sub = engine.create_subscription(_request())
    engine.update_payment_method(sub.subscription_id, "4000000000000002")
    inbox.take()
    after = engine.change_amount(sub.subscription_id, amount=3_000, charge_now=420,
                                 idempotency_key="upgrade-1")
    assert after.status == "past_due"
    failed, _ = inbox.take()
    assert failed.event_type == "invoice.payment_failed" and failed.failure_code == "card_declined"


def test_a_repeated_create_returns_the_same_subscription_and_charges_nothing(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session) -> None:
    first = engine.create_subscription(_request())
    inbox.take()
    again = engine.create_subscription(_request())
    assert again.subscription_id == first.subscription_id and again.status == "active"
    assert inbox.take() == []
    assert session.exec(select(func.count()).select_from(SandboxIntent)).one() == 1


def test_a_crash_between_charging_and_recording_never_charges_twice(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    record = SandboxSubscriptions._record
    crashes = {"left": 1}

    def crashing(self: SandboxSubscriptions, *args: object) -> object:
        if crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("the process died")
        return record(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(SandboxSubscriptions, "_record", crashing)
    # the first invoice: charged, then the crash; the same create finishes it
    with pytest.raises(RuntimeError):
        engine.create_subscription(_request())
    assert [(i.amount, i.status) for i in _intents(session)] == [(1_500, "succeeded")]
    sub = engine.create_subscription(_request())
    assert sub.status == "active"
    assert inbox.types() == ["invoice.paid", "customer.subscription.created"]
    assert len(_intents(session)) == 1
    # a renewal: charged, then the crash; the next run reuses the same intent
    crashes["left"] = 1
    _move_to(engine, datetime.fromtimestamp(sub.current_period_end, UTC))
    with pytest.raises(RuntimeError):
        engine.advance()
    assert [i.amount for i in _intents(session)] == [1_500, 2_000]
    assert engine.advance() == 1
    assert inbox.types() == ["invoice.paid", "customer.subscription.updated"]
    assert engine.advance() == 0
    intents = _intents(session)
    assert [(i.amount, i.status) for i in intents] == [(1_500, "succeeded"),
                                                       (2_000, "succeeded")]
    assert intents[1].idempotency_key.endswith(":1")


def test_the_test_clock_moves_forward_only_and_never_in_production(
        engine: SandboxSubscriptions, monkeypatch: pytest.MonkeyPatch) -> None:
    before = engine.now()
    assert engine.move_clock(DAY) >= before + timedelta(days=1)
    with pytest.raises(ProcessorError) as backwards:
        engine.move_clock(-1)
    assert backwards.value.code == "test_clock_backwards"
    production = get_settings().model_copy(update={"env": "production"})
    monkeypatch.setattr(engine_module, "get_settings", lambda: production)
    with pytest.raises(ProcessorError) as refused:
        engine.move_clock(DAY)
    assert refused.value.code == "test_clock_refused"
    assert engine.now() < before + timedelta(days=2)


def test_two_engines_advancing_at_once_charge_each_renewal_once(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session) -> None:
    subs = [engine.create_subscription(_request(f"sub-{n}")) for n in range(4)]
    inbox.take()
    _move_to(engine, datetime.fromtimestamp(max(s.current_period_end for s in subs), UTC))
    other = Inbox()
    engines = [engine, SandboxSubscriptions(webhook_secret=SECRET, deliver=other)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(runner: SandboxSubscriptions) -> None:
        try:
            start.wait(5)
            runner.advance()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    events = inbox.take() + other.take()
    assert sorted(e.event_type for e in events) == (["customer.subscription.updated"] * 4
                                                    + ["invoice.paid"] * 4)
    assert sorted(i.amount for i in _intents(session)) == [1_500] * 4 + [2_000] * 4


def test_a_new_interval_applies_from_the_period_end_or_restarts_the_period_now(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session) -> None:
    year = engine.now().year + 1
    _move_to(engine, datetime(year, 3, 15, 12, tzinfo=UTC))
    later = engine.create_subscription(_request())
    now = engine.create_subscription(_request("sub-2"))
    inbox.take()
    # a downgrade to quarterly: the next period is three months long, from the period end
    engine.change_amount(later.subscription_id, amount=5_000, charge_now=0,
                         idempotency_key="q", interval="quarterly")
    assert inbox.types() == ["customer.subscription.updated"]
    # an upgrade to annual, restarting the period now, paid by the proration invoice
    restarted = engine.change_amount(now.subscription_id, amount=20_000, charge_now=18_500,
                                     idempotency_key="a", interval="annual",
                                     restart_period=True)
    paid, updated = inbox.take()
    assert paid.invoice is not None and paid.invoice.billing_reason == "subscription_update"
    assert (_day(paid.invoice.period_start), _day(paid.invoice.period_end)) == (
        f"{year}-03-15", f"{year + 1}-03-15")
    assert (restarted.current_period_start, restarted.current_period_end) == (
        paid.invoice.period_start, paid.invoice.period_end)
    assert updated.subscription is not None
    assert updated.subscription.raw["items"]["data"][0]["price"]["recurring"] == {
        "interval": "year", "interval_count": 1}
    _move_to(engine, datetime.fromtimestamp(later.current_period_end, UTC))
    assert engine.advance() == 1  # only the quarterly one is due
    paid, _ = inbox.take()
    assert paid.invoice is not None and paid.invoice.amount_paid == 5_000
    assert (_day(paid.invoice.period_start), _day(paid.invoice.period_end)) == (
        f"{year}-04-15", f"{year}-07-15")
    with pytest.raises(ProcessorError) as refused:
        engine.change_amount(later.subscription_id, amount=1, charge_now=0,
                             idempotency_key="w", interval="weekly")
    assert refused.value.code == "invalid_request"


def test_one_advance_over_several_decision_chunks_renews_each_once_in_due_order(
        engine: SandboxSubscriptions, inbox: Inbox, session: Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(billing_module, "_CHUNK", 2)  # 5 due subscriptions: 3 chunks
    subs = [engine.create_subscription(_request(f"chunk-{n}", email=f"c{n}@example.com"))
            for n in range(5)]
    engine.update_payment_method(subs[3].subscription_id, DECLINE_CARD)
    inbox.take()
    _move_to(engine, datetime.fromtimestamp(max(s.current_period_end for s in subs), UTC))
    assert engine.advance() == 5
    events = inbox.take()
    # each subscription's two events in turn, longest due first (then by id)
    due = sorted(subs, key=lambda s: (s.current_period_end, s.subscription_id))
    assert [(e.raw["data"]["object"].get("subscription") or e.raw["data"]["object"]["id"],
             e.event_type) for e in events] == [
        pair for s in due for pair in (
            (s.subscription_id, "invoice.payment_failed" if s is subs[3] else "invoice.paid"),
            (s.subscription_id, "customer.subscription.updated"))]
    # the events carry each charge as the sandbox has it, without reading it back
    rows = {i.id: i for i in _intents(session)}
    for event in events[::2]:
        payment = event.raw["data"]["object"]["payment_intent"]
        row = rows[payment["id"]]
        assert (payment["status"], payment["amount"], payment["client_secret"]) == (
            row.status, row.amount, row.client_secret)
        assert (payment["last_payment_error"] or {}).get("code", "") == row.failure_code
    declined = events[2 * due.index(subs[3])].raw["data"]["object"]["payment_intent"]
    assert rows[declined["id"]].failure_code
    assert sorted(i.amount for i in rows.values()) == [1_500] * 5 + [2_000] * 5
    assert engine.advance() == 0 and inbox.take() == []
