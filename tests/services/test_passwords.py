"""Passwords after sign-up: a reset by an emailed single-use link, a change while signed in,
signing out elsewhere and everywhere; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from threading import Barrier, Thread

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from commerce_dash.db import get_engine
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.accounts import AccountToken, User
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.notify.outbox_email import EMAIL_TOPIC
from commerce_dash.services.platform import accounts, passwords, rate_limit, users
from commerce_dash.services.platform import signup as registration
from commerce_dash.services.platform.accounts import SignedIn, Verified
from commerce_dash.services.platform.secrets import verify_password
from commerce_dash.settings import get_settings
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


def _reset_link(session: Session, email: str = "ada@example.com") -> str:
    """Ask for a reset of ``email`` and open the link of the email it sends."""
    passwords.request_reset(session=session, email=email)
    return _link_token(_emails(session, "password-reset")[-1])


def _signed_in(session: Session, actor: Actor, user_agent: str = "") -> SignedIn:
    return accounts.open_session(session=session, verified=Verified(actor=actor),
                                 user_agent=user_agent)


def _alive(session: Session, signed: SignedIn, user_agent: str = "") -> bool:
    return accounts.resolve_session(session=session, token=signed.token,
                                    user_agent=user_agent) is not None


def _refused(call) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as err:
        call()
    return err.value


def _password_of(session: Session, email: str = "ada@example.com") -> str:
    session.expire_all()
    return session.exec(select(User).where(User.email == email)).one().password_hash


def test_asking_for_a_reset_answers_the_same_for_any_address(session: Session) -> None:
    create_user(session, "ada@example.com")
    create_user(session, "gone@example.com", active=False)
    answers = {passwords.request_reset(session=session, email=address)
               for address in ("ADA@example.com", "nobody@example.com", "gone@example.com",
                               "not an address", "")}
    assert answers == {passwords.RESET_SENT}
    # only the active account got a link, to its own address
    [email] = _emails(session, "password-reset")
    assert email["to"] == "ada@example.com"
    assert f"{get_settings().public_url}/reset-password?token=" in email["text"]


def test_a_reset_link_works_once(session: Session) -> None:
    ada = create_user(session, "ada@example.com")
    token = _reset_link(session)
    proven = passwords.reset_password(session=session, token=token, password=NEW_PASSWORD)
    assert proven == Verified(actor=ada)
    assert isinstance(accounts.sign_in(session=session, email="ada@example.com",
                                       password=NEW_PASSWORD), Verified)
    err = _refused(lambda: accounts.sign_in(session=session, email="ada@example.com",
                                            password=PASSWORD))
    assert err.code == "invalid_credentials"
    # the same link again sets nothing
    err = _refused(lambda: passwords.reset_password(session=session, token=token,
                                                    password="yet-another-password"))
    assert err.code == "reset_invalid"
    assert verify_password(_password_of(session), NEW_PASSWORD)


def test_a_reset_ends_every_session_and_tells_the_owner(session: Session) -> None:
    ada = create_user(session, "ada@example.com")
    laptop, phone = _signed_in(session, ada), _signed_in(session, ada)
    passwords.reset_password(session=session, token=_reset_link(session), password=NEW_PASSWORD)
    assert not _alive(session, laptop) and not _alive(session, phone)
    [email] = _emails(session, "password-changed")
    assert email["to"] == "ada@example.com"
    assert "/forgot-password" in email["text"]  # "not you? reset it"


def test_a_new_reset_link_ends_the_earlier_one(session: Session) -> None:
    create_user(session, "ada@example.com")
    first = _reset_link(session)
    second = _reset_link(session)
    err = _refused(lambda: passwords.reset_password(session=session, token=first,
                                                    password=NEW_PASSWORD))
    assert err.code == "reset_invalid"
    passwords.reset_password(session=session, token=second, password=NEW_PASSWORD)


def test_a_reset_link_expires_after_an_hour(session: Session) -> None:
    create_user(session, "ada@example.com")
    token = _reset_link(session)
    row = session.exec(select(AccountToken)).one()
    assert timedelta(minutes=59) < row.expires_at - utcnow() <= timedelta(hours=1)
    session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    err = _refused(lambda: passwords.reset_password(session=session, token=token,
                                                    password=NEW_PASSWORD))
    assert err.code == "reset_invalid"
    assert verify_password(_password_of(session), PASSWORD)


def test_a_weak_new_password_leaves_the_link_usable(session: Session) -> None:
    create_user(session, "ada@example.com")
    token = _reset_link(session)
    err = _refused(lambda: passwords.reset_password(session=session, token=token,
                                                    password="short"))
    assert (err.code, err.field) == ("password_too_short", "password")
    session.rollback()
    passwords.reset_password(session=session, token=token, password=NEW_PASSWORD)
    assert verify_password(_password_of(session), NEW_PASSWORD)


def test_other_links_do_not_reset_a_password(session: Session, super_admin: Actor) -> None:
    # a confirmation link of a new learner, an invitation link, made-up text
    registration.register_learner(session=session, email="new@example.com", full_name="New",
                                  password=PASSWORD)
    verify = _link_token(_emails(session, "verify-email")[0])
    invited = users.create_user(session=session, actor=super_admin, email="inv@example.com",
                                full_name="Inv", grants=[Grant(RoleName.LEARNER)])
    assert invited.invitation_link
    invite = invited.invitation_link.rsplit("token=", 1)[1]
    for token in (verify, invite, "made-up", ""):
        err = _refused(lambda t=token: passwords.reset_password(  # type: ignore[misc]
            session=session, token=t, password=NEW_PASSWORD))
        assert err.code == "reset_invalid"
    # and they still work for what they are
    assert isinstance(registration.confirm_email(session=session, token=verify), Verified)
    assert isinstance(registration.accept_invitation(session=session, token=invite,
                                                     password=NEW_PASSWORD), Verified)


def test_a_reset_link_confirms_the_email_address(session: Session) -> None:
    create_user(session, "ada@example.com", verified=False)
    passwords.reset_password(session=session, token=_reset_link(session), password=NEW_PASSWORD)
    session.expire_all()
    assert session.exec(select(User)).one().email_verified_at is not None


def test_asking_for_resets_is_limited_per_client_address(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    create_user(session, "ada@example.com")
    moment = utcnow()
    monkeypatch.setattr(rate_limit, "utcnow", lambda: moment)
    monkeypatch.setenv("COMMERCE_REGISTER_PER_CLIENT_PER_HOUR", "3")
    get_settings.cache_clear()
    try:
        for _ in range(3):
            passwords.request_reset(session=session, email="ada@example.com",
                                    client_ip="203.0.113.9")
        err = _refused(lambda: passwords.request_reset(session=session, email="ada@example.com",
                                                       client_ip="203.0.113.9"))
        assert (err.code, err.kind) == ("rate_limited", ErrorKind.RATE_LIMITED)
        assert err.retry_after_seconds and err.retry_after_seconds <= 3600
        # another address may still ask
        assert passwords.request_reset(session=session, email="ada@example.com",
                                       client_ip="203.0.113.10") == passwords.RESET_SENT
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert len(_emails(session, "password-reset")) == 4


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(session: Session) -> None:
    ada = create_user(session, "ada@example.com")
    here, phone, tablet = (_signed_in(session, ada) for _ in range(3))
    ended = passwords.change_password(session=session, actor=ada, current_password=PASSWORD,
                                      new_password=NEW_PASSWORD, keep_token=here.token)
    assert ended == 2
    assert _alive(session, here)
    assert not _alive(session, phone) and not _alive(session, tablet)
    assert [e["to"] for e in _emails(session, "password-changed")] == ["ada@example.com"]
    assert verify_password(_password_of(session), NEW_PASSWORD)


def test_changing_the_password_needs_the_current_one_and_ends_nothing_without_it(
        session: Session) -> None:
    ada = create_user(session, "ada@example.com")
    here, phone = _signed_in(session, ada), _signed_in(session, ada)
    err = _refused(lambda: passwords.change_password(
        session=session, actor=ada, current_password="not-it", new_password=NEW_PASSWORD,
        keep_token=here.token))
    assert (err.code, err.field) == ("wrong_password", "current_password")
    err = _refused(lambda: passwords.change_password(
        session=session, actor=ada, current_password=PASSWORD, new_password="short",
        keep_token=here.token))
    assert err.code == "password_too_short"
    session.rollback()
    assert _alive(session, here) and _alive(session, phone)
    assert _emails(session, "password-changed") == []
    assert verify_password(_password_of(session), PASSWORD)


def test_signing_out_everywhere_ends_every_session_of_the_account_only(session: Session) -> None:
    ada = create_user(session, "ada@example.com")
    bea = create_user(session, "bea@example.com")
    mine = [_signed_in(session, ada) for _ in range(3)]
    hers = _signed_in(session, bea)
    assert passwords.sign_out_everywhere(session=session, actor=ada) == 3
    assert not any(_alive(session, s) for s in mine)
    assert _alive(session, hers)
    assert passwords.sign_out_everywhere(session=session, actor=ada) == 0


def test_signing_out_the_others_keeps_this_session(session: Session) -> None:
    ada = create_user(session, "ada@example.com")
    here, other = _signed_in(session, ada), _signed_in(session, ada)
    assert passwords.sign_out_others(session=session, user_id=ada.user_id,
                                     keep_token=here.token) == 1
    session.commit()
    assert _alive(session, here) and not _alive(session, other)


def test_one_reset_link_raced_twice_sets_one_password(session: Session) -> None:
    create_user(session, "ada@example.com")
    token = _reset_link(session)
    candidates = ["first-new-password", "second-new-password"]
    barrier = Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(password: str) -> None:
        with Session(get_engine(), expire_on_commit=False) as s:
            barrier.wait(timeout=30)
            try:
                passwords.reset_password(session=s, token=token, password=password)
                outcomes[password] = "reset"
            except DomainError as exc:
                outcomes[password] = exc.code

    threads = [Thread(target=attempt, args=(p,)) for p in candidates]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) == ["reset", "reset_invalid"], outcomes
    [winner] = [p for p, outcome in outcomes.items() if outcome == "reset"]
    assert verify_password(_password_of(session), winner)
    assert len(_emails(session, "password-changed")) == 1
