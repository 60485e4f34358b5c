"""gateway/lifecycle.py: what a worker does at start-up."""
import gc

import pytest

from gateway import lifecycle, upstream


@pytest.fixture
def collector_state():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_start_up_freezes_the_loaded_heap_and_spaces_out_young_collections(settings, collector_state):
    settings.GC_YOUNG_THRESHOLD = 12_345
    lifecycle.tune_garbage_collector()

    assert gc.get_threshold()[0] == 12_345
    assert gc.get_freeze_count() > 10_000  # Django, the apps and this test run, out of the collector's sight


async def test_start_up_leaves_the_collector_alone_when_tuning_is_off(settings, collector_state):
    settings.GC_TUNING = False
    before = gc.get_threshold()
    await lifecycle.startup()
    await upstream.close_client()

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
