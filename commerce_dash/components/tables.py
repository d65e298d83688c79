"""Table helpers: server-side pager and empty states."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx
from reflex.components.base.bare import Bare
from reflex.vars.sequence import LiteralStringVar


def pager(
    page: rx.Var[int], pages: rx.Var[int], total: rx.Var[int], on_prev, on_next
) -> rx.Component:  # type: ignore[no-untyped-def]
    """Previous / next controls for a server-paged table."""
    return rx.hstack(
        rx.text(total.to_string() + " total", size="2", color_scheme="gray"),
        rx.spacer(),
        rx.button(
            rx.icon("chevron-left", size=16),
            "Previous",
            variant="soft",
            size="2",
            on_click=on_prev,
            disabled=page <= 1,
        ),
        rx.text("Page ", page.to_string(), " of ", pages.to_string(), size="2"),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=16),
            variant="soft",
            size="2",
            on_click=on_next,
            disabled=page >= pages,
        ),
        align="center",
        width="100%",
        spacing="3",
        padding_top="0.75em",
        wrap="wrap",
    )


def skeleton_rows(rows: int = 6) -> rx.Component:
    """Grey bars in the shape of a table's rows, shown while its data is on the way."""
    return rx.vstack(
        *[rx.skeleton(rx.box(height="2.25em", width="100%"), loading=True, width="100%")
          for _ in range(rows)],
        spacing="2",
        width="100%",
        class_name="skeleton-rows",
    )


def empty_state(icon: str, title: str, hint: str) -> rx.Component:
    """What to show instead of an empty table, with what to do next."""
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=32, color=rx.color("gray", 9)),
            rx.heading(title, size="4"),
            rx.text(hint, color_scheme="gray", size="2", text_align="center"),
            align="center",
            spacing="2",
        ),
        padding="3em 1em",
        width="100%",
    )


ACTIONS = "Actions"  # the spoken name of a header left blank over a column of buttons


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (for ``content: var(--col-N)``)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def header_cell(header: str | rx.Component) -> rx.Component:
    """A column header: a text, or a header cell of its own; a blank one over row actions
    still has a name for screen readers (axe: empty-table-header)."""
    if isinstance(header, rx.Component):
        return header
    if header == "":
        return rx.table.column_header_cell(rx.el.span(ACTIONS, class_name="visually-hidden"))
    return rx.table.column_header_cell(header)


def _header_label(header: str | rx.Component) -> str | rx.Var | None:
    """The text of a column header: the string itself, or the text (a literal, or a state
    var) of a header cell of its own; None when the cell holds something else."""
    if isinstance(header, str):
        return header
    parts: list[str | rx.Var] = []
    stack: list[Any] = [header]
    while stack:
        node = stack.pop()
        if isinstance(node, Bare):
            value = node.contents
            parts.append(value._var_value if isinstance(value, LiteralStringVar) else value)
        stack.extend(reversed(getattr(node, "children", [])))
    if len(parts) == 1:
        return parts[0]
    if parts and all(isinstance(part, str) for part in parts):
        return " ".join(str(part) for part in parts)
    return None


def stacked_table(headers: Sequence[str | rx.Component], *, lead: int = 0) -> dict[str, Any]:
    """Props for the box around a table that turns into one card per row under 640 px
    (assets/commerce.css, class ``data-table``): each cell shows its column's label, read
    from ``--col-N``; ``lead`` header cells without a text (a tick-all box) come first. A
    table with a header whose text cannot be read keeps scrolling sideways instead (cards
    without labels would say less than the table). A last column of row actions (header
    blank or "Actions") stays in view while a wide table scrolls sideways.
    Spread into the box: ``rx.box(rx.table.root(...), **stacked_table(headers))``."""
    labels = [_header_label(h) for h in headers]
    last = labels[-1] if labels else None
    classes = ["sticky-last"] if isinstance(last, str) and last in ("", ACTIONS) else []
    style: dict[str, Any] = {}
    if all(label is not None for label in labels):
        classes.insert(0, "data-table")
        for i, label in enumerate(labels, start=lead + 1):
            if isinstance(label, str):
                if label:
                    style[f"--col-{i}"] = _css_string(label)
            else:
                style[f"--col-{i}"] = f'"{label}"'
    return {"class_name": " ".join(classes), "style": style}


def table_box(
    headers: Sequence[str | rx.Component],
    rows: Any,
    row: Any,
    *,
    lead: Sequence[rx.Component] = (),
    box: dict[str, Any] | None = None,
    **table_props: Any,
) -> rx.Component:
    """A table of the list var ``rows``, each drawn by ``row``, under a header row of
    ``headers`` (texts, or header cells of their own) after the ``lead`` header cells (e.g. a
    tick-all box). Under 640 px each row is a card whose cells show their column's label
    (``stacked_table``); wider, it scrolls sideways when it must, its row actions in view,
    unless ``box`` gives the box's own layout; ``table_props`` go to the table (e.g.
    ``size="1"``)."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*lead, *[header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, row)),
            width="100%",
            **table_props,
        ),
        **stacked_table(headers, lead=len(lead)),
        **(box or {"overflow_x": "auto", "width": "100%"}),
    )


def paged_table(
    state: Any,
    headers: list[str],
    row: Any,
    empty: tuple[str, str, str],
    *,
    no_match: tuple[str, str, str] | None = None,
    lead: Sequence[rx.Component] = (),
) -> rx.Component:
    """A card holding a server-paged table of ``state.rows`` and its pager.

    ``state`` has ``rows``, ``page``, ``pages``, ``total`` and ``prev_page``/``next_page``
    events; ``empty`` is the (icon, title, hint) shown when there are no rows, or, with
    ``no_match``, when there are none at all (``no_match`` then shows when ``state.filtered``).
    """
    nothing = empty_state(*empty)
    if no_match is not None:
        nothing = rx.cond(state.filtered, empty_state(*no_match), nothing)
    return rx.card(
        rx.cond(state.rows.length() > 0, table_box(headers, state.rows, row, lead=lead), nothing),
        pager(state.page, state.pages, state.total, state.prev_page, state.next_page),
        width="100%",
    )
