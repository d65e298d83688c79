"""Health (super-admins and billing admins): the figures of ``/metrics`` for people: errors,
event-loop lag, webhooks, outbox, jobs and failed sign-ins; request latency by route; payment
success by processor; page events by handler; job runs. Thin: the state reads them (``health_state.py``)."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.admin_forms import note, soft_action, titled_card
from commerce_dash.components.kpi import kpi_grid
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import empty_state, table_box
from commerce_dash.pages.admin.health_state import SECTION, HealthState

S = HealthState


def _cells(row: rx.Var, keys: tuple[str, ...], first_code: bool = False) -> rx.Component:  # type: ignore[type-arg]
    lead = rx.code(row[keys[0]], word_break="break-all") if first_code \
        else rx.text(row[keys[0]], size="2")
    cells = [rx.table.cell(lead)]
    cells += [rx.table.cell(rx.text(row[k], size="2")) for k in keys[1:]]
    return rx.table.row(*cells)


def _table(title: str, hint: str, headers: list[str], rows: rx.Var, keys: tuple[str, ...],  # type: ignore[type-arg]
           card_id: str, empty: tuple[str, str, str], first_code: bool = False) -> rx.Component:
    return titled_card(
        title,
        hint,
        rx.cond(
            rows.length() > 0,  # type: ignore[attr-defined]
            table_box(headers, rows, lambda row: _cells(row, keys, first_code), size="1"),
            empty_state(*empty),
        ),
        id=card_id,
    )


def health_page() -> rx.Component:
    return admin_shell(
        SECTION,
        "Health",
        rx.hstack(
            note("As of ", S.as_of, size="2"),
            rx.spacer(),
            soft_action("refresh-cw", "Refresh", S.refresh),
            wrap="wrap",
            width="100%",
            align="center",
        ),
        kpi_grid(S.kpis, value_size="5",
                 columns=rx.breakpoints(initial="1", xs="2", md="4")),
        _table("Payments by processor",
               "Payments last updated in the last 24 hours; the rate is succeeded out of "
               "succeeded and failed (refunded ones were taken first).",
               ["Processor", "Succeeded", "Failed", "Other", "Success rate"], S.payments,
               ("processor", "succeeded", "failed", "other", "rate"), "health-payments",
               ("credit-card", "No payments", "None in the last 24 hours.")),
        _table("Latency by route",
               "Requests measured since the app started (every process's when metrics are "
               "shared), busiest first.",
               ["Route", "Method", "Requests", "p50", "p95"], S.routes,
               ("route", "method", "count", "p50", "p95"), "health-routes",
               ("gauge", "No requests measured", "Figures appear as requests are answered."),
               first_code=True),
        _table("Page events",
               "Time to handle each page event (its handler), slowest first; measured since "
               "the app started.",
               ["Event", "Events", "p50", "p95"], S.events, ("event", "count", "p50", "p95"),
               "health-events",
               ("gauge", "No page events measured", "Figures appear as pages are used."),
               first_code=True),
        _table("Jobs", "Runs in the last 24 hours and how the latest ended.",
               ["Job", "Runs", "Failed", "Latest"], S.jobs, ("job", "runs", "failed", "last"),
               "health-jobs", ("clock", "No job runs", "None in the last 24 hours."),
               first_code=True),
    )
