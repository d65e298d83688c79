"""The layout the course, program and department pages share: catalog back link and artwork,
the facts under the title, the two-column body with the buy box (price, cart button), and
the found / missing / loading switch (their states' shared part is
``pages/store/item_state.py``).

Each page keeps its own state class (its var names are part of the rendered page); the
pieces here take the vars they show.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.catalog_card import (
    IN_CART,
    OWNED,
    item_not_found,
    loading_panel,
    price_notes,
    standing_badge,
)
from commerce_dash.components.shell import store_shell
from commerce_dash.components.store_panels import back_link, icon_label_button


def item_price(state: Any, price_id: str) -> rx.Component:
    """The price in the buy box: large when for sale, smaller for "Not for sale"."""
    return rx.text(
        state.price_label,
        size=rx.cond(state.for_sale, "7", "4"),
        weight="bold",
        id=price_id,
    )


def add_to_cart_button(state: Any) -> rx.Component:
    """Disabled when the item is not for sale."""
    return icon_label_button(
        "shopping-cart",
        "Add to cart",
        size="3",
        width="100%",
        disabled=~state.for_sale,
        on_click=state.add_to_cart,
        id="add-to-cart",
    )


def _standing_box(badge: rx.Component, note: str, link: rx.Component) -> rx.Component:
    return rx.vstack(badge, rx.text(note, size="2", color_scheme="gray"), link,
                     spacing="2", width="100%")


def cart_action(state: Any) -> rx.Component:
    """Where the learner stands with the item, instead of a plain cart button: "Owned" with
    a link to learn, "In your cart" with a link to the cart, else Add to cart."""
    return rx.cond(
        state.owned,
        _standing_box(
            standing_badge(OWNED, "circle-check", "green", id="item-owned"),
            "You have this already.",
            rx.link(icon_label_button("play", "Go to learning", size="3", width="100%"),
                    href=state.owned_href, width="100%", id="owned-learn"),
        ),
        rx.cond(
            state.in_cart,
            _standing_box(
                standing_badge(IN_CART, "shopping-cart", "blue", id="item-in-cart"),
                "Check out from the cart when you are ready.",
                rx.link(icon_label_button("arrow-right", "View cart", size="3", width="100%",
                                          variant="soft"),
                        href=routes.CART, width="100%", id="view-cart"),
            ),
            add_to_cart_button(state),
        ),
    )


def buy_box(state: Any, *price: rx.Component, more: rx.Component | None = None) -> rx.Component:
    """The card beside the description: the ``price`` components, the notes under a price
    (converted from, already owned) and the cart button (or Owned / In your cart), then
    ``more`` (e.g. the programs a course is part of)."""
    return rx.card(
        rx.vstack(
            *price,
            price_notes(state.converted_note, state.offer_note),
            cart_action(state),
            *([more] if more is not None else []),
            spacing="3",
            align="start",
        ),
        width="100%",
    )


def fact(icon: str, *content: rx.Component) -> rx.Component:
    """One fact under the title: a grey icon and what it says."""
    return rx.hstack(
        rx.icon(icon, size=16, color=rx.color("gray", 10)),
        *content,
        align="center",
        spacing="2",
    )


def department_fact(name: rx.Var[str], href: rx.Var[str]) -> rx.Component:
    return rx.cond(
        href != "",
        fact("building-2", rx.link(name, href=href, size="2")),
    )


def item_top(state: Any) -> list[rx.Component]:
    """The catalog back link and the item's artwork, when it has one."""
    return [
        back_link("Catalog", routes.STORE),
        rx.cond(
            state.thumbnail_url != "",
            rx.image(
                src=state.thumbnail_url,
                alt=state.title,
                width="100%",
                max_height="260px",
                object_fit="cover",
                border_radius="12px",
            ),
        ),
    ]


def item_columns(aside: rx.Component, *main: rx.Component) -> rx.Component:
    """The description column and, beside it on wide screens, the buy box."""
    return rx.grid(
        rx.vstack(*main, spacing="4", width="100%", min_width="0"),
        aside,
        columns=rx.breakpoints(initial="1", md="3fr 1fr"),
        spacing="4",
        width="100%",
        align_items="start",
    )


def item_found(
    state: Any,
    tags: rx.Component,
    title_id: str,
    facts: list[rx.Component],
    buy_box: rx.Component,
    main: rx.Component,
) -> rx.Component:
    """A found course or program: back link and artwork, its ``tags`` (kind, code) over the
    title, the department and ``facts`` under it, then the description above ``main``
    beside the ``buy_box``. ``state`` has the ``ItemVars`` of ``pages/store/item_state.py``."""
    return rx.vstack(
        *item_top(state),
        tags,
        rx.heading(state.title, size="8", id=title_id),
        rx.flex(
            department_fact(state.department, state.department_href),
            *facts,
            wrap="wrap",
            spacing="4",
        ),
        item_columns(
            buy_box,
            rx.text(state.description, size="3", white_space="pre-line"),
            main,
        ),
        spacing="3",
        width="100%",
    )


def found_page(status: rx.Var[str], found: rx.Component, missing: rx.Component) -> rx.Component:
    """A storefront page about one thing named in its address: ``found`` once it loaded,
    ``missing`` when it does not exist (or is not the learner's), a spinner until then."""
    return store_shell(
        rx.match(
            status,
            ("found", found),
            ("missing", missing),
            loading_panel(),
        )
    )


def item_page(status: rx.Var[str], found: rx.Component, title: str, hint: str) -> rx.Component:
    """The store page of one catalog item: found, not found (``title``, ``hint``) or loading."""
    return found_page(status, found, item_not_found(title, hint))


def reading_column(*children: rx.Component) -> rx.Component:
    """A page's sections in one column narrow enough to read, centred on wide screens."""
    return rx.vstack(*children, spacing="4", width="100%", max_width="880px", margin="0 auto")


def labelled_fact(icon: str, label: str, value: rx.Var[str], **value_props: Any) -> rx.Component:
    """A fact with a grey label and its value, shown only when there is a value."""
    return rx.cond(
        value != "",
        fact(
            icon,
            rx.text(label, size="2", color_scheme="gray"),
            rx.text(value, size="2", weight="medium", **value_props),
        ),
    )
