"""Whole numbers written by a client: ids in paths, query strings and event arguments, and the
small counts typed into forms (a month, a score, a number of days).

Only ASCII digits count. ``str.isdigit()`` also takes "¹", "١" and "１" (``int()`` then fails on
the first and quietly reads the others), and ``int()`` takes "+1", " 1" and "1_000"; neither is
how a person or a link writes a number here. The length is checked before ``int()``, so a
string of thousands of digits is refused without being converted, and a number out of range
(an id past the database's INTEGER) never reaches a query.
"""

from __future__ import annotations

import re

INT_MAX = 2**31 - 1
"""The largest id: ids are PostgreSQL INTEGER columns."""

_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def parse_whole(text: str, *, high: int) -> int | None:
    """The number ``text`` spells in ASCII digits when it is in 0..high, else None.

    No sign, space, "_", decimal point or non-ASCII digit; at most as many digits as ``high``
    has (so "007" is refused when high is 12).
    """
    if len(text) > len(str(high)) or not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= high else None


def parse_id(text: str, *, high: int = INT_MAX) -> int | None:
    """The id (or other positive number) ``text`` spells in ASCII digits when it is in
    1..high, else None.

    For "an id or a code" arguments: anything else (a code, "¹", "١", "１", a number past
    the range) names no row by id.
    """
    number = parse_whole(text, high=high)
    return number if number else None
