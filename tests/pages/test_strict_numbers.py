"""Numbers the browser sends to a page (route and query arguments, select values, typed form
fields, the ids event handlers receive) are ASCII digits in range or nothing.

Each bad value below once raised inside the event handler ("¹": int() fails after isdigit()
said yes), was quietly read as another number ("١" is 1) or went to the database past its
INTEGER range. Now the page shows its usual error message, or ignores the value (no filter,
page 1), and the handler returns normally.
"""

from __future__ import annotations

from typing import Any

import pytest
import reflex as rx
from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.revenue import RevenueShareRule
from commerce_dash.pages.admin.approval_rules import ApprovalRulesState
from commerce_dash.pages.admin.certificate_templates_state import CertificateTemplatesState
from commerce_dash.pages.admin.certificates import CertificatesAdminState
from commerce_dash.pages.admin.completion_rules import CompletionRuleState
from commerce_dash.pages.admin.courses import CoursesState
from commerce_dash.pages.admin.discount_form import code_input
from commerce_dash.pages.admin.discount_stats import DiscountStatsState
from commerce_dash.pages.admin.discounts import DiscountsState
from commerce_dash.pages.admin.lms_pending import LmsPendingState
from commerce_dash.pages.admin.orders import AdminOrdersState
from commerce_dash.pages.admin.payment_events import PaymentEventsState
from commerce_dash.pages.admin.pricing_state import PricingState, whole_days
from commerce_dash.pages.admin.programs import ProgramsState
from commerce_dash.pages.admin.progress import ProgressAdminState
from commerce_dash.pages.admin.refunds_state import RefundsState
from commerce_dash.pages.admin.registrations import RegistrationsState
from commerce_dash.pages.admin.revenue import RevenueState
from commerce_dash.pages.admin.revenue_shares import RevenueSharesState
from commerce_dash.pages.admin.system import SystemState
from commerce_dash.pages.admin.tax_settings import TaxSettingsState
from commerce_dash.pages.admin.users import UsersState
from commerce_dash.pages.store.cart import CartState
from commerce_dash.pages.store.catalog import CatalogState, _page_number
from commerce_dash.pages.store.checkout import CheckoutState
from commerce_dash.pages.store.learn import LearnState
from commerce_dash.payments.sandbox import CardInput
from commerce_dash.services.commerce import payments as payments_service
from tests.builders import buy
from tests.pages.harness import PageAs, page_state
from tests.pages.harness import run_event as _run
from tests.pages.harness import toast_messages as _toasts

# superscript one (isdigit() but int() fails), Arabic-Indic one (int() reads 1), past 64 bits
BAD = ["¹", "١", "99999999999999999999"]


@pytest.fixture
def bought(session: Session, shop, learner: Actor):  # type: ignore[no-untyped-def]
    """Lee bought PY201 (not course 1: "١" must not read as its id): one active enrollment."""
    buy(session, learner, shop, ("course", "PY201"))
    return shop


# -- the storefront -----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "page"), [
    ("3", 3), ("99999", 99_999), ("100000", 1), ("0", 1), ("", 1), ("-2", 1), ("2.0", 1),
    *((bad, 1) for bad in BAD), ("²", 1), ("１", 1), ("٣", 1),  # (int("٣") is 3)
])
def test_the_catalog_reads_page_as_ascii_digits_else_page_1(raw: str, page: int) -> None:
    assert _page_number(raw) == page


@pytest.mark.parametrize("bad", [*BAD, "²"])
def test_a_catalog_link_with_a_bad_page_shows_page_1(session: Session, shop, bad: str) -> None:  # type: ignore[no-untyped-def]
    state = page_state(CatalogState, routes.STORE, {}, "", {"page": bad})
    _run(CatalogState.load, state)
    assert state.loaded and state.page == 1
    assert state.total == 5 and len(state.cards) == 5  # four courses and the program


@pytest.mark.parametrize("expiry", [
    "¹/30", "١٢/30", "99999999999999999999/30", "12/¹", "12/٣٠", "12/99999999999999999999",
    "13/30", "0/30", "+1/30", "1_2/30", "12", "",
])
def test_a_card_expiry_that_is_no_month_and_year_is_the_format_message(  # type: ignore[no-untyped-def]
    page_as: PageAs, learner: Actor, expiry: str
) -> None:
    state = page_as(CheckoutState, f"{routes.CHECKOUT}/CD-1", email=learner.email)
    events = _run(CheckoutState.pay_sandbox, state,
                  {"card_number": "4242424242424242", "expiry": expiry, "cvc": "123"})
    assert events == []
    assert state.error == "Enter the expiry as MM/YY." and not state.paying


class _Paid(Exception):
    pass


@pytest.mark.parametrize(("expiry", "month", "year"), [
    ("01 / 2040", 1, 2040), ("12/40", 12, 40), ("7/41", 7, 41),
])
def test_a_card_expiry_in_ascii_digits_goes_to_the_processor(  # type: ignore[no-untyped-def]
    page_as: PageAs, learner: Actor, monkeypatch: pytest.MonkeyPatch, expiry: str, month: int,
    year: int
) -> None:
    cards: list[CardInput] = []

    def pay(*, card: CardInput, **_: Any) -> None:
        cards.append(card)
        raise _Paid

    monkeypatch.setattr(payments_service, "sandbox_pay", pay)
    monkeypatch.setattr("commerce_dash.services.commerce.sandbox_pay", pay)  # outside callers
    state = page_as(CheckoutState, f"{routes.CHECKOUT}/CD-1", email=learner.email)
    with pytest.raises(_Paid):
        _run(CheckoutState.pay_sandbox, state,
             {"card_number": "4242424242424242", "expiry": expiry, "cvc": "123"})
    assert [(c.exp_month, c.exp_year) for c in cards] == [(month, year)] and state.error == ""


@pytest.mark.parametrize("bad", BAD)
def test_removing_a_cart_line_that_is_no_id_is_the_not_found_message(  # type: ignore[no-untyped-def]
    page_as: PageAs, shop, learner: Actor, bad: str
) -> None:
    state = page_as(CartState, routes.CART, email=learner.email)
    assert _toasts(_run(CartState.remove, state, bad))


@pytest.mark.parametrize("bad", BAD)
def test_marking_a_module_that_is_no_id_is_an_error_message(  # type: ignore[no-untyped-def]
    page_as: PageAs, learner: Actor, bad: str
) -> None:
    state = page_as(LearnState, f"{routes.LEARN}/X", email=learner.email)
    assert _toasts(_run(LearnState.mark_complete, state, bad))
    assert state.marking == 0


# -- list filters: a select value that is no id is no filter ------------------------------------


@pytest.mark.parametrize("bad", BAD)
def test_progress_course_filter(page_as: PageAs, bought, bad: str) -> None:  # type: ignore[no-untyped-def]
    state = page_as(ProgressAdminState, routes.ADMIN_PROGRESS)
    assert _run(ProgressAdminState.load, state) == [] and state.total == 1
    assert _run(ProgressAdminState.set_course_filter, state, bad) == []
    assert state.course_filter == bad and state.total == 1  # every course
    _run(ProgressAdminState.set_course_filter, state, str(bought.courses["PY101"]))
    assert state.total == 0  # a real id still filters


@pytest.mark.parametrize("bad", BAD)
def test_registrations_course_filter(page_as: PageAs, shop, bad: str) -> None:  # type: ignore[no-untyped-def]
    state = page_as(RegistrationsState, routes.ADMIN_REGISTRATIONS)
    _run(RegistrationsState.load, state)
    assert _run(RegistrationsState.set_course_filter, state, bad) == []
    assert state.course_filter == bad and state.total == 0


@pytest.mark.parametrize("bad", BAD)
def test_certificates_course_and_department_filters(page_as: PageAs, shop, bad: str) -> None:  # type: ignore[no-untyped-def]
    state = page_as(CertificatesAdminState, routes.ADMIN_CERTIFICATES)
    _run(CertificatesAdminState.load, state)
    assert _run(CertificatesAdminState.set_course_filter, state, bad) == []
    assert _run(CertificatesAdminState.set_department_filter, state, bad) == []
    assert (state.course_filter, state.department_filter, state.total) == (bad, bad, 0)


@pytest.mark.parametrize("bad", BAD)
def test_revenue_department_filter(page_as: PageAs, bought, bad: str) -> None:  # type: ignore[no-untyped-def]
    state = page_as(RevenueState, routes.ADMIN_REVENUE)
    assert _toasts(_run(RevenueState.load, state)) == []
    everything = state.totals
    assert _run(RevenueState.set_department, state, bad) == []
    assert state.department == bad and state.totals == everything  # every department


@pytest.mark.parametrize("bad", BAD)
def test_pricing_and_courses_department_filters(page_as: PageAs, shop, bad: str) -> None:  # type: ignore[no-untyped-def]
    pricing = page_as(PricingState, routes.ADMIN_PRICING)
    _run(PricingState.load, pricing)
    assert _run(PricingState.set_department_filter, pricing, bad) == []
    assert pricing.total == 5  # every price
    courses = page_as(CoursesState, routes.ADMIN_COURSES)
    _run(CoursesState.load, courses)
    assert _run(CoursesState.set_department_filter, courses, bad) == []
    assert courses.total == 4


# -- forms: a typed number that is no whole number in range is the field's message ------------


@pytest.mark.parametrize("bad", [*BAD, "-1", "101", "1.5"])
def test_progress_score_and_minutes(page_as: PageAs, bought, bad: str) -> None:  # type: ignore[no-untyped-def]
    state = page_as(ProgressAdminState, routes.ADMIN_PROGRESS)
    _run(ProgressAdminState.load, state)
    message = ("Score and minutes are whole numbers: a score from 0 to 100, minutes from 0 "
               "to 100,000.")
    for form in ({"score": bad, "minutes": "5"}, {"score": "80", "minutes": bad + "000000"}):
        assert _toasts(_run(ProgressAdminState.record, state, {"module_id": "1", **form})) == [
            message]


@pytest.mark.parametrize("bad", BAD)
def test_progress_ids_that_are_no_ids(page_as: PageAs, bought, bad: str) -> None:  # type: ignore[no-untyped-def]
    state = page_as(ProgressAdminState, routes.ADMIN_PROGRESS)
    _run(ProgressAdminState.load, state)
    assert _toasts(_run(ProgressAdminState.open_progress, state, bad))
    assert not state.open_enrollment
    _run(ProgressAdminState.open_progress, state, state.rows[0]["id"])
    assert state.open_enrollment
    assert _toasts(_run(ProgressAdminState.record, state, {"module_id": bad, "minutes": "5"})) \
        == ["That module is not part of this course."]


@pytest.mark.parametrize("bad", BAD)
def test_completion_rule_numbers_and_modules(page_as: PageAs, shop, bad: str) -> None:  # type: ignore[no-untyped-def]
    state = page_as(CompletionRuleState, routes.ADMIN_COURSES)
    assert _toasts(_run(CompletionRuleState.open_for, state, bad, "X"))
    assert not state.open
    _run(CompletionRuleState.open_for, state, str(shop.courses["PY101"]), "PY101")
    assert state.open
    expected = {"min_percentage": "Enter a whole number from 1 to 100.",
                "passing_score": "Enter a whole number from 0 to 100.",
                "min_minutes": "Enter a whole number from 0 to 1,000,000.",
                "valid_for_days": "Enter a whole number from 0 to 36,500."}
    for name, message in expected.items():
        assert _run(CompletionRuleState.save, state, {name: bad}) == []
        assert (state.error, state.error_field, state.open) == (message, name, True)
    _run(CompletionRuleState.set_requirement, state, "specific_modules")
    _run(CompletionRuleState.toggle_module, state, bad)
    assert _run(CompletionRuleState.save, state, {}) == []
    assert state.error == "A required module is not in this course."
    _run(CompletionRuleState.toggle_module, state, bad)
    _run(CompletionRuleState.set_requirement, state, "all_modules")
    _run(CompletionRuleState.set_assessment, state, bad)
    _run(CompletionRuleState.save, state, {"passing_score": "50"})
    assert state.error == "The assessment module is not in this course."


@pytest.mark.parametrize("bad", BAD)
def test_certificate_template_department_and_signature_image(  # type: ignore[no-untyped-def]
    page_as: PageAs, shop, bad: str
) -> None:
    state = page_as(CertificateTemplatesState, routes.ADMIN_CERT_TEMPLATES)
    _run(CertificateTemplatesState.load, state)
    _run(CertificateTemplatesState.open_new, state)
    _run(CertificateTemplatesState.set_draft, state, "name", "Standard")
    _run(CertificateTemplatesState.set_draft, state, "department_id", bad)
    assert _toasts(_run(CertificateTemplatesState.save, state)) == [
        "Choose the department of the template."]
    assert state.errors["department_id"] == "Choose the department of the template."
    _run(CertificateTemplatesState.set_draft, state, "department_id", str(shop.department_id))
    _run(CertificateTemplatesState.add_signature, state)
    _run(CertificateTemplatesState.set_signature, state, 0, "name", "Dean")
    _run(CertificateTemplatesState.set_signature, state, 0, "image_id", bad)
    [message] = _toasts(_run(CertificateTemplatesState.save, state))
    assert state.errors["signatures"] == message and state.editor_open


@pytest.mark.parametrize("bad", BAD)
def test_revenue_share_target(session: Session, page_as: PageAs, shop, bad: str) -> None:  # type: ignore[no-untyped-def]
    state = page_as(RevenueSharesState, routes.ADMIN_SETTINGS)
    _run(RevenueSharesState.load, state)
    _run(RevenueSharesState.open_new, state)
    _run(RevenueSharesState.set_scope, state, "department")
    _run(RevenueSharesState.set_target, state, bad)
    assert _run(RevenueSharesState.save, state,
                {"platform": "30", "creator": "40", "instructor": "30"}) == []
    assert state.error == "Choose a course, a department or the default." and state.dialog_open
    assert session.exec(select(RevenueShareRule)).all() == []


@pytest.mark.parametrize("bad", [*BAD, "366", "-1"])
def test_pricing_trial_days_and_item(page_as: PageAs, shop, bad: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError, match="Trial days are a whole number from 0 to 365."):
        whole_days(bad)
    assert whole_days("365") == 365 and whole_days("") == 0
    state = page_as(PricingState, routes.ADMIN_PRICING)
    _run(PricingState.load, state)
    _run(PricingState.open_new, state)
    _run(PricingState.set_new_item_type, state, "subscription")
    _run(PricingState.set_new_item, state, str(shop.department_id))
    form = {"amount": "10", "currency": "USD", "trial_days": bad}
    assert _run(PricingState.create_price, state, form) == []
    assert state.trial_error == "Trial days are a whole number from 0 to 365." and state.new_open
    if bad in BAD:
        _run(PricingState.set_new_item, state, bad)
        assert _run(PricingState.create_price, state, {**form, "trial_days": "7"}) == []
        assert state.item_error == "Choose what this price is for." and state.new_open


@pytest.mark.parametrize("bad", BAD)
def test_manual_certificate_issue(page_as: PageAs, shop, learner: Actor, bad: str) -> None:  # type: ignore[no-untyped-def]
    state = page_as(CertificatesAdminState, routes.ADMIN_CERTIFICATES)
    _run(CertificatesAdminState.load, state)
    _run(CertificatesAdminState.open_issue, state)
    _run(CertificatesAdminState.set_issue_item, state, str(shop.courses["PY101"]))
    form = {"email": learner.email, "percentage": bad}
    assert _run(CertificatesAdminState.submit_issue, state, form) == []
    assert state.issue_errors == {"percentage": "A percentage is a whole number from 0 to 100."}
    _run(CertificatesAdminState.set_issue_item, state, bad)
    assert _run(CertificatesAdminState.submit_issue, state, {**form, "percentage": "90"}) == []
    assert state.issue_errors == {"course_id": "Choose a course or a program."}
    assert _toasts(_run(CertificatesAdminState.open_detail, state, bad))
    assert not state.detail_open


@pytest.mark.parametrize("bad", BAD)
def test_discount_form_limits_items_and_department(bad: str) -> None:
    base: dict[str, Any] = {"kind": "percentage", "scope": "all", "department": "all",
                            "item_keys": [], "default_currency": "USD"}
    with pytest.raises(DomainError, match="Enter a whole number from 1 to 2,147,483,647."):
        code_input({"code": "X", "percent": "10", "max_uses": bad}, **base)
    data = code_input({"code": "X", "percent": "10"},
                      **{**base, "scope": "listed", "department": bad,
                         "item_keys": [f"course:{bad}", "course"]})
    assert data.department_id == 0 and data.listed_items == {("course", 0)}  # "not found"


@pytest.mark.parametrize("bad", BAD)
def test_a_user_role_needs_a_department_that_is_an_id(page_as: PageAs, super_admin: Actor,
                                                       bad: str) -> None:
    state = page_as(UsersState, routes.ADMIN_USERS)
    _run(UsersState.load, state)
    _run(UsersState.open_roles, state, state.rows[0]["id"])
    _run(UsersState.set_add_role, state, "dept_admin")
    _run(UsersState.set_add_department, state, bad)
    assert _run(UsersState.add_grant, state) == []
    assert state.roles_error == "Choose the department this role applies to."
    assert [g["role"] for g in state.edit_grants] == ["super_admin"]


# -- ids event handlers receive (from a row's button: a forged event can send anything) ----------


ID_HANDLERS: list[tuple[type[Any], str, tuple[Any, ...]]] = [
    (ProgressAdminState, "open_progress", ()),
    (CompletionRuleState, "open_for", ("label",)),
    (CertificatesAdminState, "open_detail", ()),
    (CertificateTemplatesState, "open_edit", ()),
    (CertificateTemplatesState, "make_default_template", ("name",)),
    (CertificateTemplatesState, "remove_logo", ("label",)),
    (RegistrationsState, "approve", ("R-1",)),
    (PricingState, "open_history", ()),
    (UsersState, "open_roles", ()),
    (UsersState, "reissue", ()),
    (DiscountStatsState, "open_stats", ("CODE",)),
    (SystemState, "open_detail", ()),
    (SystemState, "replay", ()),
    (ApprovalRulesState, "set_rule", ("required",)),
    (RefundsState, "retry", ("CD-1", "Lee")),
    (PaymentEventsState, "replay", ()),
    (CoursesState, "open_edit", ()),
    (ProgramsState, "open_edit", ()),
    (TaxSettingsState, "toggle_rate", (True,)),
    (AdminOrdersState, "clear_review", ("lee@example.com",)),
    (DiscountsState, "open_edit", ()),
    (LmsPendingState, "retry", ()),
]


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(("cls", "name", "rest"), ID_HANDLERS,
                         ids=[f"{c.__name__}.{n}" for c, n, _ in ID_HANDLERS])
def test_an_id_that_is_no_id_is_the_handlers_error_message(  # type: ignore[no-untyped-def]
    page_as: PageAs, bought, cls: type[Any], name: str, rest: tuple[Any, ...], bad: str
) -> None:
    # (the shop's department, first course, program and user all have id 1: "١" is none)
    state = page_as(cls)
    handler = getattr(cls, name)
    if name in ("open_history",):
        events = _run(handler, state, "course", bad, "title")
    else:
        events = _run(handler, state, bad, *rest)
    assert _toasts(events), events


@pytest.mark.parametrize("bad", BAD)
def test_ids_kept_for_a_confirmation_are_refused_there(page_as: PageAs, super_admin: Actor,  # type: ignore[no-untyped-def]
                                                       bad: str) -> None:
    templates = page_as(CertificateTemplatesState)
    _run(CertificateTemplatesState.ask_delete, templates, bad, "Old")
    assert _toasts(_run(CertificateTemplatesState.confirm_delete, templates))
    pricing = page_as(PricingState)
    _run(PricingState.open_deactivate, pricing, bad, "Old")
    _run(PricingState.set_deactivate_reason, pricing, "Replaced by the new price list.")
    assert _run(PricingState.confirm_deactivate, pricing) == []
    assert pricing.deactivate_error  # the price's "not found", beside the reason
    tax = page_as(TaxSettingsState)
    _run(TaxSettingsState.ask_revoke, tax, bad, "ACME")
    assert _toasts(_run(TaxSettingsState.confirm_revoke, tax))
    system = page_as(SystemState)
    _run(SystemState.ask_discard, system, bad)
    assert _toasts(_run(SystemState.discard, system, {"reason": "Sent to a wrong address."}))
    queue = page_as(RegistrationsState)
    _run(RegistrationsState.open_reject, queue, bad, "R-1")
    assert not queue.reject_open  # not the "whole selection" dialog (reject_id 0)


@pytest.mark.parametrize("bad", BAD)
def test_a_forged_selection_is_reported_not_raised(page_as: PageAs, super_admin: Actor,  # type: ignore[no-untyped-def]
                                                   bad: str) -> None:
    for cls in (RegistrationsState, RefundsState):
        queue = page_as(cls)
        _run(cls.load, queue)
        _run(cls.toggle_selected, queue, bad)
        events = _run(cls.bulk_approve, queue)
        assert queue.bulk_failed == 1 or _toasts(events), (cls, events, queue.bulk_results)


def test_the_event_specs_parse() -> None:
    """Guards ``_toasts`` against a change in how a toast prints (a vacuous pass)."""
    assert _toasts([rx.toast.error('Say "hi"'), rx.toast.success("ok")]) == ['Say "hi"']
    assert _toasts([rx.toast.success("ok")], "success") == ["ok"]
