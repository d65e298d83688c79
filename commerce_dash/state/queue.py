"""What the approval queues (registrations, refunds) share: the date range filter, ticking
rows of the page, the reason dialog for rejecting one item or the selection, and the results
of a bulk action."""

from __future__ import annotations

import reflex as rx

from commerce_dash.state.route_args import route_int


class QueueMixin(rx.State, mixin=True):
    """Mixed in before ``PagedTableMixin``; rows carry an ``id``. A page may narrow what can
    be ticked (``_selectable_ids``) and names its items (``_plural``)."""

    # the date range filter (date inputs send YYYY-MM-DD)
    date_from: str = ""
    date_to: str = ""
    # ids (as text) of the ticked rows; only rows of the page on screen stay ticked
    selected: list[str] = []
    # the reason dialog, for one item (reject_id) or for the selection (reject_id 0)
    reject_open: bool = False
    reject_id: int = 0
    reject_label: str = ""
    reject_reason: str = ""
    reject_error: str = ""
    # what happened to each item of the last bulk action
    bulk_results: list[dict[str, str]] = []
    bulk_summary: str = ""
    bulk_failed: int = 0

    def _selectable_ids(self) -> list[str]:
        return [r["id"] for r in self.rows]  # type: ignore[attr-defined]

    def _plural(self, count: int) -> str:
        return f"{count} item{'' if count == 1 else 's'}"

    def _min_reason(self) -> int:
        return 10

    def _filtered(self):  # type: ignore[no-untyped-def]
        """A filter changed: back to page 1, the last bulk results dropped."""
        self.page = 1  # type: ignore[attr-defined]
        self.bulk_results, self.bulk_summary, self.bulk_failed = [], "", 0
        return self._refetch()  # type: ignore[attr-defined]

    def _keep_shown_selected(self) -> None:
        shown = {r["id"] for r in self.rows}  # type: ignore[attr-defined]
        self.selected = [i for i in self.selected if i in shown]

    @rx.var
    def all_on_page_selected(self) -> bool:
        ids = self._selectable_ids()
        return bool(ids) and all(i in self.selected for i in ids)

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def reject_length(self) -> int:
        return len(" ".join(self.reject_reason.split()))

    @rx.event
    def set_date_from(self, value: str):  # type: ignore[no-untyped-def]
        self.date_from = value
        return self._filtered()

    @rx.event
    def set_date_to(self, value: str):  # type: ignore[no-untyped-def]
        self.date_to = value
        return self._filtered()

    @rx.event
    def refresh(self):  # type: ignore[no-untyped-def]
        error = self._refetch()  # type: ignore[attr-defined]
        return error if error is not None else rx.toast.success("Queue refreshed.")

    @rx.event
    def toggle_selected(self, item_id: str) -> None:
        if item_id in self.selected:
            self.selected = [i for i in self.selected if i != item_id]
        else:
            self.selected = [*self.selected, item_id]

    @rx.event
    def toggle_page(self, _checked: bool = False) -> None:
        ids = self._selectable_ids()
        if ids and all(i in self.selected for i in ids):
            self.selected = [i for i in self.selected if i not in ids]
        else:
            self.selected = [*self.selected, *(i for i in ids if i not in self.selected)]

    @rx.event
    def clear_selection(self) -> None:
        self.selected = []

    @rx.event
    def dismiss_results(self) -> None:
        self.bulk_results, self.bulk_summary, self.bulk_failed = [], "", 0

    @rx.event
    def open_reject(self, item_id: str, label: str) -> None:
        reject_id = route_int(item_id)
        if reject_id is None:  # no id (reject_id 0 would mean the whole selection)
            return
        self.reject_id, self.reject_label = reject_id, label
        self.reject_reason = self.reject_error = ""
        self.reject_open = True

    @rx.event
    def open_bulk_reject(self):  # type: ignore[no-untyped-def]
        if not self.selected:
            return rx.toast.info(f"Tick the {self._plural(2).split(' ', 1)[1]} to reject first.")
        self.reject_id, self.reject_label = 0, self._plural(len(self.selected))
        self.reject_reason = self.reject_error = ""
        self.reject_open = True
        return None

    @rx.event
    def set_reject_open(self, value: bool) -> None:
        self.reject_open = value

    @rx.event
    def set_reject_reason(self, value: str) -> None:
        self.reject_reason = value
        if self.reject_error and len(" ".join(value.split())) >= self._min_reason():
            self.reject_error = ""
