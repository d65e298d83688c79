"""Storefront catalog pieces: the item card (catalog and department pages), durations,
item links and the not-found panel of the course, program and department pages.

A card shows where the learner stands with its item (``commerce.item_standings``, asked
once for the whole page): "Owned" with a link to learn, "In your cart" with a link to the
cart, "Included in your subscription", or else the price."""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.store_panels import empty_card, icon_link_button
from commerce_dash.domain.durations import duration_label
from commerce_dash.services.catalog import CatalogCard
from commerce_dash.services.commerce import ItemStanding
from commerce_dash.state.links import item_href, learn_href

KIND_LABELS = {"course": "Course", "program": "Program"}
THUMBNAIL_HEIGHT = "140px"
INCLUDED = "Included in your subscription"
OWNED = "Owned"
IN_CART = "In your cart"


def owned_href(kind: str, code: str) -> str:
    """Where an owned item is learned: a course's learning page, else the learner's
    courses and programs (the account page)."""
    return learn_href(code) if kind == "course" else routes.ACCOUNT


def card_row(card: CatalogCard, standing: ItemStanding | None = None) -> dict[str, str]:
    """What a catalog card shows, as the plain strings a state var holds: where the learner
    stands with it (``standing``: owned, in the cart, included in their subscription),
    else its price."""
    row = _plain_row(card)
    if standing is None:
        return row
    if standing.owned:
        return {**row, "standing": "owned", "standing_href": owned_href(card.kind, card.code)}
    if standing.in_cart:
        return {**row, "standing": "in_cart", "standing_href": routes.CART}
    if standing.included:
        return {**row, "price_label": INCLUDED, "converted": ""}
    return row


def _plain_row(card: CatalogCard) -> dict[str, str]:
    return {
        "kind": card.kind,
        "kind_label": KIND_LABELS.get(card.kind, card.kind.title()),
        "code": card.code,
        "title": card.title,
        "href": item_href(card.kind, card.code),
        "department": card.department,
        "category": card.category,
        "description": card.description,
        "thumbnail_url": card.thumbnail_url,
        "duration": duration_label(card.estimated_minutes),
        "price_label": card.price_label,
        "converted": f"Converted from {card.converted_from}" if card.converted_from else "",
        "standing": "",  # owned | in_cart | "" (the price shows)
        "standing_href": "",
    }


def _thumbnail(card: rx.Var[dict[str, str]]) -> rx.Component:
    # An item without artwork gets a tinted box with an icon, never a broken image.
    placeholder = rx.center(
        rx.cond(
            card["kind"] == "program",
            rx.icon("library", size=36, color=rx.color("accent", 9)),
            rx.icon("book-open", size=36, color=rx.color("accent", 9)),
        ),
        height=THUMBNAIL_HEIGHT,
        width="100%",
        background=f"linear-gradient(135deg, {rx.color('accent', 3)}, {rx.color('accent', 5)})",
        class_name="catalog-card-placeholder",
    )
    image = rx.image(
        src=card["thumbnail_url"],
        alt=card["title"],
        width="100%",
        height=THUMBNAIL_HEIGHT,
        object_fit="cover",
        loading="lazy",
    )
    return rx.inset(
        rx.box(rx.cond(card["thumbnail_url"] != "", image, placeholder), width="100%"),
        side="top",
        pb="current",
        width="100%",
        display="block",
    )


def _kind_badge(card: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.cond(
        card["kind"] == "program",
        rx.badge("Program", color_scheme="violet", variant="soft"),
        rx.badge("Course", color_scheme="blue", variant="soft"),
    )


def _price(card: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.text(
            card["price_label"],
            size="5",
            weight="bold",
            class_name="catalog-card-price",
        ),
        rx.cond(
            card["converted"] != "",
            rx.text(card["converted"], size="1", color=rx.color("gray", 11),
                    class_name="catalog-card-converted"),
        ),
        spacing="0",
        align="end",
    )


def _standing(card: rx.Var[dict[str, str]], badge: rx.Component, link_label: str
              ) -> rx.Component:
    """Instead of the price: where the learner stands (a badge) and where to go now."""
    return rx.vstack(
        badge,
        rx.link(link_label, href=card["standing_href"], size="2", weight="medium",
                # its name starts with what it shows (WCAG 2.5.3), then says which card
                aria_label=link_label + ": " + card["title"].to(str),
                class_name="catalog-card-standing-link"),
        spacing="1",
        align="end",
    )


def standing_badge(label: str, icon: str, color_scheme: str, **props: Any) -> rx.Component:
    """"Owned" / "In your cart": a badge with an icon, readable on any background."""
    return rx.badge(rx.icon(icon, size=14), label, color_scheme=color_scheme,  # type: ignore[arg-type]
                    variant="soft", high_contrast=True, size="2", **props)


def _price_or_standing(card: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.match(
        card["standing"],
        ("owned", _standing(card, standing_badge(OWNED, "circle-check", "green",
                                                 class_name="catalog-card-owned"),
                            "Go to learning")),
        ("in_cart", _standing(card, standing_badge(IN_CART, "shopping-cart", "blue",
                                                   class_name="catalog-card-in-cart"),
                              "View cart")),
        _price(card),
    )


def catalog_card(card: rx.Var[dict[str, str]]) -> rx.Component:
    """One course or program: artwork, kind, title link, department, summary, duration, price."""
    return rx.card(
        rx.vstack(
            _thumbnail(card),
            rx.hstack(
                _kind_badge(card),
                rx.cond(
                    card["category"] != "",
                    rx.badge(card["category"], color_scheme="gray", variant="surface"),
                ),
                rx.spacer(),
                rx.text(card["code"], size="1", color_scheme="gray"),
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.link(
                rx.heading(card["title"], size="4"),
                href=card["href"],
                color="inherit",
                class_name="catalog-card-title",
            ),
            rx.text(card["department"], size="2", color_scheme="gray"),
            rx.text(card["description"], size="2", line_clamp=3),
            rx.spacer(),
            rx.hstack(
                rx.cond(
                    card["duration"] != "",
                    rx.hstack(
                        rx.icon("clock", size=14),
                        rx.text(card["duration"], size="1"),
                        align="center",
                        spacing="1",
                        color=rx.color("gray", 11),
                    ),
                ),
                rx.spacer(),
                _price_or_standing(card),
                align="center",
                width="100%",
            ),
            spacing="2",
            align="start",
            height="100%",
        ),
        class_name="catalog-card",
        data_code=card["code"],
        height="100%",
    )


def catalog_grid(cards: rx.Var[list[dict[str, str]]]) -> rx.Component:
    """Cards in one column on phones, two on tablets, three on desktops."""
    return rx.grid(
        rx.foreach(cards, catalog_card),
        columns=rx.breakpoints(initial="1", sm="2", md="3"),
        spacing="4",
        width="100%",
    )


def item_not_found(title: str, hint: str) -> rx.Component:
    """Shown instead of a course, program or department that does not exist (or not yet)."""
    return empty_card(
        "not-found",
        "search-x",
        title,
        hint,
        icon_link_button("arrow-left", "Back to the catalog", routes.STORE),
    )


def loading_panel() -> rx.Component:
    return rx.center(rx.spinner(size="3"), padding="4em", width="100%")


def price_notes(converted: rx.Var[str], offer: rx.Var[str]) -> rx.Component:
    """Under an item's price: the settlement price it was converted from, and what the
    learner already owns of it (with their own price)."""
    return rx.fragment(
        rx.cond(
            converted != "",
            rx.text(converted, size="1", color=rx.color("gray", 11), id="price-converted"),
        ),
        rx.cond(
            offer != "",
            rx.callout(offer, icon="info", size="1", width="100%", id="offer-note"),
        ),
    )
