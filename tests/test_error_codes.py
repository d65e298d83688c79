"""Error codes are data (domain/error_codes.py): every code raised is registered once, in the
enum of its area or of an area below, with the kind it is raised with; the OpenAPI document
lists them all."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from commerce_dash.api import create_api
from commerce_dash.domain.error_codes import (
    AREA_CODES,
    CatalogCode,
    CommerceCode,
    CommonCode,
    EnrollmentCode,
    ErrorCode,
    LearningCode,
    PlatformCode,
    RevenueCode,
    code_named,
)

ROOT = Path(__file__).resolve().parents[1] / "commerce_dash"
# an area may raise its own codes and those of the areas below it (README "Architecture")
BELOW: dict[str, tuple[type[ErrorCode], ...]] = {
    "platform": (CommonCode, PlatformCode),
    "catalog": (CommonCode, PlatformCode, CatalogCode),
    "learning": (CommonCode, PlatformCode, CatalogCode, LearningCode),
    "revenue": (CommonCode, PlatformCode, CatalogCode, RevenueCode),
    "enrollment": (CommonCode, PlatformCode, CatalogCode, LearningCode, RevenueCode,
                   EnrollmentCode),
    "commerce": AREA_CODES,
}
DOMAIN_AREA = {
    "pricing": "catalog", "discounts": "catalog", "fx": "catalog", "cart": "commerce",
    "orders": "commerce", "subscriptions": "commerce", "tax": "commerce",
    "refunds": "commerce", "ledger": "revenue",
    "report_periods": "revenue", "completion": "learning", "certificate_design": "learning",
    "certificate_numbers": "learning", "certificate_status": "learning", "sessions": "learning",
    "registrations": "enrollment", "accounts": "platform", "access": "platform",
    "actor": "platform", "client_address": "platform", "return_to": "platform",
    "durations": "platform",
}
# Raised with two kinds (two HTTP statuses) today; changing either is an API change, so they
# are listed until a version of the API takes it. No code may join this list.
TWO_KINDS = {"cart_empty", "over_refund", "department_not_found", "item_not_found",
             "image_not_found"}


def _area(path: Path) -> str | None:
    parts = path.relative_to(ROOT).parts
    if parts[0] == "services":
        return parts[1]
    if parts[0] == "domain":
        return DOMAIN_AREA.get(path.stem, "common")
    return None  # pages, api, state, jobs, connectors, demo: any area's codes


def _raised() -> Iterator[tuple[Path, int, str, str]]:
    """(file, line, code, kind) of every DomainError and not_found with a literal code."""
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            first = node.args[0]
            if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
                continue
            if name == "DomainError":
                kind = "invalid"
                for keyword in node.keywords:
                    if keyword.arg == "kind":
                        kind = ast.unparse(keyword.value).rsplit(".", 1)[-1].lower()
                yield path, node.lineno, first.value, kind
            elif name == "not_found":
                yield path, node.lineno, f"{first.value}_not_found", "not_found"


def test_the_scan_finds_the_codes_it_should() -> None:
    found = {code for _, _, code, _ in _raised()}
    assert {"cart_empty", "order_not_found", "invalid_share", "too_many_attempts"} <= found
    assert len(found) > 200


def test_every_code_raised_is_registered_in_its_area_or_below() -> None:
    problems = []
    for path, line, code, _kind in _raised():
        member = code_named(code)
        where = f"{path.relative_to(ROOT)}:{line} {code}"
        if member is None:
            problems.append(f"{where}: not in domain/error_codes.py")
            continue
        area = _area(path)
        if area in BELOW and type(member) not in BELOW[area]:
            problems.append(f"{where}: a {type(member).__name__}, above the {area} area")
        elif area == "common" and type(member) is not CommonCode:
            problems.append(f"{where}: raised by a common domain module, not a CommonCode")
    assert problems == []


def test_each_code_has_one_meaning() -> None:
    kinds: dict[str, set[str]] = {}
    for _, _, code, kind in _raised():
        kinds.setdefault(code, set()).add(kind)
    registered = {code: code_named(code) for code in kinds}
    wrong = {code: (sorted(seen), registered[code].kind.value)  # type: ignore[union-attr]
             for code, seen in kinds.items() if code not in TWO_KINDS and registered[code]
             and seen != {registered[code].kind.value}}  # type: ignore[union-attr]
    assert wrong == {}
    assert {code for code, seen in kinds.items() if len(seen) > 1} == TWO_KINDS


def test_no_code_is_listed_twice_or_without_its_meaning() -> None:
    values = [member.value for enum in AREA_CODES for member in enum]
    assert len(values) == len(set(values))
    assert all(member.description for enum in AREA_CODES for member in enum)


def test_no_code_is_listed_that_nothing_raises() -> None:
    raised = {code for _, _, code, _ in _raised()}
    # built from a name at run time (f"{field}_required", f"invalid_{field}", ...)
    dynamic = {member.value for enum in AREA_CODES for member in enum} - raised
    assert dynamic == set()


def test_the_api_document_lists_every_code_with_its_status() -> None:
    description = create_api().openapi()["info"]["description"]
    for enum in AREA_CODES:
        for member in enum:
            assert f"`{member.value}` (" in description, member.value
    assert "- `order_not_found` (404): No order … was found." in description
    assert "- `cart_empty` (409): " in description


def test_a_registered_code_brings_its_kind() -> None:
    from commerce_dash.domain.errors import DomainError, ErrorKind

    assert DomainError(CommerceCode.CART_EMPTY, "Your cart is empty.").kind is ErrorKind.CONFLICT
    assert DomainError("cart_empty", "x").kind is ErrorKind.INVALID  # a bare string: invalid
    assert DomainError(CommerceCode.CART_EMPTY, "x", kind=ErrorKind.INVALID).kind is \
        ErrorKind.INVALID
    assert DomainError(CommerceCode.CART_EMPTY, "x").code == "cart_empty"
