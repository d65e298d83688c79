import re

from sqlmodel import select

from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.services.platform.signup import CHECK_YOUR_EMAIL
from tests.api.conftest import bearer
from tests.conftest import PASSWORD, create_user


def _emailed_token(session, template: str, to: str) -> str:
    session.expire_all()
    [text] = [m.payload["text"] for m in session.exec(select(OutboxMessage)).all()
              if m.payload and m.payload.get("template") == template and m.payload["to"] == to]
    found = re.search(r"[?&]token=([A-Za-z0-9_-]+)", text)
    assert found, text
    return found.group(1)


def test_health_reports_database_and_migration_head(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["migration"]["at_head"] is True


def test_register_confirm_login_me_logout_round_trip(client, session):
    created = client.post(
        "/api/v2/auth/register",
        json={"email": "Zoe@Example.com", "full_name": "Zoe", "password": "a-good-password"},
    )
    assert created.status_code == 202
    assert created.json() == {"message": CHECK_YOUR_EMAIL}
    confirmed = client.post(
        "/api/v2/auth/confirm-email",
        json={"token": _emailed_token(session, "verify-email", "zoe@example.com")},
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["user"]["email"] == "zoe@example.com"
    login = client.post(
        "/api/v2/auth/login", json={"email": "zoe@example.com", "password": "a-good-password"}
    )
    token = login.json()["token"]
    me = client.get("/api/v2/auth/me", headers=bearer(token))
    assert me.json()["grants"] == [{"role": "learner", "department_id": None}]
    assert client.post("/api/v2/auth/logout", headers=bearer(token)).status_code == 204
    after = client.get("/api/v2/auth/me", headers=bearer(token))
    assert after.status_code == 401
    assert after.json() == {"code": "not_signed_in", "message": "Sign in to continue.",
                            "request_id": after.headers["x-request-id"]}


def test_bad_input_gets_a_json_4xx_never_a_500(client, session):
    create_user(session, "ada@example.com")
    cases = [
        (
            client.post("/api/v2/auth/login", json={"email": "ada@example.com"}),
            422,
            "invalid_request",
        ),
        (
            client.post(
                "/api/v2/auth/login",
                content=b"{not json",
                headers={"content-type": "application/json"},
            ),
            422,
            "invalid_request",
        ),
        (
            client.post(
                "/api/v2/auth/login", json={"email": "ada@example.com", "password": "wrong-one"}
            ),
            401,
            "invalid_credentials",
        ),
        (
            client.post(
                "/api/v2/auth/register",
                json={"email": "not-an-address", "full_name": "A", "password": PASSWORD},
            ),
            422,
            "invalid_email",
        ),
        (
            client.post(
                "/api/v2/auth/register",
                json={"email": "b@example.com", "full_name": "B", "password": "short"},
            ),
            422,
            "password_too_short",
        ),
        (client.get("/api/v2/does-not-exist"), 404, "not_found"),
        (client.get("/api/v2/admin/users?page=0"), 401, "not_signed_in"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["code"]) == (status, code)
        assert response.json()["message"]


def test_registering_a_taken_address_answers_like_a_new_one(client, session):
    create_user(session, "ada@example.com")
    taken = client.post(
        "/api/v2/auth/register",
        json={"email": "ada@example.com", "full_name": "A", "password": PASSWORD},
    )
    new = client.post(
        "/api/v2/auth/register",
        json={"email": "new@example.com", "full_name": "N", "password": PASSWORD},
    )
    assert (taken.status_code, taken.json()) == (new.status_code, new.json())
    assert taken.status_code == 202


def test_repeated_failures_answer_429_with_retry_after(client, session):
    create_user(session, "ada@example.com")
    for _ in range(6):  # five free failures, then the first wait is claimed
        client.post("/api/v2/auth/login", json={"email": "ada@example.com", "password": "nope-1"})
    slowed = client.post(
        "/api/v2/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert slowed.status_code == 429
    assert slowed.json()["code"] == "too_many_attempts"
    assert int(slowed.headers["retry-after"]) > 0


def test_cookie_authenticates_reads_but_never_writes(client, session):
    from commerce_dash.domain.access import RoleName
    from commerce_dash.domain.actor import Grant

    create_user(session, "root@example.com", grants=(Grant(RoleName.SUPER_ADMIN),))
    token = client.post(
        "/api/v2/auth/login", json={"email": "root@example.com", "password": PASSWORD}
    ).json()["token"]
    client.cookies.set("cd_session", token)
    assert client.get("/api/v2/admin/users").status_code == 200
    forged = client.post(
        "/api/v2/admin/users",
        json={"email": "x@example.com", "full_name": "X", "grants": [{"role": "learner"}]},
    )
    assert forged.status_code == 401
