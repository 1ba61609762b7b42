"""The /files API through the real app: every family round-trips, refusals leave nothing behind,
other people's files are invisible, limits hold while streaming."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import pytest

from ignacio_agents.files import FileTooLarge, UnsupportedFileType, ingest
from tests import filegen
from tests.uploads import (
    blob_files,
    multipart_body,
    multipart_headers,
    multipart_length,
    temp_files,
    upload,
)

MiB = 1024 * 1024
PUBLIC_FIELDS = {
    "id", "file_name", "file_type", "file_size", "kind", "created_at", "extraction_status",
    "extraction_error", "part_count", "part_label", "conversation_id", "source",
}

FAMILIES = [
    ("plan.pdf", filegen.make_pdf, "application/pdf", "document"),
    ("plan.docx", filegen.make_docx,
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
    ("budget.xlsx", filegen.make_xlsx,
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document"),
    ("deck.pptx", filegen.make_pptx,
     "application/vnd.openxmlformats-officedocument.presentationml.presentation", "document"),
    ("notes.txt", filegen.make_txt, "text/plain", "document"),
    ("summary.rtf", filegen.make_rtf, "application/rtf", "document"),
    ("logo.png", filegen.make_png, "image/png", "image"),
    ("pitch.mp3", filegen.make_mp3, "audio/mpeg", "audio"),
    ("voice.ogg", filegen.make_ogg, "audio/ogg", "audio"),
]


async def count_rows(client: Any, table: str) -> int:
    async with client.runtime.db.connection() as conn:
        cur = await conn.execute(f"select count(*) as n from {table}")
        return (await cur.fetchone())["n"]


@pytest.fixture
async def owner(make_user: Callable[..., Any], auth_headers: Callable[..., Any]) -> tuple[Any, Any]:
    user = await make_user("Ana")
    return user, await auth_headers(user)


@pytest.mark.parametrize(("name", "make", "mime", "kind"), FAMILIES,
                         ids=[f[0].rsplit(".", 1)[1] for f in FAMILIES])
async def test_each_family_uploads_lists_downloads_and_deletes(
    client: Any, owner: Any, name: str, make: Callable[[], bytes], mime: str, kind: str
) -> None:
    user, headers = owner
    data = make()
    # The client's header is not trusted: octet-stream still ends up as the sniffed type.
    resp = await upload(client, headers, name, data, "application/octet-stream")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == PUBLIC_FIELDS  # never the storage key or the hash
    assert (body["file_name"], body["file_type"], body["file_size"], body["kind"]) == (
        name, mime, len(data), kind)
    assert body["source"] == "web" and body["conversation_id"] is None
    expected_status = "pending" if kind == "document" else "not_applicable"
    assert body["extraction_status"] == expected_status
    file_id = body["id"]

    stored = await client.runtime.store.files.get(file_id)
    assert stored.file_path == f"users/{user.id}/files/{file_id}/{name}"
    assert await client.runtime.blobs.exists(stored.file_path)

    listed = (await client.get("/files", headers=headers)).json()
    assert [f["id"] for f in listed["items"]] == [file_id] and listed["next_cursor"] is None

    meta = await client.get(f"/files/{file_id}", headers=headers)
    assert meta.status_code == 200 and meta.json() == body

    down = await client.get(f"/files/{file_id}/download", headers=headers)
    assert down.status_code == 200
    assert down.content == data
    assert down.headers["content-type"].split(";")[0] == mime
    assert down.headers["content-disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}")
    assert down.headers["x-content-type-options"] == "nosniff"

    gone = await client.delete(f"/files/{file_id}", headers=headers)
    assert gone.status_code == 204
    assert (await client.get(f"/files/{file_id}", headers=headers)).status_code == 404
    assert (await client.get(f"/files/{file_id}/download", headers=headers)).status_code == 404
    assert (await client.get("/files", headers=headers)).json()["items"] == []
    assert await count_rows(client, "user_files") == 0
    assert blob_files(client.runtime.settings) == []
    assert temp_files(client.runtime.settings) == []


@pytest.mark.parametrize(("name", "data", "code", "says"), [
    ("deck.pdf", filegen.make_exe(), "unsupported_file_type", "program"),
    ("notes.txt", filegen.make_elf(), "unsupported_file_type", "program"),
    ("setup.exe", filegen.make_exe(), "unsupported_file_type", "program"),
    ("archive.zip", filegen.make_zip(), "unsupported_file_type", "isn't supported"),
    ("budget.xlsx", filegen.make_zip(), "unsupported_file_type", "ZIP archive"),
    ("data.csv", b"a,b\n1,2\n", "unsupported_file_type", ".csv"),
    ("budget.xlsx", filegen.make_png(), "unsupported_file_type", "PNG image"),
    ("photo.png", filegen.make_pdf(), "unsupported_file_type", "PDF document"),
    ("plan.docx", filegen.make_pptx(), "unsupported_file_type", "named like"),
], ids=["exe-as-pdf", "elf-as-txt", "exe", "zip", "zip-as-xlsx", "csv", "png-as-xlsx",
        "pdf-as-png", "pptx-as-docx"])
async def test_refused_types_get_415_and_leave_nothing(
    client: Any, owner: Any, name: str, data: bytes, code: str, says: str
) -> None:
    _, headers = owner
    resp = await upload(client, headers, name, data, "application/pdf")
    assert resp.status_code == 415, resp.text
    error = resp.json()["error"]
    assert error["code"] == code
    assert says in error["message"]
    assert await count_rows(client, "user_files") == 0
    assert blob_files(client.runtime.settings) == []
    assert temp_files(client.runtime.settings) == []


async def test_a_large_program_is_refused_without_reading_it_all(client: Any, owner: Any) -> None:
    _, headers = owner
    sent = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal sent
        async for piece in multipart_body("budget.pdf", filegen.make_exe() * 4, 20 * MiB):
            sent += len(piece)
            yield piece

    resp = await client.post("/files/upload", headers=multipart_headers(headers), content=counted())
    assert resp.status_code == 415 and "program" in resp.json()["error"]["message"]
    assert sent < 1 * MiB  # refused from its first bytes, not after 20 MB
    assert await count_rows(client, "user_files") == 0
    assert temp_files(client.runtime.settings) == []


async def test_empty_file_is_refused(client: Any, owner: Any) -> None:
    resp = await upload(client, owner[1], "empty.txt", b"")
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "empty_file"


async def test_26_mb_upload_is_413_and_the_stream_is_not_read_to_the_end(
    client: Any, owner: Any
) -> None:
    _, headers = owner
    total = 26 * MiB
    sent = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal sent
        async for piece in multipart_body("big.txt", b"", total):
            sent += len(piece)
            yield piece

    # Chunked (no Content-Length): the limit is enforced while reading.
    resp = await client.post("/files/upload", headers=multipart_headers(headers), content=counted())
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"] == {"code": "file_too_large",
                                    "message": "The file is larger than the 25 MB limit."}
    assert sent < 25 * MiB + 1 * MiB  # stopped right after crossing the limit, not at 26 MB
    assert await count_rows(client, "user_files") == 0
    assert blob_files(client.runtime.settings) == []
    assert temp_files(client.runtime.settings) == []


async def test_declared_content_length_over_the_limit_is_refused_before_reading(
    client: Any, owner: Any
) -> None:
    _, headers = owner
    total = 26 * MiB
    sent = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal sent
        async for piece in multipart_body("big.pdf", b"%PDF-1.7\n", total):
            sent += len(piece)
            yield piece

    length = multipart_length("big.pdf", b"%PDF-1.7\n", total)
    resp = await client.post("/files/upload", headers=multipart_headers(headers, length),
                             content=counted())
    assert resp.status_code == 413
    assert sent == 0
    assert await count_rows(client, "user_files") == 0


async def test_limit_is_exact(make_client: Any, make_settings: Any, make_user: Any) -> None:
    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token

    client = await make_client(make_settings(max_upload_bytes=1000))
    user = await client.runtime.store.users.create("+34610000999", "Eva")
    session = await client.runtime.store.sessions.create(user.id, new_token(),
                                                         __import__("datetime").timedelta(days=1))
    headers = {"Authorization": "Bearer " + issue_access_token(
        client.runtime.settings, user.id, session.id, False)}
    ok = await upload(client, headers, "a.txt", b"x" * 1000)
    assert ok.status_code == 201 and ok.json()["file_size"] == 1000
    over = await upload(client, headers, "b.txt", b"x" * 1001)
    assert over.status_code == 413
    assert over.json()["error"]["message"] == "The file is larger than the 0.000953674 MB limit."
    assert len((await client.get("/files", headers=headers)).json()["items"]) == 1


async def test_other_users_files_are_404_everywhere_and_admins_see_them(
    client: Any, make_user: Any, auth_headers: Any
) -> None:
    ana, bob, admin = await make_user("Ana"), await make_user("Bob"), await make_user(
        "Admin", is_admin=True)
    ana_h, bob_h, admin_h = await auth_headers(ana), await auth_headers(bob), await auth_headers(
        admin)
    file_id = (await upload(client, ana_h, "plan.pdf", filegen.make_pdf())).json()["id"]

    for method, path in [("GET", f"/files/{file_id}"), ("GET", f"/files/{file_id}/download"),
                         ("DELETE", f"/files/{file_id}")]:
        resp = await client.request(method, path, headers=bob_h)
        assert resp.status_code == 404, (method, path)
        assert resp.json()["error"]["code"] == "not_found"
    assert (await client.get("/files", headers=bob_h)).json()["items"] == []
    assert (await client.get(f"/files/{file_id}", headers=ana_h)).status_code == 200  # still there

    missing = "00000000-0000-4000-8000-000000000000"
    assert (await client.get(f"/files/{missing}", headers=ana_h)).status_code == 404
    assert (await client.get(f"/files/{file_id}")).status_code == 401

    assert (await client.get(f"/files/{file_id}", headers=admin_h)).status_code == 200
    assert (await client.get(f"/files/{file_id}/download", headers=admin_h)).content[:5] == b"%PDF-"
    assert (await client.delete(f"/files/{file_id}", headers=admin_h)).status_code == 204
    assert (await client.get(f"/files/{file_id}", headers=ana_h)).status_code == 404


async def test_list_is_newest_first_and_paginated(client: Any, owner: Any) -> None:
    _, headers = owner
    ids = []
    for i in range(3):
        resp = await upload(client, headers, f"note{i}.txt", filegen.make_txt(f"note number {i}"))
        ids.append(resp.json()["id"])
    first = (await client.get("/files", headers=headers, params={"limit": 2})).json()
    assert [f["id"] for f in first["items"]] == [ids[2], ids[1]]
    second = (await client.get("/files", headers=headers,
                               params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [f["id"] for f in second["items"]] == [ids[0]] and second["next_cursor"] is None
    bad = await client.get("/files", headers=headers, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"


async def test_rules_list_the_accepted_types(client: Any, owner: Any) -> None:
    resp = await client.get("/files/rules", headers=owner[1])
    assert resp.status_code == 200
    rules = resp.json()
    assert rules["max_bytes"] == 25 * MiB
    by_mime = {t["mime"]: t for t in rules["types"]}
    assert by_mime["application/pdf"]["extensions"] == ["pdf"]
    assert by_mime["image/jpeg"]["kind"] == "image" and "jpeg" in by_mime["image/jpeg"]["extensions"]
    assert {"audio/mpeg", "audio/ogg", "video/mp4", "application/msword"} <= set(by_mime)
    assert len(rules["types"]) == 20
    assert (await client.get("/files/rules")).status_code == 401


async def test_unicode_names_get_a_safe_content_disposition(client: Any, owner: Any) -> None:
    _, headers = owner
    name = 'presupuesto año "2026".txt'
    file_id = (await upload(client, headers, name, filegen.make_txt())).json()["id"]
    meta = (await client.get(f"/files/{file_id}", headers=headers)).json()
    assert meta["file_name"] == name
    down = await client.get(f"/files/{file_id}/download", headers=headers,
                            params={"disposition": "inline"})
    disposition = down.headers["content-disposition"]
    assert disposition.startswith('inline; filename="presupuesto ano _2026_.txt"; ')
    assert disposition.endswith("filename*=UTF-8''" + quote(name, safe=""))
    assert "\n" not in disposition and '"2026"' not in disposition


async def test_bad_requests_are_400(client: Any, owner: Any) -> None:
    _, headers = owner
    not_form = await client.post("/files/upload", headers=headers, json={"file": "x"})
    assert not_form.status_code == 400 and "multipart/form-data" in not_form.json()["error"]["message"]
    no_file = await client.post("/files/upload", headers=headers, data={"other": "x"},
                                files={"attachment": ("a.txt", b"hello")})
    assert no_file.status_code == 400 and "'file'" in no_file.json()["error"]["message"]
    truncated = await client.post(
        "/files/upload", headers=multipart_headers(headers),
        content=b"--ignacio-test-boundary-7d1f\r\nContent-Disposition: form-data; name=\"file\";"
                b" filename=\"a.txt\"\r\n\r\nhello, this never ends",
    )
    assert truncated.status_code == 400
    assert await count_rows(client, "user_files") == 0
    assert temp_files(client.runtime.settings) == []


async def test_a_body_of_endless_other_fields_is_cut_off(client: Any, owner: Any) -> None:
    _, headers = owner
    sent = 0

    async def fields() -> AsyncIterator[bytes]:
        nonlocal sent
        filler = b"x" * (64 * 1024)
        for i in range(26 * 16):  # 26 MB of non-file fields, never a file part
            piece = (b"--ignacio-test-boundary-7d1f\r\nContent-Disposition: form-data; name=\"f%d\""
                     b"\r\n\r\n" % i) + filler + b"\r\n"
            sent += len(piece)
            yield piece

    resp = await client.post("/files/upload", headers=multipart_headers(headers), content=fields())
    assert resp.status_code == 413
    assert sent < 26 * MiB
    garbled = await client.post("/files/upload", headers=multipart_headers(headers),
                                content=b"--ignacio-test-boundary-7d1f\r\n\x00\x01 not headers\r\n")
    assert garbled.status_code == 400


async def test_conversation_uploads_are_attached(client: Any, owner: Any, make_user: Any) -> None:
    user, headers = owner
    conversation = await client.runtime.store.conversations.create(user.id)
    resp = await upload(client, headers, "deck.pptx", filegen.make_pptx(),
                        conversation_id=str(conversation.id))
    assert resp.status_code == 201
    assert resp.json()["source"] == "conversation"
    assert resp.json()["conversation_id"] == str(conversation.id)
    other = await client.runtime.store.conversations.create((await make_user("Bob")).id)
    refused = await upload(client, headers, "deck.pptx", filegen.make_pptx(),
                           conversation_id=str(other.id))
    assert refused.status_code == 404


async def test_whatsapp_media_without_a_name_is_named_from_its_type(client: Any, owner: Any) -> None:
    user, _ = owner

    async def chunks(data: bytes) -> AsyncIterator[bytes]:
        yield data

    runtime = client.runtime
    note = await ingest(runtime, user_id=user.id, filename="voice-note", source="whatsapp",
                        stream=chunks(filegen.make_ogg()), declared_type="audio/ogg; codecs=opus")
    assert (note.file_name, note.kind, note.source) == ("voice-note.ogg", "audio", "whatsapp")
    assert note.file_path.endswith("/voice-note.ogg")
    # No name, no declared type: the content still decides, and the name gets its extension.
    doc = await ingest(runtime, user_id=user.id, filename="", source="whatsapp",
                       stream=chunks(filegen.make_pdf()), declared_type=None)
    assert (doc.file_name, doc.file_type) == ("file.pdf", "application/pdf")
    # A declared type the content contradicts is a mismatch.
    with pytest.raises(UnsupportedFileType) as refused:
        await ingest(runtime, user_id=user.id, filename="photo", source="whatsapp",
                     stream=chunks(filegen.make_pdf()), declared_type="image/jpeg")
    assert refused.value.reason == "mismatch"
    with pytest.raises(FileTooLarge):
        await ingest(runtime, user_id=user.id, filename="x.txt",
                     stream=chunks(b"x" * (runtime.settings.max_upload_bytes + 1)))
    assert len((await runtime.store.files.list_for_user(user.id)).items) == 2


async def test_supabase_storage_download_is_a_signed_url_redirect(
    make_client: Any, make_settings: Any, tmp_path: Any
) -> None:
    """On Supabase the same pipeline writes the object with its sniffed type and the download
    is a short-lived signed URL (Storage REST replayed from recordings at the HTTP boundary)."""
    import httpx

    from api.tokens import issue_access_token
    from ignacio_agents.blobs import SupabaseBlobStore
    from ignacio_agents.crypto import new_token
    from tests.test_blobs import RecordedStorage, StreamingReplayTransport

    client = await make_client(make_settings(
        storage_backend="supabase", supabase_url="https://proj.supabase.co",
        supabase_service_key="service-key"))
    recorded = RecordedStorage(tmp_path)
    await client.runtime.blobs.close()
    client.runtime.blobs = SupabaseBlobStore(
        "https://proj.supabase.co", "service-key", "ignacio-files",
        http_client=httpx.AsyncClient(transport=StreamingReplayTransport(recorded.handler)))
    rt = client.runtime
    user = await rt.store.users.create("+34610000321", "Ana")
    session = await rt.store.sessions.create(user.id, new_token(),
                                             __import__("datetime").timedelta(days=1))
    headers = {"Authorization": "Bearer " + issue_access_token(rt.settings, user.id, session.id,
                                                               False)}

    resp = await upload(client, headers, "deck.pptx", filegen.make_pptx())
    assert resp.status_code == 201
    file_id = resp.json()["id"]
    key = f"users/{user.id}/files/{file_id}/deck.pptx"
    assert recorded.objects[key][1] == FAMILIES[3][2]  # stored with the sniffed content type
    assert recorded.bucket_created  # the private bucket is made on the first write

    down = await client.get(f"/files/{file_id}/download", headers=headers)
    assert down.status_code == 307
    location = down.headers["location"]
    assert location.startswith(f"https://proj.supabase.co/storage/v1/object/sign/ignacio-files/{key}")
    assert "token=" in location

    refused = await upload(client, headers, "setup.pdf", filegen.make_exe())
    assert refused.status_code == 415
    assert list(recorded.objects) == [key]  # nothing else was written

    assert (await client.delete(f"/files/{file_id}", headers=headers)).status_code == 204
    assert recorded.objects == {}
