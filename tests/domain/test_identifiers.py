"""Whole numbers from a client are ASCII digits in range, or nothing."""

from __future__ import annotations

import pytest

from commerce_dash.domain.identifiers import INT_MAX, parse_id, parse_whole


def test_int_max_is_the_postgres_integer_maximum() -> None:
    assert INT_MAX == 2_147_483_647


@pytest.mark.parametrize(("text", "expected"), [
    ("1", 1),
    ("42", 42),
    ("007", 7),
    ("2147483647", INT_MAX),
    ("0", None),
    ("00", None),
    ("-1", None),
    ("+1", None),
    (" 1", None),
    ("1 ", None),
    ("1_000", None),
    ("1.0", None),
    ("1e3", None),
    ("0x1", None),
    ("¹", None),          # superscript one: isdigit() but int() fails
    ("٣", None),          # Arabic-Indic three: int() reads it as 3
    ("１", None),         # fullwidth one: int() reads it as 1
    ("2147483648", None),
    ("99999999999999999999", None),
    ("9" * 5000, None),
    ("0" * 5000 + "1", None),
    ("", None),
    ("abc", None),
    ("1\x00", None),
    ("1\n", None),
])
def test_parse_id(text: str, expected: int | None) -> None:
    assert parse_id(text) == expected


@pytest.mark.parametrize(("text", "high", "expected"), [
    ("12", 12, 12),
    ("01", 12, 1),
    ("13", 12, None),
    ("0", 12, None),
    ("99999", 99_999, 99_999),
    ("100000", 99_999, None),
    ("1", 1, 1),
    ("2", 1, None),
    ("9" * 5000, 12, None),
])
def test_parse_id_honours_high(text: str, high: int, expected: int | None) -> None:
    assert parse_id(text, high=high) == expected


@pytest.mark.parametrize(("text", "high", "expected"), [
    ("0", 100, 0),
    ("100", 100, 100),
    ("101", 100, None),
    ("", 100, None),
    ("-0", 100, None),
    ("٣", 100, None),
    ("¹", 100, None),
    ("99999999999999999999", 100_000, None),
])
def test_parse_whole_takes_zero_up_to_high(text: str, high: int, expected: int | None) -> None:
    assert parse_whole(text, high=high) == expected


def test_a_giant_string_is_refused_before_int_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    import commerce_dash.domain.identifiers as identifiers

    calls: list[str] = []
    real_int = builtins.int

    def spy(value: object, *args: object) -> int:
        calls.append(str(value)[:20])
        return real_int(value, *args)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(identifiers, "int", spy, raising=False)
    assert parse_id("9" * 100_000) is None
    assert calls == []
    assert parse_id("12") == 12 and calls == ["12"]
