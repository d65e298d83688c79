"""Revenue reports (billing admins: every department; dept-admins: theirs): a period, a grouping
and a department filter; KPIs, charts, the server-aggregated table with its totals, CSV / XLSX
exports of exactly that table, the subscription figures (MRR, subscribers, trials converting,
churn, plans), and the reconciliation for billing and super-admins.

A container page: it also shows the payouts card of ``payouts.py``.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash.components.admin_forms import note, only_if, soft_action, titled_card
from commerce_dash.components.kpi import kpi_grid
from commerce_dash.components.shell import admin_shell
from commerce_dash.components.tables import empty_state, table_box
from commerce_dash.pages.admin.payouts import payouts_card
from commerce_dash.pages.admin.recovered_carts import recovered_carts_card
from commerce_dash.pages.admin.revenue_funnel import funnel_card
from commerce_dash.pages.admin.revenue_state import (
    ALL,
    MONEY_FIELDS,
    NO_PLANS,
    NO_REVENUE,
    PROGRAM_NOTE,
    RECONCILED,
    SECTION,
    RevenueState,
)
from commerce_dash.services import revenue as revenue_area

S = RevenueState


def _controls() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label="Period", id="revenue-preset"),
                rx.select.content(*[rx.select.item(label, value=key)
                                    for key, label in revenue_area.PRESETS.items()]),
                value=S.preset,
                on_change=S.set_preset,
            ),
            rx.input(type="date", value=S.start, on_change=S.set_start, id="revenue-start",
                     aria_label="First day"),
            rx.text("to", size="2"),
            rx.input(type="date", value=S.end, on_change=S.set_end, id="revenue-end",
                     aria_label="Last day"),
            rx.select.root(
                rx.select.trigger(aria_label="Department", max_width="18em",
                                  id="revenue-department"),
                rx.select.content(
                    rx.select.item("All my departments", value=ALL),
                    rx.foreach(S.departments,
                               lambda d: rx.select.item(d["label"], value=d["id"])),
                ),
                value=S.department,
                on_change=S.set_department,
            ),
            rx.select.root(
                rx.select.trigger(aria_label="Creator or instructor", max_width="18em",
                                  id="revenue-person"),
                rx.select.content(
                    rx.select.item("All creators and instructors", value=ALL),
                    rx.foreach(S.people, lambda p: rx.select.item(p["label"], value=p["id"])),
                ),
                value=S.person,
                on_change=S.set_person,
            ),
            rx.spacer(),
            soft_action("rotate-cw", "Refresh", S.refresh),
            soft_action("file-text", "Export CSV", S.export_csv, id="export-csv"),
            soft_action("sheet", "Export XLSX", S.export_xlsx, id="export-xlsx"),
            align="center",
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        rx.hstack(
            note("Group by", size="2"),
            rx.segmented_control.root(
                *[rx.segmented_control.item(label, value=key)
                  for key, label in revenue_area.GROUP_LABELS.items()],
                value=S.group_by,
                on_change=S.set_group_by,
                id="revenue-group",
                # six groupings are wider than a phone: they scroll inside their own box
                min_width="0",
                max_width="100%",
                overflow_x="auto",
            ),
            align="center",
            spacing="3",
            wrap="wrap",
            max_width="100%",
        ),
        only_if(S.group_by == "program", note(PROGRAM_NOTE, size="2", id="program-note")),
        only_if(
            S.other_currencies != "",
            rx.callout(
                rx.text("Ledger rows in ", S.other_currencies, " are not included: this "
                        "report is in ", S.currency, "."),
                icon="info", size="1", color_scheme="amber",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _chart(title: str, figure: rx.Var, chart_id: str) -> rx.Component:
    return rx.card(
        rx.text(title, weight="medium", size="2"),
        # plotly.js's basic bundle (scatter, bar, pie: all these charts draw), a fifth of the
        # full one; the figure has no width and fills the card
        rx.plotly.basic(data=figure, config={"displayModeBar": False, "responsive": True},
                        style={"width": "100%"}),
        width="100%",
        id=chart_id,
    )


def _charts() -> rx.Component:
    return rx.vstack(
        _chart("Revenue over time", S.over_time, "revenue-over-time"),
        rx.grid(
            _chart("Top 10 by net revenue", S.top, "revenue-top"),
            _chart("Split of net revenue", S.split, "revenue-split"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _cells(row: ObjectVar[dict[str, str]], strong: bool = False) -> list[rx.Component]:
    weight = "bold" if strong else "regular"
    cells = [rx.table.cell(rx.text(row["label"], size="2", weight="bold" if strong else
                                   "medium"))]
    cells += [rx.table.cell(rx.text(row[name], size="2", weight=weight), text_align="right",
                            white_space="nowrap")
              for name in (*MONEY_FIELDS, "enrollments")]
    cells.append(only_if(S.show_completion,
                         rx.table.cell(rx.text(row["completion"], size="2", weight=weight),
                                       text_align="right")))
    return cells


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(*_cells(row), class_name="revenue-row", data_key=row["key"],
                        background=rx.cond(row["negative"] == "yes", rx.color("red", 2),
                                           "transparent"))


def _table() -> rx.Component:
    # the exports' headers: the shares say whose share they are ("Creator share"), apart
    # from the group's own column when grouped by creator or instructor
    headers = [header for _field, header in revenue_area.FIGURE_HEADERS]
    return rx.card(
        rx.cond(
            S.rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell(S.group_label),
                        *[rx.table.column_header_cell(h, text_align="right") for h in headers],
                        only_if(S.show_completion,
                                rx.table.column_header_cell("Completion", text_align="right")),
                    )),
                    rx.table.body(
                        rx.foreach(S.rows, _row),
                        rx.table.row(*_cells(S.totals, strong=True), id="revenue-totals",
                                     background=rx.color("gray", 3)),
                    ),
                    width="100%",
                    size="2",
                ),
                overflow_x="auto",
                width="100%",
                # its group column is named at run time, so it cannot stack into cards on a
                # phone: it scrolls sideways, and a keyboard reaches the scrolling box
                class_name="keyboard-scroll",
                tab_index=0,
                role="region",
                aria_label="Revenue figures by group (scrolls sideways)",
            ),
            empty_state(*NO_REVENUE),
        ),
        width="100%",
        id="revenue-table",
    )


def _recon_day(day: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.hstack(
            rx.text(day["day"], size="2", white_space="nowrap"),
            only_if(day["mismatch"] == "yes",
                    rx.badge("Mismatch", color_scheme="red", variant="soft")),
            spacing="2", align="center")),
        *[rx.table.cell(rx.text(day[name], size="2"), text_align="right")
          for name in ("captured", "ledger_sales", "refunded", "ledger_reversals", "orders")],
        class_name="reconciliation-day",
        data_day=day["day"],
        data_mismatch=day["mismatch"],
        background=rx.cond(day["mismatch"] == "yes", rx.color("red", 3), "transparent"),
    )


def _problem(item: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.badge(item["kind"], color_scheme="amber", variant="soft")),
        rx.table.cell(rx.text(item["reference"], size="2", weight="medium")),
        rx.table.cell(rx.text(item["detail"], size="2")),
        rx.table.cell(rx.text(item["amount"], size="2"), text_align="right"),
        rx.table.cell(note(item["at"])),
        class_name="reconciliation-problem",
    )


def _small_table(label: str, headers: list[str], rows: rx.Var, render,  # type: ignore[no-untyped-def]
                 first_left: int = 1) -> rx.Component:
    """A compact table that scrolls within 24em, in a named region a keyboard can focus to
    scroll it (``label``); the first ``first_left`` columns are text, the others figures
    (aligned right)."""
    cells = [rx.table.column_header_cell(h, text_align="left" if i < first_left else "right")
             for i, h in enumerate(headers)]
    return table_box(cells, rows, render, size="1",
                     box={"max_height": "24em", "overflow_y": "auto", "width": "100%",
                          "tab_index": 0, "role": "region", "aria_label": label})


def _plan(plan: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        *[rx.table.cell(rx.text(plan[name], size="2")) for name in ("department", "interval",
                                                                     "currency")],
        *[rx.table.cell(rx.text(plan[name], size="2"), text_align="right")
          for name in ("subscribers", "trialing", "mrr")],
        class_name="subscription-plan",
    )


def _subscriptions() -> rx.Component:
    return titled_card(
        "Subscriptions",
        "MRR and subscribers at the end of the period (or now); trials converting and churn "
        "within it. Each paid invoice is also an order: its revenue is in the figures above.",
        kpi_grid(S.sub_kpis, value_size="5", columns=rx.breakpoints(initial="2", lg="4")),
        rx.cond(
            S.sub_plans.length() > 0,
            _small_table("Subscription plans", ["Department", "Interval", "Currency", "Subscribers", "Trialing",
                          "MRR"], S.sub_plans, _plan, first_left=3),
            note(NO_PLANS, size="2"),
        ),
        id="subscriptions-card",
    )


def _reconciliation() -> rx.Component:
    return only_if(
        S.can_reconcile,
        titled_card(
            "Reconciliation",
            "Per UTC day: what the processor captured and refunded against the ledger's sales "
            "and reversals (gross + tax).",
            rx.cond(
                (S.recon_days.length() == 0) & (S.recon_problems.length() == 0),
                rx.callout(RECONCILED, icon="circle-check", color_scheme="green",
                           id="reconciliation-ok"),
                rx.vstack(
                    rx.text(S.recon_summary, size="2", weight="medium"),
                    _small_table("Reconciliation by day", ["Day", "Captured", "Ledger sales", "Refunded",
                                  "Ledger reversals", "Orders"], S.recon_days, _recon_day),
                    only_if(
                        S.recon_problems.length() > 0,
                        _small_table("Reconciliation problems", ["Problem", "Reference", "Details", "Amount", "When"],
                                     S.recon_problems, _problem, first_left=3),
                    ),
                    spacing="3",
                    width="100%",
                ),
            ),
            id="reconciliation-card",
        ),
    )


def more_revenue_cards() -> rx.Component:
    """Further revenue cards below the report: the payout sync, the recovered carts."""
    return rx.fragment(payouts_card(), recovered_carts_card(S.start, S.end))


def revenue_page() -> rx.Component:
    return admin_shell(
        SECTION,
        "Revenue",
        _controls(),
        kpi_grid(S.kpis, value_size="6", columns=rx.breakpoints(initial="2", sm="3", lg="4")),
        _charts(),
        _table(),
        funnel_card(S.start, S.end, S.department),
        _subscriptions(),
        _reconciliation(),
        more_revenue_cards(),
    )
