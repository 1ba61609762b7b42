"""The API process's collector while it serves: start-up heap frozen and request-sized
thresholds (``api.heap``), but not when the job worker runs in the same process, whose turns
it cost CPU."""

from __future__ import annotations

import gc
from typing import Any

from api.heap import SERVING_THRESHOLDS


async def test_an_api_process_freezes_its_start_up_heap_while_it_serves(
        make_client: Any, make_settings: Any) -> None:
    before = gc.get_threshold()
    client = await make_client(make_settings(), run_worker=False)
    assert (await client.get("/health")).status_code == 200
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == SERVING_THRESHOLDS
    assert before != SERVING_THRESHOLDS


async def test_an_app_with_its_worker_in_process_keeps_the_collector_as_it_is(
        make_client: Any, make_settings: Any) -> None:
    before = gc.get_threshold()
    client = await make_client(make_settings(), run_worker=True)
    assert (await client.get("/health")).status_code == 200
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
