"""Issue 19 (3): owned items say "Owned" with a link to learn instead of "Add to cart"; an
item in the cart says "In your cart" (also after a reload); signing in or registering from
the cart comes back to the cart, and never goes to another site."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.components.catalog_card import IN_CART, OWNED
from commerce_dash.domain.actor import Actor
from commerce_dash.models import OutboxMessage
from commerce_dash.pages.public.confirm_email import ConfirmEmailState
from commerce_dash.pages.public.login import LoginState
from commerce_dash.pages.public.register import RegisterState
from commerce_dash.pages.store.catalog import CatalogState
from commerce_dash.pages.store.course import CourseState
from commerce_dash.pages.store.department import DepartmentState
from commerce_dash.pages.store.program import ProgramState
from commerce_dash.services.commerce import add_item
from commerce_dash.services.platform import two_factor
from commerce_dash.state.links import learn_href
from tests.builders import Shop, buy, owner_of
from tests.conftest import PASSWORD
from tests.pages.harness import PageAs, run_event, toast_messages

PY101, PY201 = "SHOP-PY101", "SHOP-PY201"

# the storefront pages read their ``[code]`` route argument (the app installs it)
def _course(page_as: PageAs, code: str, email: str = "lee@example.com", **kw: Any) -> CourseState:
    page = page_as(CourseState, f"{routes.STORE_COURSE}/{code}", email=email, params={"code": code})
    for name, value in kw.items():
        setattr(page, name, value)
    run_event(CourseState.load, page)
    assert page.status == "found"
    return page


def test_an_owned_course_says_owned_with_a_link_to_learn(
    session: Session, page_as: PageAs, shop: Shop, learner: Actor
) -> None:
    buy(session, learner, shop, ("course", "PY101"))
    page = _course(page_as, PY101)
    assert page.owned and not page.in_cart
    assert page.owned_href == learn_href(PY101)
    assert page.offer_note == ""  # the Owned box says it; no "You already own" callout
    other = _course(page_as, PY201)
    assert not other.owned and not other.in_cart


def test_adding_a_course_shows_in_your_cart_and_so_it_stays_on_reload(
    page_as: PageAs, shop: Shop, learner: Actor
) -> None:
    page = _course(page_as, PY201)
    assert not page.in_cart
    events = run_event(CourseState.add_to_cart, page)
    assert toast_messages(events, "success"), events
    assert page.in_cart and not page.owned
    assert _course(page_as, PY201).in_cart  # a reload: a fresh page state


def test_a_guest_adding_to_the_cart_sees_in_your_cart_with_the_same_cart(
    page_as: PageAs, shop: Shop
) -> None:
    page = _course(page_as, PY201, email="")
    run_event(CourseState.add_to_cart, page)
    assert page.in_cart and page.cart_token
    again = _course(page_as, PY201, email="", cart_token=page.cart_token)
    assert again.in_cart and not again.owned
    assert not _course(page_as, PY201, email="").in_cart  # another browser


def test_an_owned_program_says_owned_and_leads_to_the_learners_courses(
    session: Session, page_as: PageAs, shop: Shop, learner: Actor
) -> None:
    buy(session, learner, shop, ("program", ""))
    page = page_as(
        ProgramState,
        f"{routes.STORE_PROGRAM}/SHOP-PATH",
        email="lee@example.com",
        params={"code": "SHOP-PATH"},
    )
    run_event(ProgramState.load, page)
    assert page.owned and page.owned_href == routes.ACCOUNT


def test_catalog_and_department_cards_show_owned_and_in_your_cart(
    session: Session, page_as: PageAs, shop: Shop, learner: Actor
) -> None:
    buy(session, learner, shop, ("course", "PY101"))
    add_item(
        session=session, owner=owner_of(learner), item_type="course", item_id=shop.courses["PY201"]
    )
    catalog = page_as(CatalogState, routes.STORE, email="lee@example.com")
    run_event(CatalogState.load, catalog)
    cards = {c["code"]: c for c in catalog.cards}
    assert (cards[PY101]["standing"], cards[PY101]["standing_href"]) == ("owned", learn_href(PY101))
    assert (cards[PY201]["standing"], cards[PY201]["standing_href"]) == ("in_cart", routes.CART)
    assert cards["SHOP-SQL101"]["standing"] == ""
    assert cards["SHOP-PATH"]["standing"] == ""  # one course of three owned: still for sale
    # search results are the same cards
    search = page_as(CatalogState, routes.STORE, email="lee@example.com", query={"q": "PY101"})
    run_event(CatalogState.load, search)
    assert [(c["code"], c["standing"]) for c in search.cards] == [(PY101, "owned")]
    dept = page_as(
        DepartmentState,
        f"{routes.STORE_DEPARTMENT}/SHOP",
        email="lee@example.com",
        params={"code": "SHOP"},
    )
    run_event(DepartmentState.load, dept)
    assert {c["code"]: c["standing"] for c in dept.cards}[PY101] == "owned"
    visitor = page_as(CatalogState, routes.STORE, email="")
    run_event(CatalogState.load, visitor)
    assert {c["standing"] for c in visitor.cards} == {""}
    assert OWNED == "Owned" and IN_CART == "In your cart"


# -- coming back to the cart ---------------------------------------------------------------


def _landing(events: list[Any]) -> str:
    """The page the sign-in hop lands on (its ``to``), as a local path."""
    script = " ".join(
        str(getattr(v, "_js_expr", "")) for e in events if hasattr(e, "args") for _, v in e.args
    )
    found = re.search(r'window\.location\.assign\(\\?"([^"\\]+)', script)
    assert found, script
    to = parse_qs(urlsplit(found.group(1)).query)["to"][0]
    return urlsplit(to).path


def _sign_in(page_as: PageAs, query: dict[str, str]) -> list[Any]:
    page = page_as(LoginState, routes.LOGIN, email="", query=query)
    run_event(LoginState.load, page)
    return run_event(LoginState.submit, page, {"email": "lee@example.com", "password": PASSWORD})


def test_signing_in_from_the_cart_returns_to_the_cart(page_as: PageAs, learner: Actor) -> None:
    assert _landing(_sign_in(page_as, {"next": routes.CART})) == routes.CART
    assert _landing(_sign_in(page_as, {})) == routes.ACCOUNT


def test_an_off_site_return_path_is_refused(page_as: PageAs, learner: Actor) -> None:
    for wanted in (
        "https://evil.example/cart",
        "//evil.example/cart",
        "/\\evil.example",
        "javascript:alert(1)",
        "cart",
    ):
        assert _landing(_sign_in(page_as, {"next": wanted})) == routes.ACCOUNT, wanted
        page = page_as(LoginState, routes.LOGIN, email="", query={"next": wanted})
        run_event(LoginState.load, page)
        assert page.register_href == routes.REGISTER, wanted


def test_the_sign_in_and_register_links_carry_the_return_path(page_as: PageAs) -> None:
    login = page_as(LoginState, routes.LOGIN, email="", query={"next": routes.CART})
    run_event(LoginState.load, login)
    assert login.register_href == f"{routes.REGISTER}?next=%2Fcart"
    register = page_as(RegisterState, routes.REGISTER, email="", query={"next": routes.CART})
    run_event(RegisterState.load, register)
    assert register.login_href == f"{routes.LOGIN}?next=%2Fcart"


def _confirmation_token(session: Session) -> str:
    session.expire_all()
    rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id).desc())).all()
    for row in rows:
        if row.payload and row.payload.get("template") == "verify-email":
            found = re.search(r"[?&]token=([A-Za-z0-9_-]+)", row.payload["text"])
            assert found
            return found.group(1)
    raise AssertionError("no confirmation email")


def _register(page_as: PageAs, email: str, query: dict[str, str]) -> RegisterState:
    page = page_as(RegisterState, routes.REGISTER, email="", query=query)
    run_event(RegisterState.load, page)
    run_event(
        RegisterState.submit,
        page,
        {
            "full_name": "New Learner",
            "email": email,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    assert page.sent, page.email_error or page.form_error
    return page


def _confirm(session: Session, page_as: PageAs, return_cookie: str) -> list[Any]:
    """The emailed link opened in the same browser (which holds the cookie)."""
    token = _confirmation_token(session)
    page = page_as(ConfirmEmailState, routes.CONFIRM_EMAIL, email="", query={"token": token})
    page.return_cookie = return_cookie
    run_event(ConfirmEmailState.load, page)
    events = run_event(ConfirmEmailState.confirm, page, {})
    assert page.return_cookie == ""  # used once
    return events


def test_registering_from_the_cart_returns_to_the_cart_after_the_emailed_link(
    session: Session, page_as: PageAs
) -> None:
    registered = _register(page_as, "newbie@example.com", {"next": routes.CART})
    assert registered.return_cookie == routes.CART
    assert _landing(_confirm(session, page_as, registered.return_cookie)) == routes.CART


def test_registering_without_a_return_path_lands_on_the_catalog_as_before(
    session: Session, page_as: PageAs
) -> None:
    registered = _register(page_as, "plain@example.com", {"next": "https://evil.example/"})
    assert registered.return_cookie == ""
    assert _landing(_confirm(session, page_as, "")) == routes.STORE


def test_a_forged_return_cookie_never_leads_off_the_site(session: Session, page_as: PageAs) -> None:
    _register(page_as, "forged@example.com", {})
    assert _landing(_confirm(session, page_as, "//evil.example/x")) == routes.STORE


def test_two_factor_sign_in_from_the_cart_keeps_the_way_back(
    session: Session, page_as: PageAs, learner: Actor
) -> None:
    enrolment = two_factor.start_enrolment(session=session, actor=learner)
    two_factor.confirm_enrolment(
        session=session, actor=learner, code=pyotp.TOTP(enrolment.secret).now()
    )
    page = page_as(LoginState, routes.LOGIN, email="", query={"next": routes.CART})
    run_event(LoginState.load, page)
    events = run_event(LoginState.submit, page, {"email": "lee@example.com", "password": PASSWORD})
    assert routes.SECOND_FACTOR in " ".join(str(e) for e in events)
    assert page._challenge_landing == routes.CART
