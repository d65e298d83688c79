"""An email as plain data, its MIME form, and its JSON form for the outbox payload."""

from __future__ import annotations

import base64
import email.message
import email.policy
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from commerce_dash.domain.clock import utcnow

# 7-bit output: non-ASCII headers are RFC 2047 encoded and bodies quoted-printable, so any
# relay accepts the message; it also folds long subjects without a leading blank.
MIME_POLICY = email.policy.default.clone(cte_type="7bit")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "application/pdf"
    data: bytes


@dataclass(frozen=True)
class EmailMessage:
    """A rendered email to one recipient; ``headers`` are extra headers such as X-Dedupe-Key."""

    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)


def _sender_domain(sender: str) -> str | None:
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2]
    return domain or None


def to_mime(message: EmailMessage, sender: str) -> email.message.EmailMessage:
    """The message as MIME: text and HTML alternatives, then each attachment as its own part.

    A ``Message-ID`` header in ``message.headers`` is kept (so a resend keeps its id);
    otherwise one is generated.
    """
    mime = email.message.EmailMessage(policy=MIME_POLICY)
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(utcnow())
    extra = dict(message.headers)
    mime["Message-ID"] = extra.pop("Message-ID", None) or make_msgid(domain=_sender_domain(sender))
    for name, value in extra.items():
        mime[name] = value
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        mime.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return mime


def recipient_address(message: EmailMessage) -> Address:
    """The recipient as an address (display name and mailbox)."""
    name, addr = parseaddr(message.to)
    if "@" not in addr:
        raise ValueError(f"not an email address: {message.to!r}")
    return Address(display_name=name, addr_spec=addr)


def message_to_payload(message: EmailMessage) -> dict[str, Any]:
    """A JSON-able dict (attachments base64) that ``message_from_payload`` turns back."""
    return {
        "to": message.to,
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
        "headers": dict(message.headers),
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "data_base64": base64.b64encode(a.data).decode("ascii"),
            }
            for a in message.attachments
        ],
    }


def message_from_payload(payload: Mapping[str, Any]) -> EmailMessage:
    """The message stored by ``message_to_payload``; raises ValueError on a malformed payload."""
    try:
        attachments = tuple(
            Attachment(
                filename=str(a["filename"]),
                content_type=str(a["content_type"]),
                data=base64.b64decode(a["data_base64"], validate=True),
            )
            for a in payload.get("attachments", ())
        )
        return EmailMessage(
            to=str(payload["to"]),
            subject=str(payload["subject"]),
            text=str(payload["text"]),
            html=str(payload["html"]),
            attachments=attachments,
            headers={str(k): str(v) for k, v in dict(payload.get("headers", {})).items()},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed email payload: {exc!r}") from exc
