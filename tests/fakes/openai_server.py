"""A fake OpenAI-compatible server (``POST /v1/chat/completions``) on 127.0.0.1.

It stands in for OpenAI, Ollama or vLLM at their HTTP boundary: our code talks to it through
the real ``openai`` client that PydanticAI's ``OpenAIChatModel`` uses. A test gives it a
``reply(request_json) -> message`` function returning the assistant message (text and/or
``tool_calls``); the server wraps it as a chat completion (or as SSE chunks when the request
streams), records every request, and adds token usage::

    with FakeOpenAIServer(reply) as server:
        settings = make_settings(openai_base_url=server.base_url, openai_api_key="dummy",
                                 pydantic_ai_model="openai-chat:fake-model")
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer

Reply = Callable[[dict[str, Any]], dict[str, Any]]


class FakeHTTPError(Exception):
    """Raise from a reply function to answer with an OpenAI-style error. ``retry=False`` sets
    ``x-should-retry: false`` so the openai client gives up at once (keeps tests fast)."""

    def __init__(self, status: int, message: str = "fake error", *, retry: bool = False):
        super().__init__(message)
        self.status, self.message, self.retry = status, message, retry


@dataclass(frozen=True)
class ChatRequest:
    headers: dict[str, str]
    json: dict[str, Any]

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.json.get("tools", [])]


def tool_call(name: str, arguments: dict[str, Any], call_id: str | None = None) -> dict[str, Any]:
    return {"id": call_id or f"call_{uuid.uuid4().hex[:8]}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)}}


class FakeOpenAIServer(LoopbackServer):
    name = "fake-openai"
    prompt_tokens = 120
    completion_tokens = 30

    def __init__(self, reply: Reply):
        self.reply = reply
        self.requests: list[ChatRequest] = []
        self.port = 0
        self.app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(ChatRequest(headers={k.lower(): v for k, v in request.headers.items()},
                                         json=body))
        try:
            message = {"role": "assistant", "content": None, **self.reply(body)}
        except FakeHTTPError as exc:
            return JSONResponse(
                {"error": {"message": exc.message, "type": "server_error", "code": None}},
                status_code=exc.status,
                headers={} if exc.retry else {"x-should-retry": "false"},
            )
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        usage = {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                 "total_tokens": self.prompt_tokens + self.completion_tokens}
        created, model, cid = int(time.time()), body.get("model", "fake"), f"chatcmpl-{uuid.uuid4().hex}"
        if not body.get("stream"):
            return JSONResponse({
                "id": cid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage,
            })

        def chunk(delta: dict[str, Any], finish_reason: str | None = None,
                  **extra: Any) -> bytes:
            payload = {"id": cid, "object": "chat.completion.chunk", "created": created,
                       "model": model, "choices": [{"index": 0, "delta": delta,
                                                    "finish_reason": finish_reason}], **extra}
            return f"data: {json.dumps(payload)}\n\n".encode()

        async def events() -> AsyncIterator[bytes]:
            yield chunk({"role": "assistant", "content": message.get("content") or ""})
            for i, call in enumerate(message.get("tool_calls") or []):
                args = call["function"]["arguments"]
                yield chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                             "function": {"name": call["function"]["name"],
                                                          "arguments": ""}}]})
                for j in range(0, len(args), 16):
                    yield chunk({"tool_calls": [{"index": i, "function": {"arguments": args[j:j + 16]}}]})
            yield chunk({}, finish)
            final = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                     "choices": [], "usage": usage}
            yield f"data: {json.dumps(final)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

