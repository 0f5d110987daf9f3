"""CDP over a real agent: net-snmp serving a cdpCacheTable row (by `override`), read through
the API's discover-now, becomes a link to the Cisco switch we manage, port to port."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.topology import oids
from tests.modules.network.devices.factories import make_device, make_interface
from tests.support.factories import StaffUser
from tests.support.snmpd import free_udp_port

ROW = "1.4"  # cdpCacheIfIndex 1 (lo, on every Linux agent), cdpCacheDeviceIndex 4


@pytest.fixture(scope="module")
def cdp_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    snmpd = shutil.which("snmpd") or "/usr/sbin/snmpd"
    if not Path(snmpd).exists():
        pytest.skip("net-snmp is not installed (apt-get install snmpd snmp)")
    workdir = tmp_path_factory.mktemp("cdp-snmpd")
    port = free_udp_port()
    (workdir / "snmpd.conf").write_text("\n".join([
        f"agentAddress udp:127.0.0.1:{port}", "rocommunity public 127.0.0.1",
        f"override .{oids.CDP_ADDRESS_TYPE}.{ROW} integer 1",
        f'override .{oids.CDP_DEVICE_ID}.{ROW} octet_str "dist-1.example.net"',
        f'override .{oids.CDP_DEVICE_PORT}.{ROW} octet_str "GigabitEthernet1/0/24"',
        f'override .{oids.CDP_PLATFORM}.{ROW} octet_str "cisco WS-C3850-24T"', ""]))
    log = open(workdir / "snmpd.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen([snmpd, "-f", "-Lo", "-C", "-I", "-smux", "-c",
                                str(workdir / "snmpd.conf"), "-p", str(workdir / "pid")],
                               stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "MIBS": ""})
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["snmpget", "-v2c", "-c", "public", "-t", "1", "-r", "0",
                              f"127.0.0.1:{port}", f"{oids.CDP_DEVICE_ID}.{ROW}"],
                             capture_output=True, env={**os.environ, "MIBS": ""}
                             ).returncode != 0:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.skip(f"snmpd did not start: {(workdir / 'snmpd.log').read_text()[-300:]}")
            time.sleep(0.1)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_cdp_neighbour_read_over_snmp_links_to_our_switch(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, cdp_agent: int) -> None:
    access = make_device(session, settings, tenant, "access-1", device_type="switch",
                         snmp_port=cdp_agent, snmp_timeout_ms=3000)
    make_interface(session, access, 1, "lo")
    dist = make_device(session, settings, tenant, "dist-1", device_type="switch",
                       management_ip="192.0.2.10")
    uplink = make_interface(session, dist, 24, "Gi1/0/24",
                            description="GigabitEthernet1/0/24")
    session.flush()
    body = client.post(f"/api/v1/devices/{access.id}/neighbours/discover",
                       headers=admin.headers).json()
    assert body["node"]["last_error"] is None and body["links_new"] == 1
    (neighbour,) = body["neighbours"]
    assert (neighbour["protocol"], neighbour["local_port"], neighbour["device_id"],
            neighbour["port"], neighbour["description"]) == (
        "cdp", "lo", str(dist.id), "GigabitEthernet1/0/24", "cisco WS-C3850-24T")
    # seen from the other side, the port is the interface it matched by ifDescr
    (back,) = client.get(f"/api/v1/devices/{dist.id}/neighbours",
                         headers=admin.headers).json()
    assert (back["local_interface_id"], back["device_id"], back["port"]) == (
        str(uplink.id), str(access.id), "lo")
