"""Certificate numbers: format, uniqueness over 100,000, check symbol, no guessing."""

from __future__ import annotations

import re
import secrets

from commerce_dash.domain.certificate_numbers import (
    ALPHABET,
    new_number,
    normalise_number,
    valid_number,
)


def _random(k: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(k))


def test_format_and_uniqueness_over_100_000_numbers() -> None:
    numbers = [new_number(2026, _random) for _ in range(100_000)]
    assert all(re.fullmatch(r"CERT-2026-[0-9A-HJKMNP-TV-Z]{11}", n) for n in numbers)
    assert len(set(numbers)) == 100_000
    assert all(valid_number(n) for n in numbers[:5_000])


def test_every_single_symbol_typo_is_caught() -> None:
    number = new_number(2026, _random)
    head, block = number[:10], number[10:]
    for i in range(len(block)):
        for symbol in ALPHABET:
            if symbol != block[i]:
                assert not valid_number(head + block[:i] + symbol + block[i + 1:])


def test_most_neighbour_swaps_are_caught() -> None:
    caught = total = 0
    for _ in range(200):
        number = new_number(2026, _random)
        head, block = number[:10], number[10:]
        for i in range(len(block) - 1):
            if block[i] == block[i + 1]:
                continue
            swapped = block[:i] + block[i + 1] + block[i] + block[i + 2:]
            total += 1
            caught += not valid_number(head + swapped)
    assert caught / total > 0.95


def test_numbers_are_read_forgivingly() -> None:
    number = new_number(2026, lambda k: "0" * (k - 1) + "1")
    typed = number.lower().replace("0", "o").replace("1", "l")
    assert normalise_number(" " + typed + " ") == number
    assert valid_number(typed)
    assert not valid_number("CERT-2026-ABC")
    assert not valid_number("ORD-2026-00001")


def test_consecutive_numbers_share_nothing_guessable() -> None:
    a, b = new_number(2026, _random), new_number(2026, _random)
    assert a[10:20] != b[10:20]
