"""The Steps dialog of the Courses page (dept-admins): a course's steps in order, each with the
group classes that satisfy it (when, seats booked of the capacity); add, edit, reorder and
delete steps, attach an upcoming group class of the course's department or remove one."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import close_row, icon_action, note, only_if, row_button
from commerce_dash.components.dialogs import dialog
from commerce_dash.components.forms import error_text, field, labelled, select
from commerce_dash.pages.admin.course_steps_state import CourseStepsState, OptionView, StepView

S = CourseStepsState


def _option(option: rx.Var[OptionView]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(option.title, size="2", weight="medium"),
            rx.text(option.when, size="1"),
            only_if(option.your_time != "", note("Your time: ", option.your_time)),
            spacing="0",
            min_width="0",
        ),
        rx.spacer(),
        rx.badge(option.seats, " booked", color_scheme="gray", class_name="option-seats", high_contrast=True),
        only_if(option.status != "scheduled", rx.badge(option.status, color_scheme="red", high_contrast=True)),
        icon_action("x", option.remove_label,
                    S.detach(option.option_id, option.remove_label),  # type: ignore[operator]
                    color_scheme="red", class_name="detach-option"),
        align="center",
        width="100%",
        spacing="2",
        wrap="wrap",
        class_name="step-option",
        data_option_id=option.option_id,
    )


def _attach(step: rx.Var[StepView]) -> rx.Component:
    return rx.cond(
        S.attach_step == step.id,
        rx.vstack(
            rx.cond(
                S.classes.length() > 0,
                select(S.attach_session, S.set_attach_session, each=S.classes,
                       placeholder="Choose an upcoming group class",
                       label=f"Class to attach to {step.label}", width="100%",
                       id="attach-class"),
                note("No upcoming group class of this course's department: schedule one "
                     "first.", size="2"),
            ),
            error_text(S.attach_error, "attach-error"),
            rx.hstack(
                row_button("Cancel", S.cancel_attach, color="gray", type="button"),
                row_button("Attach", S.attach, type="button", id="attach-submit"),
                spacing="2",
            ),
            spacing="2",
            width="100%",
        ),
        row_button("Attach class", S.start_attach(step.id),  # type: ignore[operator]
                   icon="plus", class_name="attach-class", type="button",
                   aria_label=f"Attach a class to {step.label}"),
    )


def _delete(step: rx.Var[StepView]) -> rx.Component:
    return rx.cond(
        S.deleting == step.id,
        rx.hstack(
            rx.text("Delete ", step.label, "?", size="2", weight="medium"),
            row_button("Keep", S.keep_step, color="gray", type="button"),
            row_button("Yes, delete", S.delete_step(step.id),  # type: ignore[operator]
                       color="red", type="button", class_name="confirm-delete-step"),
            spacing="2",
            align="center",
        ),
        row_button("Delete", S.ask_delete(step.id), color="red",  # type: ignore[operator]
                   type="button", aria_label=f"Delete {step.label}"),
    )


def _step(step: rx.Var[StepView]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.hstack(rx.badge(step.label, high_contrast=True), rx.text(step.title, weight="medium"),
                              spacing="2", align="center", wrap="wrap"),
                    only_if(step.description != "",
                            rx.text(step.description, size="2", color_scheme="gray",
                                    white_space="pre-wrap")),
                    spacing="1",
                    min_width="0",
                ),
                rx.spacer(),
                rx.hstack(
                    icon_action("arrow-up", f"Move {step.label} up",
                                S.move(step.id, step.position - 1),  # type: ignore[operator]
                                disabled=step.first, class_name="move-up"),
                    icon_action("arrow-down", f"Move {step.label} down",
                                S.move(step.id, step.position + 1),  # type: ignore[operator]
                                disabled=step.last, class_name="move-down"),
                    row_button("Edit", S.edit_step(step.id), type="button",  # type: ignore[operator]
                               aria_label=f"Edit {step.label}"),
                    _delete(step),
                    spacing="2",
                    align="center",
                ),
                width="100%",
                align="start",
                wrap="wrap",
            ),
            rx.cond(
                step.options.length() > 0,
                rx.vstack(rx.foreach(step.options, _option), spacing="2", width="100%"),
                note("No class attached yet: learners have nothing to book for this step."),
            ),
            _attach(step),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="course-step",
        data_step_id=step.id,
    )


def _step_form() -> rx.Component:
    return only_if(
        S.form_mode != "",
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(rx.cond(S.form_mode == "edit", "Edit step", "Add a step"),
                               size="3"),
                    error_text(S.form_error, "step-form-error"),
                    field("Label", "step_label", S.label_error, required=True,
                          placeholder="Step 1", default_value=S.draft_label,  # type: ignore[arg-type]
                          hint="Shown before the title, like “Step 1” or “Week 2”."),
                    field("Title", "step_title", S.title_error,
                          placeholder="Foundations", default_value=S.draft_title),  # type: ignore[arg-type]
                    labelled(
                        "Description",
                        rx.text_area(id="step_description", name="step_description",
                                     default_value=S.draft_description, rows="3",
                                     width="100%"),
                        error_text(S.description_error, "step_description-error"),
                        html_for="step_description",
                    ),
                    rx.hstack(
                        rx.button("Cancel", variant="soft", color_scheme="gray", type="button",
                                  on_click=S.cancel_form),
                        rx.button("Save step", type="submit", id="save-step"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_step,
                reset_on_submit=False,
                key=S.form_key.to_string(),
            ),
            width="100%",
            id="step-form",
        ),
    )


def course_steps_dialog() -> rx.Component:
    return dialog(
        ("Steps · ", S.course_label),
        "Learners book one class of each step, in order. Times are each class's own; yours "
        "when it differs.",
        rx.vstack(
            rx.cond(
                S.steps.length() > 0,
                rx.vstack(rx.foreach(S.steps, _step), spacing="3", width="100%"),
                note("No steps yet. Add the first one.", size="2"),
            ),
            _step_form(),
            rx.hstack(
                only_if(S.form_mode == "",
                        rx.button(rx.icon("plus", size=14), "Add step", variant="soft",
                                  type="button", on_click=S.add_step, id="add-step")),
                rx.spacer(),
                close_row(),
                width="100%",
            ),
            spacing="3",
            width="100%",
            padding_top="0.75em",
        ),
        max_width="720px",
        tall=True,
        id="course-steps",
        open=S.open,
        on_open_change=S.set_open,
    )
