"""The ledger of the report tests: two courses (two creators, one instructor and one
unassigned), two departments (one a subdepartment), October and November 2026, sales and
reversals, rows just outside the period and one sale in another currency. The expected figures
below are worked out by hand from these rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.models.catalog import Course
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.enrollment import Enrollment
from tests.conftest import create_department, create_user
from tests.revenue.ledger_book import Split, at, entry, make_order, refund_request

OCT_NOV = (date(2026, 10, 1), date(2026, 11, 30))
EVEN = Split(3000, 4000, 3000)
NO_INSTRUCTOR = Split(6000, 4000, 0)
FIELDS = ("gross", "refunds", "fees", "net", "platform", "creator", "instructor", "enrollments")

# (gross, refunds, fees, net, platform, creator, instructor, enrollments)
PY = (32_000, 10_000, 660, 21_340, 6_402, 8_536, 6_402, 3)
ACC = (16_000, 4_000, 360, 11_640, 6_984, 4_656, 0, 2)
TOTAL = (48_000, 14_000, 1_020, 32_980, 13_386, 13_192, 6_402, 5)
OCTOBER = (28_000, 0, 840, 27_160, 10_476, 10_864, 5_820, 3)
NOVEMBER = (20_000, 14_000, 180, 5_820, 2_910, 2_328, 582, 2)


@dataclass(frozen=True)
class Book:
    departments: dict[str, int]
    py: Course
    acc: Course
    people: dict[str, Actor]


def _course(session: Session, code: str, title: str, department_id: int,
            creator: Actor, instructor: Actor | None) -> Course:
    course = Course(code=code, title=title, department_id=department_id,
                    content_creator_id=creator.user_id,
                    instructor_id=instructor.user_id if instructor else None)
    session.add(course)
    session.flush()
    return course


def build_two_courses_two_months(session: Session) -> Book:
    """The scenario every figure of the report tests is computed from by hand."""
    eng = create_department(session, "ENG")
    data = create_department(session, "ENG-DATA", parent_id=eng)
    bus = create_department(session, "BUS")
    cara = create_user(session, "cara@example.com", full_name="Cara Creator")
    carl = create_user(session, "carl@example.com", full_name="Carl Creator")
    ivan = create_user(session, "ivan@example.com", full_name="Ivan Instructor")
    lee = create_user(session, "lee@example.com", full_name="Lee Learner")
    py = _course(session, "PY101", "Python Basics", data, cara, ivan)
    acc = _course(session, "ACC101", "Accounting", bus, carl, None)

    def sale(course: Course, day: str, gross: int, tax: int, fee: int,
             parts: tuple[int, int, int], split: Split, hour: int = 12,
             minute: int = 0, currency: str = "USD"):  # type: ignore[no-untyped-def]
        when = at(day, hour).replace(minute=minute, second=59 if minute else 0)
        order, line = make_order(session, lee.user_id, course, gross + tax, completed_at=when,
                                 currency=currency)
        entry(session, order, line, course, when=when, gross=gross, tax=tax, fee=fee,
              parts=parts, split=split, currency=currency)
        return order, line

    # in the period: October
    sale(py, "2026-10-05", 10_000, 1_000, 300, (2_910, 3_880, 2_910), EVEN)
    refunded_order, refunded_line = sale(py, "2026-10-20", 10_000, 1_000, 300,
                                         (2_910, 3_880, 2_910), EVEN)
    sale(acc, "2026-10-25", 8_000, 0, 240, (4_656, 3_104, 0), NO_INSTRUCTOR)
    # November: two sales, a full refund of the 20 October sale, half of the 3 November one
    half_order, half_line = sale(acc, "2026-11-03", 8_000, 0, 240, (4_656, 3_104, 0),
                                 NO_INSTRUCTOR)
    sale(py, "2026-11-10", 12_000, 1_200, 360, (3_492, 4_656, 3_492), EVEN)
    full = refund_request(session, refunded_order, 11_000, at("2026-11-12"))
    entry(session, refunded_order, refunded_line, py, when=at("2026-11-12"), gross=-10_000,
          tax=-1_000, fee=-300, parts=(-2_910, -3_880, -2_910), split=EVEN, reversal_of=full)
    half = refund_request(session, half_order, 4_000, at("2026-11-15"))
    entry(session, half_order, half_line, acc, when=at("2026-11-15"), gross=-4_000, tax=0,
          fee=-120, parts=(-2_328, -1_552, 0), split=NO_INSTRUCTOR, reversal_of=half)
    # just outside the period on both sides, and a sale in another currency inside it
    sale(py, "2026-09-30", 5_000, 0, 150, (1_455, 1_940, 1_455), EVEN, hour=23, minute=59)
    sale(acc, "2026-12-01", 8_000, 0, 240, (4_656, 3_104, 0), NO_INSTRUCTOR, hour=0)
    sale(acc, "2026-11-20", 5_000, 0, 150, (2_910, 1_940, 0), NO_INSTRUCTOR, currency="EUR")

    # PY101: two enrollments started in the period, one completed; one before it (ignored)
    assert py.id is not None
    for n, (day, certified) in enumerate(
        [("2026-10-05", True), ("2026-10-20", False), ("2026-09-15", True)]
    ):
        enrollment = Enrollment(user_id=lee.user_id, course_id=py.id, source="registration",
                                mode="local", status="active", requested_at=at(day))
        session.add(enrollment)
        session.flush()
        if certified:
            session.add(Certificate(
                number=f"CERT-TEST-{n}", user_id=lee.user_id, kind="course", course_id=py.id,
                department_id=py.department_id, enrollment_id=enrollment.id,
                recipient_name="Lee Learner", title="Python Basics", description="Course"))
    session.commit()
    people = {"cara": cara, "carl": carl, "ivan": ivan, "lee": lee}
    return Book({"ENG": eng, "ENG-DATA": data, "BUS": bus}, py, acc, people)
