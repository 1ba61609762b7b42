"""A fake OpenAI-compatible transcription server on 127.0.0.1 (``POST /v1/audio/transcriptions``).

It stands in for OpenAI at its HTTP boundary: our real client sends a real multipart request,
the fake parses it, records what arrived and answers ``{"text": ...}``, or a scripted error::

    with FakeTranscriptionServer(text="hola, soy Ana") as fake:
        settings = make_settings(**fake.settings_overrides())
        ...
        assert fake.requests[0].model == "gpt-4o-mini-transcribe"
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer

API_KEY = "sk-fake-transcription-key"


@dataclass(frozen=True)
class TranscriptionRequest:
    authorization: str
    model: str
    response_format: str | None
    filename: str
    content_type: str
    audio: bytes


class FakeTranscriptionServer(LoopbackServer):
    name = "fake-transcription"
    def __init__(self, *, text: str = "", delay: float = 0.0) -> None:
        self.text = text
        self.delay = delay
        self.requests: list[TranscriptionRequest] = []
        self._failures: list[tuple[int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self.port = 0
        self.app = Starlette(routes=[
            Route("/v1/audio/transcriptions", self._transcribe, methods=["POST"]),
        ])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def settings_overrides(self) -> dict[str, Any]:
        return {"openai_api_key": API_KEY, "openai_base_url": self.base_url}

    def fail_next(self, status: int, message: str = "scripted failure", times: int = 1) -> None:
        with self._lock:
            self._failures += [(status, {"error": {"message": message, "type": "fake"}})] * times

    async def _transcribe(self, request: Request) -> Response:
        form = await request.form()
        upload = form["file"]
        audio = await upload.read()  # type: ignore[union-attr]
        with self._lock:
            self.requests.append(TranscriptionRequest(
                authorization=request.headers.get("authorization", ""),
                model=str(form.get("model")),
                response_format=str(form["response_format"]) if "response_format" in form else None,
                filename=upload.filename or "",  # type: ignore[union-attr]
                content_type=upload.content_type or "",  # type: ignore[union-attr]
                audio=audio,
            ))
            failure = self._failures.pop(0) if self._failures else None
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return JSONResponse({"error": {"message": "Incorrect API key provided"}}, 401)
        if failure is not None:
            return JSONResponse(failure[1], failure[0])
        return JSONResponse({"text": self.text})

    # --- lifecycle ----------------------------------------------------------------------------

