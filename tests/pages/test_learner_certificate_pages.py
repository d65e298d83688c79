"""The learner's progress, certificates and the public verification page, driven through their
page states as a browser would (no server): what the learner reads after each step."""

from __future__ import annotations

from typing import Any, TypeVar

import pytest
import reflex as rx
from reflex.constants import RouteArgType
from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.certificate_status import Verification
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.certificates import Certificate
from commerce_dash.pages.public import verify as verify_page
from commerce_dash.pages.public.verify import VerifyState, verification_view
from commerce_dash.pages.store.certificates import MyCertificatesState
from commerce_dash.pages.store.learn import LearnState
from commerce_dash.pages.store.my_courses import MyCoursesState
from commerce_dash.services.learning.certificate_lookup import VerificationResult
from tests.builders import course_modules, enrolled
from tests.pages.harness import page_state, token_for
from tests.pages.harness import run_event as _run

S = TypeVar("S", bound=rx.State)
IP = "203.0.113.7"

# The app installs these when it registers /account/learn/[code] and /verify/[number].
rx.State.setup_dynamic_args({"code": RouteArgType.SINGLE, "number": RouteArgType.SINGLE})


def _state(cls: type[S], path: str, params: dict[str, str], token: str = "") -> S:
    return page_state(cls, path, params, token)


def _toasts(events: list[Any]) -> str:
    return " | ".join(str(e) for e in events)



@pytest.fixture
def token(session: Session, learner: Actor) -> str:
    return token_for(session, "lee@example.com", ip=IP)


@pytest.fixture
def enrolled_in_two_modules(session: Session, shop, learner: Actor) -> str:  # type: ignore[no-untyped-def]
    """Lee is enrolled in SHOP-PY101, a local course of two modules; returns its code."""
    course_modules(session, shop.courses["PY101"], n=2)
    enrolled(session, learner, "course", shop.courses["PY101"])
    return "SHOP-PY101"


def test_the_public_page_says_what_each_status_means() -> None:
    # given the results the service can give
    valid = VerificationResult(
        "CERT-2025-A",
        Verification.VALID,
        "Lee",
        "Program Certificate",
        "program",
        "Python Path",
        "SHOP School",
        "2025-03-01",
        "2025-03-02",
    )
    revoked = VerificationResult(
        "CERT-2025-B",
        Verification.REVOKED,
        revoked_on="2025-04-05",
        revoked_category="Issued in error",
        kind="course",
    )
    expired = VerificationResult("CERT-2025-C", Verification.EXPIRED, expires_on="2025-05-06")
    missing = VerificationResult("CERT-2025-D", Verification.NOT_FOUND)
    # when the page turns them into its card
    views = [verification_view(r) for r in (valid, revoked, expired, missing)]
    # then each says its status in words and colour
    assert [(v["heading"], v["color"]) for v in views] == [
        ("Valid", "green"),
        ("Revoked", "red"),
        ("Expired", "amber"),
        ("Not found", "gray"),
    ]
    assert views[0]["kind_label"] == "Program" and views[0]["issued_on"] == "Mar 02, 2025"
    assert views[1]["sentence"] == "This certificate was revoked on Apr 05, 2025."
    assert views[1]["revoked_category"] == "Issued in error"
    assert views[2]["sentence"] == "This certificate expired on May 06, 2025."
    assert views[3]["sentence"].startswith("No certificate has this number.")


def test_a_learner_marks_modules_complete_and_gets_the_certificate(
    session: Session, enrolled_in_two_modules: str, token: str
) -> None:
    # given Lee opens the learning page of the course
    code = enrolled_in_two_modules
    learn = _state(LearnState, f"{routes.LEARN}/{code}", {"code": code}, token)
    _run(LearnState.load, learn)
    assert learn.found == "found" and learn.can_mark
    assert (learn.modules_done, learn.modules_total, learn.status_label) == (0, 2, "Enrolled")
    assert learn.criteria == "Complete every module." and learn.certificate_number == ""
    first, second = learn.modules
    # when Lee marks the first module complete
    events = _run(LearnState.mark_complete, learn, first.id)
    # then one of two is done and no certificate yet
    assert "Module marked complete · 1 of 2 modules done" in _toasts(events)
    assert learn.percent == 50 and learn.modules[0].done and learn.certificate_number == ""
    # when Lee marks the last one
    events = _run(LearnState.mark_complete, learn, second.id)
    # then the course is complete and the certificate panel has its links
    number = session.exec(select(Certificate.number)).one()
    assert f"Course complete — your certificate {number} is ready" in _toasts(events)
    assert learn.status_label == "Complete" and learn.certificate_number == number
    assert learn.certificate_public == f"/verify/{number}"
    assert learn.certificate_download.startswith("/api/v2/certificates/")
    assert learn.certificate_share.endswith(f"/verify/{number}")
    # and the account page and the certificates page show it
    courses = _state(MyCoursesState, routes.ACCOUNT, {}, token)
    _run(MyCoursesState.load, courses)
    [row] = courses.courses
    assert (row.status, row.percent, row.certificate_href) == ("Complete", 100, f"/verify/{number}")
    assert row.href == f"{routes.LEARN}/{code}"
    mine = _state(MyCertificatesState, routes.MY_CERTIFICATES, {}, token)
    _run(MyCertificatesState.load, mine)
    [cert] = mine.rows
    assert (cert["number"], cert["status_label"], cert["title"]) == (
        number,
        "Valid",
        "Course PY101",
    )


def test_a_course_the_learner_is_not_enrolled_in_says_so(shop, token: str) -> None:  # type: ignore[no-untyped-def]
    learn = _state(LearnState, f"{routes.LEARN}/SHOP-ML301", {"code": "SHOP-ML301"}, token)
    _run(LearnState.load, learn)
    assert learn.found == "missing"
    assert learn.missing_message == "You are not enrolled in this course."
    assert learn.course_href == "/store/course/SHOP-ML301"


def test_signed_out_visitors_are_sent_to_sign_in(database: str) -> None:
    learn = _state(LearnState, f"{routes.LEARN}/SHOP-PY101", {"code": "SHOP-PY101"})
    assert "/login?next=/account/learn/SHOP-PY101" in _toasts(_run(LearnState.load, learn))
    mine = _state(MyCertificatesState, routes.MY_CERTIFICATES, {})
    assert "/login?next=/account/certificates" in _toasts(_run(MyCertificatesState.load, mine))


def test_anyone_can_verify_a_number_and_a_rate_limit_is_explained(
    session: Session,
    enrolled_in_two_modules: str,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given Lee's certificate
    learn = _state(
        LearnState,
        f"{routes.LEARN}/{enrolled_in_two_modules}",
        {"code": enrolled_in_two_modules},
        token,
    )
    _run(LearnState.load, learn)
    for module in learn.modules:
        _run(LearnState.mark_complete, learn, module.id)
    number = learn.certificate_number
    # when a visitor (no session) opens its public page, typed in lower case
    page = _state(VerifyState, f"{routes.VERIFY}/{number.lower()}", {"number": number.lower()})
    _run(VerifyState.load, page)
    # then it is valid, with the recipient and the course
    assert page.phase == "done"
    assert (
        page.result["heading"],
        page.result["recipient"],
        page.result["item_title"],
        page.result["number"],
    ) == ("Valid", "Lee Learner", "Course PY101", number)
    # and a number nobody holds is not found
    other = _state(
        VerifyState, f"{routes.VERIFY}/CERT-2025-0000000000Z", {"number": "CERT-2025-0000000000Z"}
    )
    _run(VerifyState.load, other)
    assert other.result["heading"] == "Not found"

    # when the lookups are over the limit
    def refuse(**_: object) -> VerificationResult:
        raise DomainError(
            "rate_limited",
            "Too many requests; try again in 30 seconds.",
            kind=ErrorKind.RATE_LIMITED,
        )

    monkeypatch.setattr(verify_page.learning_area, "verify", refuse)
    events = _run(VerifyState.load, page)
    # then the page explains it instead of failing
    assert page.phase == "error" and page.error_title.startswith("Too many lookups")
    assert page.error_message == "Too many requests; try again in 30 seconds."
    assert "Too many lookups" in _toasts(events)


def test_the_search_box_goes_to_the_number_page(database: str) -> None:
    page = _state(VerifyState, routes.VERIFY, {})
    _run(VerifyState.load, page)
    assert page.phase == "idle"
    assert "/verify/CERT-2025-ABC" in _toasts(
        _run(VerifyState.search, page, {"number": " cert-2025-abc "})
    )
    assert "Type the number" in _toasts(_run(VerifyState.search, page, {"number": "  "}))
