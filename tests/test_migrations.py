"""Each service's migrations build exactly its models' schema, on PostgreSQL and on SQLite."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from yunying_shared.db import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.kit import installed
from yunying_shared.testing.databases import fresh_database

DEFINITIONS = installed()


@pytest.mark.parametrize("service", sorted(DEFINITIONS))
async def test_migrations_match_models(service, dialect, tmp_path):
    definition = DEFINITIONS[service]
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
