"""The account page's "Your data" card, driven through its state: why the account cannot be
deleted is shown before anything is typed; a mistyped email is said beside its box; a
deletion signs the browser out with a note."""

from __future__ import annotations

from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.models.accounts import User
from commerce_dash.pages.store.account import account_page
from commerce_dash.pages.store.personal_data_state import DELETED_NOTICE, PersonalDataState
from tests.builders import checked_out
from tests.conftest import PASSWORD
from tests.pages.harness import page_state, run_event, toasts, token_for


def _card(session: Session) -> PersonalDataState:
    page = page_state(PersonalDataState, routes.ACCOUNT, {}, token_for(session, "lee@example.com"))
    run_event(PersonalDataState.load, page)
    return page


def test_the_card_offers_the_copy_and_the_deletion() -> None:
    page = str(account_page())
    for part in ("download-my-data", "delete-account-open"):
        assert part in page


def test_a_payment_under_way_is_said_before_typing(session: Session, shop, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    result = checked_out(session, learner, ("course", shop.courses["PY101"]))
    page = _card(session)
    assert page.blockers and page.blockers[0].startswith(f"A payment of order {result.number}")


def test_a_mistyped_email_then_the_deletion(session: Session, learner: Actor) -> None:
    page = _card(session)
    assert page.blockers == [] and page.data_path == "/api/v2/me/data"
    run_event(
        PersonalDataState.delete_account,
        page,
        {"confirm_email": "lee@example.org", "password": PASSWORD},
    )
    assert page.confirm_email_error.startswith("Type the email of your account")
    run_event(
        PersonalDataState.delete_account,
        page,
        {"confirm_email": "lee@example.com", "password": "x"},
    )
    assert page.delete_password_error == "The password is incorrect."
    events = run_event(
        PersonalDataState.delete_account,
        page,
        {"confirm_email": "lee@example.com", "password": PASSWORD},
    )
    assert "/api/v2/auth/signed-out" in toasts(events)
    assert DELETED_NOTICE in page.notice_cookie
    assert not page.signed_in
    session.expire_all()
    assert session.exec(select(User.deleted_at).where(User.id == learner.user_id)).one()
