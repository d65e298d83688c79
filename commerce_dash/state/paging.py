"""The server-paged table behaviour shared by admin list pages."""

from __future__ import annotations

import reflex as rx

from commerce_dash.domain.errors import DomainError

MAX_SEARCH = 200
"""The longest search kept: more than any email, name or number an admin looks for."""


def search_text(raw: object) -> str:
    """A search as the browser sent it, less any NUL (PostgreSQL text cannot hold one, so a
    comparison with it fails) and cut to MAX_SEARCH characters; "" for what is no text."""
    if not isinstance(raw, str):
        return ""
    return raw.replace("\x00", "")[:MAX_SEARCH]


class PagedTableMixin(rx.State, mixin=True):
    """Rows of the current page, paging and a search box.

    A page state mixes this in before ``AdminState`` and implements ``_fetch`` (load the current
    page into ``rows`` and set ``total``/``pages``), raising DomainError when refused.
    """

    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    search: str = ""

    def _fetch(self) -> None:
        raise NotImplementedError

    def _refetch(self):  # type: ignore[no-untyped-def]
        # a search a page took from its link (?learner=, ?number=) is cleaned here too
        self.search = search_text(self.search)
        try:
            self._fetch()
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    @rx.event
    def set_search(self, value: str):  # type: ignore[no-untyped-def]
        self.search, self.page = search_text(value), 1
        return self._refetch()

    @rx.event
    def next_page(self):  # type: ignore[no-untyped-def]
        self.page = min(self.page + 1, self.pages)
        return self._refetch()

    @rx.event
    def prev_page(self):  # type: ignore[no-untyped-def]
        self.page = max(1, self.page - 1)
        return self._refetch()
