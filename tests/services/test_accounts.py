import re
from datetime import timedelta

import pytest
from sqlmodel import col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.accounts import LoginAttempt, User, UserSession
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.notify.outbox_email import EMAIL_TOPIC
from commerce_dash.services.platform import accounts, passwords
from commerce_dash.services.platform import signup as registration
from commerce_dash.services.platform.accounts import SignedIn, Verified
from commerce_dash.services.platform.secrets import token_digest, verify_password
from tests.conftest import PASSWORD, create_user


def _emails(session, template: str) -> list[dict]:
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.topic == EMAIL_TOPIC)
                        .order_by(col(OutboxMessage.id))).all()
    return [r.payload for r in rows if (r.payload or {}).get("template") == template]


def _token_in(email: dict) -> str:
    found = re.search(r"[?&]token=([A-Za-z0-9_-]+)", email["text"])
    assert found, email["text"]
    return found.group(1)


def _open(session, email: str = "ada@example.com", password: str = PASSWORD, **kw) -> SignedIn:
    """Sign in with the password and open an API session."""
    proven = accounts.sign_in(session=session, email=email, password=password, **kw)
    assert isinstance(proven, Verified)
    return accounts.open_session(session=session, verified=proven)


def test_a_new_learner_confirms_the_email_and_is_signed_in_with_the_learner_role(session):
    # when
    message = registration.register_learner(
        session=session,
        email="New.Person@Example.com",
        full_name="  New   Person ",
        password="a-good-password",
    )
    assert message == registration.CHECK_YOUR_EMAIL
    [email] = _emails(session, "verify-email")
    assert email["to"] == "new.person@example.com"
    proven = registration.confirm_email(session=session, token=_token_in(email))
    assert isinstance(proven, Verified)
    signed = accounts.open_session(session=session, verified=proven)
    # then
    assert signed.actor.email == "new.person@example.com"
    assert signed.actor.full_name == "New Person"
    assert signed.actor.roles == {RoleName.LEARNER}
    assert accounts.resolve_session(session=session, token=signed.token) == signed.actor
    stored = session.exec(select(UserSession)).one()
    assert stored.token_hash == token_digest(signed.token) != signed.token


def test_registering_an_existing_email_in_other_case_makes_no_account_and_tells_its_owner(
    session,
):
    create_user(session, "taken@example.com")
    answer = registration.register_learner(
        session=session, email="TAKEN@example.com", full_name="X", password="a-good-password"
    )
    # the same answer as for a new address, and the account is untouched
    assert answer == registration.CHECK_YOUR_EMAIL
    [user] = session.exec(select(User)).all()
    assert user.full_name == "Taken"
    assert verify_password(user.password_hash, PASSWORD)
    assert not verify_password(user.password_hash, "a-good-password")
    assert [e["to"] for e in _emails(session, "account-exists")] == ["taken@example.com"]
    assert _emails(session, "verify-email") == []


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
    signed = _open(session, "ADA@example.com", client_ip="10.0.0.1")
    user = session.exec(select(User).where(User.email == "ada@example.com")).one()
    assert user.last_login_at is not None
    assert signed.actor.user_id == user.id
    assert session.exec(select(UserSession)).one().token_hash == token_digest(signed.token)
    attempt = session.exec(select(LoginAttempt)).one()
    assert attempt.succeeded and attempt.client_key == "10.0.0.1"


def _sign_in(session, password: str, ip: str, email: str = "ada@example.com"):
    return accounts.sign_in(session=session, email=email, password=password, client_ip=ip)


def test_guessing_from_many_addresses_slows_the_account_but_never_locks_its_owner_out(session):
    from sqlalchemy import update

    from commerce_dash.models.accounts import LoginThrottle

    # given Ada signed in from her usual address once
    create_user(session, "ada@example.com")
    _sign_in(session, PASSWORD, "198.51.100.1")
    # when someone guesses her password from 30 addresses
    for n in range(30):
        with pytest.raises(DomainError):
            _sign_in(session, "nope-nope", f"10.0.{n // 250}.{n % 250}")
    # then from an address she never used, the next attempt must wait, saying how long
    with pytest.raises(DomainError) as err:
        _sign_in(session, PASSWORD, "10.9.9.9")
    assert (err.value.code, err.value.kind) == ("too_many_attempts", ErrorKind.RATE_LIMITED)
    assert err.value.retry_after_seconds and err.value.retry_after_seconds <= 61
    assert "Try again in" in err.value.message
    # but from her usual address she signs in at once, the right password
    assert _sign_in(session, PASSWORD, "198.51.100.1").actor.email == "ada@example.com"
    # and after the wait, from anywhere, too: the delay is never a lock
    with pytest.raises(DomainError):
        _sign_in(session, "nope-nope", "10.7.7.7")
    session.execute(update(LoginThrottle).values(next_allowed_at=None))
    session.commit()
    assert _sign_in(session, PASSWORD, "10.9.9.9").actor.email == "ada@example.com"


def test_unknown_accounts_are_slowed_exactly_like_real_ones(session):
    create_user(session, "ada@example.com")
    answers = []
    for email in ("ada@example.com", "nobody@example.com"):
        for n in range(5):
            with pytest.raises(DomainError):
                _sign_in(session, "nope-nope", f"10.1.{n}.1", email)
        with pytest.raises(DomainError):  # the sixth claims the wait
            _sign_in(session, "nope-nope", "10.1.9.1", email)
        with pytest.raises(DomainError) as err:
            _sign_in(session, "nope-nope", "10.1.9.2", email)
        answers.append((err.value.code, err.value.message[:28]))
    assert answers[0] == answers[1] == ("too_many_attempts", "Too many sign-in attempts. T")


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
    signed = _open(session)
    assert accounts.resolve_session(session=session, token="made-up") is None
    assert accounts.resolve_session(session=session, token="") is None
    row = session.exec(select(UserSession)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert accounts.resolve_session(session=session, token=signed.token) is None


def test_sign_out_revokes_the_session(session):
    create_user(session, "ada@example.com")
    signed = _open(session)
    assert accounts.sign_out(session=session, token=signed.token) is True
    assert accounts.resolve_session(session=session, token=signed.token) is None
    assert accounts.sign_out(session=session, token=signed.token) is False


def test_deactivating_a_user_ends_their_open_sessions(session, super_admin):
    from commerce_dash.services.platform.users import set_active

    victim = create_user(session, "ada@example.com")
    signed = _open(session)
    set_active(session=session, actor=super_admin, user_id=victim.user_id, active=False)
    assert accounts.resolve_session(session=session, token=signed.token) is None


def test_change_password_needs_the_current_one(session):
    actor = create_user(session, "ada@example.com")
    with pytest.raises(DomainError) as err:
        passwords.change_password(
            session=session, actor=actor, current_password="bad", new_password="another-good-one"
        )
    assert err.value.field == "current_password"
    passwords.change_password(
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
    old = _open(session)
    fresh = _open(session)
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
