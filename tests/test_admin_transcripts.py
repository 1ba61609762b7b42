"""Admin transcript review through HTTP: every user's conversations, filters, whole transcripts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ignacio_agents.blobs import file_key
from ignacio_agents.domain import DeliveryStatus, MessageType
from ignacio_agents.store.messages import NewMessage

MESSAGE_KEYS = {"id", "conversation_id", "role", "content", "message_type", "channel", "agent",
                "answer", "status", "error_code", "is_fallback", "feedback", "created_at",
                "attachments", "author_name", "reply_to_id", "replaced", "edited",
                "delivery_error"}


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
async def world(client, make_user, auth_headers) -> dict[str, Any]:
    """Two participants: Ana (web, about prices, with a file) and Bruno (WhatsApp, marketing)."""
    rt = client.runtime
    store = rt.store
    admin = await make_user("Ada", is_admin=True)
    ana = await make_user("Ana")
    bruno = await make_user("Bruno")
    t0 = datetime.now(UTC) - timedelta(days=10)

    web = await store.conversations.create(ana.id, "web", "Precios")
    file_id = uuid.uuid4()
    key = file_key(ana.id, file_id, "tarifas.pdf")
    await rt.blobs.put(key, _one(b"%PDF tarifas"), "application/pdf")
    await store.files.create(file_id=file_id, user_id=ana.id, file_name="tarifas.pdf", file_path=key,
                             file_type="application/pdf", file_size=12, kind=MessageType.document)
    q1 = await store.messages.add(NewMessage(
        conversation_id=web.id, user_id=ana.id, is_from_user=True, content="¿Qué precio pongo?",
        message_type=MessageType.document, file_id=file_id, file_path=key, created_at=t0,
    ))
    a1 = await store.messages.add(NewMessage(
        conversation_id=web.id, user_id=ana.id, is_from_user=False, content="Empieza por el coste.",
        agent="financial",
        answer={"kind": "financial", "analysis": "Coste más margen.", "recommendations": [],
                "key_figures": [], "risks": []},
        created_at=t0 + timedelta(seconds=5),
    ))
    wa = await store.conversations.create(bruno.id, "whatsapp", None)
    q2 = await store.messages.add(NewMessage(
        conversation_id=wa.id, user_id=bruno.id, is_from_user=True, content="¿Cómo consigo clientes?",
        channel="whatsapp", external_id="wamid.IN1",
    ))
    a2 = await store.messages.add(NewMessage(
        conversation_id=wa.id, user_id=bruno.id, is_from_user=False, content="Habla con 10 al día.",
        channel="whatsapp", agent="marketing", status=DeliveryStatus.pending,
    ))
    for part, status in ((0, DeliveryStatus.read), (1, DeliveryStatus.failed)):
        await store.messages.add_delivery(a2.id, part, external_id=f"wamid.OUT{part}",
                                          status=status,
                                          error_code="131047" if status == "failed" else None)
    # Ana's conversation ended ten days ago.
    async with rt.db.connection() as conn:
        await conn.execute("update conversations set created_at = %s, updated_at = %s where id = %s",
                           (t0, t0 + timedelta(seconds=5), web.id))
    return {"headers": await auth_headers(admin), "admin": admin, "ana": ana, "bruno": bruno,
            "web": web, "wa": wa, "q1": q1, "a1": a1, "q2": q2, "a2": a2, "file_id": file_id,
            "t0": t0}


async def _list(client: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    resp = await client.get("/admin/conversations", headers=headers, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_lists_everyones_conversations_newest_activity_first(client, world):
    items = await _list(client, world["headers"])
    assert [c["id"] for c in items] == [str(world["wa"].id), str(world["web"].id)]
    assert items[1] == {
        "id": str(world["web"].id), "title": "Precios", "channel": "web",
        "created_at": items[1]["created_at"], "updated_at": items[1]["updated_at"],
        "user": {"id": str(world["ana"].id), "name": "Ana"}, "message_count": 2,
        "match": None,
    }
    assert "phone_number" not in str(items)


async def test_filters(client, world):
    h = world["headers"]
    ids = lambda items: [c["id"] for c in items]  # noqa: E731
    web, wa = str(world["web"].id), str(world["wa"].id)
    assert ids(await _list(client, h, user_id=str(world["ana"].id))) == [web]
    assert ids(await _list(client, h, channel="whatsapp")) == [wa]
    assert ids(await _list(client, h, agent="financial")) == [web]
    assert ids(await _list(client, h, agent="technical")) == []
    # Text search over the messages, stemmed: "precios" finds "precio".
    assert ids(await _list(client, h, q="precios")) == [web]
    assert ids(await _list(client, h, q="clientes")) == [wa]
    t0 = world["t0"]
    assert ids(await _list(client, h, date_from=(t0 + timedelta(days=1)).isoformat())) == [wa]
    assert ids(await _list(client, h, date_to=(t0 + timedelta(days=1)).isoformat())) == [web]
    bad = await client.get("/admin/conversations", headers=h, params={"agent": "astrologer"})
    assert bad.status_code == 422
    bad = await client.get("/admin/conversations", headers=h, params={"cursor": "!!"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"
    # Dates are ISO 8601 as documented: a bare number is not read as Unix seconds.
    assert ids(await _list(client, h, date_from=t0.date().isoformat())) == [wa, web]
    for number in ("0.5", "1700000000", "-3"):
        bad = await client.get("/admin/conversations", headers=h, params={"date_to": number})
        assert bad.status_code == 422, number


async def test_pages_with_a_cursor(client, world):
    h = world["headers"]
    first = (await client.get("/admin/conversations", headers=h, params={"limit": 1})).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = (await client.get("/admin/conversations", headers=h,
                               params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert [c["id"] for c in first["items"] + second["items"]] == [str(world["wa"].id),
                                                                   str(world["web"].id)]
    assert second["next_cursor"] is None


async def test_transcript_has_messages_attachments_and_deliveries(client, world):
    resp = await client.get(f"/admin/conversations/{world['web'].id}", headers=world["headers"])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["conversation"]["id"] == str(world["web"].id)
    assert body["user"]["id"] == str(world["ana"].id)
    assert body["user"]["phone_number"] == world["ana"].phone_number  # admins see numbers
    question, answer = body["messages"]
    assert set(question) == MESSAGE_KEYS | {"deliveries", "origin"}
    assert question["role"] == "user" and answer["role"] == "assistant"
    assert question["attachments"] == [{
        "file_id": str(world["file_id"]), "file_name": "tarifas.pdf",
        "content_type": "application/pdf", "size": 12, "kind": "document",
    }]
    assert answer["agent"] == "financial" and answer["answer"]["kind"] == "financial"
    assert answer["attachments"] == [] and answer["deliveries"] == []

    wa = (await client.get(f"/admin/conversations/{world['wa'].id}",
                           headers=world["headers"])).json()
    assert [m["content"] for m in wa["messages"]] == ["¿Cómo consigo clientes?",
                                                      "Habla con 10 al día."]
    reply = wa["messages"][1]
    assert reply["channel"] == "whatsapp" and reply["agent"] == "marketing"
    assert [(d["part_index"], d["status"], d["error_code"]) for d in reply["deliveries"]] == [
        (0, "read", None), (1, "failed", "131047")
    ]


async def test_viewing_a_transcript_is_audited_once(client, world):
    resp = await client.get(f"/admin/conversations/{world['wa'].id}", headers=world["headers"])
    assert resp.status_code == 200
    page = await client.runtime.store.audit.list()
    [entry] = page.items
    assert entry.action == "transcript.view" and entry.actor_id == world["admin"].id
    assert entry.target_type == "conversation" and entry.target_id == str(world["wa"].id)
    assert entry.details["user_id"] == str(world["bruno"].id)
    # An unknown id is 404 and records nothing.
    missing = await client.get(f"/admin/conversations/{uuid.uuid4()}", headers=world["headers"])
    assert missing.status_code == 404
    assert len((await client.runtime.store.audit.list()).items) == 1


async def test_one_users_conversations(client, world):
    h = world["headers"]
    resp = await client.get(f"/admin/users/{world['bruno'].id}/conversations", headers=h)
    assert resp.status_code == 200
    assert [c["id"] for c in resp.json()["items"]] == [str(world["wa"].id)]
    assert resp.json()["items"][0]["user"] == {"id": str(world["bruno"].id), "name": "Bruno"}
    assert (await client.get(f"/admin/users/{uuid.uuid4()}/conversations",
                             headers=h)).status_code == 404


async def test_participants_cannot_review_transcripts(client, world, auth_headers):
    headers = await auth_headers(world["ana"])
    for path in ("/admin/conversations", f"/admin/conversations/{world['web'].id}",
                 f"/admin/users/{world['ana'].id}/conversations"):
        assert (await client.get(path, headers=headers)).status_code == 403
    assert (await client.runtime.store.audit.list()).items == []


LONG_ANSWER = (
    "Para fijar el precio conviene empezar por los costes de cada escuela y el tiempo que"
    " dedicáis a la formación inicial del profesorado. Después comparad con lo que pagan hoy"
    " por herramientas parecidas, y probad una tarifa anual con descuento frente a la mensual."
    " Un piloto gratuito de un trimestre ayuda a medir la retención antes de cobrar."
)


async def test_search_shows_the_best_matching_message_with_the_words_marked(client, world):
    store = client.runtime.store
    answer = await store.messages.add(NewMessage(
        conversation_id=world["web"].id, user_id=world["ana"].id, is_from_user=False,
        content=LONG_ANSWER, agent="financial",
    ))
    assert answer is not None
    [row] = await _list(client, world["headers"], q="profesorado")  # a word mid-answer
    assert row["id"] == str(world["web"].id)
    match = row["match"]
    assert match["message_id"] == str(answer.id)
    hits = [p["text"] for p in match["snippet"] if p["match"]]
    assert hits == ["profesorado"]
    text = "".join(p["text"] for p in match["snippet"])
    assert "formación inicial del profesorado" in text
    assert len(text) < len(LONG_ANSWER)  # a fragment around the match, not the whole answer
    assert "\x02" not in text and "\x03" not in text
    # Without a text search there is no match to show.
    assert all(r["match"] is None for r in await _list(client, world["headers"]))


async def test_filters_for_thumbs_down_fallbacks_and_failed_deliveries(client, world):
    store = client.runtime.store
    h = world["headers"]
    assert await _list(client, h, thumbs_down=True) == []
    await store.messages.set_feedback(world["a1"].id, -1)
    assert [r["id"] for r in await _list(client, h, thumbs_down=True)] == [str(world["web"].id)]
    assert await _list(client, h, fallback=True) == []
    await store.messages.add(NewMessage(
        conversation_id=world["wa"].id, user_id=world["bruno"].id, is_from_user=False,
        content="No he podido responder.", channel="whatsapp", is_fallback=True,
    ))
    assert [r["id"] for r in await _list(client, h, fallback=True)] == [str(world["wa"].id)]
    assert await _list(client, h, failed_delivery=True) == []
    await store.messages.set_status(world["a2"].id, DeliveryStatus.failed, "131047")
    assert [r["id"] for r in await _list(client, h, failed_delivery=True)] == [str(world["wa"].id)]
    assert await _list(client, h, failed_delivery=True, thumbs_down=True) == []
