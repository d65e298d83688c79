"""API throughput and latency of the foundation's endpoints against a bare endpoint.

Serves ``commerce_dash.api:create_api`` with granian (2 workers) on 127.0.0.1, loads it with a
bounded number of requests from an asyncio client, repeats each measurement several times and
reports medians, plus each endpoint's throughput as a ratio of the bare liveness endpoint measured
in the same run. Writes benchmarks/results/api_auth.json.

    .venv/bin/python benchmarks/api_auth.py [--runs 5] [--seconds 5] [--concurrency 32]

The load comes from Debian's ``wrk`` (``make bench`` installs it), bounded by --seconds per run.

Uses DATABASE_URL when it names a PostgreSQL server (in a scratch database it creates and
drops), else a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scratch_database() -> tuple[str, callable]:
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        from sqlalchemy import create_engine, text

        from commerce_dash.db import build_engine

        name = f"cd_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(build_engine(base).url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = build_engine(base).url.set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

        return url, drop
    path = Path(tempfile.mkdtemp(prefix="cd-bench-")) / "bench.db"
    return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)


def _prepare(url: str) -> None:
    """Migrate the scratch database and load the demo data into it."""
    env = {**os.environ, "DATABASE_URL": url, "COMMERCE_DEMO_PASSWORD": "bench-password-1"}
    for args in (["migrate"], ["seed", "--if-empty"]):
        subprocess.run(
            [sys.executable, "-m", "commerce_dash.cli", *args],
            env=env,
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
    return None


def _wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict:
    """One bounded wrk run (Debian's wrk: a C load generator, so the client is not the limit)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run(
        command + [url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            raise RuntimeError(f"no {label}% latency in wrk output:\n{out}")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "requests": int(total.group(1)) if total else 0,
        "errors": int(errors.group(1)) if errors else 0,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": ms("50"),
        "p90_ms": ms("90"),
        "p99_ms": ms("99"),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="length of each load run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    url, drop = _scratch_database()
    port = _free_port()
    server = None
    try:
        _prepare(url)
        env = {**os.environ, "DATABASE_URL": url, "COMMERCE_DEMO_PASSWORD": "bench-password-1"}
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "granian"),
                "--interface",
                "asgi",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--no-access-log",
                "--log-level",
                "warning",
                "commerce_dash.api:create_api",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.3)
        token = httpx.post(
            base + "/api/v2/auth/login",
            json={"email": "super@example.com", "password": "bench-password-1"},
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        cases = [
            ("bare: GET /api/health/live", "/api/health/live", {}),
            ("readiness: GET /api/health", "/api/health", {}),
            ("session: GET /api/v2/auth/me", "/api/v2/auth/me", auth),
            ("admin list: GET /api/v2/admin/users", "/api/v2/admin/users", auth),
            ("admin audit page: GET /api/v2/admin/audit", "/api/v2/admin/audit", auth),
        ]
        runs: dict[str, list[dict]] = {name: [] for name, *_ in cases}
        for run in range(args.runs):
            # Interleaved, so that drift over time hits every endpoint alike.
            for name, path, headers in cases:
                runs[name].append(_wrk(base + path, args.seconds, args.concurrency, headers))
            print(f"run {run + 1}/{args.runs} done", flush=True)
        baseline = statistics.median(r["rps"] for r in runs[cases[0][0]])
        summary = {}
        print(f"\n{'endpoint':<44}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x bare':>8}")
        for name, *_ in cases:
            rps = statistics.median(r["rps"] for r in runs[name])
            p50 = statistics.median(r["p50_ms"] for r in runs[name])
            p99 = statistics.median(r["p99_ms"] for r in runs[name])
            errors = sum(r["errors"] for r in runs[name])
            summary[name] = {
                "median_rps": round(rps, 1),
                "median_p50_ms": round(p50, 2),
                "median_p99_ms": round(p99, 2),
                "ratio_to_bare": round(rps / baseline, 3),
                "errors": errors,
                "runs": runs[name],
            }
            print(f"{name:<44}{rps:>9.0f}{p50:>9.1f}{p99:>9.1f}{rps / baseline:>8.2f}")
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / "api_auth.json"
        out.write_text(
            json.dumps(
                {
                    "benchmark": "api_auth",
                    "database": url.split(":")[0],
                    "workers": args.workers,
                    "concurrency": args.concurrency,
                    "seconds_per_run": args.seconds,
                    "runs": args.runs,
                    "results": summary,
                },
                indent=2,
            )
        )
        print(f"\nwrote {out.relative_to(ROOT)}")
        return 0
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        drop()


if __name__ == "__main__":
    raise SystemExit(main())
