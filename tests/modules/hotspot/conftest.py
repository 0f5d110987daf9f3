"""The RADIUS tests' own committed database, shared with the network RADIUS tests."""

from tests.modules.network.radius.conftest import radius_db, radius_url

__all__ = ["radius_db", "radius_url"]
