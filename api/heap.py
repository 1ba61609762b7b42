"""How the serving process's garbage collector is set while it serves requests.

What start-up builds (imports, routes, schemas: about a quarter of a million objects) lives as
long as the process, so it is frozen out of the collector's sight: full collections no longer
walk it several times a second. A request's own objects die by reference counting, so the
young generation is collected after 50,000 allocations instead of 700: the collector then runs
a few times a second under load rather than many times per request, and cycles are still found
within milliseconds. Only for the API process: in a worker, whose turns keep many objects
alive for seconds, freezing made full collections more frequent and cost CPU (measured on the
WhatsApp burst, see docs/benchmarks.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

SERVING_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def serving_heap() -> Iterator[None]:
    """Frozen start-up heap and request-sized thresholds until the block ends."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
