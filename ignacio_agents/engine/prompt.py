"""The turn's user prompt: the participant's words plus a note about each attachment, and an
attached image as image input when the model takes images.

Only the note reaches the stored history (``memory`` replaces image bytes with a reference), so
later turns replay a reference, never the picture.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic_ai.messages import BinaryContent, UserContent

from ignacio_agents.blobs import BlobNotFound, BlobStore
from ignacio_agents.domain import ATTACHMENT_NOTE_PREFIX, MessageType
from ignacio_agents.store.files import UserFile

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 20 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def attachment_note(meta: UserFile) -> str:
    """What the model is told about an attached file (and how to read it)."""
    ref = f"{ATTACHMENT_NOTE_PREFIX}{meta.kind.value}: {meta.file_name} (file_id {meta.id})"
    if meta.transcript:
        ref += f'; transcript: "{meta.transcript}"'
    elif meta.kind is MessageType.document:
        ref += "; read its text with read_file"
    return ref + "]"


def is_sendable_image(meta: UserFile) -> bool:
    return (meta.kind is MessageType.image and meta.file_type in IMAGE_TYPES
            and meta.file_size <= MAX_IMAGE_BYTES)


async def build_prompt(text: str, files: Sequence[UserFile], blobs: BlobStore, *,
                       send_images: bool) -> str | list[UserContent]:
    """The user prompt for ``text`` and ``files`` (the turn's resolved attachments)."""
    lines = [text] if text else []
    images: list[UserContent] = []
    for meta in files:
        lines.append(attachment_note(meta))
        if send_images and is_sendable_image(meta):
            try:
                data = b"".join([chunk async for chunk in blobs.get(meta.file_path)])
            except Exception as exc:  # the reference is still in the prompt; answer anyway
                log.warning("attached image could not be read (%s)",
                            "missing" if isinstance(exc, BlobNotFound) else type(exc).__name__)
                continue
            images.append(BinaryContent(data=data, media_type=meta.file_type, identifier=str(meta.id)))
    prompt = "\n".join(lines)
    return [prompt, *images] if images else prompt
