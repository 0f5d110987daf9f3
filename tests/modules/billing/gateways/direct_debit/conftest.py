"""The direct debit fixture for these tests."""

from tests.modules.billing.gateways.direct_debit.world import debits

__all__ = ["debits"]
