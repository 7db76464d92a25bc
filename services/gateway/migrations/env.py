import gateway.main  # noqa: F401  (imports every model, so the metadata is complete)
from gateway.db import metadata
from yunying_shared.db.migrate import run_migrations

run_migrations(metadata)
