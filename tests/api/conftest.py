import pytest
from fastapi.testclient import TestClient

from commerce_dash.api import create_api
from tests.conftest import PASSWORD


@pytest.fixture
def client(session):
    with TestClient(create_api()) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_in(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """The bearer header of ``email`` signed in through the API."""
    response = client.post("/api/v2/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["token"])
