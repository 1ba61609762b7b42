"""OpenAI-compatible servers (``OPENAI_BASE_URL``): which kind, its PydanticAI provider, and the
few profile settings PydanticAI's own provider profile leaves to us.

Ollama and vLLM each have a PydanticAI provider whose model profiles know what those servers
accept (no ``strict`` tool definitions on Ollama, ``$defs`` inlined for the model families that
need it). Driving them with the OpenAI provider instead sends OpenAI's settings, which they
reject or silently ignore. On top of the provider's profile:

- ``max_tokens`` rather than ``max_completion_tokens`` (Ollama ignores the latter, so answers
  were never capped; vLLM accepts both);
- a context window when nobody knows the model's: Ollama's default context is 4,096 tokens
  (raise it with ``OLLAMA_CONTEXT_LENGTH`` and set ``PYDANTIC_AI_CONTEXT_WINDOW`` to match),
  anything else is assumed to have 8,192.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit
from urllib.request import getproxies

import httpx2
from openai import AsyncOpenAI
from pydantic_ai.profiles.openai import OpenAIModelProfile
from pydantic_ai.providers import Provider

ServerKind = Literal["openai", "ollama", "vllm"]

OLLAMA_DEFAULT_CONTEXT = 4096
UNKNOWN_SERVER_CONTEXT = 8192
OLLAMA_PORT = 11434
VLLM_PORT = 8000


def server_kind(base_url: str) -> ServerKind:
    """A guess from the URL: Ollama's port or name, vLLM's port or name, else OpenAI-like."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if parts.port == OLLAMA_PORT or "ollama" in host:
        return "ollama"
    if parts.port == VLLM_PORT or "vllm" in host:
        return "vllm"
    return "openai"


def compatible_provider(kind: ServerKind, base_url: str, api_key: str) -> Provider[AsyncOpenAI]:
    """PydanticAI's provider for this kind of server, on a :func:`lean_client`."""
    client = lean_client(base_url=base_url, api_key=api_key)
    if kind == "ollama":
        from pydantic_ai.providers.ollama import OllamaProvider

        return OllamaProvider(openai_client=client)
    if kind == "vllm":
        from pydantic_ai.providers.vllm import VLLMProvider

        return VLLMProvider(openai_client=client)
    from pydantic_ai.providers.openai import OpenAIProvider

    return OpenAIProvider(openai_client=client)


# PydanticAI's own pool limits for a provider's client (the OpenAI SDK's too).
HTTP_LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)


def lean_client(*, api_key: str, base_url: str | None = None) -> AsyncOpenAI:
    """The OpenAI client PydanticAI's providers would make (its HTTP client: timeouts, user
    agent, pool limits), sending plain-JSON chat requests without the SDK's transform
    (``lean_openai``), over aiohttp: the SDK's supported transport, about half the CPU per
    request of httpx's own (0.6 → 0.3 ms; two requests per turn)."""
    from httpx_aiohttp.httpx2 import AiohttpTransport
    from pydantic_ai.models import create_async_httpx2_client

    from ignacio_agents.llm.lean_openai import LeanAsyncOpenAI

    # Behind a proxy (HTTP(S)_PROXY, as httpx reads it), httpx's own transport, which uses it.
    transport = None if getproxies() else AiohttpTransport(limits=HTTP_LIMITS)
    return LeanAsyncOpenAI(base_url=base_url, api_key=api_key,
                           http_client=create_async_httpx2_client(transport=transport))


def server_profile(kind: ServerKind, *, known_window: int | None) -> OpenAIModelProfile | None:
    """Profile settings layered over the provider's own (``None``: nothing to add)."""
    overrides = OpenAIModelProfile()
    if kind in ("ollama", "vllm"):
        overrides["openai_chat_supports_max_completion_tokens"] = False
    if known_window is None:
        overrides["context_window"] = OLLAMA_DEFAULT_CONTEXT if kind == "ollama" else UNKNOWN_SERVER_CONTEXT
    return overrides or None
