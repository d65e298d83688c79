"""Fields that many rows (admin lists, the learner's lists) carry, made in one place; the pages
read them by name. Next to ``badges.status_fields``, which these use."""

from __future__ import annotations

from typing import Any

from commerce_dash.components.badges import status_fields


def registration_fields(row: Any) -> dict[str, str]:
    """What a registration is, in the learner's list and in the admin queue alike: its id and
    number, and the course or program it is for (``kind``, ``title``, ``program_title`` when
    the course came with a program)."""
    return {
        "id": str(row.id),
        "number": row.number,
        "kind": row.kind,
        "title": row.title,
        "program_title": row.program_title,
    }


def order_money_fields(order: Any) -> dict[str, str]:
    """An order's total and where it stands, in the learner's and the admin's order lists
    alike: ``total``, ``display_total`` (the total in the currency the buyer saw, only when it
    differs) and the order's and its payment's status fields."""
    shows_display = order.display_currency.upper() != order.currency.upper()
    return {
        "total": order.total_label,
        "display_total": order.display_total_label if shows_display else "",
        **status_fields("status", order.status),
        **status_fields("payment_status", order.payment_status),
    }


def learner_fields(row: Any) -> dict[str, str]:
    """Who a row is about, as the lists show them: the learner's name over their email
    (``learner_name``, ``learner_email``)."""
    return {"learner_name": row.learner_name, "learner_email": row.learner_email}
