"""The public catalog: search, filter, sort and page through what is for sale."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.components.catalog_card import catalog_grid, loading_panel
from commerce_dash.components.forms import select
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import empty_block, icon_label_button
from commerce_dash.components.tables import empty_state, pager
from commerce_dash.domain.paging import PageRequest
from commerce_dash.pages.store.item_state import standing_rows
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services.commerce import CartOwner
from commerce_dash.services.platform import department_options
from commerce_dash.state.auth import AuthState, owner_of
from commerce_dash.state.cart import choose_currency, currency_in, shown_currency
from commerce_dash.state.offload import with_session
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


Filters = tuple[str, str, str, str]  # department, category, kind, sort as the select values


def _normalised(filters: Filters, department_ids: set[str], categories: list[str]) -> Filters:
    """The filters with anything unknown back at its default: links are shared and edited by
    hand, and select values come from the browser."""
    department, category, kind, sort = filters
    return (department if department in department_ids else ALL,
            category if category in categories else ALL,
            kind if kind in ("course", "program") else ALL,
            sort if sort in catalog_area.SORTS else "title")


def _catalog_query(search: str, filters: Filters, currency: str) -> catalog_area.CatalogQuery:
    department, category, kind, sort = filters
    return catalog_area.CatalogQuery(
        search=search.strip(),
        department_id=int(department) if department != ALL else None,
        category="" if category == ALL else category,
        kind="" if kind == ALL else kind,
        sort=sort,
        currency=currency,
    )


@dataclass(frozen=True)
class _Page:
    total: int
    page: int
    pages: int
    cards: list[dict[str, str]]


def _browse(session: Session, owner: CartOwner, query: catalog_area.CatalogQuery,
            page: int) -> _Page:
    """The page of cards ``query`` asks for, with where ``owner`` stands with each (any
    thread: touches no state)."""
    result = catalog_area.browse(session=session, query=query, page=PageRequest(page, PAGE_SIZE))
    if result.total and result.page > result.pages:  # an old link past the last page
        result = catalog_area.browse(
            session=session, query=query, page=PageRequest(result.pages, PAGE_SIZE)
        )
    # owned, in the cart, included in a subscription: one lookup for the page
    return _Page(result.total, result.page, result.pages,
                 standing_rows(session, owner, result.items))


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
        self.department, self.category, self.kind, self.sort = _normalised(
            (self.department, self.category, self.kind, self.sort),
            {d["id"] for d in self.departments}, self.categories)

    def _query(self) -> catalog_area.CatalogQuery:
        return _catalog_query(self.search, (self.department, self.category, self.kind,
                                            self.sort), self.currency)

    def _show(self, page: _Page) -> None:
        self.cards = page.cards
        self.total, self.page, self.pages = page.total, page.page, page.pages
        self.results_label = f"{page.total} result" + ("" if page.total == 1 else "s")
        self.has_filters = bool(self.search.strip()) or any(
            v != ALL for v in (self.department, self.category, self.kind)
        )
        self.loaded = True

    async def _refresh(self):  # type: ignore[no-untyped-def]
        """Fetch the page the filters ask for off the event loop; the address bar follows."""
        self._normalise()
        key, cart_token = self.session_key(), self.cart_token
        query, page = self._query(), self.page
        self._show(await with_session(lambda session: _browse(
            session, owner_of(key.resolve(session), cart_token), query, page)))
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
    async def load(self) -> None:
        """The catalog as the address asks for it: one worker-thread hop reads the filters'
        choices, the learner's currency and the page of cards (Reflex runs a plain handler,
        and its database work, on the event loop)."""
        self._read_params(self.router.url.query_parameters)
        key, cart_token = self.session_key(), self.cart_token
        asked, search, page = (self.department, self.category, self.kind, self.sort), \
            self.search, self.page

        def work(session: Session) -> tuple[list[tuple[int, str]], list[str],
                                           tuple[str, list[str]], _Page]:
            owner = owner_of(key.resolve(session), cart_token)
            departments = department_options(session=session)
            categories = catalog_area.categories(session=session)
            currency = currency_in(session, owner)
            filters = _normalised(asked, {str(i) for i, _ in departments}, categories)
            query = _catalog_query(search, filters, currency[0])
            return departments, categories, currency, _browse(session, owner, query, page)

        departments, categories, currency, shown = await with_session(work)
        self.departments = [{"id": str(i), "label": label} for i, label in departments]
        self.categories = categories
        self.currency, self.currency_choices = currency
        self._normalise()
        self._show(shown)

    @rx.event
    async def set_search(self, value: str):  # type: ignore[no-untyped-def]
        # Kept as typed (trailing space included): the input is controlled by this var.
        self.search, self.page = _search_text(value)[:MAX_SEARCH], 1
        return await self._refresh()

    @rx.event
    async def set_department(self, value: str):  # type: ignore[no-untyped-def]
        self.department, self.page = value, 1
        return await self._refresh()

    @rx.event
    async def set_category(self, value: str):  # type: ignore[no-untyped-def]
        self.category, self.page = value, 1
        return await self._refresh()

    @rx.event
    async def set_kind(self, value: str):  # type: ignore[no-untyped-def]
        self.kind, self.page = value, 1
        return await self._refresh()

    @rx.event
    async def set_sort(self, value: str):  # type: ignore[no-untyped-def]
        self.sort, self.page = value, 1
        return await self._refresh()

    @rx.event
    async def set_currency(self, value: str):  # type: ignore[no-untyped-def]
        events = choose_currency(self, value)
        self.currency, self.currency_choices = shown_currency(self)
        return [*events, await self._refresh()]

    @rx.event
    async def next_page(self):  # type: ignore[no-untyped-def]
        self.page = min(self.page + 1, self.pages)
        return [await self._refresh(), rx.scroll_to("catalog-top")]

    @rx.event
    async def prev_page(self):  # type: ignore[no-untyped-def]
        self.page = max(1, self.page - 1)
        return [await self._refresh(), rx.scroll_to("catalog-top")]

    @rx.event
    async def clear_filters(self):  # type: ignore[no-untyped-def]
        self.search, self.department, self.category, self.kind = "", ALL, ALL, ALL
        self.sort, self.page = "title", 1
        return await self._refresh()


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
