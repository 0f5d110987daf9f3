"""The shop fixture for the online payment tests."""

from tests.modules.billing.gateways.world import shop

__all__ = ["shop"]
