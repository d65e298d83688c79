"""What each processor needs from the environment, whether it has it, and a signed test
event for its webhook route (the processor screen). Secrets are read to check and sign,
never returned."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from commerce_dash.settings import Settings

# processors a billing admin may choose, in the order the screen lists them
CHOOSABLE = ("sandbox", "stripe", "razorpay", "square", "elavon")
# processors that can run subscriptions (their own billing schedule)
SUBSCRIPTION_PROCESSORS = frozenset({"sandbox", "stripe"})
LABELS = {"sandbox": "Sandbox (test cards)", "stripe": "Stripe", "razorpay": "Razorpay",
          "square": "Square", "elavon": "Elavon (Converge)"}
TEST_EVENT_TYPE = "commerce_dash.test_webhook"
# processors that send no webhooks: what the page learns from them is all there is
SILENT = frozenset({"elavon"})


@dataclass(frozen=True)
class ProcessorConfig:
    name: str
    label: str
    configured: bool  # every key it needs to take a payment is set
    missing: tuple[str, ...]  # the settings it still needs, by environment variable
    webhook_secret: bool  # its webhooks can be verified
    mode: str  # "test" | "live"
    sends_webhooks: bool = True


def _mode_by_prefix(key: str, live_prefix: str) -> str:
    return "live" if key.startswith(live_prefix) else "test"


def processor_config(name: str, settings: Settings) -> ProcessorConfig:
    """Which settings ``name`` has and lacks (names only), and its mode."""
    label = LABELS.get(name, name)
    if name == "sandbox":
        return ProcessorConfig(name, label, True, (), True, "test")
    if name == "stripe":
        key = settings.stripe_secret_key.get_secret_value()
        missing = tuple(env for env, value in (
            ("COMMERCE_STRIPE_SECRET_KEY", key),
            ("COMMERCE_STRIPE_PUBLISHABLE_KEY", settings.stripe_publishable_key)) if not value)
        return ProcessorConfig(name, label, not missing, missing,
                               bool(settings.stripe_webhook_secret.get_secret_value()),
                               _mode_by_prefix(key, "sk_live_"))
    if name == "razorpay":
        missing = tuple(env for env, value in (
            ("COMMERCE_RAZORPAY_KEY_ID", settings.razorpay_key_id),
            ("COMMERCE_RAZORPAY_KEY_SECRET", settings.razorpay_key_secret.get_secret_value()),
        ) if not value)
        return ProcessorConfig(name, label, not missing, missing,
                               bool(settings.razorpay_webhook_secret.get_secret_value()),
                               _mode_by_prefix(settings.razorpay_key_id, "rzp_live_"))
    if name == "square":
        missing = tuple(env for env, value in (
            ("COMMERCE_SQUARE_ACCESS_TOKEN", settings.square_access_token.get_secret_value()),
            ("COMMERCE_SQUARE_APPLICATION_ID", settings.square_application_id),
            ("COMMERCE_SQUARE_LOCATION_ID", settings.square_location_id)) if not value)
        sandbox = "squareupsandbox" in settings.square_api_base or \
            settings.square_application_id.startswith("sandbox-")
        return ProcessorConfig(name, label, not missing, missing,
                               bool(settings.square_webhook_signature_key.get_secret_value()),
                               "test" if sandbox else "live")
    if name == "elavon":
        missing = tuple(env for env, value in (
            ("COMMERCE_ELAVON_MERCHANT_ID", settings.elavon_merchant_id),
            ("COMMERCE_ELAVON_USER_ID", settings.elavon_user_id),
            ("COMMERCE_ELAVON_PIN", settings.elavon_pin.get_secret_value())) if not value)
        live = settings.elavon_api_host.rstrip("/") == "https://api.convergepay.com"
        return ProcessorConfig(name, label, not missing, missing, False,
                               "live" if live else "test", sends_webhooks=False)
    return ProcessorConfig(name, label, False, (f"unknown processor {name!r}",), False, "test")


def webhook_secret_setting(name: str) -> str:
    return {"stripe": "COMMERCE_STRIPE_WEBHOOK_SECRET",
            "razorpay": "COMMERCE_RAZORPAY_WEBHOOK_SECRET",
            "square": "COMMERCE_SQUARE_WEBHOOK_SIGNATURE_KEY",
            "sandbox": "COMMERCE_SANDBOX_WEBHOOK_SECRET"}.get(name, "")


# -- test events, signed as each processor signs its own -------------------------------------


def _stripe_scheme(secret: str) -> tuple[bytes, dict[str, str]]:
    stamp = int(time.time())
    body = json.dumps({"id": f"evt_test_{secrets.token_hex(12)}", "type": TEST_EVENT_TYPE,
                       "created": stamp, "object": "event", "data": {"object": {}}},
                      separators=(",", ":")).encode()
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + body,
                         hashlib.sha256).hexdigest()
    return body, {"t": str(stamp), "v1": signature}


def _stripe_event(settings: Settings, sandbox_secret: str) -> tuple[bytes, dict[str, str]]:
    body, parts = _stripe_scheme(settings.stripe_webhook_secret.get_secret_value())
    return body, {"Stripe-Signature": f"t={parts['t']},v1={parts['v1']}",
                  "Content-Type": "application/json"}


def _sandbox_event(settings: Settings, sandbox_secret: str) -> tuple[bytes, dict[str, str]]:
    body, parts = _stripe_scheme(sandbox_secret)
    return body, {"sandbox-signature": f"t={parts['t']},v1={parts['v1']}",
                  "Content-Type": "application/json"}


def _razorpay_event(settings: Settings, sandbox_secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"entity": "event", "account_id": "", "event": TEST_EVENT_TYPE,
                       "contains": [], "payload": {}, "created_at": int(time.time())},
                      separators=(",", ":")).encode()
    secret = settings.razorpay_webhook_secret.get_secret_value()
    return body, {"X-Razorpay-Signature": hmac.new(secret.encode(), body,
                                                   hashlib.sha256).hexdigest(),
                  "X-Razorpay-Event-Id": f"test_{secrets.token_hex(8)}",
                  "Content-Type": "application/json"}


def _square_event(settings: Settings, sandbox_secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"merchant_id": "", "type": TEST_EVENT_TYPE,
                       "event_id": f"test-{secrets.token_hex(8)}",
                       "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "data": {"type": "test", "id": "", "object": {}}},
                      separators=(",", ":")).encode()
    url = settings.square_webhook_url or \
        f"{settings.public_url.rstrip('/')}/api/v2/payments/webhook/square"
    key = settings.square_webhook_signature_key.get_secret_value()
    digest = hmac.new(key.encode(), url.encode() + body, hashlib.sha256).digest()
    return body, {"x-square-hmacsha256-signature": base64.b64encode(digest).decode(),
                  "Content-Type": "application/json"}


_TEST_EVENTS: dict[str, Callable[[Settings, str], tuple[bytes, dict[str, str]]]] = {
    "sandbox": _sandbox_event, "stripe": _stripe_event, "razorpay": _razorpay_event,
    "square": _square_event,
}


def signed_test_event(name: str, settings: Settings, sandbox_secret: str
                      ) -> tuple[bytes, dict[str, str]] | None:
    """A harmless event signed with the configured webhook secret as ``name`` signs its own
    (None: the processor sends no webhooks)."""
    build = _TEST_EVENTS.get(name)
    return build(settings, sandbox_secret) if build is not None else None
