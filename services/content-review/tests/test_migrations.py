"""The migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from content_review.main import DEFINITION
from yunying_shared.db import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.testing.databases import fresh_database


async def test_migrations_match_models(dialect, tmp_path):
    async with fresh_database(dialect, tmp_path) as url:
        database = Database(url)
        await upgrade(database, DEFINITION.migrations)
        await upgrade(database, DEFINITION.migrations)  # a second run finds nothing to do
        async with database.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), DEFINITION.metadata)
            )
        await database.dispose()
    assert diff == []
