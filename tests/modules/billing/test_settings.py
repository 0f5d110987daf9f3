"""Billing settings over the API: a PATCH changes only the fields it names, and the dunning
stages are checked as a whole."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response

from tests.support.factories import StaffUser


def patch(client: TestClient, admin: StaffUser, dunning: dict[str, object]) -> Response:
    return client.patch("/api/v1/billing/settings", headers=admin.headers,
                        json={"dunning": dunning})


def test_patch_changes_only_the_named_dunning_fields(client: TestClient,
                                                     admin: StaffUser) -> None:
    first = patch(client, admin, {"late_fee_kind": "fixed", "late_fee_amount": "5.00",
                                  "reminder_days": [2, 5]})
    assert first.status_code == 200, first.text
    second = patch(client, admin, {"final_notice_days": 8})
    assert second.status_code == 200, second.text
    stored = client.get("/api/v1/billing/settings", headers=admin.headers).json()["dunning"]
    assert (stored["late_fee_kind"], stored["late_fee_amount"], stored["reminder_days"],
            stored["final_notice_days"], stored["suspend_after_days"]) == (
        "fixed", "5.00", [2, 5], 8, 14)


def test_never_suspending_is_allowed_and_kept(client: TestClient, admin: StaffUser) -> None:
    response = patch(client, admin, {"suspend_after_days": None})
    assert response.status_code == 200, response.text
    assert response.json()["dunning"]["suspend_after_days"] is None
    assert response.json()["dunning"]["final_notice_days"] == 10


def test_dunning_checked_as_a_whole(client: TestClient, admin: StaffUser) -> None:
    for body, message in [
        ({"suspend_after_days": 7}, "the final notice (day 10) warns of the suspension"),
        ({"final_notice_days": 14}, "must come before it (day 14)"),
        ({"late_fee_kind": "percent", "late_fee_amount": "150"}, "at most 100"),
        ({"late_fee_kind": "fixed"}, "a fixed late fee needs an amount above 0"),
    ]:
        response = patch(client, admin, body)
        assert response.status_code == 422, (body, response.text)
        assert message in response.json()["detail"], body
    stored = client.get("/api/v1/billing/settings", headers=admin.headers).json()["dunning"]
    assert (stored["final_notice_days"], stored["suspend_after_days"],
            stored["late_fee_kind"]) == (10, 14, "none")
