"""The registration approval queue with 50,000 pending registrations in the database.

Fills a scratch database (demo data, then 5,000 learners sharing one argon2 hash, 50,000
pending course registrations and 5,000 decided ones, approved or rejected, spread over the
published demo courses of every department and over the last 90 days), serves the API with
granian and loads ``GET /api/v2/admin/registrations`` with wrk, signed in as the demo
enrollment admin (School of Engineering and its Data Science Lab) and as the super admin (every
department): the first page of the pending queue (oldest first), a learner search, a course
filter, a two-week date range and page 500; ratios to the bare liveness endpoint measured in
the same run. Then times ``services.registrations.list_queue`` in-process (median of 20 calls
per case, a session each, as a request has) and runs EXPLAIN (ANALYZE, BUFFERS on Postgres,
QUERY PLAN on SQLite) on the count and page statements that ``list_queue`` issued for each
case. Writes benchmarks/results/registration_queue.json.

    .venv/bin/python benchmarks/registration_queue.py [--runs 3] [--seconds 4] [--concurrency 8]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/registration_queue.py --runs 3 [--explain]

``--extra-index "status, created_at, id"`` (repeatable) adds an index on ``registration`` in the
scratch database only, to try one before proposing a migration.

Uses a scratch Postgres database when DATABASE_URL names a server, else a SQLite file.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from typing import Any
from urllib.parse import urlencode

import httpx
from harness import RESULTS, api_server, cli, measure, report, scratch_database

PASSWORD = "bench-password-queue-1"
PENDING = 50_000
DECIDED = 5_000
LEARNERS = 5_000
CHUNK = 5_000
SERVICE_CALLS = 20
SERVER_ENV = {"COMMERCE_DEMO_PASSWORD": PASSWORD, "COMMERCE_SCHEDULER_ENABLED": "false"}
ADMINS = (("enrollment", "enrollment@example.com"), ("super", "super@example.com"))


def fill(url: str, *, pending: int, decided: int, learners: int) -> dict[str, Any]:
    """Bulk rows through SQLAlchemy Core: this is set-up, not the code under test."""
    from sqlalchemy import func, insert, select

    from commerce_dash.db import build_engine
    from commerce_dash.models.accounts import User, UserRole
    from commerce_dash.models.catalog import Course
    from commerce_dash.models.enrollment import Registration
    from commerce_dash.services.platform.secrets import hash_password

    engine = build_engine(url)
    rng = random.Random(12)
    now = datetime.now(UTC)
    password_hash = hash_password(PASSWORD)
    # bench0 .. bench4999: "bench12" matches bench12, bench120-129 and bench1200-1299
    emails = [f"bench{i}@example.com" for i in range(learners)]
    with engine.begin() as conn:
        for start in range(0, learners, CHUNK):
            conn.execute(insert(User), [
                {"email": e, "full_name": f"Bench Learner {start + i}",
                 "password_hash": password_hash, "is_active": True, "created_at": now,
                 "updated_at": now, "last_login_at": None}
                for i, e in enumerate(emails[start:start + CHUNK])
            ])
        ids = dict(conn.execute(select(User.email, User.id).where(  # type: ignore[call-overload]
            User.email.like("bench%@example.com"))).all())  # type: ignore[attr-defined]
        user_ids = [ids[e] for e in emails]
        conn.execute(insert(UserRole), [
            {"user_id": uid, "role": "learner", "department_id": None, "created_at": now}
            for uid in user_ids
        ])
        admins = dict(conn.execute(select(User.email, User.id).where(  # type: ignore[call-overload]
            User.email.in_([a for _, a in ADMINS]))).all())  # type: ignore[attr-defined]
        courses = conn.execute(
            select(Course.id, Course.department_id, Course.code)
            .where(Course.published == True).order_by(Course.id)  # noqa: E712
        ).all()
        rows: list[dict[str, Any]] = []
        for j in range(pending + decided):
            learner, k = j % learners, j // learners
            course_id, department_id, code = courses[(learner * 7 + k) % len(courses)]
            created = now - timedelta(seconds=rng.uniform(60, 90 * 86400))
            status = "pending" if j < pending else rng.choice(("approved", "rejected"))
            reviewer = None
            if status != "pending":
                reviewer = admins["enrollment@example.com" if code.startswith(("ENG", "DS"))
                                  else "super@example.com"]
            rows.append({
                "dedupe_key": f"bench:{j}:{course_id}", "user_id": user_ids[learner],
                "kind": "course", "course_id": course_id, "program_id": None,
                "parent_id": None, "department_id": department_id, "order_id": None,
                "order_line_id": None, "amount_paid": rng.randint(19, 299) * 100 - 1,
                "currency": "USD", "approval_required": True, "status": status,
                "reviewed_by_id": reviewer,
                "reviewed_at": created + timedelta(days=1) if reviewer else None,
                "rejection_reason": "The prerequisites are not met." if status == "rejected"
                else "",
                "created_at": created, "updated_at": created,
            })
            if len(rows) == CHUNK:
                conn.execute(insert(Registration), rows)
                rows = []
        if rows:
            conn.execute(insert(Registration), rows)
        counts = dict(conn.execute(
            select(Registration.status, func.count()).group_by(Registration.status)
        ).all())
        eng101 = next(cid for cid, _, code in courses if code == "ENG-101")
    if engine.dialect.name == "postgresql":
        # Fresh statistics, as autovacuum would have gathered on a live database.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return {"registrations": {k: int(v) for k, v in counts.items()}, "learners": learners,
            "courses": len(courses), "course_id": eng101}


def add_indexes(url: str, column_lists: list[str]) -> None:
    """Extra indexes on ``registration`` in the scratch database, to try before a migration."""
    from commerce_dash.db import build_engine

    engine = build_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for n, columns in enumerate(column_lists):
            if not re.fullmatch(r"[a-z_]+( (asc|desc))?(\s*,\s*[a-z_]+( (asc|desc))?)*",
                                columns.strip()):
                raise SystemExit(f"--extra-index takes column names: {columns!r}")
            conn.exec_driver_sql(f"CREATE INDEX bench_extra_{n} ON registration ({columns})")
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE registration")
    engine.dispose()


def queue_cases(course_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(label, query parameters of the admin API) for each case, per admin."""
    today = datetime.now(UTC).date()
    return [
        ("page 1, pending, oldest first", {}),
        ("learner=bench12", {"learner": "bench12"}),
        ("course filter ENG-101", {"course_id": course_id}),
        ("date range, 14 days", {"date_from": (today - timedelta(days=60)).isoformat(),
                                 "date_to": (today - timedelta(days=47)).isoformat()}),
        ("page 500", {"page": 500}),
    ]


def _service_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """The arguments the API route passes to ``list_queue`` for these query parameters."""
    from commerce_dash.domain.paging import PageRequest

    def day(value: str | None, next_day: bool = False) -> datetime | None:
        if value is None:
            return None
        start = datetime.combine(date.fromisoformat(value), day_time.min, tzinfo=UTC)
        return start + timedelta(days=1) if next_day else start

    return {"page": PageRequest.clamp(params.get("page", 1), None),
            "status": params.get("status", "pending"), "course_id": params.get("course_id"),
            "date_from": day(params.get("date_from")),
            "date_to": day(params.get("date_to"), next_day=True),
            "learner": params.get("learner", "")}


def _plan_summary(plan: str) -> str:
    """Execution time and the scans of a plan, on one line."""
    if "Execution Time" not in plan:  # SQLite: every line is a step
        return "; ".join(re.sub(r" \(.*\)", "", line.strip()) for line in plan.splitlines())
    scans = sorted(set(re.findall(
        r"(?:Parallel )?(?:Seq|Index Only|Index|Bitmap Heap|Bitmap Index) Scan"
        r"(?: Backward)?(?: using \w+)? on \w+", plan)))
    executed = re.search(r"Execution Time: ([\d.]+) ms", plan)
    assert executed is not None
    return f"{float(executed.group(1)):.1f} ms; " + "; ".join(scans)


def in_process(url: str, cases: list[tuple[str, dict[str, Any]]], calls: int
               ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, str]]]:
    """Median time of ``list_queue`` per case and the plans of the statements it issued."""
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import event
    from sqlmodel import Session, select

    from commerce_dash.db import build_engine
    from commerce_dash.models.accounts import User
    from commerce_dash.services.enrollment.registrations import list_queue
    from commerce_dash.services.platform.accounts import load_actor

    engine = build_engine(url)
    with Session(engine) as session:
        actors = {}
        for who, address in ADMINS:
            user = session.exec(select(User).where(User.email == address)).one()
            actors[who] = load_actor(session=session, user=user)
    timings: dict[str, dict[str, float]] = {}
    plans: dict[str, dict[str, str]] = {}
    captured: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if "FROM registration" in statement:
            captured.append((statement, parameters))

    for who, _ in ADMINS:
        for label, params in cases:
            name = f"{who}: {label}"
            kwargs = _service_kwargs(params)
            samples = []
            for n in range(calls + 1):  # the first call warms caches and is not counted
                with Session(engine) as session:
                    t0 = time.perf_counter()
                    page = list_queue(session=session, actor=actors[who], **kwargs)
                    if n:
                        samples.append((time.perf_counter() - t0) * 1000)
            timings[name] = {"median_ms": round(statistics.median(samples), 2),
                             "min_ms": round(min(samples), 2), "total": page.total,
                             "items": len(page.items)}
            captured.clear()
            event.listen(engine, "before_cursor_execute", capture)
            try:
                with Session(engine) as session:
                    list_queue(session=session, actor=actors[who], **kwargs)
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            prefix = ("EXPLAIN (ANALYZE, BUFFERS) " if engine.dialect.name == "postgresql"
                      else "EXPLAIN QUERY PLAN ")
            plans[name] = {}
            with engine.connect() as conn:
                for statement, parameters in captured:
                    kind = "count" if statement.lstrip().startswith("SELECT count(") else "page"
                    rows = conn.exec_driver_sql(prefix + statement, parameters).all()
                    plans[name][kind] = "\n".join(str(r[-1]) for r in rows)
                    plans[name][f"{kind}_sql"] = statement
                    plans[name][f"{kind}_parameters"] = repr(parameters)
    engine.dispose()
    return timings, plans


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pending", type=int, default=PENDING)
    parser.add_argument("--decided", type=int, default=DECIDED)
    parser.add_argument("--learners", type=int, default=LEARNERS)
    parser.add_argument("--explain", action="store_true",
                        help="print every plan (by default: the first-page plans, and one "
                             "line per other statement)")
    parser.add_argument("--extra-index", action="append", default=[], metavar="COLUMNS",
                        help="create an index on registration(COLUMNS) in the scratch database")
    args = parser.parse_args()
    with scratch_database() as url:
        cli(url, "migrate")
        cli(url, "seed", extra_env=SERVER_ENV)
        started = time.monotonic()
        data = fill(url, pending=args.pending, decided=args.decided, learners=args.learners)
        if args.extra_index:
            add_indexes(url, args.extra_index)
        print(f"filled in {time.monotonic() - started:.0f} s: registrations "
              f"{data['registrations']}, {data['learners']} learners, {data['courses']} "
              f"published courses; extra indexes: {args.extra_index or 'none'}", flush=True)
        cases = queue_cases(data["course_id"])
        with api_server(url, args.workers, SERVER_ENV) as base:
            wrk_cases: list[tuple[str, str, dict[str, str]]] = [
                ("bare: GET /api/health/live", "/api/health/live", {})]
            for who, address in ADMINS:
                answer = httpx.post(base + "/api/v2/auth/login",
                                    json={"email": address, "password": PASSWORD})
                answer.raise_for_status()
                auth = {"Authorization": f"Bearer {answer.json()['token']}"}
                for label, params in cases:
                    path = "/api/v2/admin/registrations"
                    if params:
                        path += "?" + urlencode(params)
                    check = httpx.get(base + path, headers=auth, timeout=30)
                    check.raise_for_status()
                    print(f"{who}: {label}: total {check.json()['total']}, "
                          f"{len(check.json()['items'])} on the page", flush=True)
                    wrk_cases.append((f"{who}: {label}", path, auth))
            results = measure(wrk_cases, base, runs=args.runs, seconds=args.seconds,
                              connections=args.concurrency)
        timings, plans = in_process(url, cases, SERVICE_CALLS)
        database = url.split(":")[0]
    out = report("registration_queue", results, {
        "database": database, **data, "extra_indexes": args.extra_index,
        "workers": args.workers, "connections": args.concurrency,
        "seconds_per_run": args.seconds, "runs": args.runs,
        "list_queue_in_process": timings, "plans": plans}, baseline=wrk_cases[0][0])
    print(f"\nlist_queue in-process, {database}, median of {SERVICE_CALLS} calls (a session "
          f"each); plan: database execution time and scans of the count and page statements")
    print(f"{'case':<46}{'median ms':>10}{'total':>8}  plan")
    for name, t in timings.items():
        summary = " | ".join(f"{kind}: {_plan_summary(plans[name][kind])}"
                             for kind in ("count", "page") if kind in plans[name])
        print(f"{name:<46}{t['median_ms']:>10.1f}{t['total']:>8.0f}  {summary}")
    for name, plan in plans.items():
        if args.explain or name.endswith("page 1, pending, oldest first"):
            for kind in ("count", "page"):
                if kind in plan:
                    print(f"\n-- {name}: {kind} statement\n{plan[kind]}")
    print(f"\nplans and statements are in {out.relative_to(RESULTS.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
