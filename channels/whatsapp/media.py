"""Inbound WhatsApp media: fetched at once, stored like any other upload.

``GET /{media-id}`` gives a download URL valid for 5 minutes; the bytes stream from it (with our
bearer token) straight into ``ignacio_agents.files.ingest``, which enforces the size limit while
reading, decides the type from the content, stores the object under
``users/{user_id}/files/{file_id}/...`` and records it in ``user_files``. The message row then
points at the file.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from channels.whatsapp.channel import WhatsAppChannel
from channels.whatsapp.client import GraphError, MediaTooLargeError, UntrustedMediaURL
from ignacio_agents.files import ingest
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.files import UserFile
from ignacio_agents.store.messages import StoredMessage

log = logging.getLogger(__name__)

FETCH_ATTEMPTS = 3

_DEFAULT_NAMES = {"image": "image", "sticker": "sticker", "video": "video", "audio": "audio",
                  "document": "document"}


class MediaUnavailable(Exception):
    """WhatsApp would not give us the file (expired id, permanent Graph error)."""


def media_filename(media: dict[str, Any], message: StoredMessage) -> str:
    """The user's file name for documents; a dated descriptive name for everything else."""
    name = media.get("filename")
    if isinstance(name, str) and name.strip():
        return name
    kind = "voice-note" if media.get("voice") else _DEFAULT_NAMES.get(str(media.get("kind")),
                                                                      "file")
    return f"whatsapp-{kind}-{message.created_at:%Y%m%d-%H%M%S}"


async def fetch_media(runtime: Runtime, channel: WhatsAppChannel, message: StoredMessage,
                      media: dict[str, Any]) -> UserFile:
    """Download the media of ``message`` into the user's files and attach it to the message.

    Raises ``MediaTooLargeError`` / ``files.FileTooLarge`` (over the limit),
    ``UnsupportedFileType`` (a type we do not accept) or ``MediaUnavailable``.
    """
    limit = min(channel.settings.max_media_bytes, runtime.settings.max_upload_bytes)
    client = channel.require_client()
    last: GraphError | None = None
    for attempt in range(1, FETCH_ATTEMPTS + 1):
        try:
            info = await client.get_media(str(media["id"]))
            if info.file_size is not None and info.file_size > limit:
                raise MediaTooLargeError(limit, info.file_size)
            declared = str(media.get("mime_type") or info.mime_type or "") or None
            async with contextlib.aclosing(client.download_media(info.url, max_bytes=limit)) as stream:
                stored = await ingest(
                    runtime, user_id=message.user_id, filename=media_filename(media, message),
                    stream=stream, declared_type=declared, source="whatsapp",
                    conversation_id=message.conversation_id,
                )
            break
        except UntrustedMediaURL as exc:
            raise MediaUnavailable("media URL outside Meta's hosts") from exc
        except GraphError as exc:
            # 404 on the download: the 5-minute URL expired; a fresh GET /{id} gives a new one.
            last = exc
            if not (exc.retryable or exc.http_status == 404) or attempt == FETCH_ATTEMPTS:
                raise MediaUnavailable(f"media fetch failed (code {exc.code})") from exc
            log.info("whatsapp media fetch failed (code=%s http=%s); retrying", exc.code,
                     exc.http_status)
    else:  # pragma: no cover - the loop either breaks or raises
        raise MediaUnavailable("media fetch failed") from last
    expected = media.get("sha256")
    if isinstance(expected, str) and stored.content_sha256 is not None \
            and stored.content_sha256.hex() != expected.lower():
        log.warning("whatsapp media for file %s does not match the webhook's sha256", stored.id)
    await runtime.store.messages.attach_file(
        message.id, file_id=stored.id, file_path=stored.file_path, message_type=stored.kind,
    )
    return stored
