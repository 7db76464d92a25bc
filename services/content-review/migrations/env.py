import content_review.models  # noqa: F401  (every table on the metadata)
from content_review.db import metadata
from yunying_shared.db.migrate import run_migrations

run_migrations(metadata)
