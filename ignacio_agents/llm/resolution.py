"""Which model answers: ``PYDANTIC_AI_MODEL`` (and ``PYDANTIC_AI_TRIAGE_MODEL``) resolved to a
PydanticAI model, or the offline model when no provider is usable.

- Any PydanticAI model string works (``openai:…`` Responses API, ``openai-chat:…``,
  ``anthropic:…``, ``google:…``, ``groq:…``…). A bare name (the original spec's ``gpt-4``)
  means OpenAI Chat Completions.
- ``OPENAI_BASE_URL`` sends the OpenAI family to any OpenAI-compatible server (Ollama, vLLM)
  through ``OpenAIChatModel`` (such servers rarely implement the Responses API); only an
  explicit ``openai-responses:`` keeps the Responses API there. A local server needs no real key.
  The server gets its own PydanticAI provider and profile (``servers``: ``OPENAI_COMPATIBLE``,
  guessed from the URL).
- ``test`` / ``offline``, or no key for the chosen provider, select the offline model, so the app
  works end to end without accounts and says so in every answer.
"""

from __future__ import annotations

import logging

from pydantic_ai.exceptions import UserError
from pydantic_ai.models import Model, infer_model, parse_model_id
from pydantic_ai.models.wrapper import WrapperModel

from ignacio_agents.errors import Unavailable
from ignacio_agents.llm.servers import (
    compatible_provider,
    lean_client,
    server_kind,
    server_profile,
)
from ignacio_agents.offline import OfflineModel
from ignacio_agents.settings import Settings

log = logging.getLogger(__name__)

OFFLINE_NAMES = frozenset({"test", "offline"})
_OPENAI_FAMILY = frozenset({"openai", "openai-chat", "openai-responses"})
# Placeholder key for OpenAI-compatible servers that ignore it (the OpenAI client insists on one).
LOCAL_SERVER_KEY = "not-needed"


def model_string(name: str) -> str:
    """Normalise a configured model name: a bare name means OpenAI Chat Completions."""
    name = name.strip()
    if name in OFFLINE_NAMES:
        return name
    provider, _ = parse_model_id(name)
    return name if provider else f"openai-chat:{name}"


def resolve_model(settings: Settings, name: str | None = None) -> Model:
    """The model for ``name`` (default: ``PYDANTIC_AI_MODEL``), or the offline model."""
    configured = model_string(name or settings.pydantic_ai_model)
    if configured in OFFLINE_NAMES:
        return OfflineModel(settings.offline_stream_chunk_seconds)
    provider, model_name = parse_model_id(configured)
    assert provider is not None
    try:
        if provider in _OPENAI_FAMILY:
            return _openai_model(settings, provider, model_name)
        if provider == "anthropic":
            return _anthropic_model(settings, model_name)
        return infer_model(configured)  # other providers read their own *_API_KEY variables
    except _Unavailable as exc:
        log.warning("model %s is not usable (%s): answering with the offline model", configured, exc)
    except (UserError, ImportError) as exc:
        log.warning("model %s is not usable (%s): answering with the offline model",
                    configured, type(exc).__name__)
    return OfflineModel(settings.offline_stream_chunk_seconds)


async def close_model(model: Model) -> None:
    """Close the HTTP client of a model ``resolve_model`` made (its connections: an aiohttp
    session left to the garbage collector is logged as an error at exit)."""
    while isinstance(model, WrapperModel):
        model = model.wrapped
    close = getattr(getattr(model, "client", None), "close", None)
    if close is not None:
        await close()


def resolve_triage_model(settings: Settings, main: Model | None = None) -> Model:
    """The router's model: ``PYDANTIC_AI_TRIAGE_MODEL``, else the main model."""
    if settings.pydantic_ai_triage_model:
        return resolve_model(settings, settings.pydantic_ai_triage_model)
    return main if main is not None else resolve_model(settings)


class _Unavailable(Unavailable):
    """The configured model cannot be reached from here (no key, no package): use offline."""

    code = "model_unavailable"


def _openai_model(settings: Settings, provider: str, model_name: str) -> Model:
    from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
    from pydantic_ai.providers.openai import OpenAIProvider

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    base_url = settings.openai_base_url
    if not base_url:
        if not key:
            raise _Unavailable("OPENAI_API_KEY is not set")
        openai_provider = OpenAIProvider(openai_client=lean_client(api_key=key))
        if provider == "openai-chat":
            return OpenAIChatModel(model_name, provider=openai_provider)
        return OpenAIResponsesModel(model_name, provider=openai_provider)
    kind = settings.openai_compatible or server_kind(base_url)
    server = compatible_provider(kind, base_url, key or LOCAL_SERVER_KEY)
    if provider == "openai-responses":
        return OpenAIResponsesModel(model_name, provider=server)
    model = OpenAIChatModel(model_name, provider=server)
    overrides = server_profile(kind, known_window=model.context_window)
    return OpenAIChatModel(model_name, provider=server, profile=overrides) if overrides else model


def _anthropic_model(settings: Settings, model_name: str) -> Model:
    if settings.anthropic_api_key is None:
        raise _Unavailable("ANTHROPIC_API_KEY is not set")
    try:
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider
    except ImportError as exc:
        raise _Unavailable("the anthropic package is not installed") from exc
    return AnthropicModel(
        model_name, provider=AnthropicProvider(api_key=settings.anthropic_api_key.get_secret_value())
    )
