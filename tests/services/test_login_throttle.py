"""Sign-in limits hold under parallel attempts (counted atomically), on SQLite and PostgreSQL."""

from __future__ import annotations

from threading import Barrier, Thread

import pytest
from sqlmodel import Session, func, select

from commerce_dash.db import get_engine
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.accounts import LoginAttempt
from commerce_dash.services.platform import accounts
from commerce_dash.settings import get_settings
from tests.conftest import create_user

pytestmark = pytest.mark.usefixtures("both_databases")


def _parallel(n: int, email: str, ip_of) -> list[str]:  # type: ignore[no-untyped-def]
    barrier = Barrier(n)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        with Session(get_engine()) as s:
            barrier.wait(timeout=30)
            try:
                accounts.sign_in(session=s, email=email, password="wrong-guess", client_ip=ip_of(i))
                outcomes.append("signed in")
            except DomainError as exc:
                outcomes.append(exc.code)

    threads = [Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _password_checks(session: Session) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(LoginAttempt)).one())


def test_one_client_racing_many_guesses_gets_no_more_than_its_limit(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMERCE_LOGIN_MAX_FAILURES_PER_CLIENT", "3")
    get_settings.cache_clear()
    create_user(session, "ada@example.com")
    try:
        # when 12 guesses from one address arrive at the same moment
        outcomes = _parallel(12, "ada@example.com", lambda i: "203.0.113.50")
    finally:
        get_settings.cache_clear()
    # then only 3 passwords were checked; the rest were refused before
    assert sorted(outcomes).count("invalid_credentials") == 3, outcomes
    assert sorted(outcomes).count("too_many_attempts") == 9
    assert _password_checks(session) == 3


def test_many_addresses_racing_past_the_free_failures_get_one_attempt_per_wait(
        session: Session) -> None:
    create_user(session, "ada@example.com")
    for n in range(5):  # the free failures
        with pytest.raises(DomainError):
            accounts.sign_in(session=session, email="ada@example.com", password="wrong-guess",
                             client_ip=f"10.2.0.{n}")
    # when 8 guesses from 8 new addresses arrive at the same moment
    outcomes = _parallel(8, "ada@example.com", lambda i: f"10.3.0.{i}")
    # then one got the next attempt, the others are told to wait
    assert sorted(outcomes).count("invalid_credentials") == 1, outcomes
    assert sorted(outcomes).count("too_many_attempts") == 7
    assert _password_checks(session) == 6


def test_failures_on_both_sides_of_a_window_boundary_do_not_pass_twice_the_limit(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta

    from commerce_dash.services.platform import login_throttle

    monkeypatch.setenv("COMMERCE_LOGIN_MAX_FAILURES_PER_CLIENT", "3")
    get_settings.cache_clear()
    window = get_settings().login_window_minutes * 60
    boundary = datetime.fromtimestamp(1_900_000_000 // window * window + window, tz=UTC)
    clock = [boundary - timedelta(seconds=2)]
    monkeypatch.setattr(login_throttle, "utcnow", lambda: clock[0])
    try:
        # given a client that used its 3 failures just before a fixed window ends
        for i in range(3):
            attempt = login_throttle.before_attempt(session=session, email=f"x{i}@example.com",
                                                    client_ip="203.0.113.9")
            login_throttle.after_failure(session=session, attempt=attempt)
        # when it tries again 2 seconds into the next window
        clock[0] = boundary + timedelta(seconds=2)
        with pytest.raises(DomainError) as refused:
            login_throttle.before_attempt(session=session, email="x9@example.com",
                                          client_ip="203.0.113.9")
        # then it is refused, and told to wait until enough of the earlier failures aged out
        # of the sliding window for one more (a third of them: after a third of the window)
        assert refused.value.code == "too_many_attempts"
        assert refused.value.message == "Too many sign-in attempts. Try again in 5 minutes."
        assert refused.value.retry_after_seconds == window // 3 - 2
        # and a whole window after the failures it may try again
        clock[0] = boundary + timedelta(seconds=window - 1)
        login_throttle.before_attempt(session=session, email="x9@example.com",
                                      client_ip="203.0.113.9")
    finally:
        get_settings.cache_clear()
