"""A fake WhatsApp Cloud (Graph) API on 127.0.0.1, plus builders for signed webhooks.

The fake stands in for Meta at its HTTP boundary only: our real client talks real HTTP to it.
It runs uvicorn in a daemon thread (starts in well under a second), records every request, can
be told to fail or stall the next matching calls, serves registered media behind the bearer
token, and lets tests wait until the replies they expect have arrived::

    with FakeGraphServer() as graph:
        client = WhatsAppClient(graph.base_url, graph.version, graph.phone_number_id,
                                graph.access_token)
        ...
        [reply] = graph.wait_for_messages(1)

The webhook builders produce the shapes of ``docs/reference/whatsapp-cloud-api.md`` §1.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer

DEFAULT_VERSION = "v24.0"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_DISPLAY_NUMBER = "15550783881"
DEFAULT_WABA_ID = "102290129340398"
DEFAULT_WA_ID = "5215512345678"
DEFAULT_ACCESS_TOKEN = "fake-graph-token"


@dataclass(frozen=True)
class CapturedRequest:
    """One request the fake received, with what it answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    json: Any
    form: dict[str, str] | None
    file: dict[str, Any] | None  # {"filename", "content_type", "size", "sha256"} for uploads
    status: int
    response: Any
    at: float = 0.0  # time.monotonic() when the fake received it (gaps between sends)

    @property
    def ok(self) -> bool:
        return self.status < 400


@dataclass
class _Script:
    path_substring: str
    method: str | None
    remaining: int
    code: int | None = None
    http_status: int = 400
    title: str | None = None
    stall_seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and self.path_substring in path and (
            self.method is None or self.method == method
        )


@dataclass
class _Media:
    data: bytes
    mime_type: str
    sha256: str
    chunked: bool = False


@dataclass
class _State:
    requests: list[CapturedRequest] = field(default_factory=list)
    scripts: list[_Script] = field(default_factory=list)
    media: dict[str, _Media] = field(default_factory=dict)
    closed_windows: set[str] = field(default_factory=set)  # recipients past 24 h


# Meta's own wording for the errors tests script most (error-codes page; reference §6).
ERROR_TITLES = {
    130429: ("Rate limit hit", "Cloud API message throughput has been reached."),
    131056: ("(Business Account, Consumer Account) pair rate limit hit",
             "Message failed to send because there were too many messages sent from this "
             "phone number to the same phone number in a short period of time."),
    131047: ("Re-engagement message",
             "Message failed to send because more than 24 hours have passed since the "
             "customer last replied to this number."),
    131009: ("Parameter value is not valid", "Parameter value is not valid"),
    132001: ("Template name does not exist in the translation",
             "template name does not exist in the language"),
}
# Templates approved on the fake's business account (name, language).
DEFAULT_TEMPLATES = frozenset({("ignacio_login_code", "es"), ("ignacio_answer_waiting", "es")})
TEXT_LIMIT = 4096


def _length(text: Any) -> int:
    """Characters as Meta counts them (UTF-16 code units: an emoji counts twice)."""
    return len(str(text).encode("utf-16-le")) // 2


def _too_long(value: Any, limit: int) -> bool:
    return not isinstance(value, str) or not value.strip() or _length(value) > limit


def interactive_problem(obj: Any) -> str | None:
    """Why Meta would refuse this ``interactive`` object (reply buttons or a list), if it
    would: the documented limits of the interactive reply-button and list message pages."""
    if not isinstance(obj, dict) or obj.get("type") not in ("button", "list"):
        return "interactive.type must be button or list"
    body = (obj.get("body") or {}).get("text")
    action = obj.get("action") or {}
    if obj["type"] == "button":
        if _too_long(body, 1024):
            return "body.text is required, at most 1024 characters"
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return "action.buttons must hold 1 to 3 buttons"
        titles, ids = [], []
        for b in buttons:
            reply = b.get("reply") if isinstance(b, dict) and b.get("type") == "reply" else None
            if not isinstance(reply, dict) or _too_long(reply.get("title"), 20):
                return "button title is required, at most 20 characters"
            if _too_long(reply.get("id"), 256) or reply["id"] != reply["id"].strip():
                return "button id is required, at most 256 characters, no edge spaces"
            titles.append(reply["title"])
            ids.append(reply["id"])
        if len(set(titles)) != len(titles) or len(set(ids)) != len(ids):
            return "button titles and ids must be unique"
        return None
    if _too_long(body, 4096):
        return "body.text is required, at most 4096 characters"
    if _too_long(action.get("button"), 20):
        return "action.button is required, at most 20 characters"
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        return "action.sections must hold 1 to 10 sections"
    rows = [r for sec in sections if isinstance(sec, dict) for r in (sec.get("rows") or [])]
    if not 1 <= len(rows) <= 10:
        return "a list holds 1 to 10 rows in all"
    if len(sections) > 1 and any(_too_long(sec.get("title"), 24) for sec in sections):
        return "section titles are required with several sections, at most 24 characters"
    for row in rows:
        if not isinstance(row, dict) or _too_long(row.get("title"), 24):
            return "row title is required, at most 24 characters"
        if _too_long(row.get("id"), 200):
            return "row id is required, at most 200 characters"
        if "description" in row and _too_long(row["description"], 72):
            return "row description is at most 72 characters"
    if len({r["id"] for r in rows}) != len(rows):
        return "row ids must be unique"
    return None


class FakeGraphServer(LoopbackServer):
    """The Graph API endpoints Ignacio uses, served on a free loopback port."""
    name = "fake-graph"

    def __init__(
        self,
        *,
        version: str = DEFAULT_VERSION,
        phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
        access_token: str = DEFAULT_ACCESS_TOKEN,
    ) -> None:
        self.version = version
        self.phone_number_id = phone_number_id
        self.access_token = access_token
        self.templates = set(DEFAULT_TEMPLATES)
        self._cond = threading.Condition()
        self._state = _State()
        self.port = 0
        self.app = Starlette(routes=[
            Route("/whatsapp_business/attachments/", self._download, methods=["GET"]),
            Route("/{version}/{phone_id}/messages", self._messages, methods=["POST"]),
            Route("/{version}/{phone_id}/media", self._upload, methods=["POST"]),
            Route("/{version}/{media_id}", self._media_info, methods=["GET", "DELETE"]),
        ])

    def settings_overrides(self) -> dict[str, str]:
        """``WhatsAppSettings`` fields that point the WhatsApp channel here."""
        return {
            "graph_base_url": self.base_url,
            "graph_api_version": self.version,
            "phone_number_id": self.phone_number_id,
            "access_token": self.access_token,
        }

    def reset(self) -> None:
        """Forget requests, scripted failures and media (for a server shared across tests)."""
        with self._cond:
            self._state = _State()
            self.templates = set(DEFAULT_TEMPLATES)

    # --- scripting -------------------------------------------------------------------------

    def fail_next(
        self,
        path_substring: str,
        code: int | None = 130429,
        times: int = 1,
        http_status: int = 400,
        title: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with a Graph error.

        ``code=None`` answers a bare (non-JSON) HTTP error, like a proxy's 502/503.
        """
        with self._cond:
            self._state.scripts.append(_Script(
                path_substring, method, times, code=code, http_status=http_status, title=title,
            ))

    def recover(self) -> None:
        """Stop every scripted failure still pending (the outage is over)."""
        with self._cond:
            self._state.scripts.clear()

    def close_window(self, to: str) -> None:
        """More than 24 h since ``to`` last wrote: any send but a template gets 131047."""
        with self._cond:
            self._state.closed_windows.add(_digits(to))

    def open_window(self, to: str) -> None:
        """``to`` wrote again (tests post their webhook too)."""
        with self._cond:
            self._state.closed_windows.discard(_digits(to))

    def stall_next(self, path_substring: str, seconds: float, times: int = 1) -> None:
        """Delay the next ``times`` matching requests by ``seconds`` (to provoke timeouts)."""
        with self._cond:
            self._state.scripts.append(_Script(
                path_substring, None, times, http_status=0, stall_seconds=seconds,
            ))

    def add_media(
        self, media_id: str, data: bytes, mime_type: str, *, chunked: bool = False
    ) -> str:
        """Register downloadable media; returns its sha256 (hex) for the webhook payload.

        ``chunked=True`` serves it without a Content-Length, as a stream.
        """
        digest = hashlib.sha256(data).hexdigest()
        with self._cond:
            self._state.media[media_id] = _Media(data, mime_type, digest, chunked)
        return digest

    def media_bytes(self, media_id: str) -> bytes:
        """What was uploaded (or registered) under ``media_id``."""
        with self._cond:
            return self._state.media[media_id].data

    # --- inspection ------------------------------------------------------------------------

    @property
    def requests(self) -> list[CapturedRequest]:
        """A snapshot of every request received so far, in arrival order."""
        with self._cond:
            return list(self._state.requests)

    def sent_messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Bodies of accepted sends (text, media, template...), excluding read receipts."""
        return _sent(self.requests, to)

    def read_receipts(self) -> list[dict[str, Any]]:
        return [r.json for r in self.requests
                if r.ok and r.path.endswith("/messages") and _is_receipt(r.json)]

    def wait_for(
        self, predicate: Callable[[list[CapturedRequest]], bool], timeout: float = 5.0
    ) -> list[CapturedRequest]:
        """Block until ``predicate(requests)`` holds; returns the requests then."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                snapshot = list(self._state.requests)
                if predicate(snapshot):
                    return snapshot
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(r.method, r.path, r.status) for r in snapshot]
                    raise TimeoutError(
                        f"condition not met within {timeout} s; {len(seen)} request(s): {seen}"
                    )
                self._cond.wait(remaining)

    def wait_for_messages(
        self, count: int, timeout: float = 5.0, to: str | None = None
    ) -> list[dict[str, Any]]:
        """Block until ``count`` sends (optionally to ``to``) were accepted; returns them all."""
        requests = self.wait_for(lambda rs: len(_sent(rs, to)) >= count, timeout)
        return _sent(requests, to)

    async def wait_for_async(
        self, predicate: Callable[[list[CapturedRequest]], bool], timeout: float = 5.0
    ) -> list[CapturedRequest]:
        """:meth:`wait_for` without blocking the event loop (a worker may run on it)."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    async def wait_for_messages_async(
        self, count: int, timeout: float = 5.0, to: str | None = None
    ) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.wait_for_messages, count, timeout, to)

    # --- endpoints -------------------------------------------------------------------------

    async def _messages(self, request: Request) -> Response:
        body = await _json_body(request)
        early = await self._preflight(request, body, request.path_params["version"],
                                      request.path_params["phone_id"])
        if early is not None:
            return early
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return self._error(request, body, 100, 400, "(#100) Invalid parameter")
        if _is_receipt(body):
            return self._answer(request, body, 200, {"success": True})
        to = body.get("to") or body.get("recipient")
        kind = body.get("type")
        if not to or not isinstance(kind, str) or not isinstance(body.get(kind), dict):
            return self._error(request, body, 100, 400, "(#100) Invalid parameter")
        refused = self._refusal(body, kind, str(to))
        if refused is not None:
            code, title = refused
            return self._error(request, body, code, 400, title)
        contact = {"input": to, "wa_id": str(to).lstrip("+")}
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [contact],
            "messages": [{"id": new_wamid(contact["wa_id"])}],
        }
        return self._answer(request, body, 200, answer)

    async def _upload(self, request: Request) -> Response:
        file_info: dict[str, Any] | None = None
        data = b""
        async with request.form() as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            upload = form.get("file")
            if upload is not None and not isinstance(upload, str):
                data = await upload.read()
                file_info = {
                    "filename": upload.filename, "content_type": upload.content_type,
                    "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                }
        early = await self._preflight(request, fields, request.path_params["version"],
                                      request.path_params["phone_id"], file_info)
        if early is not None:
            return early
        if fields.get("messaging_product") != "whatsapp" or file_info is None:
            return self._error(request, fields, 100, 400, "(#100) Invalid parameter",
                               file_info)
        media_id = str(secrets.randbelow(10**15) + 10**15)
        mime = fields.get("type") or file_info["content_type"] or "application/octet-stream"
        with self._cond:
            self._state.media[media_id] = _Media(data, mime, file_info["sha256"])
        return self._answer(request, fields, 200, {"id": media_id}, file_info)

    async def _media_info(self, request: Request) -> Response:
        media_id = request.path_params["media_id"]
        early = await self._preflight(request, None, request.path_params["version"], None)
        if early is not None:
            return early
        with self._cond:
            media = self._state.media.get(media_id)
            if media is not None and request.method == "DELETE":
                del self._state.media[media_id]
        if media is None:
            return self._error(request, None, 100, 400,
                               f"Unsupported get request. Object with ID '{media_id}' does not "
                               "exist")
        if request.method == "DELETE":
            return self._answer(request, None, 200, {"success": True})
        url = (f"{self.base_url}/whatsapp_business/attachments/?mid={media_id}"
               f"&ext={int(time.time())}&hash={secrets.token_urlsafe(8)}")
        return self._answer(request, None, 200, {
            "messaging_product": "whatsapp", "url": url, "mime_type": media.mime_type,
            "sha256": media.sha256, "file_size": len(media.data), "id": media_id,
        })

    async def _download(self, request: Request) -> Response:
        early = await self._preflight(request, None, self.version, None)
        if early is not None:
            return early
        with self._cond:
            media = self._state.media.get(request.query_params.get("mid", ""))
        if media is None:
            self._record(request, None, 404, None)
            return PlainTextResponse("Not Found", status_code=404)
        self._record(request, None, 200, {"bytes": len(media.data)})
        if media.chunked:
            data = media.data

            async def chunks() -> Any:
                for start in range(0, len(data), 16 * 1024):
                    yield data[start:start + 16 * 1024]

            return StreamingResponse(chunks(), media_type=media.mime_type)
        return Response(media.data, media_type=media.mime_type)

    # --- helpers ---------------------------------------------------------------------------

    async def _preflight(
        self, request: Request, body: Any, version: str, phone_id: str | None,
        file_info: dict[str, Any] | None = None,
    ) -> Response | None:
        """Auth, version, phone id and scripted failures, in Meta's order of checks."""
        script = self._take_script(request.method, request.url.path)
        if script is not None and script.stall_seconds:
            state = self._state
            await asyncio.sleep(script.stall_seconds)
            if self._state is not state:  # reset meanwhile: the stalled client has moved on
                return Response(status_code=504)
            script = None
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return self._error(request, body, 190, 401, "Invalid OAuth access token.", file_info)
        if version != self.version:
            return self._error(request, body, 100, 400, f"Unknown version {version}", file_info)
        if phone_id is not None and phone_id != self.phone_number_id:
            return self._error(request, body, 100, 400,
                               f"Object with ID '{phone_id}' does not exist", file_info)
        if script is not None:
            if script.code is None:
                self._record(request, body, script.http_status, None, file_info)
                return PlainTextResponse("upstream failure", status_code=script.http_status)
            return self._error(request, body, script.code, script.http_status,
                               script.title or f"Scripted error {script.code}", file_info)
        return None

    def _refusal(self, body: dict[str, Any], kind: str, to: str) -> tuple[int, str] | None:
        """Meta's checks on a send's content and the recipient's window, as (code, title)."""
        obj = body[kind]
        if kind == "text" and _too_long(obj.get("body"), TEXT_LIMIT):
            return 100, f"Param text['body'] must be at most {TEXT_LIMIT} characters long."
        if kind == "interactive" and (problem := interactive_problem(obj)) is not None:
            return 131009, f"Parameter value is not valid: {problem}"
        if kind == "template":
            language = (obj.get("language") or {}).get("code")
            if (obj.get("name"), language) not in self.templates:
                return 132001, ERROR_TITLES[132001][0]
            return None
        with self._cond:
            closed = _digits(to) in self._state.closed_windows
        return (131047, ERROR_TITLES[131047][0]) if closed else None

    def _take_script(self, method: str, path: str) -> _Script | None:
        with self._cond:
            for script in self._state.scripts:
                if script.matches(method, path):
                    script.remaining -= 1
                    return script
        return None

    def _error(
        self, request: Request, body: Any, code: int, http_status: int, title: str,
        file_info: dict[str, Any] | None = None,
    ) -> Response:
        known = ERROR_TITLES.get(code)
        if known is not None and title.startswith("Scripted error"):
            title = known[0]
        details = known[1] if known is not None else title
        error = {"error": {
            "message": f"(#{code}) {title}", "type": "OAuthException", "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": secrets.token_urlsafe(12),
        }}
        return self._answer(request, body, http_status, error, file_info)

    def _answer(
        self, request: Request, body: Any, status: int, payload: Any,
        file_info: dict[str, Any] | None = None,
    ) -> Response:
        self._record(request, body, status, payload, file_info)
        return JSONResponse(payload, status_code=status)

    def _record(
        self, request: Request, body: Any, status: int, response: Any,
        file_info: dict[str, Any] | None = None,
    ) -> None:
        is_form = file_info is not None or (
            isinstance(body, dict) and request.headers.get("content-type", "").startswith(
                "multipart/")
        )
        captured = CapturedRequest(
            method=request.method, path=request.url.path, query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            json=None if is_form else body, form=body if is_form else None, file=file_info,
            status=status, response=response, at=time.monotonic(),
        )
        with self._cond:
            self._state.requests.append(captured)
            self._cond.notify_all()


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return {"_invalid_json": raw.decode("utf-8", errors="replace")}


def _is_receipt(body: Any) -> bool:
    return isinstance(body, dict) and body.get("status") == "read"


def _sent(requests: Iterable[CapturedRequest], to: str | None) -> list[dict[str, Any]]:
    out = []
    for r in requests:
        if not (r.ok and r.method == "POST" and r.path.endswith("/messages")):
            continue
        if _is_receipt(r.json):
            continue
        if to is not None and _digits(r.json.get("to") or r.json.get("recipient")) != _digits(to):
            continue
        out.append(r.json)
    return out


def _digits(value: Any) -> str:
    text = str(value or "")
    return text.lstrip("+") if text.lstrip("+").isdigit() else text


# --- webhook payload builders ---------------------------------------------------------------------


def new_wamid(wa_id: str | None = None) -> str:
    """A message id in Meta's shape: ``wamid.`` + base64 of a record that starts with the
    other party's number in clear (real wamids do: decoding one gives the phone number)."""
    number = (wa_id or "").encode()
    record = b"\x1c\x18" + bytes([len(number)]) + number + b"\x15\x02\x00\x11\x18\x12"
    return "wamid." + base64.b64encode(record + uuid.uuid4().hex[:18].upper().encode()).decode()


def media_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def message_item(
    type_: str,
    obj: Any,
    *,
    wa_id: str | None = DEFAULT_WA_ID,
    user_id: str | None = None,
    wamid: str | None = None,
    timestamp: int | None = None,
    context_id: str | None = None,
) -> dict[str, Any]:
    """One ``messages[]`` item. ``wa_id=None`` leaves out ``from`` (a username/BSUID user)."""
    item: dict[str, Any] = {}
    if wa_id is not None:
        item["from"] = wa_id
    if user_id is not None:
        item["from_user_id"] = user_id
    item.update({
        "id": wamid or new_wamid(wa_id),
        "timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "type": type_,
    })
    if context_id is not None:
        item["context"] = {"from": DEFAULT_DISPLAY_NUMBER, "id": context_id}
    item[type_] = obj
    return item


def text_item(body: str, **kw: Any) -> dict[str, Any]:
    return message_item("text", {"body": body}, **kw)


def image_item(
    media_id: str, *, caption: str | None = None, mime_type: str = "image/jpeg",
    sha256: str | None = None, **kw: Any,
) -> dict[str, Any]:
    obj = {"mime_type": mime_type, "sha256": sha256 or media_sha256(media_id.encode()),
           "id": media_id}
    if caption is not None:
        obj["caption"] = caption
    return message_item("image", obj, **kw)


def document_item(
    media_id: str, filename: str = "documento.pdf", *, mime_type: str = "application/pdf",
    caption: str | None = None, sha256: str | None = None, **kw: Any,
) -> dict[str, Any]:
    obj = {"filename": filename, "mime_type": mime_type,
           "sha256": sha256 or media_sha256(media_id.encode()), "id": media_id}
    if caption is not None:
        obj["caption"] = caption
    return message_item("document", obj, **kw)


def audio_item(
    media_id: str, *, voice: bool = True, mime_type: str = "audio/ogg; codecs=opus",
    sha256: str | None = None, **kw: Any,
) -> dict[str, Any]:
    obj = {"mime_type": mime_type, "sha256": sha256 or media_sha256(media_id.encode()),
           "id": media_id, "voice": voice}
    return message_item("audio", obj, **kw)


def reaction_item(message_id: str, emoji: str | None = "👍", **kw: Any) -> dict[str, Any]:
    """A reaction; ``emoji=None`` is a removed reaction (Meta omits the key)."""
    obj: dict[str, Any] = {"message_id": message_id}
    if emoji is not None:
        obj["emoji"] = emoji
    return message_item("reaction", obj, **kw)


def status_item(
    wamid: str,
    status: str,
    *,
    recipient_id: str = DEFAULT_WA_ID,
    timestamp: int | None = None,
    error_code: int | None = None,
    error_title: str | None = None,
) -> dict[str, Any]:
    """One ``statuses[]`` item; ``error_code`` adds Meta's ``errors`` block (for ``failed``)."""
    item: dict[str, Any] = {
        "id": wamid, "status": status,
        "timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "recipient_id": recipient_id,
    }
    if status == "sent":
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "type": "regular",
                           "category": "service"}
    if error_code is not None:
        title = error_title or f"Error {error_code}"
        item["errors"] = [{
            "code": error_code, "title": title, "message": title,
            "error_data": {"details": title},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }]
    return item


def webhook_payload(
    messages: Sequence[dict[str, Any]] = (),
    statuses: Sequence[dict[str, Any]] = (),
    *,
    contacts: list[dict[str, Any]] | None = None,
    profile_name: str = "Ana María",
    user_id: str | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    display_phone_number: str = DEFAULT_DISPLAY_NUMBER,
    waba_id: str = DEFAULT_WABA_ID,
) -> dict[str, Any]:
    """A full envelope with one entry and one ``messages`` change.

    Unless given, ``contacts`` is derived: one per distinct message sender (with the profile
    name and ``user_id``), or one per status recipient without a profile, except on ``failed``
    statuses (the BSUID-era shapes of the reference).
    """
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": display_phone_number,
                     "phone_number_id": phone_number_id},
    }
    if contacts is None:
        contacts = _derive_contacts(messages, statuses, profile_name, user_id)
    if contacts:
        value["contacts"] = contacts
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {"object": "whatsapp_business_account",
            "entry": [{"id": waba_id, "changes": [{"field": "messages", "value": value}]}]}


def _derive_contacts(
    messages: Sequence[dict[str, Any]], statuses: Sequence[dict[str, Any]],
    profile_name: str, user_id: str | None,
) -> list[dict[str, Any]]:
    contacts: list[dict[str, Any]] = []
    seen: set[tuple[str | None, str | None]] = set()
    for msg in messages:
        key = (msg.get("from"), msg.get("from_user_id") or user_id)
        if key in seen:
            continue
        seen.add(key)
        contact: dict[str, Any] = {"profile": {"name": profile_name}}
        if key[0] is not None:
            contact["wa_id"] = key[0]
        if key[1] is not None:
            contact["user_id"] = key[1]
        contacts.append(contact)
    for st in statuses:
        if st.get("status") == "failed" or (st.get("recipient_id"), None) in seen:
            continue
        seen.add((st.get("recipient_id"), None))
        contacts.append({"wa_id": st.get("recipient_id")})
    return contacts


def batch_webhook(*payloads: dict[str, Any]) -> dict[str, Any]:
    """Merge several envelopes into one batched delivery (all their entries, in order)."""
    return {"object": "whatsapp_business_account",
            "entry": [entry for p in payloads for entry in p["entry"]]}


def _envelope_kwargs(kw: dict[str, Any]) -> dict[str, Any]:
    names = ("profile_name", "phone_number_id", "display_phone_number", "waba_id")
    return {name: kw.pop(name) for name in names if name in kw}


def text_webhook(body: str, **kw: Any) -> dict[str, Any]:
    env = _envelope_kwargs(kw)
    return webhook_payload([text_item(body, **kw)], user_id=kw.get("user_id"), **env)


def image_webhook(media_id: str, **kw: Any) -> dict[str, Any]:
    env = _envelope_kwargs(kw)
    return webhook_payload([image_item(media_id, **kw)], user_id=kw.get("user_id"), **env)


def document_webhook(media_id: str, filename: str = "documento.pdf", **kw: Any) -> dict[str, Any]:
    env = _envelope_kwargs(kw)
    return webhook_payload([document_item(media_id, filename, **kw)], user_id=kw.get("user_id"),
                           **env)


def audio_webhook(media_id: str, **kw: Any) -> dict[str, Any]:
    env = _envelope_kwargs(kw)
    return webhook_payload([audio_item(media_id, **kw)], user_id=kw.get("user_id"), **env)


def reaction_webhook(message_id: str, emoji: str | None = "👍", **kw: Any) -> dict[str, Any]:
    env = _envelope_kwargs(kw)
    return webhook_payload([reaction_item(message_id, emoji, **kw)], user_id=kw.get("user_id"),
                           **env)


def status_webhook(wamid: str, status: str, **kw: Any) -> dict[str, Any]:
    env = _envelope_kwargs(kw)
    return webhook_payload(statuses=[status_item(wamid, status, **kw)], **env)


def signed_webhook(payload: dict[str, Any], app_secret: str) -> tuple[bytes, dict[str, str]]:
    """The body bytes and headers Meta would POST: compact JSON with unicode escaped (as Meta
    does) and ``X-Hub-Signature-256`` over those exact bytes (computed here, independently of
    our own signature module)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}
