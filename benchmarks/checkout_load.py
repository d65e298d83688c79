"""Checkout under load: simulated learners buy courses over HTTP, end to end.

Each purchase is four calls to the API served by granian: add a course to the cart, check
out (Idempotency-Key), pay with the sandbox test card (the sandbox signs its webhook and
hands it to the webhook intake, which completes the order in that request), and read the
order's status. Before the load, 10,000 guest carts are written so the cart table holds
them throughout; learners sign in once each (argon2 at production cost).

Closed loop by default (``--concurrency`` purchases at a time); ``--rate N`` is an open loop:
N purchases per minute started on a fixed schedule whatever the answers, each its own task,
the first call's latency counted from the time the purchase was due (no coordinated
omission), PASS/FAIL against 100 ms at p95 for every call. A run is cut off at its end:
purchases not answered by then are cancelled and counted as in flight.

Afterwards the database is checked by Idempotency-Key: every purchase that answered
"completed" has exactly one completed order, one succeeded payment and one confirmation
email (else lost); an order completed but not reported must be one that was in flight at a
cutoff; two payments or emails for an order, or a number reported twice, are duplicates.
Exit 1 on any. A bare endpoint is measured in the same run as the baseline. SQL statements,
commits and pool checkouts per call are counted afterwards on the app's engine (events)
over ``--count`` purchases made in-process through the same API app; Postgres' own counters
(``pg_stat_database``: transactions and rows written per completed order) cover the run.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/checkout_load.py --learners 200 --seconds 20 --runs 3
    ... checkout_load.py --rate 1000 --seconds 20 --runs 3          # open loop
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import RESULTS, ROOT, api_server, cli, scratch_database, wrk  # noqa: E402

PASSWORD = "bench-password-2026"
CALLS = ("add", "checkout", "pay", "status")
SERVER_ENV = {
    "COMMERCE_ENV": "test",
    "COMMERCE_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
    # The simulated learners all come from 127.0.0.1 and buy far faster than people do.
    "COMMERCE_CLIENT_RATE_LIMIT_PER_MINUTE": "100000000",
    "COMMERCE_CHECKOUT_RATE_LIMIT_PER_MINUTE": "100000",
    "COMMERCE_PAYMENT_RATE_LIMIT_PER_MINUTE": "100000",
    "COMMERCE_PAYMENT_PROCESSOR": "sandbox",
    "COMMERCE_SCHEDULER_ENABLED": "false",
}


def _prepare(url: str, learners: int, open_carts: int) -> tuple[list[int], list[str]]:
    """Learners (one password hash shared), their course ids, and the open guest carts."""
    os.environ["DATABASE_URL"] = url
    for key, value in SERVER_ENV.items():
        os.environ[key] = value
    from sqlalchemy import insert, select
    from sqlmodel import Session

    from commerce_dash.db import build_engine
    from commerce_dash.domain.clock import utcnow
    from commerce_dash.models.accounts import User, UserRole
    from commerce_dash.models.catalog import Course
    from commerce_dash.models.commerce import Cart, CartLine
    from commerce_dash.services.platform.secrets import hash_password

    engine = build_engine(url)
    emails = [f"bench{i:05d}@example.com" for i in range(learners)]
    password_hash = hash_password(PASSWORD)
    now = utcnow()
    with Session(engine) as session:
        session.execute(insert(User), [
            {"email": e, "full_name": f"Bench Learner {i}", "password_hash": password_hash,
             "is_active": True, "created_at": now, "updated_at": now, "email_verified_at": now}
            for i, e in enumerate(emails)
        ])
        ids = dict(session.execute(select(User.email, User.id).where(  # type: ignore[call-overload]
            User.email.in_(emails))).all())  # type: ignore[attr-defined]
        session.execute(insert(UserRole), [{"user_id": ids[e], "role": "learner"}
                                           for e in emails])
        courses = list(session.execute(
            select(Course.id).where(Course.published == True)  # noqa: E712
        ).scalars())
        dept = session.execute(select(Course.department_id)).scalars().first()
        expires = now.replace(year=now.year + 1)
        carts = session.execute(insert(Cart).returning(Cart.id), [
            {"token": f"bench-open-{uuid.uuid4().hex}", "currency": "USD",
             "display_currency": "USD", "created_at": now, "updated_at": now,
             "expires_at": expires, "discount_code": "", "billing_country": "",
             "billing_region": "", "billing_postal_code": ""}
            for _ in range(open_carts)
        ]).scalars().all()
        session.execute(insert(CartLine), [
            {"cart_id": cid, "item_type": "course", "item_id": courses[0],
             "department_id": dept, "title": "Open",
             "unit_amount": 1000, "currency": "USD", "added_at": now}
            for cid in carts
        ])
        session.commit()
    engine.dispose()
    return [c for c in courses if c is not None], emails


async def _login(client: httpx.AsyncClient, address: str) -> str:
    answer = await client.post("/api/v2/auth/login", timeout=180,
                               json={"email": address, "password": PASSWORD})
    answer.raise_for_status()
    return str(answer.json()["token"])


class Tally:
    """What the load generator saw: per-call latencies, outcomes, and each purchase's
    Idempotency-Key by fate (answered completed / answered otherwise / in flight at cutoff)."""

    def __init__(self) -> None:
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.purchase_ms: list[float] = []
        self.outcomes: dict[str, int] = defaultdict(int)
        self.completed: dict[str, str] = {}  # idempotency key -> order number
        self.failed: set[str] = set()
        self.in_flight: set[str] = set()  # started, no final answer when the run was cut off


async def _purchase(client: httpx.AsyncClient, token: str, course_id: int, tally: Tally,
                    scheduled: float | None = None) -> None:
    """One purchase: add, checkout, pay, status. ``scheduled`` (open loop): the perf_counter
    time the purchase was due; the first call's latency (and the purchase's) counts from it,
    so a late start caused by a slow server is not hidden (coordinated omission)."""
    headers = {"Authorization": f"Bearer {token}"}
    key = f"bench-{uuid.uuid4().hex}"
    tally.in_flight.add(key)
    begun = scheduled if scheduled is not None else time.perf_counter()
    try:
        steps: list[tuple[str, str, dict[str, object], dict[str, str]]] = [
            ("add", "/api/v2/cart/items", {"item_type": "course", "item_id": course_id}, {}),
            ("checkout", "/api/v2/cart/checkout", {}, {"Idempotency-Key": key}),
        ]
        number = ""
        t0 = begun
        for name, path, body, extra in steps:
            answer = await client.post(path, json=body, headers={**headers, **extra})
            tally.timings[name].append((time.perf_counter() - t0) * 1000)
            if answer.status_code >= 400:
                tally.outcomes[f"{name}:{answer.status_code}"] += 1
                tally.failed.add(key)
                return
            if name == "checkout":
                number = answer.json()["number"]
            t0 = time.perf_counter()
        t0 = time.perf_counter()
        paid = await client.post("/api/v2/payments/sandbox/pay", headers=headers, json={
            "order_number": number, "card_number": "4242424242424242", "exp_month": 12,
            "exp_year": 2034, "cvc": "123"})
        tally.timings["pay"].append((time.perf_counter() - t0) * 1000)
        if paid.status_code >= 400:
            tally.outcomes[f"pay:{paid.status_code}"] += 1
            tally.failed.add(key)
            return
        t0 = time.perf_counter()
        state = await client.get(f"/api/v2/payments/status/{number}", headers=headers)
        now = time.perf_counter()
        tally.timings["status"].append((now - t0) * 1000)
        if state.status_code == 200 and state.json()["order_status"] == "completed":
            tally.outcomes["completed"] += 1
            tally.completed[key] = number
            tally.purchase_ms.append((now - begun) * 1000)
        else:
            tally.outcomes[f"status:{state.status_code}:{state.text[:40]}"] += 1
            tally.failed.add(key)
    except httpx.HTTPError as exc:
        tally.outcomes[f"http:{type(exc).__name__}"] += 1
        tally.failed.add(key)
    finally:
        # cancelled at the cutoff: neither completed nor failed, so it stays in flight
        if key in tally.completed or key in tally.failed:
            tally.in_flight.discard(key)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _cut_off(tasks: set[asyncio.Task[None]]) -> None:
    """The run's end: whatever has not answered yet is cancelled and stays in flight."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _run(base: str, url: str, emails: list[str], courses: list[int], seconds: int,
               concurrency: int, offset: int, rate: float) -> dict[str, object]:
    """Closed loop (``rate`` 0: ``concurrency`` purchases at a time, the next one started when
    one answers) or open loop (``rate`` purchases per minute started on a fixed schedule)."""
    connections = concurrency if not rate else 512
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        sem = asyncio.Semaphore(8)

        async def login(address: str) -> str:
            async with sem:
                return await _login(client, address)

        tokens = await asyncio.gather(*(login(e) for e in emails))
        tally = Tally()
        # each learner buys courses in its own order (offset per run: never one it owns)
        per = max(1, len(courses) // 3)
        work = [list(courses[(offset * per + i) % len(courses):][:per])
                for i in range(len(tokens))]
        # a learner has one cart: it makes one purchase at a time
        idle: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(tokens)):
            idle.put_nowait(i)
        tasks: set[asyncio.Task[None]] = set()
        before = _pg_counters(url)  # after the sign-ins: only purchases are counted
        started = time.perf_counter()
        deadline = started + seconds

        async def one(scheduled: float | None) -> None:
            try:
                i = await idle.get()
            except asyncio.CancelledError:  # due, but every learner was still buying
                tally.outcomes["not started: no learner free"] += 1
                raise
            try:
                await _purchase(client, tokens[i], work[i].pop(0), tally, scheduled)
            finally:
                if work[i]:
                    idle.put_nowait(i)

        if rate:
            interval = 60.0 / rate
            k = 0
            while True:
                due = started + k * interval
                if due >= deadline:
                    break
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(one(due))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                k += 1
            scheduled_count = k
            await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
        else:
            async def loop() -> None:
                while time.perf_counter() < deadline:
                    await one(None)

            for _ in range(concurrency):
                task = asyncio.create_task(loop())
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
            scheduled_count = 0
        elapsed = time.perf_counter() - started
        await _cut_off(set(tasks))
    _drained(url)  # requests cut off are still being answered: let them end first
    await asyncio.sleep(1.0)  # pg_stat_database is flushed by the backends within a second
    after = _pg_counters(url)
    server_side = {k: round((after[k] - before[k]) / max(1, len(tally.completed)), 1)
                   for k in before}
    per_call = {name: {"count": len(tally.timings[name]),
                       "p50_ms": round(_pct(tally.timings[name], .5), 1),
                       "p95_ms": round(_pct(tally.timings[name], .95), 1),
                       "p99_ms": round(_pct(tally.timings[name], .99), 1)} for name in CALLS}
    return {"elapsed_s": round(elapsed, 1), "completed": len(tally.completed),
            "scheduled": scheduled_count,
            "orders_per_minute": round(len(tally.completed) / elapsed * 60, 0),
            "in_flight_at_cutoff": len(tally.in_flight),
            "purchase_p95_ms": round(_pct(tally.purchase_ms, .95), 1),
            "per_call": per_call, "outcomes": dict(tally.outcomes),
            "postgres_per_order": server_side,
            "keys": {"completed": tally.completed, "failed": sorted(tally.failed),
                     "in_flight": sorted(tally.in_flight)}}


def _verify(url: str, completed: dict[str, str], failed: set[str],
            in_flight: set[str]) -> dict[str, int]:
    """Every purchase reported completed: its order exists once, completed, with one succeeded
    payment and one confirmation email (else lost). An order completed in the database that
    was not reported is fine only if its purchase was in flight at a cutoff (else
    unexplained). Two payments, two emails or an order number reported twice: duplicated."""
    from sqlalchemy import func, select
    from sqlmodel import Session

    from commerce_dash.db import build_engine
    from commerce_dash.models.commerce import Cart, Order, Payment
    from commerce_dash.models.delivery import OutboxMessage

    engine = build_engine(url)
    with Session(engine) as session:
        paid = (select(Payment.order_id, func.count().label("n"))  # type: ignore[call-overload]
                .where(Payment.status == "succeeded").group_by(Payment.order_id).subquery())
        mails = (select(OutboxMessage.dedupe_key, func.count().label("n"))  # type: ignore[call-overload]
                 .where(OutboxMessage.dedupe_key.like("order-confirmation:%"))  # type: ignore[attr-defined]
                 .group_by(OutboxMessage.dedupe_key).subquery())
        rows = session.execute(
            select(Order.idempotency_key, Order.id, Order.status,  # type: ignore[call-overload]
                   func.coalesce(paid.c.n, 0), func.coalesce(mails.c.n, 0))
            .outerjoin(paid, paid.c.order_id == Order.id)
            .outerjoin(mails, mails.c.dedupe_key == func.concat("order-confirmation:",
                                                                Order.id))
            .where(Order.idempotency_key.like("bench-%"))  # type: ignore[attr-defined]
        ).all()
        carts = session.execute(select(func.count()).select_from(Cart)).scalar_one()
    engine.dispose()
    by_key: dict[str, list[tuple[int, str, int, int]]] = defaultdict(list)
    for key, order_id, status, payments, emails in rows:
        by_key[key].append((order_id, status, int(payments), int(emails)))
    lost = duplicated = unexplained = completed_in_flight = 0
    for key in completed:
        found = by_key.get(key, [])
        if len(found) != 1 or found[0][1] != "completed" or found[0][2] < 1 or found[0][3] < 1:
            lost += 1
    for key, found in by_key.items():
        if len(found) > 1 or any(p > 1 or m > 1 for _, _, p, m in found):
            duplicated += 1
        if key not in completed and any(s == "completed" for _, s, _, _ in found):
            if key in in_flight:
                completed_in_flight += 1
            else:
                unexplained += 1
    numbers = list(completed.values())
    duplicated += len(numbers) - len(set(numbers))
    db_completed = sum(1 for found in by_key.values() for _, s, _, _ in found
                       if s == "completed")
    return {"reported_completed": len(completed), "orders_completed": db_completed,
            "in_flight_at_cutoff": len(in_flight),
            "in_flight_completed_in_database": completed_in_flight,
            "reported_failed": len(failed), "lost": lost, "duplicated": duplicated,
            "completed_but_reported_failed": unexplained,
            "orders_pending": sum(1 for found in by_key.values() for _, s, _, _ in found
                                  if s == "pending"),
            "carts_in_database": int(carts)}


def _pg_counters(url: str) -> dict[str, int]:
    """Server-side counters of the scratch database (Postgres): transactions committed and
    rolled back, rows written. They include every worker's statements, none of the client's."""
    if not url.startswith("postgres"):
        return {}
    from sqlalchemy import text

    from commerce_dash.db import build_engine

    engine = build_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted "
            "FROM pg_stat_database WHERE datname = current_database()")).one()
    engine.dispose()
    return dict(zip(("commits", "rollbacks", "inserted", "updated", "deleted"),
                    (int(v) for v in row), strict=True))


def _drained(url: str, limit_s: float = 120.0) -> None:
    """Wait (up to ``limit_s``) until no server connection to the scratch database is busy."""
    if not url.startswith("postgres"):
        time.sleep(2.0)
        return
    from sqlalchemy import text

    from commerce_dash.db import build_engine

    engine = build_engine(url)
    until = time.monotonic() + limit_s
    with engine.connect() as conn:
        while time.monotonic() < until:
            busy = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state <> 'idle' AND pid <> pg_backend_pid()")).scalar_one()
            conn.rollback()
            if not busy:
                break
            time.sleep(0.5)
    engine.dispose()


def _count_statements(emails: list[str], courses: list[int]) -> dict[str, float]:
    """SQL statements (and commits, pool checkouts) per call of a purchase, counted on the
    app's engine with SQLAlchemy events while the same API app runs in this process (httpx's
    ASGI transport, the same routes, middleware and services as under granian)."""
    from sqlalchemy import event

    from commerce_dash.api import create_api
    from commerce_dash.db import get_engine, reset_engine
    from commerce_dash.settings import get_settings

    get_settings.cache_clear()  # type: ignore[attr-defined]
    reset_engine()
    engine = get_engine()
    counts: dict[str, int] = defaultdict(int)
    current = {"call": ""}

    def on_execute(*_args: object) -> None:
        counts[current["call"] + ":statements"] += 1

    def on_commit(*_args: object) -> None:
        counts[current["call"] + ":commits"] += 1

    def on_checkout(*_args: object) -> None:
        counts[current["call"] + ":checkouts"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    event.listen(engine.pool, "checkout", on_checkout)

    async def go() -> int:
        transport = httpx.ASGITransport(app=create_api())
        done = 0
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            original = client.send

            async def send(request: httpx.Request, **kw: object) -> httpx.Response:
                path = request.url.path
                current["call"] = ("login" if path.endswith("/login") else
                                   "add" if path.endswith("/items") else
                                   "checkout" if path.endswith("/checkout") else
                                   "pay" if path.endswith("/pay") else "status")
                return await original(request, **kw)  # type: ignore[arg-type]

            client.send = send  # type: ignore[method-assign]
            for i, address in enumerate(emails):
                token = await _login(client, address)
                tally = Tally()
                await _purchase(client, token, courses[i % len(courses)], tally)
                done += len(tally.completed)
        return done

    done = asyncio.run(go())
    event.remove(engine, "before_cursor_execute", on_execute)
    event.remove(engine, "commit", on_commit)
    event.remove(engine.pool, "checkout", on_checkout)
    reset_engine()
    out: dict[str, float] = {"purchases": done}
    for what in ("statements", "commits", "checkouts"):
        total = 0
        for call in CALLS:
            value = counts[f"{call}:{what}"] / max(1, done)
            out[f"{call}_{what}"] = round(value, 1)
            total += counts[f"{call}:{what}"]
        out[f"{what}_per_order"] = round(total / max(1, done), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=0,
                        help="open loop: orders per minute started on a fixed schedule")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--open-carts", type=int, default=10_000)
    parser.add_argument("--count", type=int, default=20,
                        help="purchases made in-process afterwards to count SQL statements")
    args = parser.parse_args()

    with scratch_database() as url:
        cli(url, "migrate")
        cli(url, "seed", extra_env={"COMMERCE_DEMO_PASSWORD": PASSWORD})
        courses, emails = _prepare(url, args.learners * args.runs + args.count,
                                   args.open_carts)
        runs: list[dict[str, object]] = []
        baselines: list[dict[str, float]] = []
        server_side: list[dict[str, float]] = []
        with api_server(url, args.workers, extra_env=SERVER_ENV) as base:
            for run in range(args.runs):
                baselines.append(wrk(base + "/api/health/live", 5, args.concurrency))
                group = emails[run * args.learners:(run + 1) * args.learners]
                result = asyncio.run(_run(base, url, group, courses, args.seconds,
                                          args.concurrency, run, args.rate))
                if result["postgres_per_order"]:
                    server_side.append(result["postgres_per_order"])  # type: ignore[arg-type]
                runs.append(result)
                print(f"run {run + 1}/{args.runs}: {result['completed']} orders in "
                      f"{result['elapsed_s']} s = {result['orders_per_minute']:.0f}/min; "
                      f"in flight at cutoff {result['in_flight_at_cutoff']}; "
                      f"bare {baselines[-1]['rps']:.0f} req/s; outcomes {result['outcomes']}"
                      + (f"; per order in Postgres {server_side[-1]}" if server_side else ""),
                      flush=True)
        completed: dict[str, str] = {}
        failed: set[str] = set()
        in_flight: set[str] = set()
        for r in runs:
            keys = r.pop("keys")
            completed.update(keys["completed"])  # type: ignore[index]
            failed.update(keys["failed"])  # type: ignore[index]
            in_flight.update(keys["in_flight"])  # type: ignore[index]
        checks = _verify(url, completed, failed, in_flight)
        counted = (_count_statements(emails[args.learners * args.runs:], courses)
                   if args.count else {})

    per_minute = statistics.median(float(r["orders_per_minute"]) for r in runs)  # type: ignore[arg-type]
    bare = statistics.median(b["rps"] for b in baselines)
    calls = {name: {key: statistics.median(r["per_call"][name][key]  # type: ignore[index]
                                           for r in runs)
                    for key in ("p50_ms", "p95_ms", "p99_ms")} for name in CALLS}
    calls_per_second = per_minute / 60 * len(CALLS)
    mode = (f"open loop at {args.rate:.0f} orders/min" if args.rate
            else f"closed loop, {args.concurrency} at a time")
    print(f"\n{mode}: completed orders per minute (median of {args.runs} runs): "
          f"{per_minute:.0f}")
    print(f"calls per second: {calls_per_second:.0f}; bare endpoint {bare:.0f} req/s "
          f"(ratio {calls_per_second / bare:.3f})")
    print(f"{'call':<10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name in CALLS:
        c = calls[name]
        print(f"{name:<10}{c['p50_ms']:>9.1f}{c['p95_ms']:>9.1f}{c['p99_ms']:>9.1f}")
    worst = max(calls[name]["p95_ms"] for name in CALLS)
    if args.rate:
        print(f"p95 of every call under 100 ms at {args.rate:.0f}/min: "
              f"{'PASS' if worst < 100 else 'FAIL'} (worst p95 {worst:.1f} ms)")
    if server_side:
        print("per completed order in Postgres (median of runs):",
              {k: statistics.median(s[k] for s in server_side) for k in server_side[0]})
    if counted:
        print("SQL per order, counted in-process:", json.dumps(counted))
    print("checks:", json.dumps(checks))
    ok = checks["lost"] == 0 and checks["duplicated"] == 0 and \
        checks["completed_but_reported_failed"] == 0
    print(f"lost {checks['lost']}, duplicated {checks['duplicated']}, in flight at cutoff "
          f"{checks['in_flight_at_cutoff']} ({checks['in_flight_completed_in_database']} of "
          f"them completed in the database); no order, payment or email lost or "
          f"duplicated: {ok}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("checkout_load_open.json" if args.rate else "checkout_load.json")
    out.write_text(json.dumps({
        "benchmark": "checkout_load", "database": url.split(":")[0], "args": vars(args),
        "mode": mode, "orders_per_minute_median": per_minute, "bare_rps_median": bare,
        "calls_per_second": round(calls_per_second, 1), "per_call_median": calls,
        "p95_under_100ms": worst < 100, "postgres_per_order": server_side,
        "statements": counted, "checks": checks, "consistent": ok, "runs": runs,
    }, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
