"""One /metrics for several API processes on one port (`serve --workers N`).

A scrape lands on whichever worker accepts the connection, so each worker must answer for
all of them: the workers record into files in a shared directory (the Prometheus client's
multiprocess mode, chosen by PROMETHEUS_MULTIPROC_DIR before it is imported, which holds for
processes the supervisor starts after setting it), and the supervising process, which runs
the jobs and RADIUS with its series in memory, writes a snapshot of them into the same
directory every few seconds. A scrape merges both: counters and histograms add up, gauges
come from the process that sets them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

ENV = "PROMETHEUS_MULTIPROC_DIR"
SNAPSHOT = "supervisor.prom"  # not a *.db file: the multiprocess collector ignores it


def directory() -> str | None:
    """The shared directory when this process records into one, else None."""
    return os.environ.get(ENV) or None


class ProcessesCollector(Collector):
    """The series of every process sharing the directory, merged into one family each."""

    def __init__(self, path: str):
        self.path = path

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, tuple[Metric, dict[tuple[str, tuple[tuple[str, str], ...]],
                                              Sample]]] = {}
        sources = list(MultiProcessCollector(None, path=self.path).collect())
        snapshot = Path(self.path, SNAPSHOT)
        if snapshot.exists():
            sources.extend(text_string_to_metric_families(snapshot.read_text()))
        for family in sources:
            metric, samples = merged.setdefault(family.name, (
                Metric(family.name, family.documentation, family.type, family.unit), {}))
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                old = samples.get(key)
                if old is not None and sample.name.endswith("_created"):
                    sample = min(old, sample, key=lambda s: s.value)
                elif old is not None and family.type != "gauge":
                    sample = sample._replace(value=old.value + sample.value)
                samples[key] = sample  # a gauge: the value of the process that sets it
        for metric, samples in merged.values():
            metric.samples = list(samples.values())
            yield metric


def render(path: str) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProcessesCollector(path))
    return generate_latest(registry)


def write_snapshot(path: str, registry: CollectorRegistry) -> None:
    """This process's series, replaced atomically so a scrape never reads half a file."""
    partial = Path(path, f".{SNAPSHOT}.{os.getpid()}")
    partial.write_bytes(generate_latest(registry))
    os.replace(partial, Path(path, SNAPSHOT))


@contextmanager
def shared_with_workers(registry: CollectorRegistry, every: float = 5.0) -> Iterator[str]:
    """While the block runs, processes started in it record into a fresh shared directory and
    this process's series are written beside theirs every `every` seconds. A directory given
    in the environment is used as it is (this process then records into it directly)."""
    given = directory()
    if given is not None:
        yield given
        return
    path = tempfile.mkdtemp(prefix="dotmac-metrics-")
    os.environ[ENV] = path
    stop = threading.Event()

    def snapshots() -> None:
        while True:
            write_snapshot(path, registry)
            if stop.wait(every):
                return

    thread = threading.Thread(target=snapshots, name="dotmac-metrics-snapshot", daemon=True)
    thread.start()
    try:
        yield path
    finally:
        stop.set()
        thread.join(every + 5)
        os.environ.pop(ENV, None)
        shutil.rmtree(path, ignore_errors=True)
