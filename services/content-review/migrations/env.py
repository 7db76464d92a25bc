from content_review.db import metadata
from yunying_shared.db.migrate import run_migrations

run_migrations(metadata)
