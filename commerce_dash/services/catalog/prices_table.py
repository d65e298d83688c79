"""The price in force per item, currency and interval, kept ready (``price_in_force``), and
the catalog's version (``catalog_change``) for its ETags (issue 20).

One rule decides the price in force: ``prices_now.in_force_clause`` (not deactivated, started,
not ended), several at once resolved by the latest start, then the highest id
(``prices_now.prices_in_force`` orders the same way). The table holds what that rule says at
the moment of its last write, and when it stops being right (``next_edge``: the price in force
ends or a scheduled one starts). It is written

* in the same transaction as every change to a price: a flush that adds, changes or deletes
  ``Price`` rows recomputes their keys (``_after_flush``, a session event, so the services,
  the demo seed and tests writing rows directly all keep it exact);
* by the ``catalog_prices`` job every minute for the keys whose ``next_edge`` has passed
  (``refresh_due``); until then the catalog's reads see those keys as stale and use the rule
  (``table_ready``), so a price starting or ending shows at once.

Any flush touching what the catalog shows (prices, courses, modules, programs, departments,
exchange rates) appends a ``catalog_change`` row: its newest id and count are the catalog's
version (``catalog_version``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy import delete, event, func, insert, or_, tuple_
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.pricing import ItemType
from commerce_dash.models.catalog import (
    CatalogChange,
    Course,
    CourseModule,
    CoursePrerequisite,
    Department,
    PriceInForce,
    Program,
    ProgramCourse,
)
from commerce_dash.models.pricing import Price
from commerce_dash.models.sessions import CreditPack
from commerce_dash.models.tax import FxRate

Key = tuple[str, int, str, str]  # item_type, item_id, currency, interval

# what the public catalog shows: a change to any of these changes the catalog's version
WATCHED: tuple[type, ...] = (Price, Course, CourseModule, CoursePrerequisite, Program,
                             ProgramCourse, Department, FxRate, CreditPack)
_CHUNK = 400
KEEP_CHANGES = 500  # catalog_change rows the job keeps


@dataclass(frozen=True)
class InForce:
    """What the rule says for one key at a moment."""

    price_id: int | None
    amount: int | None
    price_type: str
    next_edge: datetime | None


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


def compute(conn: Connection, keys: Iterable[Key] | None, at: datetime) -> dict[Key, InForce]:
    """The rule at ``at`` for ``keys`` (None: every key): the price in force, if any, and the
    next edge, for each key with a price in force or scheduled."""
    cols = (col(Price.id), col(Price.item_type), col(Price.item_id), col(Price.currency),
            col(Price.interval), col(Price.amount), col(Price.price_type),
            col(Price.effective_from), col(Price.effective_until))
    live = (col(Price.deactivated_at).is_(None),
            or_(col(Price.effective_until).is_(None), col(Price.effective_until) > at))
    if keys is None:
        rows = list(conn.execute(sa_select(*cols).where(*live)))
    else:
        rows = []
        for part in _chunks(sorted(set(keys))):
            rows.extend(conn.execute(sa_select(*cols).where(
                *live, tuple_(col(Price.item_type), col(Price.item_id), col(Price.currency),
                              col(Price.interval)).in_(part))))
    current: dict[Key, Any] = {}
    edges: dict[Key, datetime | None] = {}
    for r in rows:
        key = (r.item_type, r.item_id, r.currency, r.interval)
        edges.setdefault(key, None)
        if r.effective_from <= at:
            best = current.get(key)
            if best is None or (r.effective_from, r.id) > (best.effective_from, best.id):
                current[key] = r
        else:  # scheduled: the row stops being right when it starts
            edge = edges[key]
            edges[key] = r.effective_from if edge is None else min(edge, r.effective_from)
    out: dict[Key, InForce] = {}
    for key, edge in edges.items():
        now_row = current.get(key)
        if now_row is not None and now_row.effective_until is not None:
            edge = now_row.effective_until if edge is None else min(edge, now_row.effective_until)
        out[key] = InForce(now_row.id if now_row else None, now_row.amount if now_row else None,
                           now_row.price_type if now_row else "", edge)
    return out


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    dialect_insert: Any = (postgresql.insert if conn.dialect.name == "postgresql"
                           else sqlite.insert)
    for part in _chunks(rows):
        stmt = dialect_insert(PriceInForce).values(part)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["item_type", "item_id", "currency", "interval"],
            set_={"price_id": stmt.excluded.price_id, "amount": stmt.excluded.amount,
                  "price_type": stmt.excluded.price_type,
                  "next_edge": stmt.excluded.next_edge}))


def refresh_keys(conn: Connection, keys: Iterable[Key] | None, at: datetime) -> int:
    """Write what the rule says at ``at`` for ``keys`` (None: rebuild every key); returns
    the number of keys written or removed."""
    wanted = None if keys is None else set(keys)
    found = compute(conn, wanted, at)
    if wanted is None:
        conn.execute(delete(PriceInForce))
        gone: list[Key] = []
    else:
        gone = sorted(wanted - found.keys())
    for part in _chunks(gone):
        conn.execute(delete(PriceInForce).where(tuple_(
            col(PriceInForce.item_type), col(PriceInForce.item_id), col(PriceInForce.currency),
            col(PriceInForce.interval)).in_(part)))
    _upsert(conn, [
        {"item_type": k[0], "item_id": k[1], "currency": k[2], "interval": k[3],
         "price_id": v.price_id, "amount": v.amount, "price_type": v.price_type,
         "next_edge": v.next_edge}
        for k, v in sorted(found.items())
    ])
    return len(found) + len(gone)


def note_change(conn: Connection) -> None:
    """The catalog changed: a new version."""
    conn.execute(insert(CatalogChange).values(at=utcnow()))


def _price_key(price: Price) -> Key:
    return (price.item_type, price.item_id, price.currency, price.interval)


def _after_flush(session: OrmSession, _context: Any) -> None:
    """Keep ``price_in_force`` exact and the catalog's version current, in the flush's own
    transaction."""
    keys: set[Key] = set()
    changed = False
    for obj in chain(session.new, session.deleted):
        if isinstance(obj, WATCHED):
            changed = True
            if isinstance(obj, Price):
                keys.add(_price_key(obj))
    for obj in session.dirty:
        if isinstance(obj, WATCHED) and session.is_modified(obj, include_collections=False):
            changed = True
            if isinstance(obj, Price):
                keys.add(_price_key(obj))
    if not changed:
        return
    conn = session.connection()
    if keys:
        refresh_keys(conn, keys, utcnow())
    note_change(conn)


def _after_commit(_conn: Connection) -> None:
    """Whatever this process commits (a price, a Core bulk write, a test's truncation), its
    next catalog version is read afresh."""
    forget_version()


_installed = False


def install() -> None:
    """Listen to every session's flushes and every connection's commits (once per
    process)."""
    global _installed
    if not _installed:
        event.listen(OrmSession, "after_flush", _after_flush)
        event.listen(Engine, "commit", _after_commit)
        _installed = True


_ITEM_MODELS: dict[str, Any] = {ItemType.COURSE: Course, ItemType.PROGRAM: Program,
                                ItemType.CREDIT_PACK: CreditPack,
                                ItemType.SUBSCRIPTION: Department}


def refresh_due(*, session: Session, at: datetime | None = None) -> dict[str, int]:
    """The job: recompute the keys whose edge has passed (a price started or ended), under
    the lock ``create_price`` takes on the item, so a price written meanwhile is not
    overwritten with what was true before it; then forget old versions."""
    at = at or utcnow()
    due = session.exec(
        select(PriceInForce.item_type, PriceInForce.item_id)
        .where(col(PriceInForce.next_edge) <= at).distinct()
    ).all()
    by_type: dict[str, set[int]] = {}
    for item_type, item_id in due:
        by_type.setdefault(item_type, set()).add(item_id)
    for item_type, ids in sorted(by_type.items()):
        model = _ITEM_MODELS.get(item_type)
        if model is not None:
            session.exec(for_update(session, select(model.id).where(  # type: ignore[call-overload]
                col(model.id).in_(sorted(ids))).order_by(col(model.id)))).all()
    conn = session.connection()
    written = 0
    if due:
        keys = conn.execute(
            sa_select(col(PriceInForce.item_type), col(PriceInForce.item_id),
                      col(PriceInForce.currency), col(PriceInForce.interval))
            .where(col(PriceInForce.next_edge) <= at)).all()
        written = refresh_keys(conn, [tuple(k) for k in keys], at)  # type: ignore[misc]
        note_change(conn)
    newest = conn.execute(sa_select(func.max(CatalogChange.id))).scalar_one()
    pruned = 0
    if newest is not None:
        pruned = conn.execute(delete(CatalogChange).where(
            col(CatalogChange.id) <= newest - KEEP_CHANGES)).rowcount or 0
    session.commit()
    return {"keys": written, "versions_pruned": pruned}


@dataclass(frozen=True)
class CatalogVersion:
    """The catalog's version: its newest change, how many are kept, whether a price window
    edge has passed that the job has not written yet (the reads then use the rule), and how
    many exchange rates are in effect (a rate set for later changes the version when due).
    Everything else the catalog shows changes only by a write, which appends a change."""

    change: int
    changes: int
    changed_at: str  # when the newest change was written (tells databases apart)
    stale: bool
    rates: int = 0  # exchange rates in effect (one added for later changes this when due)

    @property
    def token(self) -> str:
        return f"{self.change}.{self.changes}.{self.changed_at}.{int(self.stale)}.{self.rates}"


# The version read last by this process: (monotonic time read, version, earliest edge).
_memo: tuple[float, CatalogVersion, datetime | None] | None = None
_memo_lock = threading.Lock()


def forget_version() -> None:
    global _memo
    with _memo_lock:
        _memo = None


def recent_catalog_version(*, session: Session, max_age: float) -> CatalogVersion:
    """The catalog's version as read at most ``max_age`` seconds ago by this process (no
    round trip then); a change committed by this process is seen at once, one committed by
    another process within ``max_age``. A window edge passing is noticed at once.

    Any commit in this process forgets it (``_after_commit``); read-only requests end in a
    rollback, so a storefront mostly reading keeps it."""
    global _memo
    now = utcnow()
    with _memo_lock:
        memo = _memo
    if memo is not None and time.monotonic() - memo[0] < max_age:
        version, edge = memo[1], memo[2]
        stale = edge is not None and edge <= now
        return version if stale == version.stale else CatalogVersion(
            version.change, version.changes, version.changed_at, stale, version.rates)
    version, edge = _read_version(session, now)
    with _memo_lock:
        _memo = (time.monotonic(), version, edge)
    return version


def catalog_version(*, session: Session, at: datetime | None = None) -> CatalogVersion:
    """One round trip."""
    return _read_version(session, at or utcnow())[0]


def _read_version(session: Session, at: datetime) -> tuple[CatalogVersion, datetime | None]:
    row = session.execute(sa_select(
        sa_select(func.max(CatalogChange.id)).scalar_subquery(),
        sa_select(func.count(col(CatalogChange.id))).scalar_subquery(),
        sa_select(func.max(CatalogChange.at)).scalar_subquery(),
        sa_select(func.min(PriceInForce.next_edge)).scalar_subquery(),
        sa_select(func.count(col(FxRate.id))).where(col(FxRate.effective_at) <= at)
        .scalar_subquery(),
    )).one()
    edge = row[3]
    if edge is not None and edge.tzinfo is None:  # SQLite keeps no offset
        edge = edge.replace(tzinfo=UTC)
    return CatalogVersion(int(row[0] or 0), int(row[1] or 0), str(row[2] or ""),
                          edge is not None and edge <= at, int(row[4] or 0)), edge


def table_ready(*, session: Session, at: datetime | None = None) -> bool:
    """The table says what the rule says now: no edge has passed unwritten."""
    return not catalog_version(session=session, at=at).stale


def table_prices(
    *, session: Session, item_type: str, currency: str, item_ids: Iterable[int] | None = None,
    interval: str = "",
) -> dict[int, tuple[int, str]]:
    """Item id -> (amount, price type) in force, read from the table (one query)."""
    query = sa_select(col(PriceInForce.item_id), col(PriceInForce.amount),
                      col(PriceInForce.price_type)).where(
        col(PriceInForce.item_type) == item_type, col(PriceInForce.currency) == currency,
        col(PriceInForce.interval) == interval, col(PriceInForce.price_id).is_not(None))
    if item_ids is not None:
        ids = list(item_ids)
        if not ids:
            return {}
        query = query.where(col(PriceInForce.item_id).in_(ids))
    return {i: (a, t) for i, a, t in session.execute(query).all()}


def table_rows(*, session: Session) -> dict[Key, tuple[int | None, int | None, str]]:
    """Every row of the table: key -> (price id, amount, price type) (for checks)."""
    return {(r.item_type, r.item_id, r.currency, r.interval): (r.price_id, r.amount,
                                                                 r.price_type)
            for r in session.execute(sa_select(
                col(PriceInForce.item_type), col(PriceInForce.item_id),
                col(PriceInForce.currency), col(PriceInForce.interval),
                col(PriceInForce.price_id), col(PriceInForce.amount),
                col(PriceInForce.price_type))).all()}


def rebuild(*, session: Session, at: datetime | None = None) -> int:
    """Rewrite the whole table by the rule (after bulk writes that bypass the session, e.g.
    a benchmark's fill), as a new catalog version; commits."""
    conn = session.connection()
    written = refresh_keys(conn, None, at or utcnow())
    note_change(conn)
    session.commit()
    return written
