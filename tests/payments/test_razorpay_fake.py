"""The Razorpay fake itself, driven by the official razorpay SDK."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from collections.abc import Iterator

import pytest
import razorpay
from razorpay.errors import BadRequestError, SignatureVerificationError

from tests.payments.conftest import LoopbackServer
from tests.payments.razorpay_fake import RazorpayFake

KEY_ID = "rzp_test_fakekey0001"
KEY_SECRET = "fake_key_secret_0001"
WEBHOOK_SECRET = "fake_webhook_secret_0001"


@pytest.fixture
def fake(loopback: LoopbackServer) -> Iterator[RazorpayFake]:
    with RazorpayFake(KEY_ID, KEY_SECRET, WEBHOOK_SECRET, loopback.url + "/hooks") as server:
        yield server


@pytest.fixture
def client(fake: RazorpayFake) -> razorpay.Client:
    return razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=fake.base_url)


def _order(client: razorpay.Client, amount: int = 50_000, receipt: str = "r-1") -> dict:
    return client.order.create({"amount": amount, "currency": "INR", "receipt": receipt})


def test_create_fetch_and_list_orders(client: razorpay.Client, fake: RazorpayFake) -> None:
    order = _order(client, receipt="booking-42")
    assert order["id"].startswith("order_") and len(order["id"]) == 20
    assert order["status"] == "created"
    assert (order["amount_due"], order["amount_paid"], order["attempts"]) == (50_000, 0, 0)
    assert client.order.fetch(order["id"]) == order
    listed = client.order.all({"receipt": "booking-42"})
    assert listed["entity"] == "collection" and listed["items"] == [order]
    method, path, headers, body = fake.received[0]
    assert (method, path) == ("POST", "/v1/orders")
    assert json.loads(body)["receipt"] == "booking-42"
    assert headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"amount": 99, "currency": "INR"}, "atleast"),
        ({"amount": True, "currency": "INR"}, "integer"),
        ({"amount": 100.5, "currency": "INR"}, "integer"),
        ({"amount": 100, "currency": "XYZ"}, "not supported"),
        ({"amount": 100, "currency": "INR", "receipt": "x" * 41}, "40 characters"),
    ],
)
def test_invalid_orders_are_refused(client: razorpay.Client, body: dict, message: str) -> None:
    with pytest.raises(BadRequestError, match=message):
        client.order.create(body)


def test_wrong_credentials_are_refused(fake: RazorpayFake) -> None:
    bad = razorpay.Client(auth=(KEY_ID, "wrong"), base_url=fake.base_url)
    with pytest.raises(BadRequestError, match="Authentication failed"):
        bad.order.all()
    request = urllib.request.Request(fake.base_url + "/v1/orders")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 401
    assert json.loads(caught.value.read())["error"]["code"] == "BAD_REQUEST_ERROR"


def test_pay_captures_signs_and_sends_webhooks(
    client: razorpay.Client, fake: RazorpayFake, loopback: LoopbackServer
) -> None:
    order = _order(client)
    paid = fake.pay(order["id"], method="upi")
    assert client.utility.verify_payment_signature(
        {
            key: paid[key]
            for key in ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")
        }
    )
    payment = client.payment.fetch(paid["razorpay_payment_id"])
    assert payment["status"] == "captured" and payment["captured"] is True
    assert payment["vpa"] and payment["method"] == "upi"
    assert (payment["fee"], payment["tax"]) == (1180, 180)  # 2 % of 50000 = 1000 + 18 % GST
    fetched_order = client.order.fetch(order["id"])
    assert (fetched_order["status"], fetched_order["amount_due"]) == ("paid", 0)
    assert client.order.payments(order["id"])["items"] == [payment]
    assert [w["event"] for w in fake.webhooks] == ["payment.captured", "order.paid"]
    assert [w["delivered_status"] for w in fake.webhooks] == [200, 200]
    for sent, record in zip(loopback.requests, fake.webhooks, strict=True):
        client.utility.verify_webhook_signature(
            sent.body.decode(), sent.headers["X-Razorpay-Signature"], WEBHOOK_SECRET
        )
        assert sent.headers["X-Razorpay-Event-Id"] == record["event_id"]
    envelope = loopback.requests[1].json()
    assert envelope["contains"] == ["payment", "order"]
    assert envelope["payload"]["order"]["entity"]["status"] == "paid"
    with pytest.raises(Exception, match="already been paid"):
        fake.pay(order["id"])


def test_partial_then_full_refund_and_over_refund(
    client: razorpay.Client, fake: RazorpayFake
) -> None:
    payment_id = fake.pay(_order(client)["id"])["razorpay_payment_id"]
    first = client.payment.refund(payment_id, {"amount": 20_000, "notes": {"why": "partial"}})
    assert first["id"].startswith("rfnd_") and first["status"] == "processed"
    assert client.payment.fetch(payment_id)["refund_status"] == "partial"
    with pytest.raises(BadRequestError, match="greater than amount captured"):
        client.payment.refund(payment_id, {"amount": 30_001})
    client.payment.refund(payment_id, {})  # default: the rest
    payment = client.payment.fetch(payment_id)
    assert (payment["status"], payment["refund_status"], payment["amount_refunded"]) == (
        "refunded",
        "full",
        50_000,
    )
    assert len(client.payment.fetch_multiple_refund(payment_id)["items"]) == 2
    fake.wait_for_webhooks(timeout=10)
    refunds = [w for w in fake.webhooks if w["event"] == "refund.processed"]
    assert len(refunds) == 2 and all(w["delivered_status"] == 200 for w in refunds)


def test_failed_and_authorized_payments(client: razorpay.Client, fake: RazorpayFake) -> None:
    order = _order(client)
    failed = fake.pay(order["id"], outcome="failed", deliver_webhooks=False)["payment"]
    assert failed["status"] == "failed" and failed["error_reason"] == "payment_failed"
    assert failed["fee"] is None
    assert client.order.fetch(order["id"])["status"] == "attempted"
    with pytest.raises(BadRequestError, match="captured payments"):
        client.payment.refund(failed["id"], {"amount": 100})
    authorized = fake.pay(order["id"], outcome="authorized", deliver_webhooks=False)["payment"]
    with pytest.raises(BadRequestError, match="equal to the amount authorized"):
        client.payment.capture(authorized["id"], 100, {"currency": "INR"})
    captured = client.payment.capture(authorized["id"], 50_000, {"currency": "INR"})
    assert captured["status"] == "captured" and captured["fee"] == 1180
    with pytest.raises(BadRequestError, match="already been captured"):
        client.payment.capture(authorized["id"], 50_000, {"currency": "INR"})
    fake.wait_for_webhooks(timeout=10)
    assert [w["event"] for w in fake.webhooks] == [
        "payment.failed",
        "payment.authorized",
        "payment.captured",
        "order.paid",
    ]
    assert [w["delivered_status"] for w in fake.webhooks][:2] == [None, None]


def test_http_control_routes_and_checkout_js(
    client: razorpay.Client, fake: RazorpayFake, loopback: LoopbackServer
) -> None:
    order = _order(client)

    def call(path: str, body: dict | None = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            fake.base_url + path, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            return json.loads(response.read())

    paid = call(
        "/_fake/pay", {"order_id": order["id"], "method": "card", "deliver_webhooks": False}
    )
    expected = hmac.new(
        KEY_SECRET.encode(), f"{order['id']}|{paid['razorpay_payment_id']}".encode(), hashlib.sha256
    ).hexdigest()
    assert paid["razorpay_signature"] == expected
    hooks = call("/_fake/webhooks")
    assert [h["delivered_status"] for h in hooks] == [None, None]
    assert call("/_fake/webhooks/redeliver", {"index": 1})["delivered_status"] == 200
    assert loopback.requests[0].body.decode() == hooks[1]["body"]
    preflight = urllib.request.Request(fake.base_url + "/_fake/pay", method="OPTIONS")
    with urllib.request.urlopen(preflight, timeout=5) as response:
        assert response.status == 204
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
    with urllib.request.urlopen(fake.base_url + "/v1/checkout.js", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("application/javascript")
        assert b"window.Razorpay" in response.read()


def test_signed_webhook_matches_sdk_verification(
    client: razorpay.Client, fake: RazorpayFake
) -> None:
    body, headers = fake.signed_webhook("payment.captured", {"payment": {"entity": {"id": "x"}}})
    assert headers["Content-Type"] == "application/json"
    assert client.utility.verify_webhook_signature(
        body.decode(), headers["X-Razorpay-Signature"], WEBHOOK_SECRET
    )
    with pytest.raises(SignatureVerificationError):
        client.utility.verify_webhook_signature(
            body.decode() + " ", headers["X-Razorpay-Signature"], WEBHOOK_SECRET
        )
    assert json.loads(body)["contains"] == ["payment"]
