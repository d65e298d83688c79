"""Event handlers never raise on what a browser can send, forged events included: a NUL in
text that would reach a PostgreSQL comparison, an order number that names no order, a select
value no option has, a slot index past the editor's slots, a decimal written in other digits.
The page shows its usual error (a toast, the message beside the field) or ignores the value.

The tests marked ``both_databases`` run on SQLite and on PostgreSQL (the NUL only fails
there: "A string literal cannot contain NUL (0x00) characters", a 500).
"""

from __future__ import annotations

from typing import Any

import pytest
import reflex as rx
from reflex.constants import RouteArgType
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.catalog import Course
from commerce_dash.models.commerce import Order
from commerce_dash.pages.admin.audit import AuditState
from commerce_dash.pages.admin.certificate_templates_state import CertificateTemplatesState
from commerce_dash.pages.admin.certificates import CertificatesAdminState
from commerce_dash.pages.admin.courses_state import CoursesState, minutes_from_hours
from commerce_dash.pages.admin.discount_form import code_input
from commerce_dash.pages.admin.discounts import DiscountsState
from commerce_dash.pages.admin.orders import AdminOrdersState
from commerce_dash.pages.admin.pricing import PricingState
from commerce_dash.pages.admin.programs import ProgramsState
from commerce_dash.pages.admin.progress import ProgressAdminState
from commerce_dash.pages.admin.refunds_state import RefundsState
from commerce_dash.pages.admin.registrations import RegistrationsState
from commerce_dash.pages.admin.sessions_state import SessionsState
from commerce_dash.pages.admin.system import SystemState
from commerce_dash.pages.admin.tax_settings import TaxSettingsState
from commerce_dash.pages.admin.users_state import CHOOSE_ROLE, UsersState, role_label
from commerce_dash.pages.store.checkout import CheckoutState
from commerce_dash.pages.store.sandbox_3ds import NOT_WAITING, ChallengeState
from commerce_dash.payments.sandbox import CHALLENGE_CARD, CardInput
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import payments as payments_service
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from commerce_dash.state.paging import MAX_SEARCH
from tests.builders import owner_of
from tests.pages.harness import PageAs, page_state, token_for
from tests.pages.harness import run_event as _run
from tests.pages.harness import toast_messages as _toasts

# The app installs this when it registers /sandbox/3ds/[intent].
rx.State.setup_dynamic_args({"intent": RouteArgType.SINGLE})

on_both_databases = pytest.mark.usefixtures("both_databases")
GOOD_FORM = {"card_number": "4242424242424242", "expiry": "12/40", "cvc": "123"}



# -- 1. admin search boxes: a NUL is dropped, the text is bounded ------------------------------

PAGED: list[tuple[type[Any], str]] = [
    (UsersState, routes.ADMIN_USERS),
    (CoursesState, routes.ADMIN_COURSES),
    (SessionsState, routes.ADMIN_SESSIONS),
    (ProgramsState, routes.ADMIN_PROGRAMS),
    (PricingState, routes.ADMIN_PRICING),
    (DiscountsState, routes.ADMIN_DISCOUNTS),
    (AdminOrdersState, routes.ADMIN_ORDERS),
    (RefundsState, routes.ADMIN_REFUNDS),
    (RegistrationsState, routes.ADMIN_REGISTRATIONS),
    (CertificatesAdminState, routes.ADMIN_CERTIFICATES),
    (ProgressAdminState, routes.ADMIN_PROGRESS),
    (TaxSettingsState, routes.ADMIN_SETTINGS),
    (SystemState, routes.ADMIN_SYSTEM),
    (AuditState, routes.ADMIN_AUDIT),
]


@on_both_databases
@pytest.mark.parametrize(("cls", "path"), PAGED, ids=[c.__name__ for c, _ in PAGED])
def test_a_nul_in_an_admin_search_is_dropped(page_as: PageAs, shop, cls: type[Any],  # type: ignore[no-untyped-def]
                                             path: str) -> None:
    state = page_as(cls, path)
    _run(cls.load, state)
    for typed, kept in (("\x00", ""), ("PY\x00101", "PY101"), ("root\x00", "root")):
        events = _run(cls.set_search, state, typed)
        assert _toasts(events) == [], (typed, events)
        assert state.search == kept and state.page == 1
    shown = (state.total, state.rows)
    _run(cls.set_search, state, "root")
    assert (state.total, state.rows) == shown  # what "root" finds, NUL or not


def test_a_search_names_rows_without_its_nul(page_as: PageAs, shop) -> None:  # type: ignore[no-untyped-def]
    users = page_as(UsersState, routes.ADMIN_USERS)
    _run(UsersState.set_search, users, "ro\x00ot")
    assert [r["email"] for r in users.rows] == ["root@example.com"]
    courses = page_as(CoursesState, routes.ADMIN_COURSES)
    _run(CoursesState.set_search, courses, "PY\x00101")
    assert courses.search == "PY101" and courses.total == 1


def test_a_search_is_cut_to_its_bound_and_text_only(page_as: PageAs, shop) -> None:  # type: ignore[no-untyped-def]
    state = page_as(UsersState, routes.ADMIN_USERS)
    assert _toasts(_run(UsersState.set_search, state, "x" * 100_000)) == []
    assert state.search == "x" * MAX_SEARCH and state.total == 0
    for forged in (5, None, ["a"], {"a": 1}):  # a forged event's argument: no search
        assert _toasts(_run(UsersState.set_search, state, forged)) == []
        assert state.search == "" and state.total == 1


@on_both_databases
def test_a_nul_in_a_search_a_link_carries_is_dropped(session: Session, super_admin: Actor) -> None:
    token = token_for(session, "root@example.com")
    refunds = page_state(RefundsState, routes.ADMIN_REFUNDS, {}, token, {"learner": "lee\x00@x"})
    assert _toasts(_run(RefundsState.load, refunds)) == []
    assert refunds.search == "lee@x" and refunds.total == 0
    certificates = page_state(CertificatesAdminState, routes.ADMIN_CERTIFICATES, {}, token,
                          {"number": "CERT-\x00"})
    assert _toasts(_run(CertificatesAdminState.load, certificates)) == []
    assert certificates.search == "CERT-" and certificates.total == 0


# -- 2. paying for an order the page does not have ---------------------------------------------


@pytest.mark.parametrize("ref", ["", "ORD-2026-99999", "nope", "ORD-2026-\x0099999"])
def test_paying_for_no_order_is_the_error_toast(page_as: PageAs, learner: Actor,  # type: ignore[no-untyped-def]
                                                ref: str) -> None:
    state = page_as(CheckoutState, f"{routes.CHECKOUT}/X", email=learner.email)
    state.order_ref = ref  # the page's order (never loaded, or one that is not the learner's)
    [message] = _toasts(_run(CheckoutState.pay_sandbox, state, dict(GOOD_FORM)))
    assert message.startswith("No order") and message.endswith("was found.")
    assert state.error == message and not state.paying
    assert (state.phase, state.missing_message) == ("missing", message)


def test_paying_on_a_checkout_page_that_found_no_order(session: Session, learner: Actor) -> None:
    number = "ORD-2026-99999"
    state = page_state(CheckoutState, f"{routes.CHECKOUT}/{number}", {"number": number},
                   token_for(session, learner.email))
    _run(CheckoutState.load, state)
    assert state.phase == "missing"
    missing = state.missing_message
    assert _toasts(_run(CheckoutState.pay_sandbox, state, dict(GOOD_FORM))) == [missing]
    assert (state.phase, state.missing_message) == ("missing", missing)


@pytest.mark.parametrize("form", [
    {"card_number": 4242424242424242, "expiry": 1240, "cvc": 123},
    {"card_number": None, "expiry": None, "cvc": None},
    {"expiry": ["12/40"]},
])
def test_card_fields_that_are_no_text_are_the_format_message(page_as: PageAs,  # type: ignore[no-untyped-def]
                                                             learner: Actor, form: dict) -> None:
    state = page_as(CheckoutState, f"{routes.CHECKOUT}/X", email=learner.email)
    assert _run(CheckoutState.pay_sandbox, state, form) == []
    assert state.error == "Enter the expiry as MM/YY." and not state.paying
    assert _run(CheckoutState.pay_sandbox, state, "not a form") == []
    assert state.error == "Enter the expiry as MM/YY."


@pytest.mark.parametrize("answer", ["", "not json", "[1, 2]", "null", "5", '"text"', 5, None])
def test_a_card_script_answer_that_is_no_object_is_an_error(page_as: PageAs,  # type: ignore[no-untyped-def]
                                                            learner: Actor, answer: Any) -> None:
    state = page_as(CheckoutState, f"{routes.CHECKOUT}/X", email=learner.email)
    state.paying = True
    assert _run(CheckoutState.stripe_token, state, answer) == []
    assert state.error == "Check your card details." and not state.paying
    state.paying = True
    assert _toasts(_run(CheckoutState.stripe_authenticated, state, answer))  # no such order
    assert not state.paying


# -- 3. a role no option has -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "", "\x00", "SUPER_ADMIN", 5, None])
def test_a_forged_role_is_the_roles_message(page_as: PageAs, super_admin: Actor,  # type: ignore[no-untyped-def]
                                            role: Any) -> None:
    state = page_as(UsersState, routes.ADMIN_USERS)
    _run(UsersState.load, state)
    _run(UsersState.open_roles, state, state.rows[0]["id"])
    before = list(state.edit_grants)
    _run(UsersState.set_add_role, state, role)
    assert _run(UsersState.add_grant, state) == []
    assert state.roles_error == CHOOSE_ROLE and state.edit_grants == before
    _run(UsersState.set_add_role, state, "learner")  # a real role still goes in
    _run(UsersState.add_grant, state)
    assert state.roles_error == "" and [g["label"] for g in state.edit_grants] == [
        "Super admin", "Learner"]


def test_a_role_label_never_raises() -> None:
    assert role_label("dept_admin") == "Department admin"
    assert role_label("owner") == "owner" and role_label(None) == "None"


@on_both_databases
@pytest.mark.parametrize("role", ["owner", "\x00", "dept\x00admin"])
def test_a_forged_role_filter_is_no_filter(page_as: PageAs, super_admin: Actor,  # type: ignore[no-untyped-def]
                                           learner: Actor, role: str) -> None:
    state = page_as(UsersState, routes.ADMIN_USERS)
    _run(UsersState.load, state)
    assert state.total == 2
    assert _run(UsersState.set_role_filter, state, role) == []
    assert state.total == 2  # every user
    _run(UsersState.set_role_filter, state, "learner")
    assert [r["email"] for r in state.rows] == ["lee@example.com"]  # a real role still filters


# -- 4. a signature slot the editor does not show ----------------------------------------------


def _editor(page_as: PageAs, signatures: int) -> CertificateTemplatesState:
    state = page_as(CertificateTemplatesState, routes.ADMIN_CERT_TEMPLATES)
    _run(CertificateTemplatesState.load, state)
    _run(CertificateTemplatesState.open_new, state)
    for i in range(signatures):
        _run(CertificateTemplatesState.add_signature, state)
        _run(CertificateTemplatesState.set_signature, state, i, "name", f"Signer {i}")
    return state


BAD_SLOTS: list[Any] = [1, 2, 3, 99, -1, -2, "1", "x", "", "¹", "０", "0.0", 0.0, None, True,
                        [0], {"i": 0}, 2**70]


@pytest.mark.parametrize("index", BAD_SLOTS)
def test_a_signature_slot_not_shown_is_ignored(page_as: PageAs, super_admin: Actor,  # type: ignore[no-untyped-def]
                                               index: Any) -> None:
    state = _editor(page_as, 1)  # one signature: slot 0 is the only one shown
    before = [dict(s) for s in state.signatures]
    assert _run(CertificateTemplatesState.set_signature, state, index, "name", "Forged") == []
    assert _run(CertificateTemplatesState.remove_signature, state, index) == []
    assert state.signatures == before and state.signature_count == 1
    assert state.errors["form"] == state.errors["signatures"] == ""


@pytest.mark.parametrize(("key", "value"), [
    ("bogus", "x"), ({"a": 1}, "x"), (None, "x"), ("name", 5), ("name", None), ("name", ["x"]),
])
def test_a_signature_field_that_is_none_is_ignored(page_as: PageAs, super_admin: Actor,  # type: ignore[no-untyped-def]
                                                   key: Any, value: Any) -> None:
    state = _editor(page_as, 1)
    before = [dict(s) for s in state.signatures]
    assert _run(CertificateTemplatesState.set_signature, state, 0, key, value) == []
    assert state.signatures == before


def test_shown_signature_slots_still_change(page_as: PageAs, super_admin: Actor) -> None:
    state = _editor(page_as, 3)
    _run(CertificateTemplatesState.set_signature, state, "1", "title", "Dean")  # digits too
    assert state.signatures[1]["title"] == "Dean"
    _run(CertificateTemplatesState.remove_signature, state, 0)
    assert state.signature_count == 2
    assert [s["name"] for s in state.signatures] == ["Signer 1", "Signer 2", ""]
    _run(CertificateTemplatesState.remove_signature, state, 2)  # no longer shown
    assert state.signature_count == 2


# -- 5. decimals people type: ASCII digits and one point ---------------------------------------

NOT_DECIMALS = ["١.٥", "١", "1_0", "１.５", "１", "٣", "1.5٠", "1e1", "1E1", "NaN", "Infinity",
                "+1", "1.5.0", "1 5", "0x10", "1\x00", "¹", "1" * 5_000 + "x"]


@pytest.mark.parametrize("text", NOT_DECIMALS)
def test_hours_in_other_digits_are_the_hours_message(text: str) -> None:
    with pytest.raises(DomainError, match="Enter the hours as a number from 0 to 10,000"):
        minutes_from_hours(text)


@pytest.mark.parametrize(("text", "minutes"), [
    ("1.5", 90), ("1,5", 90), (" 2 ", 120), ("", 0), ("0", 0), (".5", 30), ("2.", 120),
    ("10000", 600_000), ("0.01", 1), ("1.25", 75),
])
def test_hours_in_ascii_digits_are_read_as_before(text: str, minutes: int) -> None:
    assert minutes_from_hours(text) == minutes


@pytest.mark.parametrize("text", ["-1", "10000.5", "20000", "9" * 5_000])
def test_hours_out_of_range_are_the_hours_message(text: str) -> None:
    with pytest.raises(DomainError, match="Enter the hours as a number from 0 to 10,000"):
        minutes_from_hours(text)


@pytest.mark.parametrize("hours", ["١.٥", "1_0", "１.５"])
def test_the_course_form_refuses_hours_in_other_digits(session: Session, page_as: PageAs, shop,  # type: ignore[no-untyped-def]
                                                       hours: str) -> None:
    state = page_as(CoursesState, routes.ADMIN_COURSES)
    _run(CoursesState.load, state)
    course_id = shop.courses["PY101"]
    _run(CoursesState.open_edit, state, str(course_id))
    assert state.edit_open
    form = {"title": "Course PY101", "description": "", "category": "", "hours": hours,
            "thumbnail_url": ""}
    assert _run(CoursesState.save_edit, state, form) == []
    assert state.hours_error == "Enter the hours as a number from 0 to 10,000, like 1.5."
    assert state.edit_open
    session.expire_all()
    course = session.get(Course, course_id)
    assert course is not None and course.estimated_minutes == 0
    _run(CoursesState.save_edit, state, {**form, "hours": "1.5"})
    session.expire_all()
    course = session.get(Course, course_id)
    assert course is not None and course.estimated_minutes == 90 and state.hours_error == ""


def _percent_of(text: Any) -> int:
    data = code_input({"code": "X", "percent": text}, kind="percentage", scope="all",
                      department="all", item_keys=[], default_currency="USD")
    return data.percent_bps


@pytest.mark.parametrize("text", [*NOT_DECIMALS, "", 15, None])
def test_a_percent_in_other_digits_is_the_percent_message(text: Any) -> None:
    with pytest.raises(DomainError, match="Enter a percentage like 15 or 12.5.") as caught:
        _percent_of(text)
    assert caught.value.field == "percent"


@pytest.mark.parametrize(("text", "bps"), [
    ("15", 1500), ("12.5", 1250), ("12,5", 1250), (" 100 ", 10_000), ("0.01", 1), (".5", 50),
    ("12.50", 1250),
])
def test_a_percent_in_ascii_digits_is_read_as_before(text: str, bps: int) -> None:
    assert _percent_of(text) == bps


@pytest.mark.parametrize(("text", "message"), [
    ("0", "A percentage is more than 0 and at most 100."),
    ("-5", "A percentage is more than 0 and at most 100."),
    ("100.01", "A percentage is more than 0 and at most 100."),
    ("12.345", "Use at most two decimals."),
    ("9" * 5_000, "A percentage is more than 0 and at most 100."),
])
def test_a_percent_out_of_range_keeps_its_message(text: str, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        _percent_of(text)


def test_the_discount_form_shows_the_percent_message(page_as: PageAs, shop) -> None:  # type: ignore[no-untyped-def]
    state = page_as(DiscountsState, routes.ADMIN_DISCOUNTS)
    _run(DiscountsState.load, state)
    assert _run(DiscountsState.save_code, state, {"code": "ARABIC", "percent": "١٠"}) == []
    assert state.errors["percent"] == "Enter a percentage like 15 or 12.5."
    assert state.total == 0  # no code was made


# -- 6. the sandbox's 3-D Secure page ------------------------------------------------------------


def _challenge_page(session: Session, learner: Actor, intent: str) -> ChallengeState:
    state = page_state(ChallengeState, f"{routes.SANDBOX_3DS}/{intent}", {"intent": intent},
                   token_for(session, learner.email))
    assert _run(ChallengeState.load, state) == []
    return state


@on_both_databases
@pytest.mark.parametrize("intent", ["\x00", "pi_\x00x", "sbx_" + "x" * 200, "  "])
def test_a_3ds_page_for_no_intent_is_its_message(session: Session, learner: Actor,  # type: ignore[no-untyped-def]
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 intent: str) -> None:
    asked: list[str] = []
    real = payments_service.challenge_info

    def spy(**kwargs: Any) -> dict[str, str]:
        asked.append(kwargs["intent_id"])
        return real(**kwargs)

    monkeypatch.setattr(payments_service, "challenge_info", spy)
    monkeypatch.setattr("commerce_dash.services.commerce.challenge_info", spy)  # outside callers
    state = _challenge_page(session, learner, intent)
    assert (state.waiting, state.message) == (False, NOT_WAITING)
    assert asked == []  # never put to the database
    assert _toasts(_run(ChallengeState.answer, state, True)) == [NOT_WAITING]
    assert not state.busy


@on_both_databases
def test_a_3ds_page_for_an_unknown_intent_is_the_services_message(session: Session,
                                                                  learner: Actor) -> None:
    state = _challenge_page(session, learner, "sbx_pi_unknown")
    assert (state.waiting, state.message) == (False, NOT_WAITING)


def test_only_a_true_answer_approves_the_payment(session: Session, shop,  # type: ignore[no-untyped-def]
                                                 learner: Actor) -> None:
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="course",
                          item_id=shop.courses["PY101"])
    order = checkout(session=session, actor=learner, request=CheckoutRequest("three-ds-page"))
    challenge = payments_service.sandbox_pay(session=session, actor=learner, number=order.number,
                                             card=CardInput(CHALLENGE_CARD, 12, 2040, "123"))
    assert challenge.status.value == "requires_action"
    state = _challenge_page(session, learner, order.intent_id)
    assert state.waiting and state.order_ref == order.number
    _run(ChallengeState.answer, state, "false")  # a forged answer: no approval
    session.expire_all()
    paid = session.get(Order, order.order_id)
    assert paid is not None and paid.status == "pending"
