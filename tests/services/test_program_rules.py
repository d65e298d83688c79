"""Programs take only published courses from the admin's own departments, and a program's
price never falls below the bundle rule: more than nothing, less than its courses together."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from commerce_dash.api import create_api
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.catalog import Program, ProgramCourse
from commerce_dash.models.pricing import Price
from commerce_dash.services.catalog import pricing, programs
from commerce_dash.services.platform import org
from tests.conftest import PASSWORD, create_user

# issue 13: these findings are proven on SQLite and on PostgreSQL in every run
pytestmark = pytest.mark.usefixtures("both_databases")


@pytest.fixture
def courses(session, super_admin, engineering_with_subdepartment):
    """Published ENG-101 (ENG), DATA-101 (ENG-DATA) and BUS-101 (BUS); a draft ENG-190 (ENG)."""
    depts = engineering_with_subdepartment
    made = {}
    for code, title, dept, published in [
        ("ENG-101", "Python Basics", "ENG", True),
        ("DATA-101", "Data Analysis", "ENG-DATA", True),
        ("BUS-101", "Accounting", "BUS", True),
        ("ENG-190", "Draft Systems", "ENG", False),
    ]:
        made[code] = org.create_course(
            session=session,
            actor=super_admin,
            code=code,
            title=title,
            department_id=depts[dept],
            published=published,
        ).id
    return made


@pytest.fixture
def eng_admin(session, engineering_with_subdepartment):
    return create_user(
        session,
        "dana@example.com",
        grants=(Grant(RoleName.DEPT_ADMIN, engineering_with_subdepartment["ENG"]),),
    )


@pytest.fixture
def billing_admin(session):
    return create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))


def _audit(session, action):
    return session.exec(select(AuditLog).where(AuditLog.action == action)).all()


def _create(session, actor, department_id, course_ids, code="ENG-PATH", published=False):
    return programs.create_program(
        session=session,
        actor=actor,
        code=code,
        title="Engineering path",
        department_id=department_id,
        course_ids=course_ids,
        published=published,
    )


def _update(session, actor, program_id, course_ids, published=False, title="Engineering path"):
    return programs.update_program(
        session=session,
        actor=actor,
        program_id=program_id,
        title=title,
        description="",
        published=published,
        course_ids=course_ids,
    )


def _stored_courses(session, program_id):
    return session.exec(
        select(ProgramCourse.course_id)
        .where(ProgramCourse.program_id == program_id)
        .order_by(ProgramCourse.position)
    ).all()


# -- which courses a program takes ---------------------------------------------------------


def test_a_dept_admin_cannot_create_a_program_holding_another_departments_course(
    session, courses, eng_admin, engineering_with_subdepartment
):
    # given the ENG dept-admin
    eng = engineering_with_subdepartment["ENG"]
    # when they create an ENG program holding the BUS course
    with pytest.raises(DomainError) as err:
        _create(session, eng_admin, eng, [courses["ENG-101"], courses["BUS-101"]])
    # then they are refused, told which course is not theirs
    assert err.value.kind is ErrorKind.FORBIDDEN
    assert (err.value.code, err.value.field) == ("course_not_managed", "course_ids")
    assert "BUS-101 Accounting" in err.value.message
    # and nothing was created or audited
    assert session.exec(select(Program)).all() == []
    assert _audit(session, "program.created") == []


def test_a_dept_admin_cannot_edit_another_departments_course_into_their_program(
    session, courses, eng_admin, engineering_with_subdepartment
):
    # given an ENG program the ENG admin built from ENG and ENG-DATA (a subdepartment) courses
    eng = engineering_with_subdepartment["ENG"]
    program = _create(session, eng_admin, eng, [courses["ENG-101"], courses["DATA-101"]])
    assert len(_audit(session, "program.created")) == 1
    # when they add the BUS course to it
    with pytest.raises(DomainError) as err:
        _update(
            session,
            eng_admin,
            program.id,
            [courses["ENG-101"], courses["DATA-101"], courses["BUS-101"]],
        )
    # then they are refused, naming the course, and the program is as it was
    assert err.value.kind is ErrorKind.FORBIDDEN
    assert (err.value.code, err.value.field) == ("course_not_managed", "course_ids")
    assert "BUS-101 Accounting" in err.value.message
    assert _stored_courses(session, program.id) == [courses["ENG-101"], courses["DATA-101"]]
    assert _audit(session, "program.updated") == []


def test_a_billing_admin_may_bundle_courses_of_several_departments(
    session, courses, billing_admin, engineering_with_subdepartment
):
    # when a billing admin creates an ENG program holding the BUS course
    program = _create(
        session,
        billing_admin,
        engineering_with_subdepartment["ENG"],
        [courses["ENG-101"], courses["BUS-101"]],
    )
    # then it is created and audited
    assert _stored_courses(session, program.id) == [courses["ENG-101"], courses["BUS-101"]]
    (row,) = _audit(session, "program.created")
    assert row.actor_email == "bill@example.com"
    assert row.after["course_ids"] == [courses["ENG-101"], courses["BUS-101"]]


def test_an_unpublished_course_cannot_be_put_in_a_new_program(
    session, courses, super_admin, engineering_with_subdepartment
):
    # when even a super-admin creates a (draft) program holding the draft course
    with pytest.raises(DomainError) as err:
        _create(
            session,
            super_admin,
            engineering_with_subdepartment["ENG"],
            [courses["ENG-101"], courses["ENG-190"]],
        )
    # then it is refused, naming the course and what to do
    assert err.value.kind is ErrorKind.INVALID
    assert (err.value.code, err.value.field) == ("course_not_published", "course_ids")
    assert err.value.message == (
        "ENG-190 Draft Systems is not published; publish it before adding it to a program."
    )
    assert session.exec(select(Program)).all() == []
    assert _audit(session, "program.created") == []


def test_an_unpublished_course_cannot_be_edited_into_a_program(
    session, courses, eng_admin, engineering_with_subdepartment
):
    # given a draft program of two published courses
    program = _create(
        session,
        eng_admin,
        engineering_with_subdepartment["ENG"],
        [courses["ENG-101"], courses["DATA-101"]],
    )
    # when the draft course is added to it
    with pytest.raises(DomainError) as err:
        _update(
            session,
            eng_admin,
            program.id,
            [courses["ENG-101"], courses["DATA-101"], courses["ENG-190"]],
        )
    # then it is refused, and the program keeps its courses
    assert (err.value.code, err.value.field) == ("course_not_published", "course_ids")
    assert "ENG-190 Draft Systems is not published" in err.value.message
    assert _stored_courses(session, program.id) == [courses["ENG-101"], courses["DATA-101"]]
    assert _audit(session, "program.updated") == []


def test_a_program_cannot_be_published_while_one_of_its_courses_is_unpublished(
    session, courses, eng_admin, engineering_with_subdepartment
):
    # given a published program whose second course was unpublished since
    eng = engineering_with_subdepartment["ENG"]
    program = _create(
        session, eng_admin, eng, [courses["ENG-101"], courses["DATA-101"]], published=True
    )
    org.set_course_published(
        session=session, actor=eng_admin, course_id=courses["DATA-101"], published=False
    )
    # when the admin takes the program off sale, that is allowed
    _update(session, eng_admin, program.id, [courses["ENG-101"], courses["DATA-101"]])
    assert session.get(Program, program.id).published is False
    assert len(_audit(session, "program.updated")) == 1
    # but publishing it again is refused, naming the course
    with pytest.raises(DomainError) as err:
        _update(
            session,
            eng_admin,
            program.id,
            [courses["ENG-101"], courses["DATA-101"]],
            published=True,
        )
    assert (err.value.code, err.value.field) == ("course_not_published", "course_ids")
    assert err.value.message.startswith("DATA-101 Data Analysis is not published")
    assert session.get(Program, program.id).published is False
    assert len(_audit(session, "program.updated")) == 1


# -- what a program may cost ---------------------------------------------------------------


@pytest.fixture
def priced_program(session, courses, super_admin, engineering_with_subdepartment):
    """A published ENG program of ENG-101 ($49.00) and DATA-101 ($59.00): $108.00 together;
    ENG-101 also costs €45.00, DATA-101 has no EUR price."""
    for code, amount, currency in [
        ("ENG-101", 4900, "USD"),
        ("DATA-101", 5900, "USD"),
        ("ENG-101", 4500, "EUR"),
    ]:
        pricing.create_price(
            session=session,
            actor=super_admin,
            item_type="course",
            item_id=courses[code],
            price_type="one_time",
            amount=amount,
            currency=currency,
        )
    return _create(
        session,
        super_admin,
        engineering_with_subdepartment["ENG"],
        [courses["ENG-101"], courses["DATA-101"]],
        published=True,
    ).id


def _price_program(session, actor, program_id, amount, price_type="one_time", currency="USD"):
    return pricing.create_price(
        session=session,
        actor=actor,
        item_type="program",
        item_id=program_id,
        price_type=price_type,
        amount=amount,
        currency=currency,
    )


def _program_prices(session, program_id):
    return session.exec(
        select(Price).where(Price.item_type == "program", Price.item_id == program_id)
    ).all()


def _program_price_audits(session):
    return [
        row
        for row in _audit(session, "price.created")
        if row.after and row.after["item"].startswith("program:")
    ]


@pytest.mark.parametrize(("price_type", "amount"), [("free", 0), ("one_time", 0)])
def test_a_bundle_of_paid_courses_is_never_given_away(
    session, priced_program, billing_admin, price_type, amount
):
    # when the billing admin prices the $108.00 bundle at nothing
    with pytest.raises(DomainError) as err:
        _price_program(session, billing_admin, priced_program, amount, price_type)
    # then it is refused, saying what the courses cost and what the bundle must cost
    assert (err.value.code, err.value.field) == ("bundle_given_away", "amount")
    assert "$108.00" in err.value.message
    assert "more than nothing and less than" in err.value.message
    assert _program_prices(session, priced_program) == []
    assert _program_price_audits(session) == []


@pytest.mark.parametrize("amount", [10800, 12000])
def test_a_bundle_priced_at_or_above_its_courses_together_is_refused(
    session, priced_program, billing_admin, amount
):
    with pytest.raises(DomainError) as err:
        _price_program(session, billing_admin, priced_program, amount)
    assert (err.value.code, err.value.field) == ("bundle_not_cheaper", "amount")
    assert "$108.00" in err.value.message
    assert "more than nothing and less than" in err.value.message
    assert _program_prices(session, priced_program) == []
    assert _program_price_audits(session) == []


def test_a_bundle_just_below_its_courses_together_is_accepted(
    session, priced_program, billing_admin
):
    # when the bundle is priced a cent below its courses
    price = _price_program(session, billing_admin, priced_program, 10799)
    # then the price is in force and the audit row records the saving
    assert price.amount == 10799
    (row,) = _program_price_audits(session)
    assert row.after["amount"] == 10799 and row.after["savings"] == 1


@pytest.mark.parametrize(("price_type", "amount"), [("one_time", 4000), ("free", 0)])
def test_a_program_cannot_be_priced_in_a_currency_its_courses_lack(
    session, priced_program, billing_admin, price_type, amount
):
    # when the program is priced in EUR, where DATA-101 has no price
    with pytest.raises(DomainError) as err:
        _price_program(session, billing_admin, priced_program, amount, price_type, "EUR")
    # then it is refused, naming the course without a EUR price
    assert (err.value.code, err.value.field) == ("course_without_price", "currency")
    assert "cannot be priced in EUR" in err.value.message
    assert "Data Analysis" in err.value.message and "Python Basics" not in err.value.message
    assert _program_prices(session, priced_program) == []


def test_a_bundle_of_free_courses_can_only_be_free(
    session, courses, super_admin, engineering_with_subdepartment
):
    # given a published program of two free courses
    for code in ("ENG-101", "DATA-101"):
        pricing.create_price(
            session=session,
            actor=super_admin,
            item_type="course",
            item_id=courses[code],
            price_type="free",
            amount=0,
            currency="USD",
        )
    program = _create(
        session,
        super_admin,
        engineering_with_subdepartment["ENG"],
        [courses["ENG-101"], courses["DATA-101"]],
        published=True,
    )
    # when it is given a paid price, that is refused
    with pytest.raises(DomainError) as err:
        _price_program(session, super_admin, program.id, 500)
    assert err.value.code == "bundle_not_cheaper"
    assert "free" in err.value.message
    # and a free price is accepted
    assert _price_program(session, super_admin, program.id, 0, "free").price_type == "free"


def test_the_pricing_api_refuses_a_free_bundle_as_json(session, priced_program, billing_admin):
    # given the billing admin signed in to the API
    with TestClient(create_api()) as client:
        token = client.post(
            "/api/v2/auth/login", json={"email": "bill@example.com", "password": PASSWORD}
        ).json()["token"]
        # when they post a free price for the $108.00 bundle
        response = client.post(
            "/api/v2/admin/pricing",
            json={
                "item_type": "program",
                "item_id": priced_program,
                "price_type": "free",
                "amount": 0,
                "currency": "USD",
            },
            headers={"Authorization": f"Bearer {token}"},
        )
    # then the answer is a 422 with the rule's code and message
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "bundle_given_away"
    assert "$108.00" in body["message"]
    assert _program_prices(session, priced_program) == []
