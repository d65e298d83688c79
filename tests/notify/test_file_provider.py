"""Development mail lands as .eml files a mail client can open; payloads round-trip."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from commerce_dash.notify.message import (
    Attachment,
    EmailMessage,
    message_from_payload,
    message_to_payload,
)
from commerce_dash.notify.outbox_email import deliver_email_payload
from commerce_dash.notify.providers import FileProvider, email_provider
from commerce_dash.notify.render import render_email
from commerce_dash.settings import Settings


def test_file_provider_writes_an_eml_that_parses_back(tmp_path: Path) -> None:
    # given a refund approval and a mail directory that does not exist yet
    message = render_email(
        "refund-approved",
        {"user_name": "Ada", "order_number": "ORD-1001", "amount": "$45.50"},
        to="Ada <ada@example.com>",
    )
    directory = tmp_path / "mail" / "out"
    provider = email_provider(Settings(email_provider="file", email_file_dir=str(directory)))
    assert isinstance(provider, FileProvider)

    # when it is sent
    message_id = provider.send(message)

    # then one .eml named after the subject holds the message
    [path] = list(directory.glob("*.eml"))
    assert path.name.endswith("-your-refund-of-45-50-for-order-ord-1001-is-approved.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == message_id
    assert parsed["Subject"] == "Your refund of $45.50 for order ORD-1001 is approved"
    assert parsed["From"] == "Commerce Dash <no-reply@example.com>"
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and "Your refund of $45.50" in body.get_content()


def test_two_messages_in_the_same_instant_get_two_files(tmp_path: Path) -> None:
    provider = FileProvider(Settings(email_file_dir=str(tmp_path)))
    message = EmailMessage("ada@example.com", "Same subject", "text", "<p>html</p>")

    provider.send(message)
    provider.send(message)

    assert len(list(tmp_path.glob("*.eml"))) == 2


def test_payload_round_trip_keeps_attachment_bytes_and_headers(tmp_path: Path) -> None:
    # given a message with a binary attachment and a dedupe header
    message = EmailMessage(
        "ada@example.com",
        "Receipt",
        "text",
        "<p>html</p>",
        attachments=(Attachment("receipt.bin", "application/octet-stream", bytes(range(256))),),
        headers={"X-Dedupe-Key": "order:1:receipt"},
    )

    # when it is stored as an outbox payload and delivered from it
    payload = message_to_payload(message)
    deliver_email_payload(payload, FileProvider(Settings(email_file_dir=str(tmp_path))))

    # then the rebuilt message equals the original and the file carries the header
    assert message_from_payload(payload) == message
    [path] = list(tmp_path.glob("*.eml"))
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["X-Dedupe-Key"] == "order:1:receipt"
