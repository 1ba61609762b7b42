"""Token usage of a turn as stored on the assistant message: totals, and the specialist's and
the router's shares with the model that spent them."""

from __future__ import annotations

from typing import Any

from pydantic_ai.usage import RunUsage


def usage_dict(usage: RunUsage | None) -> dict[str, int]:
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0, "requests": 0}
    return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "requests": usage.requests}


def answer_usage(specialist: RunUsage, triage: RunUsage | None, *, model: str,
                 triage_model: str) -> dict[str, Any]:
    """The usage record of an answered turn (``history_tokens`` is added when storing)."""
    answer, routing = usage_dict(specialist), usage_dict(triage)
    return {
        **{key: answer[key] + routing[key] for key in answer},
        "model": model,
        "specialist": {**answer, "tool_calls": specialist.tool_calls},
        "triage": {**routing, "model": triage_model},
    }


def fallback_usage(triage: RunUsage | None, *, model: str, error: str) -> dict[str, Any]:
    """The usage record of a turn answered with the fallback: only the router spent tokens."""
    return {**usage_dict(triage), "model": model, "error": error}


def routed_only_usage(triage: RunUsage | None, *, triage_model: str) -> dict[str, Any]:
    """The usage record of a turn only the router spent tokens on (a request for a person)."""
    return {**usage_dict(triage), "model": triage_model, "triage": {**usage_dict(triage),
                                                                    "model": triage_model}}
