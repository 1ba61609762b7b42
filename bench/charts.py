"""PNG charts for docs/benchmarks.md, drawn by the bench scripts from their own results.

matplotlib is the ``bench`` extra (``make bench`` installs it); without it the numbers are still
printed and saved, and the chart is skipped with a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no chart drawn")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def api_reads_chart(rows: list[dict[str, Any]], out: Path) -> None:
    """p99 latency and throughput, Ignacio beside the bare handler, one pair per read."""
    plt = _pyplot()
    if plt is None:
        return
    labels = [r["read"].replace(", ", "\n") for r in rows]
    x = list(range(len(rows)))
    fig, (p99, rps) = plt.subplots(1, 2, figsize=(11, 4))
    for axis, key, title in ((p99, "p99_ms", "p99 latency (ms, lower is better)"),
                             (rps, "rps", "throughput (req/s, higher is better)")):
        axis.bar([i - 0.2 for i in x], [r["ignacio"][key] for r in rows], 0.4, label="Ignacio")
        axis.bar([i + 0.2 for i in x], [r["bare"][key] for r in rows], 0.4, label="bare handler")
        axis.set_xticks(x, labels, fontsize=7)
        axis.set_title(title, fontsize=9)
    p99.legend(fontsize=8)
    concurrency = rows[0]["concurrency"] if rows else 0
    fig.suptitle(f"API reads at {concurrency} concurrent clients (same SQL, same auth)",
                 fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"chart: {out}")


def latency_bars(series: dict[str, float], title: str, unit: str, out: Path) -> None:
    """One bar per named figure (search p99 per word, webhook ack p99 per setup ...)."""
    plt = _pyplot()
    if plt is None:
        return
    fig, axis = plt.subplots(figsize=(7, 3.5))
    names = list(series)
    axis.bar(names, [series[n] for n in names], color="#4c72b0")
    axis.set_ylabel(unit)
    axis.set_title(title, fontsize=10)
    axis.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"chart: {out}")
