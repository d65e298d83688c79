"""Admin lists and edits of courses and programs: scoping, validation, audit."""

from datetime import timedelta

import pytest
from sqlmodel import select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.catalog import Course, Program, ProgramCourse
from commerce_dash.services.catalog import pricing, programs
from commerce_dash.services.platform import org
from tests.conftest import create_user

PAGE = PageRequest(1, 50)


@pytest.fixture
def catalog(session, super_admin, engineering_with_subdepartment):
    """Published courses ENG-1 and ENG-2 in ENG, DATA-1 in ENG-DATA (with two modules), a draft
    BUS-1 in BUS, and program ENG-P of ENG-1 then DATA-1."""
    depts = engineering_with_subdepartment

    def course(code, dept, published=True, modules=()):
        return org.create_course(
            session=session,
            actor=super_admin,
            code=code,
            title=f"Course {code}",
            department_id=depts[dept],
            published=published,
            modules=[org.ModuleSpec(m) for m in modules],
        ).id

    ids = {
        "ENG-1": course("ENG-1", "ENG"),
        "ENG-2": course("ENG-2", "ENG"),
        "DATA-1": course("DATA-1", "ENG-DATA", modules=("Intro", "Inference")),
        "BUS-1": course("BUS-1", "BUS", published=False),
    }
    program = programs.create_program(
        session=session,
        actor=super_admin,
        code="ENG-P",
        title="Engineering path",
        department_id=depts["ENG"],
        course_ids=[ids["ENG-1"], ids["DATA-1"]],
    )
    return {"depts": depts, "courses": ids, "program": program.id}


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


def test_a_dept_admin_lists_courses_of_their_department_and_its_subdepartments(
    session, catalog, eng_admin, super_admin
):
    # when the ENG admin lists courses
    page = org.list_courses(session=session, actor=eng_admin, page=PAGE)
    # then ENG and ENG-DATA courses show, BUS does not
    assert [r.code for r in page.items] == ["DATA-1", "ENG-1", "ENG-2"]
    data = page.items[0]
    assert data.department == "Department ENG-DATA" and data.modules == 2 and data.published
    # and a super-admin sees every course
    assert org.list_courses(session=session, actor=super_admin, page=PAGE).total == 4


def test_course_filters_search_department_with_children_and_published(
    session, catalog, super_admin
):
    depts = catalog["depts"]
    # when filtering by the parent department
    by_dept = org.list_courses(
        session=session, actor=super_admin, page=PAGE, department_id=depts["ENG"]
    )
    # then its subdepartment's courses are included
    assert {r.code for r in by_dept.items} == {"ENG-1", "ENG-2", "DATA-1"}
    drafts = org.list_courses(session=session, actor=super_admin, page=PAGE, published=False)
    assert [r.code for r in drafts.items] == ["BUS-1"]
    found = org.list_courses(session=session, actor=super_admin, page=PAGE, search="data")
    assert [r.code for r in found.items] == ["DATA-1"]
    paged = org.list_courses(session=session, actor=super_admin, page=PageRequest(2, 3))
    assert paged.total == 4 and [r.code for r in paged.items] == ["ENG-2"]


def test_billing_admins_cannot_open_courses_and_dept_admins_keep_to_their_departments(
    session, catalog, billing_admin, eng_admin
):
    with pytest.raises(DomainError) as err:
        org.list_courses(session=session, actor=billing_admin, page=PAGE)
    assert err.value.kind is ErrorKind.FORBIDDEN
    # and a dept-admin cannot touch another department's course
    with pytest.raises(DomainError) as other:
        org.set_course_published(
            session=session, actor=eng_admin, course_id=catalog["courses"]["BUS-1"], published=True
        )
    assert other.value.kind is ErrorKind.FORBIDDEN
    assert session.get(Course, catalog["courses"]["BUS-1"]).published is False


def test_publishing_and_unpublishing_is_audited_once(session, catalog, eng_admin):
    course_id = catalog["courses"]["DATA-1"]
    # when unpublished twice, then published again
    org.set_course_published(session=session, actor=eng_admin, course_id=course_id, published=False)
    org.set_course_published(session=session, actor=eng_admin, course_id=course_id, published=False)
    course = org.set_course_published(
        session=session, actor=eng_admin, course_id=course_id, published=True
    )
    # then the course is published and each real change has one audit row
    assert course.published is True
    assert len(_audit(session, "course.unpublished")) == 1
    published = _audit(session, "course.published")
    assert len(published) == 1 and published[0].actor_email == "dana@example.com"
    assert published[0].before == {"published": False} and published[0].after == {"published": True}


def test_updating_a_course_keeps_only_the_changes_in_the_audit(session, catalog, eng_admin):
    course_id = catalog["courses"]["ENG-1"]
    # when the title, duration and approval rule change
    course = org.update_course(
        session=session,
        actor=eng_admin,
        course_id=course_id,
        title="  Engineering   basics ",
        description="",
        category="",
        estimated_minutes=90,
        thumbnail_url="",
        approval_required=True,
    )
    # then the course holds them
    assert course.title == "Engineering basics"
    assert course.estimated_minutes == 90 and course.approval_required is True
    # and the audit row names what changed, before and after
    (row,) = _audit(session, "course.updated")
    assert row.before == {
        "title": "Course ENG-1",
        "estimated_minutes": 0,
        "approval_required": None,
    }
    assert row.after == {
        "title": "Engineering basics",
        "estimated_minutes": 90,
        "approval_required": True,
    }


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"title": "   "}, "title_required", "title"),
        ({"estimated_minutes": -5}, "invalid_duration", "estimated_minutes"),
        ({"thumbnail_url": "javascript:alert(1)"}, "invalid_url", "thumbnail_url"),
        ({"category": "x" * 81}, "category_too_long", "category"),
    ],
)
def test_course_edits_are_validated_per_field(session, catalog, super_admin, changes, code, field):
    values = {
        "title": "Fine",
        "description": "",
        "category": "",
        "estimated_minutes": 0,
        "thumbnail_url": "https://cdn.example.com/a.png",
        "approval_required": None,
    } | changes
    with pytest.raises(DomainError) as err:
        org.update_course(
            session=session, actor=super_admin, course_id=catalog["courses"]["ENG-2"], **values
        )
    assert (err.value.code, err.value.field) == (code, field)
    assert session.get(Course, catalog["courses"]["ENG-2"]).title == "Course ENG-2"
    assert _audit(session, "course.updated") == []


def test_billing_admins_see_and_edit_programs_of_every_department(
    session, catalog, billing_admin, super_admin
):
    courses = catalog["courses"]
    # given the draft BUS-1 published (programs take published courses only)
    org.set_course_published(
        session=session, actor=super_admin, course_id=courses["BUS-1"], published=True
    )
    # when a billing admin creates a BUS program
    created = programs.create_program(
        session=session,
        actor=billing_admin,
        code="BUS-P",
        title="Business mix",
        department_id=catalog["depts"]["BUS"],
        course_ids=[courses["BUS-1"], courses["ENG-2"]],
    )
    # then they list every program with its course count
    page = programs.list_programs(session=session, actor=billing_admin, page=PAGE)
    assert [(r.code, r.courses) for r in page.items] == [("BUS-P", 2), ("ENG-P", 2)]
    # and may edit an ENG program
    programs.update_program(
        session=session,
        actor=billing_admin,
        program_id=catalog["program"],
        title="Engineering path",
        description="",
        published=True,
        course_ids=[courses["ENG-1"], courses["DATA-1"]],
    )
    assert session.get(Program, catalog["program"]).published is True
    assert created.department_id == catalog["depts"]["BUS"]


def test_a_dept_admin_sees_programs_of_their_departments_only(
    session, catalog, eng_admin, super_admin
):
    courses = catalog["courses"]
    org.set_course_published(
        session=session, actor=super_admin, course_id=courses["BUS-1"], published=True
    )
    bus = programs.create_program(
        session=session,
        actor=super_admin,
        code="BUS-P",
        title="Business",
        department_id=catalog["depts"]["BUS"],
        course_ids=[courses["BUS-1"], courses["ENG-1"]],
    )
    page = programs.list_programs(session=session, actor=eng_admin, page=PAGE)
    assert [r.code for r in page.items] == ["ENG-P"]
    with pytest.raises(DomainError) as err:
        programs.get_program(session=session, actor=eng_admin, program_id=bus.id)
    assert err.value.kind is ErrorKind.FORBIDDEN
    with pytest.raises(DomainError) as create:
        programs.create_program(
            session=session,
            actor=eng_admin,
            code="BUS-Q",
            title="Not mine",
            department_id=catalog["depts"]["BUS"],
            course_ids=[courses["BUS-1"], courses["ENG-1"]],
        )
    assert create.value.kind is ErrorKind.FORBIDDEN
    # and the course picker offers their courses only
    labels = [label for _, label in org.course_options(session=session, actor=eng_admin)]
    assert labels == ["DATA-1 — Course DATA-1", "ENG-1 — Course ENG-1", "ENG-2 — Course ENG-2"]


def test_updating_a_program_replaces_its_course_order_and_audits_it(session, catalog, eng_admin):
    courses = catalog["courses"]
    program_id = catalog["program"]
    new_order = [courses["DATA-1"], courses["ENG-2"], courses["ENG-1"]]
    # when the ENG admin reorders and extends the program
    programs.update_program(
        session=session,
        actor=eng_admin,
        program_id=program_id,
        title="Engineering path",
        description="Three steps",
        published=False,
        course_ids=new_order,
    )
    # then the stored order is the new one
    stored = session.exec(
        select(ProgramCourse.course_id)
        .where(ProgramCourse.program_id == program_id)
        .order_by(ProgramCourse.position)
    ).all()
    assert stored == new_order
    detail = programs.get_program(session=session, actor=eng_admin, program_id=program_id)
    assert [label for _, label in detail.courses] == [
        "DATA-1 — Course DATA-1",
        "ENG-2 — Course ENG-2",
        "ENG-1 — Course ENG-1",
    ]
    assert detail.description == "Three steps"
    # and the audit row holds the order before and after
    (row,) = _audit(session, "program.updated")
    assert row.before == {
        "description": "",
        "course_ids": [courses["ENG-1"], courses["DATA-1"]],
    }
    assert row.after == {"description": "Three steps", "course_ids": new_order}


@pytest.mark.parametrize(
    ("order", "code"),
    [
        (["ENG-1"], "program_too_small"),
        (["ENG-1", "ENG-1"], "duplicate_course"),
        (["ENG-1", 99_999], "course_not_found"),
    ],
)
def test_program_edits_keep_the_creation_rules(session, catalog, super_admin, order, code):
    ids = [catalog["courses"].get(c, c) for c in order]
    with pytest.raises(DomainError) as err:
        programs.update_program(
            session=session,
            actor=super_admin,
            program_id=catalog["program"],
            title="Engineering path",
            description="",
            published=False,
            course_ids=ids,
        )
    assert err.value.code == code
    assert (
        len(
            programs.get_program(
                session=session, actor=super_admin, program_id=catalog["program"]
            ).courses
        )
        == 2
    )
    assert _audit(session, "program.updated") == []


def test_bundle_prices_show_the_saving_against_the_courses(session, catalog, super_admin):
    courses = catalog["courses"]
    program_id = catalog["program"]
    programs.update_program(
        session=session,
        actor=super_admin,
        program_id=program_id,
        title="Engineering path",
        description="",
        published=True,
        course_ids=[courses["ENG-1"], courses["DATA-1"]],
    )
    for key, amount in (("ENG-1", 5000), ("DATA-1", 3000)):
        pricing.create_price(
            session=session,
            actor=super_admin,
            item_type="course",
            item_id=courses[key],
            price_type="one_time",
            amount=amount,
            currency="USD",
        )
    pricing.create_price(
        session=session,
        actor=super_admin,
        item_type="program",
        item_id=program_id,
        price_type="one_time",
        amount=6500,
        currency="USD",
    )
    # when the bundle prices are looked up a moment later
    found = programs.bundle_prices(
        session=session,
        program_ids=[program_id],
        currency="USD",
        at=utcnow() + timedelta(seconds=1),
        locale="en_US",
    )
    # then the program shows its price and what it saves
    bundle = found[program_id]
    assert (bundle.amount_label, bundle.savings, bundle.savings_label) == ("$65.00", 1500, "$15.00")
    assert (
        programs.bundle_prices(
            session=session, program_ids=[program_id], currency="EUR", at=utcnow(), locale="en_US"
        )
        == {}
    )
