"""Fixtures for the network tests: the event handlers wired in, a real snmpd, a real sshd."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dotmac_isp import wiring
from tests.support.snmpd import SnmpAgent, snmpd_agent
from tests.support.sshd import SshServer, sshd_server


@pytest.fixture(autouse=True)
def _wired() -> None:
    wiring.install()


@pytest.fixture(scope="session")
def snmp_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpAgent]:
    """One snmpd for the run (its counter files are reset by the tests that use them)."""
    with snmpd_agent(tmp_path_factory.mktemp("snmpd")) as agent:
        yield agent


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    with sshd_server(tmp_path_factory.mktemp("sshd")) as server:
        yield server
