"""Errors raised when a message cannot be handed to its receiver (email provider, webhook)."""

from __future__ import annotations


class DeliveryError(Exception):
    """A delivery attempt failed.

    ``permanent`` says whether trying again can help: a refused recipient or a 4xx answer
    will fail the same way next time, a dropped connection or a 5xx may not.
    """

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent

    def __repr__(self) -> str:
        return f"DeliveryError({self.message!r}, permanent={self.permanent})"
