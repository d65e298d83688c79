"""The built-in sandbox processor: test mode with no network, the default without a Stripe key.

It keeps its intents in its own tables, takes test card numbers (below), shows a 3-D Secure
challenge page for the challenge card, and reports every outcome as a signed webhook event
that goes through the same webhook route as Stripe's. Real card numbers are refused: it
never charges anyone.

The test cards and the card checks are ``payments.sandbox_cards`` (re-exported here).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.db import for_update, session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.commerce import SandboxIntent, SandboxRefund
from commerce_dash.payments.base import (
    CreateIntent,
    IntentResult,
    IntentStatus,
    ProcessorError,
    RefundRequest,
    RefundResult,
    WebhookEvent,
    WebhookSignatureError,
)
from commerce_dash.payments.events import stripe_shaped_event
from commerce_dash.payments.sandbox_cards import (
    CHALLENGE_CARD,
    DECLINES,
    SUCCESS_CARD,
    TEST_CARDS,
    CardInput,
    card_error,
    luhn_ok,
)

__all__ = ["CHALLENGE_CARD", "DECLINES", "SUCCESS_CARD", "TEST_CARDS", "CardInput",
           "SandboxProcessor", "SignedEvent", "luhn_ok"]

SIGNATURE_HEADER = "sandbox-signature"
TOLERANCE_SECONDS = 300

_STRIPE_LIKE_STATUS = {
    "requires_payment_method": IntentStatus.REQUIRES_PAYMENT,
    "requires_action": IntentStatus.REQUIRES_ACTION,
    "processing": IntentStatus.PROCESSING,
    "succeeded": IntentStatus.SUCCEEDED,
    "canceled": IntentStatus.CANCELED,
}
_EVENT_TYPES = {
    IntentStatus.SUCCEEDED: "payment_intent.succeeded",
    IntentStatus.FAILED: "payment_intent.payment_failed",
    IntentStatus.REQUIRES_ACTION: "payment_intent.requires_action",
    IntentStatus.CANCELED: "payment_intent.canceled",
}


@dataclass(frozen=True)
class SignedEvent:
    body: bytes
    headers: dict[str, str]



class SandboxProcessor:
    """Processor protocol over the sandbox tables. Each call runs its own short transaction."""

    name = "sandbox"

    def __init__(self, *, webhook_secret: str, challenge_url: str) -> None:
        self._secret = webhook_secret.encode()
        self._challenge_url = challenge_url.rstrip("/")

    # ------------------------------------------------------------ protocol

    def create_intent(self, request: CreateIntent) -> IntentResult:
        with session_scope() as session:
            # Insert first; the unique idempotency key turns a repeat into the earlier intent.
            token = secrets.token_hex(12)
            intent = SandboxIntent(
                id=f"sbpi_{token}", idempotency_key=request.idempotency_key,
                client_secret=f"sbpi_{token}_secret_{secrets.token_hex(12)}",
                amount=request.amount, currency=request.currency.upper(),
                meta={"order_id": str(request.order_id), "order_number": request.order_number,
                      **dict(request.metadata)},
            )
            session.add(intent)
            result = self._result(intent)
            try:
                session.commit()
            except IntegrityError:  # the key was used before: answer with that intent
                session.rollback()
                winner = session.exec(
                    select(SandboxIntent).where(
                        SandboxIntent.idempotency_key == request.idempotency_key
                    )
                ).one()
                return self._result(winner)
            return result

    def retrieve_intent(self, intent_id: str) -> IntentResult:
        with session_scope() as session:
            return self._result(self._get(session, intent_id))

    def confirm_intent(self, intent_id: str, payment_method: str) -> IntentResult:
        """Server-side confirm: ``payment_method`` is a test card number."""
        card = CardInput(payment_method, 12, date.today().year + 1, "123")
        result, _ = self.pay(intent_id=intent_id, client_secret=None, card=card)
        return result

    def cancel_intent(self, intent_id: str) -> IntentResult:
        with session_scope() as session:
            intent = self._get(session, intent_id, lock=True)
            if intent.status == "succeeded":
                raise ProcessorError("intent_unexpected_state",
                                     "This payment succeeded and can't be cancelled.")
            intent.status = "canceled"
            intent.updated_at = utcnow()
            session.add(intent)
            session.commit()
            session.refresh(intent)
            return self._result(intent)

    def refund(self, request: RefundRequest) -> RefundResult:
        with session_scope() as session:
            done = session.exec(
                select(SandboxRefund).where(SandboxRefund.idempotency_key == request.idempotency_key)
            ).first()
            if done is not None:
                return RefundResult(done.id, done.amount, "succeeded", {"id": done.id})
            intent = self._get(session, request.intent_id, lock=True)
            if intent.status != "succeeded":
                raise ProcessorError("charge_not_captured", "Only a paid intent can be refunded.")
            if request.amount <= 0 or intent.amount_refunded + request.amount > intent.amount:
                raise ProcessorError("amount_too_large",
                                     "The refund is more than what is left to refund.")
            refund = SandboxRefund(
                id=f"sbre_{secrets.token_hex(12)}", intent_id=intent.id,
                idempotency_key=request.idempotency_key, amount=request.amount,
                reason=request.reason[:300],
            )
            intent.amount_refunded += request.amount
            intent.updated_at = utcnow()
            session.add(refund)
            session.add(intent)
            try:
                session.commit()
            except IntegrityError:  # the same key at the same moment: that refund is the one
                session.rollback()
                winner = session.exec(select(SandboxRefund).where(
                    SandboxRefund.idempotency_key == request.idempotency_key)).one()
                return RefundResult(winner.id, winner.amount, "succeeded", {"id": winner.id})
            return RefundResult(refund.id, refund.amount, "succeeded",
                                {"id": refund.id, "amount": refund.amount})

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        header = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER, "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        try:
            stamp = int(parts.get("t", ""))
        except ValueError:
            raise WebhookSignatureError("Missing or malformed signature header") from None
        if abs(time.time() - stamp) > TOLERANCE_SECONDS:
            raise WebhookSignatureError("Signature timestamp outside the tolerance")
        expected = self._sign(stamp, body)
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise WebhookSignatureError("Signature does not match")
        try:
            event = json.loads(body)
        except ValueError as exc:
            raise WebhookSignatureError(f"Malformed event body: {exc}") from None
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            raise WebhookSignatureError("Malformed event body: not an event")
        return stripe_shaped_event(event)

    # ------------------------------------------------------------ the card form

    def pay(
        self, *, intent_id: str, client_secret: str | None, card: CardInput
    ) -> tuple[IntentResult, SignedEvent | None]:
        """The learner submits a card; returns the intent and the webhook event it emits."""
        with session_scope() as session:
            intent = self._get(session, intent_id, lock=True)
            if client_secret is not None and not hmac.compare_digest(
                client_secret, intent.client_secret
            ):
                raise ProcessorError("invalid_client_secret", "This payment link is not valid.")
            if intent.status in ("succeeded", "canceled"):
                raise ProcessorError("payment_intent_unexpected_state",
                                     f"This payment is already {intent.status}.")
            number = card.number.replace(" ", "").replace("-", "")
            problem = card_error(card, date.today())
            if problem is None and number != SUCCESS_CARD and number != CHALLENGE_CARD:
                problem = DECLINES.get(
                    number, ("card_declined", "Use a sandbox test card: this is test mode and "
                             "real cards are never charged.")
                )
            intent.card_last4 = number[-4:] if number.isascii() and number.isdigit() else ""
            intent.updated_at = utcnow()
            if problem is not None:
                intent.status = "requires_payment_method"
                intent.failure_code, intent.failure_message = problem
                status = IntentStatus.FAILED
            elif number == CHALLENGE_CARD:
                intent.status = "requires_action"
                intent.failure_code = intent.failure_message = ""
                status = IntentStatus.REQUIRES_ACTION
            else:
                intent.status = "succeeded"
                intent.failure_code = intent.failure_message = ""
                status = IntentStatus.SUCCEEDED
            session.add(intent)
            answer = self._result(intent), self._event(intent, status)
            session.commit()
            return answer

    def complete_challenge(
        self, *, intent_id: str, approve: bool
    ) -> tuple[IntentResult, SignedEvent | None]:
        """The 3-D Secure page: the learner approves (succeeds) or fails authentication."""
        with session_scope() as session:
            intent = self._get(session, intent_id, lock=True)
            if intent.status != "requires_action":
                raise ProcessorError("payment_intent_unexpected_state",
                                     "This payment is not waiting for authentication.")
            if approve:
                intent.status = "succeeded"
                status = IntentStatus.SUCCEEDED
            else:
                intent.status = "requires_payment_method"
                intent.failure_code = "authentication_failed"
                intent.failure_message = ("We couldn't authenticate your payment method. "
                                          "Choose another one and try again.")
                status = IntentStatus.FAILED
            intent.updated_at = utcnow()
            session.add(intent)
            answer = self._result(intent), self._event(intent, status)
            session.commit()
            return answer

    # ------------------------------------------------------------ the processor's side

    def refund_outside(self, *, intent_id: str, amount: int) -> SignedEvent:
        """A refund made in the processor's own dashboard, not through the app: its
        ``charge.refunded`` event (every refund of the charge so far, as Stripe lists them)."""
        with session_scope() as session:
            intent = self._get(session, intent_id, lock=True)
            if intent.status != "succeeded":
                raise ProcessorError("charge_not_captured", "Only a paid intent can be refunded.")
            if amount <= 0 or intent.amount_refunded + amount > intent.amount:
                raise ProcessorError("amount_too_large",
                                     "The refund is more than what is left to refund.")
            token = secrets.token_hex(12)
            session.add(SandboxRefund(id=f"sbre_{token}", intent_id=intent.id,
                                      idempotency_key=f"dashboard-{token}", amount=amount,
                                      reason="Refunded in the sandbox dashboard"))
            intent.amount_refunded += amount
            intent.updated_at = utcnow()
            session.add(intent)
            session.commit()
            refunds = session.exec(select(SandboxRefund).where(
                SandboxRefund.intent_id == intent.id).order_by(col(SandboxRefund.created_at))).all()
            charge = {**_charge(intent), "refunds": {"object": "list", "data": [
                {"id": r.id, "object": "refund", "amount": r.amount, "status": "succeeded",
                 "payment_intent": intent.id,
                 "metadata": ({"idempotency_key": r.idempotency_key}
                              if r.idempotency_key.startswith("refund-") else {})}
                for r in refunds]}}
            return self._signed("charge.refunded", charge)

    def dispute(self, *, intent_id: str, status: str, reason: str = "fraudulent",
                fee: int = 1500) -> SignedEvent:
        """A chargeback on the intent's charge: ``needs_response`` opens it
        (``charge.dispute.created``), ``won`` or ``lost`` closes it (``charge.dispute.closed``,
        a lost one carrying the processor's fee)."""
        with session_scope() as session:
            intent = self._get(session, intent_id)
            if intent.status != "succeeded":
                raise ProcessorError("charge_not_captured", "Only a paid charge can be disputed.")
            closing = status in ("won", "lost")
            dispute = {
                "id": f"dp_{intent.id.removeprefix('sbpi_')}", "object": "dispute",
                "charge": _charge(intent)["id"], "payment_intent": intent.id,
                "amount": intent.amount, "currency": intent.currency.lower(),
                "reason": reason, "status": status,
                "balance_transactions": [{"fee": fee}] if status != "won" else [],
            }
            return self._signed("charge.dispute.closed" if closing
                                else "charge.dispute.created", dispute)

    # ------------------------------------------------------------ internals

    def _get(self, session: Session, intent_id: str, *, lock: bool = False) -> SandboxIntent:
        query = select(SandboxIntent).where(SandboxIntent.id == intent_id)
        if lock:
            query = for_update(session, query)
        intent = session.exec(query).first()
        if intent is None:
            raise ProcessorError("resource_missing", f"No such payment intent: {intent_id}")
        return intent

    def _status(self, intent: SandboxIntent) -> IntentStatus:
        if intent.status == "requires_payment_method" and intent.failure_code:
            return IntentStatus.FAILED
        return _STRIPE_LIKE_STATUS.get(intent.status, IntentStatus.REQUIRES_PAYMENT)

    def _result(self, intent: SandboxIntent) -> IntentResult:
        status = self._status(intent)
        return IntentResult(
            intent_id=intent.id, status=status, amount=intent.amount, currency=intent.currency,
            client_secret=intent.client_secret,
            amount_received=intent.amount if status is IntentStatus.SUCCEEDED else 0,
            failure_code=intent.failure_code, failure_message=intent.failure_message,
            next_action_url=(f"{self._challenge_url}/{intent.id}"
                             if status is IntentStatus.REQUIRES_ACTION else ""),
            raw=_as_object(intent),
        )

    def _sign(self, stamp: int, body: bytes) -> str:
        return hmac.new(self._secret, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()

    def _event(self, intent: SandboxIntent, status: IntentStatus) -> SignedEvent | None:
        event_type = _EVENT_TYPES.get(status)
        if event_type is None:
            return None
        return self._signed(event_type, _as_object(intent))

    def _signed(self, event_type: str, obj: dict[str, Any]) -> SignedEvent:
        stamp = int(time.time())
        event = {"id": f"evt_sb_{secrets.token_hex(12)}", "type": event_type, "created": stamp,
                 "data": {"object": obj}}
        body = json.dumps(event, separators=(",", ":")).encode()
        header = f"t={stamp},v1={self._sign(stamp, body)}"
        return SignedEvent(body, {SIGNATURE_HEADER: header, "content-type": "application/json"})

    def sign_body(self, body: bytes, stamp: int | None = None) -> dict[str, str]:
        """Headers for a body signed with this sandbox's secret (tests, tools)."""
        stamp = int(time.time()) if stamp is None else stamp
        return {SIGNATURE_HEADER: f"t={stamp},v1={self._sign(stamp, body)}"}


def _charge(intent: SandboxIntent) -> dict[str, Any]:
    return {"id": f"ch_{intent.id.removeprefix('sbpi_')}", "object": "charge",
            "payment_intent": intent.id, "amount": intent.amount,
            "amount_refunded": intent.amount_refunded, "currency": intent.currency.lower()}


def _as_object(intent: SandboxIntent) -> dict[str, Any]:
    error = ({"code": intent.failure_code, "message": intent.failure_message}
             if intent.failure_code else None)
    return {
        "id": intent.id, "object": "payment_intent", "amount": intent.amount,
        "currency": intent.currency.lower(), "status": intent.status,
        "amount_received": intent.amount if intent.status == "succeeded" else 0,
        "amount_refunded": intent.amount_refunded, "metadata": intent.meta or {},
        "last_payment_error": error, "card_last4": intent.card_last4,
    }
