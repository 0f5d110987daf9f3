"""Schemathesis generates requests from our OpenAPI document; none may get a 5xx.

The pytest plugin of this schemathesis release does not run under pytest 9, so the
operations are driven here with the strategies schemathesis builds from the schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from tests.support.factories import StaffUser

EXAMPLES_PER_OPERATION = 10
SHARDS = 4  # the operations are split so that parallel workers share them


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_generated_request_gets_a_server_error(app: FastAPI, admin: StaffUser,
                                                  shard: int) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for index, result in enumerate(schema.get_all_operations()):
        if index % SHARDS != shard:
            continue
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers=admin.headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> "
                                f"{response.status_code}: {response.text[:200]} "
                                f"(body={case.body!r}, query={case.query!r})")

        exercise()
    assert operations >= 25 // SHARDS
    assert failures == []
