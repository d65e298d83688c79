"""The state of ``users.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

import reflex as rx

from commerce_dash.db import session_scope
from commerce_dash.domain.access import DEPARTMENT_SCOPED_ROLES, ROLE_LABELS, RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.services import platform as platform_area
from commerce_dash.services.platform import department_options
from commerce_dash.state.admin import AdminState
from commerce_dash.state.paging import PagedTableMixin
from commerce_dash.state.route_args import route_int
from commerce_dash.state.service_call import as_admin
from commerce_dash.state.setters import value_setter

ROLE_OPTIONS = [{"value": r.value, "label": ROLE_LABELS[r]} for r in RoleName]
ROLES = tuple(r.value for r in RoleName)  # (a tuple: ``in`` compares, any value may be asked)
SCOPED = sorted(r.value for r in DEPARTMENT_SCOPED_ROLES)
CHOOSE_ROLE = "Choose a role from the list."
PAGE_SIZE = 20


def role_label(role: object) -> str:
    """The label of a role; a value that is no role is shown as it is, never raised on."""
    return ROLE_LABELS[RoleName(str(role))] if role in ROLES else str(role)


class UsersState(PagedTableMixin, AdminState):
    role_filter: str = "all"
    status_filter: str = "all"
    departments: list[dict[str, str]] = []

    # create dialog
    create_open: bool = False
    new_role: str = "learner"
    new_department: str = ""
    new_mode: str = "invite"
    email_error: str = ""
    full_name_error: str = ""
    password_error: str = ""
    create_error: str = ""
    invitation_link: str = ""

    # roles dialog
    roles_open: bool = False
    edit_user_id: int = 0
    edit_user_name: str = ""
    edit_grants: list[dict[str, str]] = []
    add_role: str = "learner"
    add_department: str = ""
    roles_error: str = ""

    def _dept_name(self, dept_id: int | None) -> str:
        for d in self.departments:
            if d["id"] == str(dept_id):
                return d["label"]
        return ""

    def _grant_label(self, grant: Grant) -> str:
        label = role_label(grant.role)
        return f"{label} · {self._dept_name(grant.department_id)}" if grant.department_id else label

    def _fetch(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            self.departments = [
                {"id": str(i), "label": label} for i, label in department_options(session=session)
            ]
            result = platform_area.list_users(
                session=session,
                actor=actor,
                page=PageRequest(self.page, PAGE_SIZE),
                search=self.search,
                role=self.role_filter if self.role_filter in ROLES else "",  # "all": every
                status="" if self.status_filter == "all" else self.status_filter,
            )
        self.total, self.pages = result.total, result.pages
        self.rows = [
            {
                "id": str(r.id),
                "email": r.email,
                "full_name": r.full_name,
                "status": "active" if r.is_active else "deactivated",
                "invited": "yes" if r.pending_invitation else "",
                "roles": ", ".join(self._grant_label(g) for g in r.grants),
                "last_login": r.last_login_at[:16].replace("T", " ") or "never",
            }
            for r in result.items
        ]

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if self.guard("users") is None:
            return self.refused()
        self._fetch()
        return None

    @rx.event
    def set_role_filter(self, value: str) -> None:
        self.role_filter, self.page = value, 1
        self._fetch()

    @rx.event
    def set_status_filter(self, value: str) -> None:
        self.status_filter, self.page = value, 1
        self._fetch()

    # -- create -------------------------------------------------------------
    @rx.event
    def open_create(self) -> None:
        self.create_open = True
        self.email_error = self.full_name_error = self.password_error = ""
        self.create_error = self.invitation_link = ""
        self.new_role, self.new_department, self.new_mode = "learner", "", "invite"

    set_create_open = value_setter("create_open", bool)
    set_new_role = value_setter("new_role")
    set_new_department = value_setter("new_department")
    set_new_mode = value_setter("new_mode")

    @rx.event
    def create_user(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.email_error = self.full_name_error = self.password_error = self.create_error = ""
        dept = route_int(self.new_department)  # none chosen (or no id): "choose a department"
        try:
            created = as_admin(
                self,
                platform_area.create_user,
                email=form.get("email", ""),
                full_name=form.get("full_name", ""),
                grants=[Grant(self.new_role, dept if self.new_role in SCOPED else None)],
                password=form.get("password") if self.new_mode == "password" else None,
            )
        except DomainError as exc:
            target = {
                "email": "email_error",
                "full_name": "full_name_error",
                "password": "password_error",
            }.get(exc.field or "", "create_error")
            setattr(self, target, exc.message)
            return None
        self._fetch()
        if created.invitation_link:
            self.invitation_link = created.invitation_link
            return rx.toast.success(f"Invitation created for {created.user.email}.")
        self.create_open = False
        return rx.toast.success(f"{created.user.email} can now sign in.")

    # -- roles --------------------------------------------------------------
    def _load_grants(self, user_id: int) -> None:
        row = next((r for r in self.rows if r["id"] == str(user_id)), None)
        self.edit_user_name = row["full_name"] if row else ""
        grants = as_admin(self, platform_area.user_grants, user_id=user_id)
        self.edit_grants = [
            {
                "role": g.role,
                "department_id": str(g.department_id or ""),
                "label": self._grant_label(g),
            }
            for g in grants
        ]

    @rx.event
    def open_roles(self, user_id: str):  # type: ignore[no-untyped-def]
        if self.guard("users") is None:
            return None
        user = route_int(user_id) or 0  # 0: not found
        try:
            self._load_grants(user)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.edit_user_id = user
        self.roles_error = ""
        self.add_role, self.add_department = "learner", ""
        self.roles_open = True
        return None

    set_roles_open = value_setter("roles_open", bool)
    set_add_role = value_setter("add_role")
    set_add_department = value_setter("add_department")

    @rx.event
    def add_grant(self) -> None:
        self.roles_error = ""
        if self.add_role not in ROLES:  # a select value no option has (a forged event)
            self.roles_error = CHOOSE_ROLE
            return
        # none chosen, or a select value that is no id
        department = route_int(self.add_department) if self.add_role in SCOPED else None
        if self.add_role in SCOPED and department is None:
            self.roles_error = "Choose the department this role applies to."
            return
        dept = str(department) if department else ""
        grant = Grant(self.add_role, department)
        entry = {"role": grant.role, "department_id": dept, "label": self._grant_label(grant)}
        if entry not in self.edit_grants:
            self.edit_grants = [*self.edit_grants, entry]

    @rx.event
    def remove_grant(self, index: int) -> None:
        self.edit_grants = [g for i, g in enumerate(self.edit_grants) if i != index]

    @rx.event
    def save_roles(self):  # type: ignore[no-untyped-def]
        grants = [
            Grant(g["role"], int(g["department_id"]) if g["department_id"] else None)
            for g in self.edit_grants
        ]
        try:
            as_admin(self, platform_area.set_grants, user_id=self.edit_user_id, grants=grants)
        except DomainError as exc:
            self.roles_error = exc.message
            return None
        self.roles_open = False
        self._fetch()
        return rx.toast.success(f"Roles of {self.edit_user_name} saved.")

    # -- activation ---------------------------------------------------------
    @rx.event
    def toggle_active(self, user_id: str, activate: bool):  # type: ignore[no-untyped-def]
        wanted = route_int(user_id) or 0  # 0: not found
        try:
            user = as_admin(self, platform_area.set_active, user_id=wanted, active=activate)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._fetch()
        verb = "reactivated" if activate else "deactivated; their sessions were ended"
        return rx.toast.success(f"{user.email} {verb}.")

    @rx.event
    def reissue(self, user_id: str):  # type: ignore[no-untyped-def]
        try:
            # an id that is no number becomes 0: not found
            link = as_admin(self, platform_area.reissue_invitation, user_id=route_int(user_id) or 0)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.invitation_link = link
        self.create_open = True
        return rx.toast.success("A new invitation link was created.")
