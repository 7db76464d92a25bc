import sentiment_alert.models  # noqa: F401  (every table on the metadata)
from sentiment_alert.db import metadata
from yunying_shared.db.migrate import run_migrations

run_migrations(metadata)
