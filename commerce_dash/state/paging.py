"""The server-paged table behaviour shared by admin list pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import reflex as rx

from commerce_dash.domain.dates import parse_day
from commerce_dash.domain.errors import DomainError
from commerce_dash.state.setters import filter_setter

__all__ = ["MAX_SEARCH", "PagedTableMixin", "PagerMixin", "day_range", "fetch_or_toast",
           "filter_setter", "load_card", "search_text", "section_loader"]

MAX_SEARCH = 200
"""The longest search kept: more than any email, name or number an admin looks for."""


def search_text(raw: object) -> str:
    """A search as the browser sent it, less any NUL (PostgreSQL text cannot hold one, so a
    comparison with it fails) and cut to MAX_SEARCH characters; "" for what is no text."""
    if not isinstance(raw, str):
        return ""
    return raw.replace("\x00", "")[:MAX_SEARCH]


def day_range(first: str, last: str) -> tuple[datetime | None, datetime | None]:
    """A "from day … to day" filter as the services take it: midnight UTC of the first day
    and of the day after the last (the end is excluded), None for an empty field; a
    DomainError naming ``date_from`` or ``date_to`` for a field that is no day."""
    start = parse_day(first, "date_from")
    end = parse_day(last, "date_to")
    return start, end + timedelta(days=1) if end else None


def fetch_or_toast(fetch: Callable[[], None]):  # type: ignore[no-untyped-def]
    """Run a state's ``fetch``; when the service refuses (DomainError), the error toast to
    return from the event instead of failing it. None when all went well."""
    try:
        fetch()
    except DomainError as exc:
        return rx.toast.error(exc.message)
    return None


def load_card(state: Any, section: str, fetch: Callable[[], None]):  # type: ignore[no-untyped-def]
    """The ``load`` of a card inside another page: it fetches only when the admin may see
    ``section`` and otherwise stays quiet (the page around it answers the refusal)."""
    if state.guard(section) is None:
        return None
    return fetch_or_toast(fetch)


def section_loader(section: str) -> Any:
    """The ``load`` event (the page's on_load) of a paged admin page that only opens
    ``section``: refused unless the admin may see it, else the first page fetched
    (``PagedTableMixin._open_section``). Assign it in the state's class body:
    ``load = section_loader("courses")``."""

    def load(self):  # type: ignore[no-untyped-def]
        return self._open_section(section)

    load.__qualname__ = "load"  # reflex names the event after the function, as in setters.py
    return rx.event(load)


class PagerMixin(rx.State, mixin=True):
    """Previous / next over server pages: the state implements ``_refetch`` (load page
    ``page`` and set ``total``/``pages``, returning an error toast or None)."""

    total: int = 0
    page: int = 1
    pages: int = 1

    def _refetch(self):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    @rx.event
    def next_page(self):  # type: ignore[no-untyped-def]
        self.page = min(self.page + 1, self.pages)
        return self._refetch()

    @rx.event
    def prev_page(self):  # type: ignore[no-untyped-def]
        self.page = max(1, self.page - 1)
        return self._refetch()


class PagedTableMixin(PagerMixin, mixin=True):
    """Rows of the current page, paging and a search box.

    A page state mixes this in before ``AdminState`` and implements ``_fetch`` (load the current
    page into ``rows`` and set ``total``/``pages``), raising DomainError when refused.
    """

    rows: list[dict[str, str]] = []
    search: str = ""

    def _fetch(self) -> None:
        raise NotImplementedError

    def _filtered(self):  # type: ignore[no-untyped-def]
        """A filter changed: back to page 1. Queue pages also drop the last bulk results."""
        self.page = 1
        return self._refetch()

    def _refetch_or(self, toast):  # type: ignore[no-untyped-def]
        """Reload the page after a change; its error toast, if the reload is refused, wins over
        the ``toast`` saying what was done."""
        error = self._refetch()
        return error if error is not None else toast

    def _refetch(self):  # type: ignore[no-untyped-def]
        # a search a page took from its link (?learner=, ?number=) is cleaned here too
        self.search = search_text(self.search)
        return fetch_or_toast(self._fetch)

    def _open_section(self, section: str):  # type: ignore[no-untyped-def]
        """The ``load`` of a paged admin page: refused unless the admin may see ``section``,
        else the first page fetched."""
        if self.guard(section) is None:  # type: ignore[attr-defined]
            return self.refused()  # type: ignore[attr-defined]
        return self._refetch()

    @rx.event
    def set_search(self, value: str):  # type: ignore[no-untyped-def]
        self.search, self.page = search_text(value), 1
        return self._refetch()
