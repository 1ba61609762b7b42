"""Taking over a web conversation: while a mentor has it, the participant's messages are kept
and refused an AI answer (the stream says why), the mentor's words reach the participant's own
chat with the mentor's name, and after resuming the AI answers again."""

from __future__ import annotations

from typing import Any

from ignacio_agents.domain import Specialist
from tests.scripted_models import canned_answers, route_to, scripted
from tests.test_web_chat import parse_sse, use_engine


async def test_a_paused_web_conversation_keeps_the_message_without_an_ai_answer(
        client: Any, make_user: Any, auth_headers: Any) -> None:
    use_engine(client, model=scripted(canned_answers), triage_model=route_to(Specialist.general))
    store = client.runtime.store
    ana = await make_user("Ana")
    marta = await store.users.update((await make_user("Marta")).id, is_mentor=True)
    await store.mentoring.assign(marta.id, ana.id, assigned_by=None)
    ha, hm = await auth_headers(ana), await auth_headers(marta)
    conv = (await client.post("/conversations", json={}, headers=ha)).json()["id"]
    first = await client.post(f"/conversations/{conv}/messages", json={"content": "hola"}, headers=ha)
    assert first.status_code == 200

    assert (await client.post(f"/mentor/conversations/{conv}/pause", headers=hm)).status_code == 200
    streamed = await client.post(f"/conversations/{conv}/messages", json={"content": "¿Estás?"},
                                 headers={**ha, "Accept": "text/event-stream"})
    assert streamed.status_code == 200
    assert [(n, d.get("code")) for n, d in parse_sse(streamed.text)] == [
        ("error", "conversation_paused")]
    plain = await client.post(f"/conversations/{conv}/messages", json={"content": "¿Hola?"},
                              headers=ha)
    assert plain.status_code == 409 and plain.json()["error"]["code"] == "conversation_paused"

    reply = await client.post(f"/mentor/conversations/{conv}/messages",
                              json={"content": "Soy Marta, te leo."}, headers=hm)
    assert reply.status_code == 201
    mine = (await client.get(f"/conversations/{conv}/messages", headers=ha)).json()["items"]
    # Newest first: the mentor's words with her name, then both questions kept, unanswered.
    assert [(m["role"], m["content"], m["author_name"]) for m in mine[:3]] == [
        ("assistant", "Soy Marta, te leo.", "Marta"),
        ("user", "¿Hola?", None), ("user", "¿Estás?", None)]

    assert (await client.post(f"/mentor/conversations/{conv}/resume", headers=hm)).status_code == 204
    after = await client.post(f"/conversations/{conv}/messages", json={"content": "Gracias"},
                              headers=ha)
    assert after.status_code == 200
    answer = after.json()["message"]
    assert answer["role"] == "assistant" and answer["author_name"] is None


async def test_an_admin_lists_assigns_and_unassigns_a_participants_mentors(
        client: Any, make_user: Any, auth_headers: Any) -> None:
    ana, marta = await make_user("Ana"), await make_user("Marta")
    ada = await make_user("Ada", is_admin=True)
    ha = await auth_headers(ada)
    listed = await client.get("/mentor/assignments", params={"participant_id": str(ana.id)},
                              headers=ha)
    assert listed.status_code == 200 and listed.json() == []
    made = await client.post("/mentor/assignments", headers=ha,
                             json={"mentor_id": str(marta.id), "participant_id": str(ana.id)})
    assert made.status_code == 201
    listed = (await client.get("/mentor/assignments", params={"participant_id": str(ana.id)},
                               headers=ha)).json()
    assert [(a["mentor"]["name"], a["participant"]["name"]) for a in listed] == [("Marta", "Ana")]
    # Marta became a mentor; she may not read the assignments (admins only).
    marta_headers = await auth_headers(await client.runtime.store.users.get(marta.id))
    refused = await client.get("/mentor/assignments", params={"participant_id": str(ana.id)},
                               headers=marta_headers)
    assert refused.status_code == 403
    missing = await client.get("/mentor/assignments", headers=ha,
                               params={"participant_id": "00000000-0000-0000-0000-000000000000"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    gone = await client.delete(f"/mentor/assignments/{marta.id}/{ana.id}", headers=ha)
    assert gone.status_code == 204
    assert (await client.get("/mentor/assignments", params={"participant_id": str(ana.id)},
                             headers=ha)).json() == []
