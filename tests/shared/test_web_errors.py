"""Input the database refuses is the caller's error (422), never a server error."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.factories import StaffUser


def test_a_nul_character_in_a_search_is_a_422_not_a_500(client: TestClient, admin: StaffUser,
                                                        backend: str) -> None:
    response = client.get("/api/v1/customers", params={"q": "\x00"}, headers=admin.headers)
    if backend == "postgresql":  # PostgreSQL refuses NUL in text; SQLite just finds nothing
        assert response.status_code == 422
        assert response.json()["error"] == "validation_failed"
    else:
        assert response.status_code == 200
