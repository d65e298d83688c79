"""Certificate API: public verification (public fields only, rate-limited), PDF download for
the owner only, the learner's list and progress, admin revoke and templates."""

from __future__ import annotations

import base64
import io

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.models.certificates import Certificate
from commerce_dash.settings import get_settings
from tests.api.conftest import signed_in
from tests.conftest import create_user


def test_verify_answers_public_fields_only(client, earned: Certificate) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(f"/api/v2/certificates/verify/{earned.number}")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["recipientName"], body["courseOrProgram"]) == (
        "valid", "Lee Learner", "Course PY101")
    for private in ("lee@example.com", "user_id", "userId", "percentage", "email"):
        assert private not in answer.text
    missing = client.get("/api/v2/certificates/verify/CERT-2026-0000000000X")
    assert missing.status_code == 200 and missing.json()["status"] == "not_found"


def test_verify_is_rate_limited(client, earned: Certificate,  # type: ignore[no-untyped-def]
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMERCE_VERIFY_RATE_LIMIT_PER_MINUTE", "2")
    get_settings.cache_clear()
    try:
        codes = [client.get(f"/api/v2/certificates/verify/{earned.number}").status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = client.get(f"/api/v2/certificates/verify/{earned.number}")
        assert limited.json()["code"] == "rate_limited" and limited.headers["Retry-After"]
    finally:
        monkeypatch.delenv("COMMERCE_VERIFY_RATE_LIMIT_PER_MINUTE")
        get_settings.cache_clear()


def test_download_for_the_owner_only(client, session: Session,  # type: ignore[no-untyped-def]
                                     earned: Certificate) -> None:
    owner = signed_in(client, "lee@example.com")
    pdf = client.get(f"/api/v2/certificates/{earned.id}/download", headers=owner)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert earned.number in pdf.headers["content-disposition"]
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Lee Learner" in text and earned.number in text
    create_user(session, "sam@example.com")
    other = client.get(f"/api/v2/certificates/{earned.id}/download",
                       headers=signed_in(client, "sam@example.com"))
    assert other.status_code == 404 and other.json()["code"] == "certificate_not_found"
    assert client.get(f"/api/v2/certificates/{earned.id}/download").status_code == 401
    mine = client.get("/api/v2/certificates", headers=owner).json()
    assert [(c["number"], c["status"]) for c in mine["items"]] == [(earned.number, "valid")]
    progress = client.get("/api/v2/me/progress", headers=owner).json()
    assert [(c["course_code"], c["complete"]) for c in progress["courses"]] == [
        ("SHOP-PY101", True)]


def test_admin_revokes_and_the_public_answer_changes(client, session: Session,  # type: ignore[no-untyped-def]
                                                    earned: Certificate,
                                                    super_admin: Actor) -> None:
    admin = signed_in(client, "root@example.com")
    short = client.post(f"/api/v2/admin/certificates/{earned.id}/revoke", headers=admin,
                        json={"category": "other", "reason": "no"})
    assert short.status_code == 422 and short.json()["field"] == "reason"
    done = client.post(f"/api/v2/admin/certificates/{earned.id}/revoke", headers=admin,
                       json={"category": "refunded", "reason": "Order refunded in full."})
    assert done.status_code == 200 and done.json()["row"]["status"] == "revoked"
    public = client.get(f"/api/v2/certificates/verify/{earned.number}").json()
    assert (public["status"], public["revocationCategory"]) == (
        "revoked", "The purchase was refunded")
    assert "Order refunded in full." not in str(public)


def test_templates_and_images_through_the_api(client, session: Session, shop,  # type: ignore[no-untyped-def]
                                              super_admin: Actor) -> None:
    from PIL import Image

    admin = signed_in(client, "root@example.com")
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), (200, 30, 30)).save(buffer, format="PNG")
    upload = client.post("/api/v2/admin/images", headers=admin, json={
        "purpose": "signature", "filename": "sig.png",
        "data_base64": base64.b64encode(buffer.getvalue()).decode()})
    assert upload.status_code == 201
    image = upload.json()
    assert client.get(image["url"]).content == buffer.getvalue()
    bad = client.post("/api/v2/admin/images", headers=admin, json={
        "purpose": "signature", "data_base64": base64.b64encode(b"GIF89a....").decode()})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_image"
    body = {"department_id": shop.department_id, "name": "Formal",
            "body_text": "For {{recipientName}}.", "primary_color": "#7a1f1f",
            "signatures": [{"name": "Dana Dean", "title": "Dean", "image_id": image["id"]}]}
    preview = client.post("/api/v2/admin/certificate-templates/preview", headers=admin,
                          json=body)
    assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")
    created = client.post("/api/v2/admin/certificate-templates", headers=admin, json=body)
    assert created.status_code == 201 and created.json()["is_default"] is True
    wrong = client.post("/api/v2/admin/certificate-templates", headers=admin,
                        json={**body, "primary_color": "red"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "primary_color"
    listed = client.get("/api/v2/admin/certificate-templates", headers=admin).json()
    assert [t["name"] for t in listed["items"]] == ["Formal"]
    assert session.exec(select(Certificate)).all() == []
