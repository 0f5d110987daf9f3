"""The compose file and the Dockerfile agree with the code: every command a service runs is a
command of our CLI with those options, every DOTMAC_ variable it sets is a setting, and the
migrations run once before the rest. Docker cannot run here, so the files are read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from dotmac_isp import cli
from dotmac_isp.config import Settings
from dotmac_isp.modules.network.devices.settings import DevicesSettings
from dotmac_isp.modules.notifications.settings import NotificationSettings
from dotmac_isp.modules.support.settings import SupportSettings

ROOT = Path(__file__).resolve().parents[2]
OURS = ("migrate", "api", "worker", "beat", "radius")
# Commands and settings the Celery and RADIUS scale-out add; checked apart until they exist.
ELSEWHERE = {"worker", "beat", "radius serve --processes", "DOTMAC_BROKER_URL"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _missing_from_cli(argv: list[str]) -> list[str]:
    """The parts of `dotmac-isp ARGV` our CLI does not know (empty: it would parse)."""
    command: Any = typer.main.get_command(cli.app)  # typer's own copy of click
    path: list[str] = []
    args = list(argv)
    while getattr(command, "commands", None) is not None and args \
            and not args[0].startswith("-"):
        sub = command.commands.get(args[0])
        if sub is None:
            return [" ".join([*path, args[0]])]
        path.append(args.pop(0))
        command = sub
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    return [f"{' '.join(path)} {arg}" for arg in args
            if arg.startswith("--") and arg not in known]


def _known_variables() -> set[str]:
    names = set()
    for field, info in Settings.model_fields.items():
        names.add(f"DOTMAC_{field.upper()}")
        sub = info.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            names |= {f"DOTMAC_{field.upper()}__{f.upper()}" for f in sub.model_fields}
    for klass in (SupportSettings, NotificationSettings, DevicesSettings):
        prefix = str(klass.model_config.get("env_prefix", ""))
        names |= {f"{prefix}{f}".upper() for f in klass.model_fields}
    return names


def test_the_services_and_their_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "redis", *OURS, "freeradius", "jaeger"} <= set(services)
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in OURS[1:]:
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully", name
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy", name
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # the API leaves RADIUS and migrations to their own services
    assert {"--no-radius", "--no-migrate"} <= set(services["api"]["command"])
    assert services["freeradius"]["profiles"] == ["freeradius"]
    assert services["jaeger"]["profiles"] == ["tracing"]
    assert "jaeger" not in str(services["api"]["environment"]).lower().replace(
        "http://jaeger:4318", "")  # Jaeger is only ever reached over OTLP


def test_every_command_is_one_of_our_cli(compose: dict[str, Any]) -> None:
    for name in OURS:
        missing = [m for m in _missing_from_cli(compose["services"][name]["command"])
                   if m.strip() not in ELSEWHERE]
        assert not missing, f"{name}: dotmac-isp does not know {missing}"
    assert _missing_from_cli(["serve", "--no-such-flag"]) == ["serve --no-such-flag"]
    assert _missing_from_cli(["no-such-command"]) == ["no-such-command"]


def test_the_scale_out_commands_exist(compose: dict[str, Any]) -> None:
    for name in OURS:
        assert not _missing_from_cli(compose["services"][name]["command"]), name
    assert "DOTMAC_BROKER_URL" in _known_variables()


def test_every_variable_set_is_a_setting(compose: dict[str, Any]) -> None:
    known = _known_variables()
    for name in OURS:
        unknown = {key for key in compose["services"][name]["environment"]
                   if key.startswith("DOTMAC_") and key not in known} - ELSEWHERE
        assert not unknown, f"{name} sets {unknown}, which no settings class reads"


def test_the_image_runs_our_command_as_a_user(compose: dict[str, Any]) -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert [ln for ln in lines if ln.startswith("FROM")] == [
        "FROM python:3.11-slim AS build", "FROM python:3.11-slim"]
    assert any("pip install ." in ln for ln in lines)
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["dotmac-isp"]' in lines
    assert compose["services"]["api"]["build"] == "."
