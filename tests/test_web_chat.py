"""The web chat API through HTTP: conversations, paging, streamed turns, disconnects, files,
feedback, and other users' ids."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import httpx
import uvicorn
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo

from ignacio_agents.domain import Specialist
from ignacio_agents.engine import ConversationEngine
from tests.filegen import make_pdf
from tests.scripted_models import answer_for, canned_answers, route_to, scripted


def parse_sse(raw: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for frame in raw.strip().split("\n\n"):
        lines = [ln for ln in frame.splitlines() if ln and not ln.startswith(":")]
        if not lines:
            continue
        name = next(ln[7:] for ln in lines if ln.startswith("event: "))
        data = json.loads("".join(ln[6:] for ln in lines if ln.startswith("data: ")))
        events.append((name, data))
    return events


def use_engine(client: Any, **models: Any) -> ConversationEngine:
    engine = ConversationEngine.from_runtime(client.runtime, **models)
    client.runtime.engine = engine
    return engine


async def test_conversation_crud_and_listing(client, make_user, auth_headers):
    user = await make_user()
    h = await auth_headers(user)
    created = [(await client.post("/conversations", json={"title": f"c{i}"}, headers=h)).json()
               for i in range(3)]
    listed = (await client.get("/conversations", params={"limit": 2}, headers=h)).json()
    assert [c["title"] for c in listed["items"]] == ["c2", "c1"] and listed["next_cursor"]
    rest = (await client.get("/conversations", params={"cursor": listed["next_cursor"]},
                             headers=h)).json()
    assert [c["title"] for c in rest["items"]] == ["c0"]
    renamed = await client.patch(f"/conversations/{created[0]['id']}", json={"title": "Plan"},
                                 headers=h)
    assert renamed.status_code == 200 and renamed.json()["title"] == "Plan"
    assert (await client.delete(f"/conversations/{created[1]['id']}", headers=h)).status_code == 204
    remaining = (await client.get("/conversations", headers=h)).json()["items"]
    assert {c["title"] for c in remaining} == {"Plan", "c2"}


async def test_streamed_turn_emits_route_deltas_and_done(client, make_user, auth_headers):
    use_engine(client, model=scripted(canned_answers), triage_model=route_to(Specialist.marketing))
    user = await make_user()
    h = await auth_headers(user)
    conv = (await client.post("/conversations", json={}, headers=h)).json()
    resp = await client.post(f"/conversations/{conv['id']}/messages",
                             json={"content": "¿Cómo consigo mis primeros clientes?"},
                             headers={**h, "Accept": "text/event-stream"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(resp.text)
    names = [n for n, _ in events]
    assert names[0] == "route" and names[-1] == "done"
    assert events[0][1]["specialist"] == "marketing"
    assert {"answer", "json"} <= set(names)
    done = events[-1][1]
    assert done["message"]["role"] == "assistant" and done["message"]["agent"] == "marketing"
    assert done["message"]["answer"]["kind"] == "marketing"
    assert done["user_message"]["content"] == "¿Cómo consigo mis primeros clientes?"
    page = (await client.get(f"/conversations/{conv['id']}/messages", headers=h)).json()
    assert [m["id"] for m in page["items"]] == [done["message"]["id"], done["user_message"]["id"]]
    titled = (await client.get("/conversations", headers=h)).json()["items"][0]
    assert titled["title"].startswith("¿Cómo consigo")


async def test_json_turn_and_feedback(client, make_user, auth_headers):
    use_engine(client, model=scripted(canned_answers), triage_model=route_to(Specialist.financial))
    user = await make_user()
    h = await auth_headers(user)
    conv = (await client.post("/conversations", json={}, headers=h)).json()
    resp = await client.post(f"/conversations/{conv['id']}/messages",
                             json={"content": "Is my budget enough?"}, headers=h)
    assert resp.status_code == 200
    answer = resp.json()["message"]
    assert answer["agent"] == "financial" and answer["answer"]["kind"] == "financial"
    liked = await client.post(f"/messages/{answer['id']}/feedback", json={"value": 1}, headers=h)
    assert liked.status_code == 200 and liked.json()["feedback"] == 1
    cleared = await client.post(f"/messages/{answer['id']}/feedback", json={"value": 0}, headers=h)
    assert cleared.json()["feedback"] is None


async def test_other_users_conversation_and_messages_are_404(client, make_user, auth_headers):
    use_engine(client, model=scripted(canned_answers), triage_model=route_to(Specialist.general))
    ana, bob = await make_user("Ana"), await make_user("Bob")
    ha, hb = await auth_headers(ana), await auth_headers(bob)
    conv = (await client.post("/conversations", json={}, headers=ha)).json()
    turn = (await client.post(f"/conversations/{conv['id']}/messages", json={"content": "hola"},
                              headers=ha)).json()
    cid, mid = conv["id"], turn["message"]["id"]
    for method, path, body in [
        ("POST", f"/conversations/{cid}/messages", {"content": "hi"}),
        ("GET", f"/conversations/{cid}/messages", None),
        ("PATCH", f"/conversations/{cid}", {"title": "mine"}),
        ("DELETE", f"/conversations/{cid}", None),
        ("POST", f"/messages/{mid}/feedback", {"value": -1}),
    ]:
        resp = await client.request(method, path, json=body, headers=hb)
        assert resp.status_code == 404, (method, path)
        assert resp.json()["error"]["code"] == "not_found"
    transcript = await client.runtime.store.messages.transcript(cid)
    assert len(transcript) == 2 and transcript[1].feedback is None


async def test_message_with_someone_elses_file_is_404(client, make_user, auth_headers):
    ana, bob = await make_user("Ana"), await make_user("Bob")
    ha, hb = await auth_headers(ana), await auth_headers(bob)
    up = await client.post("/files/upload", files={"file": ("deck.pdf", make_pdf(), "application/pdf")},
                           headers=ha)
    conv = (await client.post("/conversations", json={}, headers=hb)).json()
    resp = await client.post(f"/conversations/{conv['id']}/messages",
                             json={"content": "read this", "file_ids": [up.json()["id"]]}, headers=hb)
    assert resp.status_code == 404


async def test_upload_into_conversation_stores_a_message_referencing_it(client, make_user,
                                                                       auth_headers):
    user = await make_user()
    h = await auth_headers(user)
    conv = (await client.post("/conversations", json={}, headers=h)).json()
    resp = await client.post(f"/conversations/{conv['id']}/files",
                             files={"file": ("plan.pdf", make_pdf(), "application/pdf")}, headers=h)
    assert resp.status_code == 201
    body = resp.json()
    assert body["file"]["file_name"] == "plan.pdf" and body["file"]["kind"] == "document"
    assert body["message"]["attachments"][0]["file_id"] == body["file"]["id"]
    assert body["message"]["message_type"] == "document"
    page = (await client.get(f"/conversations/{conv['id']}/messages", headers=h)).json()
    assert page["items"][0]["id"] == body["message"]["id"]
    listed = (await client.get("/files", headers=h)).json()["items"]
    assert listed[0]["conversation_id"] == conv["id"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_client_disconnect_mid_stream_still_stores_the_answer(client, make_user,
                                                                    auth_headers):
    """Served by uvicorn on loopback so the disconnect is a real closed connection."""
    release = asyncio.Event()

    async def slow(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await release.wait()
        return answer_for(info)

    engine = use_engine(client, model=scripted(slow), triage_model=route_to(Specialist.technical))
    user = await make_user()
    h = await auth_headers(user)
    conv = (await client.post("/conversations", json={}, headers=h)).json()

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(client.app, host="127.0.0.1", port=port,
                                           lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http, http.stream(
            "POST", f"/conversations/{conv['id']}/messages",
            json={"content": "Which database should I use?"},
            headers={**h, "Accept": "text/event-stream"},
        ) as resp:
            async for line in resp.aiter_lines():
                if line.startswith("event: route"):
                    break  # the specialist is still thinking: hang up now
        release.set()
        for _ in range(200):
            transcript = await client.runtime.store.messages.transcript(conv["id"])
            if len(transcript) == 2:
                break
            await asyncio.sleep(0.05)
        await engine.wait_idle()
        transcript = await client.runtime.store.messages.transcript(conv["id"])
        assert [m.is_from_user for m in transcript] == [True, False]
        assert transcript[1].agent == "technical" and not transcript[1].is_fallback
    finally:
        server.should_exit = True
        await serving


async def test_offline_answer_quotes_the_users_words_not_the_attachment_note(client, make_user,
                                                                            auth_headers):
    """The offline model (test settings) echoes the question; never the engine's file note."""
    user = await make_user()
    h = await auth_headers(user)
    up = await client.post("/files/upload", files={"file": ("plan.pdf", make_pdf(), "application/pdf")},
                           headers=h)
    conv = (await client.post("/conversations", json={}, headers=h)).json()
    resp = await client.post(f"/conversations/{conv['id']}/messages",
                             json={"content": "¿Qué hitos pongo en el cronograma?",
                                   "file_ids": [up.json()["id"]]}, headers=h)
    body = resp.json()["message"]
    assert body["answer"]["offline"] is True
    assert "cronograma" in body["content"]
    assert "[Attached" not in body["content"] and up.json()["id"] not in body["content"]
    assert body["attachments"] == []
    assert resp.json()["user_message"]["attachments"][0]["file_name"] == "plan.pdf"


async def test_messages_publish_typed_answers_and_survive_an_outdated_one(client, make_user,
                                                                        auth_headers):
    from ignacio_agents.store.messages import NewMessage

    user = await make_user()
    h = await auth_headers(user)
    conv = await client.runtime.store.conversations.create(user.id, "web")
    store = client.runtime.store.messages
    await store.add(NewMessage(
        conversation_id=conv.id, user_id=user.id, is_from_user=False, content="old",
        agent="marketing", answer={"kind": "marketing", "tips": ["an answer shape we no longer use"]},
    ))
    await store.add(NewMessage(
        conversation_id=conv.id, user_id=user.id, is_from_user=False, content="new",
        agent="financial", answer={"kind": "financial", "analysis": "ok", "recommendations": ["a"],
                                   "key_figures": ["b"], "risks": ["c"]},
    ))
    resp = await client.get(f"/conversations/{conv.id}/messages", headers=h)
    assert resp.status_code == 200
    newest, oldest = resp.json()["items"]
    assert newest["answer"]["kind"] == "financial" and newest["answer"]["offline"] is False
    assert oldest["answer"] is None and oldest["content"] == "old"
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert {"MarketingResponse", "FinancialResponse", "GeneralResponse"} <= set(schema)
