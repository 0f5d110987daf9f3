"""Every module of the package imports, and the names the framework promises are real."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import dotmac_isp


def test_every_module_imports() -> None:
    names = [m.name for m in pkgutil.walk_packages(dotmac_isp.__path__, "dotmac_isp.")]
    names = [n for n in names if not n.startswith("dotmac_isp.migrations.")]
    assert len(names) > 20
    for name in names:
        importlib.import_module(name)


def test_priority_enum_from_a_fresh_interpreter() -> None:
    out = subprocess.run(
        [sys.executable, "-c",
         "import dotmac_isp.shared.enums as e; print(e.Priority.MEDIUM)"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert out == "medium"
    from dotmac_isp.shared.enums import Priority

    assert [p.name for p in Priority] == ["LOW", "MEDIUM", "NORMAL", "HIGH", "URGENT", "CRITICAL"]
    assert Priority.HIGH.raised() is Priority.URGENT
    assert Priority.CRITICAL.raised() is Priority.CRITICAL


def test_promised_names() -> None:
    from dotmac_isp.sdks.core.exceptions import IPAMError, SDKError
    from dotmac_isp.sdks.platform.repositories import auth
    from dotmac_isp.sdks.services import metrics

    assert issubclass(IPAMError, SDKError)
    assert 400 <= IPAMError.status_code < 500
    assert hasattr(auth, "UserRepository") and hasattr(auth, "CredentialLookup")
    counter = metrics.counter("test_promised_total", "a test counter", ["kind"])
    assert metrics.counter("test_promised_total", "a test counter", ["kind"]) is counter
