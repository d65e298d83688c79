"""Progress reports, completion and certificates issued exactly once."""

from __future__ import annotations

from threading import Barrier, Thread

import pytest
from sqlmodel import Session, select

from commerce_dash.db import get_engine
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.certificate_numbers import valid_number
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.catalog import CourseModule
from commerce_dash.models.certificates import Certificate, CompletionRule
from commerce_dash.services.learning.progress import ProgressReport, record_progress
from tests.builders import course_modules, enrolled


def test_the_last_module_completes_the_course_and_issues_one_certificate(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor
) -> None:
    modules = course_modules(session, shop.courses["PY101"])
    enrollment = enrolled(session, learner, "course", shop.courses["PY101"])[0]
    assert enrollment.id is not None
    for module in modules[:-1]:
        outcome = record_progress(session=session, report=ProgressReport(
            enrollment.id, module, True, minutes=20))
        assert not outcome.completion.complete and outcome.certificate_number == ""
    last = record_progress(session=session, report=ProgressReport(
        enrollment.id, modules[-1], True, minutes=20, source="lms", event_id="evt-1"))
    assert last.completion.complete and valid_number(last.certificate_number)
    # the same LMS event again, and another report on a done course: still one certificate
    again = record_progress(session=session, report=ProgressReport(
        enrollment.id, modules[-1], True, source="lms", event_id="evt-1"))
    assert (again.applied, again.certificate_number) == (False, last.certificate_number)
    record_progress(session=session, report=ProgressReport(enrollment.id, modules[0], True))
    certificates = session.exec(select(Certificate)).all()
    assert len(certificates) == 1
    assert (certificates[0].recipient_name, certificates[0].description) == (
        "Lee Learner", "Course PY101")


def test_percentage_and_passing_score_rules(session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    modules = course_modules(session, shop.courses["SQL101"], n=5)
    session.add(CompletionRule(course_id=shop.courses["SQL101"], requirement="percentage",
                               min_percentage=60, assessment_module_id=modules[-1],
                               passing_score=70, valid_for_days=365))
    session.commit()
    enrollment = enrolled(session, learner, "course", shop.courses["SQL101"])[0]
    assert enrollment.id is not None
    for module in modules[:2]:
        record_progress(session=session, report=ProgressReport(enrollment.id, module, True))
    low = record_progress(session=session, report=ProgressReport(
        enrollment.id, modules[-1], True, score=65))
    assert low.completion.missing == ("Assessment score 65% is below the passing 70%.",)
    passed = record_progress(session=session, report=ProgressReport(
        enrollment.id, modules[-1], True, score=80))
    assert passed.completion.complete
    certificate = session.exec(select(Certificate)).one()
    assert certificate.percentage == 80 and certificate.expires_at is not None


def test_bad_reports_are_refused(session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    modules = course_modules(session, shop.courses["ML301"])
    other = course_modules(session, shop.courses["PY201"], n=1)
    enrollment = enrolled(session, learner, "course", shop.courses["ML301"])[0]
    assert enrollment.id is not None
    for report, field in [
        (ProgressReport(enrollment.id, other[0], True), "module_id"),
        (ProgressReport(enrollment.id, modules[0], True, score=101), "score"),
        (ProgressReport(enrollment.id, modules[0], True, minutes=-5), "minutes"),
    ]:
        with pytest.raises(DomainError) as err:
            record_progress(session=session, report=report)
        assert err.value.field == field


def test_completing_every_course_of_a_program_issues_the_program_certificate_once(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor
) -> None:
    course_ids = [shop.courses[c] for c in ("PY101", "PY201", "SQL101")]
    modules = {c: course_modules(session, c, n=1)[0] for c in course_ids}
    enrollments = enrolled(session, learner, "program", shop.program_id)
    assert len(enrollments) == 3
    for enrollment in enrollments:
        assert enrollment.id is not None
        record_progress(session=session, report=ProgressReport(
            enrollment.id, modules[enrollment.course_id], True))
    kinds = sorted(c.kind for c in session.exec(select(Certificate)).all())
    assert kinds == ["course", "course", "course", "program"]


def test_two_completion_events_at_once_give_one_certificate(session: Session, shop,  # type: ignore[no-untyped-def]
                                                            learner: Actor) -> None:
    modules = course_modules(session, shop.courses["PY201"], n=1)
    enrollment = enrolled(session, learner, "course", shop.courses["PY201"])[0]
    assert enrollment.id is not None
    barrier = Barrier(2)
    numbers: list[str] = []
    errors: list[str] = []

    def report(event: str) -> None:
        with Session(get_engine()) as s:
            barrier.wait(timeout=30)
            try:
                outcome = record_progress(session=s, report=ProgressReport(
                    enrollment.id or 0, modules[0], True, source="lms", event_id=event))
                numbers.append(outcome.certificate_number)
            except Exception as exc:  # noqa: BLE001 - recorded for the assertion
                errors.append(repr(exc))

    threads = [Thread(target=report, args=(f"evt-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    session.expire_all()
    assert len(session.exec(select(Certificate)).all()) == 1
    assert len(set(n for n in numbers if n)) == 1, (numbers, errors)


def test_the_lms_reports_progress_through_the_signed_api(session: Session, shop,  # type: ignore[no-untyped-def]
                                                         learner: Actor, super_admin: Actor) -> None:
    import json
    import time

    from fastapi.testclient import TestClient

    from commerce_dash.api import create_api
    from commerce_dash.models.enrollment import Registration
    from commerce_dash.services.enrollment import lms_sync

    course_id = shop.courses["PY101"]
    session.add_all([CourseModule(course_id=course_id, position=i, title=f"M{i}",
                                  lms_id=f"lms-m{i}") for i in (1, 2)])
    session.commit()
    enrolled(session, learner, "course", course_id)
    item = session.exec(select(Registration.dedupe_key)).one()
    connector, _ = lms_sync.create_connector(session=session, actor=super_admin,
                                             name="Cadence", kind="lms")

    def post(client: TestClient, body: dict[str, object], stamp: int) -> dict[str, object]:
        raw = json.dumps(body).encode()
        headers = {"X-Connector-Key": connector.key_id, "X-Timestamp": str(stamp),
                   "X-Signature": lms_sync.sign_request(connector.key_id, str(stamp), raw,
                                                         kind="lms")}
        answer = client.post("/api/v2/progress", content=raw, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    now = int(time.time())
    with TestClient(create_api()) as client:
        first = post(client, {"eventId": "p-1", "orderItemId": item, "moduleLmsId": "lms-m1",
                              "completed": True, "minutes": 30}, now)
        assert (first["applied"], first["complete"], first["percentDone"]) == (True, False, 50)
        repeat = post(client, {"eventId": "p-1", "orderItemId": item, "moduleLmsId": "lms-m1",
                               "completed": True, "minutes": 30}, now + 1)
        assert repeat["applied"] is False
        last = post(client, {"eventId": "p-2", "orderItemId": item, "moduleLmsId": "lms-m2",
                             "completed": True}, now + 2)
        assert last["complete"] is True and valid_number(str(last["certificateNumber"]))
        forged = client.post("/api/v2/progress", content=b"{}", headers={
            "X-Connector-Key": connector.key_id, "X-Timestamp": str(now),
            "X-Signature": "sha256=" + "0" * 64})
        assert forged.status_code == 401
