import stat

import pytest
from pydantic import ValidationError

from yunying_shared.settings import BusKind, Environment, ServiceSettings


def test_service_prefix_wins_over_platform_prefix(monkeypatch):
    monkeypatch.setenv("YUNYING_BUS", "kafka")
    monkeypatch.setenv("YUNYING_DATABASE_URL", "sqlite+aiosqlite:///platform.db")
    monkeypatch.setenv("YUNYING_CAMPAIGNS_DATABASE_URL", "sqlite+aiosqlite:///campaigns.db")
    campaigns = ServiceSettings.for_service("campaigns")
    segmentation = ServiceSettings.for_service("segmentation")
    assert campaigns.database_url.endswith("campaigns.db")
    assert segmentation.database_url.endswith("platform.db")
    assert campaigns.bus is BusKind.KAFKA


def test_dashed_service_names_map_to_underscored_prefix(monkeypatch):
    monkeypatch.setenv("YUNYING_CONTENT_REVIEW_LOG_LEVEL", "DEBUG")
    assert ServiceSettings.for_service("content-review").log_level == "DEBUG"


def test_default_database_is_sqlite_file_per_service_in_state_dir(tmp_path):
    settings = ServiceSettings.for_service("sentiment-alert", state_dir=tmp_path)
    assert (
        settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path}/sentiment_alert.sqlite3"
    )


def test_production_requires_the_internal_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("YUNYING_INTERNAL_TOKEN_SECRET", raising=False)
    monkeypatch.setenv("YUNYING_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="YUNYING_INTERNAL_TOKEN_SECRET is required"):
        ServiceSettings.for_service("gateway", state_dir=tmp_path)
    assert not (tmp_path / "secrets").exists()
    monkeypatch.setenv("YUNYING_INTERNAL_TOKEN_SECRET", "a-real-secret-from-the-vault-0123456789")
    settings = ServiceSettings.for_service("gateway")
    assert settings.internal_token_secret.get_secret_value().startswith("a-real-secret")
    assert settings.json_logs is True


def test_missing_secret_is_generated_once_into_the_state_dir_owner_only(monkeypatch, tmp_path):
    monkeypatch.delenv("YUNYING_INTERNAL_TOKEN_SECRET", raising=False)
    first = ServiceSettings.for_service("segmentation", state_dir=tmp_path)
    again = ServiceSettings.for_service("campaigns", state_dir=tmp_path)
    other = ServiceSettings.for_service("segmentation", state_dir=tmp_path / "elsewhere")
    value = first.internal_token_secret.get_secret_value()
    assert len(value.encode()) >= 32
    # Every service sharing the state directory (the embedded mode) signs with the same one.
    assert again.internal_token_secret.get_secret_value() == value
    assert other.internal_token_secret.get_secret_value() != value
    stored = tmp_path / "secrets" / "internal-token-secret"
    assert stored.read_text().strip() == value
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700


@pytest.mark.parametrize("environment", list(Environment))
def test_short_secrets_are_refused_in_every_mode(monkeypatch, tmp_path, environment):
    monkeypatch.setenv("YUNYING_INTERNAL_TOKEN_SECRET", "x")
    with pytest.raises(ValidationError, match="YUNYING_INTERNAL_TOKEN_SECRET must be at least 32"):
        ServiceSettings.for_service("segmentation", environment=environment, state_dir=tmp_path)
    monkeypatch.setenv("YUNYING_INTERNAL_TOKEN_SECRET", "y" * 31)
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        ServiceSettings.for_service("segmentation", environment=environment, state_dir=tmp_path)
    monkeypatch.setenv("YUNYING_INTERNAL_TOKEN_SECRET", "y" * 32)
    assert (
        ServiceSettings.for_service(
            "segmentation", environment=environment, state_dir=tmp_path
        ).internal_token_secret.get_secret_value()
        == "y" * 32
    )


def test_no_signing_constant_left_in_the_settings_module():
    import yunying_shared.settings as settings_module

    assert not hasattr(settings_module, "DEVELOPMENT_SECRET")
    assert "internal_token_secret" in ServiceSettings.model_json_schema()["required"]
