"""IPAM tests see the same event handlers and jobs as the application."""

from __future__ import annotations

import pytest

from dotmac_isp import wiring


@pytest.fixture(scope="session", autouse=True)
def _wired() -> None:
    wiring.install()
