"""Certificate numbers: CERT-YYYY- followed by 10 random characters and a check character.

The random block comes from the caller's secure source (``secrets``), 10 symbols of a
32-letter alphabet without look-alikes (no I, L, O, U), so 2^50 numbers per year: one cannot
be guessed or enumerated from another. The last character is a Luhn mod-32 check symbol, so
a mistyped number is refused before any lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["ALPHABET", "format_number", "new_number", "normalise_number", "valid_number"]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
_BLOCK = 10
_RE = re.compile(rf"CERT-(\d{{4}})-([{ALPHABET}]{{{_BLOCK + 1}}})")


def _check_symbol(payload: str) -> str:
    """Luhn mod N over the alphabet (catches every single-symbol error and most swaps)."""
    n = len(ALPHABET)
    factor = 2
    total = 0
    for symbol in reversed(payload):
        addend = factor * ALPHABET.index(symbol)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_number(year: int, random_symbols: Callable[[int], str]) -> str:
    """A new number; ``random_symbols(k)`` returns k random symbols of ``ALPHABET``."""
    block = random_symbols(_BLOCK)
    if len(block) != _BLOCK or any(c not in ALPHABET for c in block):
        raise ValueError("random_symbols must return symbols of ALPHABET")
    return format_number(year, block + _check_symbol(block))


def format_number(year: int, block: str) -> str:
    return f"CERT-{year:04d}-{block}"


def normalise_number(text: str) -> str:
    """Upper-case, spaces dropped, and the look-alikes read as Crockford does (O=0, I/L=1)."""
    cleaned = re.sub(r"\s+", "", text.strip().upper())
    if not cleaned.startswith("CERT-"):
        return cleaned
    return "CERT-" + cleaned[5:].translate(str.maketrans("OIL", "011"))


def valid_number(text: str) -> bool:
    """Well formed and its check symbol matches (no database needed)."""
    match = _RE.fullmatch(normalise_number(text))
    if match is None:
        return False
    block = match.group(2)
    return _check_symbol(block[:-1]) == block[-1]
