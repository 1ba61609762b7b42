"""Every specialist request fitted to the model's context window.

The history budget of a request is computed, not configured::

    min(HISTORY_TOKEN_BUDGET, window - instructions - tool definitions - reserved output - margin)

counted with the model's own tokenizer (``tokens.encoding_name_for``), just before the request
goes out (a PydanticAI ``before_model_request`` hook sees the exact instructions, tools and
settings of that request). The reserved output is ``PYDANTIC_AI_MAX_TOKENS``, lowered to a
quarter of a small window so a 4k model still has room for history and tool results; the
request's ``max_tokens`` is lowered with it, since providers count it against the window.

The current turn always goes: whole earlier turns are dropped oldest first (``memory``), and if
the current turn alone is over budget its tool results (a ``read_file`` of a long PDF), then the
question itself, are cut to fit. Only the request changes: the run's history, and so what is
stored, keeps every message whole. With an unknown window the configured budget is all there is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.messages import ModelMessage, ModelRequest, ToolReturnPart, UserPromptPart
from pydantic_ai.models import ModelRequestContext, ModelRequestParameters
from pydantic_ai.settings import ModelSettings

from ignacio_agents.memory import DEFAULT_BUDGET, message_tokens, starts_turn, trim_to_budget
from ignacio_agents.tokens import count_tokens, encoding, encoding_name_for

log = logging.getLogger(__name__)

# Tokens kept free of our own estimate: per-message framing we cannot see and tokenizer drift
# for models that do not count with tiktoken.
MARGIN_FRACTION = 0.05
MIN_MARGIN = 64
MIN_OUTPUT_TOKENS = 512
# A tool result is never cut below this (a truncated result still has to say something).
MIN_TOOL_RESULT_TOKENS = 64
TRUNCATION_NOTE = "\n[… cut to fit the model's context window: {dropped} more tokens not shown]"


@dataclass(frozen=True)
class RequestPlan:
    """How one request spends the window."""

    history_budget: int  # messages: earlier turns and the current one
    max_tokens: int | None  # the answer's cap to send (None: leave the request's as it is)


def margin(window: int) -> int:
    return max(MIN_MARGIN, int(window * MARGIN_FRACTION))


def plan_request(*, window: int | None, ceiling: int, fixed: int, max_tokens: int | None) -> RequestPlan:
    """The history budget and answer cap for a request whose instructions and tool definitions
    take ``fixed`` tokens."""
    if window is None:
        return RequestPlan(history_budget=ceiling, max_tokens=max_tokens)
    reserved = max_tokens if max_tokens is not None else MIN_OUTPUT_TOKENS
    reserved = min(reserved, max(MIN_OUTPUT_TOKENS, window // 4))
    room = window - fixed - reserved - margin(window)
    return RequestPlan(history_budget=max(0, min(ceiling, room)), max_tokens=reserved)


def fixed_tokens(params: ModelRequestParameters, count: Callable[[str], int]) -> int:
    """Instructions and tool definitions of a request, as the provider receives them."""
    instructions = "\n\n".join(p.content for p in params.instruction_parts or [])
    tools = [
        {"type": "function", "function": {"name": t.name, "description": t.description or "",
                                          "parameters": t.parameters_json_schema}}
        for t in (*params.function_tools, *params.output_tools)
    ]
    return count(instructions) + (count(json.dumps(tools, ensure_ascii=False)) if tools else 0)


def _cut(text: str, limit: int, encoding_name: str) -> str:
    enc = encoding(encoding_name)
    ids = enc.encode(text, disallowed_special=())
    if len(ids) <= limit:
        return text
    note_tokens = len(enc.encode(TRUNCATION_NOTE.format(dropped=len(ids)), disallowed_special=()))
    keep = max(0, limit - note_tokens)
    return enc.decode(ids[:keep]) + TRUNCATION_NOTE.format(dropped=len(ids) - keep)


def _as_text(content: Any) -> str:
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, default=str)


def bound_current_turn(messages: list[ModelMessage], budget: int, encoding_name: str) -> list[ModelMessage]:
    """The current turn (from the last user prompt on) cut to ``budget``: tool results first,
    evenly, then the question's text. Earlier messages are returned untouched."""
    count = _counter(encoding_name)
    starts = [i for i, m in enumerate(messages) if starts_turn(m)]
    start = starts[-1] if starts else 0
    current = messages[start:]
    over = sum(count(m) for m in current) - budget
    if over <= 0:
        return messages
    results = {(i, j): p for i, m in enumerate(current) if isinstance(m, ModelRequest)
               # exactly ToolReturnPart: its subclasses (tool search, capabilities) carry
               # structured content that a cut to text would break
               for j, p in enumerate(m.parts) if type(p) is ToolReturnPart}
    if results:
        sizes = {key: count_tokens(_as_text(p.content), encoding_name) for key, p in results.items()}
        share = max(MIN_TOOL_RESULT_TOKENS, (sum(sizes.values()) - over) // len(results))
        current = _replace_parts(current, {key: share for key in results if sizes[key] > share},
                                 encoding_name)
        over = sum(count(m) for m in current) - budget
    if over > 0:
        prompts = {(i, j): count_tokens(_as_text(p.content), encoding_name)
                   for i, m in enumerate(current) if isinstance(m, ModelRequest)
                   for j, p in enumerate(m.parts)
                   if isinstance(p, UserPromptPart) and isinstance(p.content, str)}
        current = _replace_parts(current, {k: max(MIN_TOOL_RESULT_TOKENS, n - over)
                                           for k, n in prompts.items()}, encoding_name)
    log.info("current turn cut to fit the context window (%d tokens over before cutting)", over)
    return [*messages[:start], *current]


def _replace_parts(messages: Sequence[ModelMessage], limits: dict[tuple[int, int], int],
                   encoding_name: str) -> list[ModelMessage]:
    """Copies of ``messages`` with the parts at ``limits`` cut to their limit (never in place:
    the run's history shares these objects)."""
    out = list(messages)
    for (i, j), limit in limits.items():
        message = out[i]
        assert isinstance(message, ModelRequest)
        parts = list(message.parts)
        part = parts[j]
        if isinstance(part, UserPromptPart):
            parts[j] = replace(part, content=_cut(_as_text(part.content), limit, encoding_name))
        else:
            assert type(part) is ToolReturnPart  # the only other part fit_messages cuts
            parts[j] = _tool_result(part, _cut(_as_text(part.content), limit, encoding_name))
        out[i] = replace(message, parts=parts)
    return out


def _tool_result(part: ToolReturnPart[Any], content: str) -> ToolReturnPart[Any]:
    return replace(part, content=content)


def _counter(encoding_name: str) -> Callable[[ModelMessage], int]:
    return lambda m: message_tokens(m, encoding_name)


def fit_messages(messages: list[ModelMessage], budget: int, encoding_name: str) -> list[ModelMessage]:
    """Whole newest turns within ``budget``, and the current turn bounded to it."""
    trimmed = trim_to_budget(messages, budget, _counter(encoding_name))
    return bound_current_turn(trimmed, budget, encoding_name)


@dataclass
class FitToContextWindow(AbstractCapability[Any]):
    """The ``before_model_request`` hook that applies all of the above to every request.

    Reads ``deps.history_token_budget`` (the ceiling; the engine lowers it to retry after a
    provider's "context too long") and ``deps.context_window`` (``None``: unknown)."""

    async def before_model_request(self, ctx: RunContext[Any],
                                   request_context: ModelRequestContext) -> ModelRequestContext:
        deps = ctx.deps
        ceiling = getattr(deps, "history_token_budget", None) or DEFAULT_BUDGET
        window = getattr(deps, "context_window", None)
        encoding_name = encoding_name_for(request_context.model.model_name)
        settings: ModelSettings = request_context.model_settings or {}
        plan = plan_request(
            window=window, ceiling=ceiling, max_tokens=settings.get("max_tokens"),
            fixed=fixed_tokens(request_context.model_request_parameters,
                               lambda text: count_tokens(text, encoding_name)),
        )
        if plan.max_tokens is not None and plan.max_tokens != settings.get("max_tokens"):
            fitted = settings.copy()
            fitted["max_tokens"] = plan.max_tokens
            request_context.model_settings = fitted
        request_context.messages = fit_messages(list(request_context.messages), plan.history_budget,
                                                encoding_name)
        return request_context

    @classmethod
    def get_serialization_name(cls) -> str | None:
        return None
