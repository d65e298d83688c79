"""Production fails closed: it refuses to start with unsafe settings, naming each one, and
with a demo account still on the public demo password; development starts and warns."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlmodel import Session

from commerce_dash.settings import PROJECT_ROOT, ConfigurationError, Settings, get_settings
from commerce_dash.startup import refuse_unsafe_production, unsafe_start
from tests.conftest import create_user

SAFE = {"secret_key": "k" * 40, "public_url": "https://learn.example.org",
        "stripe_secret_key": "sk_live_123", "stripe_webhook_secret": "whsec_123"}


@pytest.mark.parametrize(("unsafe", "named"), [
    ({"stripe_webhook_secret": ""}, "COMMERCE_STRIPE_WEBHOOK_SECRET"),
    ({"stripe_secret_key": "", "payment_processor": "auto"}, "COMMERCE_PAYMENT_PROCESSOR"),
    ({"payment_processor": "sandbox"}, "COMMERCE_PAYMENT_PROCESSOR"),
    ({"processor_by_department": {"ENG": "sandbox"}}, "COMMERCE_PROCESSOR_BY_DEPARTMENT"),
    ({"smtp_username": "mailer", "smtp_starttls": False, "smtp_ssl": False},
     "COMMERCE_SMTP_USERNAME"),
    ({"public_url": "http://learn.example.org"}, "COMMERCE_PUBLIC_URL"),
    ({"secret_key": "dev-secret-change-me"}, "COMMERCE_SECRET_KEY"),
    ({"stripe_secret_key": "sk_test_123"}, "COMMERCE_STRIPE_SECRET_KEY is a test key"),
    ({"razorpay_key_id": "rzp_test_1", "razorpay_key_secret": "s",
      "razorpay_webhook_secret": "w"}, "COMMERCE_RAZORPAY_KEY_ID is a test key"),
    ({"razorpay_key_id": "rzp_live_1", "razorpay_key_secret": "s"},
     "COMMERCE_RAZORPAY_WEBHOOK_SECRET"),
    ({"square_application_id": "sandbox-sq0idb-x", "square_access_token": "t",
      "square_webhook_signature_key": "k"}, "COMMERCE_SQUARE_APPLICATION_ID"),
    ({"square_access_token": "t", "square_application_id": "sq0idp-x"},
     "COMMERCE_SQUARE_WEBHOOK_SIGNATURE_KEY"),
    ({"elavon_merchant_id": "1", "elavon_api_host": "https://api.demo.convergepay.com"},
     "COMMERCE_ELAVON_API_HOST"),
])
def test_production_refuses_each_unsafe_setting_by_name(unsafe: dict[str, object],
                                                        named: str) -> None:
    # given otherwise safe production settings
    assert Settings(env="production", **SAFE).env == "production"  # type: ignore[arg-type]
    # when one setting is unsafe, then it refuses and names it
    with pytest.raises(ConfigurationError) as err:
        Settings(env="production", **{**SAFE, **unsafe})  # type: ignore[arg-type]
    assert named in str(err.value)
    # and development starts with it
    assert Settings(env="development", **{**SAFE, **unsafe}).env == "development"  # type: ignore[arg-type]


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings(env="production", secret_key="short", payment_processor="sandbox",
                 public_url="http://x")
    message = str(err.value)
    for named in ("COMMERCE_SECRET_KEY", "COMMERCE_PAYMENT_PROCESSOR", "COMMERCE_PUBLIC_URL"):
        assert named in message


def test_development_warns_of_stripe_without_a_webhook_secret() -> None:
    settings = Settings(env="development", stripe_secret_key="sk_test_1")
    assert any("COMMERCE_STRIPE_WEBHOOK_SECRET" in w for w in settings.warnings())


def test_starting_the_app_in_production_stops_with_the_names(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # when the app's configuration is loaded with production and a sandbox processor, as
    # `reflex run` does first
    env = {**os.environ, "COMMERCE_ENV": "production", "COMMERCE_SECRET_KEY": "k" * 40,
           "COMMERCE_PUBLIC_URL": "http://learn.example.org",
           "COMMERCE_PAYMENT_PROCESSOR": "sandbox", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    done = subprocess.run([sys.executable, "-c", "import rxconfig"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    # then it fails, naming each unsafe setting
    assert done.returncode != 0
    assert "Production refuses to start with unsafe settings" in done.stderr
    assert "COMMERCE_PAYMENT_PROCESSOR" in done.stderr and "COMMERCE_PUBLIC_URL" in done.stderr


def test_seeding_demo_data_is_refused_in_production(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "COMMERCE_ENV": "production", **{
        f"COMMERCE_{k.upper()}": str(v) for k, v in SAFE.items()},
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    done = subprocess.run([sys.executable, "-m", "commerce_dash.cli", "seed", "--if-empty"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "never loaded in production" in done.stderr


def test_a_demo_account_on_the_demo_password_stops_production(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    # given the demo super-admin still has the demo password
    create_user(session, "super@example.com", password=get_settings().demo_password
                .get_secret_value())
    create_user(session, "billing@example.com", password="changed-after-the-demo")
    assert any("super@example.com" in p for p in unsafe_start(session=session))
    # when the app starts in production
    for key, value in SAFE.items():
        monkeypatch.setenv(f"COMMERCE_{key.upper()}", value)
    monkeypatch.setenv("COMMERCE_ENV", "production")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError) as err:
            refuse_unsafe_production()
    finally:
        get_settings.cache_clear()
    # then it stops, naming that account only
    assert "super@example.com" in str(err.value)
    assert "billing@example.com" not in str(err.value)


def test_production_health_says_ready_without_naming_the_schema(monkeypatch, session) -> None:  # type: ignore[no-untyped-def]
    from commerce_dash.api.health import health

    # outside production operators read the revisions
    detailed = json.loads(health().body)
    assert detailed["migration"]["at_head"] is True
    # in production anyone can reach the URL: ready or not, and why, but no revision
    for name, value in {"COMMERCE_ENV": "production", "COMMERCE_SECRET_KEY": "k" * 40,
                        "COMMERCE_PUBLIC_URL": "https://learn.example.org",
                        "COMMERCE_STRIPE_SECRET_KEY": "sk_live_123",
                        "COMMERCE_STRIPE_WEBHOOK_SECRET": "whsec_123"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        body = json.loads(health().body)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert body == {"status": "ok", "database": "ok"}


def test_production_does_not_publish_the_api_map_unless_asked(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from commerce_dash.api import create_api

    with TestClient(create_api()) as client:
        assert client.get("/api/openapi.json").status_code == 200
    for name, value in {"COMMERCE_ENV": "production", "COMMERCE_SECRET_KEY": "k" * 40,
                        "COMMERCE_PUBLIC_URL": "https://learn.example.org",
                        "COMMERCE_STRIPE_SECRET_KEY": "sk_live_123",
                        "COMMERCE_STRIPE_WEBHOOK_SECRET": "whsec_123"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        with TestClient(create_api()) as client:
            hidden = (client.get("/api/openapi.json").status_code,
                      client.get("/api/docs").status_code)
        monkeypatch.setenv("COMMERCE_API_DOCS", "true")
        get_settings.cache_clear()
        with TestClient(create_api()) as client:
            asked = client.get("/api/openapi.json").status_code
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert hidden == (404, 404)
    assert asked == 200
