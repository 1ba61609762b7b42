"""A participant searches their own conversations, both channels, and sees where each matched."""

from __future__ import annotations

from typing import Any

import pytest

from ignacio_agents.store.messages import NewMessage

ANSWER = ("Para fijar el precio, calcula primero el coste de cada taller, añade el margen que "
          "necesitas y compáralo con lo que cobran las academias de tu barrio por una hora.")


@pytest.fixture
async def people(client, make_user, auth_headers) -> dict[str, Any]:
    store = client.runtime.store
    ana, bruno = await make_user("Ana"), await make_user("Bruno")
    web = await store.conversations.create(ana.id, "web", "Precios")
    await store.messages.add(NewMessage(conversation_id=web.id, user_id=ana.id, is_from_user=True,
                                        content="¿Cómo fijo el precio de un taller?"))
    answer = await store.messages.add(NewMessage(
        conversation_id=web.id, user_id=ana.id, is_from_user=False, content=ANSWER,
        agent="financial"))
    wa = await store.conversations.create(ana.id, "whatsapp", None)
    said = await store.messages.add(NewMessage(
        conversation_id=wa.id, user_id=ana.id, is_from_user=True, channel="whatsapp",
        content="Las academias piden veinte euros la hora", external_id="wamid.S1"))
    theirs = await store.conversations.create(bruno.id, "web", "Academias de Bruno")
    await store.messages.add(NewMessage(conversation_id=theirs.id, user_id=bruno.id,
                                        is_from_user=True, content="Mi academia y sus precios"))
    assert answer is not None and said is not None
    return {"ana": await auth_headers(ana), "bruno": await auth_headers(bruno), "web": web,
            "wa": wa, "answer": answer, "said": said, "theirs": theirs}


async def _search(client, headers, q: str) -> list[dict[str, Any]]:
    resp = await client.get("/conversations/search", params={"q": q}, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_finds_a_word_from_the_middle_of_an_answer_with_the_words_flagged(client, people):
    [hit] = await _search(client, people["ana"], "margen")
    assert hit["id"] == str(people["web"].id) and hit["title"] == "Precios"
    assert hit["match"]["message_id"] == str(people["answer"].id)
    parts = hit["match"]["snippet"]
    assert [p["text"] for p in parts if p["match"]] == ["margen"]
    text = "".join(p["text"] for p in parts)
    assert "añade el margen que necesitas" in text and "**" not in text and "\x02" not in text


async def test_covers_both_channels_and_only_ones_own_conversations(client, people):
    hits = await _search(client, people["ana"], "academias")
    assert {h["id"] for h in hits} == {str(people["web"].id), str(people["wa"].id)}
    assert {h["channel"] for h in hits} == {"web", "whatsapp"}
    assert str(people["theirs"].id) not in {h["id"] for h in hits}
    # Bruno finds his own, never Ana's.
    assert [h["id"] for h in await _search(client, people["bruno"], "academias")] == [
        str(people["theirs"].id)]


async def test_a_message_the_participant_deleted_is_not_found(client, people):
    assert len(await _search(client, people["ana"], "veinte")) == 1
    await client.runtime.store.messages.mark_deleted(people["said"].id)
    hits = await _search(client, people["ana"], "veinte")
    assert hits == []


async def test_a_word_nobody_wrote_finds_nothing(client, people):
    assert await _search(client, people["ana"], "zarzaparrilla") == []


async def test_bad_queries_get_a_json_4xx(client, people):
    empty = await client.get("/conversations/search", params={"q": ""}, headers=people["ana"])
    assert empty.status_code == 422 and "error" in empty.json()
    long = await client.get("/conversations/search", params={"q": "x" * 201},
                            headers=people["ana"])
    assert long.status_code == 422
    anonymous = await client.get("/conversations/search", params={"q": "precio"})
    assert anonymous.status_code == 401 and "error" in anonymous.json()
