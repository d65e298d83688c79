"""Demo data for an empty database, created through the same services the app uses."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.models.accounts import User
from commerce_dash.services.accounts import load_actor
from commerce_dash.services.org import ModuleSpec, create_course, create_department, create_program
from commerce_dash.services.users import bootstrap_super_admin, create_user

# (department code, name, parent code, approval required, description)
DEPARTMENTS = [
    (
        "ENG",
        "School of Engineering",
        None,
        False,
        "Software, data and systems engineering for working professionals.",
    ),
    (
        "ENG-DATA",
        "Data Science Lab",
        "ENG",
        True,
        "A subdepartment of Engineering: analytics, machine learning and data platforms.",
    ),
    (
        "BUS",
        "Business School",
        None,
        False,
        "Management, finance and marketing courses taught by practitioners.",
    ),
    (
        "HLT",
        "Health Sciences",
        None,
        True,
        "Clinical and public-health education; enrolment is reviewed by the department.",
    ),
]

# (code, title, department, category, hours, published, modules)
COURSES = [
    (
        "ENG-101",
        "Python Foundations",
        "ENG",
        "Programming",
        12,
        True,
        ["Getting set up", "Values and types", "Control flow", "Functions", "Modules and packages"],
    ),
    (
        "ENG-102",
        "Testing with pytest",
        "ENG",
        "Programming",
        8,
        True,
        ["Why test", "Fixtures", "Parametrisation", "Property-based testing"],
    ),
    (
        "ENG-110",
        "Web APIs with FastAPI",
        "ENG",
        "Web",
        10,
        True,
        ["HTTP in a nutshell", "Routing", "Validation", "Auth", "Deployment"],
    ),
    (
        "ENG-120",
        "Relational Databases",
        "ENG",
        "Data",
        14,
        True,
        ["Modelling", "SQL basics", "Joins", "Indexes", "Transactions"],
    ),
    (
        "ENG-130",
        "Git and Code Review",
        "ENG",
        "Tooling",
        4,
        True,
        ["Commits", "Branches", "Pull requests"],
    ),
    (
        "ENG-140",
        "Linux for Developers",
        "ENG",
        "Tooling",
        6,
        True,
        ["The shell", "Processes", "Networking", "Packages"],
    ),
    (
        "ENG-150",
        "Cloud Fundamentals",
        "ENG",
        "Cloud",
        9,
        True,
        ["Compute", "Storage", "Networking", "Cost control"],
    ),
    (
        "ENG-160",
        "Containers in Practice",
        "ENG",
        "Cloud",
        7,
        True,
        ["Images", "Compose", "Orchestration basics"],
    ),
    (
        "ENG-170",
        "Secure Coding",
        "ENG",
        "Security",
        8,
        True,
        ["Threat modelling", "Injection", "Secrets", "Dependencies"],
    ),
    (
        "ENG-180",
        "Distributed Systems Primer",
        "ENG",
        "Architecture",
        12,
        False,
        ["Failure modes", "Consensus", "Queues", "Idempotency"],
    ),
    (
        "DS-201",
        "Statistics for Data Science",
        "ENG-DATA",
        "Data",
        15,
        True,
        ["Descriptive statistics", "Probability", "Inference", "Regression"],
    ),
    (
        "DS-210",
        "Data Wrangling with pandas",
        "ENG-DATA",
        "Data",
        10,
        True,
        ["DataFrames", "Cleaning", "Grouping", "Joining", "Time series"],
    ),
    (
        "DS-220",
        "Machine Learning Basics",
        "ENG-DATA",
        "Machine learning",
        16,
        True,
        ["Supervised learning", "Model evaluation", "Trees and ensembles", "Pipelines"],
    ),
    (
        "DS-230",
        "Data Visualisation",
        "ENG-DATA",
        "Data",
        6,
        True,
        ["Perception", "Charts that work", "Dashboards"],
    ),
    (
        "DS-240",
        "Deep Learning Introduction",
        "ENG-DATA",
        "Machine learning",
        18,
        True,
        ["Neural networks", "Training", "CNNs", "Sequence models"],
    ),
    (
        "DS-250",
        "Data Engineering Pipelines",
        "ENG-DATA",
        "Data",
        12,
        False,
        ["Batch", "Streaming", "Orchestration", "Quality"],
    ),
    (
        "BUS-101",
        "Principles of Management",
        "BUS",
        "Management",
        10,
        True,
        ["Planning", "Organising", "Leading", "Controlling"],
    ),
    (
        "BUS-110",
        "Financial Accounting",
        "BUS",
        "Finance",
        12,
        True,
        ["The balance sheet", "Income statement", "Cash flow", "Ratios"],
    ),
    (
        "BUS-120",
        "Corporate Finance",
        "BUS",
        "Finance",
        12,
        True,
        ["Time value of money", "Valuation", "Capital structure", "Risk"],
    ),
    (
        "BUS-130",
        "Digital Marketing",
        "BUS",
        "Marketing",
        8,
        True,
        ["Channels", "Content", "Analytics", "Campaigns"],
    ),
    (
        "BUS-140",
        "Negotiation Skills",
        "BUS",
        "Leadership",
        5,
        True,
        ["Preparation", "Tactics", "Closing"],
    ),
    (
        "BUS-150",
        "Project Management",
        "BUS",
        "Management",
        9,
        True,
        ["Scope", "Schedule", "Risk", "Agile delivery"],
    ),
    (
        "BUS-160",
        "Business Analytics",
        "BUS",
        "Analytics",
        10,
        True,
        ["Questions", "Metrics", "Experiments", "Storytelling"],
    ),
    (
        "BUS-170",
        "Entrepreneurship",
        "BUS",
        "Strategy",
        8,
        True,
        ["Ideas", "Customers", "Business models", "Funding"],
    ),
    (
        "HLT-101",
        "Foundations of Public Health",
        "HLT",
        "Public health",
        10,
        True,
        ["Populations", "Epidemiology", "Health systems"],
    ),
    (
        "HLT-110",
        "Clinical Research Methods",
        "HLT",
        "Research",
        14,
        True,
        ["Study design", "Ethics", "Trials", "Analysis"],
    ),
    (
        "HLT-120",
        "Health Informatics",
        "HLT",
        "Informatics",
        9,
        True,
        ["Records", "Standards", "Privacy", "Analytics"],
    ),
    (
        "HLT-130",
        "Nutrition Science",
        "HLT",
        "Nutrition",
        7,
        True,
        ["Macronutrients", "Micronutrients", "Diet and disease"],
    ),
    (
        "HLT-140",
        "Patient Safety",
        "HLT",
        "Clinical",
        6,
        True,
        ["Human factors", "Incident reporting", "Improvement"],
    ),
    (
        "HLT-150",
        "Global Health",
        "HLT",
        "Public health",
        8,
        False,
        ["Burden of disease", "Policy", "Partnerships"],
    ),
]

PROGRAMS = [
    (
        "P-PYDEV",
        "Professional Python Developer",
        "ENG",
        ["ENG-101", "ENG-102", "ENG-110", "ENG-130"],
    ),
    ("P-DATA", "Data Science Certificate", "ENG-DATA", ["DS-201", "DS-210", "DS-220", "DS-230"]),
    ("P-MGMT", "Management Essentials", "BUS", ["BUS-101", "BUS-150", "BUS-140"]),
    ("P-PHEALTH", "Public Health Practitioner", "HLT", ["HLT-101", "HLT-110", "HLT-120"]),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    grants: tuple[tuple[str, str | None], ...]  # (role, department code)


DEMO_USERS = [
    DemoUser("super@example.com", "Sam Super", ((RoleName.SUPER_ADMIN, None),)),
    DemoUser("billing@example.com", "Bea Billing", ((RoleName.BILLING_ADMIN, None),)),
    DemoUser("enrollment@example.com", "Eli Enrollment", ((RoleName.ENROLLMENT_ADMIN, "ENG"),)),
    DemoUser("deptadmin@example.com", "Dana Department", ((RoleName.DEPT_ADMIN, "ENG"),)),
    DemoUser("instructor@example.com", "Ivy Instructor", ((RoleName.LEARNER, None),)),
    DemoUser("learner@example.com", "Leo Learner", ((RoleName.LEARNER, None),)),
]


def database_is_empty(*, session: Session) -> bool:
    """True when no user exists yet."""
    return session.exec(select(User.id)).first() is None


def load_demo_data(*, session: Session, password: str) -> dict[str, int]:
    """Fill an empty database; returns how many of each thing were created."""
    if not database_is_empty(session=session):
        raise RuntimeError("the database already has users; demo data goes into an empty one")
    first = DEMO_USERS[0]
    root = bootstrap_super_admin(
        session=session, email=first.email, full_name=first.full_name, password=password
    )
    actor = load_actor(session=session, user=root)

    dept_ids: dict[str, int] = {}
    for code, name, parent, approval, description in DEPARTMENTS:
        department = create_department(
            session=session,
            actor=actor,
            code=code,
            name=name,
            description=description,
            parent_id=dept_ids[parent] if parent else None,
            approval_required=approval,
        )
        assert department.id is not None
        dept_ids[code] = department.id

    user_ids: dict[str, int] = {}
    for demo in DEMO_USERS[1:]:
        created = create_user(
            session=session,
            actor=actor,
            email=demo.email,
            full_name=demo.full_name,
            grants=[Grant(r, dept_ids[d] if d else None) for r, d in demo.grants],
            password=password,
        )
        assert created.user.id is not None
        user_ids[demo.email] = created.user.id

    course_ids: dict[str, int] = {}
    for code, title, dept_code, category, hours, published, modules in COURSES:
        course = create_course(
            session=session,
            actor=actor,
            code=code,
            title=title,
            department_id=dept_ids[dept_code],
            description=(
                f"{title} is a self-paced course of {len(modules)} modules from the "
                f"{dict((d[0], d[1]) for d in DEPARTMENTS)[dept_code]}. You will work through "
                + ", ".join(m.lower() for m in modules[:-1])
                + f" and {modules[-1].lower()}, with exercises after every module."
            ),
            category=category,
            published=published,
            estimated_minutes=hours * 60,
            instructor_id=user_ids["instructor@example.com"],
            content_creator_id=user_ids["instructor@example.com"],
            modules=[
                ModuleSpec(m, f"Module {i}: {m}.", (hours * 60) // len(modules))
                for i, m in enumerate(modules, start=1)
            ],
        )
        assert course.id is not None
        course_ids[code] = course.id

    for code, title, dept_code, courses in PROGRAMS:
        create_program(
            session=session,
            actor=actor,
            code=code,
            title=title,
            department_id=dept_ids[dept_code],
            course_ids=[course_ids[c] for c in courses],
            published=True,
            description=f"{title}: {len(courses)} courses taken in order, one certificate.",
        )
    return {
        "departments": len(dept_ids),
        "users": len(DEMO_USERS),
        "courses": len(course_ids),
        "programs": len(PROGRAMS),
    }
