"""Server-side pagination arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    page_size: int = 25

    @classmethod
    def clamp(cls, page: int | None, page_size: int | None, default_size: int = 25) -> PageRequest:
        """A valid request from untrusted numbers (page >= 1, 1 <= size <= MAX_PAGE_SIZE)."""
        size = default_size if not page_size or page_size < 1 else min(page_size, MAX_PAGE_SIZE)
        return cls(page=max(1, page or 1), page_size=size)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1
