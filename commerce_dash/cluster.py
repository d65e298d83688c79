"""The production layout on one machine: two app processes, one job worker, Postgres, Redis.

    python -m commerce_dash.cluster                  # `make cluster`
    python -m commerce_dash.cluster --api-only       # app processes serve the API only

It checks that Postgres (``DATABASE_URL``) and Redis (``REFLEX_REDIS_URL``, else
``REDIS_URL``, else redis://127.0.0.1:6379/0) answer, migrates, builds the prod frontend once
(pages whose websocket goes to the public address), then starts:

- app processes (granian, one per port; ``--app-ports 3001,3002``) serving the pages, the
  Reflex websocket and the API, with Reflex state in Redis, ``COMMERCE_SCHEDULER_ENABLED=false``
  and the same secret key and public URL;
- job workers (``python -m commerce_dash.jobs.worker``; ``--workers 1``) running the scheduled
  jobs under their leases;
- a loopback TCP balancer on the public port (``--port 3000``) handing each connection to the
  next app process in turn. It stands in for the reverse proxy of a real deployment (nginx or
  Caddy, see README.md "Production layout"); it adds no forwarding header, so the app processes
  here trust none (``COMMERCE_TRUSTED_PROXY_HOPS=0``).

Ctrl-C or SIGTERM stops them all (each runs in a process group of its own). The tests in
tests/ops start the same processes through :class:`Layout`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# The Reflex app as an ASGI factory (rx.App() returns the ASGI app when called), and the API
# alone (what the API-only layout and the tests serve).
FULL_APP = "commerce_dash.commerce_dash:app"
API_APP = "commerce_dash.api:create_api"


class LayoutError(RuntimeError):
    """The layout cannot start (a service does not answer, a process died)."""


def redis_url_from(env: Mapping[str, str]) -> str:
    return env.get("REFLEX_REDIS_URL") or env.get("REDIS_URL") or DEFAULT_REDIS_URL


def check_postgres(url: str, timeout: float = 5) -> None:
    """Raise LayoutError unless ``url`` is a PostgreSQL database that answers."""
    if not url.startswith(("postgresql", "postgres://")):
        raise LayoutError(f"DATABASE_URL must name a PostgreSQL database (got {url.split(':')[0]}"
                          "): several processes share it")
    from sqlalchemy import create_engine, text

    from commerce_dash.settings import Settings

    engine = create_engine(Settings(database_url=url).database_url,
                           connect_args={"connect_timeout": max(1, int(timeout))})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        raise LayoutError(f"PostgreSQL does not answer at DATABASE_URL: {exc}") from None
    finally:
        engine.dispose()


def check_redis(url: str, timeout: float = 5) -> None:
    """Raise LayoutError unless Redis answers PING at ``url``."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except Exception as exc:
        raise LayoutError(f"Redis does not answer at {url}: {exc}") from None
    finally:
        client.close()


def reflex_env(env: Mapping[str, str]) -> dict[str, str]:
    """The switches Reflex needs on these machines (see the Makefile), on top of ``env``."""
    out = dict(env)
    out["PATH"] = f"{ROOT / '.tools' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    for key, value in (("REFLEX_USE_SYSTEM_BUN", "1"), ("REFLEX_TELEMETRY_ENABLED", "false"),
                       ("REFLEX_CHECK_LATEST_VERSION", "false"),
                       ("REFLEX_HTTP_CLIENT_BIND_ADDRESS", "0.0.0.0"),
                       ("PYTHONDONTWRITEBYTECODE", "1")):
        out.setdefault(key, value)
    return out


def migrate(env: Mapping[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "commerce_dash.cli", "migrate"], cwd=ROOT,
                   env=dict(env), check=True)


def build_frontend(env: Mapping[str, str], public_url: str) -> None:
    """Compile and build the prod pages once (``.web/build/client``); every app process
    serves that one build. The pages open their websocket at ``public_url``."""
    subprocess.run([str(BIN / "reflex"), "export", "--frontend-only", "--no-zip", "--env", "prod"],
                   cwd=ROOT, env={**reflex_env(env), "REFLEX_API_URL": public_url,
                                  "REFLEX_DEPLOY_URL": public_url}, check=True)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    url: str = ""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None


def metrics_dir(port: int) -> Path:
    """An app process's own directory for its workers' measured figures (prometheus-client's
    multiprocess mode: a scrape of the process sums its granian workers), emptied first."""
    path = Path(tempfile.gettempdir()) / f"commerce-dash-metrics-{port}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@dataclass
class Layout:
    """The processes of the layout, started with one shared environment and stopped together.

    ``env`` is what every process gets (database, Redis, secret key, public URL, settings);
    each kind adds its own switches. Output goes to ``log_dir`` (a file per process) when set,
    else to this process's terminal."""

    env: dict[str, str]
    public_url: str
    log_dir: Path | None = None
    host: str = "127.0.0.1"
    processes: list[Process] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def redis_url(self) -> str:
        return redis_url_from(self.env)

    def _spawn(self, name: str, command: Sequence[str], env: Mapping[str, str],
               url: str = "") -> Process:
        out: IO[bytes] | None = None
        if self.log_dir is not None:
            out = (self.log_dir / f"{name}.log").open("ab")
            self._logs.append(out)
        popen = subprocess.Popen(list(command), cwd=ROOT, env=dict(env), stdout=out,
                                 stderr=subprocess.STDOUT if out else None,
                                 start_new_session=True)
        process = Process(name, popen, url)
        self.processes.append(process)
        return process

    def app_env(self, port: int, *, api_only: bool) -> dict[str, str]:
        env = {**reflex_env(self.env), "COMMERCE_SCHEDULER_ENABLED": "false",
               "COMMERCE_PUBLIC_URL": self.public_url, "REFLEX_REDIS_URL": self.redis_url,
               "REFLEX_API_URL": self.public_url, "REFLEX_DEPLOY_URL": self.public_url}
        if not api_only:
            # what `reflex run --env prod --single-port` sets before it starts granian: the
            # build already made is served as is, mounted beside the websocket and the API
            env.update({"REFLEX_ENV_MODE": "prod", "__REFLEX_SKIP_COMPILE": "true",
                        "__REFLEX_MOUNT_FRONTEND_COMPILED_APP": "true",
                        "REFLEX_BACKEND_PORT": str(port), "REFLEX_FRONTEND_PORT": str(port)})
        return env

    def start_app(self, port: int, *, api_only: bool = False, workers: int = 1,
                  mount_frontend: bool = True) -> Process:
        """An app process on ``port``: the Reflex app (pages, websocket, API) or the API alone."""
        env = self.app_env(port, api_only=api_only)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir(port))
        if not mount_frontend:
            env.pop("__REFLEX_MOUNT_FRONTEND_COMPILED_APP", None)
        command = [str(BIN / "granian"), "--interface", "asgi", "--factory", "--host", self.host,
                   "--port", str(port), "--workers", str(workers), "--no-access-log",
                   "--log-level", "warning", API_APP if api_only else FULL_APP]
        return self._spawn(f"app-{port}", command, env, f"http://{self.host}:{port}")

    def start_worker(self, name: str = "", extra_env: Mapping[str, str] | None = None
                     ) -> Process:
        """A job worker (runs the scheduled jobs; many may share the database)."""
        env = {**self.env, "COMMERCE_SCHEDULER_ENABLED": "true", **(extra_env or {})}
        count = sum(p.name.startswith("worker") for p in self.processes) + 1
        return self._spawn(name or f"worker-{count}",
                           [sys.executable, "-m", "commerce_dash.jobs.worker"], env)

    def wait_ready(self, processes: Sequence[Process], timeout: float = 120) -> None:
        """Wait until every app process answers /api/health/live (bounded)."""
        import httpx

        deadline = time.monotonic() + timeout
        waiting = [p for p in processes if p.url]
        while waiting:
            for process in list(waiting):
                if not process.alive():
                    raise LayoutError(f"{process.name} exited with {process.popen.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(process.url + "/api/health/live", timeout=2).status_code == 200:
                        waiting.remove(process)
            if waiting and time.monotonic() > deadline:
                raise LayoutError(f"not answering after {timeout:.0f} s: "
                                  + ", ".join(p.name for p in waiting))
            if waiting:
                time.sleep(0.3)

    def kill(self, process: Process, sig: int = signal.SIGKILL) -> None:
        """Signal a process's whole group (granian's workers with it)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(timeout=15)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM every process group, SIGKILL what is left after ``timeout`` seconds."""
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=5)
        for log in self._logs:
            log.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def balance(host: str, port: int, upstreams: Sequence[tuple[str, int]],
                  stop: asyncio.Event) -> None:
    """Hand each TCP connection on ``host:port`` to the next upstream in turn (skipping one
    that refuses), until ``stop`` is set. A stand-in for the reverse proxy."""
    turn = itertools.cycle(range(len(upstreams)))

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(len(upstreams)):
            up_host, up_port = upstreams[next(turn)]
            try:
                up_reader, up_writer = await asyncio.open_connection(up_host, up_port)
            except OSError:
                continue
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            return
        writer.close()

    server = await asyncio.start_server(handle, host, port)
    async with server:
        await stop.wait()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="commerce_dash.cluster", description=__doc__.split(
        "\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="the balancer's (public) port")
    parser.add_argument("--app-ports", default="3001,3002", help="one app process per port")
    parser.add_argument("--app-workers", type=int, default=1,
                        help="granian workers in each app process")
    parser.add_argument("--workers", type=int, default=1, help="job worker processes")
    parser.add_argument("--api-only", action="store_true",
                        help="app processes serve the API alone (no pages, no build)")
    parser.add_argument("--no-build", action="store_true",
                        help="serve the build already in .web (made for the same public URL)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    env = dict(os.environ)
    public_url = env.get("COMMERCE_PUBLIC_URL") or f"http://{args.host}:{args.port}"
    env["COMMERCE_PUBLIC_URL"] = public_url
    database_url = env.get("DATABASE_URL", "")
    redis_url = redis_url_from(env)
    env["REFLEX_REDIS_URL"] = redis_url
    ports = [int(p) for p in args.app_ports.split(",") if p.strip()]
    try:
        check_postgres(database_url)
        check_redis(redis_url)
    except LayoutError as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 2
    print(f"PostgreSQL answers; Redis answers at {redis_url}", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)  # stop as on Ctrl-C
    migrate(env)
    if not args.api_only and not args.no_build:
        print(f"building the pages once for {public_url} ...", flush=True)
        build_frontend(env, public_url)
    layout = Layout(env=env, public_url=public_url, host=args.host)
    try:
        apps = [layout.start_app(port, api_only=args.api_only, workers=args.app_workers)
                for port in ports]
        for _ in range(args.workers):
            layout.start_worker()
        layout.wait_ready(apps, timeout=180)
        print("\nCommerce Dash, production layout on this machine:", flush=True)
        print(f"    {public_url}   balancer (stand-in for the reverse proxy)")
        kind = "API only" if args.api_only else "state in Redis"
        for app in apps:
            print(f"    {app.url}   app process, pid {app.pid} (scheduler off, {kind})")
        for worker in (p for p in layout.processes if p.name.startswith("worker")):
            print(f"    {worker.name}              job worker, pid {worker.pid}")
        print("Ctrl-C stops them all.\n", flush=True)
        upstreams = [(args.host, port) for port in ports]

        async def serve() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(balance(args.host, args.port, upstreams, stop))
            while not task.done():
                dead = [p.name for p in layout.processes if not p.alive()]
                if dead:
                    print(f"cluster: {', '.join(dead)} exited; stopping", file=sys.stderr)
                    stop.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), 1)
            await task

        asyncio.run(serve())
    except KeyboardInterrupt:
        print("\ncluster: stopping every process", flush=True)
    except LayoutError as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1
    finally:
        layout.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
