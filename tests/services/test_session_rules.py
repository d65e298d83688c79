"""When a session stops working: idle too long (admins sooner), its token used from another
browser (or, when asked for, another address), admin roles without a second factor; and the
browser's single-use sign-in ticket. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from threading import Barrier, Thread

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from commerce_dash.db import get_engine
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.accounts import AccountToken, UserSession
from commerce_dash.services.platform import accounts, passwords
from commerce_dash.services.platform.accounts import SignedIn, Verified
from commerce_dash.services.platform.secrets import token_digest
from commerce_dash.settings import get_settings
from tests.conftest import create_user

pytestmark = pytest.mark.usefixtures("both_databases")

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
HOME_IP = "198.51.100.7"
PHONE_IP = "203.0.113.40"
BILLING = (Grant(RoleName.LEARNER), Grant(RoleName.BILLING_ADMIN))


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set COMMERCE_* settings for one test."""

    def set_(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"COMMERCE_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield set_
    monkeypatch.undo()
    get_settings.cache_clear()


def _open(session: Session, actor: Actor, *, second_factor: bool = False, user_agent: str = FIREFOX,
          client_ip: str = HOME_IP) -> SignedIn:
    return accounts.open_session(session=session,
                                 verified=Verified(actor=actor, second_factor=second_factor),
                                 client_ip=client_ip, user_agent=user_agent)


def _resolve(session: Session, signed: SignedIn, *, user_agent: str = FIREFOX,
             client_ip: str = HOME_IP) -> Actor | None:
    return accounts.resolve_session(session=session, token=signed.token, client_ip=client_ip,
                                    user_agent=user_agent)


def _row(session: Session, signed: SignedIn) -> UserSession:
    session.expire_all()
    return session.exec(select(UserSession).where(
        UserSession.token_hash == token_digest(signed.token))).one()


def _idle_for(session: Session, signed: SignedIn, minutes: float) -> None:
    """The session was last used ``minutes`` ago."""
    session.execute(update(UserSession)
                    .where(col(UserSession.token_hash) == token_digest(signed.token))
                    .values(last_seen_at=utcnow() - timedelta(minutes=minutes)))
    session.commit()


# -- idleness ----------------------------------------------------------------------------------


def test_a_learner_session_survives_an_admins_idle_limit_but_not_its_own(session: Session) -> None:
    settings = get_settings()
    lee = create_user(session, "lee@example.com")
    signed = _open(session, lee)
    _idle_for(session, signed, settings.admin_session_idle_minutes + 1)
    assert _resolve(session, signed) == lee
    _idle_for(session, signed, settings.session_idle_minutes + 1)
    assert _resolve(session, signed) is None
    # it ended for good: used again at once, it is still refused
    assert _row(session, signed).revoked_at is not None
    assert _resolve(session, signed) is None


def test_an_admin_session_ends_after_the_shorter_admin_idle_limit(session: Session) -> None:
    settings = get_settings()
    assert settings.admin_session_idle_minutes < settings.session_idle_minutes
    bill = create_user(session, "bill@example.com", grants=BILLING)
    signed = _open(session, bill)
    _idle_for(session, signed, settings.admin_session_idle_minutes - 1)
    assert _resolve(session, signed) == bill
    _idle_for(session, signed, settings.admin_session_idle_minutes + 1)
    assert _resolve(session, signed) is None
    assert _row(session, signed).revoked_at is not None


def test_using_a_session_keeps_it_alive(session: Session) -> None:
    settings = get_settings()
    bill = create_user(session, "bill@example.com", grants=BILLING)
    signed = _open(session, bill)
    # used 20 minutes after the last use: its idle clock starts again
    _idle_for(session, signed, settings.admin_session_idle_minutes - 10)
    assert _resolve(session, signed) == bill
    seen = _row(session, signed).last_seen_at
    assert seen is not None and utcnow() - seen < timedelta(minutes=1)
    # a use within 5 minutes of the last is not written again (reads rarely write)
    _idle_for(session, signed, 3)
    assert _resolve(session, signed) == bill
    seen = _row(session, signed).last_seen_at
    assert seen is not None and utcnow() - seen > timedelta(minutes=2)


def test_the_idle_limits_follow_the_settings(session: Session,
                                             configure: Callable[..., None]) -> None:
    configure(session_idle_minutes=60, admin_session_idle_minutes=15)
    lee = create_user(session, "lee@example.com")
    bill = create_user(session, "bill@example.com", grants=BILLING)
    lee_session, bill_session = _open(session, lee), _open(session, bill)
    _idle_for(session, lee_session, 59)
    _idle_for(session, bill_session, 16)
    assert _resolve(session, lee_session) == lee
    assert _resolve(session, bill_session) is None
    _idle_for(session, lee_session, 61)
    assert _resolve(session, lee_session) is None


# -- where the token is used from --------------------------------------------------------------


def test_a_token_used_from_another_browser_ends_the_session(session: Session) -> None:
    lee = create_user(session, "lee@example.com")
    signed = _open(session, lee, user_agent=FIREFOX)
    assert _resolve(session, signed, user_agent=FIREFOX) == lee
    # when the token turns up with another User-Agent (a stolen cookie)
    assert _resolve(session, signed, user_agent=CHROME) is None
    # then the session is over, for the thief and the owner alike
    assert _row(session, signed).revoked_at is not None
    assert _resolve(session, signed, user_agent=FIREFOX) is None


def test_browser_binding_can_be_turned_off(session: Session,
                                           configure: Callable[..., None]) -> None:
    configure(session_bind_user_agent="false")
    lee = create_user(session, "lee@example.com")
    signed = _open(session, lee, user_agent=FIREFOX)
    assert _resolve(session, signed, user_agent=CHROME) == lee
    assert _row(session, signed).revoked_at is None


def test_a_token_used_from_another_address_works_unless_address_binding_is_on(
        session: Session, configure: Callable[..., None]) -> None:
    lee = create_user(session, "lee@example.com")
    signed = _open(session, lee, client_ip=HOME_IP)
    # off by default: a phone moves between networks
    assert _resolve(session, signed, client_ip=PHONE_IP) == lee
    # when asked for, another address ends the session
    configure(session_bind_client_ip="true")
    bound = _open(session, lee, client_ip=HOME_IP)
    assert _resolve(session, bound, client_ip=HOME_IP) == lee
    assert _resolve(session, bound, client_ip=PHONE_IP) is None
    assert _resolve(session, bound, client_ip=HOME_IP) is None


# -- admin roles and the second factor ---------------------------------------------------------


def test_admin_roles_wait_for_the_second_factor_when_it_is_required(
        session: Session, configure: Callable[..., None]) -> None:
    bill = create_user(session, "bill@example.com", grants=BILLING)
    password_only = _open(session, bill)
    # not required (the default): the password's session has every role
    assert _resolve(session, password_only) == bill
    configure(require_second_factor_for_admins="true")
    # required: the same session keeps the learner role only, and says why
    held = _resolve(session, password_only)
    assert held is not None
    assert held.grants == (Grant(RoleName.LEARNER),)
    assert held.second_factor_missing
    # a session that passed the second factor has them all
    proven = _resolve(session, _open(session, bill, second_factor=True))
    assert proven is not None
    assert proven.grants == bill.grants and not proven.second_factor_missing


def test_a_learner_misses_nothing_without_a_second_factor(session: Session,
                                                          configure: Callable[..., None]) -> None:
    configure(require_second_factor_for_admins="true")
    lee = create_user(session, "lee@example.com")
    actor = _resolve(session, _open(session, lee))
    assert actor is not None
    assert actor.grants == lee.grants and not actor.second_factor_missing


def test_a_super_admin_without_the_second_factor_has_no_admin_role_at_all(
        session: Session, super_admin: Actor, configure: Callable[..., None]) -> None:
    configure(require_second_factor_for_admins="true")
    actor = _resolve(session, _open(session, super_admin))
    assert actor is not None
    assert actor.grants == () and not actor.is_super_admin and actor.second_factor_missing


# -- the browser's sign-in ticket --------------------------------------------------------------


def test_a_sign_in_ticket_opens_one_session_once(session: Session) -> None:
    lee = create_user(session, "lee@example.com")
    ticket = accounts.issue_ticket(session=session, verified=Verified(actor=lee))
    signed = accounts.redeem_ticket(session=session, ticket=ticket, client_ip=HOME_IP,
                                    user_agent=FIREFOX)
    assert signed.actor == lee
    assert _resolve(session, signed) == lee
    assert _row(session, signed).user_agent == FIREFOX
    with pytest.raises(DomainError) as err:
        accounts.redeem_ticket(session=session, ticket=ticket, user_agent=FIREFOX)
    assert err.value.code == "session_invalid"
    assert len(session.exec(select(UserSession)).all()) == 1


def test_a_sign_in_ticket_expires_after_two_minutes(session: Session) -> None:
    lee = create_user(session, "lee@example.com")
    ticket = accounts.issue_ticket(session=session, verified=Verified(actor=lee))
    row = session.exec(select(AccountToken)).one()
    assert timedelta(seconds=100) < row.expires_at - utcnow() <= timedelta(minutes=2)
    session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    with pytest.raises(DomainError) as err:
        accounts.redeem_ticket(session=session, ticket=ticket)
    assert err.value.code == "session_invalid"
    assert session.exec(select(UserSession)).all() == []


def test_a_new_ticket_leaves_earlier_ones_usable(session: Session) -> None:
    # two tabs signing in at once each get their cookie
    lee = create_user(session, "lee@example.com")
    first = accounts.issue_ticket(session=session, verified=Verified(actor=lee))
    second = accounts.issue_ticket(session=session, verified=Verified(actor=lee))
    assert accounts.redeem_ticket(session=session, ticket=first).actor == lee
    assert accounts.redeem_ticket(session=session, ticket=second).actor == lee


def test_a_ticket_carries_whether_the_second_factor_was_passed(
        session: Session, configure: Callable[..., None]) -> None:
    configure(require_second_factor_for_admins="true")
    bill = create_user(session, "bill@example.com", grants=BILLING)
    plain = accounts.redeem_ticket(session=session, ticket=accounts.issue_ticket(
        session=session, verified=Verified(actor=bill)), user_agent=FIREFOX)
    proven = accounts.redeem_ticket(session=session, ticket=accounts.issue_ticket(
        session=session, verified=Verified(actor=bill, second_factor=True)), user_agent=FIREFOX)
    plain_actor, proven_actor = _resolve(session, plain), _resolve(session, proven)
    assert plain_actor is not None and plain_actor.second_factor_missing
    assert proven_actor is not None and proven_actor.grants == bill.grants


def test_a_ticket_of_a_deactivated_user_opens_nothing(session: Session,
                                                      super_admin: Actor) -> None:
    from commerce_dash.services.platform.users import set_active

    lee = create_user(session, "lee@example.com")
    ticket = accounts.issue_ticket(session=session, verified=Verified(actor=lee))
    set_active(session=session, actor=super_admin, user_id=lee.user_id, active=False)
    with pytest.raises(DomainError) as err:
        accounts.redeem_ticket(session=session, ticket=ticket)
    assert err.value.code == "session_invalid"
    assert session.exec(select(UserSession)).all() == []


def test_other_one_time_links_are_no_tickets_and_a_ticket_is_no_reset_link(
        session: Session) -> None:
    lee = create_user(session, "lee@example.com")
    passwords.request_reset(session=session, email="lee@example.com")
    from commerce_dash.services.platform import account_tokens

    second_factor = account_tokens.issue(session=session, user_id=lee.user_id,
                                         purpose="second_factor")
    session.commit()
    with pytest.raises(DomainError) as err:
        accounts.redeem_ticket(session=session, ticket=second_factor)
    assert err.value.code == "session_invalid"
    ticket = accounts.issue_ticket(session=session, verified=Verified(actor=lee))
    with pytest.raises(DomainError) as err:
        passwords.reset_password(session=session, token=ticket, password="a-brand-new-one")
    assert err.value.code == "reset_invalid"
    assert accounts.redeem_ticket(session=session, ticket=ticket).actor == lee


def test_one_ticket_raced_twice_opens_one_session(session: Session) -> None:
    lee = create_user(session, "lee@example.com")
    ticket = accounts.issue_ticket(session=session, verified=Verified(actor=lee))
    barrier = Barrier(3)
    outcomes: list[str] = []

    def attempt() -> None:
        with Session(get_engine(), expire_on_commit=False) as s:
            barrier.wait(timeout=30)
            try:
                accounts.redeem_ticket(session=s, ticket=ticket, user_agent=FIREFOX)
                outcomes.append("signed in")
            except DomainError as exc:
                outcomes.append(exc.code)

    threads = [Thread(target=attempt) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["session_invalid", "session_invalid", "signed in"], outcomes
    assert len(session.exec(select(UserSession)).all()) == 1
