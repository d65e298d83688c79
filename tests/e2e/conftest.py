"""Browser end-to-end fixtures: the prod build served once per session, Debian's chromium,
one fresh browser context per page, and small helpers that act like a user.

The server runs ``reflex run --env prod --single-port`` from the project root against a
throw-away SQLite database that is migrated and seeded with the demo data first. Reflex builds
the frontend into the shared ``.web`` directory (it holds a file lock while it builds, so two
builds never overlap); only one server is started per test session.
"""

from __future__ import annotations

import email
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.notify.doubles import SmtpServer, running_smtp
from tests.payments.elavon_fake import ElavonFake
from tests.payments.localstripe_server import LocalStripe
from tests.payments.razorpay_fake import RazorpayFake
from tests.payments.square_fake import SquareFake

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
TOOLS_BIN = PROJECT_ROOT / ".tools" / "bin"
CHROMIUM = "/usr/bin/chromium"

DEMO_PASSWORD = "demo-pass-2026"
SUPER_EMAIL = "super@example.com"
LEARNER_EMAIL = "learner@example.com"

HEALTH_TIMEOUT_S = 240
STOP_TIMEOUT_S = 15
# Data arrives over the websocket after the first paint: every assertion waits for it.
UI_TIMEOUT_MS = 20_000
NAVIGATION_TIMEOUT_MS = 30_000

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 800}

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]

expect.set_options(timeout=UI_TIMEOUT_MS)


E2E_SECRET_KEY = "e2e-secret-key-that-is-long-enough-0123456789"


@dataclass(frozen=True)
class AppServer:
    base_url: str
    log_path: Path
    demo_password: str
    database_url: str = ""
    smtp: SmtpServer | None = None
    stripe: LocalStripe | None = None

    def url(self, path: str) -> str:
        return self.base_url + path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _npm_registry() -> str:
    npm = shutil.which("npm")
    if npm is None:
        return ""
    try:
        out = subprocess.run(
            [npm, "config", "get", "registry"], capture_output=True, text=True, timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def _tail(path: Path, lines: int = 80) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.splitlines()[-lines:])


def _health_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return None


def _stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it does not stop in time."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        return
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 5)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; give its children (granian workers) a moment to follow.
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


# Stripe in the e2e app: the HLT department pays through Stripe (localstripe), the others
# through the built-in sandbox.
STRIPE_DEPARTMENT = "HLT"
STRIPE_WEBHOOK_SECRET = "whsec_e2e_localstripe"


@pytest.fixture(scope="session")
def e2e_smtp() -> Iterator[SmtpServer]:
    """The SMTP server the e2e app sends its email to (aiosmtpd on 127.0.0.1)."""
    with running_smtp() as server:
        yield server


# Razorpay in the e2e app: the Data Science Lab pays through Razorpay (a loopback fake of its
# API and Checkout); no other e2e test buys its courses.
RAZORPAY_DEPARTMENT = "ENG-DATA"
RAZORPAY_KEY_ID = "rzp_test_E2eCommerceDash"
RAZORPAY_KEY_SECRET = "rzp_e2e_key_secret_commerce_dash"
RAZORPAY_WEBHOOK_SECRET = "rzp_e2e_webhook_secret_commerce_dash"


@pytest.fixture(scope="session")
def razorpay_fake() -> Iterator[RazorpayFake]:
    with RazorpayFake(RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET) as fake:
        yield fake


# Square and Elavon are set up in the e2e app (loopback fakes) but take no department's
# payments until a test chooses them on the processor screen.
SQUARE_TOKEN = "EAAAE-e2e-square-token"
SQUARE_APPLICATION_ID = "sandbox-sq0idb-E2eCommerceDash"
SQUARE_SIGNATURE_KEY = "e2e-square-signature-key"
ELAVON_MERCHANT, ELAVON_USER, ELAVON_PIN = "009001", "e2eapiuser", "E2EPIN123456"


@pytest.fixture(scope="session")
def square_fake() -> Iterator[SquareFake]:
    with SquareFake(SQUARE_TOKEN, SQUARE_SIGNATURE_KEY) as fake:
        yield fake


@pytest.fixture(scope="session")
def elavon_fake() -> Iterator[ElavonFake]:
    with ElavonFake(ELAVON_MERCHANT, ELAVON_USER, ELAVON_PIN) as fake:
        yield fake


@pytest.fixture(scope="session")
def app_server(e2e_smtp: SmtpServer, localstripe_server: LocalStripe,
               razorpay_fake: RazorpayFake, square_fake: SquareFake,
               elavon_fake: ElavonFake) -> Iterator[AppServer]:
    """The app built and served once for every e2e test, on its own port and database."""
    with serving(e2e_smtp, localstripe_server, razorpay=razorpay_fake, square=square_fake,
                 elavon=elavon_fake) as server:
        yield server


@contextmanager
def serving(e2e_smtp: SmtpServer, localstripe_server: LocalStripe, *, own_build: bool = False,
            razorpay: RazorpayFake | None = None, square: SquareFake | None = None,
            elavon: ElavonFake | None = None, **settings: str) -> Iterator[AppServer]:
    """The prod build served on a port and database of its own, with ``settings`` (extra
    environment) on top of the e2e defaults.

    The build bakes the server's port into the pages, so a second server (``own_build``)
    builds in a web folder of its own (a copy of ``.web`` sharing its node_modules): building
    in ``.web`` would point the first server's pages at the second one's port."""
    for tool in (VENV_BIN / "python", VENV_BIN / "reflex", TOOLS_BIN / "bun"):
        if not tool.exists():
            pytest.fail(f"{tool} is missing: run `make setup-test` first")
    tmp = Path(tempfile.mkdtemp(prefix="commerce-dash-e2e-"))
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    demo_password = DEMO_PASSWORD
    env = {
        **os.environ,
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_HTTP_CLIENT_BIND_ADDRESS": "0.0.0.0",
        "NPM_CONFIG_REGISTRY": _npm_registry(),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}",
        "COMMERCE_ENV": "test",
        "COMMERCE_PUBLIC_URL": base_url,
        "COMMERCE_DEMO_PASSWORD": demo_password,
        "COMMERCE_SECRET_KEY": E2E_SECRET_KEY,
        # argon2 at full cost takes ~110 ms per hash; the suite signs in many times.
        "COMMERCE_ARGON2_TIME_COST": "1",
        "COMMERCE_ARGON2_MEMORY_COST_KIB": "64",
        # the suite registers a few dozen learners from 127.0.0.1 within the hour
        "COMMERCE_REGISTER_PER_CLIENT_PER_HOUR": "200",
        "COMMERCE_EMAIL_PROVIDER": "smtp",
        "COMMERCE_SMTP_HOST": e2e_smtp.host,
        "COMMERCE_SMTP_PORT": str(e2e_smtp.port),
        "COMMERCE_PAYMENT_PROCESSOR": "sandbox",
        "COMMERCE_PROCESSOR_BY_DEPARTMENT": json.dumps(
            {STRIPE_DEPARTMENT: "stripe", **({RAZORPAY_DEPARTMENT: "razorpay"} if razorpay
                                             else {})}),
        "COMMERCE_STRIPE_SECRET_KEY": "sk_test_e2e",
        "COMMERCE_STRIPE_PUBLISHABLE_KEY": "pk_test_e2e",
        "COMMERCE_STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
        "COMMERCE_STRIPE_API_BASE": localstripe_server.base_url,
        "COMMERCE_STRIPE_JS_URL": f"{localstripe_server.base_url}/js.stripe.com/v3/",
    }
    if razorpay is not None:
        env.update({
            "COMMERCE_RAZORPAY_KEY_ID": RAZORPAY_KEY_ID,
            "COMMERCE_RAZORPAY_KEY_SECRET": RAZORPAY_KEY_SECRET,
            "COMMERCE_RAZORPAY_WEBHOOK_SECRET": RAZORPAY_WEBHOOK_SECRET,
            "COMMERCE_RAZORPAY_API_BASE": razorpay.base_url,
            "COMMERCE_RAZORPAY_CHECKOUT_JS_URL": razorpay.checkout_url,
        })
        razorpay.set_webhook_url(f"{base_url}/api/v2/payments/webhook/razorpay")
    if square is not None:
        square.notification_url = f"{base_url}/api/v2/payments/webhook/square"
        env.update({
            "COMMERCE_SQUARE_ACCESS_TOKEN": SQUARE_TOKEN,
            "COMMERCE_SQUARE_APPLICATION_ID": SQUARE_APPLICATION_ID,
            "COMMERCE_SQUARE_LOCATION_ID": square.location_id,
            "COMMERCE_SQUARE_WEBHOOK_SIGNATURE_KEY": SQUARE_SIGNATURE_KEY,
            "COMMERCE_SQUARE_API_BASE": square.base_url,
            "COMMERCE_SQUARE_WEB_SDK_URL": square.web_sdk_url,
        })
    if elavon is not None:
        env.update({
            "COMMERCE_ELAVON_MERCHANT_ID": ELAVON_MERCHANT,
            "COMMERCE_ELAVON_USER_ID": ELAVON_USER,
            "COMMERCE_ELAVON_PIN": ELAVON_PIN,
            "COMMERCE_ELAVON_API_HOST": elavon.base_url,
        })
    env.update(settings)
    if own_build:
        web = tmp / "web"
        shutil.copytree(PROJECT_ROOT / ".web", web, symlinks=True,
                        ignore=shutil.ignore_patterns("node_modules", "build"))
        (web / "node_modules").symlink_to(PROJECT_ROOT / ".web" / "node_modules")
        env["REFLEX_WEB_WORKDIR"] = str(web)
    localstripe_server.register_webhook(f"e2e-app-{port}",
                                        f"{base_url}/api/v2/payments/webhook/stripe",
                                        STRIPE_WEBHOOK_SECRET)
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        # With Redis the per-client state is shared, so serve with two workers as production
        # would: consecutive events of one browser may land on different processes.
        env["REFLEX_REDIS_URL"] = redis_url
        env["GRANIAN_WORKERS"] = "2"
    else:
        env.pop("REFLEX_REDIS_URL", None)
    env.pop("COMMERCE_DATABASE_URL", None)

    for command in (["migrate"], ["seed", "--if-empty"]):
        done = subprocess.run(
            [str(VENV_BIN / "python"), "-m", "commerce_dash.cli", *command],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
        )
        if done.returncode != 0:
            pytest.fail(
                f"`commerce_dash.cli {' '.join(command)}` failed ({done.returncode}):\n"
                f"{done.stdout}\n{done.stderr}"
            )

    log_path = tmp / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "reflex"), "run", "--env", "prod", "--single-port",
            "--backend-host", "127.0.0.1",
            "--frontend-port", str(port), "--backend-port", str(port),
        ],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        health = base_url + "/api/health"
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        status: int | None = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(
                    f"reflex exited with {proc.returncode} before serving; log {log_path}:\n"
                    f"{_tail(log_path)}"
                )
            status = _health_status(health)
            if status == 200:
                break
            time.sleep(1)
        else:
            pytest.fail(
                f"{health} did not answer 200 within {HEALTH_TIMEOUT_S} s (last: {status}); "
                f"log {log_path}:\n{_tail(log_path)}"
            )
        yield AppServer(
            base_url=base_url, log_path=log_path, demo_password=demo_password,
            database_url=env["DATABASE_URL"], smtp=e2e_smtp, stripe=localstripe_server,
        )
    finally:
        _stop_process_group(proc)
        log.close()
        localstripe_server.unregister_webhook(f"e2e-app-{port}")
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup-test` (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"e2e_report_{report.when}", report)
    return report


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(
    browser: Browser, app_server: AppServer, request: pytest.FixtureRequest
) -> Iterator[NewPage]:
    """A factory of pages, each in a fresh browser context (own cookies) at a viewport.

    On a failed test a screenshot of every page is written next to the server log.
    """
    contexts: list[BrowserContext] = []

    def make(viewport: dict[str, int] | None = None, server: AppServer | None = None) -> Page:
        context = browser.new_context(
            base_url=(server or app_server).base_url, viewport=viewport or DESKTOP
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make

    report = getattr(request.node, "e2e_report_call", None)
    if report is not None and report.failed:
        shots = Path(tempfile.gettempdir()) / "commerce-dash-e2e-failures"
        shots.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                path = shots / f"{name}-{i}-{j}.png"
                try:
                    page.screenshot(path=str(path), full_page=True)
                    print(f"screenshot of {page.url}: {path}")
                except Exception as exc:  # a screenshot must never hide the real failure
                    print(f"no screenshot of {page.url}: {exc}")
        log = app_server.log_path
        if log.exists():  # what the server said last, for a failure seen only in CI
            tail = log.read_text(errors="replace").splitlines()[-80:]
            print(f"last lines of {log}:", *tail, sep="\n")
    for context in contexts:
        # each page first, without its unload handlers: a page still reconnecting its
        # websocket once held a whole-context close for the test timeout (one CI run)
        for open_page in context.pages:
            open_page.close(run_before_unload=False)
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A desktop-sized page in its own context."""
    return new_page()


# -- helpers ---------------------------------------------------------------------------------


def path_of(page: Page) -> str:
    """The current path without query string or trailing slash, e.g. ``/admin``."""
    return urlsplit(page.url).path.rstrip("/") or "/"


def url_with_path(path: str, query: str | None = None) -> re.Pattern[str]:
    """A pattern for ``expect(page).to_have_url``: any origin, ``path`` (with or without a
    trailing slash) and the query (a regex fragment) when given."""
    tail = r"\?" + query if query is not None else r"(\?.*)?"
    # The static server answers a typed-in /admin with a redirect to /admin/.
    trimmed = path.rstrip("/")
    return re.compile(r"^https?://[^/]+" + re.escape(trimmed) + "/?" + tail + "$")


def wait_hydrated(page: Page, selector: str) -> None:
    """Wait until React has hydrated ``selector`` (pages are prerendered, so an element can be
    on screen before its handlers are attached; submitting then would do a native GET)."""
    page.wait_for_function(
        """sel => {
            const el = document.querySelector(sel);
            return !!el && Object.keys(el).some(k => k.startsWith('__reactProps$'));
        }""",
        arg=selector,
        timeout=UI_TIMEOUT_MS,
    )


def submit_login(page: Page, email: str, password: str) -> None:
    """Fill and submit the sign-in form of the page currently shown."""
    wait_hydrated(page, "#sign-in-submit")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#sign-in-submit").click()


def _landed(url: str) -> bool:
    path = urlsplit(url).path
    return not path.startswith(("/login", "/api/", "/sign-in"))


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in through /login and wait until the browser landed on the page after it (the
    session cookie is set on the way, by a hop through the API)."""
    page.goto("/login")
    submit_login(page, email, password)
    page.wait_for_url(_landed, timeout=UI_TIMEOUT_MS)


def mail_to(app: AppServer, address: str, subject_part: str, timeout_s: float = 45) -> Message:
    """The email to ``address`` whose subject has ``subject_part``, as the SMTP server got it."""
    assert app.smtp is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for envelope in list(app.smtp.handler.envelopes):
            if address in envelope.rcpt_tos:
                message = email.message_from_bytes(envelope.original_content or b"")
                if subject_part in str(message["Subject"]):
                    return message
        time.sleep(0.5)
    raise AssertionError(f"no email to {address} about {subject_part!r} within {timeout_s} s")


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    return ""


def link_in(message: Message, path: str) -> str:
    """The link to ``path`` in the text of ``message``."""
    found = re.search(r"https?://\S+" + re.escape(path) + r"\S*", text_of(message))
    assert found, f"no link to {path} in:\n{text_of(message)}"
    return found.group(0)


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


LEARNER_PASSWORD = "checkout-pass-2026"


def register_learner(app: AppServer, name: str, password: str = LEARNER_PASSWORD,
                     ) -> tuple[str, str]:
    """A new learner made as an API client would: register, open the emailed link, confirm.
    Returns the address and a bearer token (bound to httpx's User-Agent)."""
    address = f"{name.lower().replace(' ', '-')}-{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(base_url=app.base_url, timeout=30) as client:
        answer = client.post("/api/v2/auth/register", json={
            "email": address, "password": password, "full_name": name.title()})
        assert answer.status_code == 202, answer.text
        token = token_of(link_in(mail_to(app, address, "Confirm your email"),
                                 "/confirm-email"))
        confirmed = client.post("/api/v2/auth/confirm-email", json={"token": token})
        assert confirmed.status_code == 200, confirmed.text
    return address, confirmed.json()["token"]


# axe-core from npm, installed next to bun (`npm install --global --prefix .tools axe-core`)
AXE_JS = PROJECT_ROOT / ".tools" / "lib" / "node_modules" / "axe-core" / "axe.min.js"


def choose(page: Page, trigger: str, option: str) -> None:
    page.locator(trigger).click()
    page.get_by_role("option", name=option, exact=True).click()


def serious_axe_violations(page: Page) -> list[str]:
    """The critical and serious axe-core violations of the page as shown now. The toasts
    (Reflex's sonner toaster, e.g. "Welcome back" after signing in) are left out: they are
    the app shell's, and come and go."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make setup-test` (axe-core from npm)")
    # the app's CSP refuses inline script tags but allows eval: load axe-core through it
    page.evaluate("source => { (0, eval)(source); }", AXE_JS.read_text())
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            // colours mid-animation (a dialog fading in) are no colours a reader sees
            await Promise.all(document.getAnimations()
                .filter(a => a.effect && a.effect.getComputedTiming().iterations !== Infinity)
                .map(a => a.finished.catch(() => null)));
            const result = await axe.run(
                {exclude: [['[data-sonner-toaster]']]}, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': '
                                               + n.failureSummary.replace(/\\s+/g, ' ')),
            }));
        }"""
    )
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}"
            for v in violations if v["impact"] in ("critical", "serious")]


def scroll_width(page: Page) -> int:
    return int(page.evaluate("() => document.scrollingElement.scrollWidth"))


def choose_billing_country(page: Page, country: str = "France") -> None:
    """Issue 19: with tax rates set up (the demo has some) the cart's Check out waits for the
    billing country. France has no demo rate and needs no region, so totals stay the prices."""
    choose(page, "#billing-country", country)
    expect(page.locator("#billing-country")).to_contain_text(country)
