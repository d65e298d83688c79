"""The payment-review hold as the cart and checkout pages show it: a banner that stays on the
page for as long as the hold lasts (not a toast), saying why and how it is lifted."""

from __future__ import annotations

from typing import Any

import reflex as rx


def review_hold_banner(message: Any) -> rx.Component:
    """The hold's banner (``id="review-hold"``); the caller shows it only while held."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("shield-alert")),
        rx.callout.text(message),
        color_scheme="red",
        role="alert",
        high_contrast=True,
        width="100%",
        id="review-hold",
    )
