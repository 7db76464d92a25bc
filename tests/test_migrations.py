"""Each service's migrations build exactly its models' schema, on PostgreSQL and on SQLite."""

from importlib.metadata import entry_points

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from yunying_shared.db import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.testing.databases import fresh_database

SERVICES = sorted(ep.name for ep in entry_points(group="yunying.services"))


def _definition(name):
    (factory,) = [ep.load() for ep in entry_points(group="yunying.services") if ep.name == name]
    return factory().state.definition


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_models(service, dialect, tmp_path):
    definition = _definition(service)
    async with fresh_database(dialect, tmp_path) as url:
        database = Database(url)
        await upgrade(database, definition.migrations)
        await upgrade(database, definition.migrations)  # a second run finds nothing to do
        async with database.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), definition.metadata)
            )
        await database.dispose()
    assert diff == []
