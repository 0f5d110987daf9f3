"""Fetch a device's configuration over SSH with netmiko, for configuration backup.

The vendor's "show the whole configuration" command is chosen from the netmiko device type;
lines that change on every fetch without a configuration change (timestamps, byte counts)
are dropped so that an unchanged device hashes the same every time.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import paramiko
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException
from netmiko.ssh_dispatcher import CLASS_MAPPER

from dotmac_isp.sdks.core.exceptions import SDKError

DEFAULT_COMMANDS: dict[str, str] = {
    "cisco_ios": "show running-config",
    "cisco_xe": "show running-config",
    "cisco_nxos": "show running-config",
    "cisco_xr": "show running-config",
    "cisco_asa": "show running-config",
    "arista_eos": "show running-config",
    "juniper_junos": "show configuration | display set",
    "mikrotik_routeros": "/export",
    "huawei": "display current-configuration",
    "huawei_vrp": "display current-configuration",
    "huawei_olt": "display current-configuration",
    "huawei_smartax": "display current-configuration",
    "zte_zxros": "show running-config",
    "hp_procurve": "show running-config",
    "hp_comware": "display current-configuration",
    "dell_os10": "show running-configuration",
    "ubiquiti_edgerouter": "show configuration commands",
    "ubiquiti_edgeswitch": "show running-config",
    "vyos": "show configuration commands",
    "fortinet": "show full-configuration",
    "paloalto_panos": "show config running",
    "ruckus_fastiron": "show running-config",
    "eltex": "show running-config",
    "linux": "cat /etc/network/interfaces",
}

# Lines that differ between two fetches of the same configuration.
VOLATILE_LINES = re.compile(
    r"^(?:! Last configuration change.*"
    r"|! NVRAM config last updated.*"
    r"|! No configuration change since last restart.*"
    r"|ntp clock-period .*"
    r"|Building configuration.*"
    r"|Current configuration ?: ?\d+ bytes.*"
    r"|# \S+ \S+ by RouterOS .*"
    r"|## Last commit: .*"
    r"|!Time: .*)$"
)


class ConfigBackupError(SDKError):
    """The configuration could not be fetched from the device."""

    code = "config_backup_failed"


@dataclass(frozen=True)
class SshTarget:
    host: str
    username: str
    device_type: str
    command: str
    port: int = 22
    password: str | None = None
    private_key: str | None = None
    timeout: float = 30.0

    def __repr__(self) -> str:  # secrets stay out of logs and tracebacks
        return (f"SshTarget(host={self.host!r}, port={self.port}, username={self.username!r}, "
                f"device_type={self.device_type!r})")


def known_device_types() -> frozenset[str]:
    return frozenset(CLASS_MAPPER)


def default_command(device_type: str) -> str | None:
    return DEFAULT_COMMANDS.get(device_type)


def load_private_key(text: str, passphrase: str | None = None) -> paramiko.PKey:
    """Parse an OpenSSH/PEM private key (Ed25519, ECDSA or RSA)."""
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text), password=passphrase)
        except (paramiko.SSHException, ValueError, IndexError):
            continue
    raise ConfigBackupError("the SSH private key cannot be read (Ed25519, ECDSA or RSA, "
                            "OpenSSH or PEM format)")


def normalize_config(text: str) -> str:
    """Line endings unified, trailing blanks and volatile lines dropped, one final newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept = [line for line in lines if not VOLATILE_LINES.match(line)]
    while kept and not kept[0]:
        kept.pop(0)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept) + "\n" if kept else ""


def fetch_config(target: SshTarget) -> str:
    """Connect, run the configuration command, disconnect; returns the normalized text."""
    if target.device_type not in CLASS_MAPPER:
        raise ConfigBackupError(f"unknown netmiko device type {target.device_type!r}")
    if not target.password and not target.private_key:
        raise ConfigBackupError("no SSH password or private key is set for this device")
    pkey = load_private_key(target.private_key) if target.private_key else None
    where = f"{target.host}:{target.port}"
    try:
        connection = ConnectHandler(
            device_type=target.device_type, host=target.host, port=target.port,
            username=target.username, password=target.password or "", pkey=pkey,
            use_keys=False, allow_agent=False, ssh_strict=False,
            system_host_keys=False, alt_host_keys=False, conn_timeout=target.timeout,
            auth_timeout=target.timeout, banner_timeout=target.timeout,
            timeout=target.timeout, fast_cli=False)
    except NetmikoAuthenticationException as exc:
        raise ConfigBackupError(f"SSH authentication to {where} failed") from exc
    except NetmikoTimeoutException as exc:
        raise ConfigBackupError(f"SSH connection to {where} timed out") from exc
    except (paramiko.SSHException, OSError, ValueError) as exc:
        raise ConfigBackupError(f"SSH connection to {where} failed: {exc}") from exc
    try:
        output = connection.send_command(target.command, read_timeout=target.timeout,
                                         strip_prompt=True, strip_command=True)
    except (NetmikoTimeoutException, OSError, paramiko.SSHException) as exc:
        raise ConfigBackupError(f"{where} did not finish {target.command!r}: {exc}") from exc
    finally:
        connection.disconnect()
    text = normalize_config(str(output))
    if not text:
        raise ConfigBackupError(f"{where} returned an empty configuration for "
                                f"{target.command!r}")
    return text
