"""Checkout under load: simulated learners buy courses over HTTP, end to end.

Each purchase is four calls to the API served by granian: add a course to the cart, check
out (Idempotency-Key), pay with the sandbox test card (the sandbox signs its webhook and
hands it to the webhook intake, which completes the order in that request), and read the
order's status. Before the load, 10,000 guest carts are written so the cart table holds
them throughout; learners sign in once each (argon2 at production cost).

Afterwards the database is checked: every purchase that answered "completed" has exactly one
completed order, one succeeded payment and one confirmation email queued; nothing is
pending, duplicated or lost. A bare endpoint is measured in the same run as the baseline.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/checkout_load.py --learners 300 --seconds 30 --runs 3
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
    answer = await client.post("/api/v2/auth/login",
                               json={"email": address, "password": PASSWORD})
    answer.raise_for_status()
    return str(answer.json()["token"])


async def _learner(client: httpx.AsyncClient, token: str, courses: list[int], deadline: float,
                   timings: dict[str, list[float]], outcomes: dict[str, int],
                   completed: list[str]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for course_id in courses:
        if time.monotonic() >= deadline:
            return
        steps: list[tuple[str, str, dict[str, object], dict[str, str]]] = [
            ("add", "/api/v2/cart/items", {"item_type": "course", "item_id": course_id}, {}),
            ("checkout", "/api/v2/cart/checkout", {},
             {"Idempotency-Key": f"bench-{uuid.uuid4().hex}"}),
        ]
        number = ""
        try:
            for name, path, body, extra in steps:
                t0 = time.perf_counter()
                answer = await client.post(path, json=body, headers={**headers, **extra})
                timings[name].append((time.perf_counter() - t0) * 1000)
                if answer.status_code >= 400:
                    outcomes[f"{name}:{answer.status_code}"] += 1
                    raise StopIteration
                if name == "checkout":
                    number = answer.json()["number"]
            t0 = time.perf_counter()
            paid = await client.post("/api/v2/payments/sandbox/pay", headers=headers, json={
                "order_number": number, "card_number": "4242424242424242", "exp_month": 12,
                "exp_year": 2034, "cvc": "123"})
            timings["pay"].append((time.perf_counter() - t0) * 1000)
            if paid.status_code >= 400:
                outcomes[f"pay:{paid.status_code}"] += 1
                continue
            t0 = time.perf_counter()
            state = await client.get(f"/api/v2/payments/status/{number}", headers=headers)
            timings["status"].append((time.perf_counter() - t0) * 1000)
            if state.status_code == 200 and state.json()["order_status"] == "completed":
                outcomes["completed"] += 1
                completed.append(number)
            else:
                outcomes[f"status:{state.status_code}:{state.text[:40]}"] += 1
        except StopIteration:
            continue
        except httpx.HTTPError as exc:
            outcomes[f"http:{type(exc).__name__}"] += 1


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run(base: str, emails: list[str], courses: list[int], seconds: int,
               concurrency: int, offset: int) -> dict[str, object]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        sem = asyncio.Semaphore(8)

        async def login(address: str) -> str:
            async with sem:
                return await _login(client, address)

        tokens = await asyncio.gather(*(login(e) for e in emails))
        timings: dict[str, list[float]] = defaultdict(list)
        outcomes: dict[str, int] = defaultdict(int)
        completed: list[str] = []
        # each learner buys courses in its own order (offset per run: never one it owns)
        per = max(1, len(courses) // 3)
        work = [courses[(offset * per + i) % len(courses):][:per] for i in range(len(tokens))]
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(tokens)):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty() and time.monotonic() < deadline:
                i = queue.get_nowait()
                await _learner(client, tokens[i], work[i], deadline, timings, outcomes,
                               completed)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    per_call = {name: {"count": len(timings[name]), "p50_ms": round(_pct(timings[name], .5), 1),
                       "p95_ms": round(_pct(timings[name], .95), 1),
                       "p99_ms": round(_pct(timings[name], .99), 1)} for name in CALLS}
    return {"elapsed_s": round(elapsed, 1), "completed": len(completed),
            "orders_per_minute": round(len(completed) / elapsed * 60, 0),
            "per_call": per_call, "outcomes": dict(outcomes), "numbers": completed}


def _verify(url: str, numbers: list[str]) -> dict[str, int]:
    from sqlalchemy import func, select
    from sqlmodel import Session

    from commerce_dash.db import build_engine
    from commerce_dash.models.commerce import Cart, Order, Payment
    from commerce_dash.models.delivery import OutboxMessage

    engine = build_engine(url)
    with Session(engine) as session:
        completed = session.execute(select(func.count()).select_from(Order).where(
            Order.status == "completed")).scalar_one()
        pending = session.execute(select(func.count()).select_from(Order).where(
            Order.status == "pending")).scalar_one()
        succeeded = session.execute(select(func.count()).select_from(Payment).where(
            Payment.status == "succeeded")).scalar_one()
        emails = session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.dedupe_key.like("order-confirmation:%"))).scalar_one()  # type: ignore[attr-defined]
        double_pay = session.execute(select(func.count()).select_from(
            select(Payment.order_id).group_by(Payment.order_id)  # type: ignore[arg-type]
            .having(func.count() > 1).subquery())).scalar_one()
        carts = session.execute(select(func.count()).select_from(Cart)).scalar_one()
    engine.dispose()
    return {"reported_completed": len(numbers), "unique_numbers": len(set(numbers)),
            "orders_completed": int(completed), "orders_pending": int(pending),
            "payments_succeeded": int(succeeded), "confirmation_emails": int(emails),
            "orders_with_two_payments": int(double_pay), "carts_in_database": int(carts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--open-carts", type=int, default=10_000)
    args = parser.parse_args()

    with scratch_database() as url:
        cli(url, "migrate")
        cli(url, "seed", extra_env={"COMMERCE_DEMO_PASSWORD": PASSWORD})
        courses, emails = _prepare(url, args.learners * args.runs, args.open_carts)
        runs: list[dict[str, object]] = []
        baselines: list[dict[str, float]] = []
        with api_server(url, args.workers, extra_env=SERVER_ENV) as base:
            for run in range(args.runs):
                baselines.append(wrk(base + "/api/health/live", 5, args.concurrency))
                group = emails[run * args.learners:(run + 1) * args.learners]
                result = asyncio.run(_run(base, group, courses, args.seconds,
                                          args.concurrency, run))
                runs.append(result)
                print(f"run {run + 1}/{args.runs}: {result['completed']} orders in "
                      f"{result['elapsed_s']} s = {result['orders_per_minute']:.0f}/min; "
                      f"bare {baselines[-1]['rps']:.0f} req/s; outcomes {result['outcomes']}",
                      flush=True)
        numbers = [n for r in runs for n in r["numbers"]]  # type: ignore[attr-defined]
        checks = _verify(url, numbers)

    per_minute = statistics.median(float(r["orders_per_minute"]) for r in runs)  # type: ignore[arg-type]
    bare = statistics.median(b["rps"] for b in baselines)
    calls = {name: {key: statistics.median(r["per_call"][name][key]  # type: ignore[index]
                                           for r in runs)
                    for key in ("p50_ms", "p95_ms", "p99_ms")} for name in CALLS}
    calls_per_second = per_minute / 60 * len(CALLS)
    print(f"\norders per minute (median of {args.runs} runs): {per_minute:.0f}")
    print(f"calls per second: {calls_per_second:.0f}; bare endpoint {bare:.0f} req/s "
          f"(ratio {calls_per_second / bare:.2f})")
    print(f"{'call':<10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name in CALLS:
        c = calls[name]
        print(f"{name:<10}{c['p50_ms']:>9.1f}{c['p95_ms']:>9.1f}{c['p99_ms']:>9.1f}")
    print("checks:", json.dumps(checks))
    ok = (checks["orders_completed"] == checks["reported_completed"]
          == checks["payments_succeeded"] == checks["confirmation_emails"]
          == checks["unique_numbers"] and checks["orders_with_two_payments"] == 0)
    print("no order, payment or email lost or duplicated:", ok)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "checkout_load.json"
    for r in runs:
        r.pop("numbers", None)
    out.write_text(json.dumps({
        "benchmark": "checkout_load", "database": url.split(":")[0], "args": vars(args),
        "orders_per_minute_median": per_minute, "bare_rps_median": bare,
        "calls_per_second": round(calls_per_second, 1), "per_call_median": calls,
        "checks": checks, "consistent": ok, "runs": runs,
    }, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
