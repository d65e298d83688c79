"""The sandbox processor's test cards and the checks a card's details must pass.

Test cards (any future expiry, any 3-4 digit CVC):
    4242 4242 4242 4242   succeeds
    4000 0000 0000 0002   declined (card_declined)
    4000 0000 0000 9995   declined (insufficient_funds)
    4000 0000 0000 0069   declined (expired_card)
    4000 0025 0000 3155   asks for 3-D Secure; the challenge page approves or fails it
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SUCCESS_CARD = "4242424242424242"
CHALLENGE_CARD = "4000002500003155"
DECLINES: dict[str, tuple[str, str]] = {
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", "Your card has expired."),
}
TEST_CARDS = (
    (SUCCESS_CARD, "Succeeds"),
    ("4000000000000002", "Declined"),
    ("4000000000009995", "Declined: insufficient funds"),
    (CHALLENGE_CARD, "Asks for 3-D Secure"),
)


@dataclass(frozen=True)
class CardInput:
    number: str
    exp_month: int
    exp_year: int
    cvc: str


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_error(card: CardInput, today: date) -> tuple[str, str] | None:
    """The (code, message) of what is wrong with a card's details, like Stripe's; None when
    nothing is."""
    number = card.number.replace(" ", "").replace("-", "")
    if not (number.isascii() and number.isdigit()) or not 12 <= len(number) <= 19 or not luhn_ok(number):
        return "incorrect_number", "Your card number is incorrect."
    if not 1 <= card.exp_month <= 12:
        return "invalid_expiry_month", "Your card's expiration month is invalid."
    year = card.exp_year + 2000 if card.exp_year < 100 else card.exp_year
    if (year, card.exp_month) < (today.year, today.month):
        return "invalid_expiry_year", "Your card's expiration date is in the past."
    if not (card.cvc.isascii() and card.cvc.isdigit()) or len(card.cvc) not in (3, 4):
        return "incorrect_cvc", "Your card's security code is incorrect."
    return None
