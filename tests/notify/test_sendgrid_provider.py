"""The SendGrid provider posts the full message to the API and classifies its answers."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from pydantic import SecretStr

from commerce_dash.notify.message import Attachment, EmailMessage
from commerce_dash.notify.providers import SendGridProvider, email_provider
from commerce_dash.outbox import DeliveryError
from commerce_dash.settings import ConfigurationError, Settings
from tests.notify.doubles import HttpReceiver

PDF = b"%PDF-1.4 tiny"


def a_message() -> EmailMessage:
    return EmailMessage(
        to="Ada Lovelace <ada@example.com>",
        subject="Your order ORD-1001 is confirmed",
        text="Total paid: $129.00",
        html="<p>Total paid: <strong>$129.00</strong></p>",
        attachments=(Attachment("receipt.pdf", "application/pdf", PDF),),
        headers={"X-Dedupe-Key": "order:1001:confirmation"},
    )


def provider_for(receiver: HttpReceiver) -> SendGridProvider:
    return SendGridProvider(
        Settings(
            sendgrid_api_key=SecretStr("SG.test"),
            sendgrid_api_host=receiver.url,
            email_from="Commerce Dash <no-reply@commerce.test>",
        )
    )


def test_sendgrid_receives_the_whole_message(
    http_receiver: Callable[[int], HttpReceiver],
) -> None:
    # given the API accepts the message
    receiver = http_receiver(202)

    # when it is sent
    message_id = provider_for(receiver).send(a_message())

    # then the API saw sender, recipient, subject, both bodies and the attachment
    assert message_id == "sg-msg-123"
    [request] = receiver.requests
    assert request["path"] == "/v3/mail/send"
    assert request["headers"]["Authorization"] == "Bearer SG.test"
    body = request["json"]
    assert body["from"] == {"email": "no-reply@commerce.test", "name": "Commerce Dash"}
    [personalization] = body["personalizations"]
    assert personalization["to"] == [{"email": "ada@example.com", "name": "Ada Lovelace"}]
    assert body["subject"] == "Your order ORD-1001 is confirmed"
    contents = {c["type"]: c["value"] for c in body["content"]}
    assert contents["text/plain"] == "Total paid: $129.00"
    assert contents["text/html"] == "<p>Total paid: <strong>$129.00</strong></p>"
    [attachment] = body["attachments"]
    assert attachment["filename"] == "receipt.pdf"
    assert attachment["type"] == "application/pdf"
    assert base64.b64decode(attachment["content"]) == PDF
    assert body["headers"] == {"X-Dedupe-Key": "order:1001:confirmation"}
    assert body["custom_args"] == {"dedupe_key": "order:1001:confirmation"}


def test_a_rejected_request_is_permanent(http_receiver: Callable[[int], HttpReceiver]) -> None:
    # given the API answers 400 Bad Request
    receiver = http_receiver(400)

    # when the message is sent
    with pytest.raises(DeliveryError) as caught:
        provider_for(receiver).send(a_message())

    # then retrying will not help
    assert caught.value.permanent is True
    assert "400" in str(caught.value)


def test_an_unavailable_api_is_retried(http_receiver: Callable[[int], HttpReceiver]) -> None:
    # given the API answers 503 Service Unavailable
    receiver = http_receiver(503)

    # when the message is sent
    with pytest.raises(DeliveryError) as caught:
        provider_for(receiver).send(a_message())

    # then a later attempt may succeed
    assert caught.value.permanent is False


def test_sendgrid_needs_an_api_key() -> None:
    with pytest.raises(ConfigurationError, match="SENDGRID_API_KEY"):
        email_provider(Settings(email_provider="sendgrid", sendgrid_api_key=SecretStr("")))
