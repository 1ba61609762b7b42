"""Voice notes and audio: transcribed through an OpenAI-compatible endpoint (a fake on
127.0.0.1), the transcript stored on the file and searchable; honest when not configured."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from ignacio_agents import file_jobs
from ignacio_agents.files import ingest
from ignacio_agents.transcription import (
    NOT_CONFIGURED_MESSAGE,
    TranscriptionError,
    TranscriptionNotConfigured,
    transcribe,
    transcribe_audio,
)
from tests import filegen
from tests.fakes.transcription import API_KEY, FakeTranscriptionServer
from tests.uploads import run_jobs, temp_files, upload

SAID = "Hola Ignacio, hemos cerrado el acuerdo con la cooperativa de Valdivia"


@pytest.fixture
def fake() -> Iterator[FakeTranscriptionServer]:
    with FakeTranscriptionServer(text=SAID) as server:
        yield server


@pytest.fixture
async def app(make_client: Any, make_settings: Any, fake: FakeTranscriptionServer) -> Any:
    return await make_client(make_settings(**fake.settings_overrides()))


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def voice_note(app: Any, user_id: Any) -> Any:
    return await ingest(app.runtime, user_id=user_id, filename="", source="whatsapp",
                        stream=one_chunk(filegen.make_ogg()),
                        declared_type="audio/ogg; codecs=opus")


async def test_a_voice_note_is_transcribed_and_stored_on_the_file(
    app: Any, fake: FakeTranscriptionServer
) -> None:
    runtime = app.runtime
    user = await runtime.store.users.create("+34610000001", "Ana")
    note = await voice_note(app, user.id)
    assert (note.kind, note.file_name, note.extraction_status) == ("audio", "file.ogg", "pending")

    await run_jobs(runtime)

    stored = await runtime.store.files.get(note.id)
    assert stored.transcript == SAID
    assert stored.extraction_status == "done" and stored.extraction_error is None
    [request] = fake.requests
    assert request.authorization == f"Bearer {API_KEY}"
    assert request.model == runtime.settings.transcription_model == "gpt-4o-mini-transcribe"
    assert request.response_format == "json"
    assert (request.filename, request.content_type) == ("file.ogg", "audio/ogg")
    assert request.audio == filegen.make_ogg()

    # What was said is searchable like any document, located as the transcript.
    [hit] = await runtime.store.files.search(user.id, "cooperativa Valdivia")
    assert (hit.file_id, hit.part, hit.location) == (note.id, "transcript", "transcript")

    # The engine's entry point returns the stored text without calling the service again.
    assert await transcribe(runtime, stored) == SAID
    assert len(fake.requests) == 1
    assert temp_files(runtime.settings) == []


async def test_web_audio_uploads_are_transcribed_too(app: Any, fake: FakeTranscriptionServer) -> None:
    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token

    runtime = app.runtime
    user = await runtime.store.users.create("+34610000002", "Ana")
    session = await runtime.store.sessions.create(user.id, new_token(),
                                                  __import__("datetime").timedelta(days=1))
    headers = {"Authorization": "Bearer " + issue_access_token(runtime.settings, user.id,
                                                               session.id, False)}
    resp = await upload(app, headers, "pitch.mp3", filegen.make_mp3())
    assert resp.status_code == 201 and resp.json()["extraction_status"] == "pending"
    await run_jobs(runtime)
    meta = (await app.get(f"/files/{resp.json()['id']}", headers=headers)).json()
    assert meta["extraction_status"] == "done"
    assert (await runtime.store.files.get(meta["id"])).transcript == SAID
    assert fake.requests[0].content_type == "audio/mpeg"


async def test_concurrent_requests_share_one_transcription(make_client: Any,
                                                           make_settings: Any) -> None:
    with FakeTranscriptionServer(text=SAID, delay=0.3) as slow:
        app = await make_client(make_settings(**slow.settings_overrides()))
        user = await app.runtime.store.users.create("+34610000003", "Ana")
        note = await voice_note(app, user.id)
        texts = await asyncio.gather(transcribe(app.runtime, note), transcribe(app.runtime, note),
                                     file_jobs.run_transcription(app.runtime, note.id))
        assert texts == [SAID, SAID, "done"]
        assert len(slow.requests) == 1


async def test_without_transcription_configured_the_user_is_told(client: Any) -> None:
    runtime = client.runtime
    assert not runtime.settings.transcription_configured
    user = await runtime.store.users.create("+34610000004", "Ana")
    note = await voice_note(client, user.id)
    assert note.extraction_status == "not_applicable"
    assert await count_jobs(runtime) == 0
    with pytest.raises(TranscriptionNotConfigured) as told:
        await transcribe(runtime, note)
    assert str(told.value) == NOT_CONFIGURED_MESSAGE and "transcribed" in str(told.value)
    assert await file_jobs.run_transcription(runtime, note.id) == "not_applicable"


async def count_jobs(runtime: Any) -> int:
    async with runtime.db.connection() as conn:
        cur = await conn.execute("select count(*) as n from procrastinate_jobs"
                                 " where task_name like 'files:%%'")
        return (await cur.fetchone())["n"]


async def test_service_failures_mark_the_file_failed_with_a_reason(
    app: Any, fake: FakeTranscriptionServer
) -> None:
    runtime = app.runtime
    user = await runtime.store.users.create("+34610000005", "Ana")
    note = await voice_note(app, user.id)

    # A busy service is retried by the job (raised) until the last attempt.
    fake.fail_next(503, "overloaded", times=2)
    with pytest.raises(TranscriptionError) as busy:
        await file_jobs.run_transcription(runtime, note.id, last_attempt=False)
    assert busy.value.retryable and "HTTP 503: overloaded" in str(busy.value)
    assert await file_jobs.run_transcription(runtime, note.id, last_attempt=True) == "failed"
    failed = await runtime.store.files.get(note.id)
    assert failed.extraction_status == "failed" and "busy" in failed.extraction_error
    assert failed.transcript is None

    # Once the service recovers, the next attempt succeeds.
    assert await file_jobs.run_transcription(runtime, note.id) == "done"
    assert (await runtime.store.files.get(note.id)).transcript == SAID

    # A bad request is not retried.
    other = await voice_note(app, user.id)
    fake.fail_next(400, "Invalid file format.")
    assert await file_jobs.run_transcription(runtime, other.id, last_attempt=False) == "failed"
    reason = (await runtime.store.files.get(other.id)).extraction_error
    assert reason == ("The transcription service couldn't process this audio "
                      "(HTTP 400: Invalid file format.).")


async def test_client_errors_are_clear_and_never_show_the_key(
    make_settings: Any, fake: FakeTranscriptionServer, tmp_path: Any
) -> None:
    audio = tmp_path / "note.ogg"
    audio.write_bytes(filegen.make_ogg())

    wrong_key = make_settings(openai_api_key="sk-wrong-secret", openai_base_url=fake.base_url)
    with pytest.raises(TranscriptionError) as refused:
        await transcribe_audio(wrong_key, audio, filename="note.ogg", content_type="audio/ogg")
    assert "credentials" in str(refused.value) and not refused.value.retryable
    assert "sk-wrong-secret" not in str(refused.value)

    nowhere = make_settings(openai_api_key=API_KEY, openai_base_url="http://127.0.0.1:9/v1")
    with pytest.raises(TranscriptionError) as unreachable:
        await transcribe_audio(nowhere, audio, filename="note.ogg", content_type="audio/ogg")
    assert unreachable.value.retryable and "could not be reached" in str(unreachable.value)

    wrong_path = make_settings(openai_api_key=API_KEY, openai_base_url=fake.base_url + "/nope")
    with pytest.raises(TranscriptionError) as missing:
        await transcribe_audio(wrong_path, audio, filename="note.ogg", content_type="audio/ogg")
    assert "OPENAI_BASE_URL" in str(missing.value)

    ok = make_settings(**fake.settings_overrides())
    assert await transcribe_audio(ok, audio, filename="note.ogg", content_type="audio/ogg") == SAID


async def test_only_audio_can_be_transcribed(app: Any) -> None:
    user = await app.runtime.store.users.create("+34610000006", "Ana")
    doc = await ingest(app.runtime, user_id=user.id, filename="notes.txt",
                       stream=one_chunk(filegen.make_txt()))
    with pytest.raises(ValueError, match="only audio"):
        await transcribe(app.runtime, doc)
