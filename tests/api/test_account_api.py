"""The account routes under /api/v2/auth: registering, confirming, signing in with a code,
passwords, signing out, and the browser's two cookie hops (/session and /signed-out)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.accounts import UserSession
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.notify.outbox_email import EMAIL_TOPIC
from commerce_dash.services.platform import accounts, passwords, two_factor, users
from commerce_dash.services.platform.accounts import SESSION_COOKIE, Verified
from commerce_dash.services.platform.signup import CHECK_YOUR_EMAIL
from commerce_dash.settings import get_settings
from tests.api.conftest import bearer
from tests.conftest import PASSWORD, create_user

AUTH = "/api/v2/auth"
HOME = "http://127.0.0.1:3000/"
NEW_PASSWORD = "a-brand-new-password"


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


def _emailed_token(session: Session, template: str, to: str) -> str:
    session.expire_all()
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.topic == EMAIL_TOPIC)
                        .order_by(col(OutboxMessage.id))).all()
    texts = [r.payload["text"] for r in rows
             if r.payload and r.payload.get("template") == template and r.payload["to"] == to]
    assert texts, f"no {template} email to {to}"
    found = re.search(r"[?&]token=([A-Za-z0-9_-]+)", texts[-1])
    assert found, texts[-1]
    return found.group(1)


def _login(client: TestClient, email: str = "ada@example.com", password: str = PASSWORD,
           ) -> str:
    response = client.post(f"{AUTH}/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def _me(client: TestClient, token: str) -> Response:
    return client.get(f"{AUTH}/me", headers=bearer(token))


def _error(response: Response) -> tuple[int, str]:
    body = response.json()
    assert body["message"]
    return response.status_code, body["code"]


def _set_cookie(response: Response) -> str:
    [header] = [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]
    return header


def _ticket(session: Session, actor: Actor, second_factor: bool = False) -> str:
    return accounts.issue_ticket(session=session,
                                 verified=Verified(actor=actor, second_factor=second_factor))


def _hop(client: TestClient, path: str, **params: str) -> Response:
    return client.get(f"{AUTH}/{path}", params=params, follow_redirects=False)


# -- registering and confirming ----------------------------------------------------------------


def test_register_answers_202_alike_for_a_new_and_a_taken_address(client: TestClient,
                                                                  session: Session) -> None:
    create_user(session, "ada@example.com")
    answers = [client.post(f"{AUTH}/register", json={"email": email, "full_name": "Someone",
                                                     "password": NEW_PASSWORD})
               for email in ("new@example.com", "ADA@example.com")]
    assert [(a.status_code, a.json()) for a in answers] == [
        (202, {"message": CHECK_YOUR_EMAIL})] * 2
    # no session either way: the new address waits for its link, the owner is emailed
    assert "token" not in answers[0].text
    assert _emailed_token(session, "verify-email", "new@example.com")
    session.expire_all()
    assert [m.payload["to"] for m in session.exec(select(OutboxMessage)).all()
            if m.payload and m.payload["template"] == "account-exists"] == ["ada@example.com"]


def test_registering_too_often_from_one_address_answers_429(
        client: TestClient, configure: Callable[..., None]) -> None:
    configure(register_per_client_per_hour=2)
    for n in range(2):
        assert client.post(f"{AUTH}/register", json={
            "email": f"n{n}@example.com", "full_name": "N", "password": NEW_PASSWORD,
        }).status_code == 202
    refused = client.post(f"{AUTH}/register", json={
        "email": "n9@example.com", "full_name": "N", "password": NEW_PASSWORD})
    assert _error(refused) == (429, "rate_limited")
    assert int(refused.headers["retry-after"]) > 0


def test_the_confirmation_link_signs_the_learner_in_once(client: TestClient,
                                                        session: Session) -> None:
    client.post(f"{AUTH}/register", json={"email": "new@example.com", "full_name": "New Person",
                                          "password": NEW_PASSWORD})
    token = _emailed_token(session, "verify-email", "new@example.com")
    confirmed = client.post(f"{AUTH}/confirm-email", json={"token": token})
    assert confirmed.status_code == 200
    body = confirmed.json()
    assert body["user"] == {"id": body["user"]["id"], "email": "new@example.com",
                            "full_name": "New Person",
                            "grants": [{"role": "learner", "department_id": None}],
                            "second_factor_missing": False}
    assert _me(client, body["token"]).json()["email"] == "new@example.com"
    again = client.post(f"{AUTH}/confirm-email", json={"token": token})
    assert _error(again) == (422, "verify_invalid")


def test_resending_the_confirmation_answers_202_for_any_address(client: TestClient,
                                                                session: Session) -> None:
    create_user(session, "late@example.com", verified=False)
    answers = [client.post(f"{AUTH}/resend-confirmation", json={"email": email})
               for email in ("late@example.com", "nobody@example.com")]
    assert [(a.status_code, a.json()) for a in answers] == [
        (202, {"message": CHECK_YOUR_EMAIL})] * 2
    assert _emailed_token(session, "verify-email", "late@example.com")


# -- signing in with a second factor -----------------------------------------------------------


def test_a_two_factor_login_answers_a_challenge_and_the_code_a_session(
        client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    moment = utcnow()
    monkeypatch.setattr(two_factor, "utcnow", lambda: moment)
    ada = create_user(session, "ada@example.com")
    totp = pyotp.TOTP(two_factor.start_enrolment(session=session, actor=ada).secret)
    two_factor.confirm_enrolment(session=session, actor=ada, code=totp.at(moment))
    # the password alone gives a challenge, no token
    login = client.post(f"{AUTH}/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert login.status_code == 200
    assert set(login.json()) == {"second_factor_required", "challenge"}
    assert login.json()["second_factor_required"] is True
    challenge = login.json()["challenge"]
    assert session.exec(select(UserSession)).all() == []
    # a used code is refused beside its field; the next one signs in
    wrong = client.post(f"{AUTH}/second-factor", json={"challenge": challenge,
                                                       "code": totp.at(moment)})
    assert _error(wrong) == (422, "second_factor_wrong")
    assert wrong.json()["field"] == "code"
    later: datetime = moment + timedelta(seconds=30)
    done = client.post(f"{AUTH}/second-factor", json={"challenge": challenge,
                                                      "code": totp.at(later)})
    assert done.status_code == 200
    assert done.json()["user"]["email"] == "ada@example.com"
    assert _me(client, done.json()["token"]).status_code == 200
    # the challenge is spent
    again = client.post(f"{AUTH}/second-factor", json={"challenge": challenge,
                                                       "code": totp.at(later + timedelta(30))})
    assert _error(again) == (422, "second_factor_invalid")


def test_me_says_when_admin_roles_wait_for_the_second_factor(
        client: TestClient, session: Session, configure: Callable[..., None]) -> None:
    create_user(session, "bill@example.com",
                grants=(Grant(RoleName.LEARNER), Grant(RoleName.BILLING_ADMIN)))
    configure(require_second_factor_for_admins="true")
    me = _me(client, _login(client, "bill@example.com")).json()
    assert me["grants"] == [{"role": "learner", "department_id": None}]
    assert me["second_factor_missing"] is True


# -- passwords ---------------------------------------------------------------------------------


def test_forgot_password_answers_202_alike_and_the_link_resets_once(client: TestClient,
                                                                    session: Session) -> None:
    create_user(session, "ada@example.com")
    old_token = _login(client)
    answers = [client.post(f"{AUTH}/forgot-password", json={"email": email})
               for email in ("ada@example.com", "nobody@example.com")]
    assert [(a.status_code, a.json()) for a in answers] == [
        (202, {"message": passwords.RESET_SENT})] * 2
    token = _emailed_token(session, "password-reset", "ada@example.com")
    reset = client.post(f"{AUTH}/reset-password", json={"token": token, "password": NEW_PASSWORD})
    assert reset.status_code == 200
    assert _me(client, reset.json()["token"]).status_code == 200
    # every earlier session ended, the old password is gone, the link is spent
    assert _me(client, old_token).status_code == 401
    assert _error(client.post(f"{AUTH}/login", json={"email": "ada@example.com",
                                                     "password": PASSWORD})) == (
        401, "invalid_credentials")
    again = client.post(f"{AUTH}/reset-password", json={"token": token,
                                                        "password": "yet-another-password"})
    assert _error(again) == (422, "reset_invalid")
    assert _login(client, password=NEW_PASSWORD)


def test_an_invitation_link_sets_the_password_and_signs_in(client: TestClient, session: Session,
                                                           super_admin: Actor) -> None:
    created = users.create_user(session=session, actor=super_admin, email="inv@example.com",
                                full_name="Invited", grants=[Grant(RoleName.BILLING_ADMIN)])
    assert created.invitation_link
    token = created.invitation_link.rsplit("token=", 1)[1]
    accepted = client.post(f"{AUTH}/accept-invitation",
                           json={"token": token, "password": NEW_PASSWORD})
    assert accepted.status_code == 200
    assert accepted.json()["user"]["grants"] == [{"role": "billing_admin",
                                                  "department_id": None}]
    again = client.post(f"{AUTH}/accept-invitation",
                        json={"token": token, "password": "another-password"})
    assert _error(again) == (422, "invite_invalid")


def test_changing_the_password_keeps_this_session_and_ends_the_others(client: TestClient,
                                                                      session: Session) -> None:
    create_user(session, "ada@example.com")
    here, there = _login(client), _login(client)
    wrong = client.post(f"{AUTH}/change-password", headers=bearer(here),
                        json={"current_password": "not-it", "new_password": NEW_PASSWORD})
    assert _error(wrong) == (422, "wrong_password")
    assert wrong.json()["field"] == "current_password"
    changed = client.post(f"{AUTH}/change-password", headers=bearer(here),
                          json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert (changed.status_code, changed.json()) == (200, {"sessions_ended": 1})
    assert _me(client, here).status_code == 200
    assert _me(client, there).status_code == 401


def test_changing_the_password_needs_the_bearer_token_not_the_cookie(client: TestClient,
                                                                     session: Session) -> None:
    create_user(session, "ada@example.com")
    client.cookies.set(SESSION_COOKIE, _login(client))
    forged = client.post(f"{AUTH}/change-password",
                         json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert _error(forged) == (401, "not_signed_in")


def test_logout_everywhere_ends_every_session(client: TestClient, session: Session) -> None:
    create_user(session, "ada@example.com")
    tokens = [_login(client) for _ in range(3)]
    ended = client.post(f"{AUTH}/logout-everywhere", headers=bearer(tokens[0]))
    assert (ended.status_code, ended.json()) == (200, {"sessions_ended": 3})
    assert [_me(client, t).status_code for t in tokens] == [401] * 3
    assert client.post(f"{AUTH}/logout", headers=bearer(tokens[0])).status_code == 204


# -- the browser's cookie ----------------------------------------------------------------------


def test_a_ticket_becomes_an_http_only_cookie_and_goes_back_to_the_page(
        client: TestClient, session: Session) -> None:
    ada = create_user(session, "ada@example.com")
    ticket = _ticket(session, ada)
    response = _hop(client, "session", ticket=ticket, to="http://127.0.0.1:3000/orders?page=2")
    assert response.status_code == 303
    assert response.headers["location"] == "http://127.0.0.1:3000/orders?page=2"
    assert response.headers["cache-control"] == "no-store"
    cookie = _set_cookie(response)
    attributes = {part.strip().split("=", 1)[0].lower() for part in cookie.split(";")}
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert {"httponly", "path", "max-age", "samesite"} <= attributes
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    assert f"max-age={get_settings().session_ttl_hours * 3600}" in cookie.lower()
    assert "secure" not in attributes  # the public URL is http here
    # the cookie signs the browser in for reads
    me = client.get(f"{AUTH}/me")
    assert (me.status_code, me.json()["email"]) == (200, "ada@example.com")
    # the ticket works once: again, it goes to the sign-in page and sets nothing
    again = _hop(client, "session", ticket=ticket, to="http://127.0.0.1:3000/orders")
    assert again.status_code == 303
    assert again.headers["location"] == "http://127.0.0.1:3000/login?expired=1"
    assert "set-cookie" not in again.headers


def test_the_cookie_is_secure_when_the_site_is_https(client: TestClient, session: Session,
                                                     configure: Callable[..., None]) -> None:
    configure(public_url="https://shop.example")
    ada = create_user(session, "ada@example.com")
    response = _hop(client, "session", ticket=_ticket(session, ada),
                    to="https://shop.example/orders")
    assert response.headers["location"] == "https://shop.example/orders"
    attributes = {part.strip().lower() for part in _set_cookie(response).split(";")}
    assert {"secure", "httponly", "samesite=lax"} <= attributes


def test_a_made_up_ticket_goes_to_the_sign_in_page(client: TestClient) -> None:
    for params in ({"ticket": "made-up", "to": "http://127.0.0.1:3000/cart"}, {}):
        response = _hop(client, "session", **params)
        assert response.status_code == 303
        assert response.headers["location"] == "http://127.0.0.1:3000/login?expired=1"
        assert "set-cookie" not in response.headers


def test_the_cookie_hops_never_send_the_browser_to_another_site(client: TestClient,
                                                               session: Session) -> None:
    ada = create_user(session, "ada@example.com")
    for to in ("https://evil.example/", "//evil.example/", "http://127.0.0.1:3000@evil.example/",
               "javascript:alert(1)"):
        signed_in = _hop(client, "session", ticket=_ticket(session, ada), to=to)
        assert signed_in.headers["location"] == HOME
        assert _set_cookie(signed_in).startswith(f"{SESSION_COOKIE}=")
        signed_out = _hop(client, "signed-out", to=to)
        assert signed_out.headers["location"] == HOME


def test_signed_out_clears_the_cookie_and_ends_its_session(client: TestClient,
                                                           session: Session) -> None:
    ada = create_user(session, "ada@example.com")
    _hop(client, "session", ticket=_ticket(session, ada), to=HOME)
    token = client.cookies[SESSION_COOKIE]
    assert _me(client, token).status_code == 200
    response = _hop(client, "signed-out", to="http://127.0.0.1:3000/store")
    assert response.status_code == 303
    assert response.headers["location"] == "http://127.0.0.1:3000/store"
    cookie = _set_cookie(response).lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "max-age=0" in cookie and "httponly" in cookie and "path=/" in cookie
    # the session is over even for someone who kept a copy of the cookie
    assert SESSION_COOKIE not in client.cookies
    assert _me(client, token).status_code == 401
    session.expire_all()
    assert session.exec(select(UserSession)).one().revoked_at is not None
    # and signing out again is harmless
    assert _hop(client, "signed-out").status_code == 303


def test_the_cookie_used_from_another_browser_ends_the_session(client: TestClient,
                                                               session: Session) -> None:
    ada = create_user(session, "ada@example.com")
    _hop(client, "session", ticket=_ticket(session, ada), to=HOME)
    token = client.cookies[SESSION_COOKIE]
    stolen = client.get(f"{AUTH}/me", headers={"user-agent": "Other Browser/1.0"})
    assert _error(stolen) == (401, "not_signed_in")
    assert _me(client, token).status_code == 401
