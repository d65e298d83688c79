"""Users and roles (super-admins): search, create or invite, grant roles, deactivate."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.cells import only_if, two_lines
from commerce_dash.components.dialogs import dialog, dialog_buttons
from commerce_dash.components.filters import filter_bar, search_box
from commerce_dash.components.forms import field, form_error, select
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import paged_table
from commerce_dash.pages.admin.users_state import (
    ROLE_OPTIONS,
    UsersState,
)


def _role_select(value, on_change, with_all: bool = False) -> rx.Component:  # type: ignore[no-untyped-def]
    return select(value, on_change, [(o["value"], o["label"]) for o in ROLE_OPTIONS],
                  first=("all", "All roles") if with_all else None, placeholder="Role",
                  label="Role")


def _department_select(value, on_change) -> rx.Component:  # type: ignore[no-untyped-def]
    return select(value, on_change, each=UsersState.departments, placeholder="Department",
                  label="Department")


def _create_dialog() -> rx.Component:
    return dialog(
        "Add a user",
        "Send them an invitation link or set a first password; their roles decide what they see.",
        rx.cond(
            UsersState.invitation_link != "",
            rx.vstack(
                rx.callout(
                    "Send this link to the person. It works once, for 7 days.",
                    icon="mail",
                    color_scheme="green",
                ),
                rx.hstack(
                    rx.input(
                        value=UsersState.invitation_link,
                        read_only=True,
                        width="100%",
                        id="invitation-link",
                    ),
                    rx.button(
                        rx.icon("copy", size=14),
                        "Copy",
                        on_click=[
                            rx.set_clipboard(UsersState.invitation_link),
                            rx.toast.info("Link copied."),
                        ],
                    ),
                    width="100%",
                ),
                rx.dialog.close(rx.button("Done", variant="soft")),
                spacing="3",
            ),
            rx.form(
                rx.vstack(
                    form_error(UsersState.create_error),
                    field(
                        "Email", "email", UsersState.email_error, type="email", required=True
                    ),
                    field("Full name", "full_name", UsersState.full_name_error, required=True),
                    rx.text("Role", size="2", weight="medium"),
                    _role_select(UsersState.new_role, UsersState.set_new_role),
                    only_if(
                        UsersState.new_role.contains("_admin")
                        & (
                            (UsersState.new_role == "dept_admin")
                            | (UsersState.new_role == "enrollment_admin")
                        ),
                        _department_select(
                            UsersState.new_department, UsersState.set_new_department
                        ),
                    ),
                    rx.radio_group(
                        ["invite", "password"],
                        value=UsersState.new_mode,
                        on_change=UsersState.set_new_mode,
                        direction="row",
                    ),
                    rx.text(
                        "invite: the person sets their own password from a link; "
                        "password: you set it now.",
                        size="1",
                        color_scheme="gray",
                    ),
                    only_if(
                        UsersState.new_mode == "password",
                        field(
                            "Password", "password", UsersState.password_error, type="password"
                        ),
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(
                                "Cancel", variant="soft", color_scheme="gray", type="button"
                            )
                        ),
                        rx.button("Create user", type="submit", id="create-user-submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=UsersState.create_user,
                reset_on_submit=False,
            ),
        ),
        max_width="480px",
        open=UsersState.create_open,
        on_open_change=UsersState.set_create_open,
    )


def _roles_dialog() -> rx.Component:
    return dialog(
        ("Roles of ", UsersState.edit_user_name),
        "Each role applies to the whole organisation or to one department.",
        rx.vstack(
            rx.cond(
                UsersState.edit_grants.length() > 0,
                rx.vstack(
                    rx.foreach(
                        UsersState.edit_grants,
                        lambda g, i: rx.hstack(
                            rx.badge(g["label"], size="2"),
                            rx.spacer(),
                            rx.icon_button(
                                rx.icon("x", size=14),
                                size="1",
                                variant="ghost",
                                color_scheme="red",
                                aria_label="Remove role",
                                on_click=UsersState.remove_grant(i),
                            ),
                            width="100%",
                        ),
                    ),
                    width="100%",
                ),
                rx.text("No roles: add at least one.", color_scheme="gray", size="2"),
            ),
            rx.separator(),
            rx.hstack(
                _role_select(UsersState.add_role, UsersState.set_add_role),
                only_if(
                    (UsersState.add_role == "dept_admin")
                    | (UsersState.add_role == "enrollment_admin"),
                    _department_select(
                        UsersState.add_department, UsersState.set_add_department
                    ),
                ),
                rx.button("Add", variant="soft", on_click=UsersState.add_grant),
                wrap="wrap",
            ),
            form_error(UsersState.roles_error),
            dialog_buttons(rx.button("Save roles", on_click=UsersState.save_roles)),
            spacing="3",
        ),
        max_width="520px",
        open=UsersState.roles_open,
        on_open_change=UsersState.set_roles_open,
    )


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            two_lines(row["full_name"], row["email"], weight="medium")
        ),
        rx.table.cell(rx.text(row["roles"], size="2")),
        rx.table.cell(
            rx.cond(
                row["status"] == "active",
                rx.cond(
                    row["invited"] == "yes",
                    rx.badge("invited", color_scheme="amber"),
                    rx.badge("active", color_scheme="green"),
                ),
                rx.badge("deactivated", color_scheme="gray"),
            ),
        ),
        rx.table.cell(rx.text(row["last_login"], size="1")),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Roles", size="1", variant="soft", on_click=UsersState.open_roles(row["id"])
                ),
                only_if(
                    row["invited"] == "yes",
                    rx.button(
                        "New link", size="1", variant="soft", on_click=UsersState.reissue(row["id"])
                    ),
                ),
                rx.cond(
                    row["status"] == "active",
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(
                            rx.button("Deactivate", size="1", variant="soft", color_scheme="red")
                        ),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title("Deactivate ", row["full_name"], "?"),
                            rx.alert_dialog.description(
                                "They are signed out everywhere and cannot sign in until "
                                "reactivated. Their orders and certificates stay."
                            ),
                            rx.hstack(
                                rx.alert_dialog.cancel(
                                    rx.button("Cancel", variant="soft", color_scheme="gray")
                                ),
                                rx.alert_dialog.action(
                                    rx.button(
                                        "Deactivate",
                                        color_scheme="red",
                                        on_click=UsersState.toggle_active(row["id"], False),
                                    )
                                ),
                                justify="end",
                                spacing="3",
                                padding_top="1em",
                            ),
                        ),
                    ),
                    rx.button(
                        "Reactivate",
                        size="1",
                        variant="soft",
                        on_click=UsersState.toggle_active(row["id"], True),
                    ),
                ),
                spacing="2",
            ),
        ),
        data_email=row["email"],
    )


def users_page() -> rx.Component:
    return admin_shell(
        "users",
        "Users & roles",
        filter_bar(
            search_box(UsersState.search, UsersState.set_search, "Search name or email",
                       width=["100%", "260px"]),
            _role_select(UsersState.role_filter, UsersState.set_role_filter, with_all=True),
            select(UsersState.status_filter, UsersState.set_status_filter,
                   [("all", "Any status"), ("active", "Active"), ("inactive", "Deactivated")],
                   label="Account status"),
            rx.spacer(),
            rx.button(rx.icon("user-plus", size=16), "Add user", on_click=UsersState.open_create,
                      id="add-user"),
            align=None,
        ),
        paged_table(
            UsersState,
            ["User", "Roles", "Status", "Last sign-in", "Actions"],
            _row,
            ("users", "No users match", "Change the search or filters, or add a user."),
        ),
        _create_dialog(),
        _roles_dialog(),
    )
