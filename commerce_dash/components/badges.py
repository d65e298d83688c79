"""One status palette for every badge, and the badges that use it.

Colours say the same thing everywhere: amber waits for someone, blue is under way, green is
done and good, red failed or was refused, violet is money given back, gray is closed or neutral.
Rows whose state dict carries ``status``, ``status_label`` and ``status_color`` use
``row_status_badge``; a bare status value uses ``status_badge``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import reflex as rx
from reflex.vars import ObjectVar

if TYPE_CHECKING:
    from commerce_dash.services.learning import CourseProgress

# status (or kind) -> Radix colour. One map for every status the app shows.
STATUS_COLORS: dict[str, str] = {
    # waiting for someone
    "pending": "amber",
    "requires_action": "amber",
    "requested": "amber",
    "sending": "amber",
    "expired": "amber",
    "waiting": "amber",
    # under way
    "processing": "blue",
    "running": "blue",
    "received": "blue",
    "scheduled": "blue",
    "in_progress": "blue",
    # done and good
    "completed": "green",
    "complete": "green",
    "succeeded": "green",
    "approved": "green",
    "enrolled": "green",
    "synced": "green",
    "sent": "green",
    "ok": "green",
    "processed": "green",
    "active": "green",
    "valid": "green",
    # failed or refused
    "failed": "red",
    "rejected": "red",
    "dead": "red",
    "deactivated": "red",
    "revoked": "red",
    # money given back
    "refunded": "violet",
    "partially_refunded": "violet",
    "partial_refund": "violet",
    # closed or neutral
    "canceled": "gray",
    "cancelled": "gray",
    "ignored": "gray",
    "not_sent": "gray",
    "not_found": "gray",
    "skipped": "gray",
    # who asked for a refund
    "learner": "blue",
    "registration_rejected": "orange",
    "admin": "violet",
}


def status_color(status: str) -> str:
    """The palette colour of a status; gray for one it does not know."""
    return STATUS_COLORS.get(str(status).lower().replace(" ", "_"), "gray")


def status_color_var(status: rx.Var[str]) -> rx.Var[str]:
    """``status_color`` for a status known only in the browser."""
    return rx.match(status, *STATUS_COLORS.items(), "gray")  # type: ignore[return-value]


def status_badge(status: rx.Var[str], label: rx.Var[str] | str | None = None, **props) -> rx.Component:  # type: ignore[no-untyped-def]
    """A soft badge of ``status`` (its text is ``label``, or the status itself)."""
    props.setdefault("variant", "soft")
    return rx.badge(
        status if label is None else label,
        color_scheme=status_color_var(status),  # type: ignore[arg-type]
        **props,
    )


def row_status_badge(row: ObjectVar[dict[str, str]], class_name: str) -> rx.Component:
    return rx.badge(
        row["status_label"],
        color_scheme=row["status_color"].to(str),  # type: ignore[arg-type]
        variant="soft",
        class_name=class_name,
        data_status=row["status"],
    )


# Order, payment and other statuses shown from a row dict: ``key``, ``key_label``, ``key_color``.
STATUS_LABELS = {
    "partial_refund": "Partially refunded",
    "requires_action": "Needs verification",
}


def status_label(status: str) -> str:
    """A status as people read it (``partial_refund`` -> ``Partially refunded``)."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def status_fields(key: str, status: str) -> dict[str, str]:
    """``key`` (the raw status), ``key_label`` and ``key_color`` for a row dict."""
    return {
        key: status,
        f"{key}_label": status_label(status),
        f"{key}_color": status_color(status),
    }


def field_badge(row: ObjectVar[dict[str, str]], key: str) -> rx.Component:
    """The badge of a status put into a row by ``status_fields``."""
    return rx.badge(
        row[f"{key}_label"],
        color_scheme=row[f"{key}_color"].to(str),  # type: ignore[arg-type]
        variant="soft",
        class_name=f"{key.replace('_', '-')}-badge",
        data_status=row[key],
    )


# A course on the learner's pages.
def course_status_label(progress: CourseProgress) -> str:
    """The badge of a course on the learner's pages."""
    if progress.complete:
        return "Complete"
    return "Enrolled" if progress.status == "active" else "Waiting for the LMS"


def course_status_color(progress: CourseProgress) -> str:
    """The palette colour of that badge."""
    if progress.complete:
        return status_color("complete")
    return status_color("in_progress" if progress.status == "active" else "waiting")
