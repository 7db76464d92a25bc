import pytest
from pydantic import ValidationError

from yunying_shared.settings import DEVELOPMENT_SECRET, BusKind, ServiceSettings


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


def test_default_secret_refused_in_production(monkeypatch):
    monkeypatch.setenv("YUNYING_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="INTERNAL_TOKEN_SECRET"):
        ServiceSettings.for_service("gateway")
    monkeypatch.setenv("YUNYING_INTERNAL_TOKEN_SECRET", "a-real-secret-from-the-vault-0123456789")
    settings = ServiceSettings.for_service("gateway")
    assert settings.internal_token_secret.get_secret_value() != DEVELOPMENT_SECRET
    assert settings.json_logs is True
