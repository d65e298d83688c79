"""Shared pieces of the HTTP benchmarks: scratch database, granian server, wrk runs, report."""

from __future__ import annotations

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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new empty database: Postgres when DATABASE_URL names one, else a SQLite file."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        path = Path(tempfile.mkdtemp(prefix="cd-bench-")) / "bench.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            path.unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text

    from commerce_dash.db import build_engine

    name = f"cd_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(build_engine(base).url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield build_engine(base).url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def cli(url: str, *args: str, extra_env: dict[str, str] | None = None) -> None:
    """Run ``python -m commerce_dash.cli`` against ``url``."""
    env = {**os.environ, "DATABASE_URL": url, **(extra_env or {})}
    subprocess.run([sys.executable, "-m", "commerce_dash.cli", *args], env=env, check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)


@contextmanager
def api_server(url: str, workers: int, extra_env: dict[str, str] | None = None
               ) -> Iterator[str]:
    """The API app served by granian on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, **(extra_env or {})}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--no-access-log", "--log-level", "warning", "commerce_dash.api:create_api"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the API server did not start")
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str] | None = None
        ) -> dict[str, float]:
    """One bounded run of Debian's wrk (a C load generator: the client is not the limit)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True,
                         timeout=seconds + 30).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            raise RuntimeError(f"no {label}% latency in wrk output:\n{out}")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return {
        "requests": int(total.group(1)) if total else 0,
        "errors": int(errors.group(1)) if errors else 0,
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": ms("50"),
        "p90_ms": ms("90"),
        "p99_ms": ms("99"),
    }


def measure(cases: list[tuple[str, str, dict[str, str]]], base: str, *, runs: int,
            seconds: int, connections: int) -> dict[str, list[dict[str, float]]]:
    """Run every case once per round, ``runs`` rounds, interleaved so drift hits all alike."""
    results: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in cases}
    for run in range(runs):
        for name, path, headers in cases:
            results[name].append(wrk(base + path, seconds, connections, headers))
        print(f"round {run + 1}/{runs} done", flush=True)
    return results


def report(name: str, results: dict[str, list[dict[str, float]]], meta: dict[str, object],
           baseline: str) -> Path:
    """Print medians and ratios to the baseline case; write results/<name>.json."""
    base_rps = statistics.median(r["rps"] for r in results[baseline])
    summary: dict[str, object] = {}
    print(f"\n{'case':<52}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x base':>8}{'errors':>8}")
    for case, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50_ms"] for r in runs)
        p99 = statistics.median(r["p99_ms"] for r in runs)
        errors = int(sum(r["errors"] for r in runs))
        summary[case] = {"median_rps": round(rps, 1), "median_p50_ms": round(p50, 2),
                         "median_p99_ms": round(p99, 2), "ratio_to_baseline":
                         round(rps / base_rps, 3), "errors": errors, "runs": runs}
        print(f"{case:<52}{rps:>9.0f}{p50:>9.1f}{p99:>9.1f}{rps / base_rps:>8.2f}{errors:>8}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps({"benchmark": name, **meta, "baseline": baseline,
                               "results": summary}, indent=2))
    print(f"\nwrote {out.relative_to(ROOT)}")
    return out


