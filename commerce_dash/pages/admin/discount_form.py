"""The create / edit form of a discount code: reading its text and drawing it.

The dialog is built for a state class passed in (``DiscountsState``), the way ``paged_table``
is; that state owns the handlers and the vars named here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import reflex as rx

from commerce_dash.components.admin_forms import edit_dialog, icon_action, only_if
from commerce_dash.components.forms import error_text, field, labelled, select
from commerce_dash.domain.discounts import percent_off
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.identifiers import INT_MAX, parse_id
from commerce_dash.domain.money import Money, parse_major
from commerce_dash.domain.percent import BPS
from commerce_dash.domain.percent import percent_label as percent_label_of
from commerce_dash.models.pricing import DiscountCode
from commerce_dash.pages.admin.pricing_state import check_currency
from commerce_dash.services.catalog import CodeInput
from commerce_dash.state.route_args import route_int

FORM_FIELDS = (
    "code", "description", "kind", "percent", "amount_off", "currency", "scope", "items",
    "department", "valid_from", "valid_until", "max_uses", "max_uses_per_user", "min_purchase",
    "duration",
)  # fmt: skip
SCOPE_LABELS = {
    "all": "Everything",
    "courses": "All courses",
    "programs": "All programs",
    "subscriptions": "All subscriptions",
    "listed": "Listed courses and programs",
}


def no_errors() -> dict[str, str]:
    """One empty message per field, plus ``form`` for errors of the whole form."""
    return dict.fromkeys((*FORM_FIELDS, "form"), "")


def error_key(exc: DomainError) -> str:
    """Where a service error is shown: beside its field, else above the form."""
    field = "department" if exc.field == "department_id" else exc.field
    return field if field in FORM_FIELDS else "form"


def percent_label(bps: int) -> str:
    """Basis points as people write percentages: 1500 -> "15", 1250 -> "12.5"."""
    return percent_label_of(bps, BPS)


def _major(amount: int, currency: str) -> str:
    return str(Money(amount, currency).to_decimal()) if amount else ""


def _local_input(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") if value else ""


def draft_of(row: DiscountCode, currency: str) -> dict[str, str]:
    """The form's text for an existing code."""
    return {
        "code": row.code,
        "description": row.description,
        "percent": percent_label(row.percent_bps) if row.percent_bps else "",
        "amount_off": _major(row.amount_off, currency),
        "currency": currency,
        "valid_from": _local_input(row.valid_from),
        "valid_until": _local_input(row.valid_until),
        "max_uses": "" if row.max_uses is None else str(row.max_uses),
        "max_uses_per_user": "" if row.max_uses_per_user is None else str(row.max_uses_per_user),
        "min_purchase": _major(row.min_purchase, currency),
    }


def _money(text: str, currency: str, name: str) -> int:
    if not text.strip():
        return 0
    try:
        return parse_major(text, currency)
    except ValueError as exc:
        raise DomainError("invalid_amount", str(exc), field=name) from None


def _count(text: str, name: str) -> int | None:
    if not text.strip():
        return None
    count = parse_id(text.strip())  # ASCII digits, 1..INT_MAX (the column's range)
    if count is None:
        raise DomainError("invalid_limit", f"Enter a whole number from 1 to {INT_MAX:,}.",
                          field=name)
    return count


def _item(key: str) -> tuple[str, int]:
    """("course", 12) from the key "course:12" a picker sent; an id that is no id is 0, which
    the service reports as unknown."""
    item_type, _, item_id = key.partition(":")
    return item_type, route_int(item_id) or 0


def _when(text: str, name: str) -> datetime | None:
    # datetime-local has no zone; the form labels these fields UTC.
    if not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DomainError("invalid_date", "Pick a date and a time.", field=name) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def code_input(
    form: dict[str, str],
    *,
    kind: str,
    scope: str,
    department: str,
    item_keys: list[str],
    default_currency: str,
    duration: str = "once",
) -> CodeInput:
    """The service input from the submitted text; text that cannot be read is a field error."""
    currency = form.get("currency", "").strip().upper() or default_currency
    min_text = form.get("min_purchase", "")
    needs_currency = kind == "fixed" or bool(min_text.strip())
    if needs_currency:
        check_currency(currency)
    items = frozenset(_item(k) for k in item_keys)
    return CodeInput(
        code=form.get("code", ""),
        description=form.get("description", ""),
        kind=kind,
        percent_bps=percent_off(form.get("percent", "")) if kind == "percentage" else 0,
        amount_off=_money(form.get("amount_off", ""), currency, "amount_off")
        if kind == "fixed"
        else 0,
        # A percentage code with no minimum works in any currency: tie it to none.
        currency=currency if needs_currency else "",
        scope=scope,
        listed_items=items if scope == "listed" else frozenset(),
        department_id=None if department == "all" else route_int(department) or 0,  # 0: none
        valid_from=_when(form.get("valid_from", ""), "valid_from"),
        valid_until=_when(form.get("valid_until", ""), "valid_until"),
        max_uses=_count(form.get("max_uses", ""), "max_uses"),
        max_uses_per_user=_count(form.get("max_uses_per_user", ""), "max_uses_per_user"),
        min_purchase=_money(min_text, currency, "min_purchase"),
        duration=duration,
    )


# -- components ---------------------------------------------------------------------------
def _error(state, key: str) -> rx.Component:  # type: ignore[no-untyped-def]
    return error_text(state.errors[key], f"{key}-error")


def _text(state, label: str, name: str, hint: str = "", type: str = "text") -> rx.Component:  # type: ignore[no-untyped-def]
    return field(
        label, name, state.errors[name], type=type, default_value=state.draft[name], hint=hint
    )


def _labelled(state, label: str, control: rx.Component, key: str) -> rx.Component:  # type: ignore[no-untyped-def]
    return labelled(label, control, _error(state, key))


def _pair(*children: rx.Component) -> rx.Component:
    """Two fields side by side that stack on a phone."""
    return rx.hstack(
        *[rx.box(child, flex="1 1 200px") for child in children], wrap="wrap", width="100%"
    )


def _code_field(state) -> rx.Component:  # type: ignore[no-untyped-def]
    read_only = rx.input(
        value=state.draft["code"],
        read_only=True,
        id="code",
        name="code",
        font_family="monospace",
        width="100%",
        size="3",
    )
    return rx.cond(
        state.editing_id == 0,
        _text(state, "Code", "code", hint="3-32 letters, digits, - or _; stored in capitals."),
        _labelled(state, "Code", read_only, "code"),
    )


def _item_picker(state) -> rx.Component:  # type: ignore[no-untyped-def]
    chosen = rx.foreach(
        state.form_items,
        lambda item: rx.hstack(
            rx.text(item["label"], size="2", flex="1"),
            icon_action("x", "Remove", state.remove_item(item["key"]), variant="ghost"),
            align="center",
            width="100%",
            class_name="listed-item",
        ),
    )
    return rx.vstack(
        rx.hstack(
            select(
                state.item_pick,
                state.set_item_pick,
                each=state.item_choices,
                each_value="key",
                placeholder="Choose a course or program",
                width="100%",
            ),
            rx.button("Add", type="button", variant="soft", on_click=state.add_item),
            width="100%",
            wrap="wrap",
        ),
        chosen,
        _error(state, "items"),
        spacing="2",
        width="100%",
    )


def code_form_dialog(state) -> rx.Component:  # type: ignore[no-untyped-def]
    """The New code / Edit code dialog."""
    kind = rx.radio_group.root(
        rx.hstack(
            rx.radio_group.item("Percentage", value="percentage"),
            rx.radio_group.item("Fixed amount", value="fixed"),
            spacing="4",
            wrap="wrap",
        ),
        value=state.form_kind,
        on_change=state.set_form_kind,
    )
    duration = rx.radio_group.root(
        rx.hstack(
            rx.radio_group.item("First period", value="once"),
            rx.radio_group.item("Every period", value="forever"),
            spacing="4",
            wrap="wrap",
        ),
        value=state.form_duration,
        on_change=state.set_form_duration,
        aria_label="Subscription discount lasts",
    )
    department = select(
        state.form_department,
        state.set_form_department,
        each=state.department_choices,
        width="100%",
    )
    return edit_dialog(
        rx.cond(state.editing_id == 0, "New code", "Edit code"),
        "Learners type the code at checkout; a change applies to the next checkout.",
        _code_field(state),
        _text(state, "Description", "description", hint="Shown to admins only."),
        _labelled(state, "Kind", kind, "kind"),
        rx.cond(
            state.form_kind == "percentage",
            _text(state, "Percent off", "percent", hint="For example 15 or 12.5."),
            _text(state, "Amount off", "amount_off", hint="In the currency below."),
        ),
        _text(
            state,
            "Currency",
            "currency",
            hint="Needed for a fixed amount or a minimum purchase.",
        ),
        _labelled(
            state,
            "Applies to",
            select(state.form_scope, state.set_form_scope, list(SCOPE_LABELS.items()),
                   width="100%"),
            "scope",
        ),
        only_if(state.form_scope == "listed", _item_picker(state)),
        only_if(
            (state.form_scope == "all") | (state.form_scope == "subscriptions"),
            _labelled(state, "Subscription discount lasts", duration, "duration"),
        ),
        _labelled(state, "Department", department, "department"),
        _pair(
            _text(
                state,
                "Valid from (UTC)",
                "valid_from",
                hint="Empty: from now.",
                type="datetime-local",
            ),
            _text(
                state,
                "Valid until (UTC)",
                "valid_until",
                hint="Empty: no end.",
                type="datetime-local",
            ),
        ),
        _pair(
            _text(
                state, "Max uses", "max_uses", hint="Empty: unlimited.", type="number"
            ),
            _text(
                state,
                "Max uses per person",
                "max_uses_per_user",
                hint="Empty: unlimited.",
                type="number",
            ),
        ),
        _text(state, "Minimum purchase", "min_purchase", hint="Empty: no minimum."),
        error=state.errors["form"],
        submit=rx.cond(state.editing_id == 0, "Create code", "Save changes"),
        submit_id="create-code-submit",
        on_submit=state.save_code,
        max_width="560px",
        tall=True,
        open=state.form_open,
        on_open_change=state.set_form_open,
    )
