"""Public certificate verification (/verify and /verify/[number]): anyone holding a number
sees whether it is valid, revoked or expired, with only the fields the service makes public.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.backend_url import api_href
from commerce_dash.components.badges import status_color
from commerce_dash.components.certificate_buttons import download_button, share_button
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import icon_label_button, page_intro
from commerce_dash.db import session_scope
from commerce_dash.domain.certificate_numbers import normalise_number
from commerce_dash.domain.certificate_status import Verification
from commerce_dash.domain.dates import display_day
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.routes import verify_href
from commerce_dash.services import learning as learning_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.route_args import route_number

EXAMPLE_NUMBER = "CERT-2025-XXXXXXXXXXX"
RATE_LIMITED_TITLE = "Too many lookups; try again in a minute."
DELETED_HOLDER_TEXT = (
    "Held by a deleted account: the certificate was issued, the holder's name is no longer "
    "shown."
)

# status -> heading; the heading text is what tests and people read first.
STATUS_HEADINGS: dict[Verification, str] = {
    Verification.VALID: "Valid",
    Verification.REVOKED: "Revoked",
    Verification.EXPIRED: "Expired",
    Verification.NOT_FOUND: "Not found",
}



def _expiry_line(result: learning_area.VerificationResult) -> str:
    """How long the certificate holds, said the same way whatever its status."""
    if result.status is Verification.REVOKED:
        return "No longer valid: revoked"
    if result.status is Verification.EXPIRED:
        return f"Expired on {display_day(result.expires_on)}"
    if result.expires_on:
        return f"Valid until {display_day(result.expires_on)}"
    return "Does not expire"


def _hours(hours: float | None) -> str:
    if not hours:
        return ""
    shown = f"{hours:g}"
    return f"{shown} hour" if shown == "1" else f"{shown} hours"


def _sentence(result: learning_area.VerificationResult) -> str:
    if result.status is Verification.VALID:
        return "This certificate is valid."
    if result.status is Verification.REVOKED:
        when = display_day(result.revoked_on)
        return (
            f"This certificate was revoked on {when}."
            if when
            else ("This certificate was revoked.")
        )
    if result.status is Verification.EXPIRED:
        return f"This certificate expired on {display_day(result.expires_on)}."
    return "No certificate has this number. Check it was typed exactly as printed."


def verification_view(result: learning_area.VerificationResult) -> dict[str, str]:
    """What the result card shows, as the plain strings a state var holds."""
    heading, color = STATUS_HEADINGS[result.status], status_color(result.status.value)
    found = result.status is not Verification.NOT_FOUND
    return {
        "status": result.status.value,
        "heading": heading,
        "color": color,
        "sentence": _sentence(result),
        "number": result.number,
        "recipient": result.recipient_name,
        "certificate_title": result.title,
        "kind_label": "Program" if result.kind == "program" else "Course",
        "item_title": result.item_title,
        "department": result.department,
        "completed_on": display_day(result.completed_on),
        "issued_on": display_day(result.issued_on),
        "expires_on": display_day(result.expires_on),
        "revoked_category": result.revoked_category,
        "issuer": result.issuer,
        "issuer_logo": result.issuer_logo,
        "description": result.description,
        "hours": _hours(result.hours),
        "expiry": _expiry_line(result) if found else "",
        "holder_deleted": DELETED_HOLDER_TEXT if result.holder_deleted else "",
        "share_url": learning_area.verification_url(result.number) if found else "",
        "linkedin_url": result.linkedin_url(),
        "download_url": "",  # set only for the holder (VerifyState._lookup)
    }


class VerifyState(AuthState):
    # idle (no number in the address) | loading | done | error
    phase: rx.Field[str] = rx.field("idle")
    result: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    searched: rx.Field[str] = rx.field("")  # the number in the address, as typed
    error_title: rx.Field[str] = rx.field("")
    error_message: rx.Field[str] = rx.field("")

    def _lookup(self, number: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                found = learning_area.verify(
                    session=session, number=number, client=self._client_ip()
                )
            actor = self.current_actor() if found.holder_id else None
        except DomainError as exc:
            self.phase, self.result = "error", {}
            if exc.kind is ErrorKind.RATE_LIMITED:
                self.error_title, self.error_message = RATE_LIMITED_TITLE, exc.message
                return rx.toast.warning(f"Too many lookups. {exc.message}")
            self.error_title, self.error_message = "The lookup did not work", exc.message
            return rx.toast.error(exc.message)
        view = verification_view(found)
        if actor is not None and actor.user_id == found.holder_id and not found.holder_deleted:
            view["download_url"] = learning_area.download_path(found.certificate_id)
        self.result = view
        self.phase = "done"
        return None

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        number = route_number(self, routes.VERIFY)
        self.searched = number
        self.error_title = self.error_message = ""
        if not number:
            self.phase, self.result = "idle", {}
            return
        if normalise_number(number) != self.result.get("number"):
            self.phase = "loading"  # never show another number's result under this address
            yield
        yield self._lookup(number)

    @rx.event
    def search(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        number = normalise_number(str(form.get("number", "")))
        if not number:
            return rx.toast.error(
                f"Type the number printed on the certificate, like {EXAMPLE_NUMBER}."
            )
        if number == normalise_number(route_number(self, routes.VERIFY)):
            # Same address: the router would not load the page again, so look it up here.
            return self._lookup(number)
        return rx.redirect(verify_href(number))


# -- components ------------------------------------------------------------------------------


def _search_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                name="number",
                id="verify-input",
                placeholder=EXAMPLE_NUMBER,
                default_value=VerifyState.searched,
                # remount when the address changes, so the box shows the number looked up
                key=VerifyState.searched,
                auto_complete="off",
                spell_check=False,
                aria_label="Certificate number",
                size="3",
                width="100%",
            ),
            icon_label_button(
                "shield-check",
                "Verify",
                type="submit",
                size="3",
                id="verify-submit",
                loading=VerifyState.phase == "loading",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            gap="2",
            width="100%",
        ),
        on_submit=VerifyState.search,
        reset_on_submit=False,
        width="100%",
    )


def _status_icon() -> rx.Component:
    r = VerifyState.result
    return rx.match(
        r["status"],
        ("valid", rx.icon("circle-check", size=40, color=rx.color("green", 9))),
        ("revoked", rx.icon("circle-x", size=40, color=rx.color("red", 9))),
        ("expired", rx.icon("clock-alert", size=40, color=rx.color("amber", 9))),
        rx.icon("search-x", size=40, color=rx.color("gray", 9)),
    )


def _detail(label: Any, value: Any, element_id: str = "") -> rx.Component:
    extra = {"id": element_id} if element_id else {}
    return rx.cond(
        value != "",
        rx.data_list.item(
            rx.data_list.label(label, min_width="9em"),
            rx.data_list.value(rx.text(value, weight="medium", **extra)),
        ),
    )


def _issuer() -> rx.Component:
    r = VerifyState.result
    return rx.hstack(
        rx.cond(
            r["issuer_logo"] != "",
            rx.image(src=api_href(r["issuer_logo"]), alt=r["issuer"].to(str) + " logo",
                     height="48px", width="auto", max_width="160px", object_fit="contain",
                     id="verify-issuer-logo"),
            rx.icon("landmark", size=32, color=rx.color("accent", 9), aria_hidden="true"),
        ),
        rx.vstack(
            rx.text("Issued by", size="1", color_scheme="gray"),
            rx.text(r["issuer"], size="4", weight="bold", id="verify-issuer"),
            spacing="0",
        ),
        align="center",
        spacing="3",
    )


def _actions() -> rx.Component:
    """Share for anyone; LinkedIn while valid; the PDF for its holder only."""
    r = VerifyState.result
    return rx.flex(
        share_button(r["share_url"].to(str)),
        rx.cond(
            r["linkedin_url"] != "",
            rx.el.a(
                rx.button(rx.icon("briefcase-business", size=14), "Add to LinkedIn profile",
                          variant="soft", color_scheme="blue"),
                href=r["linkedin_url"],
                target="_blank",
                rel="noopener noreferrer",
                id="verify-linkedin",
            ),
        ),
        rx.cond(
            r["download_url"] != "",
            rx.box(download_button(r["download_url"].to(str)), id="verify-download"),
        ),
        gap="2",
        wrap="wrap",
        id="verify-actions",
    )


def _result_card() -> rx.Component:
    r = VerifyState.result
    color = r["color"].to(str)
    found = r["status"] != "not_found"
    details = rx.data_list.root(
        rx.cond(
            found,
            rx.fragment(
                _detail("Recipient", r["recipient"], "verify-recipient"),
                _detail("Recipient", r["holder_deleted"], "verify-holder-deleted"),
                _detail(r["kind_label"], r["item_title"], "verify-title"),
                _detail("Certificate", r["certificate_title"]),
                _detail("Completed", r["completed_on"]),
                _detail("Issued", r["issued_on"]),
                _detail("Validity", r["expiry"], "verify-expiry"),
                _detail("Learning time", r["hours"], "verify-hours"),
                _detail("Reason revoked", r["revoked_category"], "verify-revoked-reason"),
            ),
        ),
        _detail("Number", r["number"], "verify-number"),
        orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
        size="2",
        width="100%",
    )
    return rx.card(
        rx.vstack(
            rx.hstack(
                _status_icon(),
                rx.vstack(
                    rx.heading(r["heading"], size="6", color_scheme=color, id="verify-status"),  # type: ignore[arg-type]
                    rx.text(r["sentence"], size="3", id="verify-sentence"),
                    spacing="1",
                ),
                align="center",
                spacing="4",
            ),
            rx.divider(),
            rx.cond(found, _issuer()),
            rx.cond(
                r["description"] != "",
                rx.text(r["description"], size="2", color_scheme="gray",
                        id="verify-description"),
            ),
            details,
            rx.cond(found, _actions()),
            spacing="4",
            width="100%",
        ),
        width="100%",
        size="3",
        border_top=f"4px solid var(--{color}-9)",
        id="verify-result",
        data_status=r["status"],
    )


def _error_panel() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle-alert")),
        rx.vstack(
            rx.text(VerifyState.error_title, weight="bold", size="2"),
            rx.text(VerifyState.error_message, size="2"),
            spacing="1",
        ),
        color_scheme="amber",
        role="alert",
        width="100%",
        id="verify-error",
    )


def _idle_hint() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon("qr-code", size=28, color=rx.color("accent", 9)),
            rx.text(
                "Every certificate carries its number (",
                rx.code(EXAMPLE_NUMBER),
                ") and a QR code that opens this page. Type the number exactly as printed "
                "to see who earned it and whether it is still valid.",
                size="2",
                color_scheme="gray",
            ),
            spacing="3",
            align="center",
        ),
        width="100%",
        id="verify-hint",
    )


def verify_page() -> rx.Component:
    """The same page answers /verify (search only) and /verify/[number] (the result)."""
    return store_page(
        page_intro(
            "Verify a certificate",
            "Check that a certificate was issued by us and is still valid. No account needed.",
            title_size="7",
            spacing="1",
            width="100%",
        ),
        _search_form(),
        rx.match(
            VerifyState.phase,
            ("done", _result_card()),
            ("error", _error_panel()),
            ("loading", rx.center(rx.spinner(size="3"), padding="3em", width="100%")),
            _idle_hint(),
        ),
        spacing="5",
        max_width="680px",
        margin="0 auto",
        padding_top=rx.breakpoints(initial="0.5em", sm="2em"),
        minimal=True,  # no shop in the header: this page is the certificate's, not the store's
    )
