"""A participant's data export: one ZIP with everything Ignacio holds about them.

- ``export.json``: the account, project profile and its history, every conversation and message
  of every channel, the files' details, what Ignacio remembers (and what it was asked to
  forget), cohorts, usage and signed-in sessions;
- ``transcript.md``: the conversations as a readable Markdown transcript, oldest first;
- ``files/<file id>/<name>``: every stored file, as uploaded.

The ZIP is written to a temporary file (never held whole in memory) in a worker thread; files
are copied from the blob store chunk by chunk.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import zipfile
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

from ignacio_agents.blobs import BlobStore, safe_name
from ignacio_agents.errors import NotFound
from ignacio_agents.store import Store
from ignacio_agents.store.exports import ExportStore

SPOOL_BYTES = 8 * 1024 * 1024  # larger exports go to disk


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if hasattr(value, "value"):  # enums
        return value.value
    raise TypeError(f"not exportable: {type(value).__name__}")


def file_entry(file: dict[str, Any]) -> str:
    return f"files/{file['id']}/{safe_name(file['file_name'])}"


def transcript_markdown(name: str | None, data: dict[str, list[dict[str, Any]]]) -> str:
    """The conversations as Markdown: a heading per conversation, one block per message."""
    by_conversation: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for m in data["messages"]:
        by_conversation[m["conversation_id"]].append(m)
    files = {f["id"]: f for f in data["files"]}
    lines = [f"# Ignacio: conversations of {name or 'you'}", ""]
    for conv in data["conversations"]:
        lines += [f"## {conv['title'] or 'Untitled'} ({conv['channel']})",
                  f"_Started {conv['created_at']:%Y-%m-%d %H:%M} UTC_", ""]
        for m in by_conversation.get(conv["id"], []):
            who = "You" if m["is_from_user"] else f"Ignacio ({m['agent'] or 'advisor'})"
            lines.append(f"**{who}**, {m['created_at']:%Y-%m-%d %H:%M}:")
            if m["file_id"] and m["file_id"] in files:
                lines.append(f"[file: {files[m['file_id']]['file_name']}]"
                             f"({file_entry(files[m['file_id']])})")
            lines += [m["content"] or "", ""]
    return "\n".join(lines) + "\n"


async def build_export(store: Store, blobs: BlobStore, user_id: UUID) -> IO[bytes]:
    """The participant's ZIP, as a temporary file positioned at its start (close it when sent)."""
    user = await store.users.get(user_id)
    if user is None:
        raise NotFound.of("user")
    data = await ExportStore(store.db).snapshot(user_id)
    account = {"id": user.id, "name": user.name, "phone_number": user.phone_number,
               "preferred_language": user.preferred_language, "is_admin": user.is_admin,
               "created_at": user.created_at}
    files = [{**{k: v for k, v in f.items() if k != "file_path"}, "path_in_export": file_entry(f)}
             for f in data["files"]]  # the storage key is ours, not theirs
    document = {"exported_at": datetime.now(UTC), "account": account, **data, "files": files}
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the caller closes it)
    archive = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
    try:
        body = json.dumps(document, default=_json_default, ensure_ascii=False, indent=2)
        await asyncio.to_thread(archive.writestr, "export.json", body)
        markdown = transcript_markdown(user.name, data)
        await asyncio.to_thread(archive.writestr, "transcript.md", markdown)
        for f in data["files"]:
            await _copy_blob(blobs, f["file_path"], archive, file_entry(f))
    finally:
        await asyncio.to_thread(archive.close)
    out.seek(0)
    return out


async def _copy_blob(blobs: BlobStore, key: str, archive: zipfile.ZipFile, name: str) -> None:
    """One stored object into the archive, a chunk at a time (a missing one becomes a note)."""
    entry = await asyncio.to_thread(archive.open, name, "w")
    try:
        async for chunk in blobs.get(key):
            await asyncio.to_thread(entry.write, chunk)
    except NotFound:
        await asyncio.to_thread(entry.write, b"(this file's stored copy is missing)")
    finally:
        await asyncio.to_thread(entry.close)
