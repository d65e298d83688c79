"""Plotly figures of a revenue report: pure functions of the aggregated result.

Amounts are plotted in major units; the conversion to float happens here, at the edge, for
drawing only (tables and exports keep exact amounts). Each figure is built in one constructor
call (data and layout as plain dicts): plotly validates once instead of once per update.
Figures set no width (``autosize``): they fill their card and follow it on resize. Only
trace types of plotly.js's basic bundle are used (scatter, bar, pie), so the page loads that
bundle (``CHART_TRACE_TYPES``) instead of the full one.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from commerce_dash.domain.money import currency_digits
from commerce_dash.services.revenue.revenue_exports import GROUP_LABELS
from commerce_dash.services.revenue.revenue_reports import RevenueReport

TOP_N = 10
# the trace types of plotly.js-basic-dist-min, which the revenue page loads (rx.plotly.basic)
CHART_TRACE_TYPES = frozenset({"scatter", "bar", "pie"})
COLORS = {"gross": "#3e63dd", "refunds": "#e5484d", "net": "#30a46c",
          "Platform": "#3e63dd", "Creators": "#8e4ec6", "Instructors": "#12a594"}


def _scale(currency: str) -> int:
    return 10 ** currency_digits(currency)


def _layout(currency: str, height: int = 300, **extra: Any) -> dict[str, Any]:
    return {
        # An empty template keeps the state small; rx.plotly adds the light/dark theme.
        "template": {},
        # no width: the chart takes its card's width and follows it when the page resizes
        "autosize": True,
        "height": height,
        "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
        "legend": {"orientation": "h", "y": -0.2},
        "yaxis": {"title": {"text": currency}, "rangemode": "tozero", "zeroline": True},
        **extra,
    }


def revenue_over_time(report: RevenueReport) -> go.Figure:
    """Gross sales, refunds and net revenue per day or month."""
    scale = _scale(report.currency)
    x = [p.bucket for p in report.series]
    mode = "lines+markers" if len(x) <= 31 else "lines"
    traces = [
        {"type": "scatter", "x": x, "y": [getattr(p, name) / scale for p in report.series],
         "name": label, "mode": mode, "line": {"color": COLORS[name], "width": 2},
         **({"fill": "tozeroy"} if name == "net" else {})}
        for name, label in (("gross", "Gross"), ("refunds", "Refunds"), ("net", "Net"))
    ]
    daily = report.series_unit == "day"
    xaxis = {"type": "date", "tickformat": "%b %d"} if daily else {"type": "category"}
    return go.Figure(data=traces, layout=_layout(report.currency, xaxis=xaxis))


def top_rows(report: RevenueReport, n: int = TOP_N) -> go.Figure:
    """The ``n`` groups with the most net revenue (top courses when grouped by course), the
    largest on top."""
    scale = _scale(report.currency)
    rows = sorted(report.rows, key=lambda r: -r.net)[:n]
    rows.reverse()
    bar = {"type": "bar", "orientation": "h", "x": [r.net / scale for r in rows],
           "y": [r.label for r in rows], "marker": {"color": COLORS["net"]}, "name": "Net",
           "hovertemplate": "%{y}: %{x:,.2f}<extra></extra>"}
    layout = _layout(
        report.currency, height=max(200, 40 + 28 * len(rows)),
        xaxis={"title": {"text": f"Net revenue ({report.currency})"}},
        yaxis={"title": {"text": GROUP_LABELS[report.group_by]}, "automargin": True},
    )
    return go.Figure(data=[bar], layout=layout)


def split_breakdown(report: RevenueReport) -> go.Figure:
    """Net revenue by recipient as a donut; a bar chart when a part is negative (more refunds
    than sales in the period), which a donut cannot show."""
    scale = _scale(report.currency)
    labels = [label for label, _ in report.split]
    values = [amount / scale for _, amount in report.split]
    colors = [COLORS[label] for label in labels]
    if any(v < 0 for v in values):
        bar = {"type": "bar", "x": labels, "y": values, "marker": {"color": colors}}
        return go.Figure(data=[bar], layout=_layout(report.currency, height=260))
    pie = {"type": "pie", "labels": labels, "values": values, "hole": 0.55, "sort": False,
           "marker": {"colors": colors}, "textinfo": "label+percent"}
    layout = {"template": {}, "autosize": True, "height": 260, "showlegend": False,
              "margin": {"l": 10, "r": 10, "t": 10, "b": 10}}
    return go.Figure(data=[pie], layout=layout)


def figures(report: RevenueReport) -> dict[str, go.Figure]:
    """Every chart of the revenue page, by name."""
    return {
        "over_time": revenue_over_time(report),
        "top": top_rows(report),
        "split": split_breakdown(report),
    }
