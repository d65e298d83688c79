"""Emails queued in the outbox reach a real SMTP server intact; refusals are classified."""

from __future__ import annotations

import email
import email.policy
import hashlib

import pytest
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.models.catalog import Course
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.notify.message import Attachment, EmailMessage
from commerce_dash.notify.outbox_email import deliver_email_payload, queue_email
from commerce_dash.notify.providers import SmtpProvider
from commerce_dash.outbox import DeliveryError
from commerce_dash.services.commerce.email_previews import preview_context
from commerce_dash.settings import Settings
from tests.notify.doubles import SmtpServer, free_port


def smtp_settings(port: int) -> Settings:
    return Settings(
        email_provider="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_timeout_seconds=5,
        email_from="Commerce Dash <no-reply@commerce.test>",
    )


def test_certificate_email_reaches_the_learner_with_its_pdf(
    session: Session,
    ada: Actor,
    priced_course: Course,
    smtp_server: SmtpServer,
    certificate_pdf: bytes,
) -> None:
    # given a certificate email queued with the PDF in the caller's transaction
    context = preview_context(session, "certificate-earned")
    queued = queue_email(
        session=session,
        template="certificate-earned",
        context=context,
        to="Ada Lovelace <ada@example.com>",
        dedupe_key="certificate:42",
        attachments=(Attachment("certificate.pdf", "application/pdf", certificate_pdf),),
    )
    session.commit()
    assert queued is not None
    row = session.exec(select(OutboxMessage).where(OutboxMessage.topic == "email")).one()

    # when the delivery job sends its payload over SMTP
    message_id = deliver_email_payload(
        row.payload or {}, SmtpProvider(smtp_settings(smtp_server.port))
    )

    # then the server received one message Ada can read, with the PDF intact
    [envelope] = smtp_server.handler.envelopes
    assert envelope.rcpt_tos == ["ada@example.com"]
    assert envelope.mail_from == "no-reply@commerce.test"
    assert isinstance(envelope.content, bytes)
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert received["To"] == "Ada Lovelace <ada@example.com>"
    # A long subject is folded onto its own line; Python's parser keeps the fold's blank
    # where mail clients drop it.
    assert received["Subject"].strip() == (
        "Congratulations: you earned your certificate for Data Engineering Basics"
    )
    assert received["Message-ID"] == message_id
    assert received["X-Dedupe-Key"] == "certificate:42"
    assert received["Date"] is not None
    parts = {part.get_content_type(): part for part in received.walk()}
    assert "Data Engineering Basics" in parts["text/plain"].get_content()
    assert "Hello Ada Lovelace," in parts["text/html"].get_content()
    pdf = parts["application/pdf"]
    assert pdf.get_filename() == "certificate.pdf"
    assert hashlib.sha256(pdf.get_content()).hexdigest() == (
        hashlib.sha256(certificate_pdf).hexdigest()
    )


def test_the_same_dedupe_key_is_queued_once(
    session: Session, ada: Actor, priced_course: Course
) -> None:
    # given a welcome email already queued for an enrollment
    context = preview_context(session, "enrollment-welcome")
    first = queue_email(
        session=session,
        template="enrollment-welcome",
        context=context,
        to="ada@example.com",
        dedupe_key="enrollment:7:welcome",
    )

    # when it is queued again
    again = queue_email(
        session=session,
        template="enrollment-welcome",
        context=context,
        to="ada@example.com",
        dedupe_key="enrollment:7:welcome",
    )
    session.commit()

    # then one message waits in the outbox
    assert first is not None and again is None
    rows = session.exec(select(OutboxMessage)).all()
    assert [(r.payload or {}).get("subject") for r in rows] == [
        "Welcome to Data Engineering Basics"
    ]


def test_a_refused_recipient_is_a_permanent_failure(smtp_server: SmtpServer) -> None:
    # given a server that does not know the recipient
    smtp_server.handler.refuse.add("ghost@example.com")
    message = EmailMessage("ghost@example.com", "Hi", "text", "<p>html</p>")

    # when the message is sent
    with pytest.raises(DeliveryError) as caught:
        SmtpProvider(smtp_settings(smtp_server.port)).send(message)

    # then it will not be retried, and nothing was delivered
    assert caught.value.permanent is True
    assert "550 no such user" in str(caught.value)
    assert smtp_server.handler.envelopes == []


def test_an_unreachable_server_is_retried_later() -> None:
    # given no server listening on the port
    message = EmailMessage("ada@example.com", "Hi", "text", "<p>html</p>")

    # when the message is sent
    with pytest.raises(DeliveryError) as caught:
        SmtpProvider(smtp_settings(free_port())).send(message)

    # then a retry may succeed
    assert caught.value.permanent is False
