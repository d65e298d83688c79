"""Issue 15, item 3: one guarded transition per entity.

(a) An AST rule over ``commerce_dash``: only the generic guarded move
(``services/platform/transitions.py``, which every entity's writer calls) assigns ``.status`` on
an Order, Payment, Registration, Enrollment, Certificate or RefundRequest, besides the named
status syncs; only an entity's writer module bulk-updates it with
``update(Entity).values(status=...)``; and only the writer or a named creation function
passes ``status=`` when constructing one. The scanner is checked against small sources that
write in each way it must catch.

(b) The writers: an illegal move is a DomainError (409) naming both states, a repeated move
returns the entity unchanged with one audit row, every move writes its audit row; on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.orders import OrderStatus, PaymentStatus
from commerce_dash.domain.refunds import RefundStatus
from commerce_dash.domain.registrations import EnrollmentStatus, RegistrationStatus
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.commerce import Order, Payment
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.pricing import Price
from commerce_dash.models.subscriptions import Subscription
from commerce_dash.services.commerce.order_status import transition_order, transition_payment
from commerce_dash.services.commerce.refund_status import new_refund_request, transition_refund
from commerce_dash.services.commerce.subscription_status import live_key, transition_subscription
from commerce_dash.services.enrollment.registration_status import (
    sync_program_registrations,
    transition_enrollment,
    transition_registration,
)
from commerce_dash.services.learning.certificates import transition_certificate

PACKAGE = Path(__file__).resolve().parents[2] / "commerce_dash"

# -- (a) the AST rule ------------------------------------------------------------------------

# the entities (class name -> the model module that defines it) and their one writer module
ENTITY_MODELS = {
    "Order": "commerce_dash.models.commerce",
    "Payment": "commerce_dash.models.commerce",
    "RefundRequest": "commerce_dash.models.commerce",
    "Registration": "commerce_dash.models.enrollment",
    "Enrollment": "commerce_dash.models.enrollment",
    "Certificate": "commerce_dash.models.certificates",
    "Subscription": "commerce_dash.models.subscriptions",
    "StepProgress": "commerce_dash.models.sessions",
}
# the one place a move assigns ``.status`` (on whatever entity its writer hands it)
GUARDED_MOVE = "commerce_dash.services.platform.transitions"
# ``.status`` writes on an entity that are not moves, by (module, function): a program
# registration's status follows its courses' (audited there)
STATUS_SYNCS = {
    "Registration": {("commerce_dash.services.enrollment.registration_status",
                      "sync_program_registrations")},
}
# each entity's writer: the module of its ``transition_*`` (and of its creation / bulk update)
WRITERS = {
    "Order": "commerce_dash.services.commerce.order_status",
    "Payment": "commerce_dash.services.commerce.order_status",
    "RefundRequest": "commerce_dash.services.commerce.refund_status",
    "Registration": "commerce_dash.services.enrollment.registration_status",
    "Enrollment": "commerce_dash.services.enrollment.registration_status",
    "Certificate": "commerce_dash.services.learning.certificates",
    "Subscription": "commerce_dash.services.commerce.subscription_status",
    "StepProgress": "commerce_dash.services.learning.step_progress",
}
# where an entity is created in its first state with ``status=`` (module, function)
CREATORS = {
    "Order": {("commerce_dash.services.commerce.checkout", "_checkout_cart"),
              # a paid subscription invoice becomes a completed order (through pending)
              ("commerce_dash.services.commerce.subscription_invoices", "invoice_order")},
    "Payment": {("commerce_dash.services.commerce.checkout", "_checkout_cart"),
                ("commerce_dash.services.commerce.subscription_invoices", "invoice_order")},
    "Registration": {("commerce_dash.services.enrollment.registrations", "create_for_order"),
                     ("commerce_dash.services.enrollment.registrations", "_add"),
                     ("commerce_dash.services.enrollment.subscription_access", "self_enroll")},
    "Subscription": {("commerce_dash.services.commerce.subscriptions", "subscribe")},
}
# ``.status`` writes on other things whose type the scanner cannot see, by (module, function,
# expression): Reflex states, the fake processor's own intents, a tax provider's error,
# outbox messages, chargebacks.
OTHER_STATUS_WRITES = {
    # issue 17: bookings, waitlist entries and live sessions are not guarded entities; each
    # has one writer (a booking's cancellation, its attendance; an entry's move; a session's
    # cancellation)
    ("commerce_dash.services.enrollment.bookings", "cancel_row", "booking"),
    ("commerce_dash.services.enrollment.bookings", "move_entry", "entry"),
    ("commerce_dash.services.enrollment.attendance", "_mark", "booking"),
    ("commerce_dash.services.enrollment.live_sessions", "cancel_session", "live"),
    ("commerce_dash.pages.admin.payouts", "*", "self"),
    ("commerce_dash.pages.store.course", "*", "self"),
    ("commerce_dash.pages.store.program", "*", "self"),
    ("commerce_dash.pages.store.department", "*", "self"),
    ("commerce_dash.pages.store.subscribe_state", "*", "self"),  # a page's loading status
    ("commerce_dash.pages.admin.subscription_detail_state", "*", "self"),
    ("commerce_dash.pages.admin.session_detail_state", "*", "self"),  # the page's copy
    ("commerce_dash.pages.store.item_state", "open_item", "state"),  # an item page's state
    ("commerce_dash.services.commerce.taxjar_provider", "__init__", "self"),
    ("commerce_dash.payments.sandbox", "*", "intent"),
    ("commerce_dash.outbox", "mark_sent", "row"),  # outbox messages
    ("commerce_dash.outbox", "mark_failed", "row"),
    ("commerce_dash.services.commerce.disputes", "dispute_closed", "row"),  # PaymentDispute
    # the sandbox's own subscriptions, and invoices mirrored from the processor
    ("commerce_dash.payments.sandbox_subscriptions", "*", "sub"),
    ("commerce_dash.payments.sandbox_subscription_billing", "*", "sub"),
    ("commerce_dash.services.commerce.subscription_events", "sync_invoice", "row"),
    ("commerce_dash.services.commerce.subscription_events", "_paid", "row"),
    ("commerce_dash.services.commerce.subscription_events", "record_created", "invoice"),
}


def _is_class(name: str) -> bool:
    """A class's name (capitalised), not a function's: what a function returns is unknown."""
    return name.rsplit(":", 1)[-1][:1].isupper()


@dataclass
class _Scope:
    module: str
    function: str
    types: dict[str, set[str]] = field(default_factory=dict)


class _Scanner(ast.NodeVisitor):
    """Finds status writes on the entities in one module (see the module docstring)."""

    def __init__(self, module: str, tree: ast.Module) -> None:
        self.module = module
        self.found: list[str] = []
        self.names: dict[str, str] = {}  # local name -> class name of an imported class
        self.modules: dict[str, str] = {}  # local name -> imported module
        self.scopes: list[_Scope] = [_Scope(module, "<module>")]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.names[alias.asname or alias.name] = f"{node.module}:{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.modules[alias.asname or alias.name] = alias.name

    # what a name or expression is
    def _class_of(self, node: ast.AST) -> str | None:
        """The class a name refers to: an entity's name, another class's qualified name."""
        if isinstance(node, ast.Name):
            imported = self.names.get(node.id)
            if imported is not None:
                source, name = imported.split(":")
                return name if ENTITY_MODELS.get(name) == source else imported
            if self.module in ENTITY_MODELS.values() and node.id in ENTITY_MODELS:
                return node.id
            return None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            source = self.modules.get(node.value.id) or self.names.get(node.value.id, "")
            source = source.replace(":", ".")
            return node.attr if ENTITY_MODELS.get(node.attr) == source else None
        return None

    def _classes_in(self, node: ast.AST | None) -> set[str]:
        """Classes an expression yields rows or instances of: ``Cls(...)``,
        ``session.get(Cls, ...)``, ``select(Cls ...)`` anywhere in it, an annotation."""
        out: set[str] = set()
        if node is None:
            return out
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                func = sub.func
                name = func.id if isinstance(func, ast.Name) else (
                    func.attr if isinstance(func, ast.Attribute) else "")
                target = self._class_of(func)
                if target is not None and _is_class(target):
                    out.add(target)
                if name in ("select", "get", "get_one", "exec") and sub.args:
                    found = self._class_of(sub.args[0])
                    if found is not None and _is_class(found):
                        out.add(found)
            elif isinstance(sub, ast.Name | ast.Attribute):
                found = self._class_of(sub)
                if found is not None and found in ENTITY_MODELS:
                    out.add(found)
        return out

    def _bind(self, target: ast.AST, classes: set[str]) -> None:
        if isinstance(target, ast.Name) and classes:
            self.scopes[-1].types.setdefault(target.id, set()).update(classes)

    def _types_of(self, node: ast.AST) -> set[str] | None:
        """The classes a written-to expression may hold; None when unknown."""
        if isinstance(node, ast.Name):
            for scope in reversed(self.scopes):
                if node.id in scope.types:
                    return scope.types[node.id]
        return None

    # scopes: a function's bindings are collected before its body is checked
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        scope = _Scope(self.module, node.name)
        self.scopes.append(scope)
        arguments = node.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            self._bind(ast.Name(arg.arg), self._classes_in(arg.annotation))
        for sub in ast.walk(node):
            if isinstance(sub, ast.Assign):
                classes = self._classes_in(sub.value)
                for target in sub.targets:
                    self._bind(target, classes)
            elif isinstance(sub, ast.AnnAssign):
                self._bind(sub.target, self._classes_in(sub.annotation)
                           | self._classes_in(sub.value))
            elif isinstance(sub, ast.For | ast.comprehension):
                self._bind(sub.target, self._classes_in(sub.iter))
            elif isinstance(sub, ast.NamedExpr):
                self._bind(sub.target, self._classes_in(sub.value))
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def _function(self) -> str:
        return self.scopes[-1].function

    def _report(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{self.module}:{getattr(node, 'lineno', 0)} "
                          f"({self._function()}): {what}")

    # the writes
    def _check_write(self, target: ast.AST) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._check_write(element)
            return
        if isinstance(target, ast.Attribute) and target.attr == "status":
            self._check_status_of(target.value, target)

    def _check_status_of(self, holder: ast.AST, node: ast.AST) -> None:
        types = self._types_of(holder)
        shown = ast.unparse(holder)
        if self.module == GUARDED_MOVE:
            return
        entities = {t for t in types or set() if t in ENTITY_MODELS}
        if entities:
            for entity in sorted(entities):
                if (self.module, self._function()) not in STATUS_SYNCS.get(entity, set()):
                    self._report(node, f"{shown}.status written on a {entity} outside "
                                       f"{GUARDED_MOVE} (call {WRITERS[entity]})")
            return
        if types:  # known to be something else
            return
        if (self.module, self._function(), shown) in OTHER_STATUS_WRITES or (
                self.module, "*", shown) in OTHER_STATUS_WRITES:
            return
        self._report(node, f"{shown}.status written on something the rule cannot tell is not "
                           "an entity (add it to OTHER_STATUS_WRITES if it is not)")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_write(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_write(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_write(node.target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        # setattr(x, "status", ...)
        if (isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant) and node.args[1].value == "status"):
            self._check_status_of(node.args[0], node)
        entity = self._class_of(func)
        if entity in ENTITY_MODELS and any(k.arg == "status" for k in node.keywords):
            allowed = CREATORS.get(entity, set())
            if self.module != WRITERS[entity] and (self.module, self._function()) not in allowed:
                self._report(node, f"{entity}(status=...) created outside {WRITERS[entity]} "
                                   "and its creation functions")
        # update(Entity)....values(status=...)
        if (isinstance(func, ast.Attribute) and func.attr == "values"
                and any(k.arg == "status" for k in node.keywords)):
            updated = {self._class_of(sub.args[0]) for sub in ast.walk(func.value)
                       if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)
                       and sub.func.id == "update" and sub.args}
            for entity in sorted(e for e in updated if e in ENTITY_MODELS):
                if self.module != WRITERS[entity]:
                    self._report(node, f"update({entity}).values(status=...) outside "
                                       f"{WRITERS[entity]}")
        self.generic_visit(node)


def scan(package: Path) -> list[str]:
    """Every status write on an entity outside its writer, in the package at ``package``."""
    found: list[str] = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scanner = _Scanner(module, tree)
        scanner.visit(tree)
        found.extend(scanner.found)
    return found


def test_only_the_writers_write_an_entitys_status() -> None:
    assert scan(PACKAGE) == []


def _scratch(tmp_path: Path, module: str, source: str) -> list[str]:
    """Scan a scratch package holding one module."""
    root = tmp_path / "commerce_dash"
    path = root.joinpath(*module.split(".")[1:]).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return scan(root)


_IMPORTS = ("from commerce_dash.models.commerce import Order, Payment, RefundRequest\n"
            "from commerce_dash.models.enrollment import Enrollment, Registration\n"
            "from commerce_dash.models.certificates import Certificate\n"
            "from commerce_dash.payments.base import RefundRequest as ProcessorRefund\n"
            "from sqlmodel import select\nfrom sqlalchemy import update\n")


@pytest.mark.parametrize("body", [
    "def f(order: Order) -> None:\n    order.status = 'completed'\n",
    "def f(session, i):\n    payment = session.get(Payment, i)\n    payment.status = 'failed'\n",
    "def f(session):\n    for r in session.exec(select(Registration)).all():\n"
    "        r.status = 'cancelled'\n",
    "def f(session):\n    e = session.exec(select(Enrollment).where(Enrollment.id == 1)).one()\n"
    "    e.status, e.mode = 'ended', 'lms'\n",
    "def f(c: Certificate | None) -> None:\n    setattr(c, 'status', 'revoked')\n",
    "def f(session):\n    session.add(RefundRequest(order_id=1, status='refunded'))\n",
    "def f(session):\n    session.execute(update(Order).where(Order.id == 1)"
    ".values(status='refunded'))\n",
    "def f(thing):\n    thing.order.status = 'refunded'\n",  # cannot tell: refused
])
def test_the_rule_catches_a_new_direct_write(tmp_path: Path, body: str) -> None:
    found = _scratch(tmp_path, "commerce_dash.services.commerce.scratch", _IMPORTS + body)
    assert len(found) == 1, found


@pytest.mark.parametrize("body", [
    "def f(session):\n    row = ProcessorRefund(intent_id='x', status='x')\n"
    "    row.status = 'x'\n",
    "from commerce_dash.models.delivery import OutboxMessage\n"
    "def f(session):\n    row = session.get(OutboxMessage, 1)\n    row.status = 'pending'\n",
    "def f(order: Order) -> str:\n    return order.status\n",
])
def test_the_rule_leaves_other_things_alone(tmp_path: Path, body: str) -> None:
    assert _scratch(tmp_path, "commerce_dash.services.commerce.scratch", _IMPORTS + body) == []


def test_only_the_guarded_move_may_write(tmp_path: Path) -> None:
    body = "def f(entity) -> None:\n    entity.status = 'completed'\n"
    assert _scratch(tmp_path, GUARDED_MOVE, _IMPORTS + body) == []
    typed = "def f(order: Order) -> None:\n    order.status = 'completed'\n"
    assert len(_scratch(tmp_path, WRITERS["Order"], _IMPORTS + typed)) == 1


# -- (b) the writers -------------------------------------------------------------------------

pytestmark = pytest.mark.usefixtures("both_databases")


def _audits(session: Session, entity_type: str, entity_id: object) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(
        AuditLog.entity_type == entity_type, AuditLog.entity_id == str(entity_id))
        .order_by(col(AuditLog.id))).all())


@pytest.fixture
def order(session: Session, learner: Actor) -> Iterator[Order]:
    now = utcnow()
    row = Order(user_id=learner.user_id, currency="USD", subtotal=1000, total=1000,
                display_currency="USD", display_total=1000, idempotency_key="k-1",
                request_hash="h", prices_locked_until=now + timedelta(minutes=5),
                status=OrderStatus.PENDING.value)
    session.add(row)
    session.commit()
    yield row


@pytest.fixture
def payment(session: Session, order: Order) -> Payment:
    row = Payment(order_id=order.id or 0, user_id=order.user_id, processor="none",
                  amount=1000, currency="USD", status=PaymentStatus.PENDING.value)
    session.add(row)
    session.commit()
    return row


def test_an_order_moves_once_audited_and_refuses_an_illegal_move(
        session: Session, order: Order) -> None:
    moved = transition_order(session=session, order=order, target=OrderStatus.COMPLETED)
    again = transition_order(session=session, order=order, target=OrderStatus.COMPLETED)
    session.commit()
    assert moved is order and again is order and order.status == "completed"
    rows = _audits(session, "order", order.id)
    assert [(r.action, r.before, r.after) for r in rows] == [
        ("order.completed", {"status": "pending"}, {"status": "completed"})]
    with pytest.raises(DomainError) as refused:
        transition_order(session=session, order=order, target=OrderStatus.PENDING)
    assert refused.value.kind is ErrorKind.CONFLICT
    assert "completed" in refused.value.message and "pending" in refused.value.message
    session.rollback()
    assert len(_audits(session, "order", order.id)) == 1


def test_a_payment_moves_once_audited_and_refuses_an_illegal_move(
        session: Session, payment: Payment) -> None:
    transition_payment(session=session, payment=payment, target=PaymentStatus.SUCCEEDED)
    same = transition_payment(session=session, payment=payment, target="succeeded")
    session.commit()
    assert same is payment and payment.status == "succeeded"
    assert [r.action for r in _audits(session, "payment", payment.id)] == ["payment.succeeded"]
    with pytest.raises(DomainError) as refused:
        transition_payment(session=session, payment=payment, target=PaymentStatus.FAILED)
    assert refused.value.kind is ErrorKind.CONFLICT
    assert "succeeded" in refused.value.message and "failed" in refused.value.message


def _registration(session: Session, user_id: int, department_id: int, key: str,
                  **fields: object) -> Registration:
    row = Registration(dedupe_key=key, user_id=user_id, kind="course",
                       department_id=department_id, **fields)  # type: ignore[arg-type]
    session.add(row)
    session.commit()
    return row


def test_a_registration_moves_once_audited_and_refuses_an_illegal_move(
        session: Session, learner: Actor, shop) -> None:  # type: ignore[no-untyped-def]
    registration = _registration(session, learner.user_id, shop.department_id, "r-1",
                                 course_id=shop.courses["PY101"])
    for target in (RegistrationStatus.APPROVED, RegistrationStatus.APPROVED,
                   RegistrationStatus.ENROLLED):
        assert transition_registration(session=session, registration=registration,
                                       target=target) is registration
    session.commit()
    assert [r.action for r in _audits(session, "registration", registration.id)] == [
        "registration.approved", "registration.enrolled"]
    with pytest.raises(DomainError) as refused:
        transition_registration(session=session, registration=registration,
                                target=RegistrationStatus.PENDING)
    assert refused.value.kind is ErrorKind.CONFLICT
    assert "enrolled" in refused.value.message and "pending" in refused.value.message


def test_an_enrollment_moves_once_audited_and_refuses_an_illegal_move(
        session: Session, learner: Actor, shop) -> None:  # type: ignore[no-untyped-def]
    enrollment = Enrollment(user_id=learner.user_id, course_id=shop.courses["PY101"],
                            source="admin", mode="local", status=EnrollmentStatus.ACTIVE.value)
    session.add(enrollment)
    session.commit()
    for _ in range(2):
        assert transition_enrollment(session=session, enrollment=enrollment,
                                     target=EnrollmentStatus.ENDED) is enrollment
    session.commit()
    assert [(r.action, r.after) for r in _audits(session, "enrollment", enrollment.id)] == [
        ("enrollment.ended", {"status": "ended"})]
    with pytest.raises(DomainError) as refused:
        transition_enrollment(session=session, enrollment=enrollment,
                              target=EnrollmentStatus.ACTIVE)
    assert refused.value.kind is ErrorKind.CONFLICT
    assert "ended" in refused.value.message and "active" in refused.value.message


def test_a_program_registration_follows_its_courses_audited_when_it_changes(
        session: Session, learner: Actor, shop) -> None:  # type: ignore[no-untyped-def]
    parent = _registration(session, learner.user_id, shop.department_id, "p-1",
                           program_id=shop.program_id)
    parent.kind = "program"
    session.add(parent)
    child = _registration(session, learner.user_id, shop.department_id, "p-1:c",
                          parent_id=parent.id, course_id=shop.courses["PY101"])
    transition_registration(session=session, registration=child,
                            target=RegistrationStatus.APPROVED)
    transition_registration(session=session, registration=child,
                            target=RegistrationStatus.ENROLLED)
    sync_program_registrations(session, [parent.id])
    sync_program_registrations(session, [parent.id])
    session.commit()
    assert parent.status == "enrolled"
    assert [(r.action, r.after) for r in _audits(session, "registration", parent.id)] == [
        ("registration.program_synced", {"status": "enrolled"})]


def test_a_certificate_moves_once_audited_and_refuses_an_illegal_move(
        session: Session, learner: Actor, shop) -> None:  # type: ignore[no-untyped-def]
    certificate = Certificate(number="CERT-TEST-0001", user_id=learner.user_id, kind="course",
                              department_id=shop.department_id, recipient_name="Lee",
                              title="Certificate of Completion", description="Python")
    session.add(certificate)
    session.commit()
    for _ in range(2):
        assert transition_certificate(session=session, certificate=certificate,
                                      target="revoked") is certificate
    session.commit()
    assert [r.action for r in _audits(session, "certificate", certificate.id)] == [
        "certificate.revoked"]
    with pytest.raises(DomainError) as refused:
        transition_certificate(session=session, certificate=certificate, target="active")
    assert refused.value.kind is ErrorKind.CONFLICT
    assert "revoked" in refused.value.message and "active" in refused.value.message


def test_a_refund_request_is_created_and_moves_once_audited_and_refuses_an_illegal_move(
        session: Session, order: Order, billing: Actor) -> None:
    request = new_refund_request(
        session=session, actor=None, action="refund.requested", audit_after={"amount": 500},
        order_id=order.id, user_id=order.user_id, amount=500, currency="USD",
        reason="Wrong course bought", source="learner")
    assert request.status == "requested"
    for _ in range(2):
        assert transition_refund(session=session, request=request, target=RefundStatus.REJECTED,
                                 actor=billing, reason="not within the window") is request
    session.commit()
    rows = _audits(session, "refund_request", request.id)
    assert [(r.action, r.actor_id) for r in rows] == [
        ("refund.requested", None), ("refund.rejected", billing.user_id)]
    with pytest.raises(DomainError) as refused:
        transition_refund(session=session, request=request, target=RefundStatus.APPROVED)
    assert refused.value.kind is ErrorKind.CONFLICT
    assert "rejected" in refused.value.message and "approved" in refused.value.message
    with pytest.raises(ValueError, match="starts requested or processing"):
        new_refund_request(session=session, status=RefundStatus.REFUNDED, actor=None,
                           action="x", audit_after={}, order_id=order.id)


def test_a_subscription_moves_once_audited_frees_its_key_and_refuses_an_illegal_move(
        session: Session, learner: Actor, shop) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    plan = Price(item_type="subscription", item_id=shop.department_id,
                 department_id=shop.department_id, price_type="subscription",
                 interval="monthly", currency="USD", amount=2900, effective_from=now)
    session.add(plan)
    session.flush()
    sub = Subscription(user_id=learner.user_id, department_id=shop.department_id,
                       live_key=live_key(learner.user_id, shop.department_id),
                       price_id=plan.id or 0, interval="monthly", currency="USD",
                       unit_amount=2900, processor="sandbox", idempotency_key="sub-test-1")
    session.add(sub)
    session.commit()
    for _ in range(2):
        assert transition_subscription(session=session, subscription=sub, target="active",
                                       at=now) is sub
    session.commit()
    assert [r.action for r in _audits(session, "subscription", sub.id)] == [
        "subscription.active"]
    with pytest.raises(DomainError) as refused:
        transition_subscription(session=session, subscription=sub, target="incomplete", at=now)
    assert refused.value.kind is ErrorKind.CONFLICT
    assert "active" in refused.value.message and "incomplete" in refused.value.message
    session.rollback()
    transition_subscription(session=session, subscription=sub, target="cancelled", at=now)
    session.commit()
    assert sub.status == "cancelled" and sub.live_key is None and sub.cancelled_at is not None
