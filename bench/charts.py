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
    labels = [_short_read(r["read"]) for r in rows]
    x = list(range(len(rows)))
    fig, (p99, rps) = plt.subplots(1, 2, figsize=(11, 4.4))
    for axis, key, ratio, title in (
            (p99, "p99_ms", "p99_ratio", "p99 latency (ms, lower is better)"),
            (rps, "rps", "throughput_ratio", "throughput (req/s, higher is better)")):
        ours = axis.bar([i - 0.2 for i in x], [r["ignacio"][key] for r in rows], 0.4,
                        label="Ignacio")
        axis.bar([i + 0.2 for i in x], [r["bare"][key] for r in rows], 0.4, label="bare handler")
        axis.bar_label(ours, labels=[f"{r[ratio]:.2f}x" for r in rows], fontsize=7, padding=2)
        axis.set_xticks(x, labels, fontsize=8)
        axis.set_title(title, fontsize=9)
        axis.margins(y=0.15)
    p99.axhline(200, color="#c44e52", linestyle="--", linewidth=1, label="goal: < 200 ms")
    p99.legend(fontsize=8)
    concurrency = rows[0]["concurrency"] if rows else 0
    fig.suptitle(f"API reads at {concurrency} concurrent clients (same SQL, same auth)",
                 fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"chart: {out}")


def _short_read(label: str) -> str:
    """Tick labels that fit under their bars: the path's last part, on two lines at most."""
    if label.startswith("GET "):
        label = label[4:]
    if label.startswith("/conversations/{id}/"):
        return "messages\n(first page)"
    return label.replace(", ", "\n")


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


def burst_chart(result: dict[str, Any], out: Path) -> None:
    """A burst at a glance: participants answered over time against the model-bound ideal,
    and every webhook acknowledgement over the same seconds."""
    plt = _pyplot()
    if plt is None:
        return
    answers = result["timeline"]["answers"]
    acks = result["timeline"]["acks"]
    fig, (done, ack) = plt.subplots(1, 2, figsize=(11, 4))
    done.plot(answers, list(range(1, len(answers) + 1)), label="answered")
    done.axvline(result["ideal_s"], color="#55a868", linestyle="--",
                 label=f"model-bound ideal {result['ideal_s']:.0f} s")
    if result["cpu_floor_s"] > 0:
        done.axvline(result["cpu_floor_s"], color="#c44e52", linestyle=":",
                     label=f"CPU floor {result['cpu_floor_s']:.0f} s")
    done.set_xlabel("seconds since the first message")
    done.set_ylabel("participants answered")
    done.legend(fontsize=8)
    done.set_title(f"last reply {result['last_reply_s']:.0f} s, p50 "
                   f"{result['reply_latency_p50_s']:.0f} s", fontsize=9)
    ack.scatter([a[0] for a in acks], [a[1] for a in acks], s=3)
    ack.set_xlabel("seconds since the first message")
    ack.set_ylabel("webhook acknowledgement (ms)")
    ack.set_title(f"ack p50 {result['ack_p50_ms']:.0f} ms, p99 {result['ack_p99_ms']:.0f} ms",
                  fontsize=9)
    fig.suptitle(f"{result['participants']} participants, {result['latency_s']:g} s model, "
                 f"{result['api_processes']} API + {result['worker_processes']} worker "
                 f"process(es) x {result['concurrency']}, "
                 f"{result['cpu_ms_per_message']:.0f} ms CPU per message", fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"chart: {out}")
