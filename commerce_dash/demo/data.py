"""Demo data for an empty database, created through the same services the app uses.

Long because it is a dataset (departments, courses, programs, prices, codes, users, two
orders) written as calls; no rule lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from commerce_dash.demo.live import load_live_course
from commerce_dash.demo.tax import seed_tax_and_fx
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import CourseModule
from commerce_dash.models.enrollment import Enrollment
from commerce_dash.payments.factory import processor_for_departments
from commerce_dash.payments.sandbox import CardInput
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.catalog import (
    CodeInput,
    create_code,
    create_price,
    create_program,
    set_code_active,
)
from commerce_dash.services.commerce import CartOwner, CheckoutRequest
from commerce_dash.services.commerce import place_order as checkout
from commerce_dash.services.learning import ProgressReport, record_progress
from commerce_dash.services.platform import (
    ModuleSpec,
    bootstrap_super_admin,
    create_course,
    create_department,
    create_user,
    load_actor,
)
from commerce_dash.settings import get_settings

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

    program_ids: dict[str, int] = {}
    for code, title, dept_code, courses in PROGRAMS:
        program = create_program(
            session=session,
            actor=actor,
            code=code,
            title=title,
            department_id=dept_ids[dept_code],
            course_ids=[course_ids[c] for c in courses],
            published=True,
            description=f"{title}: {len(courses)} courses taken in order, one certificate.",
        )
        assert program.id is not None
        program_ids[code] = program.id
    prices = _load_prices(session, actor, dept_ids, course_ids, program_ids)
    codes = _load_discount_codes(session, actor, dept_ids, course_ids, program_ids)
    tax_and_fx = seed_tax_and_fx(session, actor=actor)
    sales = _load_sales(session, course_ids)
    subscriptions = _load_subscriptions(session, dept_ids)
    live = load_live_course(session, actor, department_id=dept_ids["ENG"],
                            instructor_id=user_ids["instructor@example.com"])
    return {
        "departments": len(dept_ids),
        "users": len(DEMO_USERS),
        "courses": len(course_ids),
        "programs": len(PROGRAMS),
        "prices": prices,
        "discount_codes": codes,
        **tax_and_fx,
        **sales,
        **subscriptions,
        **live,
    }


# Demo purchases paid with the sandbox's test card, so the refund queue, the revenue reports
# and a certificate have something to show: (buyer, courses, completes the first, asks a refund)
DEMO_SALES = (
    ("learner@example.com", ("ENG-102", "ENG-120"), True, False),
    ("instructor@example.com", ("ENG-110",), False, True),
)


def _load_sales(session: Session, course_ids: dict[str, int]) -> dict[str, int]:
    """Buy, learn and ask for a refund through the services, as learners would."""
    if processor_for_departments(["ENG"]) != "sandbox":
        return {"orders": 0}  # real card processing configured: no fake purchases
    orders = 0
    for email, codes, learns, asks_refund in DEMO_SALES:
        user = session.exec(select(User).where(User.email == email)).one()
        buyer = load_actor(session=session, user=user)
        owner = CartOwner(user_id=buyer.user_id, email=buyer.email)
        for code in codes:
            commerce_area.add_item(session=session, owner=owner, item_type="course",
                                   item_id=course_ids[code])
        order = checkout(session=session, actor=buyer,
                         request=CheckoutRequest(f"demo-order-{buyer.user_id}"))
        commerce_area.sandbox_pay(session=session, actor=buyer, number=order.number,
                                  card=CardInput("4242424242424242", 12, 2034, "123"))
        orders += 1
        if learns:
            enrollment = session.exec(select(Enrollment).where(
                Enrollment.user_id == buyer.user_id,
                Enrollment.course_id == course_ids[codes[0]])).one()
            for module_id in session.exec(select(CourseModule.id).where(
                    CourseModule.course_id == course_ids[codes[0]])).all():
                record_progress(session=session, report=ProgressReport(
                    enrollment.id or 0, module_id or 0, True, minutes=30))
        if asks_refund:
            commerce_area.request_refund(session=session, actor=buyer, number=order.number,
                                         reason="The course overlaps with training my employer "
                                                "already gave me.")
    return {"orders": orders}


# Demo subscriptions paid with the sandbox's test card, so the admin subscriptions page and
# the revenue MRR have something to show: (learner, department, interval, code). Leo's plan
# starts with its 14-day trial; Ivy pays her first quarter at once, half off with SUBSHALF.
DEMO_SUBSCRIPTIONS = (
    ("learner@example.com", "ENG", "monthly", ""),
    ("instructor@example.com", "HLT", "quarterly", "SUBSHALF"),
)


def _load_subscriptions(session: Session, dept_ids: dict[str, int]) -> dict[str, int]:
    """Subscribe demo learners through the services, as they would on the subscribe page."""
    made = 0
    for email, dept_code, interval, code in DEMO_SUBSCRIPTIONS:
        if get_settings().processor_for(dept_code) != "sandbox":
            continue  # real card processing configured: no fake subscriptions
        user = session.exec(select(User).where(User.email == email)).one()
        learner = load_actor(session=session, user=user)
        plan = next(p for p in commerce_area.department_plans(session=session,
                                                              department_code=dept_code)
                    if p.interval == interval and p.department_id == dept_ids[dept_code])
        commerce_area.subscribe(session=session, actor=learner, price_id=plan.price_id,
                                code=code, payment_method="4242424242424242",
                                idempotency_key=f"demo-subscription-{dept_code}")
        made += 1
    return {"subscriptions": made}


def course_price(hours: int) -> int:
    """The demo USD price of a course of ``hours`` (in cents, ending in .99)."""
    return (hours * 5 + 24) * 100 - 1


def _load_prices(
    session: Session,
    actor: Actor,
    dept_ids: dict[str, int],
    course_ids: dict[str, int],
    program_ids: dict[str, int],
) -> int:
    """USD prices for every published course, EUR and JPY for some, a price change with
    history, a scheduled price, program bundles below their courses, subscription plans."""
    written = 0

    def price(item_type: str, item_id: int, amount: int, **kw: object) -> None:
        nonlocal written
        create_price(session=session, actor=actor, item_type=item_type, item_id=item_id,
                     price_type=str(kw.pop("price_type", "one_time")), amount=amount,
                     **kw)  # type: ignore[arg-type]
        written += 1

    usd: dict[str, int] = {}
    for code, _title, dept_code, _cat, hours, published, _modules in COURSES:
        if not published:
            continue
        if code in PRICE_CHANGES:
            # the old price, then the current one: the old one becomes history
            price("course", course_ids[code], PRICE_CHANGES[code])
        usd[code] = course_price(hours)
        price("course", course_ids[code], usd[code])
        if dept_code == "BUS":
            price("course", course_ids[code], usd[code] * 92 // 10000 * 100 + 99, currency="EUR")
        if dept_code == "ENG-DATA":
            price("course", course_ids[code], hours * 1000 + 900, currency="JPY")
    price("course", course_ids["ENG-102"], usd["ENG-102"] - 1000,
          effective_from=utcnow() + timedelta(days=30))
    for code, _title, _dept, courses in PROGRAMS:
        total = sum(usd[c] for c in courses)
        price("program", program_ids[code], total * 80 // 10000 * 100 + 99)
    for dept_code, interval, amount, trial in SUBSCRIPTION_PLANS:
        price("subscription", dept_ids[dept_code], amount, price_type="subscription",
              interval=interval, trial_days=trial)
    return written


def _load_discount_codes(
    session: Session,
    actor: Actor,
    dept_ids: dict[str, int],
    course_ids: dict[str, int],
    program_ids: dict[str, int],
) -> int:
    now = utcnow()
    codes = [
        CodeInput(code="WELCOME10", kind="percentage", percent_bps=1000,
                  description="10% off anything, once per learner", max_uses_per_user=1),
        CodeInput(code="SAVE20", kind="fixed", amount_off=2000, currency="USD",
                  min_purchase=5000, description="$20 off orders of $50 or more"),
        CodeInput(code="BUNDLE15", kind="percentage", percent_bps=1500, scope="programs",
                  description="15% off programs", max_uses=500),
        CodeInput(code="DATA25", kind="percentage", percent_bps=2500,
                  department_id=dept_ids["ENG-DATA"], description="25% off Data Science Lab"),
        CodeInput(code="PYSTART", kind="fixed", amount_off=500, currency="USD", scope="listed",
                  listed_items=frozenset({("course", course_ids["ENG-101"]),
                                          ("program", program_ids["P-PYDEV"])}),
                  description="$5 off Python Foundations or the Python programme"),
        # duration "once" (the code's default): half off the first paid period only
        CodeInput(code="SUBSHALF", kind="percentage", percent_bps=5000, scope="subscriptions",
                  max_uses=100, max_uses_per_user=1, description="Half off a first subscription"),
        CodeInput(code="COURSES12", kind="percentage", percent_bps=1250, scope="courses",
                  valid_until=now + timedelta(days=90), description="12.5% off single courses"),
        CodeInput(code="NEWYEAR", kind="percentage", percent_bps=2000,
                  valid_from=now + timedelta(days=40), valid_until=now + timedelta(days=50),
                  description="Scheduled: 20% off in the new-year week"),
    ]
    for data in codes:
        create_code(session=session, actor=actor, data=data)
    paused = create_code(session=session, actor=actor, data=CodeInput(
        code="SPRING", kind="percentage", percent_bps=1500, description="Paused campaign"))
    assert paused.id is not None
    set_code_active(session=session, actor=actor, code_id=paused.id, active=False)
    return len(codes) + 1


# Old USD prices of some courses: loading them first leaves a price change in the history.
PRICE_CHANGES = {"ENG-101": 7999, "BUS-110": 9999, "DS-220": 12999}

# (department, interval, USD cents, trial days)
SUBSCRIPTION_PLANS = [
    ("ENG", "monthly", 2900, 14),
    ("ENG", "annual", 29000, 14),
    ("BUS", "monthly", 2400, 7),
    ("HLT", "quarterly", 6900, 0),
]
