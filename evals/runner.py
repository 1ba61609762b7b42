"""``python -m evals``: run the quality suites, print a table per dataset, write a JSON report.

Offline by default (CI): the offline keyword router and a scripted model, fully deterministic.
With ``--model`` (or ``PYDANTIC_AI_MODEL`` plus its key) the same datasets run against that
model and an LLM judge per specialist is added to the answer_structure suite.

A dataset passes when the share of its cases passing every check reaches its mark in
``datasets/thresholds.yaml``. A case whose task raised is not averaged away (pydantic-evals
leaves such cases out of its own averages): it counts as failed in the score *and* fails the
run on its own, as does an evaluator that crashed. Exit status: 0 all passed, 1 a dataset is
under its mark or something raised, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic_core import to_jsonable_python
from pydantic_evals import Dataset
from pydantic_evals.reporting import EvaluationReport
from pydantic_evals.reporting.analyses import ConfusionMatrix
from rich.console import Console
from rich.table import Table

from evals.cases import CaseInfo, Question
from evals.evaluators import CUSTOM_EVALUATORS, AnswerJudge
from evals.recall import load_recall_dataset, recall_task
from evals.tasks import Harness, Mode, task_for

DATASETS_DIR = Path(__file__).parent / "datasets"
SUITES = ("routing", "answer_structure", "tool_use", "channel_rendering", "language", "recall")
NEEDS_STORE = frozenset(SUITES) - {"routing"}
JUDGED = frozenset({"answer_structure"})  # with a model: an LLM judge per specialist
DEFAULT_REPORT = Path("reports/evals.json")
PROMOTED_DIR = "promoted"


# --- loading ------------------------------------------------------------------------------
def load_dataset(name: str, directory: Path = DATASETS_DIR) -> Dataset[Any, Any, Any]:
    """A suite's cases, with the cases admins promoted from real turns
    (``promoted/<name>.yaml``, written by ``ignacio export-eval-cases``) after its own."""
    if name == "recall":  # searches, not messages: its own case shape
        return load_recall_dataset(directory)
    dataset = Dataset[Question, Any, CaseInfo].from_file(
        directory / f"{name}.yaml", custom_evaluator_types=CUSTOM_EVALUATORS
    )
    promoted = directory / PROMOTED_DIR / f"{name}.yaml"
    if promoted.exists():
        dataset.cases.extend(Dataset[Question, Any, CaseInfo].from_file(
            promoted, custom_evaluator_types=CUSTOM_EVALUATORS).cases)
    return dataset


def load_thresholds(directory: Path = DATASETS_DIR) -> dict[str, dict[str, float]]:
    data = yaml.safe_load((directory / "thresholds.yaml").read_text(encoding="utf-8")) or {}
    for name, marks in data.items():
        for mode in ("offline", "model"):
            value = marks.get(mode)
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"thresholds.yaml: {name}.{mode} must be a number from 0 to 1")
    return data


def load_rubrics(directory: Path = DATASETS_DIR) -> dict[str, str]:
    return yaml.safe_load((directory / "rubrics.yaml").read_text(encoding="utf-8")) or {}


# --- scoring ------------------------------------------------------------------------------
def case_passed(case: Any) -> bool:
    return all(a.value is True for a in case.assertions.values()) and not case.evaluator_failures


@dataclass
class DatasetResult:
    name: str
    mode: Mode
    threshold: float
    report: EvaluationReport[Any, Any, Any]
    seconds: float
    passed_cases: list[str] = field(default_factory=list)
    failed_cases: dict[str, list[str]] = field(default_factory=dict)  # name -> failed checks
    hybrid: bool = False  # recall ran with embeddings (pgvector + full text)

    @classmethod
    def build(cls, name: str, mode: Mode, threshold: float, report: EvaluationReport[Any, Any, Any],
              seconds: float) -> DatasetResult:
        result = cls(name, mode, threshold, report, seconds)
        for case in report.cases:
            if case_passed(case):
                result.passed_cases.append(case.name)
            else:
                result.failed_cases[case.name] = [
                    f"{key}: {a.reason or _default_reason(key, case)}"
                    for key, a in case.assertions.items() if a.value is not True
                ] + [f"{f.name} crashed: {f.error_message}" for f in case.evaluator_failures]
        return result

    @property
    def total(self) -> int:
        return len(self.report.cases) + len(self.report.failures)

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(f.name, f.error_message) for f in self.report.failures]

    @property
    def score(self) -> float:
        """Passed cases over ALL cases, the ones that raised included."""
        return len(self.passed_cases) / self.total if self.total else 0.0

    @property
    def crashed_evaluators(self) -> int:
        return sum(len(c.evaluator_failures) for c in self.report.cases) + len(
            self.report.report_evaluator_failures)

    @property
    def ok(self) -> bool:
        return self.score >= self.threshold and not self.errors and not self.crashed_evaluators

    def confusion(self) -> ConfusionMatrix | None:
        return next((a for a in self.report.analyses if isinstance(a, ConfusionMatrix)), None)

    def to_json(self) -> dict[str, Any]:
        matrix = self.confusion()
        return {
            "name": self.name,
            "mode": self.mode,
            "score": round(self.score, 4),
            "threshold": self.threshold,
            "passed": self.ok,
            "score_label": score_label(self.name, self.mode, hybrid=self.hybrid),
            "cases": self.total,
            "cases_passed": len(self.passed_cases),
            "cases_failed": len(self.failed_cases),
            "cases_raised": len(self.errors),
            "evaluators_crashed": self.crashed_evaluators,
            "seconds": round(self.seconds, 2),
            "confusion_matrix": None if matrix is None else {
                "labels": matrix.class_labels, "rows": "expected", "columns": "output",
                "matrix": matrix.matrix,
            },
            "results": [
                {
                    "case": c.name,
                    "passed": case_passed(c),
                    "output": _short_output(c.output),
                    "expected": c.expected_output,
                    "checks": {k: {"passed": a.value is True, "reason": a.reason}
                               for k, a in c.assertions.items()},
                    "metrics": c.metrics,
                    "scores": {k: s.value for k, s in c.scores.items()},
                }
                for c in self.report.cases
            ],
            "raised": [{"case": n, "error": e} for n, e in self.errors],
        }


def _default_reason(key: str, case: Any) -> str:
    if key == "EqualsExpected":
        return f"expected {case.expected_output}"
    return "failed"


def score_label(name: str, mode: Mode, *, hybrid: bool = False) -> str:
    if name == "recall":
        return "recall@5, hybrid" if hybrid else "recall@5, full text only"
    if name == "routing":
        if mode == "offline":
            return "offline floor (keyword router, not model quality)"
        return "routing accuracy"
    return "cases passing every check"


def _short_output(output: Any) -> Any:
    data = to_jsonable_python(output, fallback=str)
    if isinstance(data, dict) and "answer" in data:  # AnswerRun: the answer and the part count
        return {"specialist": data.get("specialist"), "answer": data["answer"],
                "whatsapp_parts": len(data.get("whatsapp_parts") or [])}
    return data


# --- printing -----------------------------------------------------------------------------
def make_console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 140, highlight=False)


def print_dataset(console: Console, result: DatasetResult) -> None:
    table = Table(title=f"{result.name} ({result.mode})", title_justify="left", show_lines=False)
    table.add_column("case", overflow="fold")
    table.add_column("output", overflow="fold", max_width=28)
    table.add_column("", justify="center")
    table.add_column("failed checks", overflow="fold")
    for case in result.report.cases:
        ok = case_passed(case)
        table.add_row(case.name, _output_cell(case.output), "✔" if ok else "✗",
                      "; ".join(result.failed_cases.get(case.name, []))[:400],
                      style=None if ok else "red")
    for name, error in result.errors:
        table.add_row(name, "—", "✗", f"RAISED: {error}"[:400], style="bold red")
    console.print(table)
    matrix = result.confusion()
    if matrix is not None:
        print_confusion(console, matrix)
    status = "[green]PASS[/green]" if result.ok else "[bold red]FAIL[/bold red]"
    console.print(
        f"{result.name}: {len(result.passed_cases)}/{result.total} = {result.score:.1%} "
        f"({score_label(result.name, result.mode, hybrid=result.hybrid)}), "
        f"mark {result.threshold:.0%}, "
        f"{len(result.errors)} raised  {status}\n"
    )


def _output_cell(output: Any) -> str:
    specialist = getattr(output, "specialist", None)
    if specialist is not None and hasattr(output, "whatsapp_parts"):
        return f"{specialist.value} · {len(output.whatsapp_parts)} WA part(s)"
    return str(output)


def print_confusion(console: Console, matrix: ConfusionMatrix) -> None:
    short = {"project_management": "pm", "marketing": "mkt", "technical": "tech",
             "financial": "fin", "general": "gen"}
    table = Table(title="confusion matrix (rows: expected, columns: routed)", title_justify="left")
    table.add_column("expected \\ routed")
    for label in matrix.class_labels:
        table.add_column(short.get(label, label), justify="right")
    for i, (label, row) in enumerate(zip(matrix.class_labels, matrix.matrix, strict=True)):
        cells = [f"[bold]{n}[/bold]" if i == j else (str(n) if n else "·") for j, n in enumerate(row)]
        table.add_row(label, *cells)
    console.print(table)


def print_summary(console: Console, results: Sequence[DatasetResult], mode: Mode, model: str) -> None:
    table = Table(title=f"Ignacio evals — {mode}" + (f" ({model})" if model else ""), title_justify="left")
    for column in ("dataset", "cases", "passed", "raised", "score", "mark", "result"):
        table.add_column(column, justify="left" if column == "dataset" else "right")
    for r in results:
        table.add_row(r.name, str(r.total), str(len(r.passed_cases)), str(len(r.errors)),
                      f"{r.score:.1%}", f"{r.threshold:.0%}",
                      "[green]pass[/green]" if r.ok else "[bold red]FAIL[/bold red]")
    console.print(table)
    if mode == "offline" and any(r.name == "routing" for r in results):
        console.print("Offline, routing is scored on the keyword router: its score is the floor any "
                      "real model must beat, not a measure of model quality.")


class Progress:
    """A case counter per dataset: in place on a terminal, a line per quarter otherwise."""

    def __init__(self, name: str, total: int):
        self.name, self.total, self.done = name, total, 0
        self.tty = sys.stderr.isatty()
        self.marks = {max(1, round(total * q)) for q in (0.25, 0.5, 0.75, 1.0)}

    def wrap(self, task: Callable[[Question], Awaitable[Any]]) -> Callable[[Question], Awaitable[Any]]:
        async def counted(question: Question) -> Any:
            try:
                return await task(question)
            finally:
                self.done += 1
                self.show()

        counted.__name__ = f"{self.name}_task"
        return counted

    def start(self) -> None:
        print(f"▶ {self.name}: {self.total} cases", file=sys.stderr, flush=True)

    def show(self) -> None:
        if self.tty:
            print(f"\r  {self.name} {self.done}/{self.total}", end="", file=sys.stderr, flush=True)
            if self.done == self.total:
                print(file=sys.stderr)
        elif self.done in self.marks:
            print(f"  {self.name} {self.done}/{self.total}", file=sys.stderr, flush=True)


# --- running ------------------------------------------------------------------------------
def _instrument() -> None:
    """Span-based evaluators read the PydanticAI traces of each case: record them locally
    (never exported: ``send_to_logfire=False``)."""
    import logfire

    logfire.configure(send_to_logfire=False, console=False, service_name="ignacio-evals")
    logfire.instrument_pydantic_ai()


async def run_dataset(name: str, harness: Harness, threshold: float, *,
                      rubrics: dict[str, str], directory: Path = DATASETS_DIR) -> DatasetResult:
    dataset = load_dataset(name, directory)
    task: Callable[[Any], Awaitable[Any]]
    if name == "recall":
        assert harness.store is not None
        task = recall_task(harness.store, harness.embeddings, directory / "recall_corpus.yaml")
    else:
        task = task_for(name, harness)
    if harness.mode == "model" and name in JUDGED:
        add_judges(dataset, rubrics, harness)
    progress = Progress(name, len(dataset.cases))
    progress.start()
    started = time.perf_counter()
    report = await dataset.evaluate(
        progress.wrap(task), name=f"{name}-{harness.mode}",
        max_concurrency=8 if harness.mode == "offline" else 4, progress=False,
    )
    result = DatasetResult.build(name, harness.mode, threshold, report,
                                 time.perf_counter() - started)
    result.hybrid = name == "recall" and harness.embeddings is not None
    return result


def add_judges(dataset: Dataset[Question, Any, CaseInfo], rubrics: dict[str, str],
               harness: Harness) -> None:
    for case in dataset.cases:
        specialist = case.inputs.specialist
        if specialist is not None and specialist.value in rubrics:
            case.evaluators.append(AnswerJudge(rubric=rubrics[specialist.value],
                                               model=harness.judge_model, include_input=True))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evals", description="Run Ignacio's quality suites (see evals/README.md).")
    parser.add_argument("--model", help="run against this model (any PydanticAI model string, "
                        "e.g. openai:gpt-5.2); default: PYDANTIC_AI_MODEL if it has a key, else offline")
    parser.add_argument("--triage-model", help="router model (default: PYDANTIC_AI_TRIAGE_MODEL or --model)")
    parser.add_argument("--judge-model", help="LLM judge model (default: the --model)")
    parser.add_argument("--offline", action="store_true",
                        help="force offline even if a model and key are configured")
    parser.add_argument("--dataset", action="append", choices=SUITES, metavar="NAME",
                        help=f"run only this dataset (repeatable): {', '.join(SUITES)}")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT,
                        help=f"JSON report path (default {DEFAULT_REPORT})")
    parser.add_argument("--pgdata", type=Path, default=None,
                        help="embedded PostgreSQL directory for the throwaway eval database "
                             "(default <IGNACIO_DATA_DIR>/evals-pgdata)")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return int(exc.code or 0)
    return asyncio.run(run(args))


def resolve_harness(args: argparse.Namespace, settings: Any) -> Harness:
    """Offline unless ``--model`` (or a configured model with its key) is usable. Raises
    ValueError for a ``--model`` that cannot run."""
    import logging

    from ignacio_agents.llm import is_offline, resolve_model, resolve_triage_model

    harness = Harness(mode="offline", settings=settings)
    if args.offline:
        return harness
    models_log = logging.getLogger("ignacio_agents.models")
    quiet = args.model is None and models_log.level < logging.ERROR
    previous = models_log.level
    if quiet:  # an unconfigured default model is the normal offline case, not a warning
        models_log.setLevel(logging.ERROR)
    try:
        model = resolve_model(settings, args.model)
    finally:
        models_log.setLevel(previous)
    if is_offline(model):
        if args.model:
            raise ValueError(f"model {args.model!r} is not usable (is its API key set?)")
        return harness
    harness.mode = "model"
    harness.model = model
    if args.triage_model:
        harness.triage_model = resolve_model(settings, args.triage_model)
    else:
        harness.triage_model = model if args.model else resolve_triage_model(settings, model)
    harness.judge_model = resolve_model(settings, args.judge_model) if args.judge_model else model
    return harness


@asynccontextmanager
async def run_session(suites: Sequence[str], pgdata: Path, *, settings: Any = None,
                      harness: Harness | None = None) -> AsyncIterator[Harness]:
    """A harness with the throwaway eval database open when a suite needs it."""
    if harness is None:
        from ignacio_agents.settings import load_settings

        harness = Harness(mode="offline", settings=settings or load_settings(model_attempts=1))
    async with AsyncExitStack() as stack:
        if NEEDS_STORE & set(suites):
            from evals.seed import eval_store
            from ignacio_agents.blobs import LocalBlobStore

            harness.store = await stack.enter_async_context(eval_store(pgdata))
            blob_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="ignacio-evals-"))
            harness.blobs = LocalBlobStore(Path(blob_dir))
        yield harness


async def run(args: argparse.Namespace) -> int:
    from ignacio_agents.llm import model_label
    from ignacio_agents.settings import ConfigError, load_settings

    console = make_console()
    started = time.perf_counter()
    try:
        # Each turn is tried once: a retry would hide a flaky model behind the engine's fallback.
        settings = load_settings(model_attempts=1)
        harness = resolve_harness(args, settings)
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.offline:  # recall is hybrid when an embeddings model is configured
        from ignacio_agents.embeddings import open_embeddings

        harness.embeddings = open_embeddings(settings)
    model_name = model_label(harness.model) if harness.model is not None else ""
    thresholds = load_thresholds()
    rubrics = load_rubrics()
    suites = [s for s in SUITES if s in (args.dataset or SUITES)]
    _instrument()
    console.print(f"Ignacio evals: {', '.join(suites)} — "
                  + (f"model {model_name}" if harness.mode == "model" else
                     "offline (keyword router + scripted model)"))

    results: list[DatasetResult] = []
    async with run_session(suites, args.pgdata or settings.data_dir / "evals-pgdata", harness=harness):
        for name in suites:
            mark = "hybrid" if name == "recall" and harness.embeddings else harness.mode
            threshold = float(thresholds.get(name, {}).get(mark, 1.0))
            result = await run_dataset(name, harness, threshold, rubrics=rubrics)
            results.append(result)
            print_dataset(console, result)

    if harness.embeddings is not None:
        await harness.embeddings.aclose()
    print_summary(console, results, harness.mode, model_name)
    ok = all(r.ok for r in results)
    write_report(args.report, results, harness.mode, model_name, time.perf_counter() - started, ok)
    console.print(f"report: {args.report}")
    if not ok:
        failing = [r.name for r in results if not r.ok]
        console.print(f"[bold red]evals failed: {', '.join(failing)}[/bold red]")
    return 0 if ok else 1


def write_report(path: Path, results: Sequence[DatasetResult], mode: Mode, model: str,
                 seconds: float, ok: bool) -> None:
    data = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "model": model or "offline",
        "passed": ok,
        "seconds": round(seconds, 2),
        "datasets": [r.to_json() for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(to_jsonable_python(data, fallback=str), indent=2, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)
