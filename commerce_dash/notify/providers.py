"""Email providers: SMTP, a directory of .eml files (development), and SendGrid.

Each provider sends one message and returns the provider's id for it, or raises
``DeliveryError`` saying whether a retry can help. The outbox job decides what to do next.
"""

from __future__ import annotations

import base64
import re
import smtplib
import ssl
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Protocol

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.retry import is_permanent_http_failure
from commerce_dash.notify.message import EmailMessage, recipient_address, to_mime
from commerce_dash.outbox import DeliveryError
from commerce_dash.settings import ConfigurationError, Settings, get_settings

SENDGRID_DEFAULT_HOST = "https://api.sendgrid.com"
SENDGRID_TIMEOUT_SECONDS = 20
DEDUPE_HEADER = "X-Dedupe-Key"


class EmailProvider(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Send ``message``; return the provider's message id or raise ``DeliveryError``."""
        ...


class SmtpProvider:
    """Hands messages to an SMTP server (a relay or the provider's SMTP endpoint)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_ssl:
            return smtplib.SMTP_SSL(
                s.smtp_host,
                s.smtp_port,
                timeout=s.smtp_timeout_seconds,
                context=ssl.create_default_context(),
            )
        client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        if s.smtp_starttls:
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: EmailMessage) -> str:
        mime = to_mime(message, self.settings.email_from)
        try:
            with self._connect() as client:
                if self.settings.smtp_username:
                    client.login(
                        self.settings.smtp_username, self.settings.smtp_password.get_secret_value()
                    )
                refused = client.send_message(mime)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refusal(exc.recipients) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            # The server judged this message (size, content, sender): 5xx will not change.
            raise DeliveryError(
                f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Our credentials, not the message: retry once an operator fixes them.
            raise DeliveryError(f"SMTP login failed ({exc.smtp_code})", permanent=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP unavailable: {exc}", permanent=False) from exc
        if refused:
            raise _refusal(refused)
        return str(mime["Message-ID"])


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _refusal(recipients: dict[str, tuple[int, bytes]]) -> DeliveryError:
    details = "; ".join(
        f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in recipients.items()
    )
    permanent = all(code >= 500 for code, _ in recipients.values())
    return DeliveryError(f"SMTP refused recipient: {details}", permanent=permanent)


class FileProvider:
    """Writes each message as ``<dir>/<timestamp>-<subject slug>.eml`` (development, demos)."""

    def __init__(self, settings: Settings | None = None, directory: Path | None = None) -> None:
        self.settings = settings or get_settings()
        self.directory = Path(directory or self.settings.email_file_dir)

    def send(self, message: EmailMessage) -> str:
        mime = to_mime(message, self.settings.email_from)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
        slug = re.sub(r"[^a-z0-9]+", "-", message.subject.lower()).strip("-")[:60] or "email"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for n in range(100):
                suffix = f"-{n}" if n else ""
                path = self.directory / f"{stamp}-{slug}{suffix}.eml"
                try:
                    with path.open("xb") as handle:
                        handle.write(mime.as_bytes())
                    break
                except FileExistsError:
                    continue
            else:
                raise DeliveryError(f"no free file name for {slug}", permanent=False)
        except OSError as exc:
            raise DeliveryError(f"cannot write {self.directory}: {exc}", permanent=False) from exc
        return str(mime["Message-ID"])


class SendGridProvider:
    """Sends through the SendGrid v3 mail API with the official client."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        if not self.settings.sendgrid_api_key.get_secret_value():
            raise ConfigurationError("COMMERCE_SENDGRID_API_KEY is required for SendGrid")

    def build_mail(self, message: EmailMessage) -> Any:
        """The SendGrid ``Mail`` object for ``message``."""
        from sendgrid.helpers import mail as sg

        sender_name, sender_addr = parseaddr(self.settings.email_from)
        to = recipient_address(message)
        mail = sg.Mail(
            from_email=sg.Email(sender_addr, sender_name or None),
            to_emails=sg.To(to.addr_spec, to.display_name or None),
            subject=message.subject,
            plain_text_content=message.text,
            html_content=message.html,
        )
        for attachment in message.attachments:
            mail.add_attachment(
                sg.Attachment(
                    sg.FileContent(base64.b64encode(attachment.data).decode("ascii")),
                    sg.FileName(attachment.filename),
                    sg.FileType(attachment.content_type),
                    sg.Disposition("attachment"),
                )
            )
        for name, value in message.headers.items():
            mail.add_header(sg.Header(name, value))
        if DEDUPE_HEADER in message.headers:
            # Event webhooks echo custom args, which ties a bounce back to the outbox row.
            mail.add_custom_arg(sg.CustomArg("dedupe_key", message.headers[DEDUPE_HEADER]))
        return mail

    def send(self, message: EmailMessage) -> str:
        import sendgrid
        from python_http_client.exceptions import HTTPError

        client = sendgrid.SendGridAPIClient(
            api_key=self.settings.sendgrid_api_key.get_secret_value(),
            host=self.settings.sendgrid_api_host or SENDGRID_DEFAULT_HOST,
        )
        client.client.timeout = SENDGRID_TIMEOUT_SECONDS
        try:
            response = client.send(self.build_mail(message))
        except HTTPError as exc:
            status = int(exc.status_code)
            raise DeliveryError(
                f"SendGrid answered {status}: {_text(exc.body)[:500]}",
                permanent=is_permanent_http_failure(status),
            ) from exc
        except OSError as exc:  # URLError, timeouts, refused connections
            raise DeliveryError(f"SendGrid unreachable: {exc}", permanent=False) from exc
        status = int(response.status_code)
        if not 200 <= status < 300:
            raise DeliveryError(
                f"SendGrid answered {status}", permanent=is_permanent_http_failure(status)
            )
        return str(response.headers.get("X-Message-Id") or "")


def email_provider(settings: Settings | None = None) -> EmailProvider:
    """The provider named by ``settings.email_provider``."""
    settings = settings or get_settings()
    providers: dict[str, type[SmtpProvider | FileProvider | SendGridProvider]] = {
        "smtp": SmtpProvider,
        "file": FileProvider,
        "sendgrid": SendGridProvider,
    }
    return providers[settings.email_provider](settings)
