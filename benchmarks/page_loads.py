"""Page loads over Reflex's websocket, as browsers drive them (issue 20 part 3).

Serves the Reflex backend of the app (``reflex run --env prod --backend-only``: the websocket
and the API; the static pages are not under test) with per-client state in Redis and two
granian workers, on a scratch database (Postgres when DATABASE_URL names one, else SQLite)
seeded with the demo. Then simulated browsers speak Reflex's socket.io protocol on ``/_event``
as the compiled frontend does (utils/state.js): each visitor is one tab with its own token,
connects with the ``hydrate_and_load`` event in the CONNECT packet (the first page), and then
navigates client-side: every navigation sends ``on_load_internal`` with the route's router data,
the server runs the page's ``on_load`` handlers as one chain, and the page has loaded when the
delta setting ``is_hydrated`` arrives.

- N storefront visitors (default 500, guests, each with one course in its cart, added through
  the course page's Add to cart) load the catalog, a course page (a random published course) or
  the cart, each every ``--interval`` seconds (default 5, jittered +-20 %, open loop: latency
  counts from the scheduled time, so a late send is not hidden);
- a few admins (signed in through ``POST /api/v2/auth/login``, the session token in the
  websocket handshake's Cookie header as the browser sends it) load the registration queue and
  the revenue page every ``--interval`` seconds.

Printed per page: loads, p50/p95/p99 of the page load (emit -> hydrated, every on_load handler
of the page and Reflex's own events), PASS/FAIL against 300 ms at p95; page loads/s and events/s
(each load runs the page's handlers plus on_load_internal, show_notices and set_is_hydrated).
Baseline in the same run: a trivial event (``set_is_hydrated`` of Reflex's leaf state: the full
event path with the Redis state lock, no app code) round trip, unloaded and every second under
load. Event-loop lag: a probe process (its own event loop, so the load generator's lag is not
counted) sends socket.io ``ping`` every 100 ms on a few sockets (spread over both workers); the
server answers it on its event loop without touching state, so RTT - unloaded RTT is the time the
worker's loop was held. The app's own probe (``commerce_event_loop_lag_*`` on /metrics) is read
too when the app exports it. Medians of ``--runs`` runs; writes benchmarks/results/page_loads.json.

    flock /tmp/bench.lock .venv/bin/python benchmarks/page_loads.py [--visitors 500] [--runs 3]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        flock /tmp/bench.lock .venv/bin/python benchmarks/page_loads.py --seconds 30

Redis: ``--redis-url`` (default redis://127.0.0.1:6379/5, a database of its own, flushed before
and after). Skipped (exit 0) when Redis does not answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from harness import RESULTS, ROOT, cli, free_port, scratch_database

PASSWORD = "bench-pass-page-loads-1"
TARGET_P95_MS = 300.0
TARGET_LAG_MS = 20.0
LOAD_TIMEOUT_S = 15.0
HEALTH_TIMEOUT_S = 180
USER_AGENT = "commerce-dash-page-loads-bench"

# Reflex's state names (module path and class, as reflex names substates)
ROOT_STATE = "reflex___state____state"
AUTH = f"{ROOT_STATE}.commerce_dash___state___auth____auth_state"
ON_LOAD_INTERNAL = f"{ROOT_STATE}.reflex___state____on_load_internal_state.on_load_internal"
BARE_EVENT = f"{ROOT_STATE}.reflex___state____on_load_internal_state.set_is_hydrated"
HYDRATE = f"{ROOT_STATE}.hydrate_and_load"
COURSE_STATE = f"{AUTH}.commerce_dash___pages___store___course____course_state"
HYDRATED = "is_hydrated_rx_state_"

# page -> (route pattern, number of on_load handlers the app registers for it)
PAGES: dict[str, tuple[str, int]] = {
    "catalog": ("/store", 2),
    "course": ("/store/course/[code]", 2),
    "cart": ("/cart", 1),
    "registrations": ("/admin/registrations", 2),
    "revenue": ("/admin/revenue", 2),
}
STORE_PAGES = ("catalog", "course", "cart")
ADMIN_PAGES = ("registrations", "revenue")
# Reflex's own events around a page's handlers: on_load_internal, set_is_hydrated, and the
# app's show_notices (every page)
EVENTS_AROUND = 3


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the server -------------------------------------------------------------------------------


def reflex_env(url: str, base: str, redis_url: str, workers: int, web: Path) -> dict[str, str]:
    npm = shutil.which("npm")
    registry = (subprocess.run([npm, "config", "get", "registry"], capture_output=True,
                               text=True, check=False).stdout.strip() if npm else "")
    return {
        **os.environ,
        "PATH": f"{ROOT / '.tools' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_HTTP_CLIENT_BIND_ADDRESS": "0.0.0.0",
        "NPM_CONFIG_REGISTRY": registry,
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATABASE_URL": url,
        "COMMERCE_ENV": "test",
        "COMMERCE_PUBLIC_URL": base,
        "COMMERCE_DEMO_PASSWORD": PASSWORD,
        "COMMERCE_SECRET_KEY": "bench-secret-key-page-loads-0123456789abcdef",
        "COMMERCE_ARGON2_TIME_COST": "1",
        "COMMERCE_ARGON2_MEMORY_COST_KIB": "64",
        # background jobs would add their own load at random moments
        "COMMERCE_SCHEDULER_ENABLED": "false",
        "COMMERCE_EMAIL_FILE_DIR": str(web.parent / "mail"),
        "REFLEX_REDIS_URL": redis_url,
        "GRANIAN_WORKERS": str(workers),
        # compile into a folder of our own: the shared .web may be serving e2e tests
        "REFLEX_WEB_WORKDIR": str(web),
    }


@contextmanager
def reflex_backend(url: str, redis_url: str, workers: int) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="cd-page-loads-"))
    env = reflex_env(url, base, redis_url, workers, tmp / "web")
    env.pop("COMMERCE_DATABASE_URL", None)
    # the app's /metrics then sums every worker's figures
    (tmp / "prom").mkdir()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp / "prom")
    log_path = tmp / "server.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "reflex"), "run", "--env", "prod", "--backend-only",
         "--backend-host", "127.0.0.1", "--backend-port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while True:
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                tail = log_path.read_text(errors="replace").splitlines()[-40:]
                raise SystemExit("the Reflex backend did not start:\n" + "\n".join(tail))
            time.sleep(0.5)
        yield base
    finally:
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            try:
                os.killpg(server.pid, sig)
            except ProcessLookupError:
                break
            try:
                server.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def flush_redis(redis_url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
        client.flushdb()
        client.close()
        return True
    except redis.RedisError:
        return False


# -- a browser tab ----------------------------------------------------------------------------


class Tab:
    """One browser tab: a socket.io client on ``/_event`` with its own token."""

    def __init__(self, base: str, http: Any, cookie: str = "") -> None:
        import socketio

        self.base, self.cookie = base, cookie
        self.token = str(uuid.uuid4())
        self.sio = socketio.AsyncClient(reconnection=False, http_session=http,
                                        handle_sigint=False)
        self._hydrated: asyncio.Future[float] | None = None
        self._any: asyncio.Future[float] | None = None
        self.sio.on("event", self._on_event, namespace="/_event")

    async def _on_event(self, update: dict[str, Any]) -> None:
        now = time.perf_counter()
        delta = update.get("delta") or {}
        if self._any is not None and not self._any.done():
            self._any.set_result(now)
        if (delta.get(ROOT_STATE, {}).get(HYDRATED) is True and self._hydrated is not None
                and not self._hydrated.done()):
            self._hydrated.set_result(now)

    @staticmethod
    def router_data(route: str, query: dict[str, str]) -> dict[str, Any]:
        path = route
        for key, value in query.items():
            path = path.replace(f"[{key}]", value)
        data: dict[str, Any] = {"pathname": path, "asPath": path}
        if query:
            data["query"] = query
        return data

    async def open(self, route: str, query: dict[str, str]) -> float:
        """Connect as a page load does (hydrate in the CONNECT packet); seconds to hydrated."""
        loop = asyncio.get_running_loop()
        self._hydrated = loop.create_future()
        headers = {"Origin": self.base, "User-Agent": USER_AGENT}
        if self.cookie:
            headers["Cookie"] = self.cookie
        start = time.perf_counter()
        await self.sio.connect(
            f"{self.base}?token={self.token}", headers=headers, transports=["websocket"],
            socketio_path="/_event", namespaces=["/_event"], wait_timeout=LOAD_TIMEOUT_S,
            auth={"event": {"name": HYDRATE, "payload": {},
                            "router_data": self.router_data(route, query)}},
        )
        return await asyncio.wait_for(self._hydrated, LOAD_TIMEOUT_S) - start

    async def navigate(self, route: str, query: dict[str, str]) -> float:
        """A client-side navigation: on_load_internal; the perf_counter when hydrated."""
        self._hydrated = asyncio.get_running_loop().create_future()
        await self.sio.emit("event", {"name": ON_LOAD_INTERNAL, "payload": {},
                                      "router_data": self.router_data(route, query)},
                            namespace="/_event")
        return await asyncio.wait_for(self._hydrated, LOAD_TIMEOUT_S)

    async def bare(self, route: str, query: dict[str, str]) -> float:
        """The trivial event's round trip in seconds."""
        self._hydrated = asyncio.get_running_loop().create_future()
        start = time.perf_counter()
        await self.sio.emit("event", {"name": BARE_EVENT, "payload": {"value": True},
                                      "router_data": self.router_data(route, query)},
                            namespace="/_event")
        return await asyncio.wait_for(self._hydrated, LOAD_TIMEOUT_S) - start

    async def send(self, name: str, route: str, query: dict[str, str],
                   payload: dict[str, Any] | None = None) -> None:
        """An app event; returns when its first update arrives."""
        self._any = asyncio.get_running_loop().create_future()
        await self.sio.emit("event", {"name": name, "payload": payload or {},
                                      "router_data": self.router_data(route, query)},
                            namespace="/_event")
        await asyncio.wait_for(self._any, LOAD_TIMEOUT_S)

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a socket the server dropped
            await asyncio.wait_for(self.sio.disconnect(), 5)


# -- the loop-lag probe (a process of its own) ------------------------------------------------


def probe_process(base: str, sockets: int, period: float, phases: list[float],
                  out: Any) -> None:
    """Ping the server every ``period`` s on ``sockets`` sockets; for each phase (its length
    in seconds) the RTTs in ms; and this process's own loop lag (sleep overshoot)."""
    import aiohttp
    import socketio

    async def main() -> None:
        async with aiohttp.ClientSession() as http:
            clients: list[Any] = []
            for _ in range(sockets * 3):  # a refused connect is tried again, a few times
                if len(clients) == sockets:
                    break
                sio = socketio.AsyncClient(reconnection=False, http_session=http,
                                           handle_sigint=False)
                pongs: asyncio.Queue[float] = asyncio.Queue()

                async def on_pong(*_: Any, q: asyncio.Queue[float] = pongs) -> None:
                    q.put_nowait(time.perf_counter())

                # Reflex answers the "ping" event with a "ping" event carrying "pong"
                sio.on("ping", on_pong, namespace="/_event")
                try:
                    await sio.connect(f"{base}?token={uuid.uuid4()}",
                                      headers={"Origin": base, "User-Agent": USER_AGENT},
                                      transports=["websocket"], socketio_path="/_event",
                                      namespaces=["/_event"], wait_timeout=10)
                except Exception:
                    continue
                clients.append((sio, pongs))
            results = []
            for length in phases:
                rtts: list[float] = []
                own: list[float] = []
                end = time.perf_counter() + length
                while time.perf_counter() < end:
                    for sio, pongs in clients:
                        start = time.perf_counter()
                        try:
                            await sio.emit("ping", namespace="/_event")
                            rtts.append((await asyncio.wait_for(pongs.get(), 5) - start) * 1000)
                        except Exception:  # no answer in 5 s, or the socket was dropped
                            rtts.append(5000.0)
                    before = time.perf_counter()
                    await asyncio.sleep(period)
                    own.append((time.perf_counter() - before - period) * 1000)
                results.append({"rtt_ms": rtts, "own_lag_ms": own})
            out.put(results)
            for sio, _ in clients:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(sio.disconnect(), 5)

    asyncio.run(main())


# -- the load ---------------------------------------------------------------------------------


@dataclass
class Samples:
    loads: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PAGES})
    late: list[float] = field(default_factory=list)
    errors: int = 0
    bare_loaded: list[float] = field(default_factory=list)
    client_lag: list[float] = field(default_factory=list)


async def sign_in(base: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30,
                                 headers={"User-Agent": USER_AGENT}) as client:
        response = await client.post("/api/v2/auth/login",
                                     json={"email": email, "password": PASSWORD})
        response.raise_for_status()
        return str(response.json()["token"])


async def course_codes(base: str) -> list[str]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.get("/api/v2/catalog/courses", params={"page_size": 100})
        response.raise_for_status()
        return [c["code"] for c in response.json()["items"] if c["kind"] == "course"]


def page_query(page: str, codes: list[str], rng: random.Random) -> dict[str, str]:
    return {"code": rng.choice(codes)} if page == "course" else {}


async def one_run(base: str, args: argparse.Namespace, visitors_n: int, codes: list[str],
                  admin_cookies: list[str], seed: int) -> dict[str, Any]:
    import aiohttp

    rng = random.Random(seed)
    samples = Samples()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        # the bare event, unloaded
        bare_tab = Tab(base, http)
        await bare_tab.open("/store", {})
        bare_unloaded = [await bare_tab.bare("/store", {}) * 1000 for _ in range(40)]

        # the probe: one phase unloaded, then the measured window
        ramp = max(5.0, visitors_n / 25)  # the visitors arrive over this many seconds
        queue: Any = multiprocessing.get_context("spawn").Queue()
        probe = multiprocessing.get_context("spawn").Process(
            target=probe_process,
            args=(base, args.probe_sockets, 0.1, [3.0, ramp + args.warmup + args.seconds],
                  queue), daemon=True)
        probe.start()
        await asyncio.sleep(3.5)  # the probe connects and measures its unloaded phase

        visitors = [Tab(base, http) for _ in range(visitors_n)]
        admins = [Tab(base, http, cookie=admin_cookies[i % len(admin_cookies)])
                  for i in range(args.admins)]
        t0 = time.perf_counter()
        window = (t0 + ramp + args.warmup, t0 + ramp + args.warmup + args.seconds)
        connect_failures = 0

        async def visit(tab: Tab, index: int, pages: tuple[str, ...], shop: bool) -> None:
            nonlocal connect_failures
            # arrive spread over the ramp: the first page is a full page load
            await asyncio.sleep(ramp * index / max(1, len(visitors) + len(admins)))
            first = "course" if shop else pages[0]
            query = page_query(first, codes, rng)
            try:
                await tab.open(PAGES[first][0], query)
                if shop:  # one course in the cart, through the course page's button
                    await tab.send(f"{COURSE_STATE}.add_to_cart", PAGES["course"][0], query)
            except Exception:
                connect_failures += 1
                return
            due = max(time.perf_counter(), t0 + ramp) + rng.uniform(0, args.interval)
            while due < window[1]:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                page = rng.choice(pages)
                sent = time.perf_counter()
                try:
                    done = await tab.navigate(PAGES[page][0], page_query(page, codes, rng))
                except Exception:
                    if window[0] <= due:
                        samples.errors += 1
                    done = None
                if done is not None and window[0] <= due:
                    samples.loads[page].append((done - due) * 1000)
                    samples.late.append((sent - due) * 1000)
                due += args.interval * rng.uniform(0.8, 1.2)

        async def bare_under_load() -> None:
            await asyncio.sleep(max(0.0, window[0] - time.perf_counter()))
            while time.perf_counter() < window[1]:
                try:
                    samples.bare_loaded.append(await bare_tab.bare("/store", {}) * 1000)
                except Exception:
                    samples.errors += 1
                await asyncio.sleep(1.0)

        async def client_lag() -> None:  # this process's own loop: is the load generator late?
            while time.perf_counter() < window[1]:
                before = time.perf_counter()
                await asyncio.sleep(0.1)
                if time.perf_counter() >= window[0]:
                    samples.client_lag.append((time.perf_counter() - before - 0.1) * 1000)

        tasks = [visit(tab, i, STORE_PAGES, True) for i, tab in enumerate(visitors)]
        tasks += [visit(tab, len(visitors) + i, ADMIN_PAGES, False)
                  for i, tab in enumerate(admins)]
        await asyncio.gather(*tasks, bare_under_load(), client_lag())
        try:
            probe_result = await asyncio.to_thread(queue.get, True, 60)
        except Exception:  # the probe could not connect at all
            probe_result = [{"rtt_ms": [], "own_lag_ms": []}, {"rtt_ms": [], "own_lag_ms": []}]
        probe.join(10)
        if probe.is_alive():
            probe.kill()
        await asyncio.gather(*(tab.close() for tab in [*visitors, *admins, bare_tab]))

    unloaded_rtt = pct(probe_result[0]["rtt_ms"], 0.5)
    loaded_rtt = probe_result[1]["rtt_ms"]
    loads = sum(len(v) for v in samples.loads.values())
    events = sum(len(v) * (PAGES[p][1] + EVENTS_AROUND) for p, v in samples.loads.items())
    return {
        "pages": {p: {"loads": len(v), "p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95),
                      "p99_ms": pct(v, 0.99), "max_ms": max(v) if v else float("nan")}
                  for p, v in samples.loads.items()},
        "page_loads_per_s": loads / args.seconds,
        "events_per_s": events / args.seconds,
        "errors": samples.errors,
        "connect_failures": connect_failures,
        "sent_late_p95_ms": pct(samples.late, 0.95),
        "bare_unloaded_p50_ms": statistics.median(bare_unloaded),
        "bare_loaded_p50_ms": pct(samples.bare_loaded, 0.5),
        "bare_loaded_p95_ms": pct(samples.bare_loaded, 0.95),
        "ping_unloaded_p50_ms": unloaded_rtt,
        "ping_loaded_p50_ms": pct(loaded_rtt, 0.5),
        "ping_loaded_p99_ms": pct(loaded_rtt, 0.99),
        "loop_lag_max_ms": max(loaded_rtt, default=float("nan")) - unloaded_rtt,
        "loop_lag_p99_ms": pct(loaded_rtt, 0.99) - unloaded_rtt,
        "probe_own_lag_max_ms": max(probe_result[1]["own_lag_ms"], default=float("nan")),
        "client_lag_p99_ms": pct(samples.client_lag, 0.99),
        "client_lag_max_ms": max(samples.client_lag, default=0.0),
    }


_SAMPLE = re.compile(r'^(\w+?)(_bucket|_sum|_count)?(?:\{([^}]*)\})?\s+([-+\d.eE]+|NaN)$')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(base: str) -> dict[str, dict[str, Any]] | None:
    """The app's histograms of page-event time (by handler) and event-loop lag from /metrics
    (every worker's: PROMETHEUS_MULTIPROC_DIR is set for the server); None without them."""
    headers = {}
    token = os.environ.get("COMMERCE_METRICS_TOKEN", "")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = httpx.get(base + "/metrics", headers=headers, timeout=10)
    except httpx.HTTPError:
        return None
    if response.status_code != 200 or "commerce_event_loop_lag" not in response.text:
        return None
    found: dict[str, dict[str, Any]] = {}
    for line in response.text.splitlines():
        match = _SAMPLE.match(line)
        if not match or not match.group(1).startswith(
                ("commerce_page_event_duration_seconds", "commerce_event_loop_lag")):
            continue
        name, part, labels, value = match.groups()
        found_labels = dict(_LABEL.findall(labels or ""))
        series = found.setdefault(f"{name}|{found_labels.get('event', '')}",
                                  {"buckets": {}, "sum": 0.0, "count": 0.0, "value": 0.0})
        if part == "_bucket":
            series["buckets"][float(found_labels["le"])] = float(value)
        elif part == "_sum":
            series["sum"] = float(value)
        elif part == "_count":
            series["count"] = float(value)
        else:
            series["value"] = float(value)
    return found


def histogram_delta(after: dict[str, Any], before: dict[str, Any] | None) -> dict[str, float]:
    """Count, mean and bucket-bound p50/p95/p99/max (ms) of what a histogram saw between two
    scrapes."""
    old = before or {"buckets": {}, "sum": 0.0, "count": 0.0}
    count = after["count"] - old["count"]
    if count <= 0:
        return {"count": 0}
    cumulative = sorted((le, after["buckets"][le] - old["buckets"].get(le, 0.0))
                        for le in after["buckets"])

    def bound(q: float) -> float:
        for le, seen in cumulative:
            if seen >= q * count:
                return le * 1000
        return float("inf")

    top = next((le for le, seen in cumulative if seen >= count), float("inf"))
    return {"count": count, "mean_ms": (after["sum"] - old["sum"]) / count * 1000,
            "p50_le_ms": bound(0.5), "p95_le_ms": bound(0.95), "p99_le_ms": bound(0.99),
            "max_le_ms": top * 1000,
            "over_25ms": count - dict(cumulative).get(0.025, count)}


def app_figures(before: dict[str, dict[str, Any]] | None,
                after: dict[str, dict[str, Any]] | None) -> dict[str, Any] | None:
    if after is None:
        return None
    before = before or {}
    handlers = {key.split("|", 1)[1]: histogram_delta(series, before.get(key))
                for key, series in after.items()
                if key.startswith("commerce_page_event_duration_seconds|")}
    lag_key = "commerce_event_loop_lag_seconds|"
    return {
        "handlers": {k: v for k, v in handlers.items() if v["count"]},
        "loop_lag": histogram_delta(after[lag_key], before.get(lag_key))
        if lag_key in after else None,
        "loop_lag_max_since_start_ms":
            after.get("commerce_event_loop_lag_max_seconds|", {}).get("value", 0.0) * 1000,
    }


# -- report -----------------------------------------------------------------------------------


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    pages = {
        page: {k: statistics.median(r["pages"][page][k] for r in runs)
               for k in ("loads", "p50_ms", "p95_ms", "p99_ms", "max_ms")}
        for page in PAGES
    }
    keys = [k for k in runs[0] if k not in ("pages", "app")]
    return {"pages": pages, **{k: med(k) for k in keys}}


def print_report(summary: dict[str, Any], runs: int) -> bool:
    bare = summary["bare_unloaded_p50_ms"]
    print(f"\nmedians of {runs} run(s)")
    print(f"{'page':<16}{'loads':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'p95/bare':>10}  target p95 < {TARGET_P95_MS:.0f} ms")
    ok = True
    for page, row in summary["pages"].items():
        passed = row["p95_ms"] < TARGET_P95_MS
        ok &= passed
        print(f"{page:<16}{row['loads']:>7.0f}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}"
              f"{row['p99_ms']:>9.1f}{row['max_ms']:>9.1f}{row['p95_ms'] / bare:>10.1f}  "
              f"{'PASS' if passed else 'FAIL'}")
    lag_ok = summary["loop_lag_max_ms"] < TARGET_LAG_MS
    print(f"\npage loads/s {summary['page_loads_per_s']:.1f}   events/s "
          f"{summary['events_per_s']:.1f}   errors {summary['errors']:.0f}   "
          f"connect failures {summary['connect_failures']:.0f}")
    print(f"bare event round trip p50: unloaded {bare:.1f} ms, under load "
          f"{summary['bare_loaded_p50_ms']:.1f} ms (p95 {summary['bare_loaded_p95_ms']:.1f})")
    print(f"socket.io ping p50: unloaded {summary['ping_unloaded_p50_ms']:.2f} ms, under load "
          f"{summary['ping_loaded_p50_ms']:.1f} ms (p99 {summary['ping_loaded_p99_ms']:.1f})")
    print(f"event-loop lag (ping RTT - unloaded RTT): p99 {summary['loop_lag_p99_ms']:.1f} ms, "
          f"max {summary['loop_lag_max_ms']:.1f} ms  target max < {TARGET_LAG_MS:.0f} ms "
          f"{'PASS' if lag_ok else 'FAIL'}")
    print(f"load generator's own loop lag: p99 {summary['client_lag_p99_ms']:.1f} ms, max "
          f"{summary['client_lag_max_ms']:.1f} ms; probe's {summary['probe_own_lag_max_ms']:.1f}"
          f" ms; sends late p95 {summary['sent_late_p95_ms']:.1f} ms")
    return ok and lag_ok


def print_app_figures(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The app's own figures from /metrics (medians over the runs): time per page-event
    handler, and its event-loop lag probe (a 50 ms sleep's overshoot)."""
    figures = [r["app"] for r in runs if r.get("app")]
    if not figures:
        print("app's /metrics: no page-event or loop-lag figures in this build")
        return None
    names = sorted({h for f in figures for h in f["handlers"]},
                   key=lambda h: -statistics.median(f["handlers"].get(h, {}).get("count", 0)
                                                    for f in figures))
    keys = ("count", "mean_ms", "p50_le_ms", "p95_le_ms", "p99_le_ms", "max_le_ms")
    handlers = {name: {k: statistics.median(f["handlers"][name][k] for f in figures
                                            if name in f["handlers"]) for k in keys}
                for name in names}
    print("\nthe app's page-event time by handler (/metrics, bucket bounds, medians of runs)")
    print(f"{'handler':<44}{'events':>8}{'mean ms':>9}{'p50 <=':>8}{'p95 <=':>8}{'p99 <=':>8}"
          f"{'max <=':>8}")
    for name, row in handlers.items():
        if row["count"] < 5:
            continue
        print(f"{name[:43]:<44}{row['count']:>8.0f}{row['mean_ms']:>9.1f}{row['p50_le_ms']:>8.0f}"
              f"{row['p95_le_ms']:>8.0f}{row['p99_le_ms']:>8.0f}{row['max_le_ms']:>8.0f}")
    lags = [f["loop_lag"] for f in figures if f.get("loop_lag")]
    lag = ({k: statistics.median(x[k] for x in lags)
            for k in ("count", "mean_ms", "p99_le_ms", "max_le_ms", "over_25ms")} if lags
           else None)
    if lag:
        print(f"the app's loop-lag probe in the runs: {lag['count']:.0f} wake-ups, mean "
              f"{lag['mean_ms']:.1f} ms, p99 <= {lag['p99_le_ms']:.0f} ms, max <= "
              f"{lag['max_le_ms']:.0f} ms, {lag['over_25ms']:.0f} over 25 ms; max since the "
              f"workers started {figures[-1]['loop_lag_max_since_start_ms']:.0f} ms")
    return {"handlers": handlers, "loop_lag": lag}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visitors", default="500",
                        help="storefront visitors; several levels, comma separated, are "
                             "measured one after another on the same server (e.g. 100,250,500)")
    parser.add_argument("--admins", type=int, default=4)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--probe-sockets", type=int, default=4)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--label", default="", help="a name for this run in the JSON file")
    args = parser.parse_args()
    levels = [int(v) for v in str(args.visitors).split(",") if v.strip()]
    if not flush_redis(args.redis_url):
        print(f"skipped: Redis at {args.redis_url} does not answer")
        return 0
    by_level: dict[int, list[dict[str, Any]]] = {n: [] for n in levels}
    try:
        with scratch_database() as url:
            cli(url, "migrate")
            cli(url, "seed", extra_env={"COMMERCE_DEMO_PASSWORD": PASSWORD})
            with reflex_backend(url, args.redis_url, args.workers) as base:
                codes = asyncio.run(course_codes(base))
                cookies = [f"cd_session={asyncio.run(sign_in(base, email))}"
                           for email in ("super@example.com", "billing@example.com")]
                for run in range(args.runs):
                    for n in levels:  # interleaved, so drift hits every level alike
                        before = scrape(base)
                        result = asyncio.run(one_run(base, args, n, codes, cookies, seed=run))
                        result["app"] = app_figures(before, scrape(base))
                        by_level[n].append(result)
                        print(f"run {run + 1}/{args.runs}, {n} visitors: " + ", ".join(
                            f"{p} p95 {r['p95_ms']:.0f} ms ({r['loads']})"
                            for p, r in result["pages"].items())
                            + f"; errors {result['errors']}, connect failures "
                            f"{result['connect_failures']}, lag max "
                            f"{result['loop_lag_max_ms']:.0f} ms", flush=True)
    finally:
        flush_redis(args.redis_url)
    report: dict[str, Any] = {}
    for n, runs in by_level.items():
        print(f"\n== {n} storefront visitors, {args.admins} admins, a page every "
              f"{args.interval:g} s each")
        summary = summarise(runs)
        ok = print_report(summary, len(runs))
        app = print_app_figures(runs)
        report[str(n)] = {"summary": summary, "app_metrics": app, "pass": ok, "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / (f"page_loads-{args.label}.json" if args.label else "page_loads.json")
    out.write_text(json.dumps({
        "benchmark": "page_loads", "label": args.label,
        "database": "postgres" if os.environ.get("DATABASE_URL", "").startswith("postgres")
        else "sqlite",
        "settings": {k: v for k, v in vars(args).items() if k != "redis_url"},
        "levels": report,
    }, indent=2, default=float))
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
