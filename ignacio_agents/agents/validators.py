"""Answers check themselves before they go out: a PydanticAI output validator per specialist.

Each problem found is sent back to the model as one ``ModelRetry`` message, so it can fix them
all in the next attempt. The checks:

- the answer is in the participant's language (``answer_language``);
- it fits where it will be read (``AnswerBudget`` in deps: list items and characters);
- every file it cites, and every location it gives in a file, came from this turn's tool
  results (or the participant named the file in this message);
- it never talks about the routing (specialists, hand-backs, routers) to the participant.

On the last attempt a wrong language or a long answer is let through (over-long lists are cut
to the budget): an imperfect answer beats an apology, and the channel splits long text anyway.
A citation that did not come from a tool is never let through: the turn fails over to the
engine's retry and, at worst, its fallback, rather than show the participant an invented source.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from pydantic_ai import ModelRetry, RunContext
from pydantic_ai.messages import ModelRequest, ToolReturnPart, UserPromptPart
from pydantic_core import to_json, to_jsonable_python

from ignacio_agents.agents.answer_language import wrong_language
from ignacio_agents.agents.deps import AdvisorDeps, AnswerBudget
from ignacio_agents.agents.instructions import LANGUAGE_NAMES
from ignacio_agents.agents.locations import Location, covers, parse_location
from ignacio_agents.agents.routing import Reroute
from ignacio_agents.memory import PinnedPromptPart
from ignacio_agents.responses import AdvisorAnswer

log = logging.getLogger(__name__)

_CODE_SET = frozenset({"kind", "offline", "language"})  # set by code, not written by the model
# First-person talk about Ignacio's inner workings. Advice such as "ask a tax specialist" stays.
_ROUTING_TALK = re.compile(
    r"\b(?:i am|i'm|as)\s+(?:the|your|ignacio's)\s+(?:\w+\s){0,2}specialist\b"
    r"|\b(?:soy|como)\s+(?:el|tu)\s+especialista\b"
    r"|\b(?:rout(?:ed|ing)|re-?rout\w*|hand(?:ed|ing)?\s+(?:it|this|you)\s+(?:back|over)|"
    r"transfer(?:red|ring)?\s+you|pass(?:ed|ing)?\s+you\s+(?:on\s+)?to)\b"
    r"|\b(?:enrut\w*|te\s+(?:paso|derivo)\s+(?:con|a)|he\s+derivado|triaje|triage)\b",
    re.I,
)
_FILE_TOKEN = re.compile(
    r"(?<![\w/.-])[\w][\w.-]*\.(?:pdf|docx?|xlsx?|xlsm|ods|odt|odp|csv|pptx?|txt|md|rtf)\b", re.I)


@dataclass(frozen=True)
class Problem:
    message: str
    strict: bool = False  # never let through, even on the last attempt


async def check_answer(ctx: RunContext[AdvisorDeps], output: Any) -> Any:
    """The output validator: ``ModelRetry`` with every problem found, or the answer."""
    if ctx.partial_output:
        return output
    if isinstance(output, Reroute):
        return check_hand_back(ctx.deps, output)
    if not isinstance(output, AdvisorAnswer):
        return output
    deps = ctx.deps
    text = "\n".join(_texts(output))
    problems = [
        *language_problems(text, deps.language),
        *budget_problems(output, deps.answer_budget),
        *routing_talk_problems(text),
        *await citation_problems(ctx, text),
    ]
    if not problems:
        return output
    if ctx.retry < ctx.max_retries or any(p.strict for p in problems):
        raise ModelRetry(" ".join(p.message for p in problems))
    log.warning("answer let through on its last attempt: %s",
                "; ".join(p.message[:80] for p in problems))
    return fit_to_budget(output, deps.answer_budget)


def check_hand_back(deps: AdvisorDeps, reroute: Reroute) -> Reroute:
    if not deps.may_hand_back:
        raise ModelRetry("This question was already handed to you: answer it with the answer tool.")
    if reroute.specialist is deps.specialist:
        raise ModelRetry("That is your own area: answer it with the answer tool.")
    return reroute


def _content_fields(answer: AdvisorAnswer) -> list[str]:
    return [n for n in type(answer).model_fields if n not in _CODE_SET]


def _texts(answer: AdvisorAnswer) -> list[str]:
    texts: list[str] = []
    for name in _content_fields(answer):
        value = getattr(answer, name)
        texts.extend([value] if isinstance(value, str) else [str(v) for v in value])
    return texts


# --- the checks ---------------------------------------------------------------------------
def language_problems(text: str, language: str) -> list[Problem]:
    found = wrong_language(text, language)
    if found is None:
        return []
    wanted = LANGUAGE_NAMES.get(language, language)
    return [Problem(f"Your answer is in {LANGUAGE_NAMES[found]}, but the user writes in {wanted}: "
                    f"write the whole answer in {wanted}. Text they asked to have in another "
                    "language (a translation, a pitch in English) goes in quotation marks.")]


def budget_problems(answer: AdvisorAnswer, budget: AnswerBudget) -> list[Problem]:
    problems: list[Problem] = []
    if budget.max_items is not None:
        for name, items in _lists(answer):
            if len(items) > budget.max_items:
                problems.append(Problem(
                    f"`{name}` has {len(items)} items; here each list holds at most "
                    f"{budget.max_items}: keep the most important {budget.max_items}."))
    if budget.max_chars is not None:
        length = len(answer.to_markdown())
        if length > budget.max_chars:
            problems.append(Problem(
                f"The answer is {length} characters; where the user reads it, it must stay under "
                f"{budget.max_chars}: make it shorter."))
    return problems


def routing_talk_problems(text: str) -> list[Problem]:
    match = _ROUTING_TALK.search(text)
    if match is None:
        return []
    return [Problem(f"Do not talk about how you work inside ({match.group(0)!r}): answer as "
                    "Ignacio, without mentioning specialists, routing or hand-backs.")]


async def citation_problems(ctx: RunContext[AdvisorDeps], text: str) -> list[Problem]:
    """Files and locations the answer cites that this turn's tools did not return."""
    if not _FILE_TOKEN.search(text):
        return []
    seen_text, locations = turn_evidence(ctx.messages)
    user_files = await ctx.deps.store.files.list_for_user(ctx.deps.user.id, limit=200)
    names = {f.file_name for f in user_files.items} | set(locations)
    problems: list[Problem] = []
    masked = text
    for name in sorted(names, key=len, reverse=True):  # "mi plan.pdf" before "plan.pdf"
        for match in re.finditer(re.escape(name), masked, re.I):
            problems += _cited(name, masked[match.end():match.end() + 60], seen_text, locations)
        masked = re.sub(re.escape(name), lambda m: " " * len(m.group(0)), masked, flags=re.I)
    for match in _FILE_TOKEN.finditer(masked):  # a file name that is none of theirs, cited
        if parse_location(masked[match.end():match.end() + 60], after_name=True):
            problems.append(Problem(f"{match.group(0)!r} is not one of the user's files: cite "
                                    "only files a tool returned in this turn.", strict=True))
    return list(dict.fromkeys(problems))


def _cited(name: str, following: str, seen_text: str, locations: dict[str, list[Location]]
           ) -> list[Problem]:
    if name.lower() not in seen_text:
        return [Problem(f"You cite {name!r}, but no tool returned it in this turn: search or "
                        "read the file first, or do not cite it.", strict=True)]
    cited = parse_location(following, after_name=True)
    if cited is None:
        return []
    if not any(covers(known, cited) for known in locations.get(name, [])):
        return [Problem(f"You cite {name!r} at {cited.label}, but the tools did not return that "
                        f"location in this turn: cite only locations a tool returned.", strict=True)]
    return []


def turn_evidence(messages: list[Any]) -> tuple[str, dict[str, list[Location]]]:
    """What this turn's tools returned and the user said (lower-cased, for name lookups), and
    the locations returned per file name."""
    start = 0
    for i, message in enumerate(messages):
        if isinstance(message, ModelRequest) and any(isinstance(p, UserPromptPart) for p in message.parts):
            start = i
    pieces: list[str] = []
    locations: dict[str, list[Location]] = {}
    for message in messages[start:]:
        if not isinstance(message, ModelRequest):
            continue
        for part in message.parts:
            if isinstance(part, UserPromptPart) and not isinstance(part, PinnedPromptPart):
                pieces.append(part.content if isinstance(part.content, str) else " ".join(
                    c for c in part.content if isinstance(c, str)))
            elif isinstance(part, ToolReturnPart) and part.outcome == "success":  # not a retry
                data = to_jsonable_python(part.content, fallback=str)
                pieces.append(to_json(data).decode())
                _collect_locations(data, locations)
    return "\n".join(pieces).lower(), locations


def _collect_locations(data: Any, out: dict[str, list[Location]]) -> None:
    if isinstance(data, list):
        for item in data:
            _collect_locations(item, out)
    elif isinstance(data, dict):
        name, where = data.get("file_name"), data.get("location")
        if isinstance(name, str) and isinstance(where, str) and (loc := parse_location(where)):
            out.setdefault(name, []).append(loc)
        for value in data.values():
            if isinstance(value, list | dict):
                _collect_locations(value, out)


# --- the last attempt -----------------------------------------------------------------------
def _lists(answer: AdvisorAnswer) -> list[tuple[str, list[Any]]]:
    return [(n, getattr(answer, n)) for n in _content_fields(answer)
            if isinstance(getattr(answer, n), list)]


def fit_to_budget(answer: AdvisorAnswer, budget: AnswerBudget) -> AdvisorAnswer:
    """Lists cut to the budget's item count (they are ordered most important first)."""
    if budget.max_items is None:
        return answer
    cut = {n: items[: budget.max_items] for n, items in _lists(answer) if len(items) > budget.max_items}
    return answer.model_copy(update=cut) if cut else answer
