"""Channel message ids reveal nothing in a database dump.

A WhatsApp wamid is base64 of a record that starts with the other party's number, so storing
wamids in clear would undo the encryption of ``users.phone``. After real traffic (messages,
answers, a reaction, delivery statuses, a replay), every base64 or hex run in every column of
every table is decoded and searched for the participant's number; the ids still work for what
needs them (replay dedupe, status and reaction lookups, the quoted reply sent back to Meta).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from typing import Any

import pytest

from ignacio_agents.domain import DeliveryStatus
from tests.fakes.graph import FakeGraphServer, new_wamid, reaction_webhook, status_webhook, text_webhook
from tests.test_no_secrets_in_logs import dump_database
from tests.whatsapp_harness import (
    WA_USER,
    WORKER,
    fetch_all,
    post_webhook,
    sent_texts,
    wait_for_idle_queue,
    whatsapp_settings,
)

_RUN = re.compile(rb"[A-Za-z0-9+/_=-]{16,}")


@pytest.fixture
async def wa_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(**WORKER), whatsapp=whatsapp_settings(graph))


def decodings(haystack: bytes, depth: int = 2) -> list[bytes]:
    """Every run of base64/base64url/hex characters, decoded every way it can be (and what that
    gives, decoded again: hex of a base64 id, say)."""
    out: list[bytes] = []
    for run in _RUN.findall(haystack):
        token = run.split(b".")[-1].rstrip(b"=")
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            for start in range(4):  # an id may sit at any offset inside a longer run
                piece = token[start:]
                with contextlib.suppress(binascii.Error, ValueError):
                    out.append(decode(piece + b"=" * (-len(piece) % 4)))
        with contextlib.suppress(ValueError):  # bytea as Postgres prints it: \x and hex
            out.append(bytes.fromhex(run.decode().removeprefix("x")))
    if depth > 1:
        out += [again for d in list(out) for again in decodings(d, depth - 1)]
    return out


async def test_dump_after_whatsapp_traffic_holds_no_decodable_phone_number(
        wa_app: Any, graph: FakeGraphServer, conninfo: str):
    store = wa_app.runtime.store
    await store.users.create("+" + WA_USER, "Ana")
    first = new_wamid(WA_USER)
    assert WA_USER.encode() in base64.b64decode(first.removeprefix("wamid."))  # Meta's shape
    payload = text_webhook("¿Cómo valido mi idea?", wa_id=WA_USER, wamid=first)
    for _ in range(3):  # Meta redelivers: stored once
        assert (await post_webhook(wa_app, payload)).status_code == 200
    # The second question once the first is answered: a text arriving before the first's turn
    # starts is answered together with it, in one reply (channels.whatsapp.jobs).
    await wait_for_idle_queue(wa_app)
    assert (await post_webhook(wa_app, text_webhook("¿Y el precio?", wa_id=WA_USER))
            ).status_code == 200
    await wait_for_idle_queue(wa_app)

    # What must go back to Meta still does: the read receipt and the quoted reply carry it.
    assert any(r.get("message_id") == first for r in graph.read_receipts())
    replies = sent_texts(graph)
    assert len(replies) == 2 and replies[0]["context"] == {"message_id": first}
    raw = [m for m in graph.sent_messages() if m["type"] in ("text", "interactive")]
    sent = [r.response["messages"][0]["id"] for r in graph.requests
            if r.json in raw and r.response]
    assert len(sent) == 2 and all(WA_USER.encode() in base64.b64decode(s[6:]) for s in sent)

    # Lookups by id still work: statuses move the answer forward, a reaction lands on it.
    for status in ("delivered", "read"):
        assert (await post_webhook(wa_app, status_webhook(sent[0], status))).status_code == 200
    assert (await post_webhook(wa_app, reaction_webhook(sent[0], "👍", wa_id=WA_USER))
            ).status_code == 200
    await wait_for_idle_queue(wa_app)
    answer = await store.messages.get_by_external_id(sent[0])
    assert answer is not None and not answer.is_from_user
    assert answer.status is DeliveryStatus.read and answer.feedback == 1
    assert len(await fetch_all(wa_app, "select id from messages where is_from_user")) == 2

    haystack = dump_database(conninfo)
    assert b"wamid" not in haystack
    leaks = [d for d in decodings(haystack) if WA_USER.encode() in d]
    assert leaks == []
    stored = await fetch_all(wa_app, "select external_id from messages where is_from_user"
                             " union all select external_id from message_deliveries")
    assert len(stored) == 4 and all(r["external_id"].startswith("k1:") for r in stored)


async def test_ids_stored_in_clear_before_sealing_are_rewritten_at_start(
        wa_app: Any, make_client: Any, make_settings: Any, graph: FakeGraphServer):
    store = wa_app.runtime.store
    user = await store.users.create("+" + WA_USER, "Ana")
    conversation = await store.conversations.create(user.id, channel="whatsapp")
    legacy = new_wamid(WA_USER)
    async with wa_app.runtime.db.connection() as conn:
        await conn.execute(
            "insert into messages (conversation_id, user_id, is_from_user, content, channel,"
            " external_id) values (%s, %s, true, 'hola', 'whatsapp', %s)",
            (conversation.id, user.id, legacy),
        )
    assert await store.messages.get_by_external_id(legacy) is None  # not findable in clear

    restarted = await make_client(make_settings(**WORKER), whatsapp=whatsapp_settings(graph))
    found = await restarted.runtime.store.messages.get_by_external_id(legacy)
    assert found is not None and found.external_id == legacy and found.content == "hola"
    [row] = await fetch_all(restarted, "select external_id from messages")
    assert row["external_id"].startswith("k1:")
    assert await restarted.runtime.store.messages.seal_clear_external_ids() == 0  # idempotent
