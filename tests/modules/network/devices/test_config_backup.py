"""Configuration backup against a real sshd with netmiko's linux driver: versions only on
change, diffs, a change alert, the scheduled job, and failures recorded."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.alerts import service as alerts
from dotmac_isp.modules.network.devices.backups import service as backups
from dotmac_isp.modules.network.devices.backups.tasks import backup_configs
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.sdks.ssh_backup import normalize_config
from dotmac_isp.shared.pagination import PageParams
from tests.modules.network.devices.factories import make_device
from tests.support.factories import StaffUser
from tests.support.sshd import SshServer

CONFIG_V1 = "hostname edge-1\ninterface eth0\n ip address 192.0.2.1/24\n"
CONFIG_V2 = "hostname edge-1\ninterface eth0\n ip address 192.0.2.2/24\n description uplink\n"


def _device_body(server: SshServer, config: Path, name: str = "edge-1") -> dict:  # type: ignore[type-arg]
    return {"name": name, "device_type": "router", "management_ip": "127.0.0.1",
            "monitoring_enabled": False, "backup_enabled": True, "ssh_port": server.port,
            "ssh_username": server.username, "ssh_private_key": server.private_key,
            "netmiko_device_type": "linux", "backup_command": f"cat {config}"}


def test_backup_versions_diff_and_change_alert(client: TestClient, admin: StaffUser,
                                               ssh_server: SshServer, tmp_path: Path) -> None:
    config = tmp_path / "running.cfg"
    config.write_text(CONFIG_V1)
    created = client.post("/api/v1/devices", headers=admin.headers,
                          json=_device_body(ssh_server, config))
    assert created.status_code == 201, created.text
    device = created.json()
    assert device["ssh_private_key_set"] is True and "ssh_private_key" not in device
    assert ssh_server.private_key not in created.text
    url = f"/api/v1/devices/{device['id']}/config-backups"

    first = client.post(url, headers=admin.headers)
    assert first.status_code == 200, first.text
    assert first.json()["changed"] is True and first.json()["backup"]["version"] == 1
    again = client.post(url, headers=admin.headers).json()
    assert again["changed"] is False and again["backup"]["version"] == 1

    config.write_text(CONFIG_V2)
    second = client.post(url, headers=admin.headers).json()
    assert second["changed"] is True and second["backup"]["version"] == 2
    assert (second["backup"]["lines_added"], second["backup"]["lines_removed"]) == (2, 1)
    versions = client.get(url, headers=admin.headers).json()
    assert [v["version"] for v in versions["items"]] == [2, 1]
    text = client.get(f"/api/v1/config-backups/{second['backup']['id']}",
                      headers=admin.headers).json()
    assert text["content"] == CONFIG_V2
    diff = client.get(f"/api/v1/config-backups/{second['backup']['id']}/diff",
                      headers=admin.headers).json()
    assert diff["against_version"] == 1
    assert "- ip address 192.0.2.1/24" in diff["diff"]
    assert "+ ip address 192.0.2.2/24" in diff["diff"] and "+ description uplink" in diff["diff"]
    changed = client.get("/api/v1/alerts?kind=config_changed", headers=admin.headers).json()
    assert changed["total"] == 1 and "version 2" in changed["items"][0]["message"]


def test_backup_job_and_recorded_failure(db, session: Session,  # type: ignore[no-untyped-def]
                                         settings: Settings, tenant: Tenant,
                                         ssh_server: SshServer, tmp_path: Path) -> None:
    config = tmp_path / "running.cfg"
    config.write_text(CONFIG_V1)
    body = _device_body(ssh_server, config)
    good = make_device(session, settings, tenant, **{k: v for k, v in body.items()
                                                     if k != "name"})
    broken = make_device(session, settings, tenant, "edge-2", **{
        **{k: v for k, v in body.items() if k != "name"}, "ssh_port": 1})
    session.commit()
    summary = backup_configs(JobContext(db, settings))
    assert summary == "backed up 2 devices: 1 changed, 1 failed"
    session.expire_all()
    assert backups.list_backups(session, tenant.id, good.id, PageParams()).total == 1
    failed = session.get(Device, broken.id)
    assert failed is not None and "127.0.0.1:1" in (failed.last_backup_error or "")
    # Nothing is due now; an unchanged config adds no version when it is.
    assert backup_configs(JobContext(db, settings)) == "no backup due"
    assert alerts.list_alerts(session, tenant.id, PageParams()).total == 0


def test_volatile_lines_do_not_make_a_new_version() -> None:
    a = "Building configuration...\n\nCurrent configuration : 1234 bytes\n" \
        "! Last configuration change at 10:01:02 UTC Mon Jan 1 2024\nhostname r1\n"
    b = "Building configuration...\n\nCurrent configuration : 1240 bytes\n" \
        "! Last configuration change at 11:22:33 UTC Tue Jan 2 2024\nhostname r1\n"
    assert normalize_config(a) == normalize_config(b) == "hostname r1\n"


def test_backup_settings_are_validated(client: TestClient, admin: StaffUser) -> None:
    cases = [({"netmiko_device_type": "no_such_os"}, "netmiko platform"),
             ({"backup_enabled": True, "netmiko_device_type": "cisco_ios"}, "ssh_username"),
             ({"ssh_private_key": "not a key"}, "private key")]
    for extra, word in cases:
        response = client.post("/api/v1/devices", headers=admin.headers, json={
            "name": "r", "device_type": "router", "management_ip": "127.0.0.1", **extra})
        assert 400 <= response.status_code < 500, response.text
        assert word in response.json()["detail"], response.text
