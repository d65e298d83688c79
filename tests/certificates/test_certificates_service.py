"""Certificates after issue: the email with its PDF, downloads and their cache, public
verification, manual issue, revocation, templates, and progress as learners and admins see it."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.certificate_numbers import valid_number
from commerce_dash.domain.certificate_status import Verification
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.completion import CompletionCriteria, Requirement
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.catalog import CourseModule
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment
from commerce_dash.notify.message import message_from_payload
from commerce_dash.services.learning import certificate_templates as templates
from commerce_dash.services.learning import certificates, learning
from commerce_dash.services.learning.progress import ProgressReport, record_progress
from commerce_dash.settings import get_settings
from tests.builders import build_shop, course_modules, enrolled
from tests.conftest import create_user


def _text(pdf: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)



def _emails(session: Session, template: str) -> list[OutboxMessage]:
    return [m for m in session.exec(select(OutboxMessage).where(OutboxMessage.topic == "email"))
            if (m.payload or {}).get("template") == template]


def _template_in(department_id: int, **changes: object) -> templates.TemplateIn:
    values: dict[str, object] = {"department_id": department_id, "name": "Formal",
                                 "title_text": "Certificate of Achievement",
                                 "body_text": "Awarded to {{recipientName}} for {{courseTitle}}.",
                                 "signatures": (templates.SignatureIn("Dana Dean", "Dean"),)}
    values.update(changes)
    return templates.TemplateIn(**values)  # type: ignore[arg-type]


def test_a_new_certificate_is_emailed_with_its_pdf_and_audited(  # type: ignore[no-untyped-def]
    session: Session, earned: Certificate
) -> None:
    assert valid_number(earned.number) and earned.status == "active"
    [email] = _emails(session, "certificate-earned")
    message = message_from_payload(email.payload or {})
    assert message.to == "lee@example.com"
    [attachment] = message.attachments
    assert (attachment.filename, attachment.content_type) == (f"{earned.number}.pdf",
                                                              "application/pdf")
    text = _text(attachment.data)
    for expected in ("Lee Learner", "Course PY101", earned.number,
                     f"/verify/{earned.number}"):
        assert expected in text
    assert f"/verify/{earned.number}" in message.text
    audit = session.exec(select(AuditLog).where(AuditLog.action == "certificate.issued")).one()
    assert audit.entity_id == str(earned.id) and audit.actor_email == "system"


def test_download_is_for_the_owner_and_admins_of_the_department(  # type: ignore[no-untyped-def]
    session: Session, earned: Certificate, super_admin: Actor, learner: Actor, shop
) -> None:
    assert earned.id is not None
    stranger = create_user(session, "sam@example.com")
    other_dept = build_shop(session, super_admin, code="ELSE").department_id
    outsider = create_user(session, "other-admin@example.com",
                           grants=(Grant(RoleName.DEPT_ADMIN, other_dept),))
    insider = create_user(session, "dept-admin@example.com",
                          grants=(Grant(RoleName.DEPT_ADMIN, shop.department_id),))
    for who in (learner, insider, super_admin):
        name, pdf = certificates.download(session=session, actor=who,
                                          certificate_id=earned.id)
        assert name == f"{earned.number}.pdf" and pdf.startswith(b"%PDF")
    for who in (stranger, outsider):
        with pytest.raises(DomainError) as err:
            certificates.download(session=session, actor=who, certificate_id=earned.id)
        assert err.value.kind is ErrorKind.NOT_FOUND
    with pytest.raises(DomainError) as err:
        certificates.download(session=session, actor=None, certificate_id=earned.id)
    assert err.value.kind is ErrorKind.UNAUTHENTICATED


def test_the_pdf_cache_is_used_until_the_certificate_or_its_template_changes(  # type: ignore[no-untyped-def]
    session: Session, earned: Certificate, learner: Actor, super_admin: Actor, shop,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert earned.id is not None
    renders: list[int] = []
    real = certificates._render

    def counting(s: Session, c: Certificate) -> bytes:
        renders.append(c.id or 0)
        return real(s, c)

    monkeypatch.setattr(certificates, "_render", counting)
    first = certificates.download(session=session, actor=learner, certificate_id=earned.id)[1]
    again = certificates.download(session=session, actor=learner, certificate_id=earned.id)[1]
    assert first == again and renders == []  # cached when it was issued
    template = templates.create_template(session=session, actor=super_admin,
                                         data=_template_in(shop.department_id))
    earned.template_id = template.id  # the certificate now uses the template
    session.add(earned)
    session.commit()
    themed = certificates.download(session=session, actor=learner, certificate_id=earned.id)[1]
    assert renders == [earned.id] and "Certificate of Achievement" in _text(themed)
    assert template.id is not None
    templates.update_template(session=session, actor=super_admin, template_id=template.id,
                              data=_template_in(shop.department_id, title_text="Diploma"))
    edited = certificates.download(session=session, actor=learner, certificate_id=earned.id)[1]
    assert len(renders) == 2 and "Diploma" in _text(edited)
    certificates.revoke(session=session, actor=super_admin, certificate_id=earned.id,
                        category="issued_in_error", reason="Issued to the wrong learner.")
    revoked = certificates.download(session=session, actor=learner, certificate_id=earned.id)[1]
    assert len(renders) == 3 and "REVOKED" in _text(revoked)


def test_public_verification_says_valid_revoked_expired_or_not_found(  # type: ignore[no-untyped-def]
    session: Session, earned: Certificate, super_admin: Actor
) -> None:
    assert earned.id is not None
    valid = certificates.verify(session=session, number=earned.number.lower(), client="1")
    assert valid.status is Verification.VALID
    assert (valid.recipient_name, valid.item_title, valid.department) == (
        "Lee Learner", "Course PY101", "SHOP School")
    body = valid.public_json()
    assert set(body) == {"number", "status", "recipientName", "title", "kind",
                         "courseOrProgram", "department", "completedOn", "issuedOn",
                         "expiresOn", "revokedOn", "revocationCategory",
                         # issue 19: the verification page's facts in its JSON twin
                         "issuerName", "issuerLogoUrl", "description", "hours",
                         "doesNotExpire", "holderDeleted", "verificationUrl",
                         "linkedInAddUrl"}
    assert "lee@example.com" not in str(body)
    earned.expires_at = utcnow() - timedelta(days=1)
    session.add(earned)
    session.commit()
    expired = certificates.verify(session=session, number=earned.number, client="1")
    assert expired.status is Verification.EXPIRED and expired.expires_on
    certificates.revoke(session=session, actor=super_admin, certificate_id=earned.id,
                        category="academic_misconduct", reason="Plagiarised final project.")
    revoked = certificates.verify(session=session, number=earned.number, client="1")
    assert revoked.status is Verification.REVOKED  # revoked wins over expired
    assert revoked.revoked_category == "Academic misconduct"
    assert "Plagiarised" not in str(revoked.public_json())  # the reason stays private
    unknown = earned.number[:-3] + ("AAA" if not earned.number.endswith("AAA") else "BBB")
    for number in (unknown, "CERT-2026-NOPE", "'; drop table certificate; --"):
        assert certificates.verify(session=session, number=number,
                                   client="1").status is Verification.NOT_FOUND


def test_verification_is_rate_limited_per_client(session: Session,  # type: ignore[no-untyped-def]
                                                 earned: Certificate,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMERCE_VERIFY_RATE_LIMIT_PER_MINUTE", "3")
    get_settings.cache_clear()
    try:
        for _ in range(3):
            certificates.verify(session=session, number=earned.number, client="9.9.9.9")
        with pytest.raises(DomainError) as err:
            certificates.verify(session=session, number=earned.number, client="9.9.9.9")
        assert err.value.kind is ErrorKind.RATE_LIMITED and err.value.retry_after_seconds
        # another client is not affected
        assert certificates.verify(session=session, number=earned.number,
                                   client="8.8.8.8").status is Verification.VALID
    finally:
        monkeypatch.delenv("COMMERCE_VERIFY_RATE_LIMIT_PER_MINUTE")
        get_settings.cache_clear()


def test_revocation_needs_a_category_and_a_reason_and_is_told(  # type: ignore[no-untyped-def]
    session: Session, earned: Certificate, super_admin: Actor, shop
) -> None:
    assert earned.id is not None
    for category, reason, field in [("bored", "A perfectly long reason.", "category"),
                                    ("other", "short", "reason")]:
        with pytest.raises(DomainError) as err:
            certificates.revoke(session=session, actor=super_admin, certificate_id=earned.id,
                                category=category, reason=reason)
        assert err.value.field == field
    other_dept = build_shop(session, super_admin, code="ELSE").department_id
    outsider = create_user(session, "other-admin@example.com",
                           grants=(Grant(RoleName.DEPT_ADMIN, other_dept),))
    with pytest.raises(DomainError) as err:
        certificates.revoke(session=session, actor=outsider, certificate_id=earned.id,
                            category="other", reason="Not my department at all.")
    assert err.value.kind is ErrorKind.FORBIDDEN
    certificates.revoke(session=session, actor=super_admin, certificate_id=earned.id,
                        category="other", reason="Requested by the learner.")
    with pytest.raises(DomainError) as err:
        certificates.revoke(session=session, actor=super_admin, certificate_id=earned.id,
                            category="other", reason="Requested by the learner.")
    assert err.value.code == "already_revoked"
    [email] = _emails(session, "certificate-revoked")
    assert "Requested by the learner." in message_from_payload(email.payload or {}).text
    history = certificates.detail(session=session, actor=super_admin,
                                  certificate_id=earned.id).history
    assert [h.action for h in history] == ["Issued", "Revoked"]
    assert history[1].reason == "Requested by the learner."


def test_manual_issue_for_a_course_and_a_program(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor
) -> None:
    insider = create_user(session, "dept-admin@example.com",
                          grants=(Grant(RoleName.DEPT_ADMIN, shop.department_id),))
    issue = certificates.ManualIssue(email="LEE@example.com", course_id=shop.courses["ML301"],
                                     completed_on=utcnow().date() - timedelta(days=3),
                                     grade="A", percentage=93,
                                     note="Completed the in-person bootcamp.")
    with pytest.raises(DomainError) as err:
        certificates.manual_issue(session=session, actor=insider,
                                  data=certificates.ManualIssue(
                                      email="lee@example.com", course_id=shop.courses["ML301"]))
    assert err.value.field == "note"
    certificate = certificates.manual_issue(session=session, actor=insider, data=issue)
    assert (certificate.recipient_name, certificate.description, certificate.grade) == (
        "Lee Learner", "Course ML301", "A")
    assert certificate.issued_by_id == insider.user_id
    with pytest.raises(DomainError) as err:
        certificates.manual_issue(session=session, actor=insider, data=issue)
    assert err.value.code == "already_certified"
    program = certificates.manual_issue(session=session, actor=insider, data=certificates
                                        .ManualIssue(email="lee@example.com",
                                                     program_id=shop.program_id,
                                                     note="Recognised prior learning."))
    assert program.kind == "program" and program.description == "Python Path"
    assert len(_emails(session, "certificate-earned")) == 2
    found = certificates.search(session=session, actor=insider, page=PageRequest(1, 25),
                                query=certificates.CertificateQuery(text="lee"))
    assert found.total == 2 and all(r.manual for r in found.items)
    with pytest.raises(DomainError) as err:
        certificates.manual_issue(session=session, actor=insider, data=certificates.ManualIssue(
            email="nobody@example.com", course_id=shop.courses["PY101"], note="A long note."))
    assert err.value.field == "email"


def test_admin_search_filters_and_scope(  # type: ignore[no-untyped-def]
    session: Session, earned: Certificate, super_admin: Actor, shop
) -> None:
    other = build_shop(session, super_admin, code="ELSE")
    outsider = create_user(session, "other-admin@example.com",
                           grants=(Grant(RoleName.DEPT_ADMIN, other.department_id),))
    page = PageRequest(1, 25)
    mine = certificates.search(session=session, actor=super_admin, page=page,
                               query=certificates.CertificateQuery(text=earned.number.lower()))
    assert [r.number for r in mine.items] == [earned.number]
    assert certificates.search(session=session, actor=outsider, page=page,
                               query=certificates.CertificateQuery()).total == 0
    for status, total in (("valid", 1), ("revoked", 0), ("expired", 0)):
        assert certificates.search(session=session, actor=super_admin, page=page,
                                   query=certificates.CertificateQuery(status=status)
                                   ).total == total
    by_course = certificates.CertificateQuery(course_id=shop.courses["PY101"])
    assert certificates.search(session=session, actor=super_admin, page=page,
                               query=by_course).total == 1


def test_templates_default_version_and_guard_rails(  # type: ignore[no-untyped-def]
    session: Session, shop, super_admin: Actor, earned: Certificate
) -> None:
    dept = shop.department_id
    first = templates.create_template(session=session, actor=super_admin,
                                      data=_template_in(dept))
    assert first.is_default  # the department's first template becomes its default
    second = templates.create_template(session=session, actor=super_admin,
                                       data=_template_in(dept, name="Modern"),
                                       make_default=True)
    session.refresh(first)
    assert second.is_default and not first.is_default
    assert templates.template_for_department(session, dept).id == second.id  # type: ignore[union-attr]
    assert first.id is not None and second.id is not None
    with pytest.raises(DomainError) as err:
        templates.update_template(session=session, actor=super_admin, template_id=first.id,
                                  data=_template_in(dept, body_text="Hi {{nickname}}"))
    assert err.value.field == "body_text" and "{{nickname}}" in err.value.message
    updated = templates.update_template(session=session, actor=super_admin,
                                        template_id=first.id, expected_version=1,
                                        data=_template_in(dept, name="Formal 2"))
    assert updated.version == 2
    with pytest.raises(DomainError) as err:
        templates.update_template(session=session, actor=super_admin, template_id=first.id,
                                  expected_version=1, data=_template_in(dept))
    assert err.value.code == "stale_template"
    earned.template_id = second.id
    session.add(earned)
    session.commit()
    with pytest.raises(DomainError) as err:
        templates.delete_template(session=session, actor=super_admin, template_id=second.id)
    assert err.value.code == "template_in_use"
    templates.delete_template(session=session, actor=super_admin, template_id=first.id)
    png = templates.preview_png(session=session, actor=super_admin, data=_template_in(dept),
                                width_px=600)
    assert png.startswith(b"\x89PNG")
    rows = templates.list_templates(session=session, actor=super_admin)
    assert [(r.name, r.is_default, r.certificates) for r in rows] == [("Modern", True, 1)]


def test_images_are_validated_and_the_logo_is_printed(  # type: ignore[no-untyped-def]
    session: Session, shop, super_admin: Actor
) -> None:
    from PIL import Image

    with pytest.raises(DomainError) as err:
        templates.store_image(session=session, actor=super_admin, data=b"not an image",
                              filename="x.png", purpose="logo")
    assert err.value.code == "invalid_image"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (30, 80, 160)).save(buffer, format="PNG")
    logo = templates.store_image(session=session, actor=super_admin, data=buffer.getvalue(),
                                 filename="logo.png", purpose="logo")
    templates.set_department_logo(session=session, actor=super_admin,
                                  department_id=shop.department_id, image_id=logo.id)
    assert templates.department_logo_id(session, shop.department_id) == logo.id
    design = templates.design_of(session, None, shop.department_id)
    assert design.logo == buffer.getvalue()
    assert templates.image_by_key(session=session, key=logo.key).width == 120


def test_progress_as_the_learner_and_the_admin_see_it(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor
) -> None:
    modules = course_modules(session, shop.courses["PY201"], n=4)
    enrollment = enrolled(session, learner, "course", shop.courses["PY201"])[0]
    assert enrollment.id is not None and enrollment.mode == "local"
    learning.set_completion_rule(
        session=session, actor=super_admin, course_id=shop.courses["PY201"],
        criteria=CompletionCriteria(requirement=Requirement.PERCENTAGE, min_percentage=50,
                                    assessment_module=modules[3], passing_score=70))
    outcome = learning.learner_mark_module(session=session, actor=learner,
                                           enrollment_id=enrollment.id, module_id=modules[0])
    assert outcome.completion.percent_done == 25 and not outcome.completion.complete
    course = learning.learner_course(session=session, user_id=learner.user_id,
                                     course_code="shop-py201")
    assert (course.modules_done, course.modules_total, course.percent) == (1, 4, 25)
    assert course.criteria == ("Complete 50% of the modules and score at least 70% in "
                               "Module 4.")
    stranger = create_user(session, "sam@example.com")
    with pytest.raises(DomainError):
        learning.learner_mark_module(session=session, actor=stranger,
                                     enrollment_id=enrollment.id, module_id=modules[1])
    done = learning.admin_record_progress(session=session, actor=super_admin,
                                          enrollment_id=enrollment.id, module_id=modules[3],
                                          completed=True, score=88, minutes=45)
    assert done.completion.complete and valid_number(done.certificate_number)
    audit = session.exec(select(AuditLog).where(AuditLog.action == "progress.recorded")).one()
    assert audit.actor_email == "root@example.com"
    rows = learning.list_enrollments(session=session, actor=super_admin,
                                     page=PageRequest(1, 25), text="lee")
    assert [(r.course_code, r.percent, r.certificate_number) for r in rows.items] == [
        ("SHOP-PY201", 50, done.certificate_number)]
    courses, _ = learning.learner_progress(session=session, user_id=learner.user_id)
    assert [(c.course_code, c.complete) for c in courses] == [("SHOP-PY201", True)]


def test_an_lms_course_is_not_marked_by_the_learner(session: Session, shop,  # type: ignore[no-untyped-def]
                                                    learner: Actor) -> None:
    modules = course_modules(session, shop.courses["SQL101"], n=1)
    enrollment = enrolled(session, learner, "course", shop.courses["SQL101"])[0]
    enrollment.mode = "lms"
    session.add(enrollment)
    session.commit()
    with pytest.raises(DomainError) as err:
        learning.learner_mark_module(session=session, actor=learner,
                                     enrollment_id=enrollment.id or 0, module_id=modules[0])
    assert err.value.code == "lms_course"


def test_program_progress_counts_completed_courses(session: Session, shop,  # type: ignore[no-untyped-def]
                                                   learner: Actor) -> None:
    course_ids = [shop.courses[c] for c in ("PY101", "PY201", "SQL101")]
    modules = {c: course_modules(session, c, n=1)[0] for c in course_ids}
    enrollments = enrolled(session, learner, "program", shop.program_id)
    first: Enrollment = next(e for e in enrollments if e.course_id == course_ids[0])
    record_progress(session=session, report=ProgressReport(first.id or 0,
                                                           modules[course_ids[0]], True))
    _, programs = learning.learner_progress(session=session, user_id=learner.user_id)
    assert [(p.program_title, p.courses_complete, p.courses_total, p.percent)
            for p in programs] == [("Python Path", 1, 3, 33)]


def test_completion_rules_are_validated(session: Session, shop,  # type: ignore[no-untyped-def]
                                        super_admin: Actor) -> None:
    course_id = shop.courses["ML301"]
    other = course_modules(session, shop.courses["PY101"], n=1)
    course_modules(session, course_id, n=2)
    with pytest.raises(DomainError) as err:
        learning.set_completion_rule(session=session, actor=super_admin, course_id=course_id,
                                     criteria=CompletionCriteria(
                                         requirement=Requirement.SPECIFIC_MODULES,
                                         required_modules=frozenset(other)))
    assert err.value.field == "required_modules"
    form = learning.completion_rule(session=session, actor=super_admin, course_id=course_id)
    assert form.description == "Complete every module." and len(form.modules) == 2
    assert session.exec(select(CourseModule)).all()
