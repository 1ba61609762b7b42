"""Ignacio's own evaluators, usable by name in the dataset YAML files.

Each returns an ``EvaluationReason`` whose reason says what was wrong, so a failing row in the
report is actionable without re-running anything. They accept either a typed answer or an
``AnswerRun`` (answer + renderings) as the task output.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic_evals.evaluators import EvaluationReason, Evaluator, EvaluatorContext, LLMJudge
from pydantic_evals.otel import SpanTree, SpanTreeRecordingError

from evals.cases import AnswerRun, CaseInfo
from evals.language import detect_language, language_scores
from evals.rendering import (
    code_problems,
    markdown_problems,
    whatsapp_format_problems,
    whatsapp_part_problems,
)
from ignacio_agents.agents.validators import routing_talk_problems
from ignacio_agents.domain import Specialist
from ignacio_agents.responses import AdvisorAnswer

# The list each specialist must fill for its answer to be actionable.
ACTION_FIELDS: dict[Specialist, str] = {
    Specialist.marketing: "action_items",
    Specialist.technical: "implementation_steps",
    Specialist.project_management: "timeline_suggestions",
    Specialist.financial: "recommendations",
}
_CODE_SET = frozenset({"kind", "offline", "language"})

# Text a model (or TestModel) leaves when it did not really answer.
_PLACEHOLDER_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        r"\bTODO\b", r"\bTBD\b", r"\bFIXME\b", r"\bXXX+\b", r"\blorem\b", r"\bipsum\b",
        r"\[\s*(insert|add|your|fill|placeholder|tbd|name|link|url)\b[^\]]*\]",
        r"<\s*(insert|your|placeholder|fill)\b[^>]*>", r"\{\{[^}]*\}\}", r"\{[a-z_]+\}",
        r"\bplaceholder\b", r"success \(no tool calls\)", r"https?://(www\.)?example\.(com|org)",
    )
]
_PLACEHOLDER_WORDS = frozenset({"n/a", "na", "none", "null", "string", "text", "...", "…", "-", "tbc"})


def answer_of(output: object) -> AdvisorAnswer:
    if isinstance(output, AnswerRun):
        return output.answer
    if isinstance(output, AdvisorAnswer):
        return output
    raise TypeError(f"expected a typed answer, got {type(output).__name__}")


def _metadata(ctx: EvaluatorContext[Any, Any, Any]) -> CaseInfo | None:
    meta = ctx.metadata
    if isinstance(meta, CaseInfo):
        return meta
    if isinstance(meta, dict):
        return CaseInfo.model_validate(meta)
    return None


def content_texts(answer: AdvisorAnswer) -> Iterator[tuple[str, str]]:
    """(field, text) for every piece of text the model wrote, list items included."""
    for name in type(answer).model_fields:
        if name in _CODE_SET:
            continue
        value = getattr(answer, name)
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield f"{name}[{index}]", str(item)


def placeholder_problems(answer: AdvisorAnswer) -> list[str]:
    """Why ``answer`` looks unfinished (empty list when it reads like a real answer)."""
    problems: list[str] = []
    main_field = next(n for n in type(answer).model_fields if n not in _CODE_SET)
    for where, text in content_texts(answer):
        stripped = text.strip()
        if not stripped:
            if where == main_field or "[" in where:
                problems.append(f"{where} is empty")
            continue
        if stripped.lower() in _PLACEHOLDER_WORDS:
            problems.append(f"{where} is a placeholder: {stripped!r}")
            continue
        if len(stripped) <= 2 and not any(c.isdigit() for c in stripped):
            problems.append(f"{where} is too short to mean anything: {stripped!r}")
            continue
        for pattern in _PLACEHOLDER_PATTERNS:
            match = pattern.search(stripped)
            if match:
                problems.append(f"{where} contains placeholder text {match.group(0)!r}")
                break
    main_text = getattr(answer, main_field, "")
    if isinstance(main_text, str) and 0 < len(main_text.strip()) < 20 and not problems:
        problems.append(f"{main_field} is only {len(main_text.strip())} characters long")
    return problems


@dataclass(repr=False)
class NoPlaceholders(Evaluator[Any, Any, Any]):
    """No empty, one-letter, TODO, lorem ipsum or ``[insert ...]`` text anywhere in the answer."""

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        problems = placeholder_problems(answer_of(ctx.output))
        return EvaluationReason(value=not problems, reason="; ".join(problems[:5]) or None)


@dataclass(repr=False)
class ActionsPresent(Evaluator[Any, Any, Any]):
    """A specialist answer has at least ``min_items`` entries in its action list (see
    ``ACTION_FIELDS``); general replies need a non-empty message instead."""

    min_items: int = 1

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        answer = answer_of(ctx.output)
        action_field = ACTION_FIELDS.get(answer.specialist)
        if action_field is None:
            message = getattr(answer, "message", "")
            return EvaluationReason(value=bool(message.strip()), reason=None if message.strip()
                                    else "general reply with an empty message")
        items = [i for i in getattr(answer, action_field) if str(i).strip()]
        ok = len(items) >= self.min_items
        return EvaluationReason(
            value=ok, reason=None if ok else
            f"{action_field} has {len(items)} item(s), at least {self.min_items} expected",
        )


@dataclass(repr=False)
class AnswerKind(Evaluator[Any, Any, Any]):
    """The typed answer belongs to the specialist the case sends it to (``inputs.specialist``)."""

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        wanted = getattr(ctx.inputs, "specialist", None)
        answer = answer_of(ctx.output)
        if wanted is None:
            return EvaluationReason(value=False, reason="case has no inputs.specialist")
        got = answer.specialist
        return EvaluationReason(value=got == wanted, reason=None if got == wanted
                                else f"got a {got.value} answer, expected {wanted.value}")


@dataclass(repr=False)
class AnswerLanguage(Evaluator[Any, Any, Any]):
    """The answer is written in the language of the question (``metadata.language``)."""

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        meta = _metadata(ctx)
        if meta is None:
            return EvaluationReason(value=False, reason="case has no metadata.language")
        text = "\n".join(t for _, t in content_texts(answer_of(ctx.output)))
        found = detect_language(text)
        scores = language_scores(text)
        return EvaluationReason(
            value=found == meta.language,
            reason=f"detected {found or 'undetermined'} (es {scores['es']:.0f} / en "
                   f"{scores['en']:.0f}), expected {meta.language}",
        )


@dataclass(repr=False)
class BriefOnWhatsApp(Evaluator[Any, Any, Any]):
    """An answer to a WhatsApp message is short: at most ``max_items`` items in each list and
    one WhatsApp message (``max_parts`` parts). Web answers are not limited here."""

    max_items: int = 3
    max_parts: int = 1

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        if getattr(ctx.inputs, "channel", "web") != "whatsapp":
            return EvaluationReason(value=True, reason="web: no length limit")
        run = ctx.output
        if not isinstance(run, AnswerRun):
            return EvaluationReason(value=False, reason="output carries no WhatsApp rendering")
        answer = run.answer
        long_lists = [f"{name} has {len(value)} items" for name in type(answer).model_fields
                      if name not in _CODE_SET and isinstance(value := getattr(answer, name), list)
                      and len(value) > self.max_items]
        if len(run.whatsapp_parts) > self.max_parts:
            long_lists.append(f"{len(run.whatsapp_parts)} WhatsApp messages")
        return EvaluationReason(value=not long_lists, reason="; ".join(long_lists)
                                or f"{len(run.whatsapp)} characters, lists within {self.max_items}")


@dataclass(repr=False)
class NoInnerWorkings(Evaluator[Any, Any, Any]):
    """The answer speaks as Ignacio: no talk of specialists, routing or hand-backs."""

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        text = "\n".join(t for _, t in content_texts(answer_of(ctx.output)))
        problems = routing_talk_problems(text)
        return EvaluationReason(value=not problems,
                                reason="; ".join(p.message for p in problems) or None)


@dataclass(repr=False)
class RouteLanguage(Evaluator[Any, Any, Any]):
    """The router's ``language`` matches the question's (it picks the answer language)."""

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        meta = _metadata(ctx)
        run = ctx.output
        if meta is None or not isinstance(run, AnswerRun) or run.route is None:
            return EvaluationReason(value=False, reason="no route recorded for this case")
        ok = run.route.language == meta.language
        return EvaluationReason(value=ok, reason=f"route language {run.route.language!r}, "
                                                 f"expected {meta.language!r}")


@dataclass(repr=False)
class WhatsAppFits(Evaluator[Any, Any, Any]):
    """Every WhatsApp part fits one text message and the parts add up to the whole answer."""

    limit: int = 4096

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = ctx.output
        if not isinstance(run, AnswerRun):
            return EvaluationReason(value=False, reason="output carries no WhatsApp rendering")
        problems = whatsapp_part_problems(run.whatsapp_parts, run.whatsapp, self.limit)
        return EvaluationReason(value=not problems, reason="; ".join(problems[:5])
                                or f"{len(run.whatsapp_parts)} part(s)")


@dataclass(repr=False)
class WhatsAppFormatting(Evaluator[Any, Any, Any]):
    """WhatsApp parts use only formatting WhatsApp displays: no headings, tables, ``**`` or
    Markdown links."""

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = ctx.output
        if not isinstance(run, AnswerRun):
            return EvaluationReason(value=False, reason="output carries no WhatsApp rendering")
        problems = [p for part in run.whatsapp_parts for p in whatsapp_format_problems(part)]
        return EvaluationReason(value=not problems, reason="; ".join(problems[:5]) or None)


@dataclass(repr=False)
class WhatsAppCodeIntact(Evaluator[Any, Any, Any]):
    """Code blocks in the answer reach WhatsApp unchanged."""

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = ctx.output
        if not isinstance(run, AnswerRun):
            return EvaluationReason(value=False, reason="output carries no WhatsApp rendering")
        problems = code_problems(run.markdown, run.whatsapp)
        return EvaluationReason(value=not problems, reason="; ".join(problems[:5]) or None)


@dataclass(repr=False)
class ValidMarkdown(Evaluator[Any, Any, Any]):
    """The web rendering is well-formed Markdown (fences, emphasis, headings, tables)."""

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = ctx.output
        markdown = run.markdown if isinstance(run, AnswerRun) else answer_of(run).to_markdown()
        problems = markdown_problems(markdown)
        return EvaluationReason(value=not problems, reason="; ".join(problems[:5]) or None)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


def tool_calls(tree: SpanTree) -> list[tuple[str, dict[str, Any]]]:
    """(tool name, arguments) of every successful local tool call, in start order."""
    nodes = [
        n for n in tree
        if n.name.startswith("execute_tool ") and isinstance(n.attributes.get("gen_ai.tool.name"), str)
        and not str(n.attributes.get("logfire.msg", "")).startswith("running output function")
        and n.status != "error"
    ]
    nodes.sort(key=lambda n: n.start_timestamp)
    calls: list[tuple[str, dict[str, Any]]] = []
    for node in nodes:
        raw = node.attributes.get("gen_ai.tool.call.arguments")
        try:
            args = json.loads(raw) if isinstance(raw, str) else {}
        except json.JSONDecodeError:
            args = {}
        calls.append((str(node.attributes["gen_ai.tool.name"]), args if isinstance(args, dict) else {}))
    return calls


@dataclass(repr=False)
class ToolArgumentMentions(Evaluator[Any, Any, Any]):
    """``tool_name`` was called with an argument mentioning one of ``any_of`` (case and accent
    insensitive). Unlike ``ArgumentCorrectness`` this tolerates a real model's free wording:
    a history search for "pricing" may be phrased "pricing strategy" or "price"."""

    tool_name: str
    any_of: list[str]
    argument: str | None = None
    evaluation_name: str | None = field(default=None)

    def get_default_evaluation_name(self) -> str:
        return self.evaluation_name or f"{self.tool_name}_args"

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        try:
            calls = tool_calls(ctx.span_tree)
        except SpanTreeRecordingError:
            return EvaluationReason(value=False, reason="no spans recorded (logfire not configured)")
        seen = [args for name, args in calls if name == self.tool_name]
        if not seen:
            return EvaluationReason(value=False, reason=f"{self.tool_name} was not called")
        wanted = [_fold(w) for w in self.any_of]
        for args in seen:
            values = [args.get(self.argument)] if self.argument else list(args.values())
            text = _fold(" ".join(json.dumps(v, ensure_ascii=False) for v in values if v is not None))
            if any(w in text for w in wanted):
                return EvaluationReason(value=True, reason=f"arguments {args}")
        return EvaluationReason(value=False, reason=f"arguments {seen} mention none of {self.any_of}")


@dataclass(repr=False)
class AnswerMentions(Evaluator[Any, Any, Any]):
    """The answer contains one of ``any_of`` (case and accent insensitive): evidence that it used
    what a tool found (a price from a file, a date from an earlier chat), not a generic reply."""

    any_of: list[str]

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        text = _fold(" ".join(t for _, t in content_texts(answer_of(ctx.output))))
        found = [w for w in self.any_of if _fold(w) in text]
        return EvaluationReason(value=bool(found), reason=f"mentions {found}" if found
                                else f"mentions none of {self.any_of}")


@dataclass(repr=False)
class AnswerJudge(LLMJudge):
    """``LLMJudge`` shown the question and the typed answer only (not the renderings around
    it). Added per specialist with its rubric when a real model runs; never offline."""

    async def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> Any:
        answer = answer_of(ctx.output).model_dump(mode="json", exclude={"offline", "language"})
        question = getattr(ctx.inputs, "message", ctx.inputs)
        return await super().evaluate(replace(ctx, inputs=question, output=answer))


CUSTOM_EVALUATORS: tuple[type[Evaluator[Any, Any, Any]], ...] = (
    NoPlaceholders, ActionsPresent, AnswerKind, AnswerLanguage, RouteLanguage, BriefOnWhatsApp,
    NoInnerWorkings, WhatsAppFits,
    WhatsAppFormatting, WhatsAppCodeIntact, ValidMarkdown, ToolArgumentMentions, AnswerMentions,
)
