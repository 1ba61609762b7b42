"""Search at 1.1 M messages: admin search and a participant's ``search_history``, for a word in
~34 % of messages, one in ~1 % and one in none, at ``-c`` concurrent searches.

Runs the store's own SQL (what the API routes and the specialists' tool call) on the seeded
database of ``bench.seed``: an admin search is a page of 50 conversations and the best match
of each (what ``GET /admin/conversations?q=`` reads); the history search is the heavy
participant's (10 conversations of 10,000 messages plus 10 of 100). The goal is p99 < 200 ms
at 10 concurrent searches for every word: a plan fast for rare and common words alike.
``--before`` also measures, in the same run, the history plan this replaced (every match
scored, not the newest ``MATCH_POOL``) and prints the ratio.

    .venv/bin/python -m bench.search                   # 1.1 M messages, 10 concurrent
    .venv/bin/python -m bench.search --users 50 -n 20  # the short version
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import percentile  # noqa: E402
from bench.seed import ABSENT, COMMON, RARE, Shape, embedded, seed  # noqa: E402


async def _timed(run: Callable[[], Awaitable[Any]], count: int, concurrency: int) -> dict[str, float]:
    await run()  # warm
    latencies: list[float] = []
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            await run()
            latencies.append((time.perf_counter() - start) * 1000)

    await asyncio.gather(*[worker() for _ in range(concurrency)])
    return {"n": len(latencies), "p50_ms": round(percentile(latencies, 50), 1),
            "p99_ms": round(percentile(latencies, 99), 1)}


async def admin_page(store: Any, word: str) -> Any:
    """What an admin search page reads: the conversations, then each one's best match."""
    page = await store.conversations.search(q=word, limit=50)
    return await store.messages.best_matches([c.id for c in page.items], word)


def use_plans(before: bool) -> None:
    """The current history plan, or the one it replaced (the in-run baseline)."""
    from ignacio_agents.store import search

    search.MATCH_POOL = 10**9 if before else 500  # no cap: every match scored


async def measure(conninfo: str, count: int, concurrency: int,
                  before: bool = False) -> list[dict[str, Any]]:
    from ignacio_agents.db import Database
    from ignacio_agents.runtime import phone_cipher
    from ignacio_agents.settings import load_settings
    from ignacio_agents.store import Store

    db = await Database.open(conninfo, min_size=concurrency, max_size=concurrency)
    try:
        store = Store(db, phone_cipher(load_settings(database_url=conninfo,
                                                     pydantic_ai_model="test")))
        heavy = await db.fetch_value("select user_id from conversations group by user_id"
                                     " order by count(*) desc, user_id limit 1")
        rows = []
        for word, share in ((COMMON, "34 %"), (RARE, "1 %"), (ABSENT, "none")):
            for kind, run in (
                ("admin search", lambda w=word: admin_page(store, w)),
                ("search_history", lambda w=word: store.messages.search_history(heavy, w, limit=8)),
            ):
                use_plans(before=False)
                row = {"search": kind, "word": word, "in": share,
                       **await _timed(run, count, concurrency)}
                if before and kind == "search_history":
                    use_plans(before=True)
                    row["before"] = await _timed(run, count, concurrency)
                    row["speedup_p99"] = round(row["before"]["p99_ms"] / max(row["p99_ms"], 0.1), 1)
                    use_plans(before=False)
                print(json.dumps(row), flush=True)
                rows.append(row)
        return rows
    finally:
        await db.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=ROOT / ".bench-data" / "reads")
    p.add_argument("--users", type=int, default=Shape.users)
    p.add_argument("-c", "--concurrency", type=int, default=10)
    p.add_argument("-n", "--count", type=int, default=200, help="searches per word and kind")
    p.add_argument("--before", action="store_true", help="also time the replaced plans")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--charts", type=Path, default=ROOT / "docs" / "benchmarks",
                   help="where the PNG chart goes")
    args = p.parse_args()
    data_dir = args.data_dir if args.users == Shape.users else args.data_dir.with_name(
        f"{args.data_dir.name}-{args.users}")
    conninfo, server = embedded(data_dir)
    try:
        print(json.dumps(asyncio.run(seed(conninfo, Shape(users=args.users), data_dir))), flush=True)
        rows = asyncio.run(measure(conninfo, args.count, args.concurrency, args.before))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"load_average": os.getloadavg(), "rows": rows},
                                            indent=2))
        from bench.charts import latency_bars

        latency_bars({f"{r['search']}\n{r['word']} ({r['in']})": r["p99_ms"] for r in rows},
                     f"search p99 at {args.concurrency} concurrent, {Shape(users=args.users).messages:,}"
                     " messages", "ms", args.charts / "search.png")
    finally:
        from ignacio_agents.db import release_embedded_server

        release_embedded_server(server)


if __name__ == "__main__":
    main()
