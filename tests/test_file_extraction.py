"""Extraction as a background job: text with citable locations, full-text search over it, reuse
for identical bytes, and hostile files failing with a reason while the app keeps answering."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from ignacio_agents import file_jobs
from tests import filegen
from tests.uploads import run_jobs, temp_files, upload


@pytest.fixture
async def owner(make_user: Callable[..., Any], auth_headers: Callable[..., Any]) -> tuple[Any, Any]:
    user = await make_user("Ana")
    return user, await auth_headers(user)


async def uploaded(client: Any, headers: dict[str, str], name: str, data: bytes) -> UUID:
    resp = await upload(client, headers, name, data)
    assert resp.status_code == 201, resp.text
    return UUID(resp.json()["id"])


async def jobs_for(client: Any, file_id: UUID) -> int:
    async with client.runtime.db.connection() as conn:
        cur = await conn.execute(
            "select count(*) as n from procrastinate_jobs where args->>'file_id' = %s",
            (str(file_id),))
        return (await cur.fetchone())["n"]


async def test_documents_are_extracted_with_their_locations(client: Any, owner: Any) -> None:
    user, headers = owner
    files = client.runtime.store.files
    ids = {name: await uploaded(client, headers, name, make()) for name, make in [
        ("plan.pdf", filegen.make_pdf), ("budget.xlsx", filegen.make_xlsx),
        ("deck.pptx", filegen.make_pptx), ("plan.docx", filegen.make_docx),
        ("notes.txt", filegen.make_txt), ("summary.rtf", filegen.make_rtf),
    ]}
    assert {(await files.get(i)).extraction_status for i in ids.values()} == {"pending"}
    await run_jobs(client.runtime)

    expected = {"plan.pdf": (3, "page"), "budget.xlsx": (2, "sheet"), "deck.pptx": (4, "slide"),
                "plan.docx": (None, "paragraph"), "notes.txt": (3, "paragraph"),
                "summary.rtf": (2, "paragraph")}
    for name, file_id in ids.items():
        meta = (await client.get(f"/files/{file_id}", headers=headers)).json()
        assert meta["extraction_status"] == "done", (name, meta["extraction_error"])
        count, label = expected[name]
        assert meta["part_label"] == label, name
        if count is not None:
            assert meta["part_count"] == count, name

    pdf_page = await files.read_part(user.id, ids["plan.pdf"], "page:3")
    assert [(p.part, p.location) for p in pdf_page] == [("page:3", "page 3")]
    assert filegen.PDF_PHRASE in pdf_page[0].content
    assert filegen.PDF_PHRASE not in "".join(
        p.content for p in await files.read_part(user.id, ids["plan.pdf"], "page:2"))
    assert await files.parts(ids["plan.pdf"]) == ["page:1", "page:2", "page:3"]

    slide = await files.read_part(user.id, ids["deck.pptx"], "slide:4")
    assert slide[0].location == "slide 4"
    assert filegen.PPTX_PHRASE in slide[0].content and filegen.PPTX_NOTES in slide[0].content

    budget = await files.read_part(user.id, ids["budget.xlsx"], "sheet:Budget")
    assert budget and all(p.location.startswith("Budget!") for p in budget)
    assert "B7: 12500" in budget[0].content

    docx = await files.read_part(user.id, ids["plan.docx"], None)
    assert docx[0].location.startswith("paragraph")
    assert filegen.DOCX_PHRASE in docx[0].content and "Q2 | 5500" in docx[0].content

    for name, phrase in (("notes.txt", filegen.TXT_PHRASE), ("summary.rtf", filegen.RTF_PHRASE)):
        parts = await files.read_part(user.id, ids[name], None)
        assert parts[0].location.startswith("paragraphs ") and phrase in parts[0].content
    assert temp_files(client.runtime.settings) == []


async def test_search_finds_a_pdf_page_and_a_spreadsheet_cell(client: Any, owner: Any) -> None:
    user, headers = owner
    pdf = await uploaded(client, headers, "plan.pdf", filegen.make_pdf(pages=5))
    xlsx = await uploaded(client, headers, "budget.xlsx", filegen.make_xlsx())
    await uploaded(client, headers, "notes.txt", filegen.make_txt())
    await run_jobs(client.runtime)
    files = client.runtime.store.files

    hits = await files.search(user.id, "lighthouse cooperative members")
    assert hits, "the PDF phrase should be found"
    top = hits[0]
    assert (top.file_id, top.file_name, top.part, top.location) == (pdf, "plan.pdf", "page:3",
                                                                   "page 3")
    assert "lighthouse" in top.snippet.lower()

    hits = await files.search(user.id, "12500")
    assert [(h.file_id, h.file_name) for h in hits] == [(xlsx, "budget.xlsx")]
    assert hits[0].part == "sheet:Budget" and hits[0].location.startswith("Budget!")
    assert "B7: 12500" in hits[0].snippet  # the value with its cell reference
    assert "**" not in hits[0].snippet  # no highlight marks to leak into answers

    rent = await files.search(user.id, "office rent")
    assert rent and rent[0].file_id == xlsx and "A7: " in rent[0].snippet

    # Another user's search sees nothing of Ana's files.
    other = await client.runtime.store.users.create("+34619999999", "Bob")
    assert await files.search(other.id, "lighthouse cooperative") == []


async def test_identical_bytes_reuse_the_extraction(client: Any, owner: Any) -> None:
    user, headers = owner
    data = filegen.make_pdf()
    first = await uploaded(client, headers, "plan.pdf", data)
    await run_jobs(client.runtime)

    again = await upload(client, headers, "plan (copy).pdf", data)
    body = again.json()
    assert again.status_code == 201
    assert (body["extraction_status"], body["part_count"], body["part_label"]) == ("done", 3, "page")
    second = UUID(body["id"])
    assert await jobs_for(client, second) == 0  # nothing was queued: the chunks were copied
    hits = await client.runtime.store.files.search(user.id, "lighthouse cooperative")
    assert {(h.file_id, h.location) for h in hits} == {(first, "page 3"), (second, "page 3")}

    # Deleting the original keeps the copy searchable.
    assert (await client.delete(f"/files/{first}", headers=headers)).status_code == 204
    hits = await client.runtime.store.files.search(user.id, "lighthouse cooperative")
    assert [h.file_id for h in hits] == [second]


async def test_legacy_doc_is_stored_but_unreadable(client: Any, owner: Any) -> None:
    _, headers = owner
    file_id = await uploaded(client, headers, "old plan.doc", filegen.make_doc())
    await run_jobs(client.runtime)
    meta = (await client.get(f"/files/{file_id}", headers=headers)).json()
    assert meta["file_type"] == "application/msword"
    assert meta["extraction_status"] == "unreadable"
    assert ".docx" in meta["extraction_error"]
    down = await client.get(f"/files/{file_id}/download", headers=headers)
    assert down.content == filegen.make_doc()


async def test_hostile_files_fail_with_a_reason_while_the_app_keeps_answering(
    client: Any, owner: Any
) -> None:
    user, headers = owner
    rt = client.runtime
    corrupt = await uploaded(client, headers, "report.pdf", filegen.make_corrupt_pdf())
    bomb = await uploaded(client, headers, "plan.docx", filegen.make_zip_bomb_docx())
    liar = await uploaded(client, headers, "deck.docx",
                          filegen.make_zip_bomb_docx(declared_bytes=4096))

    # The job worker runs in this process and event loop, as in `ignacio serve`.
    worker = asyncio.create_task(run_jobs(rt))
    deadline = time.monotonic() + 90  # a bound, generous for a loaded CI machine
    health_while_busy = 0
    while not worker.done() and time.monotonic() < deadline:
        resp = await client.get("/health")
        assert resp.status_code == 200 and resp.json()["status"] == "ok"
        health_while_busy += 1
        await asyncio.sleep(0.02)
    await asyncio.wait_for(worker, timeout=max(0.1, deadline - time.monotonic()))
    assert health_while_busy >= 1  # answered while the hostile files were being processed

    statuses = {i: (await rt.store.files.get(i)).extraction_status for i in (corrupt, bomb, liar)}
    assert statuses == {corrupt: "failed", bomb: "failed", liar: "failed"}
    errors = {i: (await client.get(f"/files/{i}", headers=headers)).json()["extraction_error"]
              for i in (corrupt, bomb, liar)}
    assert "damaged" in errors[corrupt]
    assert "zip bomb" in errors[bomb]
    assert errors[liar]  # a lying directory is caught too, with a reason
    assert (await client.get("/health")).status_code == 200
    assert await rt.store.files.search(user.id, "lighthouse") == []


async def test_extraction_is_bounded_in_time(client: Any, owner: Any, monkeypatch: Any) -> None:
    """The parse budget turns into a 'failed' with a reason, not a stuck job."""
    _, headers = owner
    file_id = await uploaded(client, headers, "big.pdf", filegen.make_pdf(pages=400))
    status = await file_jobs.run_extraction(client.runtime, file_id, parse_seconds=0.01)
    assert status == "failed"
    meta = (await client.get(f"/files/{file_id}", headers=headers)).json()
    assert meta["extraction_status"] == "failed"
    assert "longer than 0.01 seconds" in meta["extraction_error"]


async def test_jobs_are_idempotent_and_tolerate_deleted_files(client: Any, owner: Any) -> None:
    user, headers = owner
    file_id = await uploaded(client, headers, "notes.txt", filegen.make_txt())
    assert await file_jobs.run_extraction(client.runtime, file_id) == "done"
    assert await file_jobs.run_extraction(client.runtime, file_id) == "done"  # left alone
    chunks = await client.runtime.store.files.read_part(user.id, file_id, None)
    assert len(chunks) == 1
    assert (await client.delete(f"/files/{file_id}", headers=headers)).status_code == 204
    assert await file_jobs.run_extraction(client.runtime, file_id) == "gone"
    await run_jobs(client.runtime)  # the queued job finds nothing to do and succeeds
