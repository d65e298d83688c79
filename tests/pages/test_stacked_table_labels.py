"""The labels a table's cells show when it turns into cards on a phone (``stacked_table``)."""

from __future__ import annotations

import reflex as rx

from commerce_dash.components.tables import header_cell, stacked_table


def test_text_headers_become_column_labels_and_a_blank_last_one_sticks() -> None:
    props = stacked_table(["Code", 'Say "hi"', ""])
    assert props["class_name"] == "data-table sticky-last"
    assert props["style"] == {"--col-1": '"Code"', "--col-2": '"Say \\"hi\\""'}


def test_lead_cells_shift_the_labels_and_hand_built_header_cells_are_read() -> None:
    headers = [rx.table.column_header_cell("Gross", text_align="right"), "Status"]
    props = stacked_table(headers, lead=1)
    assert props["class_name"] == "data-table"
    assert props["style"] == {"--col-2": '"Gross"', "--col-3": '"Status"'}


def test_a_header_without_readable_text_keeps_the_table_scrolling() -> None:
    unreadable = rx.table.column_header_cell(rx.icon("arrow-down-up"))
    assert "data-table" not in stacked_table(["Name", unreadable])["class_name"]


def test_a_blank_header_is_named_actions_for_screen_readers() -> None:
    rendered = str(header_cell(""))
    assert "Actions" in rendered and "visually-hidden" in rendered
