"""One page of an admin list's query (issue 15: one place per rule)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from commerce_dash.domain.paging import Page, PageRequest

__all__ = ["page_of_query"]

_Row = TypeVar("_Row")


def page_of_query(
    session: Session, query: SelectOfScalar[_Row], page: PageRequest, *order_by: Any
) -> Page[_Row]:
    """The rows of ``page`` of ``query`` in ``order_by`` order, with the count of all its
    rows: the count and the slice every paged list runs."""
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(*order_by).offset(page.offset).limit(page.page_size)).all()
    return Page(list(rows), int(total), page.page, page.page_size)
