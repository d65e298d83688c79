"""Ids and numbers in paths and query strings, as a fuzzer sends them: out of the database's
integer range, negative, zero, or written with digits that are not ASCII.

Every route answers such input with a 4xx and the JSON error body, never a 500: an integer
path or query parameter out of range is a 422 ``invalid_request`` naming the parameter; a
catalog ``{code}`` that is no ASCII id in range is looked up as a code (so: 404 not found).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from commerce_dash.api import create_api
from commerce_dash.domain.actor import Actor
from commerce_dash.state.route_args import route_int
from tests.api.conftest import bearer
from tests.conftest import PASSWORD

# issue 13: these findings are proven on SQLite and on PostgreSQL in every run
pytestmark = pytest.mark.usefixtures("both_databases")

INT_MAX = 2**31 - 1  # Postgres INTEGER: the ids' columns
OUT_OF_RANGE = [0, -1, 2**31, 2**63, 2**64, -(2**63) - 1]
NOT_ASCII = ["¹", "٣", "１", "1_000", "+1", "1.0"]
_FILLER = {"integer": "1", "string": "x"}


def _param_type(param: dict[str, Any]) -> str:
    schema = param["schema"]
    types = {schema.get("type"), *(s.get("type") for s in schema.get("anyOf", []))}
    formats = {schema.get("format"), *(s.get("format") for s in schema.get("anyOf", []))}
    if "integer" in types:
        return "integer"
    return "date-time" if "date-time" in formats else "date" if "date" in formats else "string"


# The API's schema, built once: building it takes about a second and a half, and the
# parametrised tests below read it for every case.
SCHEMA = create_api().openapi()


def _integer_params(where: str) -> list[tuple[str, str, str]]:
    """(method, path template, parameter) of every integer parameter ``where`` in the schema."""
    found = []
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param["in"] == where and _param_type(param) == "integer":
                    found.append((method.upper(), path, param["name"]))
    return found


def _path_params(method: str, template: str) -> list[dict[str, Any]]:
    operation = SCHEMA["paths"][template][method.lower()]
    return [p for p in operation.get("parameters", []) if p["in"] == "path"]


PATH_IDS = _integer_params("path")
QUERY_INTS = _integer_params("query")
QUERY_DATES = [(method.upper(), path, param["name"])
               for path, operations in SCHEMA["paths"].items()
               for method, operation in operations.items()
               for param in operation.get("parameters", [])
               if param["in"] == "query" and _param_type(param) in ("date", "date-time")]
# Dates datetime can hold but day arithmetic or a time zone cannot (the fuzzer's findings).
EXTREME_DAYS = ["9999-12-31", "0001-01-01"]
EXTREME_TIMES = ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"]


def _label(case: tuple[str, str, str]) -> str:
    return f"{case[0]} {case[1]} {case[2]}"


@pytest.fixture
def root(client, super_admin: Actor) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A super-admin's bearer token: no route's sign-in or section check hides the parse."""
    answer = client.post("/api/v2/auth/login",
                         json={"email": super_admin.email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["token"])


def _refused(response: Any, param: str, sent: object) -> None:
    """A 422 with the error body, naming the parameter: what a client can act on."""
    where = f"{param}={sent!r}"
    assert response.status_code == 422, (where, response.status_code, response.text)
    body = response.json()
    assert body["code"] == "invalid_request", (where, body)
    assert param in body["message"], (where, body)



# -- the fuzzer's findings --------------------------------------------------------------------


def test_a_cart_line_id_past_64_bits_is_refused_not_a_server_error(client, shop) -> None:  # type: ignore[no-untyped-def]
    added = client.post("/api/v2/cart/items",
                        json={"item_type": "course", "item_id": shop.courses["PY101"]})
    assert added.status_code == 201, added.text
    guest = {"X-Cart-Token": added.json()["token"]}
    for line_id in ["9223372036854775808", str(2**31), "0", "-1", "¹"]:
        response = client.delete(f"/api/v2/cart/items/{line_id}", headers=guest)
        _refused(response, "line_id", line_id)
    assert client.get("/api/v2/cart", headers=guest).json()["count"] == 1


@pytest.mark.parametrize("entity", ["course", "program", "department"])
def test_a_catalog_code_of_superscript_digits_is_just_not_found(client, session, entity) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v2/catalog/{entity}s/{quote('¹')}")
    assert response.status_code == 404, response.text
    assert response.json() == {"code": f"{entity}_not_found",
                               "message": f"No {entity} ¹ was found.",
                               "request_id": response.headers["x-request-id"]}


# -- every route --------------------------------------------------------------------------------


def test_the_schema_has_routes_with_integer_ids() -> None:
    """Guards the tables below against an empty schema reading (a vacuous pass)."""
    assert ("DELETE", "/api/v2/cart/items/{line_id}", "line_id") in PATH_IDS
    assert ("PUT", "/api/v2/admin/users/{user_id}/roles", "user_id") in PATH_IDS
    assert ("GET", "/api/v2/admin/audit", "page") in QUERY_INTS
    assert len(PATH_IDS) >= 20 and len(QUERY_INTS) >= 40


@pytest.mark.parametrize("case", PATH_IDS, ids=_label)
def test_an_integer_path_parameter_out_of_range_is_a_422(client, root, case) -> None:  # type: ignore[no-untyped-def]
    method, template, param = case
    fill = {p["name"]: _FILLER[_param_type(p)] for p in _path_params(method, template)}
    for sent in [*OUT_OF_RANGE, *NOT_ASCII]:
        path = template.format(**{**fill, param: quote(str(sent))})
        kwargs: dict[str, Any] = {"json": {}} if method in ("POST", "PUT") else {}
        _refused(client.request(method, path, headers=root, **kwargs), param, sent)


@pytest.mark.parametrize("case", QUERY_INTS, ids=_label)
def test_an_integer_query_parameter_out_of_range_is_a_422(client, root, case) -> None:  # type: ignore[no-untyped-def]
    method, template, param = case
    fill = {p["name"]: _FILLER[_param_type(p)] for p in _path_params(method, template)}
    path = template.format(**fill)
    # 0 is a fair minimum for some (an amount), so not sent here; every one refuses these.
    for sent in [-1, 2**31, 2**63, 2**64, *NOT_ASCII]:
        response = client.request(method, path, headers=root, params={param: str(sent)})
        _refused(response, param, sent)


def test_the_schema_has_routes_with_date_parameters() -> None:
    assert ("GET", "/api/v2/admin/audit", "since") in QUERY_DATES
    assert ("GET", "/api/v2/admin/revenue/report", "end") in QUERY_DATES
    assert len(QUERY_DATES) >= 12


@pytest.mark.parametrize("case", QUERY_DATES, ids=_label)
def test_a_date_at_the_ends_of_the_calendar_is_a_422_naming_the_supported_years(
        client, root, case) -> None:  # type: ignore[no-untyped-def]
    method, template, param = case
    operation = SCHEMA["paths"][template][method.lower()]
    fill = {p["name"]: _FILLER.get(_param_type(p), "x") for p in _path_params(method, template)}
    path = template.format(**fill)
    kind = next(_param_type(p) for p in operation["parameters"] if p["name"] == param)
    for sent in EXTREME_TIMES if kind == "date-time" else EXTREME_DAYS:
        response = client.request(method, path, headers=root, params={param: sent})
        _refused(response, param, sent)
        assert "must be between 1900-01-01 and 2999-12-31" in response.json()["message"]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v2/admin/pricing", {"item_type": "course", "item_id": 1, "price_type": "one_time",
                               "amount": 100, "currency": "USD",
                               "effective_from": "9999-12-31T23:00:00-05:00"}, "effective_from"),
    ("/api/v2/admin/pricing", {"item_type": "course", "item_id": 1, "price_type": "one_time",
                               "amount": 100, "currency": "USD",
                               "effective_until": "0001-01-01T00:00:00+05:00"}, "effective_until"),
    ("/api/v2/admin/certificates", {"email": "lee@example.com", "course_id": 1,
                                    "completed_on": "9999-12-31"}, "completed_on"),
])
def test_a_date_at_the_ends_of_the_calendar_in_a_body_is_a_422(
        client, root, path, body, field) -> None:  # type: ignore[no-untyped-def]
    response = client.post(path, headers=root, json=body)
    _refused(response, field, body[field])
    assert response.json()["message"] == f"{field}: must be between 1900-01-01 and 2999-12-31"


def test_a_time_without_an_offset_is_refused_not_guessed(client, root) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v2/admin/audit", headers=root,
                          params={"since": "2026-01-01T00:00:00"})
    assert response.status_code == 422, response.text
    assert response.json() == {"code": "naive_datetime", "field": "since", "message":
                               "Give since with a UTC offset, like 2026-01-31T09:00:00+00:00.",
                               "request_id": response.headers["x-request-id"]}


def test_an_id_at_the_top_of_the_range_is_parsed_and_simply_not_found(client, root) -> None:  # type: ignore[no-untyped-def]
    for path in [f"/api/v2/admin/certificates/{INT_MAX}", f"/api/v2/registrations/{INT_MAX}",
                 f"/api/v2/admin/certificate-templates/{INT_MAX}"]:
        response = client.get(path, headers=root)
        assert response.status_code == 404, (path, response.text)
        assert set(response.json()) == {"code", "message", "request_id"}
    removed = client.delete(f"/api/v2/cart/items/{INT_MAX}", headers=root)
    assert removed.status_code == 404, removed.text
    assert removed.json()["code"].endswith("not_found")


# -- catalog: a code, or an id in ASCII digits ------------------------------------------------


_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@pytest.mark.parametrize("entity", ["course", "program", "department"])
@pytest.mark.parametrize("ref", ["¹", "٣", "１", "99999999999999999999", str(2**31),
                                 "9" * 5000, "0", "-1", " ", "1_0"])
def test_a_code_or_id_is_an_id_only_in_ascii_digits_in_range(client, session, entity,  # type: ignore[no-untyped-def]
                                                             ref) -> None:
    response = client.get(f"/api/v2/catalog/{entity}s/{quote(ref)}")
    assert response.status_code == 404, response.text
    body = response.json()
    assert set(body) == {"code", "message", "request_id"} and body["code"] == f"{entity}_not_found"


@pytest.mark.parametrize("entity", ["course", "program", "department"])
def test_an_existing_id_resolves_in_ascii_digits_only(client, shop, entity) -> None:  # type: ignore[no-untyped-def]
    item_id = {"course": shop.courses["PY101"], "program": shop.program_id,
               "department": shop.department_id}[entity]
    found = client.get(f"/api/v2/catalog/{entity}s/{item_id}")
    assert found.status_code == 200, found.text
    assert found.json()["id"] == item_id
    for digits in (_ARABIC_INDIC, _FULLWIDTH, _SUPERSCRIPT):
        other = str(item_id).translate(digits)
        response = client.get(f"/api/v2/catalog/{entity}s/{quote(other)}")
        assert response.status_code == 404, (other, response.text)
        assert response.json()["code"] == f"{entity}_not_found"


# -- the storefront pages' route arguments ------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("3", 3), (" 3 ", 3), (str(INT_MAX), INT_MAX), (str(INT_MAX + 1), None), ("0", None),
    ("-1", None), ("¹", None), ("٣", None), ("１", None), ("1_0", None), ("+1", None),
    ("9" * 5000, None), ("", None), (None, None),
])
def test_a_page_reads_a_numeric_route_argument_in_ascii_digits_only(raw, expected) -> None:  # type: ignore[no-untyped-def]
    assert route_int(raw) == expected
    assert route_int(raw, high=100_000) == (expected if expected and expected <= 100_000
                                            else None)


# -- NUL characters (PostgreSQL text cannot hold one: was a 500 there) --------------------------


def _nul_refused(response: Any, where: str) -> None:
    assert response.status_code == 422, (where, response.status_code, response.text)
    body = response.json()
    assert set(body) == {"code", "message", "request_id"}, body
    assert body["code"] == "invalid_request", body
    assert f"request's {where} contains a NUL" in body["message"], body


@pytest.mark.parametrize("url", [
    "/api/v2/catalog/courses/%00",
    "/api/v2/images/%00",
    "/api/v2/catalog/programs/PY%00101",
    "/api/v2/catalog/departments/%00",
])
def test_a_nul_in_the_path_is_a_422(client, session, url: str) -> None:  # type: ignore[no-untyped-def]
    _nul_refused(client.get(url), "path")


@pytest.mark.parametrize("url", [
    "/api/v2/catalog/courses?q=%00",
    "/api/v2/catalog/courses?q=python%00&page=1",
    "/api/v2/catalog/courses?%00=x",
])
def test_a_nul_in_the_query_string_is_a_422(client, session, url: str) -> None:  # type: ignore[no-untyped-def]
    _nul_refused(client.get(url), "query string")


def test_a_nul_in_a_query_parameter_sent_unencoded_is_a_422(client, session) -> None:  # type: ignore[no-untyped-def]
    _nul_refused(client.get("/api/v2/catalog/courses", params={"q": "a\x00b"}), "query string")


def test_a_nul_in_a_json_string_is_a_422(client, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    # json= escapes the NUL as \u0000, as every JSON encoder does
    response = client.post("/api/v2/auth/login",
                           json={"email": "a\x00@example.com", "password": PASSWORD})
    _nul_refused(response, "body")
    for raw in ['{"email": "lee@example.com", "password": "x\\u0000"}',
                '{"email\\u0000": "lee@example.com", "password": "x"}',
                '{"email": "a\\\\\\u0000@example.com", "password": "x"}']:
        response = client.post("/api/v2/auth/login", content=raw.encode(),
                               headers={"Content-Type": "application/json"})
        _nul_refused(response, "body")
    # FastAPI reads a body without a content type as JSON: so does the guard
    response = client.post("/api/v2/auth/login",
                           content=b'{"email": "a\\u0000@example.com", "password": "x"}')
    _nul_refused(response, "body")


def test_a_backslash_before_u0000_is_just_text(client, learner: Actor) -> None:  # type: ignore[no-untyped-def]
    """"\\u0000" in JSON is a backslash and the letters u0000: no NUL, the route answers."""
    response = client.post("/api/v2/auth/login",
                           json={"email": "lee@example.com", "password": "pass\\u0000word"})
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "invalid_credentials"
    signed_in = client.post("/api/v2/auth/login",
                            json={"email": "lee@example.com", "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text  # the body reaches the route intact


# -- ...and in the storefront pages' text arguments --------------------------------------------


def test_a_page_code_with_a_nul_names_nothing() -> None:
    from types import SimpleNamespace

    from commerce_dash.state.route_args import route_code

    assert route_code(SimpleNamespace(code=" PY101 ")) == "PY101"  # type: ignore[arg-type]
    assert route_code(SimpleNamespace(code="PY\x00101")) == ""  # type: ignore[arg-type]
    assert route_code(SimpleNamespace(code="\x00")) == ""  # type: ignore[arg-type]


def test_a_catalog_search_link_with_a_nul_searches_without_it(session, shop) -> None:  # type: ignore[no-untyped-def]
    from commerce_dash import routes
    from commerce_dash.pages.store.catalog import CatalogState
    from tests.pages.harness import page_state as _state
    from tests.pages.harness import run_event as _run

    state = _state(CatalogState, routes.STORE, {}, "", {"q": "Course PY1\x0001"})
    _run(CatalogState.load, state)
    assert state.loaded and state.search == "Course PY101"
    assert [c["title"] for c in state.cards] == ["Course PY101"]
    _run(CatalogState.set_search, state, "\x00")
    assert state.search == "" and state.total == 5
