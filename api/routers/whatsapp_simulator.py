"""``/dev/whatsapp-simulator``: a participant's phone in the browser (admins, development only).

A message typed here enters as Meta would deliver it: a webhook body signed with the app
secret, posted to this app's own ``/webhooks/whatsapp`` route, so it is verified, stored, queued
and answered by the same code as real traffic. The answer reaches the simulator through the
channel's Graph client (``channels.whatsapp.simulator``), and reading it here sends Meta's
``delivered`` and ``read`` status webhooks back the same way. In production, or when real
Graph credentials are set, every route answers 404.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal
from uuid import UUID

import httpx
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel

from api.deps import AdminUser, RuntimeDep
from api.schemas import ErrorResponse
from channels.whatsapp.channel import WhatsAppChannel
from channels.whatsapp.signature import SIGNATURE_HEADER, compute_signature
from channels.whatsapp.simulator import (
    MAX_MEDIA_BYTES,
    SIMULATOR_DISPLAY_NUMBER,
    SIMULATOR_NUMBER_ID,
    SimulatedMessage,
    SimulatorPhone,
    new_wamid,
)
from ignacio_agents.errors import InvalidInput, NotFound, TooLarge
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.users import StoredUser

router = APIRouter(prefix="/dev/whatsapp-simulator", tags=["whatsapp simulator"], responses={
    404: {"model": ErrorResponse, "description": "The simulator does not run here"}})


class SimulatorParticipant(BaseModel):
    id: UUID
    name: str | None
    phone_number: str


class SimulatorInfo(BaseModel):
    participants: list[SimulatorParticipant]


class SimulatorButton(BaseModel):
    id: str
    title: str


class SimulatorChatMessage(BaseModel):
    """One bubble as WhatsApp shows it: who sent it, its text, buttons or list, ticks."""

    id: int
    wamid: str
    direction: Literal["inbound", "outbound"]
    kind: str
    text: str | None = None
    header: str | None = None
    footer: str | None = None
    buttons: list[SimulatorButton] = []
    list_button: str | None = None
    template: str | None = None
    media_kind: str | None = None
    file_name: str | None = None
    reply_to: str | None = None
    status: Literal["sent", "delivered", "read"]
    created_at: str


class SimulatorChat(BaseModel):
    messages: list[SimulatorChatMessage]


class SimulatorSent(BaseModel):
    wamid: str


class SimulatorRead(BaseModel):
    read: int


def _phone(runtime: Runtime) -> tuple[WhatsAppChannel, SimulatorPhone]:
    channel = runtime.channels.get(WhatsAppChannel)
    if runtime.settings.is_production or channel is None or channel.simulator is None:
        raise NotFound("The WhatsApp simulator runs only in development without Graph credentials.")
    return channel, channel.simulator


async def _participant(runtime: Runtime, user_id: UUID) -> StoredUser:
    user = await runtime.store.users.get(user_id)
    if user is None or not user.is_active:
        raise NotFound("No such participant.")
    return user


@router.get("", response_model=SimulatorInfo, operation_id="whatsapp_simulator_info")
async def simulator_info(_admin: AdminUser, runtime: RuntimeDep) -> SimulatorInfo:
    """Whether the simulator runs here (404 when not), and the enrolled people to act as."""
    _phone(runtime)
    page = await runtime.store.users.list(limit=200)
    return SimulatorInfo(participants=[
        SimulatorParticipant(id=u.id, name=u.name, phone_number=u.phone_number)
        for u in page.items if u.is_active
    ])


@router.get("/chats/{user_id}", response_model=SimulatorChat, operation_id="whatsapp_simulator_chat")
async def simulator_chat(user_id: UUID, _admin: AdminUser, runtime: RuntimeDep,
                         after: Annotated[int, Query(ge=0, lt=2**63)] = 0) -> SimulatorChat:
    """The participant's phone: what they sent and what Ignacio sent them, oldest first."""
    _, phone = _phone(runtime)
    user = await _participant(runtime, user_id)
    messages = await phone.messages(user.phone_number, after=after)
    return SimulatorChat(messages=[bubble(m) for m in messages])


@router.post("/chats/{user_id}/messages", status_code=202, response_model=SimulatorSent,
             operation_id="whatsapp_simulator_send")
async def simulator_send(
    user_id: UUID, request: Request, _admin: AdminUser, runtime: RuntimeDep,
    text: Annotated[str, Form(max_length=4096)] = "",
    file: Annotated[UploadFile | None, File()] = None,
    reply_to: Annotated[str | None, Form(max_length=200)] = None,
    button_id: Annotated[str | None, Form(max_length=256)] = None,
    button_kind: Annotated[Literal["button", "list"], Form()] = "button",
) -> SimulatorSent:
    """Send as the participant: a text, a file (with the text as caption), or both; with
    ``button_id``, a tap on a reply button or list row of message ``reply_to`` (``text`` is
    its title), as WhatsApp sends it."""
    channel, phone = _phone(runtime)
    user = await _participant(runtime, user_id)
    if not text.strip() and file is None:
        raise InvalidInput("Type a message or attach a file.")
    wamid = new_wamid()
    message: dict[str, Any] = {"from": user.phone_number.lstrip("+"), "id": wamid,
                               "timestamp": str(int(time.time()))}
    if file is not None:
        content = await file.read(MAX_MEDIA_BYTES + 1)
        if len(content) > MAX_MEDIA_BYTES:
            raise TooLarge(f"The simulator takes files up to {MAX_MEDIA_BYTES // (1024 * 1024)} MB.")
        mime = file.content_type or "application/octet-stream"
        kind = _media_kind(mime)
        media_id = await phone.save_media(content, mime, file.filename)
        media: dict[str, Any] = {"id": media_id, "mime_type": mime}
        if kind == "document" and file.filename:
            media["filename"] = file.filename
        if text.strip() and kind != "audio":
            media["caption"] = text
        message.update(type=kind, **{kind: media})
    elif button_id:
        reply = f"{button_kind}_reply"
        message.update(type="interactive", interactive={
            "type": reply, reply: {"id": button_id, "title": text}})
    else:
        message.update(type="text", text={"body": text})
    if reply_to:
        message["context"] = {"from": SIMULATOR_DISPLAY_NUMBER, "id": reply_to}
    await phone.record(user.phone_number, "inbound", message["type"], message, wamid=wamid)
    await _deliver(request, channel, _envelope(user, messages=[message]))
    return SimulatorSent(wamid=wamid)


@router.post("/chats/{user_id}/read", response_model=SimulatorRead,
             operation_id="whatsapp_simulator_read")
async def simulator_read(user_id: UUID, request: Request, _admin: AdminUser,
                         runtime: RuntimeDep) -> SimulatorRead:
    """The participant opened the chat: Ignacio's messages turn delivered, then read (blue)."""
    channel, phone = _phone(runtime)
    user = await _participant(runtime, user_id)
    unread = await phone.unread_outbound(user.phone_number)
    if not unread:
        return SimulatorRead(read=0)
    now = str(int(time.time()))
    digits = user.phone_number.lstrip("+")
    for status in ("delivered", "read"):
        moved = await phone.advance(unread, status)
        statuses = [{"id": w, "status": status, "timestamp": now, "recipient_id": digits}
                    for w in moved]
        if statuses:
            await _deliver(request, channel, _envelope(user, statuses=statuses))
    return SimulatorRead(read=len(unread))


def _media_kind(mime: str) -> str:
    top = mime.split("/", 1)[0]
    return top if top in ("image", "audio", "video") else "document"


def _envelope(user: StoredUser, *, messages: list[dict[str, Any]] | None = None,
              statuses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": SIMULATOR_DISPLAY_NUMBER,
                     "phone_number_id": SIMULATOR_NUMBER_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": user.name or ""},
                              "wa_id": user.phone_number.lstrip("+")}]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "SIMULATOR", "changes": [{"field": "messages", "value": value}]}]}


async def _deliver(request: Request, channel: WhatsAppChannel, payload: dict[str, Any]) -> None:
    """Post ``payload`` signed to this app's own webhook route, as Meta would."""
    secret = channel.settings.app_secret
    if secret is None:
        raise NotFound("The WhatsApp simulator needs the webhook secret (WHATSAPP_APP_SECRET).")
    body = json.dumps(payload).encode()
    host = request.headers.get("host", "localhost")
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
        response = await client.post("/webhooks/whatsapp", content=body, headers={
            "content-type": "application/json",
            SIGNATURE_HEADER: compute_signature(secret.get_secret_value(), body),
        })
    if response.status_code != 200:
        raise InvalidInput(f"The webhook refused the simulated delivery ({response.status_code}).")


def bubble(message: SimulatedMessage) -> SimulatorChatMessage:
    """What the phone shows for one recorded message (a Graph send or a webhook message)."""
    body, kind = message.body, message.kind
    out = SimulatorChatMessage(id=message.id, wamid=message.wamid, direction=message.direction,
                               kind=kind, status=message.status,
                               created_at=message.created_at.isoformat(),
                               reply_to=(body.get("context") or {}).get("message_id")
                               or (body.get("context") or {}).get("id"))
    obj = body.get(kind) or {}
    if kind == "text":
        out.text = obj.get("body")
    elif kind == "template":
        out.template = obj.get("name")
        params = [p.get("text") for c in obj.get("components") or [] if c.get("type") == "body"
                  for p in c.get("parameters") or []]
        out.text = " ".join(str(p) for p in params if p)
    elif kind == "interactive" and message.direction == "inbound":
        out.text = (obj.get(obj.get("type", "")) or {}).get("title")
    elif kind == "interactive":
        out.text = (obj.get("body") or {}).get("text")
        out.header = (obj.get("header") or {}).get("text")
        out.footer = (obj.get("footer") or {}).get("text")
        action = obj.get("action") or {}
        out.buttons = [SimulatorButton(id=b["reply"]["id"], title=b["reply"]["title"])
                       for b in action.get("buttons") or [] if "reply" in b]
        rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
        out.buttons += [SimulatorButton(id=r.get("id", ""), title=r.get("title", "")) for r in rows]
        out.list_button = action.get("button")
    elif isinstance(obj, dict):
        out.media_kind = kind
        out.file_name = obj.get("filename")
        out.text = obj.get("caption")
    return out
