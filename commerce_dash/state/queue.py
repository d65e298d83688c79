"""What the approval queues (registrations, refunds) share: the date range filter, ticking
rows of the page, the reason dialog for rejecting one item or the selection, and the results
of a bulk action.

A queue's own handlers keep only their service call: ``_checked_reason`` / ``_reject_refused``
wrap rejecting one item, ``_bulk_refused`` / ``_bulk_done`` wrap a bulk approve or reject (any
page with a selection and a bulk service returning per-item outcomes can use them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import reflex as rx

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.state.paging import day_range
from commerce_dash.state.route_args import route_int
from commerce_dash.state.setters import filter_setter, value_setter


class QueueMixin(rx.State, mixin=True):
    """Mixed in before ``PagedTableMixin``; rows carry an ``id``. A page may narrow what can
    be ticked (``_selectable_ids``), names its items (``item_word``) and sets the shortest
    reason its area's rule accepts (``reason_minimum``)."""

    item_word: ClassVar[str] = "item"
    reason_minimum: ClassVar[int] = 10
    page_size: ClassVar[int] = 25

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
        return f"{count} {self.item_word}{'' if count == 1 else 's'}"

    def _filtered(self):  # type: ignore[no-untyped-def]
        """A filter changed: back to page 1, the last bulk results dropped."""
        self.page = 1  # type: ignore[attr-defined]
        self.bulk_results, self.bulk_summary, self.bulk_failed = [], "", 0
        return self._refetch()  # type: ignore[attr-defined]

    def _cleared(self):  # type: ignore[no-untyped-def]
        """The page's own filters were put back: the dates and the search go too, then back
        to page 1, saying so."""
        self.date_from = self.date_to = self.search = ""
        error = self._filtered()
        return error if error is not None else rx.toast.info("Filters cleared.")

    def _keep_shown_selected(self) -> None:
        """After a fetch: only ticked rows that are on the page and may still be ticked stay."""
        shown = set(self._selectable_ids())
        self.selected = [i for i in self.selected if i in shown]

    def _list_queue(  # type: ignore[no-untyped-def]
        self, list_queue: Callable[..., Any], session, actor, **own: Any
    ) -> Any:
        """The page on screen from the area's ``list_queue`` service, with the filters every
        queue has (status, learner search, date range) and the page's ``own``; a DomainError
        for a date that is no day."""
        date_from, date_until = day_range(self.date_from, self.date_to)
        return list_queue(
            session=session,
            actor=actor,
            page=PageRequest(self.page, self.page_size),  # type: ignore[attr-defined]
            status=self.status_filter,  # type: ignore[attr-defined]
            learner=self.search,  # type: ignore[attr-defined]
            date_from=date_from,
            date_to=date_until,
            **own,
        )

    def _show_page(self, result: Any, row: Callable[[Any], dict[str, str]]) -> None:
        """Put a page ``_list_queue`` returned on screen, each item made a row by ``row``."""
        self.total, self.pages = result.total, result.pages  # type: ignore[attr-defined]
        self.rows = [row(r) for r in result.items]  # type: ignore[attr-defined]
        self._keep_shown_selected()

    def _narrowed(self, *own: bool) -> bool:
        """Whether the queue shows other than its plain view: one of the page's ``own`` filter
        tests holds (e.g. the status is not the default one), a date or a search is set."""
        return bool(any(own) or self.date_from or self.date_to or self.search.strip())  # type: ignore[attr-defined]

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

    set_date_from = filter_setter("date_from")
    set_date_to = filter_setter("date_to")

    @rx.event
    def refresh(self):  # type: ignore[no-untyped-def]
        return self._refetch_or(rx.toast.success("Queue refreshed."))  # type: ignore[attr-defined]

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

    set_reject_open = value_setter("reject_open", bool)

    @rx.event
    def set_reject_reason(self, value: str) -> None:
        self.reject_reason = value
        if self.reject_error and len(" ".join(value.split())) >= self.reason_minimum:
            self.reject_error = ""

    # -- rejecting and bulk actions: what every queue does around its own service call ---------
    def _checked_reason(self, check: Callable[[str], str]) -> str | None:
        """The reason typed in the reject dialog as ``check`` (the area's rule) cleans it, or
        None with the rule's message shown in the dialog."""
        self.reject_error = ""
        try:
            return check(self.reject_reason)
        except DomainError as exc:
            self.reject_error = exc.message
            return None

    def _reject_refused(self, exc: DomainError):  # type: ignore[no-untyped-def]
        """Rejecting one item was refused: a bad reason stays in the open dialog; anything else
        closes it, reloads the page and says why in a toast naming the item."""
        if exc.field == "reason":
            self.reject_error = exc.message
            return None
        self.reject_open = False
        self._refetch()  # type: ignore[attr-defined]
        return rx.toast.error(f"{self.reject_label}: {exc.message}")

    def _selected_ids(self) -> list[int]:
        """The ticked ids for a bulk call; one that is no number becomes 0, reported as not
        found by the service."""
        return [route_int(i) or 0 for i in self.selected]

    def _bulk_refused(self, exc: DomainError):  # type: ignore[no-untyped-def]
        """A whole bulk action was refused: a bad reason stays in the open reject dialog;
        anything else closes it and says why in a toast."""
        if exc.field == "reason" and self.reject_open:
            self.reject_error = exc.message
            return None
        self.reject_open = False
        return rx.toast.error(exc.message)

    def _bulk_done(  # type: ignore[no-untyped-def]
        self,
        outcomes: Sequence[Any],
        numbers: dict[str, str],
        verb: str,
        not_done: str,
    ):
        """Show what a bulk action did to each item (``outcomes`` have ``id``, ``ok``,
        ``message`` and maybe a ``number``), clear the selection, reload the page and return
        the toast: success, warning when some failed, error when none was done.

        ``numbers`` maps row ids to the number shown for them; ``verb`` says what was done
        ("approved") and ``not_done`` how the failed ones are counted ("not changed")."""
        self.reject_open = False
        self.bulk_results = [
            {
                "id": str(o.id),
                "number": numbers.get(str(o.id)) or getattr(o, "number", "") or f"#{o.id}",
                "ok": "yes" if o.ok else "",
                "message": o.message,
            }
            for o in outcomes
        ]
        done = sum(1 for o in outcomes if o.ok)
        self.bulk_failed = len(outcomes) - done
        self.bulk_summary = f"{self._plural(done)} {verb}" + (
            f", {self.bulk_failed} {not_done}." if self.bulk_failed else "."
        )
        self.selected = []
        error = self._refetch()  # type: ignore[attr-defined]
        if error is not None:
            return error
        if self.bulk_failed and not done:
            return rx.toast.error(self.bulk_summary)
        if self.bulk_failed:
            return rx.toast.warning(self.bulk_summary)
        return rx.toast.success(self.bulk_summary)
