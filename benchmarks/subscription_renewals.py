"""Subscription renewals: the sandbox's renewal engine over N due subscriptions.

A scratch database gets the demo data (its HLT quarterly plan and Ivy's subscription to it,
made through ``commerce.subscribe`` with the sandbox success card). Each run then writes N
copies of that subscription for N new learners straight into the tables (``subscription``
and ``sandbox_subscription``, bulk inserts, the same columns ``subscribe`` and the sandbox
write; the billing anchor moved back one quarter so the first period has just ended) and
times ``commerce.run_sandbox_billing`` in batches until none is due. Each renewal charges
the saved card (a sandbox payment intent), emits ``invoice.paid`` and
``customer.subscription.updated`` through the signed webhook intake, and records the
invoice, the order, the ledger entry and the receipt email.

Baseline, measured in the same run over the same N rows: one short transaction per due
subscription that locks its ``sandbox_subscription`` row, touches it and commits (the
engine's bare per-row transaction, without charging, events or bookkeeping). The ratio says
how many such transactions a renewal costs.

The engine's statements, commits, rollbacks and pool checkouts (each pinged first on Postgres)
during the renewals are counted and reported per renewal.

Afterwards every run checks that each of its subscriptions renewed exactly once: one new
paid ``subscription_cycle`` invoice with its own order, no invoice or order twice (exit 1
otherwise). Medians over the runs; writes benchmarks/results/subscription_renewals.json.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
      .venv/bin/python benchmarks/subscription_renewals.py [--n 10000] [--runs 3] \\
      [--batch 500] [--profile]

Uses a scratch Postgres database when DATABASE_URL names a server (created and dropped by
the script), else a SQLite file. ``--profile`` runs cProfile over one extra batch and prints
the top costs.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import statistics
import time
from datetime import timedelta
from typing import Any

from harness import RESULTS, ROOT, cli, scratch_database

MONTH_DAYS = 31


def _template() -> tuple[dict[str, Any], dict[str, Any]]:
    """The demo's paid quarterly subscription and its sandbox twin, as column dicts."""
    from sqlmodel import col, select

    from commerce_dash.db import session_scope
    from commerce_dash.models.subscriptions import SandboxSubscription, Subscription

    with session_scope() as session:
        sub = session.exec(select(Subscription).where(Subscription.status == "active")
                           .order_by(col(Subscription.id))).first()
        if sub is None:
            raise SystemExit("the demo data has no active subscription to copy")
        remote = session.get(SandboxSubscription, sub.processor_subscription_id)
        assert remote is not None
        return sub.model_dump(), remote.model_dump()


def make_due(tag: str, count: int) -> list[str]:
    """``count`` learners, each with a sandbox subscription whose first period has just ended;
    returns the sandbox ids."""
    from sqlalchemy import insert, select
    from sqlmodel import col

    from commerce_dash.db import session_scope
    from commerce_dash.domain.clock import utcnow
    from commerce_dash.domain.pricing import Interval
    from commerce_dash.domain.subscriptions import MONTHS, period_bounds
    from commerce_dash.models.accounts import User
    from commerce_dash.models.subscriptions import SandboxSubscription, Subscription

    sub_t, remote_t = _template()
    now = utcnow().replace(microsecond=0)
    interval = Interval(sub_t["interval"])
    # anchored one period (and a bit) ago: the first period has just ended
    anchor = now - timedelta(days=MONTH_DAYS * MONTHS[interval] + 2)
    start, end = period_bounds(anchor, interval, 0)
    assert end <= now, (anchor, end)
    emails = [f"renew-{tag}-{i}@bench.example.org" for i in range(count)]
    with session_scope() as session:
        session.execute(insert(User), [
            {"email": e, "full_name": f"Renewal learner {i}", "password_hash": "",
             "created_at": anchor, "updated_at": anchor, "email_verified_at": anchor,
             "totp_secret": "", "totp_last_step": 0, "is_active": True}
            for i, e in enumerate(emails)])
        user_ids: dict[str, int] = dict(session.execute(select(col(User.email), col(User.id)).where(
            col(User.email).in_(emails))).all())
        keys = {e: f"{user_ids[e]}:bench-{tag}-{i}" for i, e in enumerate(emails)}
        remote_ids = {e: f"sbsub_bench{tag}_{i}" for i, e in enumerate(emails)}
        skip = {"id"}
        session.execute(insert(Subscription), [
            {**{k: v for k, v in sub_t.items() if k not in skip},
             "user_id": user_ids[e], "live_key": f"{user_ids[e]}:{sub_t['department_id']}",
             "idempotency_key": keys[e], "processor_subscription_id": remote_ids[e],
             "anchor_at": anchor, "current_period_start": start, "current_period_end": end,
             "created_at": anchor, "updated_at": anchor, "last_event_at": 0}
            for e in emails])
        sub_ids: dict[str, int] = dict(session.execute(select(col(Subscription.idempotency_key), col(Subscription.id))
                                       .where(col(Subscription.idempotency_key).in_(
                                           list(keys.values())))).all())
        meta_t = dict(remote_t["meta"] or {})
        session.execute(insert(SandboxSubscription), [
            {**{k: v for k, v in remote_t.items() if k != "meta"},
             "id": remote_ids[e], "idempotency_key": keys[e],
             "customer_id": "sbcus_" + hashlib.sha256(e.encode()).hexdigest()[:24],
             "anchor_at": anchor, "period_index": 1, "current_period_start": start,
             "current_period_end": end, "open_invoice_id": "", "attempt_count": 0,
             "next_attempt_at": None, "created_at": anchor, "updated_at": anchor,
             "meta": {**meta_t, "email": e, "created": int(anchor.timestamp()),
                      "last_event": int(anchor.timestamp()), "paid_invoices": 1,
                      "metadata": {**meta_t.get("metadata", {}),
                                   "subscription_id": str(sub_ids[keys[e]]),
                                   "user_id": str(user_ids[e])}}}
            for e in emails])
        session.commit()
    return list(remote_ids.values())


def baseline(remote_ids: list[str]) -> float:
    """Seconds for one locked touch-and-commit transaction per sandbox subscription."""
    from sqlmodel import select

    from commerce_dash.db import for_update, session_scope
    from commerce_dash.domain.clock import utcnow
    from commerce_dash.models.subscriptions import SandboxSubscription

    started = time.perf_counter()
    for remote_id in remote_ids:
        with session_scope() as session:
            row = session.exec(for_update(session, select(SandboxSubscription).where(
                SandboxSubscription.id == remote_id))).one()
            row.updated_at = utcnow()
            session.add(row)
            session.commit()
    return time.perf_counter() - started


class SqlCounter:
    """Counts what the engine sends while attached: statements, commits and rollbacks, and
    connections checked out of the pool (each pinged first on Postgres: one round trip)."""

    def __init__(self) -> None:
        self.counts = {"statements": 0, "commits": 0, "rollbacks": 0, "checkouts": 0}

    def _bump(self, key: str) -> Any:
        def listener(*_args: Any, **_kwargs: Any) -> None:
            self.counts[key] += 1
        return listener

    def __enter__(self) -> SqlCounter:
        from sqlalchemy import event

        from commerce_dash.db import get_engine

        engine = get_engine()
        self._listeners = [(engine, "before_cursor_execute", self._bump("statements")),
                           (engine, "commit", self._bump("commits")),
                           (engine, "rollback", self._bump("rollbacks")),
                           (engine.pool, "checkout", self._bump("checkouts"))]
        for target, name, fn in self._listeners:
            event.listen(target, name, fn)
        return self

    def __exit__(self, *_exc: object) -> None:
        from sqlalchemy import event

        for target, name, fn in self._listeners:
            event.remove(target, name, fn)


def renew_all(batch: int) -> tuple[float, int, int, dict[str, int]]:
    """Run the renewal engine until nothing is due: (seconds, subscriptions, batches, SQL
    counts)."""
    from commerce_dash.db import session_scope
    from commerce_dash.services import commerce

    acted = batches = 0
    started = time.perf_counter()
    with SqlCounter() as counter, session_scope() as session:
        while True:
            n = commerce.run_sandbox_billing(session=session, limit=batch)
            batches += 1
            acted += n
            if n == 0:
                break
    return time.perf_counter() - started, acted, batches, counter.counts


def check(tag: str, count: int) -> dict[str, int]:
    """Every subscription of the run renewed exactly once (else exit 1)."""
    from sqlalchemy import func, select
    from sqlmodel import col

    from commerce_dash.db import session_scope
    from commerce_dash.models.accounts import User
    from commerce_dash.models.commerce import Order
    from commerce_dash.models.subscriptions import (
        SandboxSubscription,
        Subscription,
        SubscriptionInvoice,
    )

    with session_scope() as session:
        ours = select(col(Subscription.id)).join(User, col(User.id) == col(Subscription.user_id)).where(
            col(User.email).like(f"renew-{tag}-%"))
        per_sub = session.execute(
            select(col(SubscriptionInvoice.subscription_id), func.count(),
                   func.count(col(SubscriptionInvoice.order_id)),
                   func.count(func.distinct(col(SubscriptionInvoice.order_id))))
            .where(col(SubscriptionInvoice.subscription_id).in_(ours),
                   col(SubscriptionInvoice.status) == "paid",
                   col(SubscriptionInvoice.billing_reason) == "subscription_cycle")
            .group_by(col(SubscriptionInvoice.subscription_id))).all()
        orders = session.execute(select(func.count()).select_from(Order).where(
            col(Order.id).in_(select(col(SubscriptionInvoice.order_id)).where(
                col(SubscriptionInvoice.subscription_id).in_(ours))))).scalar_one()
        active = session.execute(select(func.count()).select_from(Subscription).where(
            col(Subscription.id).in_(ours), col(Subscription.status) == "active")).scalar_one()
        remote_done = session.execute(select(func.count()).select_from(SandboxSubscription)
                                      .where(col(SandboxSubscription.id).like(f"sbsub_bench{tag}_%"),
                                             col(SandboxSubscription.period_index) == 2,
                                             col(SandboxSubscription.status) == "active")
                                      ).scalar_one()
    result = {
        "subscriptions": count,
        "renewed_once": sum(1 for _, n, o, d in per_sub if n == 1 and o == 1 and d == 1),
        "renewed_twice_or_more": sum(1 for _, n, *_ in per_sub if n > 1),
        "not_renewed": count - len(per_sub),
        "orders": int(orders),
        "active": int(active),
        "sandbox_renewed_once": int(remote_done),
    }
    if not (result["renewed_once"] == result["orders"] == result["active"]
            == result["sandbox_renewed_once"] == count):
        raise SystemExit(f"run {tag}: renewals do not add up: {result}")
    return result


def profile(batch: int) -> str:
    """cProfile of one batch of ``batch`` renewals: the top costs by own and total time."""
    from commerce_dash.db import session_scope
    from commerce_dash.services import commerce

    make_due("prof", batch)
    profiler = cProfile.Profile()
    with session_scope() as session:
        profiler.enable()
        n = commerce.run_sandbox_billing(session=session, limit=batch)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"one batch: {n} renewals\n")
    stats.sort_stats("tottime").print_stats(18)
    stats.sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000, help="due subscriptions per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500, help="run_sandbox_billing limit")
    parser.add_argument("--profile", action="store_true", help="cProfile one extra batch")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with scratch_database() as url:
        env = {"COMMERCE_PAYMENT_PROCESSOR": "sandbox", "COMMERCE_ENV": "development"}
        cli(url, "migrate", extra_env=env)
        cli(url, "seed", extra_env=env)
        os.environ.update({"DATABASE_URL": url, **env})
        import logging

        from commerce_dash.db import reset_engine
        from commerce_dash.settings import get_settings

        logging.disable(logging.WARNING)  # the intake logs every event at info
        get_settings.cache_clear()
        reset_engine()
        for run in range(args.runs):
            tag = f"r{run}"
            t0 = time.perf_counter()
            remote_ids = make_due(tag, args.n)
            setup = time.perf_counter() - t0
            base = baseline(remote_ids)
            seconds, acted, batches, counts = renew_all(args.batch)
            if acted != args.n:
                raise SystemExit(f"run {tag}: the engine acted on {acted} of {args.n}")
            checked = check(tag, args.n)
            results.append({"setup_seconds": round(setup, 2), "seconds": round(seconds, 2),
                            "renewals_per_s": round(args.n / seconds, 1),
                            "baseline_seconds": round(base, 2),
                            "ratio_to_baseline": round(seconds / base, 1),
                            "batches": batches,
                            "per_renewal": {k: round(v / args.n, 1) for k, v in counts.items()},
                            "check": checked})
            print(f"run {run + 1}/{args.runs}: {args.n} renewals in {seconds:.1f} s "
                  f"({args.n / seconds:.1f}/s), baseline {base:.1f} s "
                  f"(x{seconds / base:.1f}), setup {setup:.1f} s, {batches} batches; "
                  f"renewed once: {checked['renewed_once']}, twice: "
                  f"{checked['renewed_twice_or_more']}, orders: {checked['orders']}; per "
                  f"renewal: {results[-1]['per_renewal']}", flush=True)
        profile_text = profile(args.batch) if args.profile else ""
        reset_engine()
    median = {key: statistics.median(r[key] for r in results)
              for key in ("seconds", "renewals_per_s", "baseline_seconds", "ratio_to_baseline")}
    per_renewal = {key: statistics.median(r["per_renewal"][key] for r in results)
                   for key in results[0]["per_renewal"]}
    print(f"\n{args.n} due subscriptions, {args.runs} runs, batches of {args.batch} "
          f"({url.split(':')[0]}):")
    print(f"  renewals/s (median)        {median['renewals_per_s']:.1f}")
    print(f"  seconds for {args.n} (median) {median['seconds']:.1f}")
    print(f"  baseline seconds (median)  {median['baseline_seconds']:.1f}   "
          "(one locked touch-and-commit per row)")
    print(f"  x baseline (median)        {median['ratio_to_baseline']:.1f}")
    print(f"  per renewal (median)       {per_renewal['statements']:.1f} statements, "
          f"{per_renewal['commits']:.1f} commits, {per_renewal['rollbacks']:.1f} rollbacks, "
          f"{per_renewal['checkouts']:.1f} pool checkouts")
    print("  every subscription renewed exactly once: one paid invoice and one order each")
    if profile_text:
        print("\n" + profile_text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "subscription_renewals.json"
    out.write_text(json.dumps({
        "benchmark": "subscription_renewals", "database": url.split(":")[0], "n": args.n,
        "runs": args.runs, "batch": args.batch,
        "baseline": "one transaction per due sandbox subscription: lock its row, touch, commit",
        "median": median, "per_renewal_median": per_renewal, "results": results,
        "every_subscription_renewed_exactly_once": True}, indent=2))
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
