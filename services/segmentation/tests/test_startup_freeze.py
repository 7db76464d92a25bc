"""A started service has moved what starting built out of the cyclic collector's reach
(gc.freeze): the full collections a busy ingest triggers then no longer walk it; and its young
generation is collected every YOUNG_GENERATION_THRESHOLD allocations, not every 700."""

import gc

import yunying_shared.kit.app as kit_app
from segmentation.main import create_app
from yunying_shared.testing.apps import running
from yunying_shared.testing.databases import fresh_database


async def test_starting_the_service_freezes_what_starting_built(
    tmp_path, settings_for, local_transport
):
    gc.unfreeze()
    kit_app._freeze_startup_objects.cache_clear()  # once per process: undone for this test
    thresholds = gc.get_threshold()
    gc.set_threshold(700, *thresholds[1:])  # CPython's default, as a process starts
    assert gc.get_freeze_count() == 0
    async with fresh_database("sqlite", tmp_path) as url:
        app = create_app(settings_for("segmentation", url), transport=local_transport)
        async with running(app):
            frozen = gc.get_freeze_count()
            young, *older = gc.get_threshold()
    # the app and its routes are among the frozen objects, not a handful
    assert frozen > 10_000
    assert young == kit_app.YOUNG_GENERATION_THRESHOLD
    assert older == list(thresholds[1:])  # the older generations' thresholds are kept
