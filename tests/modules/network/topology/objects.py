"""Request bodies for the isolation test (the topology's paths use device_id, made by the
devices objects)."""

from __future__ import annotations

from tests.support.tenant_objects import example_body

example_body("PUT", "/api/v1/devices/{device_id}/topology", {"is_core": True})
