import pytest
from fastapi.testclient import TestClient

from commerce_dash.api import create_api


@pytest.fixture
def client(session):
    with TestClient(create_api()) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
