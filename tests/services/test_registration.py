"""Becoming a user: registering (finished by an emailed link), confirming the address, and
accepting an invitation; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from threading import Barrier, Thread

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from commerce_dash.db import get_engine
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.accounts import AccountToken, User, UserRole, UserSession
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.notify.outbox_email import EMAIL_TOPIC
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from commerce_dash.services.platform import accounts, passwords, rate_limit, users
from commerce_dash.services.platform import signup as registration
from commerce_dash.services.platform.accounts import Verified
from commerce_dash.services.platform.secrets import verify_password
from commerce_dash.settings import get_settings
from tests.builders import owner_of
from tests.conftest import PASSWORD, create_user

pytestmark = pytest.mark.usefixtures("both_databases")

NEW_PASSWORD = "a-brand-new-password"


def _emails(session: Session, template: str) -> list[dict]:  # type: ignore[type-arg]
    session.expire_all()
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.topic == EMAIL_TOPIC)
                        .order_by(col(OutboxMessage.id))).all()
    return [r.payload for r in rows if r.payload and r.payload.get("template") == template]


def _link_token(email: dict) -> str:  # type: ignore[type-arg]
    found = re.search(r"[?&]token=([A-Za-z0-9_-]+)", email["text"])
    assert found, email["text"]
    return found.group(1)


def _register(session: Session, email: str = "new@example.com", client_ip: str = "") -> str:
    return registration.register_learner(session=session, email=email, full_name="New Person",
                                         password=PASSWORD, client_ip=client_ip)


def _confirmation_link(session: Session) -> str:
    return _link_token(_emails(session, "verify-email")[-1])


def _user(session: Session, email: str) -> User:
    session.expire_all()
    return session.exec(select(User).where(User.email == email)).one()


def _refused(call) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as err:
        call()
    return err.value


def _invited(session: Session, admin: Actor, email: str = "inv@example.com") -> tuple[int, str]:
    created = users.create_user(session=session, actor=admin, email=email, full_name="Invited",
                                grants=[Grant(RoleName.BILLING_ADMIN)])
    assert created.user.id is not None and created.invitation_link
    return created.user.id, created.invitation_link.rsplit("token=", 1)[1]


# -- registering ------------------------------------------------------------------------------


def test_registering_emails_a_confirmation_link_and_opens_no_session(session: Session) -> None:
    answer = _register(session, "New.Person@Example.com")
    assert answer == registration.CHECK_YOUR_EMAIL
    user = _user(session, "new.person@example.com")
    assert user.email_verified_at is None
    assert session.exec(select(UserRole.role).where(UserRole.user_id == user.id)).all() == [
        RoleName.LEARNER]
    assert session.exec(select(UserSession)).all() == []
    [email] = _emails(session, "verify-email")
    assert email["to"] == "new.person@example.com"
    assert f"{get_settings().public_url}/confirm-email?token=" in email["text"]


def test_registering_a_taken_address_answers_the_same_and_emails_its_owner(
        session: Session) -> None:
    create_user(session, "taken@example.com", full_name="Tara Taken")
    new_answer = _register(session, "new@example.com")
    # when someone registers the taken address (in other case, with their own password)
    taken_answer = registration.register_learner(
        session=session, email="TAKEN@Example.com", full_name="Mallory", password=NEW_PASSWORD)
    # then the answer tells nothing
    assert taken_answer == new_answer == registration.CHECK_YOUR_EMAIL
    # the account is as it was: no new password, name or role
    owner = _user(session, "taken@example.com")
    assert owner.full_name == "Tara Taken"
    assert verify_password(owner.password_hash, PASSWORD)
    assert session.exec(select(func.count()).select_from(User)).one() == 2
    # its owner is told someone tried, with the ways to sign in or reset; no link is sent
    [note] = _emails(session, "account-exists")
    assert note["to"] == "taken@example.com"
    assert "/login" in note["text"] and "/forgot-password" in note["text"]
    assert [e["to"] for e in _emails(session, "verify-email")] == ["new@example.com"]
    # and the password given there signs nobody in
    err = _refused(lambda: accounts.sign_in(session=session, email="taken@example.com",
                                            password=NEW_PASSWORD))
    assert err.code == "invalid_credentials"


def test_registering_is_limited_per_client_address(session: Session,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    moment = utcnow()
    monkeypatch.setattr(rate_limit, "utcnow", lambda: moment)
    monkeypatch.setenv("COMMERCE_REGISTER_PER_CLIENT_PER_HOUR", "3")
    get_settings.cache_clear()
    try:
        for n in range(3):
            _register(session, f"new{n}@example.com", client_ip="203.0.113.7")
        # the fourth from the address waits, taken address or not
        for address in ("new9@example.com", "new0@example.com"):
            err = _refused(lambda a=address: _register(  # type: ignore[misc]
                session, a, client_ip="203.0.113.7"))
            assert (err.code, err.kind) == ("rate_limited", ErrorKind.RATE_LIMITED)
            assert err.retry_after_seconds and err.retry_after_seconds <= 3600
        # resending links counts in the same allowance
        err = _refused(lambda: registration.resend_confirmation(
            session=session, email="new0@example.com", client_ip="203.0.113.7"))
        assert err.code == "rate_limited"
        # another address is not held up
        _register(session, "other@example.com", client_ip="203.0.113.8")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    emails = sorted(u.email for u in session.exec(select(User)).all())
    assert emails == ["new0@example.com", "new1@example.com", "new2@example.com",
                      "other@example.com"]


def test_the_same_address_registered_twice_at_once_makes_one_account(session: Session) -> None:
    barrier = Barrier(2)
    answers: list[str] = []

    def attempt() -> None:
        with Session(get_engine(), expire_on_commit=False) as s:
            barrier.wait(timeout=30)
            answers.append(_register(s, "race@example.com"))

    threads = [Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert answers == [registration.CHECK_YOUR_EMAIL] * 2
    assert session.exec(select(func.count()).select_from(User)).one() == 1


# -- confirming the address -------------------------------------------------------------------


def test_the_confirmation_link_confirms_once_and_welcomes_once(session: Session) -> None:
    _register(session)
    token = _confirmation_link(session)
    proven = registration.confirm_email(session=session, token=token)
    # the learner may be signed in from the link
    assert isinstance(proven, Verified)
    assert proven.actor.email == "new@example.com"
    assert proven.actor.roles == {RoleName.LEARNER}
    assert _user(session, "new@example.com").email_verified_at is not None
    [welcome] = _emails(session, "account-created")
    assert welcome["to"] == "new@example.com"
    assert "/store" in welcome["text"]
    # the link works once
    err = _refused(lambda: registration.confirm_email(session=session, token=token))
    assert err.code == "verify_invalid"
    # a new link for a confirmed account: nothing is sent, no second welcome
    registration.resend_confirmation(session=session, email="new@example.com")
    assert len(_emails(session, "verify-email")) == 1
    assert len(_emails(session, "account-created")) == 1


def test_a_new_confirmation_link_ends_the_earlier_one(session: Session) -> None:
    _register(session)
    first = _confirmation_link(session)
    answer = registration.resend_confirmation(session=session, email="NEW@example.com")
    assert answer == registration.CHECK_YOUR_EMAIL
    second = _confirmation_link(session)
    assert first != second
    err = _refused(lambda: registration.confirm_email(session=session, token=first))
    assert err.code == "verify_invalid"
    assert isinstance(registration.confirm_email(session=session, token=second), Verified)


def test_resending_answers_the_same_for_any_address(session: Session) -> None:
    create_user(session, "ada@example.com")
    answers = {registration.resend_confirmation(session=session, email=address)
               for address in ("ada@example.com", "nobody@example.com", "not an address")}
    assert answers == {registration.CHECK_YOUR_EMAIL}
    assert _emails(session, "verify-email") == []


def test_a_confirmation_link_expires_after_three_days(session: Session) -> None:
    _register(session)
    token = _confirmation_link(session)
    row = session.exec(select(AccountToken)).one()
    assert timedelta(days=3) - timedelta(minutes=1) < row.expires_at - utcnow() <= timedelta(days=3)
    session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    err = _refused(lambda: registration.confirm_email(session=session, token=token))
    assert err.code == "verify_invalid"
    assert _user(session, "new@example.com").email_verified_at is None


def test_a_deactivated_account_cannot_be_confirmed(session: Session, super_admin: Actor) -> None:
    _register(session)
    token = _confirmation_link(session)
    user = _user(session, "new@example.com")
    assert user.id is not None
    users.set_active(session=session, actor=super_admin, user_id=user.id, active=False)
    err = _refused(lambda: registration.confirm_email(session=session, token=token))
    assert err.code == "verify_invalid"
    assert _user(session, "new@example.com").email_verified_at is None
    assert _emails(session, "account-created") == []


def test_an_unconfirmed_learner_signs_in_and_fills_a_cart_but_cannot_pay(
        session: Session, shop) -> None:  # type: ignore[no-untyped-def]
    _register(session, "new@example.com")
    proven = accounts.sign_in(session=session, email="new@example.com", password=PASSWORD)
    assert isinstance(proven, Verified)
    learner = proven.actor
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="course",
                          item_id=shop.courses["PY101"])
    assert cart_service.cart_count(session=session, owner=owner_of(learner)) == 1
    # when checking out before the address is confirmed
    err = _refused(lambda: checkout(session=session, actor=learner,
                                    request=CheckoutRequest("unconfirmed-1")))
    # then it is refused, saying what to do, and the cart is kept
    assert (err.code, err.kind) == ("email_not_confirmed", ErrorKind.FORBIDDEN)
    assert "Confirm your email" in err.message
    assert cart_service.cart_count(session=session, owner=owner_of(learner)) == 1
    # once confirmed, the same cart checks out
    registration.confirm_email(session=session, token=_confirmation_link(session))
    result = checkout(session=session, actor=learner, request=CheckoutRequest("confirmed-1"))
    assert result.total == shop.prices["PY101"]


# -- invitations -----------------------------------------------------------------------------


def test_accepting_an_invitation_sets_the_first_password_and_confirms_the_address(
        session: Session, super_admin: Actor) -> None:
    user_id, token = _invited(session, super_admin)
    assert _user(session, "inv@example.com").email_verified_at is None
    proven = registration.accept_invitation(session=session, token=token, password=NEW_PASSWORD)
    assert isinstance(proven, Verified)
    assert (proven.actor.user_id, proven.actor.roles) == (user_id, {RoleName.BILLING_ADMIN})
    assert _user(session, "inv@example.com").email_verified_at is not None
    assert isinstance(accounts.sign_in(session=session, email="inv@example.com",
                                       password=NEW_PASSWORD), Verified)
    err = _refused(lambda: registration.accept_invitation(session=session, token=token,
                                                          password="another-password"))
    assert err.code == "invite_invalid"


def test_accepting_an_invitation_refuses_a_reset_or_confirmation_link(
        session: Session, super_admin: Actor) -> None:
    _invited(session, super_admin)
    # the invited person asks for a reset link and a confirmation link
    passwords.request_reset(session=session, email="inv@example.com")
    registration.resend_confirmation(session=session, email="inv@example.com")
    reset = _link_token(_emails(session, "password-reset")[-1])
    verify = _confirmation_link(session)
    for token in (reset, verify):
        err = _refused(lambda t=token: registration.accept_invitation(  # type: ignore[misc]
            session=session, token=t, password=NEW_PASSWORD))
        assert err.code == "invite_invalid"
    assert _user(session, "inv@example.com").password_hash == ""


def test_an_invitation_cannot_replace_a_password_that_was_set(session: Session,
                                                              super_admin: Actor) -> None:
    _, invitation = _invited(session, super_admin)
    # the invited person set a password another way (the forgotten-password link)
    passwords.request_reset(session=session, email="inv@example.com")
    passwords.reset_password(session=session,
                             token=_link_token(_emails(session, "password-reset")[-1]),
                             password=NEW_PASSWORD)
    # then the old invitation link cannot set another
    err = _refused(lambda: registration.accept_invitation(session=session, token=invitation,
                                                          password="attacker-password"))
    assert err.code == "invite_invalid"
    assert "already has a password" in err.message
    assert verify_password(_user(session, "inv@example.com").password_hash, NEW_PASSWORD)


def test_a_reissued_invitation_leaves_the_old_link_dead(session: Session,
                                                        super_admin: Actor) -> None:
    user_id, old = _invited(session, super_admin)
    link = users.reissue_invitation(session=session, actor=super_admin, user_id=user_id)
    new = link.rsplit("token=", 1)[1]
    err = _refused(lambda: registration.accept_invitation(session=session, token=old,
                                                          password=NEW_PASSWORD))
    assert err.code == "invite_invalid"
    assert isinstance(registration.accept_invitation(session=session, token=new,
                                                     password=NEW_PASSWORD), Verified)


def test_accepting_an_invitation_ends_earlier_sessions(session: Session,
                                                       super_admin: Actor) -> None:
    user_id, token = _invited(session, super_admin)
    invited = accounts.load_actor(session=session, user=_user(session, "inv@example.com"))
    earlier = accounts.open_session(session=session, verified=Verified(actor=invited))
    assert accounts.resolve_session(session=session, token=earlier.token) is not None
    registration.accept_invitation(session=session, token=token, password=NEW_PASSWORD)
    assert accounts.resolve_session(session=session, token=earlier.token) is None
    assert invited.user_id == user_id


def test_an_invitation_raced_twice_sets_one_password(session: Session,
                                                     super_admin: Actor) -> None:
    _, token = _invited(session, super_admin)
    barrier = Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(password: str) -> None:
        with Session(get_engine(), expire_on_commit=False) as s:
            barrier.wait(timeout=30)
            try:
                registration.accept_invitation(session=s, token=token, password=password)
                outcomes[password] = "accepted"
            except DomainError as exc:
                outcomes[password] = exc.code

    threads = [Thread(target=attempt, args=(p,)) for p in ("first-password", "second-password")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) == ["accepted", "invite_invalid"], outcomes
    [winner] = [p for p, outcome in outcomes.items() if outcome == "accepted"]
    assert verify_password(_user(session, "inv@example.com").password_hash, winner)
