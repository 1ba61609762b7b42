"""The 91 recorded webhook payloads of ``tests/fixtures/whatsapp_payloads`` replayed, signed,
against the real app (fake Graph API on loopback, real Postgres, real worker).

Each file is rewritten as its README says before it is posted: our ``phone_number_id``, fresh
wamids and timestamps, an enrolled participant (or a stranger) as the sender, media the fake
Graph serves, and the ids in ``refs`` pointing at messages this app really received or sent in
a warm-up exchange. Every case is delivered five times at once (Meta retries and duplicates),
then must behave as its ``expect`` says: the reply it gets (the engine's answer, a fixed
notice, the not-enrolled reply, the welcome, or nothing), how many, and the status its
``refs.status`` message reaches.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from channels.whatsapp.markup import to_whatsapp
from channels.whatsapp.replies import _REPLIES, NOT_ENROLLED, welcome_text
from tests.fakes.graph import FakeGraphServer, text_webhook
from tests.filegen import make_jpeg, make_mp4, make_ogg, make_pdf, make_png, make_webp
from tests.whatsapp_harness import (
    WORKER,
    fetch_all,
    post_webhook,
    sent_texts,
    wait_for_idle_queue,
    whatsapp_settings,
)

FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp_payloads"
CASES = {json.loads(p.read_text())["id"]: json.loads(p.read_text())
         for p in sorted(FIXTURES.glob("*.json"))}
REPLAYS = 5
# A case that only makes sense after another one (the second message of a stranger).
PRECEDED_BY = {"x04_stranger_again": "x03_stranger"}
# Where the source's own data is broken, its ``accept`` alternatives count too (n10's latitude
# and longitude are placeholder words, so "can't read that" is as right as an answer).
BROKEN_SOURCE = {"n10_location"}


@dataclass(frozen=True)
class Role:
    """A sender of the fixtures: how WhatsApp names them, and how (if) they are enrolled."""

    wa_id: str | None  # as it arrives in ``from`` / ``wa_id``
    bsuid: str
    enrolled_as: str | None = None  # E.164; None: not enrolled
    name: str = "Ana"
    new_wa_id: str | None = None  # their number after ``user_changed_number``
    new_bsuid: str | None = None


ROLES = {
    "admin": Role("34612000101", "ES.1000000101", "+34612000101", "Ana Admin",
                  "34612000191", "ES.1000000191"),
    "us": Role("16502530001", "US.2000000001", "+16502530001", "Sheena Nelson",
               "16502530091", "US.2000000091"),
    "tz": Role("255712000301", "TZ.3000000301", "+255712000301", "Neema",
               "255712000391", "TZ.3000000391"),
    "mx": Role("5215512000401", "MX.4000000401", "+525512000401", "Lucía"),  # legacy "1"
    "br": Role("551187000501", "BR.5000000501", "+5511987000501", "João"),  # without its 9
    "stranger": Role("34699000601", "ES.6000000601"),
    "ghost": Role(None, "US.7000000701"),  # a username user nobody enrolled: BSUID only
}
_MEDIA = {"image/png": make_png, "image/webp": make_webp, "video/mp4": make_mp4,
          "application/pdf": make_pdf, "audio/ogg": make_ogg}


def _media_bytes(mime: str | None) -> tuple[bytes, str]:
    base = (mime or "").split(";")[0].strip()
    if base in _MEDIA:
        return _MEDIA[base](), base
    if base.startswith("audio/"):
        return make_ogg(), "audio/ogg"
    return make_jpeg(), "image/jpeg"


def _now_like(original: Any) -> Any:
    now = int(time.time())
    return now if isinstance(original, int) else str(now)


class Rewriter:
    """Rewrites one case's payload as the fixtures' README says."""

    def __init__(self, tag: str, graph: FakeGraphServer, refs: dict[str, str]) -> None:
        self.tag = tag
        self.graph = graph
        self.refs = refs  # "last_in" / "last_out" -> wamid
        self.counter = itertools.count()

    def case(self, case: dict[str, Any]) -> dict[str, Any]:
        payload = copy.deepcopy(case["payload"])
        roles = case["roles"] or [case["role"]]
        for index, entry in enumerate(payload["entry"]):
            role = ROLES[roles[min(index, len(roles) - 1)]]
            for change in entry.get("changes") or []:
                self._value(change.get("value") or {}, role, case["refs"])
        return payload

    def _ref(self, refs: dict[str, str], key: str) -> str | None:
        return self.refs[refs[key]] if key in refs else None

    def _value(self, value: dict[str, Any], role: Role, refs: dict[str, str]) -> None:
        if isinstance(value.get("metadata"), dict):
            value["metadata"]["phone_number_id"] = self.graph.phone_number_id
        for contact in value.get("contacts") or []:
            if "wa_id" in contact:
                self._set(contact, "wa_id", role.wa_id)
            if "user_id" in contact:
                contact["user_id"] = role.bsuid
        for message in value.get("messages") or []:
            self._message(message, role, refs)
        for status in value.get("statuses") or []:
            status["id"] = self._ref(refs, "status") or f"wamid.{self.tag}.s{next(self.counter)}"
            status["timestamp"] = _now_like(status.get("timestamp"))
            if "recipient_id" in status and status.get("recipient_type") != "group":
                self._set(status, "recipient_id", role.wa_id)
            if "recipient_user_id" in status:
                status["recipient_user_id"] = role.bsuid

    def _message(self, message: dict[str, Any], role: Role, refs: dict[str, str]) -> None:
        message["id"] = f"wamid.{self.tag}.{next(self.counter)}"
        message["timestamp"] = _now_like(message.get("timestamp"))
        if "from" in message:
            self._set(message, "from", role.wa_id)
        if "from_user_id" in message:
            message["from_user_id"] = role.bsuid
        if isinstance(message.get("context"), dict) and (quoted := self._ref(refs, "context")):
            message["context"]["id"] = quoted
        if isinstance(message.get("reaction"), dict) and (target := self._ref(refs, "reaction")):
            message["reaction"]["message_id"] = target
        for key in ("revoke", "edit"):
            if isinstance(message.get(key), dict) and (original := self._ref(refs, "original")):
                message[key]["original_message_id"] = original
        system = message.get("system")
        if isinstance(system, dict):
            if system.get("type") == "user_changed_number":
                system.update(wa_id=role.new_wa_id, customer=role.wa_id)
            elif system.get("type") == "user_changed_user_id":
                system.update(wa_id=role.wa_id, user_id=role.new_bsuid)
        kind = message.get("type")
        media = message.get(kind) if isinstance(kind, str) else None
        if kind in ("image", "video", "audio", "document", "sticker") and isinstance(media, dict):
            data, mime = _media_bytes(media.get("mime_type"))
            media["id"] = f"media-{self.tag}-{next(self.counter)}"
            media["mime_type"] = mime
            media["sha256"] = self.graph.add_media(media["id"], data, mime)

    @staticmethod
    def _set(target: dict[str, Any], key: str, value: str | None) -> None:
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value


def observed_reply(body: str, role: Role) -> str:
    """Which kind of reply a sent text is, in the fixtures' ``expect`` vocabulary."""
    if body == NOT_ENROLLED:
        return "not_enrolled"
    if body == to_whatsapp(welcome_text(role.name, "es")):
        return "welcome"
    for name, texts in _REPLIES.items():
        fixed = texts["es"].split("{")[0]  # up to its first placeholder, if any
        if name != "welcome" and body.startswith(to_whatsapp(fixed).strip()):
            return f"fixed:{name}"
    return "engine"


@pytest.fixture
async def wa_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    # A short quiet period: the messages of one sender in one delivery are one burst, answered
    # once, whatever moment the worker picks the first one up.
    return await make_client(make_settings(**WORKER),
                             whatsapp=whatsapp_settings(graph, quiet_period_seconds=0.3))


async def _warm_up(app: Any, graph: FakeGraphServer, role: Role) -> dict[str, str]:
    """One real exchange with ``role``: what ``last_in`` / ``last_out`` refer to."""
    before = len(sent_texts(graph))
    payload = text_webhook("Hola, ¿me ayudas con mi proyecto?", wa_id=role.wa_id,
                           user_id=role.bsuid, phone_number_id=graph.phone_number_id)
    last_in = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert (await post_webhook(app, payload)).status_code == 200
    await wait_for_idle_queue(app, timeout=30)
    assert len(sent_texts(graph)) == before + 1
    messages = app.runtime.store.messages
    inbound = await messages.get_by_external_id(last_in)
    reply = await messages.reply_for(inbound.id)
    [delivery] = await messages.deliveries(reply.id)
    return {"last_in": last_in, "last_out": delivery.external_id}


async def _replay(app: Any, payload: dict[str, Any]) -> None:
    responses = await asyncio.gather(*[post_webhook(app, payload) for _ in range(REPLAYS)])
    assert [r.status_code for r in responses] == [200] * REPLAYS
    await wait_for_idle_queue(app, timeout=30)


@pytest.mark.parametrize("case_id", sorted(CASES))
async def test_recorded_payload_behaves_as_expected(case_id: str, wa_app: Any,
                                                    graph: FakeGraphServer):
    case = CASES[case_id]
    roles = [ROLES[name] for name in (case["roles"] or [case["role"]])]
    store = wa_app.runtime.store
    refs: dict[str, str] = {}
    for role in roles:
        if role.enrolled_as is not None:
            await store.users.create(role.enrolled_as, role.name)
            refs = await _warm_up(wa_app, graph, role)
    if case_id in PRECEDED_BY:
        earlier = Rewriter(f"{case_id}-before", graph, refs).case(CASES[PRECEDED_BY[case_id]])
        await _replay(wa_app, earlier)
    before = len(sent_texts(graph))

    await _replay(wa_app, Rewriter(case_id, graph, refs).case(case))

    expect = case["expect"]
    replies = [observed_reply(m["text"]["body"], roles[0]) for m in sent_texts(graph)[before:]]
    wanted = [expect["reply"], *(expect.get("accept", []) if case_id in BROKEN_SOURCE else [])]
    if expect["reply"] == "none":
        assert replies == []
    else:
        assert len(replies) == expect.get("replies", 1), replies
        assert all(r in wanted for r in replies), (replies, wanted)
    if "status" in expect:
        reply = await store.messages.get_by_external_id(refs["last_out"])
        assert reply.status.value == expect["status"]
    # No job failed along the way (a crash in a job is a lost answer).
    failed = await fetch_all(wa_app, "select task_name from procrastinate_jobs"
                             " where status = 'failed'")
    assert failed == []
