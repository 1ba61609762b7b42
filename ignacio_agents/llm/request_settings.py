"""Per-request ``ModelSettings`` from configuration: what every call to a model asks for."""

from __future__ import annotations

from pydantic_ai import ModelSettings

from ignacio_agents.settings import Settings


def model_settings(settings: Settings, *, triage: bool = False) -> ModelSettings:
    """Per-request settings from configuration (routing runs cold and short).

    A specialist calls one tool per response (``parallel_tool_calls=False``): a search and the
    answer in the same response would answer before the search result exists."""
    if triage:
        return ModelSettings(max_tokens=min(400, settings.pydantic_ai_max_tokens), temperature=0.0,
                             timeout=settings.model_timeout_seconds)
    return ModelSettings(max_tokens=settings.pydantic_ai_max_tokens,
                         temperature=settings.pydantic_ai_temperature,
                         timeout=settings.model_timeout_seconds, parallel_tool_calls=False)
