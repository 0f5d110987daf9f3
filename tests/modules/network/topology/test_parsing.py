"""LLDP-MIB and CISCO-CDP-MIB rows, as agents answer them, read as neighbours."""

from __future__ import annotations

from dotmac_isp.modules.network.topology import oids
from dotmac_isp.modules.network.topology.parsing import (
    merge_cdp,
    parse_cdp,
    parse_lldp,
)

TIME = 200  # lldpRemTimeMark
MAC_A = bytes.fromhex("723f2a01452b")
MAC_C = bytes.fromhex("42d91be24006")


def _lldpd_b() -> tuple[dict, dict, dict, dict]:  # type: ignore[type-arg]
    """sw-b's tables as lldpd 1.0.16 answers them, with sw-a on port 2 and sw-c on port 3."""
    local = {oids.LOC_CHASSIS_ID_SUBTYPE: 4, oids.LOC_CHASSIS_ID: bytes.fromhex("22714e5cfc60"),
             oids.LOC_SYS_NAME: b"sw-b"}
    ports = {oids.LOC_PORT_ID_SUBTYPE: {(2,): 3, (3,): 3},
             oids.LOC_PORT_ID: {(2,): bytes.fromhex("22714e5cfc60"),
                                (3,): bytes.fromhex("26f1deeaad59")},
             oids.LOC_PORT_DESC: {(2,): b"ab-b", (3,): b"bc-b"}}
    a, c = (TIME, 2, 2), (TIME, 3, 1)
    remote = {oids.REM_CHASSIS_ID_SUBTYPE: {a: 4, c: 4},
              oids.REM_CHASSIS_ID: {a: MAC_A, c: MAC_C},
              oids.REM_PORT_ID_SUBTYPE: {a: 3, c: 3},
              oids.REM_PORT_ID: {a: MAC_A, c: MAC_C},
              oids.REM_PORT_DESC: {a: b"ab-a", c: b"bc-c"},
              oids.REM_SYS_NAME: {a: b"sw-a", c: b"sw-c"},
              oids.REM_SYS_DESC: {a: b"Debian GNU/Linux 12", c: b"Debian GNU/Linux 12"}}
    fe80 = (254, 128, 0, 0, 0, 0, 0, 0, 112, 63, 42, 255, 254, 1, 69, 43)
    addresses = {(TIME, 2, 2, 1, 4, 10, 9, 1, 1): 2, (TIME, 2, 2, 2, 16, *fe80): 2,
                 (TIME, 3, 1, 1, 4, 10, 9, 2, 2): 2}
    return local, ports, remote, addresses


def test_lldpd_tables_read_as_two_neighbours_with_their_ports_and_addresses() -> None:
    reading = parse_lldp(*_lldpd_b())
    assert (reading.chassis_id, reading.sys_name) == ("22:71:4e:5c:fc:60", "sw-b")
    summary = [(n.local_port_num, n.local_port, n.sys_name, n.chassis_id, n.port, n.addresses)
               for n in reading.neighbours]
    assert summary == [
        (2, "ab-b", "sw-a", "72:3f:2a:01:45:2b", "ab-a",
         ["10.9.1.1", "fe80::703f:2aff:fe01:452b"]),
        (3, "bc-b", "sw-c", "42:d9:1b:e2:40:06", "bc-c", ["10.9.2.2"])]
    assert reading.neighbours[0].port_id == "72:3f:2a:01:45:2b"  # kept beside the name


def test_port_named_by_interface_name_subtype_and_text_read_through_snmpclient() -> None:
    local, ports, remote, _ = _lldpd_b()
    # a Cisco-like neighbour: port id subtype interfaceName (5), chassis a MAC that happens
    # to be printable; the local port table as SnmpClient renders it (text, hex for bytes)
    key = (TIME, 2, 2)
    remote[oids.REM_PORT_ID_SUBTYPE][key] = 5
    remote[oids.REM_PORT_ID][key] = b"Gi0/1"
    remote[oids.REM_PORT_DESC][key] = b"GigabitEthernet0/1"
    remote[oids.REM_CHASSIS_ID][key] = b"ABCDEF"
    ports[oids.LOC_PORT_ID] = {(2,): "22:71:4e:5c:fc:60", (3,): "26:f1:de:ea:ad:59"}
    ports[oids.LOC_PORT_DESC] = {(2,): "ab-b", (3,): "bc-b"}
    first = parse_lldp(local, ports, remote, {}).neighbours[0]
    assert (first.port, first.port_description) == ("Gi0/1", "GigabitEthernet0/1")
    assert first.chassis_id == "41:42:43:44:45:46"
    assert first.local_port == "ab-b" and first.addresses == []


def test_agent_without_lldp_reads_as_no_neighbours() -> None:
    reading = parse_lldp({oids.LOC_CHASSIS_ID: None}, {}, {}, {})
    assert reading.neighbours == [] and reading.chassis_id == "" and reading.error is None


def test_cdp_cache_rows_and_a_neighbour_heard_over_both_protocols_once() -> None:
    cache = {oids.CDP_ADDRESS_TYPE: {(10, 1): 1, (11, 4): 1},
             oids.CDP_ADDRESS: {(10, 1): bytes([192, 0, 2, 7]), (11, 4): bytes([10, 9, 1, 1])},
             oids.CDP_DEVICE_ID: {(10, 1): b"dist-1.example.net", (11, 4): b"sw-a"},
             oids.CDP_DEVICE_PORT: {(10, 1): b"GigabitEthernet1/0/24", (11, 4): b"ab-a"},
             oids.CDP_PLATFORM: {(10, 1): b"cisco WS-C3850-24T", (11, 4): b"Linux"}}
    found = parse_cdp(cache, {10: ("GigabitEthernet0/1", "Gi0/1"), 11: ("ab-b", "ab-b")})
    assert [(n.protocol, n.local_port_num, n.local_port, n.sys_name, n.port, n.addresses,
             n.description) for n in found] == [
        ("cdp", 10, "GigabitEthernet0/1", "dist-1.example.net", "GigabitEthernet1/0/24",
         ["192.0.2.7"], "cisco WS-C3850-24T"),
        ("cdp", 11, "ab-b", "sw-a", "ab-a", ["10.9.1.1"], "Linux")]
    local, ports, remote, addresses = _lldpd_b()
    remote = {column: {k: v for k, v in rows.items() if k == (TIME, 2, 2)}
              for column, rows in remote.items()}
    reading = parse_lldp(local, ports, remote, addresses)
    # port 11 of the CDP cache is not port 2 of LLDP: align them as one agent would
    found[1].local_port_num = 2
    merge_cdp(reading, found)
    assert [(n.protocol, n.sys_name) for n in reading.neighbours] == [
        ("lldp", "sw-a"), ("cdp", "dist-1.example.net")]
