import segmentation.models  # noqa: F401  (registers every table on the metadata)
from segmentation.db import metadata
from yunying_shared.db.migrate import run_migrations

run_migrations(metadata)
