"""The learner's certificates (/account/certificates): download the PDF, copy the public link,
open the public page; ``my_certificates_card`` shows the latest ones on the account page.
"""

from __future__ import annotations

from typing import cast

import reflex as rx
from reflex.vars import ObjectVar, Var

from commerce_dash import routes
from commerce_dash.components.badges import row_status_badge, status_fields
from commerce_dash.components.catalog_card import loading_panel
from commerce_dash.components.certificate_buttons import (
    download_button,
    public_page_button,
    share_button,
)
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import (
    action_row,
    back_link,
    browse_catalog_button,
    button_group,
    card_column,
    card_title,
    empty_card,
    icon_link_button,
    responsive_row,
    soft_link_button,
)
from commerce_dash.db import session_scope
from commerce_dash.domain.dates import display_day
from commerce_dash.domain.errors import DomainError
from commerce_dash.routes import verify_href
from commerce_dash.services import learning as learning_area
from commerce_dash.state.auth import AuthState

LATEST_ON_ACCOUNT = 3


def certificate_row(c: learning_area.LearnerCertificate) -> dict[str, str]:
    return {
        "id": str(c.id),
        "number": c.number,
        "title": c.item_title,
        "certificate_title": c.title,
        "kind_label": "Program" if c.kind == "program" else "Course",
        "issued": display_day(c.issued_on),
        "verify_url": c.verify_url,
        "public_href": verify_href(c.number),
        "download_url": c.download_url,
        **status_fields("status", c.status),
    }


class MyCertificatesState(AuthState):
    loaded: rx.Field[bool] = rx.field(False)
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    @rx.var
    def latest(self) -> list[dict[str, str]]:
        return self.rows[:LATEST_ON_ACCOUNT]

    def _fetch(self, user_id: int):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                found = learning_area.list_for_learner(session=session, user_id=user_id)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.rows = [certificate_row(c) for c in found]
        self.loaded = True
        return None

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.load_session()
        actor = self.current_actor() if self.signed_in else None
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={routes.MY_CERTIFICATES}")
        return self._fetch(actor.user_id)

    @rx.event
    def load_card(self):  # type: ignore[no-untyped-def]
        """For the account page, whose own load already sends visitors to sign in."""
        actor = self.current_actor()
        if actor is None:
            self.rows, self.loaded = [], False
            return None
        return self._fetch(actor.user_id)


# -- components ------------------------------------------------------------------------------


def _certificate_item(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.card(
        responsive_row(
            rx.hstack(
                rx.icon("award", size=28, color=rx.color("accent", 9), flex_shrink="0"),
                rx.vstack(
                    rx.text(row["title"], weight="bold", size="3", class_name="certificate-title"),
                    rx.hstack(
                        rx.badge(row["kind_label"], variant="outline", size="1"),
                        rx.text(row["certificate_title"], size="1", color_scheme="gray"),
                        spacing="2",
                        align="center",
                        wrap="wrap",
                    ),
                    rx.text(
                        rx.code(row["number"], variant="ghost", class_name="certificate-number"),
                        " · issued ",
                        row["issued"],
                        size="2",
                        color_scheme="gray",
                    ),
                    spacing="1",
                    min_width="0",
                ),
                row_status_badge(row, "certificate-status"),
                spacing="3",
                align="start",
                flex="1",
                min_width="0",
            ),
            button_group(
                download_button(row["download_url"]),
                share_button(row["verify_url"]),
                public_page_button(row["public_href"]),
            ),
            at="md",
            gap="3",
            narrow_align="stretch",
        ),
        width="100%",
        class_name="my-certificate",
        data_number=row["number"],
        data_status=row["status"],
    )


def _no_certificates() -> rx.Component:
    return empty_card(
        "no-certificates",
        "award",
        "No certificates yet",
        "Finish a course and its certificate appears here, ready to download and "
        "share. Your progress is on your account page.",
        action_row(
            icon_link_button("book-open", "Go to my courses", routes.ACCOUNT),
            browse_catalog_button(variant="soft"),
        ),
        width="100%",
    )


def my_certificates_page() -> rx.Component:
    s = MyCertificatesState
    return store_page(
        back_link("My account", routes.ACCOUNT),
        rx.heading("My certificates", size="6"),
        rx.text(
            "Anyone with the share link can check that a certificate is genuine.",
            color_scheme="gray",
            size="2",
        ),
        rx.cond(
            s.loaded,
            rx.cond(
                s.rows.length() > 0,
                rx.vstack(
                    rx.foreach(s.rows, _certificate_item),
                    spacing="3",
                    width="100%",
                    id="my-certificates",
                ),
                _no_certificates(),
            ),
            loading_panel(),
        ),
    )


def _latest_item(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return responsive_row(
        rx.hstack(
            rx.icon("award", size=16, color=rx.color("accent", 9), flex_shrink="0"),
            rx.link(row["title"], href=row["public_href"], weight="medium"),
            align="center",
            min_width="0",
        ),
        rx.spacer(display=rx.breakpoints(initial="none", sm="block")),
        rx.hstack(
            row_status_badge(row, "certificate-status"),
            rx.text(row["issued"], size="1", color_scheme="gray", white_space="nowrap"),
            download_button(row["download_url"], size="1"),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        class_name="my-certificate-latest",
    )


def my_certificates_card() -> rx.Component:
    """The latest certificates on the account page, with a link to all of them."""
    s = MyCertificatesState
    return card_column(
        card_title(
            "My certificates",
            soft_link_button(
                "award", "All certificates", routes.MY_CERTIFICATES, id="all-certificates"
            ),
        ),
        rx.cond(
            s.rows.length() == 0,
            rx.text(
                "Certificates you earn by finishing courses and programs appear here.",
                size="2",
                color_scheme="gray",
            ),
            rx.vstack(
                rx.foreach(cast(Var[list[dict[str, str]]], s.latest), _latest_item),
                spacing="3",
                width="100%",
            ),
        ),
        id="my-certificates-card",
    )
