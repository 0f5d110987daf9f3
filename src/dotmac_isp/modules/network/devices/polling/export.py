"""Device and interface figures for Prometheus (scraped at /metrics, for Grafana users).

The gauges hold the latest poll of each device polled by this process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from dotmac_isp.sdks.services import metrics

_DEVICE = ["tenant_id", "device_id", "device"]
_INTERFACE = [*_DEVICE, "interface", "if_index"]

DEVICE_UP = metrics.gauge("network_device_up", "1 when the device answers SNMP, else 0",
                          _DEVICE)
DEVICE_DEGRADED = metrics.gauge("network_device_degraded",
                                "1 when the device answers but part of it is faulty", _DEVICE)
DEVICE_CPU = metrics.gauge("network_device_cpu_percent", "CPU load of the device", _DEVICE)
DEVICE_MEMORY = metrics.gauge("network_device_memory_percent", "Memory used on the device",
                              _DEVICE)
DEVICE_RESPONSE = metrics.gauge("network_device_snmp_response_seconds",
                                "Time the device took to answer the system GET", _DEVICE)
IF_IN = metrics.gauge("network_interface_in_bits_per_second", "Inbound traffic", _INTERFACE)
IF_OUT = metrics.gauge("network_interface_out_bits_per_second", "Outbound traffic",
                       _INTERFACE)
IF_UP = metrics.gauge("network_interface_oper_up", "1 when the interface is operationally up",
                      _INTERFACE)
POLLS = metrics.counter("snmp_polls_total", "Device polls by outcome", ["outcome"])
COUNTERS = metrics.counter("snmp_counters_read_total", "Interface octet counters read")
CYCLE = metrics.histogram("snmp_poll_cycle_seconds", "Time to poll one cycle of devices",
                          buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))


def _device_labels(device: Any) -> list[str]:
    return [str(device.tenant_id), str(device.id), device.name]


def _interface_labels(device: Any, interface: Any) -> list[str]:
    return [*_device_labels(device), interface.label, str(interface.if_index)]


def record_device(device: Any, interfaces: Iterable[Any]) -> None:
    labels = _device_labels(device)
    DEVICE_UP.labels(*labels).set(1 if device.reachability in ("up", "degraded") else 0)
    DEVICE_DEGRADED.labels(*labels).set(1 if device.reachability == "degraded" else 0)
    if device.cpu_pct is not None:
        DEVICE_CPU.labels(*labels).set(device.cpu_pct)
    if device.memory_pct is not None:
        DEVICE_MEMORY.labels(*labels).set(device.memory_pct)
    if device.response_ms is not None:
        DEVICE_RESPONSE.labels(*labels).set(device.response_ms / 1000)
    for interface in interfaces:
        if not interface.monitored:
            continue
        ilabels = _interface_labels(device, interface)
        IF_UP.labels(*ilabels).set(1 if interface.oper_status == "up" else 0)
        if interface.in_bps is not None:
            IF_IN.labels(*ilabels).set(interface.in_bps)
        if interface.out_bps is not None:
            IF_OUT.labels(*ilabels).set(interface.out_bps)


def forget_device(device: Any, interfaces: Iterable[Any]) -> None:
    """Drop a deleted device's series so Grafana stops showing it."""
    labels = _device_labels(device)
    for gauge in (DEVICE_UP, DEVICE_DEGRADED, DEVICE_CPU, DEVICE_MEMORY, DEVICE_RESPONSE):
        _remove(gauge, labels)
    for interface in interfaces:
        for gauge in (IF_IN, IF_OUT, IF_UP):
            _remove(gauge, _interface_labels(device, interface))


def _remove(gauge: Any, labels: list[str]) -> None:
    with contextlib.suppress(KeyError):
        gauge.remove(*labels)
