"""Every admin API route against every role: allowed or refused, nothing in between."""

import pytest

from commerce_dash.api import create_api
from commerce_dash.domain.access import RoleName, can_access
from commerce_dash.domain.actor import Grant
from tests.api.conftest import bearer
from tests.conftest import PASSWORD, create_department, create_user

# route -> admin section it belongs to; a new admin route must be added here.
ADMIN_ROUTES = {
    ("GET", "/api/v2/admin/overview"): "overview",
    ("GET", "/api/v2/admin/users"): "users",
    ("POST", "/api/v2/admin/users"): "users",
    ("PUT", "/api/v2/admin/users/{user_id}/roles"): "users",
    ("POST", "/api/v2/admin/users/{user_id}/active"): "users",
    ("GET", "/api/v2/admin/audit"): "audit",
}
BODIES = {
    ("POST", "/api/v2/admin/users"): {
        "email": "m@example.com",
        "full_name": "M",
        "grants": [{"role": "learner"}],
    },
    ("PUT", "/api/v2/admin/users/{user_id}/roles"): {"grants": [{"role": "learner"}]},
    ("POST", "/api/v2/admin/users/{user_id}/active"): {"active": True},
}
ROLES = [None, *RoleName]


def test_the_matrix_lists_every_admin_route():
    paths = create_api().openapi()["paths"]
    routes = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v2/admin")
        for method in operations
    }
    assert routes == set(ADMIN_ROUTES)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_each_role_gets_exactly_its_admin_routes(client, session, role):
    dept = create_department(session, "ENG")
    target = create_user(session, "target@example.com")
    headers = {}
    if role is not None:
        scoped = role in (RoleName.DEPT_ADMIN, RoleName.ENROLLMENT_ADMIN)
        create_user(session, "who@example.com", grants=(Grant(role, dept if scoped else None),))
        token = client.post(
            "/api/v2/auth/login", json={"email": "who@example.com", "password": PASSWORD}
        ).json()["token"]
        headers = bearer(token)
    for (method, path), section in ADMIN_ROUTES.items():
        url = path.replace("{user_id}", str(target.user_id))
        response = client.request(method, url, headers=headers, json=BODIES.get((method, path)))
        if role is None:
            expected = 401
        elif can_access([role], section):
            expected = None
        else:
            expected = 403
        if expected is None:
            assert response.status_code < 400, (role, method, path, response.json())
        else:
            assert response.status_code == expected, (role, method, path, response.json())
            assert response.json()["code"] in {"not_signed_in", "forbidden"}
