"""Outbox delivery throughput: signed webhooks from the outbox to a local receiver.

Queues N webhook messages in a scratch database, then measures how fast ``deliver_due``
empties the outbox into a ``ThreadingHTTPServer`` on 127.0.0.1 (HTTP/1.1 keep-alive, answers
204), with one worker and with several concurrent worker threads. Each run checks that the
receiver got every message exactly once (the claims must not overlap). Reports medians of
several runs and writes benchmarks/results/outbox_delivery.json. Prints the retry schedule of
the configured settings too.

    .venv/bin/python benchmarks/outbox_delivery.py [--messages 2000] [--runs 3] [--threads 4]

Uses a scratch Postgres database when DATABASE_URL names a server, else a SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import RESULTS, ROOT, cli, scratch_database


@contextmanager
def receiver() -> Iterator[tuple[str, Counter[str]]]:
    """A webhook receiver on a free loopback port counting requests per delivery id."""
    hits: Counter[str] = Counter()
    lock = threading.Lock()

    class Handle(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                hits[self.headers.get("X-Commerce-Delivery", "")] += 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", hits
    finally:
        server.shutdown()
        server.server_close()


def queue_messages(url: str, count: int, tag: str) -> None:
    from sqlmodel import select

    from commerce_dash.connectors.webhooks import queue_webhook
    from commerce_dash.db import session_scope
    from commerce_dash.models.integrations import ApiConnector

    with session_scope() as session:
        # the receiving connector must exist and be active, or its messages die unsent
        if session.exec(select(ApiConnector).where(ApiConnector.key_id == "ck_bench")).first() \
                is None:
            session.add(ApiConnector(name="Benchmark receiver", kind="payout", key_id="ck_bench"))
            session.commit()
        for i in range(count):
            queue_webhook(
                session=session,
                connector_key_id="ck_bench",
                url=url,
                event="order.paid",
                body={"order": i, "total": "120.00"},
                dedupe_key=f"{tag}-{i}",
            )
        session.commit()


def drain(threads: int) -> dict[str, int]:
    """Run ``threads`` workers until none finds a due message; their summed counts."""
    from commerce_dash.jobs.outbox_delivery import deliver_due

    totals: Counter[str] = Counter()
    lock = threading.Lock()

    def work() -> None:
        while True:
            counts = deliver_due(max_batches=1000)
            with lock:
                totals.update(counts)
            if not any(counts.values()):
                return

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return dict(totals)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    with scratch_database() as url:
        cli(url, "migrate")
        os.environ["DATABASE_URL"] = url
        from commerce_dash.db import reset_engine
        from commerce_dash.domain.retry import retry_schedule
        from commerce_dash.settings import get_settings

        get_settings.cache_clear()
        reset_engine()
        settings = get_settings()
        print(
            f"retry schedule for {settings.outbox_max_attempts} attempts "
            f"(base {settings.outbox_backoff_base_seconds} s), wait after each failure:"
        )
        schedule = retry_schedule(
            settings.outbox_max_attempts, base=settings.outbox_backoff_base_seconds
        )
        for attempt, (shortest, longest) in enumerate(schedule, start=1):
            print(f"  after attempt {attempt}: {shortest}-{longest} s")
        print(f"  after attempt {settings.outbox_max_attempts}: dead")
        cases = {"1 worker": 1, f"{args.threads} worker threads": args.threads}
        results: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
        with receiver() as (hook_url, hits):
            for run in range(args.runs):
                for name, threads in cases.items():
                    hits.clear()
                    queue_messages(hook_url, args.messages, f"r{run}-t{threads}")
                    started = time.perf_counter()
                    counts = drain(threads)
                    seconds = time.perf_counter() - started
                    twice = sum(1 for n in hits.values() if n > 1)
                    if len(hits) != args.messages or twice or counts.get("sent") != args.messages:
                        raise SystemExit(f"{name}: {len(hits)} received, {twice} twice, {counts}")
                    results[name].append({"seconds": seconds, "rate": args.messages / seconds})
                print(f"round {run + 1}/{args.runs} done", flush=True)
        reset_engine()
    summary: dict[str, object] = {}
    base_rate = statistics.median(r["rate"] for r in results["1 worker"])
    print(f"\n{'case':<24}{'msg/s':>9}{'seconds':>9}{'x 1':>7}")
    for name, runs in results.items():
        rate = statistics.median(r["rate"] for r in runs)
        seconds = statistics.median(r["seconds"] for r in runs)
        summary[name] = {
            "median_messages_per_s": round(rate, 1),
            "median_seconds": round(seconds, 2),
            "ratio_to_one_worker": round(rate / base_rate, 2),
            "runs": runs,
        }
        print(f"{name:<24}{rate:>9.0f}{seconds:>9.2f}{rate / base_rate:>7.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "outbox_delivery.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "outbox_delivery",
                "database": url.split(":")[0],
                "messages": args.messages,
                "runs": args.runs,
                "batch": settings.outbox_batch_size,
                "retry_schedule_seconds": schedule,
                "results": summary,
                "every_message_received_exactly_once": True,
            },
            indent=2,
        )
    )
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
