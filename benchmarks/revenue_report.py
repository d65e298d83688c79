"""Revenue reports over a ledger of 1,000,000 entries (Postgres only).

Fills a database with 50 departments (10 top-level, 4 subdepartments each), 500 courses, 200
creators / instructors (one course in ten has no instructor), 2,000 learners, 20,000 completed
orders of one line each and 1,000,000 ledger entries spread evenly over the last 24 months
(about 5 % reversals), written with COPY; then VACUUM ANALYZE, as autovacuum would have done on
a live database. Times, as the median of N rounds (interleaved, a new session per call):

- ``report(...)`` plus the three plotly figures, i.e. everything the revenue page asks the
  service for, for each grouping over the last 12 months, as a super-admin;
- the same by course as a dept-admin of one top-level department (5 of 50 departments), and
  the by-month report of one course (what ``GET /api/v1/revenue/by-course`` runs);
- the reconciliation of the same 12 months (the page's billing-only card), for information;
- the baseline, in the same rounds: the bare ``SELECT course_id, sum(gross), sum(net) FROM
  ledger_entry WHERE recorded_at in the period GROUP BY course_id``.

Prints the median ms and the ratio to the bare GROUP BY; writes
benchmarks/results/revenue_report.json. Targets: each report < 300 ms and <= 3x the baseline.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/helperrev \\
        .venv/bin/python benchmarks/revenue_report.py [--runs 5] [--rows 1000000] [--in-place]

By default a scratch database is created next to DATABASE_URL's and dropped afterwards;
``--in-place`` uses DATABASE_URL's database itself (migrated, filled once, kept: later runs
reuse the rows). ``--extra-index "COLUMNS"`` adds an index on ledger_entry to try one out.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from harness import RESULTS, ROOT, cli, scratch_database

DEPARTMENTS_ROOTS = 10
SUBDEPARTMENTS = 4
COURSES = 500
PEOPLE = 200
LEARNERS = 2_000
ORDERS = 20_000
REVERSAL_SHARE = 0.05
GROUPINGS = ("course", "creator", "instructor", "department", "month")
TARGET_MS = 300.0
TARGET_RATIO = 3.0


def _copy(conn: Any, table: str, columns: list[str], rows: Any) -> None:
    with conn.cursor() as cur, cur.copy(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)


def _copy_models(conn: Any, model: Any, items: list[Any]) -> None:
    """COPY model instances, every column (the models' Python-side defaults included)."""
    columns = [c.name for c in model.__table__.columns
               if not (c.primary_key and getattr(items[0], c.name) is None)]
    _copy(conn, model.__table__.name, columns,
          ([getattr(item, c) for c in columns] for item in items))


def fill(url: str, rows: int) -> dict[str, Any]:
    """Catalogue, people, orders and ledger rows by COPY; returns what was made."""
    import psycopg

    from commerce_dash.services.platform.secrets import hash_password

    rng = random.Random(7)
    now = datetime.now(UTC)
    dsn = re.sub(r"^postgresql\+psycopg://", "postgresql://", url)
    with psycopg.connect(dsn) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM ledger_entry")
            existing = cur.fetchone()
            if existing and existing[0] >= rows:
                print(f"ledger_entry already holds {existing[0]} rows: reused", flush=True)
                return {"rows": int(existing[0]), "reused": True}
            if existing and existing[0]:
                raise SystemExit("ledger_entry holds other rows; use an empty database")
        from commerce_dash.models.accounts import User, UserRole
        from commerce_dash.models.catalog import Course, Department
        from commerce_dash.models.commerce import Order, OrderLine

        departments: list[tuple[int, int | None]] = []
        n = 0
        for _ in range(DEPARTMENTS_ROOTS):
            n += 1
            root = n
            departments.append((root, None))
            for _ in range(SUBDEPARTMENTS):
                n += 1
                departments.append((n, root))
        _copy_models(conn, Department, [
            Department(id=d, code=f"D{d:03d}", name=f"Department {d:03d}", parent_id=p)
            for d, p in departments])
        secret = hash_password("bench-revenue-password")
        users = PEOPLE + LEARNERS + 1
        _copy_models(conn, User, [
            User(id=u, email=f"u{u}@bench.example", full_name=f"Person {u:04d}",
                 password_hash=secret) for u in range(1, users + 1)])
        _copy_models(conn, UserRole, [UserRole(user_id=users, role="super_admin"),
                                      UserRole(user_id=users - 1, role="dept_admin",
                                               department_id=1)])
        course_dept = {c: departments[(c - 1) % len(departments)][0]
                       for c in range(1, COURSES + 1)}
        creator = {c: 1 + (c - 1) % PEOPLE for c in course_dept}
        instructor = {c: None if c % 10 == 0 else 1 + (c * 7) % PEOPLE for c in course_dept}
        _copy_models(conn, Course, [
            Course(id=c, code=f"C{c:04d}", title=f"Course {c:04d}", department_id=d,
                   instructor_id=instructor[c], content_creator_id=creator[c], published=True)
            for c, d in course_dept.items()])
        span = 730 * 86400
        orders, lines = [], []
        for o in range(1, ORDERS + 1):
            course = 1 + (o - 1) % COURSES
            at = now - timedelta(seconds=rng.uniform(0, span))
            orders.append(Order(
                id=o, user_id=PEOPLE + 1 + (o - 1) % LEARNERS, status="completed",
                payment_status="succeeded", processor="sandbox", currency="USD",
                subtotal=10_000, total=10_000, display_currency="USD", display_total=10_000,
                idempotency_key=f"bench-{o}", request_hash="x" * 64, prices_locked_until=at,
                created_at=at, updated_at=at, completed_at=at))
            lines.append(OrderLine(id=o, order_id=o, item_type="course", item_id=course,
                                   department_id=course_dept[course], title=f"Course {course}",
                                   list_amount=10_000, total=10_000, currency="USD"))
        _copy_models(conn, Order, orders)
        _copy_models(conn, OrderLine, lines)
        started = time.monotonic()
        first = now - timedelta(seconds=span)

        def entries() -> Any:
            for i in range(rows):
                o = 1 + i % ORDERS
                course = 1 + (o - 1) % COURSES
                gross = rng.randrange(1_900, 29_900)
                fee = gross * 29 // 1000 + 30
                kind = "sale"
                if rng.random() < REVERSAL_SHARE:
                    kind, gross, fee = "reversal", -gross, -fee
                net = gross - fee
                platform_part, creator_part = net * 3 // 10, net * 4 // 10
                # the ledger is append-only: rows arrive in time order (a minute of jitter)
                at = first + timedelta(seconds=span * i / rows + rng.uniform(0, 60))
                yield (f"b{i}", kind, o, o, None, "", course, course_dept[course],
                       PEOPLE + 1 + (o - 1) % LEARNERS, instructor[course], creator[course],
                       "USD", gross, gross // 10, fee, net, 3000, 4000, 3000, platform_part,
                       creator_part, net - platform_part - creator_part, min(at, now))

        _copy(conn, "ledger_entry", [
            "dedupe_key", "entry_type", "order_id", "order_line_id", "refund_request_id",
            "transaction_id", "course_id", "department_id", "learner_id", "instructor_id",
            "creator_id", "currency", "gross", "tax", "processor_fee", "net", "platform_bps",
            "creator_bps", "instructor_bps", "platform_amount", "creator_amount",
            "instructor_amount", "recorded_at"], entries())
        with conn.cursor() as cur:
            for table in ("department", "app_user", "course", "orders", "order_line"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))")
        conn.commit()
        print(f"COPY of {rows} ledger rows took {time.monotonic() - started:.1f} s", flush=True)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {"rows": rows, "reused": False}


def set_statistics(url: str, wanted: bool) -> None:
    """Create (or drop) the expression statistics the report needs (the migration's job in
    the app), then VACUUM ANALYZE the ledger."""
    import psycopg

    from commerce_dash.services.revenue.revenue_reports import STATISTICS

    dsn = re.sub(r"^postgresql\+psycopg://", "postgresql://", url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in STATISTICS:
            if wanted:
                conn.execute(statement)
            else:
                name = statement.split("EXISTS ")[1].split(" ")[0]
                conn.execute(f"DROP STATISTICS IF EXISTS {name}")
        conn.execute("VACUUM ANALYZE ledger_entry")


def add_indexes(url: str, column_lists: list[str]) -> None:
    import psycopg

    dsn = re.sub(r"^postgresql\+psycopg://", "postgresql://", url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for n, columns in enumerate(column_lists):
            if not re.fullmatch(r"[a-z_, ()]+", columns):
                raise SystemExit(f"--extra-index takes column names: {columns!r}")
            conn.execute(f"CREATE INDEX IF NOT EXISTS bench_extra_{n} ON ledger_entry "
                         f"{columns if columns.startswith('(') else f'({columns})'}")
        conn.execute("VACUUM ANALYZE ledger_entry")


def measure(url: str, runs: int, start: date, end: date) -> dict[str, list[float]]:
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import text
    from sqlmodel import Session, select

    from commerce_dash.db import build_engine
    from commerce_dash.models.accounts import User
    from commerce_dash.services.platform.accounts import load_actor
    from commerce_dash.services.revenue import revenue_charts, revenue_reports

    engine = build_engine(url)
    with Session(engine) as session:
        users = session.exec(select(User).order_by(User.id.desc()).limit(2)).all()  # type: ignore[union-attr]
        admin, dept_admin = (load_actor(session=session, user=u) for u in users)
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    bare = text("SELECT course_id, sum(gross), sum(net) FROM ledger_entry "
                "WHERE recorded_at >= :a AND recorded_at < :b GROUP BY course_id")

    def baseline() -> None:
        with engine.connect() as conn:
            conn.execute(bare, {"a": since, "b": until}).all()

    def page(actor: Any, group_by: str, **kw: Any) -> Callable[[], None]:
        first = kw.pop("start", start)

        def call() -> None:
            with Session(engine) as session:
                result = revenue_reports.report(session=session, actor=actor,
                                                group_by=group_by,  # type: ignore[arg-type]
                                                start=first, end=end, **kw)
            revenue_charts.figures(result)
        return call

    def reconcile() -> None:
        with Session(engine) as session:
            revenue_reports.reconciliation(session=session, actor=admin, start=start, end=end)

    cases: dict[str, Callable[[], None]] = {"bare GROUP BY course_id": baseline}
    for group_by in GROUPINGS:
        cases[f"report by {group_by} + charts"] = page(admin, group_by)
    cases["report by course, last 30 days (daily series)"] = page(
        admin, "course", start=end - timedelta(days=29))
    cases["report by course, dept-admin (5 of 50 depts)"] = page(dept_admin, "course")
    cases["report by month of one course (v1 by-course)"] = page(admin, "month", course_id=1)
    cases["reconciliation (billing card)"] = reconcile
    for call in cases.values():  # warm caches and the plotly validators
        call()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for run in range(runs):
        for name, call in cases.items():
            t0 = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - t0) * 1000)
        print(f"round {run + 1}/{runs} done", flush=True)
    engine.dispose()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--in-place", action="store_true",
                        help="use DATABASE_URL's database itself and keep the rows")
    parser.add_argument("--extra-index", action="append", default=[], metavar="COLUMNS")
    parser.add_argument("--no-statistics", action="store_true",
                        help="measure without the expression statistics on recorded_at")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        print("revenue_report.py needs DATABASE_URL pointing at PostgreSQL; skipped.")
        return 0
    end = datetime.now(UTC).date()
    start = end - timedelta(days=364)

    def run(url: str) -> tuple[dict[str, Any], dict[str, list[float]]]:
        cli(url, "migrate")
        started = time.monotonic()
        data = fill(url, args.rows)
        print(f"data ready in {time.monotonic() - started:.0f} s", flush=True)
        set_statistics(url, not args.no_statistics)
        if args.extra_index:
            add_indexes(url, args.extra_index)
        return data, measure(url, args.runs, start, end)

    if args.in_place:
        data, samples = run(base)
    else:
        with scratch_database() as url:
            data, samples = run(url)
    base_ms = statistics.median(samples["bare GROUP BY course_id"])
    summary: dict[str, Any] = {}
    print(f"\n12 months ({start} .. {end}), {data['rows']} ledger rows, median of {args.runs}")
    print(f"{'case':<50}{'median ms':>10}{'min ms':>9}{'x bare':>8}  target")
    missed = 0
    for name, values in samples.items():
        median = statistics.median(values)
        ratio = median / base_ms
        is_report = name.startswith("report")
        ok = median < TARGET_MS and ratio <= TARGET_RATIO
        missed += is_report and not ok
        verdict = ("ok" if ok else "MISSED") if is_report else ""
        summary[name] = {"median_ms": round(median, 1), "min_ms": round(min(values), 1),
                         "ratio_to_baseline": round(ratio, 2), "samples_ms":
                         [round(v, 1) for v in values], "target_met": ok if is_report else None}
        print(f"{name:<50}{median:>10.1f}{min(values):>9.1f}{ratio:>8.2f}  {verdict}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "revenue_report.json"
    import json

    out.write_text(json.dumps({
        "benchmark": "revenue_report", "database": "postgresql", "machine": platform.machine(),
        "cpus": os.cpu_count(), "period": {"start": start.isoformat(), "end": end.isoformat()},
        "runs": args.runs, **data, "extra_indexes": args.extra_index,
        "statistics": "dropped" if args.no_statistics else "created",
        "baseline": "bare GROUP BY course_id",
        "targets": {"median_ms": TARGET_MS, "ratio_to_baseline": TARGET_RATIO},
        "results": summary}, indent=2))
    print(f"\nwrote {out.relative_to(ROOT)}; reports missing a target: {missed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
