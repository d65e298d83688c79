from datetime import timedelta

import pytest
from sqlmodel import select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.accounts import LoginAttempt, User, UserSession
from commerce_dash.services import accounts
from commerce_dash.services.secrets import token_digest
from tests.conftest import PASSWORD, create_user


def test_a_new_learner_is_signed_in_with_the_learner_role(session):
    # when
    signed = accounts.register_learner(
        session=session,
        email="New.Person@Example.com",
        full_name="  New   Person ",
        password="a-good-password",
    )
    # then
    assert signed.actor.email == "new.person@example.com"
    assert signed.actor.full_name == "New Person"
    assert signed.actor.roles == {RoleName.LEARNER}
    assert accounts.resolve_session(session=session, token=signed.token) == signed.actor
    stored = session.exec(select(UserSession)).one()
    assert stored.token_hash == token_digest(signed.token) != signed.token


def test_registering_an_existing_email_in_other_case_is_refused_beside_the_field(session):
    create_user(session, "taken@example.com")
    with pytest.raises(DomainError) as err:
        accounts.register_learner(
            session=session, email="TAKEN@example.com", full_name="X", password="a-good-password"
        )
    assert err.value.code == "email_taken"
    assert err.value.field == "email"
    assert "already exists" in err.value.message


def test_wrong_password_unknown_email_and_deactivated_account_look_the_same(session):
    create_user(session, "known@example.com")
    create_user(session, "gone@example.com", active=False)
    messages = set()
    for email, password in [
        ("known@example.com", "wrong-password"),
        ("nobody@example.com", PASSWORD),
        ("gone@example.com", PASSWORD),
    ]:
        with pytest.raises(DomainError) as err:
            accounts.sign_in(session=session, email=email, password=password)
        assert err.value.kind is ErrorKind.UNAUTHENTICATED
        messages.add((err.value.code, err.value.message))
    assert messages == {("invalid_credentials", "Email or password is incorrect.")}


def test_sign_in_opens_a_session_and_records_the_login(session):
    create_user(session, "ada@example.com")
    signed = accounts.sign_in(
        session=session, email="ADA@example.com", password=PASSWORD, client_ip="10.0.0.1"
    )
    user = session.exec(select(User).where(User.email == "ada@example.com")).one()
    assert user.last_login_at is not None
    assert signed.actor.user_id == user.id
    attempt = session.exec(select(LoginAttempt)).one()
    assert attempt.succeeded and attempt.client_key == "10.0.0.1"


def test_too_many_failures_for_one_account_lock_it_even_with_the_right_password(session):
    create_user(session, "ada@example.com")
    for _ in range(5):
        with pytest.raises(DomainError):
            accounts.sign_in(
                session=session,
                email="ada@example.com",
                password="nope-nope",
                client_ip=f"10.0.0.{_}",
            )
    with pytest.raises(DomainError) as err:
        accounts.sign_in(
            session=session, email="ada@example.com", password=PASSWORD, client_ip="10.9.9.9"
        )
    assert err.value.code == "too_many_attempts"
    assert err.value.kind is ErrorKind.RATE_LIMITED
    assert "Try again in 15 minutes" in err.value.message


def test_one_client_guessing_many_accounts_is_throttled(session, monkeypatch):
    monkeypatch.setenv("COMMERCE_LOGIN_MAX_FAILURES_PER_CLIENT", "3")
    from commerce_dash.settings import get_settings

    get_settings.cache_clear()
    try:
        for i in range(3):
            with pytest.raises(DomainError):
                accounts.sign_in(
                    session=session,
                    email=f"u{i}@example.com",
                    password="whatever1",
                    client_ip="203.0.113.7",
                )
        with pytest.raises(DomainError) as err:
            accounts.sign_in(
                session=session,
                email="u9@example.com",
                password="whatever1",
                client_ip="203.0.113.7",
            )
        assert err.value.code == "too_many_attempts"
    finally:
        get_settings.cache_clear()


def test_expired_revoked_and_unknown_tokens_resolve_to_nobody(session):
    create_user(session, "ada@example.com")
    signed = accounts.sign_in(session=session, email="ada@example.com", password=PASSWORD)
    assert accounts.resolve_session(session=session, token="made-up") is None
    assert accounts.resolve_session(session=session, token="") is None
    row = session.exec(select(UserSession)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert accounts.resolve_session(session=session, token=signed.token) is None


def test_sign_out_revokes_the_session(session):
    create_user(session, "ada@example.com")
    signed = accounts.sign_in(session=session, email="ada@example.com", password=PASSWORD)
    assert accounts.sign_out(session=session, token=signed.token) is True
    assert accounts.resolve_session(session=session, token=signed.token) is None
    assert accounts.sign_out(session=session, token=signed.token) is False


def test_deactivating_a_user_ends_their_open_sessions(session, super_admin):
    from commerce_dash.services.users import set_active

    victim = create_user(session, "ada@example.com")
    signed = accounts.sign_in(session=session, email="ada@example.com", password=PASSWORD)
    set_active(session=session, actor=super_admin, user_id=victim.user_id, active=False)
    assert accounts.resolve_session(session=session, token=signed.token) is None


def test_change_password_needs_the_current_one(session):
    actor = create_user(session, "ada@example.com")
    with pytest.raises(DomainError) as err:
        accounts.change_password(
            session=session, actor=actor, current_password="bad", new_password="another-good-one"
        )
    assert err.value.field == "current_password"
    accounts.change_password(
        session=session, actor=actor, current_password=PASSWORD, new_password="another-good-one"
    )
    assert (
        accounts.sign_in(
            session=session, email="ada@example.com", password="another-good-one"
        ).actor.user_id
        == actor.user_id
    )


def test_housekeeping_forgets_long_ended_sessions_and_old_attempts_only(session):
    create_user(session, "ada@example.com")
    old = accounts.sign_in(session=session, email="ada@example.com", password=PASSWORD)
    fresh = accounts.sign_in(session=session, email="ada@example.com", password=PASSWORD)
    rows = {r.token_hash: r for r in session.exec(select(UserSession)).all()}
    ended = rows[token_digest(old.token)]
    ended.expires_at = utcnow() - timedelta(days=31)
    session.add(ended)
    for attempt in session.exec(select(LoginAttempt)).all():
        attempt.at = utcnow() - timedelta(days=40)
        session.add(attempt)
    session.commit()
    # when
    removed = accounts.purge_stale_records(session=session, keep_days=30)
    # then
    assert removed == {"sessions": 1, "login_attempts": 2}
    assert accounts.resolve_session(session=session, token=fresh.token) is not None
