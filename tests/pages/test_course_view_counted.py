"""The funnel's first stage: a course page that shows a course counts one view of it (in
memory, flushed later); a page for an unknown course counts nothing."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from commerce_dash import routes
from commerce_dash.pages.store.course import CourseState
from commerce_dash.services import revenue
from tests.pages.harness import PageAs


def _views() -> dict[int, int]:
    found: dict[int, int] = {}
    for (_day, stage, _dept, course), n in revenue.pending_counts().items():
        if stage == "view":
            found[course] = found.get(course, 0) + n
    return found


def _load(page: Any) -> None:
    async def run() -> None:
        out = CourseState.load.fn(page)
        out = await out if inspect.isawaitable(out) else out
        if inspect.isasyncgen(out):
            async for _ in out:
                pass

    asyncio.run(run())


def test_a_course_page_counts_a_view_of_its_course(page_as: PageAs, shop) -> None:  # type: ignore[no-untyped-def]
    course = shop.courses["PY101"]
    before = _views()
    page = page_as(CourseState, f"{routes.STORE_COURSE}/SHOP-PY101", email="",
                   params={"code": "SHOP-PY101"})
    _load(page)
    assert page.status == "found"
    after = _views()
    assert after.get(course, 0) == before.get(course, 0) + 1
    assert sum(after.values()) == sum(before.values()) + 1

    missing = page_as(CourseState, f"{routes.STORE_COURSE}/NOPE-1", email="",
                      params={"code": "NOPE-1"})
    _load(missing)
    assert missing.status == "missing"
    assert sum(_views().values()) == sum(after.values())
