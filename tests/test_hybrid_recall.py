"""Hybrid recall: embeddings through a strict fake OpenAI-compatible server, the background job
that embeds messages and chunks, and pgvector + full-text fusion finding across languages what
full text alone cannot."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from pydantic_ai import models

from ignacio_agents.crypto import PhoneCipher
from ignacio_agents.db import Database
from ignacio_agents.domain import MessageType
from ignacio_agents.embedding_jobs import TASK, embed_round, request_embedding
from ignacio_agents.embeddings import Embeddings, EmbeddingsUnavailable, open_embeddings
from ignacio_agents.recall import Recall
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store
from ignacio_agents.store.files import ChunkIn
from ignacio_agents.store.messages import NewMessage
from tests.fakes.embeddings import API_KEY, FakeEmbeddingsServer, vector_for


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeEmbeddingsServer]:
    with FakeEmbeddingsServer() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeEmbeddingsServer) -> Iterator[FakeEmbeddingsServer]:
    fake_server.requests.clear()
    fake_server._failures.clear()
    with models.override_allow_model_requests(True):
        yield fake_server


@pytest.fixture
async def store(conninfo: str) -> Any:
    db = await Database.open(conninfo, min_size=1, max_size=4)
    try:
        yield Store(db, PhoneCipher.from_settings(_key(), _key()))
    finally:
        await db.close()


@pytest.fixture
async def embeddings(fake: FakeEmbeddingsServer, make_settings: Any) -> Any:
    found = open_embeddings(make_settings(**fake.settings_overrides()))
    assert found is not None
    yield found
    await found.aclose()


async def _message(store: Store, user_id: UUID, text: str, *, title: str = "Chat",
                   from_user: bool = True) -> UUID:
    conversation = await store.conversations.create(user_id, "web", title)
    message = await store.messages.add(NewMessage(
        conversation_id=conversation.id, user_id=user_id, is_from_user=from_user, content=text))
    assert message is not None
    return message.id


async def _file(store: Store, user_id: UUID, name: str, parts: list[tuple[str, str]]) -> UUID:
    file_id = uuid.uuid4()
    await store.files.create(
        file_id=file_id, user_id=user_id, file_name=name,
        file_path=f"users/{user_id}/files/{file_id}/{name}", file_type="application/pdf",
        file_size=100, kind=MessageType.document, extraction_status="done")
    await store.files.replace_chunks(file_id, user_id, [
        ChunkIn(ordinal=i, part=part, location=part.replace(":", " "), content=text)
        for i, (part, text) in enumerate(parts)])
    return file_id


# --- the fake is as strict as the real service ---------------------------------------------
def test_fake_answers_like_openai_and_refuses_what_openai_refuses(
        fake: FakeEmbeddingsServer) -> None:
    url = f"{fake.base_url}/embeddings"
    auth = {"Authorization": f"Bearer {API_KEY}"}
    ok = httpx.post(url, headers=auth, json={"model": "text-embedding-3-small",
                                             "input": ["precio", "price"]})
    assert ok.status_code == 200
    body = ok.json()
    assert [d["index"] for d in body["data"]] == [0, 1] and len(body["data"][0]["embedding"]) == 1536
    assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] > 0

    def error(payload: dict[str, Any], headers: dict[str, str] = auth) -> tuple[int, dict[str, Any]]:
        response = httpx.post(url, headers=headers, json=payload)
        return response.status_code, response.json()["error"]

    status, err = error({"model": "text-embedding-3-small", "input": "x"}, {})
    assert status == 401 and err["code"] == "invalid_api_key"
    assert set(err) == {"message", "type", "param", "code"}
    assert error({"model": "nope", "input": "x"})[0] == 404
    assert error({"model": "text-embedding-3-small", "input": ""})[0] == 400
    assert error({"model": "text-embedding-3-small", "input": ["a"] * 2049})[0] == 400
    status, err = error({"model": "text-embedding-3-small", "input": "palabra " * 9000})
    assert status == 400 and "maximum context length is 8192 tokens" in err["message"]
    assert error({"model": "nomic-embed-text", "input": "x", "dimensions": 64})[0] == 400
    assert error({"model": "text-embedding-3-small", "input": "x", "encoding_format": "int8"})[0] == 400


def test_fake_vectors_put_translations_near_and_unrelated_texts_far() -> None:
    def cosine(a: str, b: str) -> float:
        return sum(x * y for x, y in zip(vector_for(a, 256), vector_for(b, 256), strict=True))

    assert cosine("precio de la caja familiar", "family box price") > 0.8
    assert cosine("precio de la caja familiar", "the electric van quote") < 0.1


# --- the client ----------------------------------------------------------------------------
async def test_client_embeds_in_batches_and_skips_what_the_provider_refuses(
        fake: FakeEmbeddingsServer, embeddings: Embeddings) -> None:
    texts = ["precio", "", "  ", "furgoneta", *[f"texto {i}" for i in range(70)]]
    vectors = await embeddings.embed_documents(texts)
    assert vectors[1] is None and vectors[2] is None  # blank texts are never sent (OpenAI: 400)
    assert all(v is not None and len(v) == 1536 for i, v in enumerate(vectors) if i not in (1, 2))
    assert [len(r.inputs) for r in fake.requests] == [64, 8]  # batches of 64
    fake.requests.clear()
    fake.fail_next(400, "'$.input' is invalid.")  # the batch is refused: each text on its own
    fake.fail_next(400, "'$.input' is invalid.")  # ... and the first of them again
    vectors = await embeddings.embed_documents(["uno", "dos"])
    assert vectors[0] is None and vectors[1] is not None
    assert [r.inputs for r in fake.requests] == [["uno", "dos"], ["uno"], ["dos"]]


async def test_client_reports_an_outage_and_queries_fall_back_to_full_text(
        fake: FakeEmbeddingsServer, embeddings: Embeddings) -> None:
    fake.fail_next(503, "overloaded", times=2)  # the job's client retries once
    with pytest.raises(EmbeddingsUnavailable):
        await embeddings.embed_documents(["precio"])
    fake.fail_next(500, "boom")  # a search does not wait for a retry
    assert await embeddings.embed_query("precio") is None
    query = await embeddings.embed_query("precio")
    assert query is not None and query.model == "text-embedding-3-small"


def test_without_a_model_or_a_way_to_reach_one_there_are_no_embeddings(
        make_settings: Any) -> None:
    assert open_embeddings(make_settings()) is None
    assert open_embeddings(make_settings(embeddings_model="text-embedding-3-small")) is None
    s: Settings = make_settings(embeddings_model="nomic-embed-text",
                                embeddings_base_url="http://127.0.0.1:11434/v1",
                                embeddings_dimensions=None)
    assert open_embeddings(s) is not None  # a local server needs no key


# --- the background job --------------------------------------------------------------------
async def test_the_job_embeds_everything_once_and_again_only_what_changed(
        fake: FakeEmbeddingsServer, embeddings: Embeddings, store: Store, make_settings: Any) -> None:
    ana = await store.users.create("+34600000001", "Ana")
    first = await _message(store, ana.id, "Launch the family box at 35 euros")
    await _message(store, ana.id, "Hola")
    await _file(store, ana.id, "plan.pdf", [("page:1", "Precio: 29 €"), ("page:2", "Riesgos")])
    assert await embed_round(store, embeddings) == (4, False)
    assert await store.embeddings.counts("text-embedding-3-small") == {"messages": 2, "chunks": 2}
    assert any(t.startswith("plan.pdf (page 1)\n") for t in fake.embedded)  # chunks carry where
    assert await embed_round(store, embeddings) == (0, False)  # idempotent
    await store.messages.set_content(first, "Launch the family box at 36 euros")
    fake.requests.clear()
    assert await embed_round(store, embeddings) == (1, False)
    assert fake.embedded == ["Launch the family box at 36 euros"]
    # A round is bounded; the rest is left for the next round.
    for i in range(5):
        await _message(store, ana.id, f"mensaje {i}")
    assert await embed_round(store, embeddings, max_rows=3) == (3, True)
    assert await embed_round(store, embeddings) == (2, False)
    # Another model (or other dimensions) is another vector space: everything again.
    other = open_embeddings(make_settings(**fake.settings_overrides(), embeddings_dimensions=256))
    assert other is not None and other.model_key == "text-embedding-3-small@256"
    assert (await embed_round(store, other))[0] == 9
    await other.aclose()


async def test_an_extracted_file_queues_the_job_and_the_worker_embeds_it(
        fake: FakeEmbeddingsServer, make_settings: Any, make_client: Any) -> None:
    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token
    from ignacio_agents.file_jobs import run_extraction
    from ignacio_agents.jobs import worker_options
    from tests import filegen
    from tests.uploads import upload

    client = await make_client(make_settings(**fake.settings_overrides()))
    rt = client.runtime
    ana = await rt.store.users.create("+34600000001", "Ana")
    session = await rt.store.sessions.create(ana.id, new_token(), timedelta(days=1))
    headers = {"Authorization": f"Bearer {issue_access_token(rt.settings, ana.id, session.id, False)}"}
    await _message(rt.store, ana.id, "La furgoneta eléctrica cuesta 18.000 euros")
    response = await upload(client, headers, "notes.txt", filegen.make_txt(), "text/plain")
    assert response.status_code == 201, response.text
    sql = "select count(*) from procrastinate_jobs where task_name = %s and status = 'todo'"
    assert await rt.db.fetch_value(sql, TASK) == 0
    assert await run_extraction(rt, UUID(response.json()["id"])) == "done"
    assert await rt.db.fetch_value(sql, TASK) == 1  # queued by the extraction
    await request_embedding(rt)  # one is waiting already: a no-op
    assert await rt.db.fetch_value(sql, TASK) == 1
    await rt.jobs.run_worker_async(**worker_options(rt, wait=False, concurrency=1))
    assert await rt.store.embeddings.counts("text-embedding-3-small") == {"messages": 1, "chunks": 1}


# --- hybrid retrieval ----------------------------------------------------------------------
async def test_hybrid_finds_across_languages_what_full_text_cannot(
        fake: FakeEmbeddingsServer, embeddings: Embeddings, store: Store) -> None:
    ana = await store.users.create("+34600000001", "Ana")
    van = await _message(store, ana.id, "We got a quote for an electric van: 18,000 euros.",
                         title="Logistics")
    await _message(store, ana.id, "I suggest launching the family box at 35 euros.",
                   from_user=False)
    await _message(store, ana.id, "¿Hacemos el reparto los jueves?")
    deck = await _file(store, ana.id, "deck.pptx", [
        ("slide:3", "Market size: 85,000 households already buy organic produce."),
        ("slide:4", "Traction: 86 active subscribers."),
    ])
    await embed_round(store, embeddings)
    question = "precio de la furgoneta"
    assert await Recall(store).history(ana.id, question) == []  # full text: no shared word
    hits = await Recall(store, embeddings).history(ana.id, question)
    # Unrelated messages fall under the similarity floor: no noise for the model.
    assert [h.message_id for h in hits] == [van]
    assert hits[0].snippet == "We got a quote for an electric van: 18,000 euros."

    assert await Recall(store).files(ana.id, "tamaño del mercado hogares") == []
    passages = await Recall(store, embeddings).files(ana.id, "tamaño del mercado hogares")
    assert passages[0].file_id == deck and passages[0].location == "slide 3"


async def test_hybrid_keeps_what_full_text_finds_and_fuses_both_rankings(
        fake: FakeEmbeddingsServer, embeddings: Embeddings, store: Store) -> None:
    ana = await store.users.create("+34600000001", "Ana")
    exact = await _message(store, ana.id, "El código del cupón es HV-2027-PRIMAVERA")
    both = await _message(store, ana.id, "El precio de la caja familiar es 35 euros")
    english = await _message(store, ana.id, "The large box for households costs 35 euros")
    await embed_round(store, embeddings)
    recall = Recall(store, embeddings)
    # A code only full text can match (no concept in it) is still found.
    assert (await recall.history(ana.id, "HV-2027-PRIMAVERA"))[0].message_id == exact
    # Found by both rankings beats found by one.
    hits = await recall.history(ana.id, "precio caja familiar")
    assert [h.message_id for h in hits[:2]] == [both, english]
    # An outage while searching: full text alone, no error.
    fake.fail_next(503, "overloaded")
    assert [h.message_id for h in await recall.history(ana.id, "precio caja familiar")] == [both]


async def test_another_users_vectors_are_never_searched(
        fake: FakeEmbeddingsServer, embeddings: Embeddings, store: Store) -> None:
    ana = await store.users.create("+34600000001", "Ana")
    bob = await store.users.create("+34600000002", "Bob")
    await _message(store, bob.id, "The family box price is 35 euros")
    await embed_round(store, embeddings)
    assert await Recall(store, embeddings).history(ana.id, "precio caja familiar") == []


async def test_a_turn_with_embeddings_configured_searches_hybrid(
        fake: FakeEmbeddingsServer, make_settings: Any, make_client: Any) -> None:
    """The engine hands the runtime's embeddings to the specialists' tools: a Spanish search
    finds the English message in a real turn."""
    from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
    from pydantic_ai.models.function import AgentInfo
    from pydantic_core import to_json

    from ignacio_agents.domain import InboundMessage, Specialist
    from ignacio_agents.engine import ConversationEngine
    from tests.scripted_models import answer_for, route_to, scripted, tool_returns_of_this_turn

    client = await make_client(make_settings(**fake.settings_overrides()))
    rt = client.runtime
    ana = await rt.store.users.create("+34600000001", "Ana")
    await _message(rt.store, ana.id, "We got a quote for an electric van: 18,000 euros.",
                   title="Logistics")
    await embed_round(rt.store, rt.embeddings)
    seen: dict[str, Any] = {}

    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = tool_returns_of_this_turn(messages)
        if returns:
            seen.update(returns)
            return answer_for(info)
        return ModelResponse(parts=[ToolCallPart("search_history",
                                                 {"query": "precio de la furgoneta"})])

    engine = ConversationEngine.from_runtime(rt, model=scripted(script),
                                             triage_model=route_to(Specialist.financial))
    conversation = await rt.store.conversations.create(ana.id)
    turn = await engine.run_turn(InboundMessage(
        user_id=ana.id, conversation_id=conversation.id, channel="web",
        text="¿Cuánto costaba la furgoneta?"))
    assert not turn.is_fallback
    assert "18,000 euros" in to_json(seen["search_history"]).decode()
    assert "precio de la furgoneta" in fake.embedded  # the query, embedded in the turn
