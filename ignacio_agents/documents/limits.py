"""The caps that keep extraction bounded in time and memory, whatever the file.

Uploads are at most 25 MB, but 25 MB of zip or PDF streams can decompress to gigabytes and a
"small" sheet can declare a million rows. Every reader checks these caps as it goes; the child
process that runs it (``sandbox``) adds a hard timeout and address-space limit behind them.
Hitting a *content* cap (pages, cells, characters) keeps what was read and marks the result
``truncated``; hitting an *archive* cap fails the extraction before any parsing starts.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    # --- zip containers (DOCX/PPTX/XLSX), checked from the central directory before parsing ---
    zip_max_members: int = 10_000
    zip_max_total_bytes: int = 200 * MiB  # sum of declared uncompressed sizes
    zip_max_ratio: float = 100.0  # uncompressed / compressed, per member ...
    zip_ratio_min_bytes: int = 1 * MiB  # ... for members at least this big uncompressed
    # --- content caps: what was read so far is kept, the result is marked truncated ---
    max_chars: int = 2_000_000  # total extracted text (~1,700 chunks)
    max_pages: int = 2_000  # PDF pages
    max_slides: int = 1_000
    max_sheets: int = 100
    max_cells: int = 500_000  # non-empty cells over all sheets
    max_scanned_cells: int = 5_000_000  # cells visited, empty ones included (sparse sheets)
    max_paragraphs: int = 100_000
    # Reading time, counted from opening the file; None = no soft limit. ``extract`` sets it
    # to 3/4 of its timeout, so a slow but honest file ends truncated instead of killed.
    seconds: float | None = None
    # --- the child process ---
    memory_bytes: int = 768 * MiB  # address space the parser may add on top of its start


DEFAULT_LIMITS = Limits()
