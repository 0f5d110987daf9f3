"""Settings come from DOTMAC_* variables and .env; production refuses the default secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dotmac_isp.config import DEFAULT_SECRET_KEY, Settings


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOTMAC_ENVIRONMENT", "production")
    monkeypatch.delenv("DOTMAC_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="DOTMAC_SECRET_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("DOTMAC_SECRET_KEY", "short")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("DOTMAC_SECRET_KEY", "x" * 40)
    assert Settings(_env_file=None).environment == "production"  # type: ignore[call-arg]


def test_development_runs_with_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOTMAC_ENVIRONMENT", raising=False)
    monkeypatch.delenv("DOTMAC_SECRET_KEY", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.secret_key.get_secret_value() == DEFAULT_SECRET_KEY
    assert settings.is_sqlite


def test_env_file_and_nested_sections(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    env = tmp_path / ".env"
    env.write_text("DOTMAC_DATABASE_URL=postgresql://db.example/isp\n"
                   "DOTMAC_AUTH__LOCKOUT_THRESHOLD=3\n")
    monkeypatch.delenv("DOTMAC_DATABASE_URL", raising=False)
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql://db.example/isp"
    assert settings.auth.lockout_threshold == 3
    assert not settings.is_sqlite
