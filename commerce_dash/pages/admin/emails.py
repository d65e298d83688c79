"""Email template previews (super-admins): each transactional email rendered with sample data."""

from __future__ import annotations

import logging

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.admin_forms import link_button, note
from commerce_dash.components.cells import text_if
from commerce_dash.components.forms import form_error
from commerce_dash.components.shell import admin_shell
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.notify.message import EmailMessage
from commerce_dash.notify.render import TEMPLATES
from commerce_dash.services.commerce import preview
from commerce_dash.state.admin import AdminState

log = logging.getLogger(__name__)


def _attachment_label(message: EmailMessage) -> list[str]:
    return [f"{a.filename} ({a.content_type}, {len(a.data):,} bytes)" for a in message.attachments]


class EmailPreviewState(AdminState):
    template_names: list[str] = []
    template: str = ""
    sent_when: str = ""
    subject: str = ""
    recipient: str = ""
    html: str = ""
    text: str = ""
    attachments: list[str] = []
    error: str = ""

    def _render(self) -> None:
        self.subject = self.recipient = self.html = self.text = self.error = ""
        self.attachments = []
        self.sent_when = TEMPLATES[self.template].trigger
        try:
            with session_scope() as session:
                message = preview(session=session, name=self.template)
        except DomainError as exc:
            self.error = exc.message
            return
        except ValueError as exc:  # render_email names the missing context keys
            self.error = str(exc)
            return
        except Exception as exc:  # a broken template must show as a message, not break the page
            log.exception("preview of email template %s failed", self.template)
            self.error = f"The template could not be rendered: {type(exc).__name__}: {exc}"
            return
        self.subject, self.recipient = message.subject, message.to
        self.html, self.text = message.html, message.text
        self.attachments = _attachment_label(message)

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard("system") is None:
            return self.refused()
        self.template_names = list(TEMPLATES)
        if self.template not in TEMPLATES:
            self.template = self.template_names[0] if self.template_names else ""
        if self.template:
            self._render()
        return None

    @rx.event
    def choose(self, name: str):  # type: ignore[no-untyped-def]
        if self.guard("system") is None:
            return self.refused()
        if name not in TEMPLATES:
            self.error = f"There is no template named {name!r}."
            return None
        self.template = name
        self._render()
        return None


def _label(text: str) -> rx.Component:
    return rx.text(text, size="2", color_scheme="gray", min_width="90px")


def _text_part(text: rx.Var[str]) -> rx.Component:
    """The plain-text part as sent, line breaks kept."""
    return rx.el.pre(text, white_space="pre-wrap", font_size="13px", padding="1em",
                     background=rx.color("gray", 3), border_radius="6px", width="100%",
                     id="email-text")


def _preview() -> rx.Component:
    state = EmailPreviewState
    return rx.vstack(
        rx.hstack(
            _label("Subject"),
            rx.text(state.subject, weight="bold", id="email-subject"),
            width="100%",
        ),
        rx.hstack(_label("To"), rx.text(state.recipient, id="email-to"), width="100%"),
        rx.hstack(
            _label("Attachments"),
            rx.cond(
                state.attachments.length() > 0,
                rx.vstack(
                    rx.foreach(state.attachments, lambda a: rx.text(a, size="2")),
                    spacing="1",
                    id="email-attachments",
                ),
                note("none", size="2"),
            ),
            width="100%",
        ),
        rx.text("HTML part", size="2", weight="bold"),
        # The HTML is rendered from data; an empty sandbox lets it run nothing.
        rx.el.iframe(
            src_doc=state.html,
            sandbox="",
            width="100%",
            height="600px",
            title="HTML part",
            id="email-html",
            style={"border": f"1px solid {rx.color('gray', 5)}", "background": "white"},
        ),
        rx.text("Text part", size="2", weight="bold"),
        _text_part(state.text),
        spacing="3",
        width="100%",
    )


def emails_page() -> rx.Component:
    state = EmailPreviewState
    return admin_shell(
        "system",
        "Email templates",
        rx.hstack(
            rx.select.root(
                rx.select.trigger(placeholder="Choose a template", id="template-select",
                                  aria_label="Template"),
                rx.select.content(
                    rx.foreach(state.template_names, lambda n: rx.select.item(n, value=n))
                ),
                value=state.template,
                on_change=state.choose,
            ),
            text_if(state.sent_when, "Sent when ", state.sent_when, size="2", color_scheme="gray"),
            rx.spacer(),
            link_button("arrow-left", "System", routes.ADMIN_SYSTEM),
            align="center",
            spacing="3",
            width="100%",
            wrap="wrap",
        ),
        rx.card(
            rx.cond(
                state.error != "",
                form_error(state.error),
                rx.cond(
                    state.template != "",
                    _preview(),
                    rx.text("There are no email templates.", color_scheme="gray"),
                ),
            ),
            width="100%",
        ),
    )
