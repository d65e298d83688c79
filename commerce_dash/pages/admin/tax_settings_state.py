"""The state of ``tax_settings.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

import reflex as rx

from commerce_dash.db import session_scope
from commerce_dash.domain.dates import when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.domain.tax import country_options, percent_label
from commerce_dash.models.tax import TaxRate
from commerce_dash.pages.admin.service_calls import act, attempt, options
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.platform import department_options
from commerce_dash.settings import get_settings
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin, fetch_or_toast
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import value_setter

SECTION = "settings"
EXEMPTIONS_PAGE_SIZE = 20
RATE_FIELDS = ("country", "region", "department", "rate", "label")
EXEMPTION_FIELDS = ("subject", "organization", "reference")
FX_FIELDS = ("currency", "rate")
COUNTRIES = country_options()
COUNTRY_NAMES = dict(COUNTRIES)


def _no_errors(fields: tuple[str, ...]) -> dict[str, str]:
    return dict.fromkeys((*fields, "form"), "")


def _error_at(exc: DomainError, fields: tuple[str, ...]) -> dict[str, str]:
    key = exc.field if exc.field in fields else "form"
    return {**_no_errors(fields), key: exc.message}


def _scope(rate: TaxRate) -> str:
    """Where a tax rate applies: ``US`` or ``US-NY``."""
    return f"{rate.country}-{rate.region}" if rate.region else rate.country


class TaxSettingsState(PagedTableMixin, AdminState):
    """The page state; ``rows``/``page``/``search`` (from the mixin) are the exemptions."""

    settlement_currency: str = "USD"
    departments: list[dict[str, str]] = []
    tax_rows: list[dict[str, str]] = []
    fx_rows: list[dict[str, str]] = []
    fx_choices: list[str] = []

    # tax rate dialog (text inputs are uncontrolled, prefilled from ``rate_draft``)
    rate_open: bool = False
    rate_key: int = 0
    rate_editing_id: int = 0
    rate_country: str = "US"
    rate_department: str = "all"
    rate_draft: dict[str, str] = {}
    rate_errors: dict[str, str] = _no_errors(RATE_FIELDS)

    # exemption dialog
    exemption_open: bool = False
    exemption_key: int = 0
    exemption_errors: dict[str, str] = _no_errors(EXEMPTION_FIELDS)

    # revoke confirmation
    revoke_open: bool = False
    revoke_id: int = 0
    revoke_label: str = ""

    # FX form
    fx_key: int = 0
    fx_currency: str = ""
    fx_errors: dict[str, str] = _no_errors(FX_FIELDS)

    # -- loading ------------------------------------------------------------------------------
    def _department_label(self, department_id: int | None) -> str:
        if department_id is None:
            return "All departments"
        return next(
            (d["label"] for d in self.departments if d["id"] == str(department_id)),
            f"Department {department_id}",
        )

    def _rate_row(self, row: TaxRate) -> dict[str, str]:
        return {
            "id": str(row.id),
            "country": row.country,
            "country_name": COUNTRY_NAMES.get(row.country, row.country),
            "region": row.region or "Whole country",
            "region_code": row.region,
            "department": self._department_label(row.department_id),
            "department_id": str(row.department_id) if row.department_id else "all",
            "rate": f"{percent_label(row.rate_ppm)}%",
            "rate_percent": percent_label(row.rate_ppm),
            "label": row.label,
            "active": "yes" if row.is_active else "",
            "updated": when(row.updated_at),
        }

    def _fetch_rates(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            self.departments = options(department_options(session=session))
            rows = commerce_area.list_tax_rates(session=session, actor=actor)
        self.tax_rows = [self._rate_row(r) for r in rows]

    def _fetch_fx(self) -> None:
        settings = get_settings()
        base = settings.settlement_currency
        with session_scope() as session:
            rates = catalog_area.list_rates(session=session)
        self.settlement_currency = base
        self.fx_rows = [
            {
                "currency": r.currency,
                "rate": f"1 {base} = {r.rate} {r.currency}",
                "updated": when(r.effective_at),
                "source": r.source,
                "previous": r.previous_rate or "",
                "previous_at": when(r.previous_at),
            }
            for r in rates
        ]
        quoted = [r.currency for r in rates]
        offered = [c for c in settings.offered_display_currencies if c != base]
        self.fx_choices = [*offered, *[c for c in quoted if c not in offered]]
        if self.fx_currency not in self.fx_choices:
            self.fx_currency = self.fx_choices[0] if self.fx_choices else ""

    def _fetch(self) -> None:
        """The exemptions page (the paged table of this state)."""
        result = as_admin(
            self, commerce_area.list_exemptions, page=PageRequest(self.page, EXEMPTIONS_PAGE_SIZE)
        )
        self.total, self.pages = result.total, result.pages
        self.rows = [
            {
                "id": str(r.id),
                "kind": "Learner" if r.kind == "user" else "Organization domain",
                "subject": r.subject,
                "organization": r.organization,
                "reference": r.reference,
                "since": when(r.created_at),
                "revoked": when(r.revoked_at),
            }
            for r in result.items
        ]

    def _fetch_tables(self) -> None:
        self._fetch_rates()
        self._fetch()
        self._fetch_fx()

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard(SECTION) is None:
            return self.refused()
        return fetch_or_toast(self._fetch_tables)

    # -- tax rates --------------------------------------------------------------------------
    @rx.event
    def open_new_rate(self) -> None:
        if self.guard(SECTION) is None:
            return
        self.rate_editing_id = 0
        self.rate_country, self.rate_department = "US", "all"
        self.rate_draft = {"region": "", "rate": "", "label": "Sales tax"}
        self.rate_errors = _no_errors(RATE_FIELDS)
        self.rate_key += 1
        self.rate_open = True

    @rx.event
    def open_edit_rate(self, rate_id: str) -> None:
        row = next((r for r in self.tax_rows if r["id"] == rate_id), None)
        if row is None or self.guard(SECTION) is None:
            return
        self.rate_editing_id = int(rate_id)
        self.rate_country, self.rate_department = row["country"], row["department_id"]
        self.rate_draft = {
            "region": row["region_code"],
            "rate": row["rate_percent"],
            "label": row["label"],
        }
        self.rate_errors = _no_errors(RATE_FIELDS)
        self.rate_key += 1
        self.rate_open = True

    set_rate_open = value_setter("rate_open", bool)
    set_rate_country = value_setter("rate_country")
    set_rate_department = value_setter("rate_department")

    def _submit(self, errors: str, fields: tuple[str, ...], service, **kwargs):  # type: ignore[no-untyped-def]
        """A form's save: ``(result, None)``; when refused, ``(None, toast)`` and the message
        beside its field in the form's ``errors`` (the field names are ``fields``)."""
        setattr(self, errors, _no_errors(fields))
        try:
            return as_admin(self, service, **kwargs), None
        except DomainError as exc:
            setattr(self, errors, _error_at(exc, fields))
            return None, rx.toast.error(exc.message)

    @rx.event
    def save_rate(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        row, refused = self._submit(
            "rate_errors",
            RATE_FIELDS,
            commerce_area.upsert_tax_rate,
            country=self.rate_country,
            region=form.get("region", ""),
            department_id=(
                None if self.rate_department == "all"
                else route_int(self.rate_department) or 0  # 0: "no department 0"
            ),
            rate_text=form.get("rate", ""),
            label=form.get("label", ""),
            rate_id=self.rate_editing_id or None,
        )
        if refused is not None:
            return refused
        self.rate_open = False
        self._fetch_rates()
        return rx.toast.success(f"Tax rate {percent_label(row.rate_ppm)}% saved for {_scope(row)}.")

    @rx.event
    def toggle_rate(self, rate_id: str, activate: bool):  # type: ignore[no-untyped-def]
        return act(
            self,
            commerce_area.reactivate_tax_rate if activate else commerce_area.deactivate_tax_rate,
            lambda row: f"Tax rate for {_scope(row)} {'activated' if activate else 'deactivated'}.",
            reload=self._fetch_rates,
            rate_id=route_int(rate_id) or 0,  # 0: not found
        )

    # -- exemptions -------------------------------------------------------------------------
    @rx.event
    def open_new_exemption(self) -> None:
        if self.guard(SECTION) is None:
            return
        self.exemption_errors = _no_errors(EXEMPTION_FIELDS)
        self.exemption_key += 1
        self.exemption_open = True

    set_exemption_open = value_setter("exemption_open", bool)

    @rx.event
    def save_exemption(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        _added, refused = self._submit(
            "exemption_errors",
            EXEMPTION_FIELDS,
            commerce_area.add_exemption,
            subject=form.get("subject", ""),
            organization=form.get("organization", ""),
            reference=form.get("reference", ""),
        )
        if refused is not None:
            return refused
        self.exemption_open = False
        self.page = 1
        self._fetch()
        return rx.toast.success(f"{form.get('subject', '').strip()} is now tax exempt.")

    @rx.event
    def ask_revoke(self, exemption_id: str, label: str) -> None:
        self.revoke_id, self.revoke_label = route_int(exemption_id) or 0, label  # 0: not found
        self.revoke_open = True

    set_revoke_open = value_setter("revoke_open", bool)

    @rx.event
    def confirm_revoke(self):  # type: ignore[no-untyped-def]
        _done, refused = attempt(self, commerce_area.revoke_exemption, exemption_id=self.revoke_id)
        if refused is not None:
            return refused
        self.revoke_open = False
        self._fetch()
        return rx.toast.success(f"Exemption of {self.revoke_label} revoked; tax applies again.")

    # -- FX rates ---------------------------------------------------------------------------
    set_fx_currency = value_setter("fx_currency")

    @rx.event
    def save_fx_rate(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        row, refused = self._submit(
            "fx_errors", FX_FIELDS, catalog_area.set_rate,
            quote=self.fx_currency, rate_text=form.get("rate", ""),
        )
        if refused is not None:
            return refused
        self.fx_key += 1
        self._fetch_fx()
        return rx.toast.success(f"Rate saved: 1 {row.base} = {row.rate} {row.quote}.")


# -- components --------------------------------------------------------------------------------
