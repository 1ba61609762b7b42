"""The eval suites: the offline run passes and reports, and the ways it must fail do fail."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_evals.evaluators import EvaluatorContext
from pydantic_evals.otel import SpanTreeRecordingError

import evals.runner
import evals.scripted
import evals.tasks
from channels.whatsapp.render import answer_text
from evals.cases import AnswerRun
from evals.evaluators import NoPlaceholders, WhatsAppCodeIntact, WhatsAppFormatting, placeholder_problems
from evals.language import detect_language
from evals.rendering import markdown_problems, whatsapp_format_problems, whatsapp_part_problems
from evals.runner import SUITES, load_dataset, load_thresholds, main
from evals.scripted import scripted_advisor
from ignacio_agents.agents import ROUTE_TOOL, triage_agent
from ignacio_agents.domain import Specialist
from ignacio_agents.offline import latest_user_text
from ignacio_agents.responses import MarketingResponse, TechnicalResponse
from tests.conftest import PGDATA


@pytest.fixture
def eval_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pg_server_uri: str) -> list[str]:
    """Offline by configuration (no --offline flag), a private data dir, the tests' PG server."""
    monkeypatch.setenv("PYDANTIC_AI_MODEL", "test")
    monkeypatch.delenv("PYDANTIC_AI_TRIAGE_MODEL", raising=False)
    monkeypatch.setenv("IGNACIO_DATA_DIR", str(tmp_path / "data"))
    return ["--pgdata", str(PGDATA), "--report", str(tmp_path / "reports" / "evals.json")]


def read_report(args: list[str]) -> dict[str, Any]:
    return json.loads(Path(args[args.index("--report") + 1]).read_text())


def dataset(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(d for d in report["datasets"] if d["name"] == name)


# --- the whole offline run ---------------------------------------------------------------------
def test_offline_run_prints_scores_writes_report_and_passes(eval_env: list[str],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(eval_env) == 0

    out = capsys.readouterr().out
    for name in SUITES:
        assert f"{name}: " in out and "mark" in out
    assert "offline floor" in out and "confusion matrix" in out

    report = read_report(eval_env)
    assert report["mode"] == "offline" and report["passed"] is True
    assert [d["name"] for d in report["datasets"]] == list(SUITES)
    thresholds = load_thresholds()
    for d in report["datasets"]:
        assert d["passed"] and d["cases_raised"] == 0
        assert d["score"] >= thresholds[d["name"]]["offline"]
    routing = dataset(report, "routing")
    assert routing["cases"] >= 60 and routing["score_label"].startswith("offline floor")
    matrix = routing["confusion_matrix"]
    assert sum(map(sum, matrix["matrix"])) == routing["cases"]
    assert set(matrix["labels"]) == {s.value for s in Specialist}
    # The span-based checks really saw the tool calls (not "no spans recorded").
    tool_use = {r["case"]: r for r in dataset(report, "tool_use")["results"]}
    assert tool_use["profile-en-rename"]["checks"]["ArgumentCorrectness"]["passed"]
    searched = tool_use["history-es-council-grant"]["checks"]["search_history_args"]
    assert searched["passed"] and "subvención" in searched["reason"]
    long_answer = {r["case"]: r for r in dataset(report, "channel_rendering")["results"]}
    assert long_answer["marketing-en-very-long"]["output"]["whatsapp_parts"] >= 2


# --- failing the way it must ---------------------------------------------------------------------
def _always_marketing(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(ROUTE_TOOL, {
        "specialist": "marketing", "reason": "wrong on purpose", "language": "es"})])


def test_a_wrong_router_fails_the_routing_suite(eval_env: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with triage_agent.override(model=FunctionModel(_always_marketing)):
        assert main([*eval_env, "--dataset", "routing"]) == 1

    routing = dataset(read_report(eval_env), "routing")
    assert routing["passed"] is False and routing["cases_raised"] == 0
    assert routing["score"] < routing["threshold"]
    assert "FAIL" in capsys.readouterr().out


def test_a_raising_task_fails_the_run_instead_of_raising_the_average(
    eval_env: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The trap: pydantic-evals leaves raised cases out of its averages, so a task that raises
    on every case it would get wrong shows 100%. The runner counts them and fails the run."""
    expected = {c.inputs.message: c.expected_output for c in load_dataset("routing").cases}
    real_task_for = evals.runner.task_for

    def raising_task_for(suite: str, harness: evals.tasks.Harness) -> Any:
        route = real_task_for(suite, harness)

        async def task(question: Any) -> str:
            got = await route(question)
            if got != expected[question.message]:
                raise RuntimeError("boom")
            return got

        return task

    monkeypatch.setattr(evals.runner, "task_for", raising_task_for)
    assert main([*eval_env, "--dataset", "routing"]) == 1

    routing = dataset(read_report(eval_env), "routing")
    assert routing["cases_raised"] > 0
    assert all(r["passed"] for r in routing["results"])  # pydantic-evals alone would say 100%
    assert routing["score"] < 1.0 and routing["passed"] is False
    assert {e["error"] for e in routing["raised"]} == {"RuntimeError: boom"}


def test_a_model_failure_is_a_failure_not_the_engines_polite_fallback(
    eval_env: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    scripted = scripted_advisor()

    def flaky(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if "bisutería" in latest_user_text(messages):
            raise RuntimeError("provider exploded")
        return scripted.function(messages, info)  # type: ignore[misc, return-value]

    monkeypatch.setattr(evals.tasks, "scripted_advisor", lambda: FunctionModel(flaky))
    assert main([*eval_env, "--dataset", "channel_rendering"]) == 1

    rendering = dataset(read_report(eval_env), "channel_rendering")
    assert [e["case"] for e in rendering["raised"]] == ["marketing-es-short"]
    assert "fell back" in rendering["raised"][0]["error"]


ANSWER_SUITES = ("answer_structure", "tool_use", "channel_rendering")


def test_answers_in_english_to_spanish_questions_fail_the_answer_suites(
    eval_env: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model that answers in English whatever the participant wrote: the engine sends its
    answers back, lets them through on the last attempt (an answer beats an apology), and the
    suites' own language check fails every Spanish case, and only those."""
    monkeypatch.setattr(evals.scripted, "language_from_hint", lambda _instructions: "en")
    never = re.compile(r"(?!)")  # the long templates are written in one language only
    for long_answer in ("_LONG", "_TABLE", "_SECTIONS"):
        monkeypatch.setattr(evals.scripted, long_answer, never)
    args = [a for suite in ANSWER_SUITES for a in ("--dataset", suite)]
    assert main([*eval_env, *args]) == 1

    report = read_report(eval_env)
    for suite in ANSWER_SUITES:
        result = dataset(report, suite)
        assert result["passed"] is False and result["cases_raised"] == 0
        language = {c.name: c.metadata.language for c in load_dataset(suite).cases}
        assert "es" in language.values() and "en" in language.values()
        for case in result["results"]:
            check = case["checks"]["AnswerLanguage"]
            assert check["passed"] is (language[case["case"]] == "en"), (suite, case["case"], check)
            if language[case["case"]] == "es":
                assert case["passed"] is False and "detected en" in check["reason"]


def test_unknown_dataset_is_a_usage_error(eval_env: list[str]) -> None:
    assert main([*eval_env, "--dataset", "nope"]) == 2


# --- the datasets ------------------------------------------------------------------------------
def test_routing_dataset_is_broad_bilingual_and_has_follow_ups() -> None:
    cases = load_dataset("routing").cases
    assert len(cases) >= 60
    languages = Counter(c.metadata.language for c in cases)
    assert min(languages["es"], languages["en"]) >= 0.4 * len(cases)
    follow_ups = [c for c in cases if c.inputs.history]
    assert len(follow_ups) >= 8
    assert all(c.metadata.category == "follow_up" for c in follow_ups)
    assert {c.expected_output for c in cases} == {s.value for s in Specialist}
    categories = Counter(c.metadata.category for c in cases)
    for needed in ("greeting", "thanks", "out_of_scope", "ambiguous"):
        assert categories[needed] >= 3, needed


def test_every_suite_loads_and_has_both_marks() -> None:
    thresholds = load_thresholds()
    for name in SUITES:
        assert load_dataset(name).cases
        assert set(thresholds[name]) >= {"offline", "model"}


# --- the checks themselves ---------------------------------------------------------------------
def _ctx(output: Any) -> EvaluatorContext[Any, Any, Any]:
    return EvaluatorContext(name="case", inputs=None, metadata=None, expected_output=None,
                            output=output, duration=0.0,
                            _span_tree=SpanTreeRecordingError("not recorded"),
                            attributes={}, metrics={})


REAL = dict(advice="Start with one customer segment and one channel, then measure sign-ups.",
            action_items=["Interview five customers this week."], resources=["Lean Canvas"])


@pytest.mark.parametrize("bad", [
    {"advice": "a", "action_items": ["a"], "resources": ["a"]},  # what TestModel fills in
    {"action_items": ["TODO"]},
    {"advice": "Lorem ipsum dolor sit amet, consectetur adipiscing elit."},
    {"resources": ["[insert link here]"]},
    {"action_items": ["Read https://example.com/guide first."]},
    {"action_items": [""]},
])
def test_placeholder_check_rejects_unfinished_answers(bad: dict[str, Any]) -> None:
    answer = MarketingResponse(**{**REAL, **bad})
    assert placeholder_problems(answer)
    assert NoPlaceholders().evaluate(_ctx(answer)).value is False


def test_placeholder_check_accepts_a_real_answer() -> None:
    assert NoPlaceholders().evaluate(_ctx(MarketingResponse(**REAL))).value is True


def test_whatsapp_and_markdown_checks_catch_what_phones_and_browsers_would_show_wrong() -> None:
    assert whatsapp_format_problems("## Plan\n**bold**\n| a | b |\n|---|---|\n[x](https://a.b)")
    assert not whatsapp_format_problems("*Plan*\n- _one_\n```\n## code stays\n```")
    assert whatsapp_part_problems(["x" * 4097], "x" * 4097)
    assert whatsapp_part_problems(["one two"], "one two three")
    assert markdown_problems("```python\nprint(1)\n")
    assert markdown_problems("| a | b |\n|---|---|\n| 1 | 2 | 3 |")
    assert markdown_problems("**never closed")
    assert not markdown_problems("# Title\n\n**Bold** and a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |")


def test_code_blocks_must_reach_whatsapp_unchanged() -> None:
    answer = TechnicalResponse(solution="Build it:\n\n```bash\ndocker build .\n```",
                               implementation_steps=["Run the build."], considerations=[])
    run = AnswerRun(specialist=Specialist.technical, answer=answer, markdown=answer.to_markdown(),
                    whatsapp=answer_text(answer), whatsapp_parts=[answer_text(answer)])
    assert WhatsAppCodeIntact().evaluate(_ctx(run)).value is True
    assert WhatsAppFormatting().evaluate(_ctx(run)).value is True
    broken = run.model_copy(update={"whatsapp": run.whatsapp.replace("docker build .", "*docker*")})
    assert WhatsAppCodeIntact().evaluate(_ctx(broken)).value is False


@pytest.mark.parametrize(("text", "language"), [
    ("Te recomiendo empezar por un único canal y medir las altas cada semana.", "es"),
    ("Necesito un MVP para validar mi startup de SaaS", "es"),
    ("Start with one channel and track sign-ups every week.", "en"),
    ("OK 👍", None),
])
def test_language_detector(text: str, language: str | None) -> None:
    assert detect_language(text) == language


# --- with a model --------------------------------------------------------------------------------
async def test_model_mode_adds_an_llm_judge_per_specialist_whose_verdict_counts(
    pg_server_uri: str, tmp_path: Path,
) -> None:
    """Model mode, with scripted stand-ins at the provider boundary: the judge sees the question
    and the typed answer with its specialist's rubric, and a failing verdict fails the case."""
    from evals.runner import load_rubrics, run_dataset, run_session
    from ignacio_agents.offline import OfflineModel
    from ignacio_agents.settings import load_settings

    rubrics = load_rubrics()
    prompts: list[str] = []

    def judge(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompt = latest_user_text(messages)
        prompts.append(prompt)
        verdict = rubrics["financial"] not in prompt  # fail the financial answers only
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {
            "reason": "checked against the rubric", "pass": verdict, "score": float(verdict),
        })])

    settings = load_settings(data_dir=tmp_path, pydantic_ai_model="test", model_attempts=1)
    async with run_session(["answer_structure"], PGDATA, settings=settings) as harness:
        harness.mode = "model"
        harness.model = scripted_advisor()
        harness.triage_model = OfflineModel()
        harness.judge_model = FunctionModel(judge)
        result = await run_dataset("answer_structure", harness, 0.9, rubrics=rubrics)

    assert len(prompts) == len(result.report.cases) == len(load_dataset("answer_structure").cases)
    assert all("<Rubric>" in p and "<Input>" in p for p in prompts)
    assert not any('"whatsapp_parts"' in p for p in prompts)  # the answer, not its renderings
    assert sorted(result.failed_cases) == ["financial-en-grant-budget", "financial-es-break-even"]
    assert not result.ok


def test_model_resolution(tmp_path: Path) -> None:
    from evals.runner import build_parser, resolve_harness
    from ignacio_agents.settings import load_settings

    no_key = load_settings(data_dir=tmp_path, openai_api_key=None, openai_base_url=None,
                           pydantic_ai_model="gpt-4", pydantic_ai_triage_model=None)
    assert resolve_harness(build_parser().parse_args([]), no_key).mode == "offline"
    with pytest.raises(ValueError, match="not usable"):
        resolve_harness(build_parser().parse_args(["--model", "openai:gpt-5.2"]), no_key)

    keyed = no_key.model_copy(update={"openai_api_key": SecretStr("sk-test")})
    harness = resolve_harness(build_parser().parse_args(["--model", "openai-chat:gpt-4.1-mini"]), keyed)
    assert harness.mode == "model" and harness.triage_model is harness.model is harness.judge_model
    assert resolve_harness(build_parser().parse_args(["--offline"]), keyed).mode == "offline"
    assert resolve_harness(build_parser().parse_args([]), keyed).mode == "model"  # PYDANTIC_AI_MODEL + key
