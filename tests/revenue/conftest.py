import pytest
from sqlmodel import Session

from tests.revenue.two_courses import Book, build_two_courses_two_months


@pytest.fixture
def two_courses_two_months(session: Session) -> Book:
    return build_two_courses_two_months(session)
