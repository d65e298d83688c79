"""HTTP hardening in the prod build (one port, granian, the frontend served by the backend):
the security headers on pages, assets and API answers, CORS and the websocket for the public
URL only, uploads refused before their body is sent, and the main pages run under the
Content-Security-Policy without a single violation."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import socket
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from commerce_dash import routes
from commerce_dash.pages.admin.certificate_templates_state import CertificateTemplatesState
from tests.e2e.checkout_steps import ORDER_URL
from tests.e2e.checkout_steps import fill_localstripe_card as _fill_localstripe_card
from tests.e2e.checkout_steps import pay_with_sandbox_card as _pay_with_sandbox_card
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    SUPER_EMAIL,
    UI_TIMEOUT_MS,
    AppServer,
    NewPage,
    choose_billing_country,
    sign_in,
)
from tests.e2e.conftest import LEARNER_PASSWORD as PASSWORD

pytestmark = pytest.mark.e2e
OTHER_ORIGIN = "https://evil.example"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc\s*=)[^>]*>(.*?)</script\s*>", re.S | re.I)
# Collects what the browser reports; Playwright runs it before any page script (not an inline
# script of the page, so the policy does not apply to it).
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile
    + ':' + e.lineNumber));
"""


def _api_token(app: AppServer, email: str, password: str) -> str:
    """A bearer token, bound to httpx's own User-Agent (sessions keep to their browser)."""
    answer = httpx.post(app.url("/api/v2/auth/login"), timeout=30,
                        json={"email": email, "password": password})
    assert answer.status_code == 200 and "token" in answer.json(), answer.text
    return str(answer.json()["token"])


def _new_learner(app: AppServer, name: str) -> tuple[str, str]:
    """A learner a super-admin adds with a password: (email, bearer token)."""
    address = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    admin = _api_token(app, SUPER_EMAIL, DEMO_PASSWORD)
    made = httpx.post(app.url("/api/v2/admin/users"), timeout=30,
                      headers={"Authorization": f"Bearer {admin}"},
                      json={"email": address, "full_name": name.title(), "password": PASSWORD,
                            "grants": [{"role": "learner"}]})
    assert made.status_code in (200, 201), made.text
    return address, _api_token(app, address, PASSWORD)


def _cart_with(app: AppServer, token: str, course: str) -> None:
    item = httpx.get(app.url(f"/api/v2/catalog/courses/{course}"), timeout=30).json()["id"]
    added = httpx.post(app.url("/api/v2/cart/items"), timeout=30,
                       headers={"Authorization": f"Bearer {token}"},
                       json={"item_type": "course", "item_id": item})
    assert added.status_code == 201, added.text


def _policy(answer: httpx.Response) -> dict[str, list[str]]:
    directives = [d.split() for d in answer.headers["content-security-policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


def _hardened(answer: httpx.Response) -> None:
    assert answer.headers["x-content-type-options"] == "nosniff", answer.url
    assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert _policy(answer)["frame-ancestors"] == ["'none'"], answer.url
    assert "strict-transport-security" not in answer.headers  # not production


def test_pages_assets_and_api_answers_carry_the_security_headers(app_server: AppServer) -> None:
    with httpx.Client(base_url=app_server.base_url, timeout=30) as client:
        for path in ("/", "/store", "/admin", "/no-such-page"):
            page = client.get(path, follow_redirects=True)
            assert "text/html" in page.headers["content-type"], path
            _hardened(page)
            # every inline script the page holds is named in its policy, nothing more inline
            scripts = _policy(page)["script-src"]
            inline = [m.group(1) for m in INLINE_SCRIPT.finditer(page.text) if m.group(1).strip()]
            assert inline, path
            for text in inline:
                digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
                assert f"'sha256-{digest}'" in scripts, (path, text[:80])
            assert "'unsafe-inline'" not in scripts
        asset = re.search(r'/assets/[\w.-]+\.js', client.get("/").text)
        assert asset is not None
        for path in (asset.group(0), "/favicon.svg", "/api/health", "/api/v2/catalog/courses",
                     "/api/v2/no-such-route"):
            answer = client.get(path)
            _hardened(answer)
            assert _policy(answer)["default-src"] == ["'none'"], path


def test_cors_and_the_websocket_answer_the_public_url_only(app_server: AppServer) -> None:
    ask = {"Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "authorization,content-type"}
    with httpx.Client(base_url=app_server.base_url, timeout=30) as client:
        foreign = client.options("/api/v2/cart/items", headers={"Origin": OTHER_ORIGIN, **ask})
        own = client.options("/api/v2/cart/items",
                             headers={"Origin": app_server.base_url, **ask})
        plain = client.get("/api/v2/catalog/courses", headers={"Origin": OTHER_ORIGIN})
    assert foreign.status_code == 400 and "access-control-allow-origin" not in foreign.headers
    assert own.status_code == 200
    assert own.headers["access-control-allow-origin"] == app_server.base_url
    assert "access-control-allow-origin" not in plain.headers
    # Reflex's websocket checks the Origin the same way
    assert _websocket_status(app_server, OTHER_ORIGIN) != 101
    assert _websocket_status(app_server, app_server.base_url) == 101


def _raw(app_server: AppServer, request: bytes, timeout_s: float = 10) -> bytes:
    """Send ``request`` as is and read the first line of the answer."""
    address = urlsplit(app_server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout_s) as s:
        s.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer


def _websocket_status(app_server: AppServer, origin: str) -> int:
    host = urlsplit(app_server.base_url).netloc
    key = base64.b64encode(uuid.uuid4().bytes).decode()
    line = _raw(app_server, (
        f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n").encode())
    return int(line.split(b" ")[1])


def test_an_upload_is_refused_before_its_body_is_sent(app_server: AppServer) -> None:
    _address, token = _new_learner(app_server, "uploader")
    host = urlsplit(app_server.base_url).netloc
    agent = f"python-httpx/{httpx.__version__}"  # the browser the sessions were opened from

    handler = f"{CertificateTemplatesState.get_full_name()}.upload_background"

    def upload(extra: str) -> bytes:
        # 50 MB announced, none of it sent: an answer proves nothing was waited for
        return _raw(app_server, (
            f"POST /_upload HTTP/1.1\r\nHost: {host}\r\nContent-Length: 50000000\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\nReflex-Client-Token: t\r\n"
            f"User-Agent: {agent}\r\nReflex-Event-Handler: {handler}\r\n{extra}\r\n"
            ).encode())

    assert upload(f"Cookie: cd_session={token}\r\n").startswith(b"HTTP/1.1 403")
    assert upload(f"Authorization: Bearer {token}\r\n").startswith(b"HTTP/1.1 403")
    assert upload("").startswith(b"HTTP/1.1 401")
    admin = _api_token(app_server, SUPER_EMAIL, DEMO_PASSWORD)
    assert upload(f"Authorization: Bearer {admin}\r\n").startswith(b"HTTP/1.1 413")


def _watched(new_page: NewPage) -> Page:
    page = new_page()
    page.context.add_init_script(WATCH_CSP)
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.csp_console = messages  # type: ignore[attr-defined]
    return page


def _no_violations(page: Page, where: str) -> None:
    page.wait_for_timeout(500)  # reports are queued as tasks
    reported = page.evaluate("window.__csp || []")
    console = page.csp_console  # type: ignore[attr-defined]
    assert reported == [] and console == [], (where, reported, console)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 100), (240, 230, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_main_pages_run_without_a_policy_violation(new_page: NewPage,
                                                       app_server: AppServer) -> None:
    # the storefront and the cart, signed out
    page = _watched(new_page)
    page.goto("/")
    expect(page.get_by_text("Commerce Dash").first).to_be_visible()
    page.goto("/store")
    expect(page.locator(".catalog-card").first).to_be_visible()
    page.goto("/store/course/BUS-101")
    page.locator("#add-to-cart").click()
    expect(page.locator("#cart-count")).to_have_text("1")
    page.goto("/cart")
    expect(page.locator(".cart-line")).to_have_count(1)
    page.reload()  # answered 304 from the browser's cache: the page keeps its policy
    expect(page.locator(".cart-line")).to_have_count(1)
    _no_violations(page, "storefront and cart")

    # checkout through the sandbox, to the end
    address, token = _new_learner(app_server, "cspsandbox")
    _cart_with(app_server, token, "ENG-110")
    sandbox = _watched(new_page)
    sign_in(sandbox, address, PASSWORD)
    sandbox.goto("/cart")
    choose_billing_country(sandbox)
    sandbox.locator("#checkout").click()
    sandbox.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
    _pay_with_sandbox_card(sandbox, "4242 4242 4242 4242")
    expect(sandbox.locator("#order-complete")).to_be_visible()
    _no_violations(sandbox, "sandbox checkout")

    # checkout with Stripe.js loaded from its configured URL, its card field, and paying
    address, token = _new_learner(app_server, "cspstripe")
    _cart_with(app_server, token, "HLT-110")
    stripe = _watched(new_page)
    sign_in(stripe, address, PASSWORD)
    stripe.goto("/cart")
    choose_billing_country(stripe)
    stripe.locator("#checkout").click()
    stripe.wait_for_url(ORDER_URL, timeout=UI_TIMEOUT_MS)
    expect(stripe.locator("#card-element input[placeholder=number]")).to_be_visible()
    _fill_localstripe_card(stripe, "4242424242424242")
    stripe.locator("#pay").click()
    expect(stripe.locator("#order-complete")).to_be_visible()
    _no_violations(stripe, "stripe checkout")

    # the admin overview, the email previews (an iframe) and a template with an uploaded
    # background and its rendered preview
    admin = _watched(new_page)
    sign_in(admin, SUPER_EMAIL, DEMO_PASSWORD)
    admin.goto("/admin")
    expect(admin.get_by_role("heading").first).to_be_visible()
    admin.goto("/admin/system/emails")
    expect(admin.locator("#email-html")).to_be_visible()
    _no_violations(admin, "admin overview and emails")

    designer = _watched(new_page)
    sign_in(designer, "deptadmin@example.com", DEMO_PASSWORD)
    designer.goto("/admin/certificates/templates")
    designer.locator("#new-template").click()
    designer.locator("#template-name").fill(f"Hardened {uuid.uuid4().hex[:6]}")
    designer.locator("#template-background-upload input[type=file]").set_input_files(
        files=[{"name": "paper.png", "mimeType": "image/png", "buffer": _png()}])
    expect(designer.locator("#remove-background")).to_be_visible()
    designer.locator("#template-preview-button").click()
    preview = designer.locator("#template-preview")
    expect(preview).to_be_visible(timeout=30_000)
    assert "data:image/png;base64," in (preview.get_attribute("src") or "")
    _no_violations(designer, "certificate template preview")


ADMIN_PAGES = (routes.ADMIN, routes.ADMIN_COURSES, routes.ADMIN_SESSIONS, routes.ADMIN_PROGRAMS,
               routes.ADMIN_PRICING, routes.ADMIN_DISCOUNTS, routes.ADMIN_REGISTRATIONS, routes.ADMIN_CERTIFICATES,
               routes.ADMIN_CERT_TEMPLATES, routes.ADMIN_PROGRESS, routes.ADMIN_ORDERS,
               routes.ADMIN_REFUNDS, routes.ADMIN_REVENUE, routes.ADMIN_SETTINGS,
               routes.ADMIN_SYSTEM, routes.ADMIN_EMAILS, routes.ADMIN_USERS, routes.ADMIN_AUDIT)
LEARNER_PAGES = (routes.ACCOUNT, routes.ORDERS, routes.MY_CERTIFICATES, routes.SCHEDULE,
                 routes.STORE_COURSE + "/ENG-LIVE", routes.VERIFY,
                 routes.STORE_DEPARTMENT + "/ENG", routes.STORE_PROGRAM + "/P-PYDEV")


def test_every_admin_and_account_page_runs_without_a_policy_violation(
    new_page: NewPage,
) -> None:
    for email, paths in (("super@example.com", ADMIN_PAGES),
                         ("learner@example.com", LEARNER_PAGES)):
        page = _watched(new_page)
        sign_in(page, email, DEMO_PASSWORD)
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1000)  # data arrives over the websocket after the load
            _no_violations(page, path)
