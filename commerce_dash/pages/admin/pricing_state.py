"""The state of ``pricing.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

from datetime import UTC, datetime

import reflex as rx

from commerce_dash.db import session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.dates import when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.identifiers import parse_whole
from commerce_dash.domain.money import parse_major
from commerce_dash.domain.paging import PageRequest
from commerce_dash.domain.pricing import ItemType, PriceType, known_currency
from commerce_dash.pages.admin.credit_packs_state import CreditPacksState
from commerce_dash.pages.admin.service_calls import attempt, options
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services import platform as platform_area
from commerce_dash.services.catalog import PriceRow
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import filter_setter, value_setter

PAGE_SIZE = 20
ITEM_TYPE_LABELS = {
    ItemType.COURSE: "Course",
    ItemType.PROGRAM: "Program",
    ItemType.SUBSCRIPTION: "Subscription plan",
    ItemType.CREDIT_PACK: "Credit pack",
}
# the items whose price may give session credits (issue 17)
CREDIT_ITEMS = (ItemType.COURSE.value, ItemType.CREDIT_PACK.value)
CREDIT_FIELDS = {
    "private_credits": "Enter 0 to 100 credits.",
    "group_credits": "Enter 0 to 100 credits.",
    "credit_expiry_days": "Credits expire after 0 to 3,650 days.",
}
NEW_PRICE_ERRORS = {
    "item_type": "item_error",
    "item_id": "item_error",
    "price_type": "price_type_error",
    "amount": "amount_error",
    "currency": "currency_error",
    "interval": "interval_error",
    "trial_days": "trial_error",
    "effective_from": "from_error",
    "effective_until": "until_error",
    "private_credits": "private_credits_error",
    "private_minutes": "private_minutes_error",
    "group_credits": "group_credits_error",
    "credit_expiry_days": "expiry_error",
}


def utc_from_input(text: str, field_name: str) -> datetime | None:
    """A datetime-local value ('2026-05-01T09:30') read as UTC; empty gives None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise DomainError(
            "invalid_datetime", "Enter a date and time like 2026-05-01 09:30.", field=field_name
        ) from None


def check_currency(currency: str) -> None:
    """Refuse a currency code the app does not know (a message for the currency field)."""
    known_currency(currency)


def amount_from_input(text: str, currency: str) -> int:
    """The typed amount in minor units of ``currency``; messages name the field at fault."""
    check_currency(currency)
    try:
        return parse_major(text, currency)
    except ValueError as exc:
        raise DomainError("invalid_amount", str(exc), field="amount") from None


MAX_TRIAL_DAYS = 365


def whole_days(text: str) -> int:
    text = (text or "").strip()
    if not text:
        return 0
    days = parse_whole(text, high=MAX_TRIAL_DAYS)  # ASCII digits only
    if days is None:
        raise DomainError("invalid_trial", f"Trial days are a whole number from 0 to "
                          f"{MAX_TRIAL_DAYS}.", field="trial_days")
    return days


def credit_count(form: dict[str, str], name: str) -> int:
    """A credit field of the new-price form as a whole number (empty: 0); its bounds are the
    service's to check, the message names the field."""
    text = str(form.get(name, "") or "").strip()
    if not text:
        return 0
    number = parse_whole(text, high=1_000_000)  # ASCII digits only
    if number is None:
        raise DomainError("not_a_number", CREDIT_FIELDS[name], field=name)
    return number


def slot_minutes(value: str) -> int:
    """The length chosen for the private sessions ("30" or "60"; anything else is the
    service's field error)."""
    number = parse_whole(str(value or "").strip(), high=1_000)
    if number is None:
        raise DomainError("invalid_slot_length", "Private sessions last 30 or 60 minutes.",
                          field="private_minutes")
    return number


def _price_dict(row: PriceRow) -> dict[str, str]:
    kind = row.price_type.replace("_", "-")
    return {
        "id": str(row.id),
        "item_type": row.item_type,
        "item_id": str(row.item_id),
        "item": row.item_title,
        "item_kind": ITEM_TYPE_LABELS.get(ItemType(row.item_type), row.item_type),
        "department": row.department,
        "kind": f"{kind} · {row.interval}" if row.interval else kind,
        "amount": "free" if row.price_type == PriceType.FREE else row.amount_label,
        "currency": row.currency,
        "from": when(row.effective_from),
        "until": when(row.effective_until) or "open-ended",
        "status": row.status.value,
        "reason": row.deactivated_reason,
        "trial": f"{row.trial_days}-day trial" if row.trial_days else "",
        "credits_note": row.credits_note,
    }


class PricingState(PagedTableMixin, AdminState):
    type_filter: str = "all"
    department_filter: str = "all"
    currency_filter: str = ""
    status_filter: str = "all"
    departments: list[dict[str, str]] = []
    course_choices: list[dict[str, str]] = []
    program_choices: list[dict[str, str]] = []
    pack_choices: list[dict[str, str]] = []
    settlement_currency: str = "USD"

    # new price dialog
    new_open: bool = False
    new_key: int = 0
    new_item_type: str = ItemType.COURSE.value
    new_item: str = ""
    new_price_type: str = PriceType.ONE_TIME.value
    new_interval: str = "monthly"
    new_includes_subdepartments: bool = False  # a department plan: its subdepartments' courses too
    new_private_minutes: str = "60"  # the length of the private sessions a price gives
    item_error: str = ""
    price_type_error: str = ""
    amount_error: str = ""
    currency_error: str = ""
    interval_error: str = ""
    trial_error: str = ""
    from_error: str = ""
    until_error: str = ""
    private_credits_error: str = ""
    private_minutes_error: str = ""
    group_credits_error: str = ""
    expiry_error: str = ""
    new_error: str = ""

    # history dialog
    history_open: bool = False
    history_title: str = ""
    history_rows: list[dict[str, str]] = []

    # deactivate dialog
    deactivate_open: bool = False
    deactivate_id: int = 0
    deactivate_label: str = ""
    deactivate_reason: str = ""
    deactivate_error: str = ""

    @rx.var
    def item_choices(self) -> list[dict[str, str]]:
        if self.new_item_type == ItemType.PROGRAM:
            return self.program_choices
        if self.new_item_type == ItemType.SUBSCRIPTION:
            return self.departments
        if self.new_item_type == ItemType.CREDIT_PACK:
            return self.pack_choices
        return self.course_choices

    @rx.var
    def gives_credits(self) -> bool:
        """The new price may give session credits (a course's or a credit pack's)."""
        return self.new_item_type in CREDIT_ITEMS

    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            allowed = catalog_area.pricing_departments(session=session, actor=actor)
            self.departments = options(platform_area.department_options(session=session, within=allowed))
            result = catalog_area.list_prices(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                item_type="" if self.type_filter == "all" else self.type_filter,
                department_id=route_int(self.department_filter),  # "all" (or no id): all
                currency=self.currency_filter.strip(),
                status="" if self.status_filter == "all" else self.status_filter,
                search=self.search,
            )
        self.total, self.pages = result.total, result.pages
        self.rows = [_price_dict(r) for r in result.items]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard("pricing") is None:
            return self.refused()
        self.settlement_currency = get_settings().settlement_currency
        return self._refetch()

    set_type_filter = filter_setter("type_filter")
    set_department_filter = filter_setter("department_filter")
    set_status_filter = filter_setter("status_filter")

    @rx.event
    def set_currency_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.currency_filter = value.upper()
        return self._filtered()

    # -- new price ----------------------------------------------------------
    def _clear_new_errors(self) -> None:
        for name in (*set(NEW_PRICE_ERRORS.values()), "new_error"):
            setattr(self, name, "")

    @rx.event
    def open_new(self):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        try:
            with session_scope() as session:
                self.course_choices = options(
                    platform_area.course_options(
                        session=session, actor=actor, section="pricing", published_only=True
                    )
                )
                self.program_choices = options(
                    catalog_area.program_options(
                        session=session, actor=actor, section="pricing", published_only=True
                    )
                )
                self.pack_choices = options(
                    catalog_area.credit_pack_options(
                        session=session, actor=actor, section="pricing", published_only=True
                    )
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._clear_new_errors()
        self.new_key += 1
        self.new_item_type, self.new_item = ItemType.COURSE.value, ""
        self.new_price_type, self.new_interval = PriceType.ONE_TIME.value, "monthly"
        self.new_includes_subdepartments = False
        self.new_private_minutes = "60"
        self.new_open = True
        return None

    set_new_open = value_setter("new_open", bool)

    @rx.event
    def set_new_item_type(self, value: str) -> None:
        self.new_item_type, self.new_item = value, ""
        plan = value == ItemType.SUBSCRIPTION
        # a plan is a subscription; anything else (a credit pack always) starts one-time
        self.new_price_type = (PriceType.SUBSCRIPTION if plan else PriceType.ONE_TIME).value

    @rx.event
    def set_new_price_type(self, value: str) -> None:
        # a credit pack has a one-time price only
        pack = self.new_item_type == ItemType.CREDIT_PACK
        self.new_price_type = PriceType.ONE_TIME.value if pack else value

    set_new_item = value_setter("new_item")
    set_new_private_minutes = value_setter("new_private_minutes")
    set_new_interval = value_setter("new_interval")
    set_new_includes_subdepartments = value_setter("new_includes_subdepartments", bool)

    @rx.event
    def create_price(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        actor = self.guard("pricing")
        if actor is None:
            return self.refused()
        self._clear_new_errors()
        plan = self.new_item_type == ItemType.SUBSCRIPTION
        try:
            item_id = route_int(self.new_item)
            if item_id is None:
                raise DomainError(
                    "item_required", "Choose what this price is for.", field="item_id"
                )
            currency = (form.get("currency") or self.settlement_currency).strip().upper()
            amount = (
                0
                if self.new_price_type == PriceType.FREE
                else amount_from_input(form.get("amount", ""), currency)
            )
            credits = self._credits(form)
            start = utc_from_input(form.get("effective_from", ""), "effective_from")
            end = utc_from_input(form.get("effective_until", ""), "effective_until")
            with session_scope() as session:
                price = catalog_area.create_price(
                    session=session,
                    actor=actor,
                    item_type=self.new_item_type,
                    item_id=item_id,
                    price_type=self.new_price_type,
                    amount=amount,
                    currency=currency,
                    interval=self.new_interval if plan else "",
                    trial_days=whole_days(form.get("trial_days", "")) if plan else 0,
                    effective_from=start,
                    effective_until=end,
                    includes_subdepartments=plan and bool(self.new_includes_subdepartments),
                    **credits,
                )
        except DomainError as exc:
            setattr(self, NEW_PRICE_ERRORS.get(exc.field or "", "new_error"), exc.message)
            return None
        self.new_open = False
        self._fetch()
        # a credit pack's card shows its price in force
        packs = [CreditPacksState.load] if price.item_type == ItemType.CREDIT_PACK else []
        if price.effective_from > utcnow():
            return [rx.toast.success(f"Price scheduled from {when(price.effective_from)}."),
                    *packs]
        return [rx.toast.success("Price created and in force now."), *packs]

    def _credits(self, form: dict[str, str]) -> dict[str, int]:
        """The session credits the new price gives (none for a program or a plan)."""
        if self.new_item_type not in CREDIT_ITEMS:
            return {}
        private = credit_count(form, "private_credits")
        return {
            "private_credits": private,
            "private_minutes": slot_minutes(self.new_private_minutes) if private else 60,
            "group_credits": credit_count(form, "group_credits"),
            "credit_expiry_days": credit_count(form, "credit_expiry_days"),
        }

    # -- history ------------------------------------------------------------
    @rx.event
    def open_history(self, item_type: str, item_id: str, title: str):  # type: ignore[no-untyped-def]
        rows, refused = attempt(
            self,
            catalog_area.price_history,
            item_type=item_type,
            item_id=route_int(item_id) or 0,  # 0: not found
        )
        if rows is None:
            return refused
        self.history_title = title
        self.history_rows = [_price_dict(r) for r in rows]
        self.history_open = True
        return None

    set_history_open = value_setter("history_open", bool)

    # -- deactivate ---------------------------------------------------------
    @rx.event
    def open_deactivate(self, price_id: str, label: str) -> None:
        self.deactivate_id, self.deactivate_label = route_int(price_id) or 0, label  # 0: none
        self.deactivate_reason = self.deactivate_error = ""
        self.deactivate_open = True

    set_deactivate_open = value_setter("deactivate_open", bool)
    set_deactivate_reason = value_setter("deactivate_reason")

    @rx.event
    def confirm_deactivate(self):  # type: ignore[no-untyped-def]
        self.deactivate_error = ""
        try:
            as_admin(
                self,
                catalog_area.deactivate_price,
                price_id=self.deactivate_id,
                reason=self.deactivate_reason,
            )
        except DomainError as exc:
            self.deactivate_error = exc.message
            return None
        self.deactivate_open = False
        self._fetch()
        return rx.toast.success(f"Price of {self.deactivate_label} deactivated.")
