"""API throughput and latency of the foundation's endpoints against a bare endpoint.

Serves ``commerce_dash.api:create_api`` with granian on 127.0.0.1 and loads it with Debian's
``wrk`` (``make bench`` installs it) for a bounded time per run; reports medians of several
interleaved rounds and each endpoint's throughput as a ratio of the bare liveness endpoint
measured in the same run. Writes benchmarks/results/api_auth.json.

    .venv/bin/python benchmarks/api_auth.py [--runs 5] [--seconds 5] [--concurrency 32]

Uses a scratch Postgres database when DATABASE_URL names a server, else a SQLite file.
"""

from __future__ import annotations

import argparse

import httpx
from harness import api_server, cli, measure, report, scratch_database

PASSWORD = "bench-password-1"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    env = {"COMMERCE_DEMO_PASSWORD": PASSWORD}
    with scratch_database() as url:
        cli(url, "migrate")
        cli(url, "seed", "--if-empty", extra_env=env)
        with api_server(url, args.workers, env) as base:
            token = httpx.post(base + "/api/v2/auth/login", json={
                "email": "super@example.com", "password": PASSWORD}).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            cases = [
                ("bare: GET /api/health/live", "/api/health/live", {}),
                ("readiness: GET /api/health", "/api/health", {}),
                ("session: GET /api/v2/auth/me", "/api/v2/auth/me", auth),
                ("admin list: GET /api/v2/admin/users", "/api/v2/admin/users", auth),
                ("admin audit page: GET /api/v2/admin/audit", "/api/v2/admin/audit", auth),
            ]
            results = measure(cases, base, runs=args.runs, seconds=args.seconds,
                              connections=args.concurrency)
        report("api_auth", results, {"database": url.split(":")[0], "workers": args.workers,
                                     "connections": args.concurrency,
                                     "seconds_per_run": args.seconds, "runs": args.runs},
               baseline=cases[0][0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
