"""Small storefront building blocks that many learner pages share: a page's title and lead,
the "back to ..." link,
the empty/not-found panel with what to do next, centred and wrapping button rows, the
full-width card column and its title row, the request row with its decision note, the row
that stacks on phones, the button with an icon before its label, and the main button of the
sign-in style forms.

One definition each keeps the pages looking alike and lets a wording or spacing change
happen in one place.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.tables import empty_state


def page_intro(
    title: str, lead: str, *, title_size: str, lead_size: str | None = None, **props: Any
) -> rx.Component:
    """A page's title with the grey sentence under it that says what the page is for;
    ``props`` (spacing, padding, width) go to their column."""
    lead_props = {"size": lead_size} if lead_size else {}
    return rx.vstack(
        rx.heading(title, size=title_size),  # type: ignore[arg-type]
        rx.text(lead, **lead_props, color_scheme="gray"),  # type: ignore[arg-type]
        **props,
    )


def back_link(label: str, href: Any) -> rx.Component:
    """The small arrow link above a page's heading that leads one level up."""
    return rx.link(
        rx.hstack(rx.icon("arrow-left", size=14), rx.text(label, size="2")),
        href=href,
    )


def action_row(*buttons: rx.Component) -> rx.Component:
    """Centred buttons under an empty panel; they wrap on narrow screens."""
    return rx.flex(*buttons, gap="2", wrap="wrap", justify="center")


def empty_block(
    icon: str, title: str, hint: str, *below: rx.Component, **props: Any
) -> rx.Component:
    """An empty state (icon, title, hint) with whatever the learner can do next below it."""
    return rx.vstack(
        empty_state(icon, title, hint),
        *below,
        align="center",
        padding_bottom="1.5em",
        **props,
    )


def empty_card(
    card_id: str, icon: str, title: str, hint: str, *below: rx.Component, **props: Any
) -> rx.Component:
    """``empty_block`` in a full-width card; ``props`` go to the inner column."""
    return rx.card(
        empty_block(icon, title, hint, *below, **props),
        width="100%",
        id=card_id,
    )


def status_row(
    details: rx.Component, badge: rx.Component, *notes: rx.Component, **props: Any
) -> rx.Component:
    """One request in a learner's list (a registration, a refund): what it is on the left,
    its status badge on the right, notes about the decision below, a thin rule under it."""
    return rx.box(
        rx.hstack(details, rx.spacer(), badge, align="start", width="100%"),
        *notes,
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        **props,
    )


def reason_note(reason: Any, color_scheme: str, class_name: str) -> rx.Component:
    """The reason given with a decision, under the request it is about (when there is one)."""
    return rx.cond(
        reason != "",
        rx.callout(
            reason,
            icon="info",
            color_scheme=color_scheme,  # type: ignore[arg-type]
            size="1",
            margin_top="0.5em",
            class_name=class_name,
        ),
    )


def responsive_row(
    *children: rx.Component,
    at: str = "sm",
    gap: str = "2",
    narrow_align: str = "start",
    **props: Any,
) -> rx.Component:
    """Children side by side (centred) from breakpoint ``at`` up, stacked on narrower screens
    (aligned ``narrow_align``)."""
    return rx.flex(
        *children,
        direction=rx.breakpoints(initial="column", **{at: "row"}),
        gap=gap,
        align=rx.breakpoints(initial=narrow_align, **{at: "center"}),
        width="100%",
        **props,
    )


def button_group(*buttons: rx.Component) -> rx.Component:
    """Buttons in a row that wraps when there is no room."""
    return rx.flex(*buttons, gap="2", wrap="wrap", align="center")


def card_column(
    *children: rx.Component, spacing: str = "3", align: str = "start", **card_props: Any
) -> rx.Component:
    """A full-width card holding its children in one full-width column."""
    return rx.card(
        rx.vstack(*children, spacing=spacing, align=align, width="100%"),  # type: ignore[arg-type]
        width="100%",
        **card_props,
    )


def submit_button(label: str, busy: Any, **props: Any) -> rx.Component:
    """The full-width main button of a sign-in style form; it spins while ``busy``."""
    return rx.button(label, type="submit", width="100%", size="3", loading=busy, **props)


def card_title(title: str, *actions: rx.Component, **props: Any) -> rx.Component:
    """A card's heading with its actions pushed to the right."""
    return rx.hstack(
        rx.heading(title, size="4"), rx.spacer(), *actions, width="100%", align="center", **props
    )


def icon_label_button(icon: str, label: Any, **props: Any) -> rx.Component:
    """A button whose label follows a small (16px) icon, the storefront's usual button;
    ``props`` (variant, on_click, id, ...) go to the button."""
    return rx.button(rx.icon(icon, size=16), label, **props)


def icon_link_button(icon: str, label: Any, href: Any, **props: Any) -> rx.Component:
    """An ``icon_label_button`` that leads to ``href``."""
    return rx.link(icon_label_button(icon, label, **props), href=href)


def browse_catalog_button(**props: Any) -> rx.Component:
    """What a learner with nothing to show here yet (no orders, courses, certificates) can
    do next: browse the catalog."""
    return icon_link_button("store", "Browse the catalog", routes.STORE, **props)


def soft_link_button(icon: str, label: str, href: Any, **link_props: Any) -> rx.Component:
    """A small secondary button that leads to another page (e.g. from a card's title)."""
    return rx.link(
        icon_label_button(icon, label, variant="soft", size="2"),
        href=href,
        **link_props,
    )
