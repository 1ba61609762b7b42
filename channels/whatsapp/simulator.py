"""A WhatsApp phone inside the app, for trying Ignacio without Meta (development only).

With no Graph credentials outside production, the channel's :class:`WhatsAppClient` talks to
:class:`SimulatedGraph` instead of graph.facebook.com: an httpx transport that answers the Graph
endpoints the client uses (send, mark read, media metadata and download) the way Meta does,
refuses what Meta would refuse (long texts, bad button titles), and records every message in
Postgres, so that the API process that shows the simulator page and the worker process that
sends answers see the same phone. Because the real client, renderer and job code run
unchanged, what the simulator shows (formatting, split parts, buttons, sign-in codes, ticks) is
what a participant's phone would get.

Numbers are kept as the users table's blind index; nothing here logs a number or a code.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Literal
from uuid import uuid4

import httpx
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from ignacio_agents.crypto import PhoneCipher
from ignacio_agents.db import Database

SIMULATOR_BASE_URL = "http://whatsapp-simulator.invalid"
SIMULATOR_NUMBER_ID = "100000000000001"  # the simulated business number's phone_number_id
SIMULATOR_DISPLAY_NUMBER = "15550000001"
MAX_MEDIA_BYTES = 16 * 1024 * 1024  # Meta's limit for images/audio/video is 16 MB or less

TEXT_LIMIT = 4096
BUTTON_TITLE_LIMIT = 20
MAX_BUTTONS = 3
MAX_LIST_ROWS = 10

Direction = Literal["inbound", "outbound"]
Status = Literal["sent", "delivered", "read"]
_RANK = {"sent": 0, "delivered": 1, "read": 2}


class SimulatedMessage(BaseModel):
    """One message on the simulated phone: sent by the participant (inbound) or by Ignacio."""

    id: int
    direction: Direction
    wamid: str
    kind: str
    body: dict[str, Any]
    status: Status
    created_at: datetime


class StoredMedia(BaseModel):
    id: str
    mime_type: str
    filename: str | None
    content: bytes


class SimulatorPhone:
    """The simulated phones' messages and media, in Postgres."""

    def __init__(self, db: Database, cipher: PhoneCipher):
        self.db = db
        self.cipher = cipher

    async def record(self, e164: str, direction: Direction, kind: str, body: dict[str, Any],
                     *, wamid: str | None = None) -> str:
        wamid = wamid or new_wamid()
        await self.db.execute(
            "insert into whatsapp_simulator_messages (phone_hmac, direction, wamid, kind, body)"
            " values (%s, %s, %s, %s, %s)",
            self.cipher.blind_index(e164), direction, wamid, kind, Jsonb(body),
        )
        return wamid

    async def advance(self, wamids: list[str], status: Status) -> list[str]:
        """Move messages forward to ``status`` (never backwards); the wamids that moved."""
        if not wamids:
            return []
        lower = [s for s, rank in _RANK.items() if rank < _RANK[status]]
        rows = await self.db.fetch_all(
            lambda r: str(r["wamid"]),
            "update whatsapp_simulator_messages set status = %s"
            " where wamid = any(%s) and status = any(%s) returning wamid",
            status, wamids, lower,
        )
        return rows

    async def messages(self, e164: str, *, after: int = 0, limit: int = 200
                       ) -> list[SimulatedMessage]:
        """One phone's chat in order, the newest ``limit`` after message ``after``."""
        rows = await self.db.fetch_all(
            SimulatedMessage,
            "select * from (select id, direction, wamid, kind, body, status, created_at"
            " from whatsapp_simulator_messages where phone_hmac = %s and id > %s"
            " order by id desc limit %s) newest order by id",
            self.cipher.blind_index(e164), after, limit,
        )
        return rows

    async def unread_outbound(self, e164: str) -> list[str]:
        return await self.db.fetch_all(
            lambda r: str(r["wamid"]),
            "select wamid from whatsapp_simulator_messages where phone_hmac = %s"
            " and direction = 'outbound' and status <> 'read' order by id",
            self.cipher.blind_index(e164),
        )

    async def save_media(self, content: bytes, mime_type: str, filename: str | None) -> str:
        media_id = uuid4().hex
        await self.db.execute(
            "insert into whatsapp_simulator_media (id, mime_type, filename, content)"
            " values (%s, %s, %s, %s)", media_id, mime_type, filename, content,
        )
        return media_id

    async def media(self, media_id: str) -> StoredMedia | None:
        return await self.db.fetch_one(
            StoredMedia, "select id, mime_type, filename, content from whatsapp_simulator_media"
            " where id = %s", media_id,
        )


def new_wamid() -> str:
    return "wamid.SIM" + uuid4().hex.upper()


class GraphRefusal(Exception):
    """What Meta answers a request it refuses: an HTTP status and its error object."""

    def __init__(self, status: int, code: int, message: str, details: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details

    def response(self) -> httpx.Response:
        error: dict[str, Any] = {"message": self.message, "type": "OAuthException",
                                 "code": self.code, "fbtrace_id": "SIMULATOR"}
        if self.details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        return httpx.Response(self.status, json={"error": error})


def _invalid(details: str) -> GraphRefusal:
    return GraphRefusal(400, 131009, "(#131009) Parameter value is not valid", details)


def check_message(payload: dict[str, Any]) -> None:
    """Refuse what Meta refuses in a send (the limits in docs/reference/whatsapp-cloud-api.md)."""
    if payload.get("messaging_product") != "whatsapp":
        raise GraphRefusal(400, 100, "(#100) The parameter messaging_product is required.")
    if not re.fullmatch(r"\+?\d{6,15}", str(payload.get("to", ""))):
        raise GraphRefusal(400, 100, "(#100) Invalid parameter", "to must be a phone number")
    kind = payload.get("type")
    obj = payload.get(kind) if isinstance(kind, str) else None
    if not isinstance(obj, dict):
        raise GraphRefusal(400, 100, "(#100) Invalid parameter", f"missing the {kind} object")
    if kind == "text":
        body = obj.get("body")
        if not isinstance(body, str) or not body.strip():
            raise _invalid("text.body is required")
        if len(body) > TEXT_LIMIT:
            raise _invalid(f"text.body is longer than {TEXT_LIMIT} characters")
    elif kind == "interactive":
        _check_interactive(obj)


def _check_interactive(obj: dict[str, Any]) -> None:
    action = obj.get("action") or {}
    if obj.get("type") == "button":
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= MAX_BUTTONS:
            raise _invalid(f"an interactive button message has 1 to {MAX_BUTTONS} buttons")
        titles = [b.get("reply", {}).get("title", "") for b in buttons]
        if any(not t or len(t) > BUTTON_TITLE_LIMIT for t in titles) or len(set(titles)) < len(titles):
            raise _invalid(f"button titles are unique, 1 to {BUTTON_TITLE_LIMIT} characters")
    elif obj.get("type") == "list":
        rows = [row for section in action.get("sections") or [] for row in section.get("rows") or []]
        if not 1 <= len(rows) <= MAX_LIST_ROWS:
            raise _invalid(f"a list message has 1 to {MAX_LIST_ROWS} rows")


class SimulatedGraph(httpx.AsyncBaseTransport):
    """The Graph API as far as :class:`WhatsAppClient` uses it, answered from the simulator."""

    def __init__(self, phone: SimulatorPhone):
        self.phone = phone

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._answer(request)
        except GraphRefusal as refusal:
            return refusal.response()

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        if request.method == "POST" and parts[1:] == [SIMULATOR_NUMBER_ID, "messages"]:
            payload = json.loads(await request.aread() or b"{}")
            if payload.get("status") == "read":
                await self.phone.advance([str(payload.get("message_id", ""))], "read")
                return httpx.Response(200, json={"success": True})
            check_message(payload)
            to = "+" + str(payload["to"]).lstrip("+")
            wamid = await self.phone.record(to, "outbound", payload["type"], payload)
            return httpx.Response(200, json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": payload["to"], "wa_id": to.lstrip("+")}],
                "messages": [{"id": wamid}],
            })
        if request.method == "GET" and len(parts) == 2 and parts[0] == "media":
            media = await self.phone.media(parts[1])
            if media is None:
                raise GraphRefusal(404, 100, "(#100) Media not found")
            return httpx.Response(200, content=media.content,
                                  headers={"content-type": media.mime_type})
        if request.method == "GET" and len(parts) == 2:
            media = await self.phone.media(parts[1])
            if media is None:
                raise GraphRefusal(400, 100, "(#100) Invalid media id")
            return httpx.Response(200, json={
                "messaging_product": "whatsapp", "id": media.id, "mime_type": media.mime_type,
                "file_size": len(media.content), "url": f"{SIMULATOR_BASE_URL}/media/{media.id}",
            })
        raise GraphRefusal(400, 100, "(#100) Unsupported request")
