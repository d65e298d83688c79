"""HTTP hardening as a client sees it: CORS only for the public URL, the security headers on
API answers and on pages, bodies refused with 413 before more than the limit is read, uploads
refused for the wrong role before the body is read, images kept to their department, and CSV
cells that a spreadsheet would run as a formula written as text."""

from __future__ import annotations

import asyncio
import base64
import csv
import gzip
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.api import create_api
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Department
from commerce_dash.pages.admin.certificate_templates_state import CertificateTemplatesState
from commerce_dash.settings import get_settings
from tests.api.conftest import bearer
from tests.conftest import PASSWORD, create_department, create_user
from tests.pages.harness import page_state, toast_messages, token_for
from tests.revenue.conftest import two_courses_two_months  # noqa: F401 - fixture
from tests.revenue.two_courses import Book

PUBLIC_ORIGIN = "http://127.0.0.1:3000"  # the default COMMERCE_PUBLIC_URL
OTHER_ORIGIN = "https://evil.example"
CHUNK = 64 * 1024


def _login(client: TestClient, email: str) -> dict[str, str]:
    answer = client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["token"])


def _png(width: int = 40, height: int = 20) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 60, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


# -- a raw ASGI call that counts how much of the body the app read ----------------------------


def _asgi(app: Any, method: str, path: str, headers: dict[str, str], chunks: int,
          chunk: bytes = b"x" * CHUNK, extensions: dict[str, Any] | None = None,
          ) -> tuple[int, dict[str, str], bytes, int]:
    """Send ``chunks`` body chunks (no Content-Length unless given) and answer
    (status, headers, body, chunks the app asked for); a file sent by path (the pathsend
    extension) is read as the server would."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read >= chunks:
            await asyncio.sleep(0)
            return {"type": "http.request", "body": b"", "more_body": False}
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode())
                    for k, v in {"user-agent": "testclient", **headers}.items()],
        "extensions": extensions or {},
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["type"] == "http.response.start"
    start = sent[0]
    body = b"".join(m.get("body", b"") if m["type"] == "http.response.body"
                    else Path(m["path"]).read_bytes() for m in sent[1:])
    answer_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], answer_headers, body, read


# -- CORS ------------------------------------------------------------------------------------


def test_cors_answers_the_public_url_only(client: TestClient) -> None:
    # when a page on another site asks to call the API with the visitor's cookies
    foreign = client.options("/api/v2/cart", headers={
        "Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    # then the browser is not allowed to
    assert foreign.status_code == 400
    assert "access-control-allow-origin" not in foreign.headers
    plain = client.get("/api/health/live", headers={"Origin": OTHER_ORIGIN})
    assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers

    # when the app's own pages (the public URL) ask the same
    own = client.options("/api/v2/cart", headers={
        "Origin": PUBLIC_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    # then it is allowed, with credentials
    assert own.status_code == 200
    assert own.headers["access-control-allow-origin"] == PUBLIC_ORIGIN
    assert own.headers["access-control-allow-credentials"] == "true"


def test_reflex_is_configured_with_the_same_single_origin() -> None:
    import rxconfig

    # Reflex's own CORS layers and its websocket origin check read this setting
    assert list(rxconfig.config.cors_allowed_origins) == [PUBLIC_ORIGIN]


# -- security headers ------------------------------------------------------------------------


def _csp(headers: Any) -> dict[str, str]:
    policy = headers["content-security-policy"]
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    return {d.split(" ", 1)[0]: d for d in directives}


def test_api_answers_carry_the_security_headers(client: TestClient) -> None:
    for answer in (
        client.get("/api/health/live"),
        client.get("/api/v2/no-such-route"),  # a JSON 404
        client.post("/api/v2/auth/login", json={"email": "x"}),  # a JSON 422
    ):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert answer.headers["x-frame-options"] == "DENY"
        policy = _csp(answer.headers)
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        # JSON is never a document: it may load nothing
        assert policy["default-src"] == "default-src 'none'"
        # outside production no HSTS (plain http on a developer's machine)
        assert "strict-transport-security" not in answer.headers


def test_a_server_fault_carries_the_headers_too() -> None:
    app = create_api()

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom")
    assert answer.status_code == 500 and answer.json()["code"] == "internal_error"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert _csp(answer.headers)["frame-ancestors"] == "frame-ancestors 'none'"


def test_production_answers_add_hsts_and_pages_talk_wss() -> None:
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    from commerce_dash.api.app import SecurityHeaders

    # given production settings (built without the checks a real deployment must pass)
    production = get_settings().model_copy(
        update={"env": "production", "public_url": "https://shop.example.com/"})
    app = SecurityHeaders(Starlette(routes=[
        Route("/api/x", lambda _r: JSONResponse({})),
        Route("/page", lambda _r: HTMLResponse("<p>hi</p>")),
    ]), production)
    with TestClient(app) as client:
        api, page = client.get("/api/x"), client.get("/page")
    # then every answer tells browsers to keep to HTTPS
    for answer in (api, page):
        assert answer.headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains")
    # and pages reach the app's websocket over TLS
    assert "wss://shop.example.com" in _csp(page.headers)["connect-src"].split()


@pytest.fixture
def built_pages(tmp_path: Path) -> Path:
    """A frontend build as Reflex serves it: prerendered pages with inline scripts (and their
    precompressed copies), and static assets."""
    page = ("<!DOCTYPE html><html><head><style>body{margin:0}</style>"
            "<script>window.__theme='light';</script></head><body><div id='root'></div>"
            "<script type=\"module\" async=\"\">import '/assets/app.js';</script>"
            "<script src=\"/assets/app.js\"></script></body></html>")
    (tmp_path / "index.html").write_text(page)
    (tmp_path / "index.html.gz").write_bytes(gzip.compress(page.encode()))
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log('app');")
    return tmp_path


def _hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def test_pages_get_a_policy_naming_their_own_inline_scripts(built_pages: Path) -> None:
    from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles

    # given the app as Reflex assembles it in production: the frontend mounted below the API
    api: FastAPI = create_api()
    api.mount("", PrecompressedStaticFiles(directory=built_pages, html=True,
                                           encodings=["gzip"]))
    settings = get_settings()
    with TestClient(api) as client:
        for encoding in ("identity", "gzip"):
            # when a browser loads a page (precompressed or not)
            page = client.get("/", headers={"Accept-Encoding": encoding})
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            # then the policy allows exactly its inline scripts, the app's own files, Stripe.js
            # and the websocket to the app, and never a frame around it
            policy = _csp(page.headers)
            scripts = policy["script-src"].split()
            assert _hash("window.__theme='light';") in scripts
            assert _hash("import '/assets/app.js';") in scripts
            assert "'unsafe-inline'" not in scripts and "'self'" in scripts
            assert "https://js.stripe.com" in scripts
            assert settings.stripe_js_url.startswith("https://js.stripe.com")
            assert policy["frame-ancestors"] == "frame-ancestors 'none'"
            assert "ws://127.0.0.1:3000" in policy["connect-src"].split()
            assert "'unsafe-inline'" in policy["style-src"].split()
            assert policy["object-src"] == "object-src 'none'"
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        # a page the browser already holds (304) gets no policy, which would replace the
        # held page's (a 304's headers update the cached answer's)
        again = client.get("/", headers={"If-None-Match": page.headers["etag"]})
        assert again.status_code == 304 and "content-security-policy" not in again.headers
        assert again.headers["x-content-type-options"] == "nosniff"
        # a server that sends files itself (granian: the ASGI pathsend extension) too
        status, headers, body, _read = _asgi(api, "GET", "/", {"accept-encoding": "gzip"}, 0,
                                             extensions={"http.response.pathsend": {}})
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert gzip.decompress(body).startswith(b"<!DOCTYPE html>")
        assert _hash("window.__theme='light';") in _csp(headers)["script-src"].split()
        # and a static asset gets the headers too
        asset = client.get("/assets/app.js")
        assert asset.status_code == 200
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert _csp(asset.headers)["frame-ancestors"] == "frame-ancestors 'none'"


# -- body limits -----------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413_json(client: TestClient) -> None:
    limit = get_settings().max_body_bytes
    # when a client declares a body over the limit
    declared = client.post("/api/v2/auth/login", content=b"{" + b" " * limit + b"}",
                           headers={"Content-Type": "application/json"})
    # then it is refused with the usual error body
    assert declared.status_code == 413
    assert declared.json()["code"] == "body_too_large" and declared.json()["message"]
    assert declared.headers["x-content-type-options"] == "nosniff"


def test_a_streamed_body_is_cut_off_at_the_limit() -> None:
    limit = get_settings().max_body_bytes
    # when a client streams a body without saying its length
    status, _headers, body, read = _asgi(create_api(), "POST", "/api/v2/auth/login",
                                         {"content-type": "application/json"},
                                         chunks=2 * limit // CHUNK)
    # then the app stops reading just past the limit and answers 413
    assert status == 413 and json.loads(body)["code"] == "body_too_large"
    assert read <= limit // CHUNK + 1


def test_processor_webhooks_have_their_own_smaller_limit(client: TestClient) -> None:
    from commerce_dash.api.payments import MAX_WEBHOOK_BYTES

    answer = client.post("/api/v2/payments/webhook/stripe", content=b"x" * (MAX_WEBHOOK_BYTES + 1),
                         headers={"Content-Type": "application/json", "Stripe-Signature": "t=1"})
    assert answer.status_code == 413 and answer.json()["code"] == "body_too_large"


# -- uploads: the role first, then a capped read ---------------------------------------------


def test_a_learner_upload_is_refused_before_the_body_is_read(
    client: TestClient, session: Session, learner: Actor
) -> None:
    token = _login(client, "lee@example.com")["Authorization"].removeprefix("Bearer ")
    app = create_api()
    many = 200  # 12.5 MiB: more than any limit
    # the API's image route, signed in as a learner and signed out
    for headers, expected in (({"authorization": f"Bearer {token}"}, 403), ({}, 401)):
        status, _h, body, read = _asgi(app, "POST", "/api/v2/admin/images",
                                       {**headers, "content-type": "application/json"}, many)
        assert (status, read) == (expected, 0)
        assert json.loads(body)["code"] in {"forbidden", "not_signed_in"}
    # Reflex's upload endpoint, with the browser's session cookie or the bearer header
    for headers in ({"cookie": f"cd_session={token}"}, {"authorization": f"Bearer {token}"}):
        status, _h, body, read = _asgi(app, "POST", "/_upload", {
            **headers, "content-type": "multipart/form-data; boundary=x",
            "reflex-client-token": "t", "reflex-event-handler": "any"}, many)
        assert (status, read) == (403, 0) and json.loads(body)["code"] == "forbidden"
    status, _h, body, read = _asgi(app, "POST", "/_upload", {
        "content-type": "multipart/form-data; boundary=x"}, many)
    assert (status, read) == (401, 0)


def test_an_admin_upload_over_the_cap_is_refused_before_it_is_read(
    client: TestClient, session: Session, super_admin: Actor
) -> None:
    token = _login(client, "root@example.com")["Authorization"]
    cap = get_settings().max_image_bytes
    # given the app with a stand-in for Reflex's upload endpoint, which reads the whole form
    app = create_api()

    async def reflex_upload(request: Request) -> Response:
        await request.body()
        return Response(status_code=200)

    app.add_route("/_upload", reflex_upload, methods=["POST"])
    # when an admin declares a body three times the cap
    status, _h, body, read = _asgi(app, "POST", "/_upload", {
        "authorization": token, "content-type": "multipart/form-data; boundary=x",
        "content-length": str(cap * 3)}, 200)
    assert (status, read) == (413, 0) and json.loads(body)["code"] == "body_too_large"


class _File:
    """An uploaded file as Reflex hands it to a handler; it records what was read."""

    def __init__(self, data: bytes) -> None:
        self.data, self.reads, self.name, self.size = data, [], "sig.png", len(data)

    async def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        return self.data if size < 0 else self.data[:size]


def _upload(state: Any, file: _File) -> list[Any]:
    handler = CertificateTemplatesState.upload_background.fn
    out = asyncio.run(handler(state, [file]))
    return [out] if out is not None else []


def test_the_editor_upload_checks_the_role_first_and_reads_with_a_cap(
    session: Session, shop, learner: Actor  # type: ignore[no-untyped-def]
) -> None:
    # a learner's forged upload event: refused, nothing read
    refused = page_state(CertificateTemplatesState, routes.ADMIN_CERT_TEMPLATES, {},
                         token_for(session, "lee@example.com"))
    refused.draft = {"department_id": str(shop.department_id)}
    file = _File(_png())
    assert toast_messages(_upload(refused, file)) == ["You do not have access to this area."]
    assert file.reads == []

    # an admin's file past the cap: at most cap + 1 bytes are read, then it is refused
    admin = page_state(CertificateTemplatesState, routes.ADMIN_CERT_TEMPLATES, {},
                       token_for(session, "root@example.com"))
    admin.draft = {"department_id": str(shop.department_id)}
    cap = get_settings().max_image_bytes
    big = _File(b"\x89PNG" + b"\0" * (cap + 10))
    big.size = None  # type: ignore[assignment]  # unknown: the read itself must stop
    assert "too large" in toast_messages(_upload(admin, big))[0]
    assert big.reads == [cap + 1]

    # a real image is stored for the template's department
    good = _File(_png())
    assert toast_messages(_upload(admin, good)) == []
    assert admin.background_id and admin.background_url.startswith("/api/v2/images/")


# -- images stay in their department ---------------------------------------------------------


def test_an_image_of_one_department_is_refused_in_a_template_of_another(
    client: TestClient, session: Session, shop  # type: ignore[no-untyped-def]
) -> None:
    other = create_department(session, "OTHER")
    create_user(session, "ada@example.com", grants=(Grant(RoleName.DEPT_ADMIN, shop.department_id),))
    create_user(session, "bob@example.com", grants=(Grant(RoleName.DEPT_ADMIN, other),))
    ada, bob = _login(client, "ada@example.com"), _login(client, "bob@example.com")
    data = base64.b64encode(_png()).decode()

    # given Ada's signature image, stored for her department
    upload = client.post("/api/v2/admin/images", headers=ada,
                         json={"purpose": "signature", "data_base64": data})
    assert upload.status_code == 201, upload.text
    image = upload.json()
    assert image["department_id"] == shop.department_id
    # its address is a random key, not the sequential id
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", image["key"])
    assert image["url"] == f"/api/v2/images/{image['key']}"

    # when Bob uses it in a template of his department, as signature or background
    template = {"department_id": other, "name": "Borrowed",
                "signatures": [{"name": "Dana Dean", "image_id": image["id"]}]}
    borrowed = client.post("/api/v2/admin/certificate-templates", headers=bob, json=template)
    background = client.post("/api/v2/admin/certificate-templates", headers=bob, json={
        "department_id": other, "name": "Borrowed", "background_image_id": image["id"]})
    preview = client.post("/api/v2/admin/certificate-templates/preview", headers=bob,
                          json=template)
    # then it is refused, beside the field
    for answer, field in ((borrowed, "signatures"), (background, "background"),
                          (preview, "signatures")):
        assert answer.status_code == 422, answer.text
        assert (answer.json()["code"], answer.json()["field"]) == ("image_other_department", field)
    # and Bob cannot store an image for Ada's department either
    foreign = client.post("/api/v2/admin/images", headers=bob, json={
        "purpose": "logo", "data_base64": data, "department_id": shop.department_id})
    assert foreign.status_code == 403

    # while Ada uses it in her own department's template
    own = client.post("/api/v2/admin/certificate-templates", headers=ada,
                      json={**template, "department_id": shop.department_id, "name": "Own"})
    assert own.status_code == 201, own.text


def test_an_image_without_a_department_is_for_super_admins_and_joins_the_first_user(
    client: TestClient, session: Session, shop, super_admin: Actor  # type: ignore[no-untyped-def]
) -> None:
    other = create_department(session, "OTHER")
    create_user(session, "bob@example.com", grants=(Grant(RoleName.DEPT_ADMIN, other),))
    root, bob = _login(client, "root@example.com"), _login(client, "bob@example.com")
    # a super-admin's upload without a department belongs to none yet
    image = client.post("/api/v2/admin/images", headers=root, json={
        "purpose": "background", "data_base64": base64.b64encode(_png()).decode()}).json()
    assert image["department_id"] is None
    body = {"name": "Shared", "background_image_id": image["id"]}
    # a department admin cannot use it
    refused = client.post("/api/v2/admin/certificate-templates", headers=bob,
                          json={**body, "department_id": other})
    assert refused.status_code == 422 and refused.json()["code"] == "image_other_department"
    # a super-admin's template in SHOP makes it SHOP's
    made = client.post("/api/v2/admin/certificate-templates", headers=root,
                       json={**body, "department_id": shop.department_id})
    assert made.status_code == 201, made.text
    again = client.post("/api/v2/admin/certificate-templates", headers=root,
                        json={**body, "department_id": other, "name": "Elsewhere"})
    assert again.status_code == 422 and again.json()["code"] == "image_other_department"


# -- exports ---------------------------------------------------------------------------------


def _xlsx_cells(data: bytes) -> list[ElementTree.Element]:
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    return list(sheet.iter(f"{ns}c"))


def test_export_cells_that_start_a_formula_are_written_as_text(
    client: TestClient, session: Session, two_courses_two_months: Book,  # noqa: F811
    super_admin: Actor,
) -> None:
    # given an instructor and a department whose names a spreadsheet would run
    ivan = session.get(User, two_courses_two_months.people["ivan"].user_id)
    assert ivan is not None
    ivan.full_name = "=cmd()"
    department = session.get(Department, two_courses_two_months.departments["BUS"])
    assert department is not None
    department.name = "@SUM(1+1)"
    session.add_all([ivan, department])
    session.commit()
    admin = _login(client, "root@example.com")
    query = "start=2026-10-01&end=2026-11-30"

    # when the billing team exports the reports as CSV
    def csv_rows(group_by: str) -> list[list[str]]:
        answer = client.get(f"/api/v2/admin/revenue/report?group_by={group_by}&{query}"
                            "&format=csv", headers=admin)
        assert answer.status_code == 200, answer.text
        return list(csv.reader(io.StringIO(answer.text)))

    by_instructor = csv_rows("instructor")
    by_department = csv_rows("department")
    # then those cells start with a quote, and the figures stay numbers
    assert by_instructor[1][2:4] == ["'=cmd()", "320.00"]
    assert "'@SUM(1+1)" in [row[2] for row in by_department]
    assert all(not cell.startswith("'") for row in by_instructor for cell in row[3:])

    # and in XLSX the name is a string cell, never a formula
    xlsx = client.get(f"/api/v2/admin/revenue/report?group_by=instructor&{query}&format=xlsx",
                      headers=admin)
    cells = _xlsx_cells(xlsx.content)
    assert cells and all(c.find("{*}f") is None for c in cells)


def test_csv_neutralises_every_formula_prefix() -> None:
    from commerce_dash.services.revenue.revenue_exports import spreadsheet_text

    for text in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx"):
        assert spreadsheet_text(text) == "'" + text
    assert spreadsheet_text("Python Basics") == "Python Basics"
    assert spreadsheet_text("") == ""
