"""Fuzz every documented API operation with schemathesis, in-process over ASGI.

Each operation is called as three callers: anonymous, a learner with a paid order, and a billing
admin. Every answer must be no 5xx, and must match what the OpenAPI document says: a documented
status code, a documented content type, and a body that validates against the declared model.

The scratch database is the suite's test database: emptied when the module starts, filled with
a small shop and the callers, left to the fuzz for the module (what one request writes is data
for the next), and emptied again when the module ends, so no later test sees its rows.

Bounded for CI: a fixed seed and ``deterministic`` generation, a few fuzzed examples per
operation, no example database, the boundary-value (coverage) phase only where the caller gets
past sign-in, and no Hypothesis health check that only says "this is slow".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from commerce_dash.api import create_api
from commerce_dash.db import get_engine
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.settings import get_settings
from tests.builders import build_shop, buy
from tests.conftest import PASSWORD, _truncate_all, create_user

# CI's bounds; a deeper run: FUZZ_EXAMPLES=200 FUZZ_SEED=7 pytest tests/api/test_fuzz_openapi.py
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("FUZZ_SEED", "140009"))  # issue 14, item 9
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
LEARNER = "fuzz-learner@example.com"
BILLING_ADMIN = "fuzz-billing@example.com"
CALLERS = {"anonymous": "", "learner": LEARNER, "billing_admin": BILLING_ADMIN}

# Per-client limits are a documented answer (429 with the error body), but a fuzz stuck on
# them tests nothing else: every request here comes from one address. Sessions are not bound
# to the User-Agent, which the fuzz's HTTP client sets itself.
FUZZ_ENV = {
    "COMMERCE_CLIENT_RATE_LIMIT_PER_MINUTE": "1000000",
    "COMMERCE_VERIFY_RATE_LIMIT_PER_MINUTE": "1000000",
    "COMMERCE_PAYMENT_RATE_LIMIT_PER_MINUTE": "1000000",
    "COMMERCE_CHECKOUT_RATE_LIMIT_PER_MINUTE": "1000000",
    "COMMERCE_CODE_ATTEMPTS_PER_MINUTE": "1000000",
    "COMMERCE_REGISTER_PER_CLIENT_PER_HOUR": "1000000",
    "COMMERCE_LOGIN_MAX_FAILURES_PER_CLIENT": "1000000",
    "COMMERCE_LOGIN_MAX_FAILURES_PER_ACCOUNT": "1000000",
    "COMMERCE_LOGIN_GLOBAL_FAILURES_PER_MINUTE": "1000000",
    "COMMERCE_SESSION_BIND_USER_AGENT": "false",
}

# The boundary-value (coverage) phase sends many requests per operation; it runs where the
# caller gets past sign-in and roles. Elsewhere every answer is the same refusal, which the
# fuzzing phase (run on every operation for every caller) already checks. These patterns only
# steer that effort: a stale one costs time or depth, never a wrong verdict.
ADMIN = r"^/api/(v2/admin|v1/revenue)/"
SIGNED_IN = (r"^/api/v2/(orders|registrations|me/|payments/(?!webhook/)"
             r"|certificates(?!/verify/)|auth/(me|change-password|logout-everywhere)$"
             r"|cart/(merge|checkout)$)")
CONNECTOR = r"^/api/(v2/integrations/|v1/webhooks/|v2/progress$)"  # signed by an LMS
NOT_BILLING = r"^/api/v2/admin/(users|audit|registrations|certificate|images|enrollments)"
REFUSED = {
    "anonymous": f"{ADMIN}|{SIGNED_IN}",
    "learner": f"{ADMIN}|{CONNECTOR}",
    "billing_admin": f"{NOT_BILLING}|{CONNECTOR}",
}


def config_for(caller: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {
            "stateful": {"enabled": False},
            # other methods on a path: the app's catch-all answers them (not checked here)
            "coverage": {"unexpected-methods": []},
        },
        "operations": [{"include-path-regex": REFUSED[caller],
                        "phases": {"coverage": {"enabled": False}}}],
    })


# Slow routes (a PDF, a PNG preview) are expected, and an operation's examples share the
# module's world on purpose.
RELAXED = settings(deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much,
    HealthCheck.data_too_large, HealthCheck.large_base_example,
])

APP = create_api()
SCHEMAS = {caller: schemathesis.openapi.from_asgi("/api/openapi.json", APP,
                                                 config=config_for(caller))
           for caller in CALLERS}


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, caller: str) -> dict[str, str]:
        """The caller's bearer header, signing in again when the fuzz ended the session
        (logout, logout-everywhere)."""
        email = CALLERS[caller]
        if not email:
            return {}
        token = self.tokens.get(caller, "")
        auth = {"Authorization": f"Bearer {token}"}
        if not token or self.client.get("/api/v2/auth/me", headers=auth).status_code != 200:
            answer = self.client.post("/api/v2/auth/login",
                                      json={"email": email, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            self.tokens[caller] = answer.json()["token"]
        return {"Authorization": f"Bearer {self.tokens[caller]}"}


@pytest.fixture(scope="module")
def world(database: str) -> Iterator[World]:
    """The shop of tests/builders.py, a learner who bought one of its courses (so the
    order, refund and certificate routes have something of theirs to find) and a billing
    admin, on an emptied database that is emptied again afterwards."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in FUZZ_ENV.items():
            env.setenv(name, value)
        get_settings.cache_clear()
        _truncate_all()
        try:
            with Session(get_engine(), expire_on_commit=False) as session:
                root = create_user(session, "fuzz-root@example.com",
                                   grants=(Grant(RoleName.SUPER_ADMIN),))
                shop = build_shop(session, root)
                learner = create_user(session, LEARNER)
                buy(session, learner, shop, ("course", "PY101"))
                create_user(session, BILLING_ADMIN, grants=(Grant(RoleName.BILLING_ADMIN),))
            with TestClient(APP) as client:
                yield World(client)
        finally:
            _truncate_all()
    get_settings.cache_clear()


@pytest.fixture
def learner_headers(world: World) -> dict[str, str]:
    return world.headers("learner")


@pytest.fixture
def billing_admin_headers(world: World) -> dict[str, str]:
    return world.headers("billing_admin")


@SCHEMAS["anonymous"].parametrize()
@RELAXED
def test_fuzz_as_anonymous(case: schemathesis.Case, world: World) -> None:
    case.call_and_validate(checks=CHECKS)


@SCHEMAS["learner"].parametrize()
@RELAXED
def test_fuzz_as_learner(case: schemathesis.Case, learner_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=learner_headers, checks=CHECKS)


@SCHEMAS["billing_admin"].parametrize()
@RELAXED
def test_fuzz_as_billing_admin(case: schemathesis.Case,
                               billing_admin_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=billing_admin_headers, checks=CHECKS)
