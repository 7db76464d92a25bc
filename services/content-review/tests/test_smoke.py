from content_review.main import DEFINITION
from yunying_shared.testing.smoke import assert_service_runs


async def test_runs_in_both_modes(mode, settings_for):
    database_url, transport = mode
    await assert_service_runs(DEFINITION, settings_for("content-review", database_url), transport)
