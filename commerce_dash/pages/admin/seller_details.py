"""The seller's details printed on invoices and credit notes (billing admins, a card on the Tax
& currency settings page, issue 19): legal name, address, tax id, billing email. Saving is
validated (the message beside its field) and audited; invoices already issued keep the
details they were issued with.

The form is shown once the details are loaded, so its boxes start with what is saved.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash.components.admin_forms import note
from commerce_dash.components.forms import error_text, form_error
from commerce_dash.components.store_panels import card_title
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import load_card
from commerce_dash.state.service_call import as_admin

SECTION = "settings"
FIELDS = ("name", "address", "tax_id", "email")
NO_ERRORS = dict.fromkeys(FIELDS, "")  # every key present: the page reads each one


class SellerDetailsState(AdminState):
    seller: dict[str, str] = {}
    seller_errors: rx.Field[dict[str, str]] = rx.field(default_factory=lambda: dict(NO_ERRORS))
    seller_error: str = ""
    seller_loaded: bool = False
    seller_version: int = 0  # remounts the form with the saved values

    def _fetch(self) -> None:
        with session_scope() as session:
            self.seller = commerce_area.seller_details(session).as_dict()
        self.seller_loaded = True
        self.seller_version += 1

    @rx.event
    def load_seller(self):  # type: ignore[no-untyped-def]
        return load_card(self, SECTION, self._fetch)

    @rx.event
    def save_seller(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.seller_errors, self.seller_error = dict(NO_ERRORS), ""
        values = {name: str(form.get(f"seller_{name}", "") or "") for name in FIELDS}
        try:
            info = as_admin(self, commerce_area.save_seller_details, **values)
        except DomainError as exc:
            if exc.field in FIELDS:
                self.seller_errors = {**NO_ERRORS, exc.field: exc.message}
            else:
                self.seller_error = exc.message
            return None
        self.seller = info.as_dict()
        return rx.toast.success(f"Seller details saved: new invoices show {info.name}.")


S = SellerDetailsState


def _box(label: str, name: str, control: rx.Component, hint: str) -> rx.Component:
    return rx.vstack(
        rx.text(
            label,
            as_="label",
            custom_attrs={"htmlFor": f"seller_{name}"},
            size="2",
            weight="medium",
        ),
        control,
        rx.cond(
            S.seller_errors[name] != "",
            error_text(S.seller_errors[name], id=f"seller_{name}-error"),
            note(hint),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


def _input(label: str, name: str, hint: str, placeholder: str) -> rx.Component:
    return _box(
        label,
        name,
        rx.input(
            id=f"seller_{name}",
            name=f"seller_{name}",
            default_value=S.seller[name],
            placeholder=placeholder,
            width="100%",
        ),
        hint,
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                _input(
                    "Legal name", "name", "The seller as invoices name it.", "Example Learning Ltd"
                ),
                _input(
                    "Tax ID", "tax_id", "VAT, GST or EIN number; empty when none.", "GB123456789"
                ),
                _input(
                    "Billing email",
                    "email",
                    "Where buyers write about an invoice.",
                    "billing@example.com",
                ),
                columns=rx.breakpoints(initial="1", sm="3"),
                spacing="3",
                width="100%",
            ),
            _box(
                "Address",
                "address",
                rx.text_area(
                    id="seller_address",
                    name="seller_address",
                    default_value=S.seller["address"],
                    rows="3",
                    width="100%",
                    placeholder="1 Main Street\nSpringfield",
                ),
                "One line each; printed as written.",
            ),
            form_error(S.seller_error),
            rx.button("Save seller details", type="submit", id="seller-save"),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=S.save_seller,
        reset_on_submit=False,
        key=S.seller_version,
        width="100%",
    )


def seller_details_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            card_title("Seller on invoices"),
            note(
                "Printed on every new invoice and credit note; those already issued keep "
                "the details they were issued with.",
                size="2",
            ),
            rx.cond(S.seller_loaded, _form(), rx.skeleton(rx.box(height="8em"), width="100%")),
            spacing="3",
            width="100%",
        ),
        on_mount=S.load_seller,
        width="100%",
        id="seller-details-card",
    )
