"""Metrics and logs (issue 20): /metrics answers only a caller with the token (or this machine
when none is set) in the Prometheus format; requests are measured by route template; every
error body carries the request id that the answer's header and the request's JSON log line
carry too; the figures read from the database match the rows; production refuses a short
metrics token."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from commerce_dash import metrics, outbox
from commerce_dash.api import create_api
from commerce_dash.api.health import metrics_allowed
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.accounts import LoginAttempt
from commerce_dash.models.commerce import PaymentEvent
from commerce_dash.settings import ConfigurationError, Settings, get_settings
from tests.builders import a_learner, recorded_order

TOKEN = "m" * 40


@pytest.fixture
def metrics_client(session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("COMMERCE_METRICS_TOKEN", TOKEN)
    get_settings.cache_clear()
    with TestClient(create_api()) as c:
        yield c
    monkeypatch.delenv("COMMERCE_METRICS_TOKEN")
    get_settings.cache_clear()


def scraped(client: TestClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


def value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str,
          **labels: str) -> float:
    return sum(v for found, v in samples.get(name, []) if labels.items() <= found.items())


def test_metrics_are_refused_without_the_token_and_served_with_it(
        metrics_client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        refused = metrics_client.get("/metrics", headers=headers)
        assert refused.status_code == 404
        assert refused.json()["code"] == "not_found"
        assert "commerce_" not in refused.text
    samples = scraped(metrics_client)
    assert "commerce_outbox_depth" in samples
    assert "commerce_event_loop_lag_max_seconds" in samples


def _request(client_host: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    from starlette.requests import Request

    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/metrics", "headers": raw,
                    "client": (client_host, 5000), "query_string": b""})


def test_without_a_token_only_this_machine_may_scrape() -> None:
    settings = Settings(metrics_token="")
    assert metrics_allowed(_request("127.0.0.1", {}), settings)
    assert metrics_allowed(_request("::1", {}), settings)
    # a visitor through a reverse proxy on the same host is no local caller
    assert not metrics_allowed(_request("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),
                               settings)
    assert not metrics_allowed(_request("10.0.0.8", {}), settings)
    # with a token, the address alone is not enough
    with_token = Settings(metrics_token=TOKEN)
    assert not metrics_allowed(_request("127.0.0.1", {}), with_token)
    assert metrics_allowed(_request("10.0.0.8", {"Authorization": f"Bearer {TOKEN}"}),
                           with_token)


def test_a_request_is_counted_in_its_route_templates_histogram(
        metrics_client: TestClient) -> None:
    route = "/api/v2/catalog/courses/{code}"
    before = value(scraped(metrics_client), "commerce_http_request_duration_seconds_count",
                   route=route, method="GET")
    errors_before = value(scraped(metrics_client), "commerce_http_responses_total",
                          route=route, status_class="4xx")
    answer = metrics_client.get("/api/v2/catalog/courses/NOPE-404")
    assert answer.status_code == 404
    after = scraped(metrics_client)
    assert value(after, "commerce_http_request_duration_seconds_count",
                 route=route, method="GET") == before + 1
    assert value(after, "commerce_http_responses_total", route=route,
                 status_class="4xx") == errors_before + 1
    # the raw path never becomes a label
    assert not any("NOPE-404" in str(labels) for series in after.values()
                   for labels, _ in series)


def test_an_error_body_carries_the_request_id_of_its_header_and_its_log_line(
        metrics_client: TestClient) -> None:
    stream = io.StringIO()
    handler = metrics.configure_logging(json_lines=True, level="INFO", stream=stream)
    try:
        answer = metrics_client.get("/api/v2/orders/NOPE",
                                    headers={"X-Request-ID": "support-case-0042"})
    finally:
        logging.getLogger().removeHandler(handler)
    assert answer.status_code == 401
    assert answer.headers["x-request-id"] == "support-case-0042"
    assert answer.json()["request_id"] == "support-case-0042"
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    access = [entry for entry in lines if entry["logger"] == "commerce_dash.access"]
    assert access and access[-1]["request_id"] == "support-case-0042"
    assert access[-1]["status"] == 401 and access[-1]["route"] == "/api/v2/orders/{number}"


@pytest.mark.parametrize("sent", ["", "x", "bad id with spaces", "<script>alert(1)</script>",
                                  "y" * 65])
def test_an_unsafe_request_id_is_replaced_by_a_new_one(metrics_client: TestClient,
                                                        sent: str) -> None:
    answer = metrics_client.get("/api/v2/no-such-route", headers={"X-Request-ID": sent})
    assert answer.status_code == 404
    given = answer.headers["x-request-id"]
    assert given != sent and len(given) == 32
    assert answer.json()["request_id"] == given


def test_the_database_figures_match_the_rows(metrics_client: TestClient,
                                             session: Session) -> None:
    learner = a_learner(session)
    recent = utcnow() - timedelta(hours=1)
    for status in ("succeeded", "succeeded", "failed"):
        recorded_order(session, learner, created_at=recent, payment=status,
                       processor="stripe", status="completed" if status == "succeeded"
                       else "failed")
    recorded_order(session, learner, created_at=recent, payment="succeeded",
                   processor="razorpay")
    for n in range(3):
        outbox.enqueue(session=session, topic="email", dedupe_key=f"health-{n}",
                       payload={"n": n})
    session.add(PaymentEvent(processor="stripe", event_id="evt_waiting", event_type="x",
                             status="received", received_at=utcnow() - timedelta(minutes=10)))
    session.add(PaymentEvent(processor="stripe", event_id="evt_done", event_type="x",
                             status="processed", received_at=utcnow() - timedelta(seconds=30),
                             processed_at=utcnow() - timedelta(seconds=26)))
    for _ in range(2):
        session.add(LoginAttempt(account_key="who@example.com", client_key="1.2.3.4",
                                 succeeded=False, at=utcnow()))
    session.commit()

    samples = scraped(metrics_client)
    assert value(samples, "commerce_payments_recent", processor="stripe",
                 status="succeeded") == 2
    assert value(samples, "commerce_payments_recent", processor="stripe", status="failed") == 1
    assert value(samples, "commerce_payments_recent", processor="razorpay") == 1
    assert value(samples, "commerce_outbox_depth") == 3
    assert value(samples, "commerce_outbox_messages", status="pending") == 3
    assert value(samples, "commerce_outbox_oldest_waiting_seconds") < 120
    assert value(samples, "commerce_webhook_events_waiting") == 1
    assert 590 < value(samples, "commerce_webhook_oldest_waiting_seconds") < 700
    assert 3.5 < value(samples, "commerce_webhook_processing_lag_seconds", stat="max") < 4.5
    assert value(samples, "commerce_login_failures_recent", window="1h") == 2


def test_production_refuses_a_short_metrics_token() -> None:
    safe = {"secret_key": "k" * 40, "public_url": "https://learn.example.org",
            "stripe_secret_key": "sk_live_123", "stripe_webhook_secret": "whsec_123"}
    assert Settings(env="production", metrics_token=TOKEN, **safe).env == "production"  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError) as err:
        Settings(env="production", metrics_token="short", **safe)  # type: ignore[arg-type]
    assert "COMMERCE_METRICS_TOKEN" in str(err.value)
    assert Settings(env="development", metrics_token="short").env == "development"


def test_the_loop_lag_probe_records_a_blocked_loop() -> None:
    import asyncio
    import time

    async def blocked() -> None:
        probe = asyncio.create_task(metrics.probe_loop_lag(0.01))
        await asyncio.sleep(0.02)
        time.sleep(0.15)  # a handler blocking the loop
        await asyncio.sleep(0.03)
        probe.cancel()

    asyncio.run(blocked())
    _p95, peak = metrics.loop_lag_figures()
    assert peak is not None and peak >= 0.1


def test_quantiles_are_read_from_the_histogram_buckets() -> None:
    # 10 requests: 6 under 10 ms, 3 more under 100 ms, 1 more under 1 s
    buckets = [(0.01, 6.0), (0.1, 9.0), (1.0, 10.0), (float("inf"), 10.0)]
    assert metrics.quantile(buckets, 0.5) == pytest.approx(0.01 * 5 / 6)
    assert metrics.quantile(buckets, 0.95) == pytest.approx(0.1 + 0.9 * 0.5)
    assert metrics.quantile([(0.01, 0.0), (float("inf"), 0.0)], 0.5) is None


def test_page_events_are_labelled_by_state_and_handler() -> None:
    name = ("reflex___state____state.commerce_dash___state___admin____admin_state."
            "commerce_dash___pages___admin___health_state____health_state.refresh")
    assert metrics.page_event_label(name) == "health_state.refresh"
    before = value({"x": metrics.sample_values("commerce_page_event_duration_seconds_count")},
                   "x", event="health_state.refresh")
    metrics.observe_page_event(name, 0.02, failed=False)
    after = value({"x": metrics.sample_values("commerce_page_event_duration_seconds_count")},
                  "x", event="health_state.refresh")
    assert after == before + 1


def test_with_a_multiprocess_directory_a_scrape_sums_every_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    record = ("from commerce_dash import metrics; "
              "metrics.observe_request('GET', '/api/x', 200, 0.02); metrics.record_loop_lag({})")
    for lag in (0.2, 0.05):  # two worker processes, one after the other
        subprocess.run([sys.executable, "-c", record.format(lag)], env=env, check=True,
                       timeout=120)
    read = ("from commerce_dash import metrics; r = metrics.route_latencies()[0]; "
            "print(r.route, r.count, metrics.loop_lag_figures()[1])")
    out = subprocess.run([sys.executable, "-c", read], env=env, check=True, timeout=120,
                         capture_output=True, text=True).stdout.split()
    assert out == ["/api/x", "2", "0.2"]


def test_a_fault_is_logged_with_the_request_id_its_500_body_names(session: Session) -> None:
    api = create_api()

    def broken() -> None:
        raise RuntimeError("boom")

    api.add_api_route("/test-only/broken", broken, methods=["GET"])
    stream = io.StringIO()
    handler = metrics.configure_logging(json_lines=True, level="INFO", stream=stream)
    try:
        with TestClient(api, raise_server_exceptions=False) as client:
            answer = client.get("/test-only/broken")
    finally:
        logging.getLogger().removeHandler(handler)
    assert answer.status_code == 500
    request_id = answer.headers["x-request-id"]
    assert answer.json() == {"code": "internal_error", "request_id": request_id,
                             "message": "Something went wrong on our side; nothing was changed."}
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    fault = [e for e in lines if e["message"] == "unhandled API error"]
    assert fault and fault[0]["request_id"] == request_id and "boom" in fault[0]["exception"]
