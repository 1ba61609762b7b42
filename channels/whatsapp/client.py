"""A thin async client for the WhatsApp Cloud (Graph) API, on httpx.

Ours rather than pywa's (see ``docs/reference/whatsapp-cloud-api.md`` §8): the base URL and version come
from settings so tests can point it at a fake Graph server on loopback, and every failure is one
:class:`GraphError` whose ``retryable`` flag drives :func:`send_with_retry`.

Nothing here logs the access token, an OTP code or a full phone number.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit
from urllib.request import getproxies

import httpx
from httpx_aiohttp import AiohttpTransport

from channels.whatsapp.settings import WhatsAppSettings
from ignacio_agents.crypto import mask_phone
from ignacio_agents.settings import ConfigError

log = logging.getLogger(__name__)

MediaKind = Literal["image", "video", "audio", "document", "sticker"]
_CAPTIONED = frozenset({"image", "video", "document"})
_BSUID = re.compile(r"[A-Z]{2}\.[A-Za-z0-9]{1,128}")

# Graph error codes (reference §6/§7). Codes decide first; the HTTP status only breaks ties.
RETRYABLE_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056})
PERMANENT_CODES = frozenset({100, 190, 368, 131026, 131047, 131048, 131049,
                             131051, 131052, 131053})
# The pair rate limit (131056) allows one message per 6 s to the same user.
PAIR_RATE_LIMIT_CODE = 131056
PAIR_RATE_LIMIT_SECONDS = 6.0
# More than 24 hours since the participant last wrote: only a template gets through.
REENGAGEMENT_CODE = 131047

# Hosts that may receive our bearer token when downloading media (besides the Graph host).
DEFAULT_MEDIA_HOST_SUFFIXES = ("fbsbx.com", "facebook.com", "fbcdn.net", "whatsapp.net")


def _transport_title(exc: httpx.TransportError, what: str) -> str:
    """What went wrong below HTTP, named by the original error: the aiohttp transport maps
    aiohttp's errors to httpx's loosely (a refused connection arrives as ``ConnectTimeout``)."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if isinstance(cause, TimeoutError | httpx.TimeoutException):
        return f"{what} timed out"
    return f"transport error: {type(cause).__name__}"


class GraphError(Exception):
    """A failed Graph API call: Meta's error code (None for transport errors), HTTP status
    (None when no response arrived), a title safe to log, and whether a retry can help."""

    def __init__(
        self, code: int | None, http_status: int | None, title: str, retryable: bool,
        details: str | None = None, fbtrace_id: str | None = None,
    ) -> None:
        super().__init__(f"Graph API error {code} (HTTP {http_status}): {title}")
        self.code = code
        self.http_status = http_status
        self.title = title
        self.retryable = retryable
        self.details = details
        self.fbtrace_id = fbtrace_id


class MediaTooLargeError(Exception):
    """A media download exceeded the byte limit; the caller should tell the user politely."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        super().__init__(f"media larger than {limit} bytes")
        self.limit = limit
        self.size = size


class UntrustedMediaURL(ValueError):
    """A media URL outside Meta's hosts: we refuse to send it our bearer token."""


@dataclass(frozen=True)
class MediaInfo:
    """``GET /{media-id}``: a download URL valid for 5 minutes plus what Meta knows of the file."""

    id: str
    url: str
    mime_type: str | None
    file_size: int | None
    sha256: str | None


def is_retryable(code: int | None, http_status: int | None) -> bool:
    """Whether an error is worth retrying (rate limits, Meta outages, timeouts)."""
    if code is not None:
        if code in RETRYABLE_CODES:
            return True
        if code in PERMANENT_CODES or 132000 <= code < 133000:
            return False
    if http_status is None:
        return True  # no response: timeout or transport failure
    return http_status >= 500 or http_status == 429


def mask_recipient(to: str) -> str:
    """A log-safe form of a recipient: country code and last two digits, or a BSUID prefix."""
    if _BSUID.fullmatch(to):
        return to[:3] + "…"
    digits = "+" + re.sub(r"\D", "", to)
    return mask_phone(digits)


def _recipient(to: str) -> dict[str, str]:
    """``to`` for phone numbers (always with ``+``), ``recipient`` for a BSUID."""
    to = to.strip()
    if _BSUID.fullmatch(to):
        return {"recipient": to}
    if to.isdigit():
        # Without "+" Meta prepends *our* number's country code (reference §4).
        return {"to": "+" + to}
    return {"to": to}


class WhatsAppClient:
    """Sends messages and moves media through the Graph API for one business phone number."""

    def __init__(
        self,
        base_url: str,
        api_version: str,
        phone_number_id: str,
        access_token: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
        max_media_bytes: int = 25 * 1024 * 1024,
        media_host_suffixes: Iterable[str] = DEFAULT_MEDIA_HOST_SUFFIXES,
    ) -> None:
        version = api_version if api_version.startswith("v") else "v" + api_version
        self.graph_url = f"{base_url.rstrip('/')}/{version}"
        self.phone_number_id = phone_number_id
        self.max_media_bytes = max_media_bytes
        self._token = access_token
        self._owns_http = http is None
        # Over aiohttp: half the CPU per call of httpx's own transport (two calls per answer);
        # behind a proxy (HTTP(S)_PROXY, as httpx reads it), httpx's own, which uses it.
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=10.0),
            transport=None if getproxies() else AiohttpTransport())
        self._trusted_hosts = {urlsplit(base_url).hostname or ""}
        self._trusted_suffixes = tuple(media_host_suffixes)

    @classmethod
    def from_settings(
        cls, settings: WhatsAppSettings, http: httpx.AsyncClient | None = None
    ) -> WhatsAppClient:
        if not settings.phone_number_id:
            raise ConfigError("WHATSAPP_PHONE_NUMBER_ID is not set")
        if settings.access_token is None:
            raise ConfigError("WHATSAPP_ACCESS_TOKEN is not set")
        return cls(
            settings.graph_base_url,
            settings.graph_api_version,
            settings.phone_number_id,
            settings.access_token.get_secret_value(),
            http=http,
            max_media_bytes=settings.max_media_bytes,
        )

    def __repr__(self) -> str:
        return f"WhatsAppClient(graph_url={self.graph_url!r}, phone_number_id=…)"

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> WhatsAppClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- sending ---------------------------------------------------------------------------

    async def send_text(
        self, to: str, body: str, reply_to: str | None = None, preview_url: bool = False
    ) -> str:
        """Send a text (≤ 4096 characters; split longer answers first). Returns the wamid."""
        payload = self._message(to, "text", {"preview_url": preview_url, "body": body}, reply_to)
        return await self._send(payload, to)

    async def send_interactive(
        self, to: str, interactive: dict[str, Any], reply_to: str | None = None
    ) -> str:
        """Send reply buttons or a list (``interactive`` as Meta documents it). Returns the
        wamid."""
        return await self._send(self._message(to, "interactive", interactive, reply_to), to)

    async def send_media(
        self,
        to: str,
        kind: MediaKind,
        media_id: str | None = None,
        link: str | None = None,
        caption: str | None = None,
        filename: str | None = None,
        reply_to: str | None = None,
    ) -> str:
        """Send media by uploaded id (preferred) or public link. Returns the wamid."""
        if (media_id is None) == (link is None):
            raise ValueError("give exactly one of media_id or link")
        if caption is not None and kind not in _CAPTIONED:
            raise ValueError(f"{kind} messages take no caption")
        if filename is not None and kind != "document":
            raise ValueError("only documents take a filename")
        obj: dict[str, Any] = {"id": media_id} if media_id is not None else {"link": link}
        if caption is not None:
            obj["caption"] = caption
        if filename is not None:
            obj["filename"] = filename
        return await self._send(self._message(to, kind, obj, reply_to), to)

    async def send_template(
        self, to: str, name: str, language: str,
        components: list[dict[str, Any]] | None = None,
    ) -> str:
        """Send an approved template (the only thing allowed outside the 24-hour window)."""
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if components:
            template["components"] = components
        return await self._send(self._message(to, "template", template), to)

    async def send_otp_template(self, to: str, code: str, name: str, language: str) -> str:
        """Send a copy-code authentication template: the code goes in the body *and* the button."""
        if not code or len(code) > 15:
            raise ValueError("an OTP code has 1 to 15 characters")
        if "recipient" in _recipient(to):
            raise ValueError("authentication templates need a phone number, not a BSUID")
        components = [
            {"type": "body", "parameters": [{"type": "text", "text": code}]},
            {"type": "button", "sub_type": "url", "index": "0",
             "parameters": [{"type": "text", "text": code}]},
        ]
        return await self.send_template(to, name, language, components)

    async def mark_read(self, wamid: str, typing: bool = True) -> None:
        """Blue ticks on ``wamid``; with ``typing`` also a typing indicator (lasts ≤ 25 s)."""
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp", "status": "read", "message_id": wamid,
        }
        if typing:
            payload["typing_indicator"] = {"type": "text"}
        data = await self._request("POST", self._messages_url, json=payload)
        if not data.get("success", False):
            raise GraphError(None, 200, "mark as read was not acknowledged", retryable=False)

    # --- media -----------------------------------------------------------------------------

    async def get_media(self, media_id: str) -> MediaInfo:
        """Metadata and a short-lived (5 min) download URL for a media id."""
        data = await self._request("GET", f"{self.graph_url}/{media_id}")
        url = data.get("url")
        if not isinstance(url, str) or not url:
            raise GraphError(None, 200, "media metadata without a url", retryable=False)
        size = data.get("file_size")
        try:
            file_size = int(size) if size is not None else None
        except (TypeError, ValueError):
            file_size = None
        return MediaInfo(
            id=str(data.get("id") or media_id), url=url, mime_type=data.get("mime_type"),
            file_size=file_size, sha256=data.get("sha256"),
        )

    async def download_media(
        self, url: str, max_bytes: int | None = None, chunk_size: int = 64 * 1024
    ) -> AsyncGenerator[bytes, None]:
        """Stream a media URL's bytes (with our bearer token), stopping past ``max_bytes``.

        An async generator: wrap it in ``contextlib.aclosing`` if you may stop early.
        Raises :class:`MediaTooLargeError` before reading when the declared length is too big,
        or as soon as the bytes read exceed the limit; :class:`GraphError` on HTTP failures
        (a 404 usually means the URL expired: call :meth:`get_media` again).
        """
        limit = self.max_media_bytes if max_bytes is None else max_bytes
        self._check_media_url(url)
        try:
            async with self._http.stream("GET", url, headers=self._auth) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error_from_response(response)
                declared = response.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    raise MediaTooLargeError(limit, int(declared))
                received = 0
                async for chunk in response.aiter_bytes(chunk_size):
                    received += len(chunk)
                    if received > limit:
                        raise MediaTooLargeError(limit, None)
                    yield chunk
        except httpx.TransportError as exc:
            raise GraphError(None, None, _transport_title(exc, "media download"),
                             retryable=True) from exc

    async def upload_media(
        self, data: bytes | AsyncIterable[bytes], mime_type: str, filename: str
    ) -> str:
        """Upload a file for sending; returns its media id (valid 30 days).

        A stream is read up to ``max_media_bytes`` and sent with a Content-Length: Graph's
        support for chunked multipart uploads is undocumented, and our files are ≤ 25 MB.
        """
        if not isinstance(data, bytes):
            data = await _read_limited(data, self.max_media_bytes)
        elif len(data) > self.max_media_bytes:
            raise MediaTooLargeError(self.max_media_bytes, len(data))
        result = await self._request(
            "POST", f"{self.graph_url}/{self.phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, data, mime_type)},
        )
        media_id = result.get("id")
        if not isinstance(media_id, str) or not media_id:
            raise GraphError(None, 200, "upload answered without a media id", retryable=False)
        return media_id

    # --- plumbing --------------------------------------------------------------------------

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    @property
    def _messages_url(self) -> str:
        return f"{self.graph_url}/{self.phone_number_id}/messages"

    @staticmethod
    def _message(
        to: str, kind: str, obj: dict[str, Any], reply_to: str | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp", "recipient_type": "individual", **_recipient(to),
        }
        if reply_to:
            payload["context"] = {"message_id": reply_to}
        payload["type"] = kind
        payload[kind] = obj
        return payload

    async def _send(self, payload: dict[str, Any], to: str) -> str:
        try:
            data = await self._request("POST", self._messages_url, json=payload)
        except GraphError as exc:
            log.warning("whatsapp %s to %s failed: code=%s http=%s retryable=%s",
                        payload["type"], mask_recipient(to), exc.code, exc.http_status,
                        exc.retryable)
            raise
        try:
            wamid = data["messages"][0]["id"]
        except (KeyError, IndexError, TypeError):
            wamid = None
        if not isinstance(wamid, str) or not wamid:
            raise GraphError(None, 200, "send answered without a message id", retryable=False)
        log.info("whatsapp %s sent to %s", payload["type"], mask_recipient(to))
        return wamid

    async def _request(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, url, headers=self._auth, **kwargs)
        except httpx.TransportError as exc:
            raise GraphError(None, None, _transport_title(exc, "request"), retryable=True) from exc
        if response.status_code >= 400:
            raise _error_from_response(response)
        try:
            data = response.json()
        except ValueError as exc:
            raise GraphError(None, response.status_code, "response is not JSON",
                             retryable=False) from exc
        return data if isinstance(data, dict) else {}

    def _check_media_url(self, url: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        trusted = host in self._trusted_hosts or any(
            host == s or host.endswith("." + s) for s in self._trusted_suffixes
        )
        secure = parts.scheme == "https" or host in self._trusted_hosts
        if not (trusted and secure):
            raise UntrustedMediaURL("media URL host is not a Meta host")


def _error_from_response(response: httpx.Response) -> GraphError:
    """Map Meta's ``{"error": {...}}`` (or a bare HTTP failure) to a :class:`GraphError`."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return GraphError(None, status, f"HTTP {status}", is_retryable(None, status))
    code = error.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    error_data = error.get("error_data")
    details = error_data.get("details") if isinstance(error_data, dict) else None
    title = error.get("error_user_title") or error.get("message") or f"HTTP {status}"
    return GraphError(
        code, status, str(title), is_retryable(code, status),
        details=details if isinstance(details, str) else None,
        fbtrace_id=error.get("fbtrace_id") if isinstance(error.get("fbtrace_id"), str) else None,
    )


async def _read_limited(stream: AsyncIterable[bytes], limit: int) -> bytes:
    buffer = bytearray()
    async for chunk in stream:
        buffer += chunk
        if len(buffer) > limit:
            raise MediaTooLargeError(limit, None)
    return bytes(buffer)


T = TypeVar("T")


async def send_with_retry(
    coro_factory: Callable[[], Awaitable[T]],
    attempts: int = 4,
    base_delay: float = 1.0,
    *,
    max_delay: float = 60.0,
    pair_rate_limit_delay: float = 6.0,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    jitter: Callable[[], float] = random.random,
    on_retry: Callable[[GraphError, int, float], object] | None = None,
) -> T:
    """Await ``coro_factory()`` until it succeeds, retrying retryable :class:`GraphError`.

    Backoff is exponential with jitter: attempt *n* waits ``base_delay * 2**(n-1)`` scaled by
    ``0.5 + jitter()/2``, capped at ``max_delay``, and at least ``pair_rate_limit_delay``
    after a pair-rate-limit error (131056, one message per 6 s per user). Permanent errors and
    any other exception propagate at once. ``sleep`` and ``jitter`` are injectable so tests
    need not wait; ``on_retry(error, attempt, delay)`` is for logging and metrics.

    A retried send may duplicate a message if Meta accepted it but the answer was lost
    (timeout): WhatsApp has no idempotency key, so that risk is accepted over losing replies.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        try:
            return await coro_factory()
        except GraphError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            delay = min(max_delay, base_delay * 2 ** (attempt - 1)) * (0.5 + jitter() / 2)
            if exc.code == PAIR_RATE_LIMIT_CODE:
                delay = max(delay, pair_rate_limit_delay)
            log.info("whatsapp call failed (code=%s http=%s); retry %d/%d in %.1fs",
                     exc.code, exc.http_status, attempt, attempts - 1, delay)
            if on_retry is not None:
                on_retry(exc, attempt, delay)
            await sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
