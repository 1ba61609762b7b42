"""Conversation memory: the exact PydanticAI messages of every turn, stored and replayed.

Each turn's ``new_messages()`` are stored append-only on the assistant message row (jsonb via
``ModelMessagesTypeAdapter``) and the next turn of the conversation replays them, so the model
sees its own earlier tool calls and answers, not a lossy transcript. Two rules keep this sound:

- binary content (an image sent as model input) is replaced by a short file reference before
  storing: the bytes live in the blob store, not base64 in every later request;
- before each model request, ``context_fit`` trims the history to what fits the model's window
  on user-turn boundaries (``trim_to_budget``), keeping the newest turns and always the current
  question. (The trimmed list only shapes the request: stored history is never overwritten.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError
from pydantic_ai import ModelMessagesTypeAdapter
from pydantic_ai.messages import (
    BinaryContent,
    ModelMessage,
    ModelRequest,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
    repair_messages,
)
from pydantic_core import to_json

from ignacio_agents.tokens import ENCODING_NAME, count_tokens

log = logging.getLogger(__name__)

DEFAULT_BUDGET = 6000
# Per-message framing the tokenizer does not see (role markers, separators) and a flat estimate
# for an image or other non-text input still in the current request.
MESSAGE_OVERHEAD_TOKENS = 4
TOOL_CALL_OVERHEAD_TOKENS = 8  # a tool call's id, type and framing
NON_TEXT_INPUT_TOKENS = 500


# --- storing ------------------------------------------------------------------------------
def file_reference(content: BinaryContent) -> str:
    return f"[attached file {content.identifier} ({content.media_type}): not kept in history]"


def _strip_content(content: Any) -> Any:
    if isinstance(content, BinaryContent):
        return file_reference(content)
    if isinstance(content, list | tuple):
        return [file_reference(c) if isinstance(c, BinaryContent) else c for c in content]
    return content


def strip_binary(messages: Sequence[ModelMessage]) -> list[ModelMessage]:
    """The same messages with every inline binary replaced by a text reference to its file."""
    out: list[ModelMessage] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            parts = [
                replace(p, content=_strip_content(p.content))
                if isinstance(p, UserPromptPart | ToolReturnPart) and not isinstance(p.content, str)
                else p
                for p in message.parts
            ]
            message = replace(message, parts=parts)
        out.append(message)
    return out


def to_storable(messages: Sequence[ModelMessage]) -> list[Any]:
    """jsonb-ready form of a turn's messages: binaries replaced by file references, and each
    request's ``instructions`` dropped (they hold the prompt and the user's profile, are rebuilt
    on every run, and only the current agent's are ever sent)."""
    cleaned = [
        replace(m, instructions=None) if isinstance(m, ModelRequest) else m
        for m in strip_binary(messages)
    ]
    return ModelMessagesTypeAdapter.dump_python(cleaned, mode="json")  # type: ignore[no-any-return]


def prepare_for_storage(messages: Sequence[ModelMessage]) -> tuple[list[Any], int]:
    """``to_storable`` plus the stored messages' token count (recorded so the next turns load
    only as much history as the budget can hold)."""
    stripped = strip_binary(messages)
    return to_storable(stripped), sum(message_tokens(m) for m in stripped)


def validated(rows: list[Any]) -> list[ModelMessage]:
    """Stored messages back to PydanticAI messages. A row that no longer validates (corrupted,
    or from an incompatible version) is skipped rather than breaking the conversation."""
    try:
        return ModelMessagesTypeAdapter.validate_python(rows)
    except ValidationError:
        pass
    messages: list[ModelMessage] = []
    for row in rows:
        try:
            messages.extend(ModelMessagesTypeAdapter.validate_python([row]))
        except ValidationError:
            log.warning("skipping a stored model message that does not validate")
    return messages


def load_history(rows: list[Any]) -> list[ModelMessage]:
    """``validated`` rows, repaired so they are always runnable (e.g. after a crash mid-turn)."""
    return repair_messages(validated(rows))


# --- counting and trimming ------------------------------------------------------------------
def _content_tokens(content: Any, encoding_name: str) -> int:
    if isinstance(content, str):
        return count_tokens(content, encoding_name)
    if isinstance(content, list | tuple):
        return sum(_content_tokens(c, encoding_name) for c in content)
    if isinstance(content, BinaryContent) or hasattr(content, "url"):
        return NON_TEXT_INPUT_TOKENS
    return count_tokens(to_json(content, fallback=str).decode(), encoding_name)


def message_tokens(message: ModelMessage, encoding_name: str = ENCODING_NAME) -> int:
    """Tokens of what a message puts in a request (text, tool arguments, tool results), with
    ``o200k_base`` unless the model counts with another encoding."""
    total = MESSAGE_OVERHEAD_TOKENS
    for part in message.parts:
        if isinstance(part, ToolCallPart):
            total += (count_tokens(part.tool_name, encoding_name)
                      + count_tokens(part.args_as_json_str(), encoding_name) + TOOL_CALL_OVERHEAD_TOKENS)
        elif hasattr(part, "content"):
            total += _content_tokens(part.content, encoding_name)
    return total


@dataclass(repr=False)
class PinnedPromptPart(UserPromptPart):
    """Context sent ahead of the history (the participant's memory), not a turn: the trim keeps
    it in front and counts it. A part type rather than a message mark, because PydanticAI
    merges consecutive requests (and their marks) before the trim sees them."""


def split_pinned(messages: list[ModelMessage]) -> tuple[list[ModelMessage], list[ModelMessage]]:
    """(the pinned parts as one leading request, the rest of the messages)."""
    first = messages[0] if messages else None
    if not isinstance(first, ModelRequest) or not any(
            isinstance(p, PinnedPromptPart) for p in first.parts):
        return [], messages
    pinned = [p for p in first.parts if isinstance(p, PinnedPromptPart)]
    others = [p for p in first.parts if not isinstance(p, PinnedPromptPart)]
    rest = [replace(first, parts=others)] if others else []
    return [replace(first, parts=pinned)], [*rest, *messages[1:]]


def starts_turn(message: ModelMessage) -> bool:
    """A safe place to cut: a request carrying what the user said."""
    return isinstance(message, ModelRequest) and any(
        isinstance(p, UserPromptPart) and not isinstance(p, PinnedPromptPart) for p in message.parts)


def trim_to_budget(
    messages: list[ModelMessage], budget: int,
    count: Callable[[ModelMessage], int] = message_tokens,
) -> list[ModelMessage]:
    """Keep pinned leading messages, the current turn (from the last user prompt on) and as
    many whole earlier turns, newest first, as fit in ``budget`` tokens."""
    head, messages = split_pinned(messages)
    starts = [i for i, m in enumerate(messages) if starts_turn(m)]
    if not starts:
        return [*head, *messages]
    keep_from = starts[-1]
    total = sum(count(m) for m in [*head, *messages[keep_from:]])
    for start in reversed(starts[:-1]):
        turn = sum(count(m) for m in messages[start:keep_from])
        if total + turn > budget:
            break
        total += turn
        keep_from = start
    if keep_from and log.isEnabledFor(logging.DEBUG):
        log.debug("history trimmed: %d of %d messages kept (%d tokens)",
                  len(messages) - keep_from, len(messages), total)
    return [*head, *messages[keep_from:]]


def request_tokens(messages: Sequence[ModelMessage]) -> int:
    """Tokens of a whole message list as this module counts them (tests and benchmarks)."""
    return sum(message_tokens(m) for m in messages)
