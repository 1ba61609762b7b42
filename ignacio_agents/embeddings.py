"""Text embeddings through an OpenAI-compatible ``/v1/embeddings`` endpoint (PydanticAI's Embedder).

Configured by ``EMBEDDINGS_MODEL`` (``text-embedding-3-small``, or an Ollama / vLLM model with
``EMBEDDINGS_BASE_URL``); the base URL and key fall back to the ``OPENAI_*`` settings like the
chat model and transcription do. Without a model there are no embeddings and search is full
text alone. Messages and file chunks are embedded in the background (``embedding_jobs``);
searches embed only the query, and a search whose query cannot be embedded (provider down,
slow) falls back to full text instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from openai import AsyncOpenAI
from pydantic_ai.embeddings import Embedder, EmbeddingSettings
from pydantic_ai.embeddings.openai import OpenAIEmbeddingModel
from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError
from pydantic_ai.providers.openai import OpenAIProvider

from ignacio_agents.errors import InvalidInput, Unavailable
from ignacio_agents.settings import Settings
from ignacio_agents.store.search import QueryVector

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 6_000
"""Texts are cut to this before embedding: well under the input limit of OpenAI's models (8,192
tokens) and of the common local ones (2,048 tokens), whatever the tokenizer."""

BATCH_SIZE = 64
"""Inputs per request (OpenAI accepts up to 2,048; small batches keep a failure cheap)."""

QUERY_TIMEOUT_SECONDS = 10.0
DOCUMENT_TIMEOUT_SECONDS = 60.0

REJECTED = frozenset({400, 413, 422})
"""Statuses that mean "this input will never be accepted" rather than "try again later"."""


class EmbeddingsUnavailable(Unavailable):
    """The provider could not embed now (network, 429, 5xx, bad key): try again later."""

    code = "embeddings_unavailable"


@dataclass
class Embeddings:
    """One configured embeddings model. ``model_key`` names the vector space: rows embedded by
    another model (or at other dimensions) are never compared with this one's vectors."""

    documents: Embedder  # background jobs: patient (long timeout, one retry)
    queries: Embedder  # searches in a turn: quick (short timeout, no retry)
    model_key: str
    min_similarity: float
    client: AsyncOpenAI

    async def embed_query(self, text: str) -> QueryVector | None:
        """The search's vector, or None (logged) when the provider fails: search goes on with
        full text alone."""
        text = prepare(text)
        if not text:
            return None
        try:
            result = await self.queries.embed_query(text)
        except ModelAPIError as exc:
            log.warning("query embedding failed, searching full text only: %s", _reason(exc))
            return None
        return QueryVector(self.model_key, list(result.embeddings[0]), self.min_similarity)

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float] | None]:
        """One vector per text, None for a text the provider refuses (it is not retried).

        Raises ``EmbeddingsUnavailable`` when the provider fails for a reason that may pass.
        """
        prepared = [prepare(t) for t in texts]
        out: list[list[float] | None] = [None] * len(prepared)
        todo = [i for i, t in enumerate(prepared) if t]
        for start in range(0, len(todo), BATCH_SIZE):
            batch = todo[start:start + BATCH_SIZE]
            try:
                vectors = await self._embed([prepared[i] for i in batch])
            except _Rejected:
                vectors = [await self._embed_alone(prepared[i]) for i in batch]
            for i, vector in zip(batch, vectors, strict=True):
                out[i] = vector
        return out

    async def _embed_alone(self, text: str) -> list[float] | None:
        try:
            return (await self._embed([text]))[0]
        except _Rejected as exc:
            log.warning("embeddings provider refused a text (%d characters): %s", len(text), exc)
            return None

    async def _embed(self, texts: list[str]) -> list[list[float] | None]:
        try:
            result = await self.documents.embed_documents(texts)
        except ModelHTTPError as exc:
            if exc.status_code in REJECTED:
                raise _Rejected(_reason(exc)) from None
            raise EmbeddingsUnavailable(_reason(exc)) from None
        except ModelAPIError as exc:
            raise EmbeddingsUnavailable(_reason(exc)) from None
        if len(result.embeddings) != len(texts):
            raise EmbeddingsUnavailable(
                f"asked for {len(texts)} embeddings, got {len(result.embeddings)}")
        return [list(v) for v in result.embeddings]

    async def aclose(self) -> None:
        await self.client.close()


class _Rejected(InvalidInput):
    """The provider refused this text itself (too long, filtered): retrying will not help."""

    code = "embedding_rejected"


def prepare(text: str | None) -> str:
    """What is sent for ``text``: trimmed and cut to ``MAX_INPUT_CHARS`` ('' for nothing)."""
    return (text or "").strip()[:MAX_INPUT_CHARS]


def _reason(exc: ModelAPIError) -> str:
    """Status and the provider's own message, short (never the request or the key)."""
    if isinstance(exc, ModelHTTPError):
        body = exc.body if isinstance(exc.body, dict) else {}
        return f"HTTP {exc.status_code}: {body.get('message') or exc.message}"[:300]
    return str(exc.message)[:300]


def model_key(settings: Settings) -> str | None:
    if not settings.embeddings_model:
        return None
    name = settings.embeddings_model.removeprefix("openai:")
    return f"{name}@{settings.embeddings_dimensions}" if settings.embeddings_dimensions else name


def open_embeddings(settings: Settings) -> Embeddings | None:
    """The configured embeddings model, or None when ``EMBEDDINGS_MODEL`` is unset or it has
    neither a key nor a self-hosted base URL (OpenAI itself needs a key)."""
    key = model_key(settings)
    if key is None:
        return None
    base_url = settings.embeddings_base_url or settings.openai_base_url
    secret = settings.embeddings_api_key or settings.openai_api_key
    api_key = secret.get_secret_value() if secret and secret.get_secret_value() else None
    if api_key is None and base_url is None:
        log.warning("EMBEDDINGS_MODEL is set but there is no EMBEDDINGS_API_KEY / OPENAI_API_KEY "
                    "(or EMBEDDINGS_BASE_URL): search stays full text only")
        return None
    client = AsyncOpenAI(api_key=api_key or "not-needed", base_url=base_url,
                         timeout=DOCUMENT_TIMEOUT_SECONDS, max_retries=1)
    name = settings.embeddings_model.removeprefix("openai:")  # type: ignore[union-attr]
    dims = settings.embeddings_dimensions
    options = EmbeddingSettings(dimensions=dims) if dims else None

    def embedder(c: AsyncOpenAI) -> Embedder:
        return Embedder(OpenAIEmbeddingModel(name, provider=OpenAIProvider(openai_client=c)),
                        settings=options)

    quick = client.with_options(timeout=QUERY_TIMEOUT_SECONDS, max_retries=0)
    return Embeddings(documents=embedder(client), queries=embedder(quick), model_key=key,
                      min_similarity=settings.embeddings_min_similarity, client=client)
