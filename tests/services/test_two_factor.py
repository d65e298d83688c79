"""Two-factor sign-in with an authenticator app (TOTP): enrolment, the code step of a sign-in,
replayed and guessed codes, recovery codes, turning it off; on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from threading import Barrier, Thread

import pyotp
import pytest
from sqlmodel import Session, select

from commerce_dash.db import get_engine
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.accounts import RecoveryCode, User, UserSession
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.services.platform import accounts, passwords, rate_limit, two_factor, users
from commerce_dash.services.platform.accounts import SecondFactorNeeded, Verified
from tests.conftest import PASSWORD, create_user

pytestmark = pytest.mark.usefixtures("both_databases")

STEP = 30


class Clock:
    """The time the two-factor service and the rate limiter see; moved by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    def code(self, totp: pyotp.TOTP, steps: int = 0) -> str:
        """The app's code ``steps`` 30-second steps from now."""
        return totp.at(self.now.timestamp() + steps * STEP)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    start = utcnow().replace(microsecond=0)
    # one second into a 30-second step, so a code is never read across a step's edge
    start -= timedelta(seconds=int(start.timestamp()) % STEP - 1)
    frozen = Clock(start)
    monkeypatch.setattr(two_factor, "utcnow", frozen)
    monkeypatch.setattr(rate_limit, "utcnow", frozen)
    return frozen


def _enrolled(session: Session, clock: Clock, email: str = "ada@example.com",
              grants: tuple[Grant, ...] = (Grant(RoleName.LEARNER),),
              ) -> tuple[Actor, pyotp.TOTP, list[str]]:
    """A user who turned two-factor sign-in on with the code of now, and a fresh attempt
    window afterwards."""
    actor = create_user(session, email, grants=grants)
    enrolment = two_factor.start_enrolment(session=session, actor=actor)
    totp = pyotp.TOTP(enrolment.secret)
    codes = two_factor.confirm_enrolment(session=session, actor=actor, code=clock.code(totp))
    return actor, totp, codes


def _challenge(session: Session, email: str = "ada@example.com") -> str:
    proven = accounts.sign_in(session=session, email=email, password=PASSWORD)
    assert isinstance(proven, SecondFactorNeeded)
    return proven.challenge


def _emailed_token(session: Session, template: str = "password-reset") -> str:
    [text] = [m.payload["text"] for m in session.exec(select(OutboxMessage)).all()
              if m.payload and m.payload.get("template") == template]
    found = re.search(r"[?&]token=([A-Za-z0-9_-]+)", text)
    assert found, text
    return found.group(1)


def _refused(call) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as err:
        call()
    return err.value


def _wrong_code(totp: pyotp.TOTP, clock: Clock) -> str:
    near = {clock.code(totp, steps) for steps in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def test_enrolment_shows_a_secret_and_turns_on_only_with_a_right_code(session: Session) -> None:
    actor = create_user(session, "ada@example.com")
    enrolment = two_factor.start_enrolment(session=session, actor=actor)
    # the app gets the secret as text and as a QR code of the otpauth address
    assert len(enrolment.secret) == 32
    assert enrolment.uri.startswith("otpauth://totp/Commerce%20Dash:ada%40example.com?")
    assert f"secret={enrolment.secret}" in enrolment.uri
    assert enrolment.qr_svg.startswith("data:image/svg+xml;base64,")
    # not in force before a code confirms it
    assert not two_factor.is_enabled(session=session, user_id=actor.user_id)
    assert isinstance(accounts.sign_in(session=session, email="ada@example.com",
                                       password=PASSWORD), Verified)
    totp = pyotp.TOTP(enrolment.secret)
    wrong = next(c for c in ("000000", "111111", "222222")
                 if c not in {totp.at(utcnow().timestamp() + d * STEP) for d in (-1, 0, 1)})
    err = _refused(lambda: two_factor.confirm_enrolment(session=session, actor=actor, code=wrong))
    assert (err.code, err.field) == ("second_factor_wrong", "code")
    assert not two_factor.is_enabled(session=session, user_id=actor.user_id)
    # when the app's code of now confirms it
    codes = two_factor.confirm_enrolment(session=session, actor=actor, code=totp.now())
    # then it is on, with ten different recovery codes shown once
    assert two_factor.is_enabled(session=session, user_id=actor.user_id)
    assert len(set(codes)) == two_factor.RECOVERY_CODES == 10
    assert two_factor.recovery_codes_left(session=session, user_id=actor.user_id) == 10
    stored = {r.code_hash for r in session.exec(select(RecoveryCode)).all()}
    assert stored.isdisjoint(codes)
    err = _refused(lambda: two_factor.start_enrolment(session=session, actor=actor))
    assert err.code == "second_factor_on"


def test_the_secret_is_kept_encrypted(session: Session, clock: Clock) -> None:
    actor = create_user(session, "ada@example.com")
    enrolment = two_factor.start_enrolment(session=session, actor=actor)
    session.expire_all()
    user = session.get(User, actor.user_id)
    assert user is not None and user.totp_secret
    assert enrolment.secret not in user.totp_secret
    assert len(user.totp_secret) <= 64  # its column's size
    # and what is stored still checks the app's codes (after a round trip through the database)
    two_factor.confirm_enrolment(session=session, actor=actor,
                                 code=clock.code(pyotp.TOTP(enrolment.secret)))
    assert two_factor.is_enabled(session=session, user_id=actor.user_id)


def test_a_user_with_two_factor_gets_a_challenge_and_no_session_until_the_code(
        session: Session, clock: Clock) -> None:
    actor, totp, _ = _enrolled(session, clock)
    clock.advance(STEP)
    # when the password is right
    proven = accounts.sign_in(session=session, email="ada@example.com", password=PASSWORD)
    # then there is only a challenge: no session, no actor
    assert isinstance(proven, SecondFactorNeeded)
    assert not hasattr(proven, "actor")
    assert session.exec(select(UserSession)).all() == []
    # and the code of the app trades it for a user proven twice
    verified = two_factor.complete(session=session, challenge=proven.challenge,
                                   code=clock.code(totp))
    assert verified == Verified(actor=actor, second_factor=True)
    signed = accounts.open_session(session=session, verified=verified)
    assert session.exec(select(UserSession)).one().second_factor_at is not None
    assert accounts.resolve_session(session=session, token=signed.token) == actor
    # the challenge is spent
    clock.advance(STEP)
    err = _refused(lambda: two_factor.complete(session=session, challenge=proven.challenge,
                                               code=clock.code(totp)))
    assert err.code == "second_factor_invalid"


def test_a_new_sign_in_ends_the_earlier_challenge(session: Session, clock: Clock) -> None:
    _, totp, _ = _enrolled(session, clock)
    first, second = _challenge(session), _challenge(session)
    err = _refused(lambda: two_factor.complete(session=session, challenge=first,
                                               code=clock.code(totp, 1)))
    assert err.code == "second_factor_invalid"
    assert two_factor.complete(session=session, challenge=second,
                               code=clock.code(totp, 1)).second_factor


def test_a_made_up_challenge_is_refused(session: Session, clock: Clock) -> None:
    _, totp, _ = _enrolled(session, clock)
    err = _refused(lambda: two_factor.complete(session=session, challenge="made-up",
                                               code=clock.code(totp, 1)))
    assert err.code == "second_factor_invalid"


def test_a_code_works_once(session: Session, clock: Clock) -> None:
    _, totp, _ = _enrolled(session, clock)
    # the code that turned it on cannot sign in
    err = _refused(lambda: two_factor.complete(session=session, challenge=_challenge(session),
                                               code=clock.code(totp)))
    assert (err.code, err.field) == ("second_factor_wrong", "code")
    # the app's next code does (one step of clock drift is allowed) ...
    next_code = clock.code(totp, 1)
    assert two_factor.complete(session=session, challenge=_challenge(session), code=next_code)
    # ... once: not again, even 30 seconds on when it is the code of now
    err = _refused(lambda: two_factor.complete(session=session, challenge=_challenge(session),
                                               code=next_code))
    assert err.code == "second_factor_wrong"
    clock.advance(STEP)
    assert clock.code(totp) == next_code
    err = _refused(lambda: two_factor.complete(session=session, challenge=_challenge(session),
                                               code=next_code))
    assert err.code == "second_factor_wrong"
    # the codes of later steps work (past the 5 tries of this window)
    clock.advance(two_factor.ATTEMPT_WINDOW_SECONDS)
    assert two_factor.complete(session=session, challenge=_challenge(session),
                               code=clock.code(totp)).second_factor


def test_a_code_from_two_steps_away_is_refused(session: Session, clock: Clock) -> None:
    _, totp, _ = _enrolled(session, clock)
    clock.advance(5 * STEP)
    for steps in (-2, 2):
        err = _refused(lambda s=steps: two_factor.complete(  # type: ignore[misc]
            session=session, challenge=_challenge(session), code=clock.code(totp, s)))
        assert err.code == "second_factor_wrong"


def test_wrong_codes_are_counted_and_limited(session: Session, clock: Clock) -> None:
    _, totp, _ = _enrolled(session, clock)
    _enrolled(session, clock, "bea@example.com")
    clock.advance(two_factor.ATTEMPT_WINDOW_SECONDS)  # a fresh window, the enrolments aside
    challenge = _challenge(session)
    wrong = _wrong_code(totp, clock)
    # a wrong code leaves the challenge usable, five times
    for _ in range(two_factor.ATTEMPTS_PER_WINDOW):
        err = _refused(lambda: two_factor.complete(session=session, challenge=challenge,
                                                   code=wrong))
        assert err.code == "second_factor_wrong"
    # then even the right code must wait
    err = _refused(lambda: two_factor.complete(session=session, challenge=challenge,
                                               code=clock.code(totp)))
    assert (err.code, err.kind) == ("rate_limited", ErrorKind.RATE_LIMITED)
    assert err.retry_after_seconds and err.retry_after_seconds <= 300
    # and after the window the right code works (the challenge lives 5 minutes)
    clock.advance(two_factor.ATTEMPT_WINDOW_SECONDS)
    assert two_factor.complete(session=session, challenge=challenge,
                               code=clock.code(totp)).second_factor


def test_a_second_account_is_not_held_up_by_guesses_at_the_first(
        session: Session, clock: Clock) -> None:
    _, ada_totp, _ = _enrolled(session, clock)
    _, bea_totp, _ = _enrolled(session, clock, "bea@example.com")
    clock.advance(two_factor.ATTEMPT_WINDOW_SECONDS)
    challenge = _challenge(session)
    for _ in range(two_factor.ATTEMPTS_PER_WINDOW + 1):
        with pytest.raises(DomainError):
            two_factor.complete(session=session, challenge=challenge,
                                code=_wrong_code(ada_totp, clock))
    assert two_factor.complete(session=session, challenge=_challenge(session, "bea@example.com"),
                               code=clock.code(bea_totp)).second_factor


def test_a_recovery_code_stands_in_for_the_app_once(session: Session, clock: Clock) -> None:
    actor, _, codes = _enrolled(session, clock)
    # typed with capitals and spaces, it still works
    verified = two_factor.complete(session=session, challenge=_challenge(session),
                                   code=f"  {codes[0].upper()} ")
    assert verified == Verified(actor=actor, second_factor=True)
    assert two_factor.recovery_codes_left(session=session, user_id=actor.user_id) == 9
    err = _refused(lambda: two_factor.complete(session=session, challenge=_challenge(session),
                                               code=codes[0]))
    assert err.code == "second_factor_wrong"
    assert two_factor.complete(session=session, challenge=_challenge(session),
                               code=codes[1]).second_factor


def test_new_recovery_codes_need_a_code_and_end_the_old_ones(
        session: Session, clock: Clock) -> None:
    actor, totp, old = _enrolled(session, clock)
    err = _refused(lambda: two_factor.new_recovery_codes(session=session, actor=actor,
                                                         code=clock.code(totp)))
    assert err.code == "second_factor_wrong"  # the enrolment's code, used already
    new = two_factor.new_recovery_codes(session=session, actor=actor, code=clock.code(totp, 1))
    assert len(new) == 10 and set(new).isdisjoint(old)
    err = _refused(lambda: two_factor.complete(session=session, challenge=_challenge(session),
                                               code=old[0]))
    assert err.code == "second_factor_wrong"
    assert two_factor.complete(session=session, challenge=_challenge(session),
                               code=new[0]).second_factor


def test_turning_it_off_needs_the_password(session: Session, clock: Clock) -> None:
    actor, _, _ = _enrolled(session, clock)
    err = _refused(lambda: two_factor.disable(session=session, actor=actor,
                                              password="not-my-password"))
    assert (err.code, err.field) == ("wrong_password", "password")
    session.rollback()
    assert two_factor.is_enabled(session=session, user_id=actor.user_id)
    assert isinstance(accounts.sign_in(session=session, email="ada@example.com",
                                       password=PASSWORD), SecondFactorNeeded)
    # with the password it is off: the password alone signs in, the codes are gone
    two_factor.disable(session=session, actor=actor, password=PASSWORD)
    assert not two_factor.is_enabled(session=session, user_id=actor.user_id)
    assert two_factor.recovery_codes_left(session=session, user_id=actor.user_id) == 0
    assert isinstance(accounts.sign_in(session=session, email="ada@example.com",
                                       password=PASSWORD), Verified)


def test_turning_it_on_marks_the_current_session_as_proven(session: Session,
                                                          clock: Clock) -> None:
    actor = create_user(session, "ada@example.com")
    here = accounts.open_session(session=session, verified=Verified(actor=actor))
    elsewhere = accounts.open_session(session=session, verified=Verified(actor=actor))
    totp = pyotp.TOTP(two_factor.start_enrolment(session=session, actor=actor).secret)
    two_factor.confirm_enrolment(session=session, actor=actor, code=clock.code(totp),
                                 session_token=here.token)
    rows = {r.id: r.second_factor_at for r in session.exec(select(UserSession)).all()}
    assert sorted(v is not None for v in rows.values()) == [False, True]
    assert here.token != elsewhere.token


def test_a_reset_link_does_not_skip_the_code_step(session: Session, clock: Clock) -> None:
    _enrolled(session, clock)
    passwords.request_reset(session=session, email="ada@example.com")
    proven = passwords.reset_password(session=session, token=_emailed_token(session),
                                      password="a-brand-new-one")
    assert isinstance(proven, SecondFactorNeeded)
    assert session.exec(select(UserSession)).all() == []


def test_a_super_admin_resets_a_lost_second_factor(session: Session, clock: Clock,
                                                   super_admin: Actor) -> None:
    actor, _, _ = _enrolled(session, clock)
    signed = accounts.open_session(session=session, verified=Verified(actor=actor,
                                                                      second_factor=True))
    users.reset_second_factor(session=session, actor=super_admin, user_id=actor.user_id,
                              reason="lost phone")
    # the password alone signs in, the codes are gone, and the open sessions ended
    assert isinstance(accounts.sign_in(session=session, email="ada@example.com",
                                       password=PASSWORD), Verified)
    assert two_factor.recovery_codes_left(session=session, user_id=actor.user_id) == 0
    assert accounts.resolve_session(session=session, token=signed.token) is None
    # and only a super-admin may
    err = _refused(lambda: users.reset_second_factor(session=session, actor=actor,
                                                     user_id=actor.user_id))
    assert err.kind is ErrorKind.FORBIDDEN


def _parallel_complete(challenge: str, codes: list[str]) -> list[str]:
    barrier = Barrier(len(codes))
    outcomes: list[str] = []

    def attempt(code: str) -> None:
        with Session(get_engine(), expire_on_commit=False) as s:
            barrier.wait(timeout=30)
            try:
                two_factor.complete(session=s, challenge=challenge, code=code)
                outcomes.append("verified")
            except DomainError as exc:
                outcomes.append(exc.code)

    threads = [Thread(target=attempt, args=(c,)) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_one_challenge_raced_with_two_good_codes_signs_in_once(session: Session,
                                                               clock: Clock) -> None:
    actor, _, codes = _enrolled(session, clock)
    outcomes = _parallel_complete(_challenge(session), codes[:2])
    assert sorted(outcomes) == ["second_factor_invalid", "verified"], outcomes



def test_after_the_secret_key_changes_the_code_step_asks_for_an_admin(
        session: Session, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    from commerce_dash.settings import get_settings

    _, totp, _ = _enrolled(session, clock)
    original = os.environ["COMMERCE_SECRET_KEY"]
    monkeypatch.setenv("COMMERCE_SECRET_KEY", "another-secret-key-that-is-long-enough-987654")
    get_settings.cache_clear()
    try:
        err = _refused(lambda: two_factor.complete(
            session=session, challenge=_challenge(session), code=clock.code(totp, 1)))
    finally:
        monkeypatch.setenv("COMMERCE_SECRET_KEY", original)
        get_settings.cache_clear()
    session.rollback()
    assert (err.code, err.kind) == ("second_factor_unreadable", ErrorKind.CONFLICT)
    assert "administrator" in err.message
    # with the key back, signing in works again
    assert two_factor.complete(session=session, challenge=_challenge(session),
                               code=clock.code(totp, 1)).second_factor
