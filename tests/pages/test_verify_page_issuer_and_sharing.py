"""The public verification page as Credly-like pages show a credential: the issuer and its
logo, what was achieved, how long it holds, LinkedIn's Add to profile, the PDF for its holder
only, and no shop in the header; the JSON twin carries the same facts."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import reflex as rx
from fastapi.testclient import TestClient
from reflex.constants import RouteArgType
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.api.app import create_api
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.catalog import Course, Department
from commerce_dash.models.certificates import Certificate, StoredImage
from commerce_dash.pages.public.verify import VerifyState, verify_page
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import learning as learning_area
from commerce_dash.settings import get_settings
from tests.builders import issued_certificate
from tests.conftest import PASSWORD, create_user
from tests.pages.harness import page_state, run_event, token_for

rx.State.setup_dynamic_args({"number": RouteArgType.SINGLE})


def _certificate(session: Session, shop, learner: Actor) -> Certificate:  # type: ignore[no-untyped-def]
    course = session.get(Course, shop.courses["PY101"])
    assert course is not None
    course.description, course.estimated_minutes = "Variables, loops and functions.", 90
    department = session.get(Department, shop.department_id)
    assert department is not None
    logo = StoredImage(
        key="logo-key-123",
        purpose="logo",
        content_type="image/png",
        sha256="0" * 64,
        width=1,
        height=1,
        size_bytes=1,
        data=b"x",
        department_id=department.id,
    )
    session.add(logo)
    session.flush()
    department.logo_image_id = logo.id
    session.add_all([course, department])
    session.commit()
    return issued_certificate(session, learner, shop.courses["PY101"], modules=2)


def _open(number: str, token: str = "") -> VerifyState:
    page = page_state(VerifyState, f"{routes.VERIFY}/{number}", {"number": number}, token)
    run_event(VerifyState.load, page)
    assert page.phase == "done"
    return page


def test_the_page_shows_issuer_achievement_expiry_and_linkedin(
    session: Session,
    shop,
    learner: Actor,  # type: ignore[no-untyped-def]
) -> None:
    cert = _certificate(session, shop, learner)
    # when a visitor opens its page
    r = _open(cert.number).result
    # then the issuer, its logo, what was achieved and for how long it holds are there
    assert r["issuer"] == cert_department(session, cert)
    assert r["issuer_logo"] == "/api/v2/images/logo-key-123"
    assert r["description"] == "Variables, loops and functions."
    assert r["hours"] == "1.5 hours"
    assert r["expiry"] == "Does not expire"
    assert r["share_url"] == learning_area.verification_url(cert.number)
    # and LinkedIn's Add to profile carries the certificate, encoded
    link = urlsplit(r["linkedin_url"])
    assert (link.scheme, link.netloc, link.path) == ("https", "www.linkedin.com", "/profile/add")
    query = parse_qs(link.query)
    assert query == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": [cert.description],  # the course, not "Certificate of Completion"
        "organizationName": [r["issuer"]],
        "issueYear": [f"{cert.issued_at:%Y}"],
        "issueMonth": [str(cert.issued_at.month)],
        "certUrl": [learning_area.verification_url(cert.number)],
        "certId": [cert.number],
    }
    assert " " not in r["linkedin_url"]
    # and a visitor gets no download
    assert r["download_url"] == ""


def cert_department(session: Session, cert: Certificate) -> str:
    department = session.get(Department, cert.department_id)
    assert department is not None
    return department.name


def test_only_the_holder_is_offered_the_pdf(
    session: Session,
    shop,
    learner: Actor,  # type: ignore[no-untyped-def]
) -> None:
    cert = _certificate(session, shop, learner)
    create_user(session, "other@example.com")
    holder = _open(cert.number, token_for(session, "lee@example.com")).result
    assert holder["download_url"] == f"/api/v2/certificates/{cert.id}/download"
    other = _open(cert.number, token_for(session, "other@example.com")).result
    assert other["download_url"] == ""


def test_expiry_and_revocation_are_said_plainly(
    session: Session,
    shop,
    learner: Actor,  # type: ignore[no-untyped-def]
) -> None:
    cert = _certificate(session, shop, learner)
    cert.expires_at = utcnow() + timedelta(days=400)
    session.add(cert)
    session.commit()
    valid = _open(cert.number).result
    assert valid["expiry"].startswith("Valid until ") and valid["linkedin_url"]
    cert.expires_at = utcnow() - timedelta(days=1)
    session.add(cert)
    session.commit()
    expired = _open(cert.number).result
    assert expired["heading"] == "Expired" and expired["expiry"].startswith("Expired on ")
    assert expired["linkedin_url"] == ""  # no sharing of a lapsed certificate to a profile
    cert.status, cert.revoked_at, cert.expires_at = "revoked", utcnow(), None
    session.add(cert)
    session.commit()
    revoked = _open(cert.number).result
    assert revoked["heading"] == "Revoked" and revoked["expiry"] == "No longer valid: revoked"


def test_the_page_has_no_shop_in_its_header() -> None:
    page = str(verify_page())
    assert "minimal-header" in page
    for shop_part in ("cart-link", "Catalog", "shopping-cart"):
        assert shop_part not in page


def test_the_json_twin_has_the_same_facts(
    session: Session,
    shop,
    learner: Actor,  # type: ignore[no-untyped-def]
) -> None:
    cert = _certificate(session, shop, learner)
    with TestClient(create_api()) as client:
        body = client.get(f"/api/v2/certificates/verify/{cert.number}").json()
        missing = client.get("/api/v2/certificates/verify/CERT-2026-0000000000X").json()
    public = get_settings().public_url.rstrip("/")
    assert body["recipientName"] == "Lee Learner" and body["status"] == "valid"  # kept
    assert body["issuerName"] == cert_department(session, cert)
    assert body["issuerLogoUrl"] == f"{public}/api/v2/images/logo-key-123"
    assert body["description"] == "Variables, loops and functions."
    assert body["hours"] == 1.5
    assert body["doesNotExpire"] is True and body["holderDeleted"] is False
    assert body["verificationUrl"] == learning_area.verification_url(cert.number)
    assert body["linkedInAddUrl"].startswith("https://www.linkedin.com/profile/add?")
    assert "download" not in str(body)  # the holder's PDF is never offered to the public
    assert missing["status"] == "not_found" and missing["issuerName"] is None
    assert missing["linkedInAddUrl"] is None


def test_a_deleted_holder_is_said_and_the_name_hidden(
    session: Session,
    shop,
    learner: Actor,  # type: ignore[no-untyped-def]
) -> None:
    cert = _certificate(session, shop, learner)
    commerce_area.delete_account(
        session=session, actor=learner, confirm_email="lee@example.com", password=PASSWORD
    )
    r = _open(cert.number).result
    assert r["heading"] == "Valid" and r["recipient"] == ""
    assert r["holder_deleted"].startswith("Held by a deleted account")
    assert "Lee" not in str(r)
