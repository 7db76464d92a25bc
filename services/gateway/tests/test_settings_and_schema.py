import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError

from gateway.config import GatewaySettings
from gateway.db import metadata


async def test_migrations_match_the_models(database):
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with database.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


def test_settings_read_the_documented_variables(monkeypatch):
    monkeypatch.setenv("YUNYING_ADMIN_EMAIL", "ops@brand.cn")
    monkeypatch.setenv("YUNYING_ADMIN_PASSWORD", "from-env-passw0rd")
    monkeypatch.setenv("YUNYING_GATEWAY_UPSTREAMS", '{"segmentation": "http://seg:8000"}')
    monkeypatch.setenv("YUNYING_GATEWAY_ACCESS_TOKEN_TTL_SECONDS", "60")
    settings = GatewaySettings.for_gateway()
    assert settings.service_name == "gateway"
    assert settings.admin_email == "ops@brand.cn"
    assert settings.admin_password.get_secret_value() == "from-env-passw0rd"
    assert settings.upstreams == {"segmentation": "http://seg:8000"}
    assert settings.access_token_ttl_seconds == 60
    assert settings.refresh_token_ttl_seconds == 30 * 24 * 3600


def test_jwt_secret_is_required_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("YUNYING_INTERNAL_TOKEN_SECRET", "x" * 40)
    monkeypatch.delenv("YUNYING_GATEWAY_JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="YUNYING_GATEWAY_JWT_SECRET is required"):
        GatewaySettings.for_gateway(environment="production", state_dir=tmp_path)
    assert GatewaySettings.for_gateway(
        environment="production", jwt_secret="y" * 40
    ).jwt_secret.get_secret_value()
