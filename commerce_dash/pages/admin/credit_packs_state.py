"""The state of ``credit_packs.py`` (the Credit packs card of the Pricing page): the packs of
the admin's departments with their price in force, and creating, editing, publishing and
unpublishing them through ``services.catalog`` (which checks the departments, audits and
commits). A pack's price is made with the page's "New price" (item type "Credit pack")."""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash.db import session_scope
from commerce_dash.domain.access import can_access
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.admin.service_calls import act, attempt, managed_department_options
from commerce_dash.services import catalog as catalog_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import value_setter

SECTION = "courses"  # packs are managed by who manages the department's courses
PACK_ERRORS = {
    "code": "code_error",
    "title": "title_error",
    "description": "description_error",
    "department_id": "department_error",
}


def _pack_dict(row: catalog_area.CreditPackRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "code": row.code,
        "title": row.title,
        "description": row.description,
        "department_id": str(row.department_id),
        "department": row.department,
        "published": "yes" if row.published else "",
        "price": row.price_label,
        "credits_note": row.credits_note,
    }


class CreditPacksState(AdminState):
    can_manage: bool = False  # the admin manages courses (and so packs) somewhere
    packs: list[dict[str, str]] = []
    departments: list[dict[str, str]] = []

    # the create / edit dialog (edit_id 0: a new pack)
    edit_open: bool = False
    edit_key: int = 0
    edit_id: int = 0
    edit_code: str = ""
    edit_title: str = ""
    edit_description: str = ""
    edit_department: str = ""
    code_error: str = ""
    title_error: str = ""
    description_error: str = ""
    department_error: str = ""
    edit_error: str = ""

    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            self.departments = managed_department_options(session, actor, SECTION)
            rows = catalog_area.list_credit_packs(session=session, actor=actor)
        self.packs = [_pack_dict(r) for r in rows]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        """The card's packs (it mounts with the Pricing page, which checks the access); an
        admin who manages no courses (a billing admin) has no card."""
        actor = self.guard("pricing")
        self.can_manage = actor is not None and can_access(actor.roles, SECTION)
        if not self.can_manage:
            self.packs = []
            return None
        try:
            self._fetch()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    # -- publish ------------------------------------------------------------------------------
    @rx.event
    def set_published(self, pack_id: str, published: bool):  # type: ignore[no-untyped-def]
        return act(
            self,
            catalog_area.publish_credit_pack,
            lambda pack: (
                f"{pack.code} is on sale once it has a price." if published
                else f"{pack.code} is unpublished; learners no longer see it."
            ),
            pack_id=route_int(pack_id) or 0,  # 0: not found
            published=bool(published),
        )

    # -- create and edit ----------------------------------------------------------------------
    def _clear_errors(self) -> None:
        for name in (*PACK_ERRORS.values(), "edit_error"):
            setattr(self, name, "")

    def _show(self, row: dict[str, str] | None) -> None:
        self._clear_errors()
        self.edit_key += 1
        self.edit_id = int(row["id"]) if row else 0
        self.edit_code = row["code"] if row else ""
        self.edit_title = row["title"] if row else ""
        self.edit_description = row["description"] if row else ""
        only = self.departments[0]["id"] if len(self.departments) == 1 else ""
        self.edit_department = row["department_id"] if row else only
        self.edit_open = True

    @rx.event
    def open_new(self):  # type: ignore[no-untyped-def]
        try:
            self._fetch()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        if not self.departments:
            return rx.toast.error("You manage no department's courses, so no credit pack.")
        self._show(None)
        return None

    @rx.event
    def open_edit(self, pack_id: str):  # type: ignore[no-untyped-def]
        row, refused = attempt(self, catalog_area.get_credit_pack,
                               pack_id=route_int(pack_id) or 0)  # 0: not found
        if row is None:
            return refused
        self._show(_pack_dict(row))
        return None

    set_edit_open = value_setter("edit_open", bool)
    set_edit_department = value_setter("edit_department")

    @rx.event
    def save(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self._clear_errors()
        try:
            department = route_int(self.edit_department)
            if department is None:
                raise DomainError("department_required", "Choose the pack's department.",
                                  field="department_id")
            data = catalog_area.CreditPackIn(
                code=str(form.get("pack_code", "")), title=str(form.get("pack_title", "")),
                department_id=department, description=str(form.get("description", "")))
            if self.edit_id:
                pack = as_admin(self, catalog_area.update_credit_pack, pack_id=self.edit_id,
                                data=data)
            else:
                pack = as_admin(self, catalog_area.create_credit_pack, data=data)
        except DomainError as exc:
            setattr(self, PACK_ERRORS.get(exc.field or "", "edit_error"), exc.message)
            return None
        created = not self.edit_id
        self.edit_open = False
        self._fetch()
        if created:
            return rx.toast.success(f"{pack.code} created as a draft: publish it, then give it "
                                    "a price with New price.")
        return rx.toast.success(f"{pack.code} saved.")
