"""The public catalog: search, filter, sort and page through what is for sale."""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlencode

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.components.catalog_card import catalog_grid, loading_panel
from commerce_dash.components.forms import select
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import empty_block, icon_label_button
from commerce_dash.components.tables import empty_state, pager
from commerce_dash.db import session_scope
from commerce_dash.domain.paging import PageRequest
from commerce_dash.pages.store.item_state import card_rows
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services.platform import department_options
from commerce_dash.state.auth import AuthState
from commerce_dash.state.cart import choose_currency, shown_currency
from commerce_dash.state.route_args import route_int

PAGE_SIZE = 12
ALL = "all"  # radix select items cannot have an empty value
SORT_LABELS = {
    "title": "Title A-Z",
    "price_asc": "Price low-high",
    "price_desc": "Price high-low",
    "newest": "Newest",
}
SORT_OPTIONS = [(s, SORT_LABELS[s]) for s in catalog_area.SORTS]
KIND_OPTIONS = [(ALL, "All"), ("course", "Courses"), ("program", "Programs")]
MAX_SEARCH = 100
MAX_PAGE = 99_999


def _search_text(raw: str) -> str:
    """The search as typed or linked, less any NUL (PostgreSQL text cannot hold one)."""
    return raw.replace("\x00", "")


def _page_number(raw: str) -> int:
    """``?page=`` as a link carries it: page 1 unless it is 1..MAX_PAGE in ASCII digits."""
    return route_int(raw, high=MAX_PAGE) or 1


class CatalogState(AuthState):
    cards: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    results_label: str = ""
    has_filters: bool = False
    loaded: bool = False
    search: str = ""
    department: str = ALL
    category: str = ALL
    kind: str = ALL
    sort: str = "title"
    departments: list[dict[str, str]] = []
    categories: list[str] = []
    currency: str = ""  # prices are shown (and charged) in it; kept on the learner's cart
    currency_choices: list[str] = []

    def _read_params(self, params: Mapping[str, str]) -> None:
        self.search = _search_text(params.get("q", "")).strip()[:MAX_SEARCH]
        self.department = params.get("dept", "") or ALL
        self.category = params.get("cat", "") or ALL
        self.kind = params.get("kind", "") or ALL
        self.sort = params.get("sort", "") or "title"
        self.page = _page_number(params.get("page", ""))

    def _normalise(self) -> None:
        # Links are shared and edited by hand, and select values come from the browser:
        # anything unknown falls back to its default.
        if not any(d["id"] == self.department for d in self.departments):
            self.department = ALL
        if self.category not in self.categories:
            self.category = ALL
        if self.kind not in ("course", "program"):
            self.kind = ALL
        if self.sort not in catalog_area.SORTS:
            self.sort = "title"

    def _query(self) -> catalog_area.CatalogQuery:
        return catalog_area.CatalogQuery(
            search=self.search.strip(),
            department_id=int(self.department) if self.department != ALL else None,
            category="" if self.category == ALL else self.category,
            kind="" if self.kind == ALL else self.kind,
            sort=self.sort,
            currency=self.currency,
        )

    def _fetch(self, session: Session) -> None:
        self._normalise()
        query = self._query()
        result = catalog_area.browse(
            session=session, query=query, page=PageRequest(self.page, PAGE_SIZE)
        )
        if result.total and result.page > result.pages:  # an old link past the last page
            result = catalog_area.browse(
                session=session, query=query, page=PageRequest(result.pages, PAGE_SIZE)
            )
        # owned, in the cart, included in a subscription: one lookup for the page
        self.cards = card_rows(self, session, result.items)
        self.total, self.page, self.pages = result.total, result.page, result.pages
        self.results_label = f"{result.total} result" + ("" if result.total == 1 else "s")
        self.has_filters = bool(self.search.strip()) or any(
            v != ALL for v in (self.department, self.category, self.kind)
        )
        self.loaded = True

    def _refresh(self):  # type: ignore[no-untyped-def]
        with session_scope() as session:
            self._fetch(session)
        return self._sync_url()

    def _url(self) -> str:
        params = {
            "q": self.search.strip(),
            "dept": "" if self.department == ALL else self.department,
            "cat": "" if self.category == ALL else self.category,
            "kind": "" if self.kind == ALL else self.kind,
            "sort": "" if self.sort == "title" else self.sort,
            "page": "" if self.page == 1 else str(self.page),
        }
        query = urlencode({k: v for k, v in params.items() if v})
        return f"{routes.STORE}?{query}" if query else routes.STORE

    def _sync_url(self):  # type: ignore[no-untyped-def]
        # Rewrite the address bar so the view can be shared, without a navigation (which would
        # run on_load again) and keeping the router's history entry.
        url = json.dumps(self._url())
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {url})")

    @rx.event
    def load(self) -> None:
        with session_scope() as session:
            self.departments = [
                {"id": str(i), "label": label} for i, label in department_options(session=session)
            ]
            self.categories = catalog_area.categories(session=session)
            self._read_params(self.router.url.query_parameters)
            self.currency, self.currency_choices = shown_currency(self)
            self._fetch(session)

    @rx.event
    def set_search(self, value: str):  # type: ignore[no-untyped-def]
        # Kept as typed (trailing space included): the input is controlled by this var.
        self.search, self.page = _search_text(value)[:MAX_SEARCH], 1
        return self._refresh()

    @rx.event
    def set_department(self, value: str):  # type: ignore[no-untyped-def]
        self.department, self.page = value, 1
        return self._refresh()

    @rx.event
    def set_category(self, value: str):  # type: ignore[no-untyped-def]
        self.category, self.page = value, 1
        return self._refresh()

    @rx.event
    def set_kind(self, value: str):  # type: ignore[no-untyped-def]
        self.kind, self.page = value, 1
        return self._refresh()

    @rx.event
    def set_sort(self, value: str):  # type: ignore[no-untyped-def]
        self.sort, self.page = value, 1
        return self._refresh()

    @rx.event
    def set_currency(self, value: str):  # type: ignore[no-untyped-def]
        events = choose_currency(self, value)
        self.currency, self.currency_choices = shown_currency(self)
        return [*events, self._refresh()]

    @rx.event
    def next_page(self):  # type: ignore[no-untyped-def]
        self.page = min(self.page + 1, self.pages)
        return [self._refresh(), rx.scroll_to("catalog-top")]

    @rx.event
    def prev_page(self):  # type: ignore[no-untyped-def]
        self.page = max(1, self.page - 1)
        return [self._refresh(), rx.scroll_to("catalog-top")]

    @rx.event
    def clear_filters(self):  # type: ignore[no-untyped-def]
        self.search, self.department, self.category, self.kind = "", ALL, ALL, ALL
        self.sort, self.page = "title", 1
        return self._refresh()


def _filters() -> rx.Component:
    return rx.flex(
        rx.input(
            placeholder="Search courses and programs",
            value=CatalogState.search,
            on_change=CatalogState.set_search,
            debounce_timeout=400,
            id="catalog-search",
            aria_label="Search the catalog",
            flex="1 1 220px",
            min_width="0",
        ),
        select(CatalogState.department, CatalogState.set_department, label="Department",
               first=(ALL, "All departments"), each=CatalogState.departments,
               id="catalog-department", max_width="100%"),
        select(CatalogState.category, CatalogState.set_category, label="Category",
               first=(ALL, "All categories"), each=CatalogState.categories, each_value=None,
               id="catalog-category", max_width="100%"),
        select(CatalogState.kind, CatalogState.set_kind, list(KIND_OPTIONS), label="Type",
               id="catalog-kind", max_width="100%"),
        select(CatalogState.sort, CatalogState.set_sort, list(SORT_OPTIONS), label="Sort by",
               id="catalog-sort", max_width="100%"),
        rx.cond(
            CatalogState.currency_choices.length() > 1,
            select(CatalogState.currency, CatalogState.set_currency, label="Prices in",
                   each=CatalogState.currency_choices, each_value=None,
                   id="catalog-currency", max_width="100%"),
        ),
        wrap="wrap",
        spacing="2",
        align="center",
        width="100%",
    )


def _no_results() -> rx.Component:
    return rx.card(
        rx.cond(
            CatalogState.has_filters,
            empty_block(
                "search-x",
                "No courses match your search",
                "Try fewer words, another department or category, or clear the filters.",
                icon_label_button(
                    "filter-x",
                    "Clear filters",
                    variant="soft",
                    on_click=CatalogState.clear_filters,
                    id="clear-filters",
                ),
            ),
            empty_state(
                "book-open",
                "Nothing is for sale yet",
                "Courses appear here once they are published and priced. Check back soon.",
            ),
        ),
        width="100%",
        id="catalog-empty",
    )


def _results() -> rx.Component:
    return rx.vstack(
        catalog_grid(CatalogState.cards),
        pager(
            CatalogState.page,
            CatalogState.pages,
            CatalogState.total,
            CatalogState.prev_page,
            CatalogState.next_page,
        ),
        spacing="3",
        width="100%",
    )


def catalog_page() -> rx.Component:
    return store_page(
        rx.heading("Catalog", size="7", id="catalog-top"),
        rx.text(
            "Courses and programs from every department, with certificates anyone can verify.",
            color_scheme="gray",
        ),
        _filters(),
        rx.text(CatalogState.results_label, size="2", weight="medium", id="catalog-count"),
        rx.cond(
            ~CatalogState.loaded,
            loading_panel(),
            rx.cond(CatalogState.total > 0, _results(), _no_results()),
        ),
    )
