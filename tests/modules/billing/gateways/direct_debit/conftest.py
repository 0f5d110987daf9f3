"""The direct debit fixtures for these tests: the tenant's world and a signed-in staff
browser on the same app."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.modules.billing.gateways.direct_debit.world import Debits, debits
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import sign_in

__all__ = ["debits", "staff"]


@pytest.fixture
def staff(debits: Debits, admin: StaffUser) -> Iterator[TestClient]:
    with TestClient(debits.app, raise_server_exceptions=False) as client:
        assert sign_in(client, admin.user.email, admin.password).status_code == 303
        yield client
