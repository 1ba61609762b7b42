"""The memory API: a participant reads and deletes their notes, admins read them audited."""

from __future__ import annotations

from typing import Any

from ignacio_agents.folding import ExtractSummarizer, fold_conversation
from ignacio_agents.participant_memory import recall
from tests.memory_helpers import add_turn

FACT = "Tenemos 3 pilotos de pago en Valencia."
DECISION = "Hemos decidido cobrar 12 euros al mes."


async def _remembering(client: Any, user: Any) -> Any:
    store = client.runtime.store
    conversation = await store.conversations.create(user.id, "whatsapp", title="Pilotos")
    await add_turn(store, conversation, FACT)
    await add_turn(store, conversation, DECISION)
    await fold_conversation(store, ExtractSummarizer(), conversation.id)
    return conversation


async def test_a_participant_reads_and_deletes_what_ignacio_remembers(
        client: Any, make_user: Any, auth_headers: Any) -> None:
    ana, eva = await make_user("Ana"), await make_user("Eva")
    conversation = await _remembering(client, ana)
    headers = await auth_headers(ana)

    first = await client.get("/users/me/memory", headers=headers, params={"limit": 1})
    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = await client.get("/users/me/memory", headers=headers,
                            params={"cursor": page["next_cursor"]})
    notes = page["items"] + rest.json()["items"]
    assert {(n["kind"], n["text"]) for n in notes} == {("number", FACT), ("decision", DECISION)}
    assert all(n["channel"] == "whatsapp" and n["conversation_title"] == "Pilotos"
               and n["conversation_id"] == str(conversation.id) for n in notes)
    assert (await client.get("/users/me/memory", headers=await auth_headers(eva))).json() == {
        "items": [], "next_cursor": None}

    fact = next(n for n in notes if n["text"] == FACT)
    assert (await client.delete(f"/users/me/memory/{fact['id']}",
                                headers=await auth_headers(eva))).status_code == 404
    gone = await client.delete(f"/users/me/memory/{fact['id']}", headers=headers)
    assert gone.status_code == 204
    again = await client.delete(f"/users/me/memory/{fact['id']}", headers=headers)
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"
    bad = await client.delete("/users/me/memory/not-a-uuid", headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    tampered = await client.get("/users/me/memory", headers=headers, params={"cursor": "x"})
    assert tampered.status_code == 422

    left = (await client.get("/users/me/memory", headers=headers)).json()["items"]
    assert [n["text"] for n in left] == [DECISION]
    # The next turn, anywhere, is no longer told.
    web = await client.runtime.store.conversations.create(ana.id, "web")
    memory = await recall(client.runtime.store, user_id=ana.id, conversation_id=web.id,
                          history_budget=6000, configured_budget=1200)
    assert "pilotos" not in memory.text and DECISION in memory.text


async def test_admins_read_a_participants_memory_and_the_read_is_audited(
        client: Any, make_user: Any, auth_headers: Any) -> None:
    admin = await make_user("Admin", is_admin=True)
    ana = await make_user("Ana")
    await _remembering(client, ana)
    headers = await auth_headers(admin)

    response = await client.get(f"/admin/users/{ana.id}/memory", headers=headers)
    assert response.status_code == 200
    assert {n["text"] for n in response.json()["items"]} == {FACT, DECISION}
    audit = await client.runtime.store.audit.list(action="memory.view")
    entry = audit.items[0]
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "user", str(ana.id))
    assert entry.details == {"notes": 2, "cursor": False}
    assert FACT not in str(entry.details)  # the trail records the read, not the notes

    participant = await client.get(f"/admin/users/{ana.id}/memory",
                                   headers=await auth_headers(ana))
    assert participant.status_code == 403
    missing = await client.get("/admin/users/00000000-0000-0000-0000-000000000000/memory",
                               headers=headers)
    assert missing.status_code == 404


async def test_deleting_a_conversation_or_the_participant_takes_their_memory_with_it(
        client: Any, make_user: Any, auth_headers: Any) -> None:
    store = client.runtime.store
    admin = await make_user("Admin", is_admin=True)
    ana = await make_user("Ana")
    first = await _remembering(client, ana)
    web = await store.conversations.create(ana.id, "web")
    await add_turn(store, web, "Somos una cooperativa de cuatro profesoras de música.")
    await fold_conversation(store, ExtractSummarizer(), web.id)
    note = next(i for i in await store.memory.recall(ana.id) if i.conversation_id == first.id)
    assert await store.memory.forget(note.id, user_id=ana.id)

    gone = await client.delete(f"/conversations/{first.id}", headers=await auth_headers(ana))
    assert gone.status_code == 204
    assert [i.conversation_id for i in await store.memory.recall(ana.id)] == [web.id]

    assert (await client.delete(f"/users/{ana.id}",
                                headers=await auth_headers(admin))).status_code == 204
    for table in ("memory_items", "conversation_summaries", "memory_forgotten"):
        count = await client.runtime.db.fetch_value(
            f"select count(*) from {table} where user_id = %s", ana.id)
        assert count == 0, table
