"""Behind a reverse proxy the API sees each visitor's own address, and a forged
X-Forwarded-For never moves it; the pages follow the same setting (rxconfig)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from commerce_dash.api import create_api
from commerce_dash.settings import get_settings
from tests.conftest import create_user


def _fail(client: TestClient, forwarded: str) -> int:
    return client.post("/api/v2/auth/login", headers={"X-Forwarded-For": forwarded},
                       json={"email": "ada@example.com", "password": "nope-nope"}).status_code


@pytest.fixture
def behind_one_proxy(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COMMERCE_TRUSTED_PROXY_HOPS", "1")
    monkeypatch.setenv("COMMERCE_LOGIN_MAX_FAILURES_PER_CLIENT", "3")
    monkeypatch.setenv("COMMERCE_LOGIN_MAX_FAILURES_PER_ACCOUNT", "100")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_visitors_behind_the_proxy_are_limited_one_by_one(session: Session,
                                                          behind_one_proxy: None) -> None:
    create_user(session, "ada@example.com")
    with TestClient(create_api()) as client:
        # when one visitor (the proxy writes 198.51.100.1) fails three times
        assert [_fail(client, "198.51.100.1") for _ in range(3)] == [401, 401, 401]
        # then that visitor is stopped, even when they forge the header's left side
        assert _fail(client, "198.51.100.1") == 429
        assert _fail(client, "6.6.6.6, 198.51.100.1") == 429
        # and another visitor, through the same proxy, is not
        assert _fail(client, "198.51.100.2") == 401


def test_without_a_trusted_proxy_the_header_is_ignored(session: Session,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMERCE_LOGIN_MAX_FAILURES_PER_CLIENT", "3")
    monkeypatch.setenv("COMMERCE_LOGIN_MAX_FAILURES_PER_ACCOUNT", "100")
    get_settings.cache_clear()
    create_user(session, "ada@example.com")
    try:
        with TestClient(create_api()) as client:
            # a client inventing a new address each time is still the same socket
            codes = [_fail(client, f"203.0.113.{n}") for n in range(4)]
    finally:
        get_settings.cache_clear()
    assert codes == [401, 401, 401, 429]


def test_the_pages_use_the_same_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import rxconfig

    monkeypatch.setenv("COMMERCE_TRUSTED_PROXY_HOPS", "2")
    get_settings.cache_clear()
    try:
        assert importlib.reload(rxconfig).config.trusted_proxy_hops == 2
    finally:
        monkeypatch.delenv("COMMERCE_TRUSTED_PROXY_HOPS")
        get_settings.cache_clear()
        importlib.reload(rxconfig)
