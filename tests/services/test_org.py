import pytest
from sqlmodel import select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.catalog import CourseModule, ProgramCourse
from commerce_dash.services.catalog import programs
from commerce_dash.services.platform import org
from tests.conftest import create_user


def test_a_dept_admin_manages_courses_of_their_department_and_its_subdepartments(
    session, engineering_with_subdepartment
):
    depts = engineering_with_subdepartment
    admin = create_user(
        session, "dana@example.com", grants=(Grant(RoleName.DEPT_ADMIN, depts["ENG"]),)
    )
    # when creating in the subdepartment
    course = org.create_course(
        session=session,
        actor=admin,
        code="ds-101",
        title="Stats",
        department_id=depts["ENG-DATA"],
        modules=[org.ModuleSpec("Intro"), org.ModuleSpec("Inference")],
    )
    # then it is stored with its modules in order
    assert course.code == "DS-101"
    titles = session.exec(
        select(CourseModule.title)
        .where(CourseModule.course_id == course.id)
        .order_by(CourseModule.position)
    ).all()
    assert titles == ["Intro", "Inference"]
    # and another department is refused
    with pytest.raises(DomainError) as err:
        org.create_course(
            session=session, actor=admin, code="BUS-1", title="Finance", department_id=depts["BUS"]
        )
    assert err.value.kind is ErrorKind.FORBIDDEN


def test_course_codes_are_unique_and_checked(session, super_admin, engineering_with_subdepartment):
    eng = engineering_with_subdepartment["ENG"]
    org.create_course(
        session=session, actor=super_admin, code="ENG-1", title="A", department_id=eng
    )
    with pytest.raises(DomainError) as dup:
        org.create_course(
            session=session, actor=super_admin, code="eng-1", title="B", department_id=eng
        )
    assert dup.value.code == "code_taken" and dup.value.field == "code"
    with pytest.raises(DomainError) as bad:
        org.create_course(
            session=session, actor=super_admin, code="has space", title="C", department_id=eng
        )
    assert bad.value.code == "invalid_code"


def test_programs_keep_course_order_and_a_course_may_be_in_several(
    session, super_admin, engineering_with_subdepartment
):
    eng = engineering_with_subdepartment["ENG"]
    ids = [
        org.create_course(
            session=session,
            actor=super_admin,
            code=f"C{i}",
            title=f"C {i}",
            department_id=eng,
            published=True,  # programs take published courses only
        ).id
        for i in range(3)
    ]
    p1 = programs.create_program(
        session=session,
        actor=super_admin,
        code="P1",
        title="One",
        department_id=eng,
        course_ids=[ids[2], ids[0]],
    )
    p2 = programs.create_program(
        session=session,
        actor=super_admin,
        code="P2",
        title="Two",
        department_id=eng,
        course_ids=[ids[0], ids[1], ids[2]],
    )
    order = session.exec(
        select(ProgramCourse.course_id)
        .where(ProgramCourse.program_id == p1.id)
        .order_by(ProgramCourse.position)
    ).all()
    assert order == [ids[2], ids[0]]
    assert p2.id != p1.id
    with pytest.raises(DomainError) as err:
        programs.create_program(
            session=session,
            actor=super_admin,
            code="P3",
            title="Dup",
            department_id=eng,
            course_ids=[ids[0], ids[0]],
        )
    assert err.value.code == "duplicate_course"


def test_departments_cannot_loop(session, super_admin):
    top = org.create_department(session=session, actor=super_admin, code="TOP", name="Top")
    child = org.create_department(
        session=session, actor=super_admin, code="CHILD", name="Child", parent_id=top.id
    )
    with pytest.raises(DomainError) as err:
        org.move_department(
            session=session, actor=super_admin, department_id=top.id, parent_id=child.id
        )
    assert err.value.code == "department_cycle"
    actions = session.exec(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["department.created", "department.created"]
    labels = dict(org.department_options(session=session))
    assert labels[child.id] == "Top / Child"
