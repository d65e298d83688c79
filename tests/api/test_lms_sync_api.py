"""The LMS course sync: signed requests only, upsert by lms_id, all or nothing."""

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func
from sqlmodel import select

from commerce_dash.models.audit import AuditLog
from commerce_dash.models.catalog import Course
from commerce_dash.models.integrations import SeenSignature
from commerce_dash.services.enrollment import lms_sync

SYNC = "/api/v2/integrations/lms/courses"


@pytest.fixture
def lms_connector(session, super_admin, engineering_with_subdepartment):
    """An active LMS connector (key id and the inbound secret it signs with, shown once) and
    ENG/BUS departments."""
    connector, secrets = lms_sync.create_connector(
        session=session, actor=super_admin, name="Campus LMS", kind="lms"
    )
    return {"id": connector.id, "key_id": connector.key_id, "secret": secrets.inbound}


def _signed(connector, payload, *, timestamp=None, secret=None):
    """Body and headers as the LMS sends them (signature computed here, not by our code)."""
    raw = json.dumps(payload).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    key = (secret or connector["secret"]).encode()
    digest = hmac.new(key, ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "X-Connector-Key": connector["key_id"],
        "X-Timestamp": ts,
        "X-Signature": f"sha256={digest}",
    }
    return {"content": raw, "headers": headers}


def _course(lms_id, code, title, modules, department="ENG", **extra):
    return {
        "lms_id": lms_id,
        "code": code,
        "title": title,
        "description": f"About {title}",
        "category": "programming",
        "department_code": department,
        "estimated_minutes": 90,
        "published": True,
        "modules": [
            {"lms_id": f"{lms_id}-m{i}", "title": t, "summary": "", "estimated_minutes": 45}
            for i, t in enumerate(modules)
        ],
        **extra,
    }


def _course_count(session):
    return session.exec(select(func.count()).select_from(Course)).one()


def test_a_signed_sync_creates_then_updates_courses(client, session, lms_connector):
    # when the LMS sends two new courses
    first = client.post(
        SYNC,
        **_signed(
            lms_connector,
            {
                "courses": [
                    _course("lms-1", "lms-101", "Intro to Go", ["Install", "Types", "Tests"]),
                    _course("lms-2", "LMS-102", "Go Web", ["HTTP"], department="eng-data"),
                ]
            },
        ),
    )
    # then both are created with their public codes
    assert first.status_code == 200, first.json()
    body = first.json()
    assert (body["created"], body["updated"]) == (2, 0)
    assert [(c["lms_id"], c["code"]) for c in body["courses"]] == [
        ("lms-1", "LMS-101"),
        ("lms-2", "LMS-102"),
    ]
    page = client.get("/api/v2/catalog/courses/LMS-101").json()
    assert page["title"] == "Intro to Go"
    assert [m["title"] for m in page["modules"]] == ["Install", "Types", "Tests"]
    # when a later sync renames the course and reorders and drops modules
    second = client.post(
        SYNC,
        **_signed(
            lms_connector,
            {"courses": [_course("lms-1", "LMS-101", "Go Fundamentals", ["Tests", "Install"])]},
        ),
    )
    # then the same course is updated, its modules replaced in the order sent
    assert second.status_code == 200, second.json()
    assert (second.json()["created"], second.json()["updated"]) == (0, 1)
    assert second.json()["courses"][0]["id"] == body["courses"][0]["id"]
    page = client.get("/api/v2/catalog/courses/LMS-101").json()
    assert page["title"] == "Go Fundamentals"
    assert [(m["position"], m["title"]) for m in page["modules"]] == [(1, "Tests"), (2, "Install")]
    assert _course_count(session) == 2
    # and every step is in the audit log as done by the system
    audit = session.exec(
        select(AuditLog.actor_email).where(AuditLog.action == "course.synced_from_lms")
    ).all()
    assert audit == ["system", "system", "system"]


def test_a_wrong_signature_is_refused(client, session, lms_connector):
    # when the body is signed with another secret
    request = _signed(
        lms_connector, {"courses": [_course("lms-1", "LMS-101", "Go", [])]}, secret="guess"
    )
    response = client.post(SYNC, **request)
    # then nothing is synced
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert _course_count(session) == 0


def test_a_tampered_body_is_refused(client, session, lms_connector):
    # given a correctly signed request
    request = _signed(lms_connector, {"courses": [_course("lms-1", "LMS-101", "Go", [])]})
    # when the body is changed on the way
    request["content"] = request["content"].replace(b"LMS-101", b"LMS-666")
    response = client.post(SYNC, **request)
    # then it is refused
    assert (response.status_code, response.json()["code"]) == (401, "invalid_signature")
    assert _course_count(session) == 0


def test_a_stale_or_future_timestamp_is_refused(client, session, lms_connector):
    payload = {"courses": [_course("lms-1", "LMS-101", "Go", [])]}
    now = int(time.time())
    for timestamp in (now - 310, now + 310, "yesterday"):
        # when the signature is right but the clock is off by more than five minutes
        response = client.post(SYNC, **_signed(lms_connector, payload, timestamp=timestamp))
        # then it is refused
        assert response.status_code == 401, timestamp
        assert response.json()["code"] in {"stale_timestamp", "invalid_timestamp"}
    assert _course_count(session) == 0


def test_a_replayed_request_is_refused(client, session, lms_connector):
    # given a request that was accepted
    request = _signed(lms_connector, {"courses": [_course("lms-1", "LMS-101", "Go", ["A"])]})
    assert client.post(SYNC, **request).status_code == 200
    # when the very same request arrives again
    replay = client.post(SYNC, **request)
    # then it is refused as a replay and nothing changes
    assert replay.status_code == 409
    assert replay.json()["code"] == "replayed"
    assert session.exec(select(func.count()).select_from(SeenSignature)).one() == 1


def test_an_unknown_department_refuses_the_whole_batch(client, session, lms_connector):
    # when one course of the batch names a department that does not exist
    payload = {
        "courses": [
            _course("lms-1", "LMS-101", "Go", ["A"]),
            _course("lms-2", "LMS-102", "Rust", ["B"], department="NOPE"),
        ]
    }
    response = client.post(SYNC, **_signed(lms_connector, payload))
    # then the batch is refused naming the department, and nothing at all is written
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_department"
    assert "NOPE" in response.json()["message"]
    assert _course_count(session) == 0
    assert client.get("/api/v2/catalog/courses/LMS-101").status_code == 404
    assert session.exec(select(func.count()).select_from(SeenSignature)).one() == 0


def test_unknown_missing_or_deactivated_keys_are_refused(
    client, session, super_admin, lms_connector
):
    payload = {"courses": []}
    # when no signature headers are sent at all
    bare = client.post(SYNC, json=payload)
    # and when the key id is unknown
    unknown = dict(lms_connector, key_id="ck_nobody")
    stranger = client.post(SYNC, **_signed(unknown, payload))
    # and when the connector was deactivated
    lms_sync.deactivate_connector(
        session=session, actor=super_admin, connector_id=lms_connector["id"], reason="rotated"
    )
    retired = client.post(SYNC, **_signed(lms_connector, payload))
    # then each is refused as unauthenticated
    for response in (bare, stranger, retired):
        assert (response.status_code, response.json()["code"]) == (401, "unknown_connector")


def test_a_malformed_but_signed_body_gets_a_json_422(client, session, lms_connector):
    # when the signed body misses required fields
    response = client.post(SYNC, **_signed(lms_connector, {"courses": [{"lms_id": "x"}]}))
    # then the fields are named and nothing is written
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert "courses.0.code" in response.json()["message"]
    assert _course_count(session) == 0
