"""The development WhatsApp simulator: with no Graph credentials, a message sent from the
simulator enters through the signed webhook, is stored, queued and answered, and the answer
lands on the simulated phone; reading it sends delivered/read statuses back. Production: 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from api.tokens import issue_access_token
from channels.whatsapp.channel import WhatsAppChannel
from channels.whatsapp.client import GraphError, WhatsAppClient
from channels.whatsapp.simulator import (
    SIMULATOR_BASE_URL,
    SIMULATOR_NUMBER_ID,
    SimulatedGraph,
    SimulatorPhone,
)
from ignacio_agents.crypto import new_token
from tests.whatsapp_harness import WORKER, fetch_all, wait_for_idle_queue, wait_until

BASE = "/dev/whatsapp-simulator"
PARTICIPANT_PHONE = "+34612000111"


async def _headers(client: Any, user: Any) -> dict[str, str]:
    rt = client.runtime
    session = await rt.store.sessions.create(user.id, new_token(), timedelta(days=1))
    return {"Authorization": f"Bearer {issue_access_token(rt.settings, user.id, session.id, user.is_admin)}"}


@pytest.fixture
async def simulated(make_client: Any, make_settings: Any) -> tuple[Any, dict[str, str], Any]:
    """The app in development with WhatsApp unconfigured, an admin's headers, a participant."""
    client = await make_client(make_settings(**WORKER))
    admin = await client.runtime.store.users.create("+34612000100", "Ada", is_admin=True)
    participant = await client.runtime.store.users.create(PARTICIPANT_PHONE, "Pablo")
    return client, await _headers(client, admin), participant


def _phone(client: Any) -> SimulatorPhone:
    channel = client.runtime.channels.get(WhatsAppChannel)
    assert channel is not None and channel.simulator is not None
    return channel.simulator


async def _chat(client: Any, headers: dict[str, str], user_id: Any) -> list[dict[str, Any]]:
    response = await client.get(f"{BASE}/chats/{user_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


async def test_a_message_from_the_simulator_is_answered_on_the_simulated_phone(simulated, caplog):
    caplog.set_level("INFO")
    client, headers, participant = simulated
    info = await client.get(BASE, headers=headers)
    assert info.status_code == 200
    assert PARTICIPANT_PHONE in [p["phone_number"] for p in info.json()["participants"]]

    sent = await client.post(f"{BASE}/chats/{participant.id}/messages", headers=headers,
                             data={"text": "¿Cómo le pongo precio a mi producto?"})
    assert sent.status_code == 202, sent.text

    async def answered() -> bool:
        return any(m["direction"] == "outbound" for m in await _chat(client, headers, participant.id))

    await wait_until(answered, 30, what="an answer on the simulated phone")
    await wait_for_idle_queue(client, 30)
    chat = await _chat(client, headers, participant.id)
    assert chat[0]["direction"] == "inbound" and chat[0]["text"].startswith("¿Cómo")
    assert chat[0]["status"] == "read"  # the app marked the question read (blue ticks)
    answers = [m for m in chat if m["direction"] == "outbound"]
    assert all(m["kind"] in ("text", "interactive") and m["text"] for m in answers)
    assert "precio" in " ".join(m["text"] for m in answers).lower()

    # The real path: stored from the signed webhook, answered by a job that did not fail.
    [stored] = await fetch_all(client, "select c.channel from messages m join conversations c"
                               " on c.id = m.conversation_id where m.is_from_user")
    assert stored == {"channel": "whatsapp"}
    failed = await fetch_all(client, "select task_name from procrastinate_jobs"
                             " where status not in ('succeeded', 'todo', 'doing')")
    assert failed == []
    assert [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "WARNING")] == []

    # Opening the chat on the phone: Ignacio's messages turn read, through status webhooks.
    read = await client.post(f"{BASE}/chats/{participant.id}/read", headers=headers)
    assert read.status_code == 200 and read.json()["read"] == len(answers)
    assert all(m["status"] == "read" for m in await _chat(client, headers, participant.id))
    statuses = await fetch_all(client, "select status from message_deliveries")
    assert statuses and all(s["status"] == "read" for s in statuses), statuses


async def test_a_file_from_the_simulator_reaches_the_participants_files(simulated):
    client, headers, participant = simulated
    sent = await client.post(
        f"{BASE}/chats/{participant.id}/messages", headers=headers, data={"text": "Mi plan"},
        files={"file": ("plan.txt", b"Plan de negocio: 12 euros al mes", "text/plain")},
    )
    assert sent.status_code == 202, sent.text
    await wait_for_idle_queue(client, 30)
    files = await client.runtime.store.files.list_for_user(participant.id)
    assert [f.file_name for f in files.items] == ["plan.txt"]
    [bubble] = [m for m in await _chat(client, headers, participant.id) if m["direction"] == "inbound"]
    assert bubble["media_kind"] == "document" and bubble["file_name"] == "plan.txt"


async def test_empty_messages_and_other_people_are_refused(simulated):
    client, headers, participant = simulated
    empty = await client.post(f"{BASE}/chats/{participant.id}/messages", headers=headers,
                              data={"text": "  "})
    assert empty.status_code == 422 and empty.json()["error"]["code"]
    unknown = await client.get(f"{BASE}/chats/00000000-0000-0000-0000-000000000000", headers=headers)
    assert unknown.status_code == 404
    as_participant = await client.get(BASE, headers=await _headers(client, participant))
    assert as_participant.status_code == 403


async def test_the_simulator_is_off_in_production_and_with_real_credentials(
        make_client, make_settings, graph):
    from tests.whatsapp_harness import whatsapp_settings

    client = await make_client(make_settings(), whatsapp=whatsapp_settings(graph))
    admin = await client.runtime.store.users.create("+34612000100", "Ada", is_admin=True)
    response = await client.get(BASE, headers=await _headers(client, admin))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_the_simulated_graph_refuses_what_meta_refuses(client):
    phone = SimulatorPhone(client.runtime.db, client.runtime.store.cipher)
    async with httpx.AsyncClient(transport=SimulatedGraph(phone)) as http:
        graph = WhatsAppClient(SIMULATOR_BASE_URL, "v24.0", SIMULATOR_NUMBER_ID, "x", http=http)
        with pytest.raises(GraphError) as too_long:
            await graph.send_text(PARTICIPANT_PHONE, "a" * 4097)
        assert too_long.value.code == 131009 and not too_long.value.retryable
        wamid = await graph.send_text(PARTICIPANT_PHONE, "*Hola*")
        [message] = await phone.messages(PARTICIPANT_PHONE)
        assert message.wamid == wamid and message.body["text"]["body"] == "*Hola*"
        with pytest.raises(GraphError):
            await graph.get_media("no-such-media")


async def test_the_sign_in_page_learns_where_codes_go(simulated, make_client, make_settings, graph):
    from tests.whatsapp_harness import whatsapp_settings

    client, _, _ = simulated
    dev = await client.get("/auth/code-delivery")  # no token: the sign-in page asks
    assert dev.status_code == 200 and dev.json() == {"delivery": "development"}
    real = await make_client(make_settings(), whatsapp=whatsapp_settings(graph))
    assert (await real.get("/auth/code-delivery")).json() == {"delivery": "whatsapp"}
