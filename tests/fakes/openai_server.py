"""A fake OpenAI-compatible server (``POST /v1/chat/completions``) on 127.0.0.1, as strict as
OpenAI's own about the request it accepts.

It stands in for OpenAI, Ollama or vLLM at their HTTP boundary: our code talks to it through
the real ``openai`` client that PydanticAI's ``OpenAIChatModel`` uses. A test gives it a
``reply(request_json) -> message`` function returning the assistant message (text and/or
``tool_calls``); the server wraps it as a chat completion (or as SSE chunks when the request
streams), records every request, and reports token usage::

    with FakeOpenAIServer(reply) as server:
        settings = make_settings(openai_base_url=server.base_url, openai_api_key="dummy",
                                 pydantic_ai_model="openai-chat:fake-model")

Before the reply function sees a request, the server checks it the way OpenAI does and answers
with OpenAI's error bodies (``{"error": {"message", "type", "param", "code"}}``):

- an unknown model: 404 ``model_not_found``;
- prompt tokens (counted with the model's own tokenizer: ``cl100k_base`` for gpt-4) plus the
  requested ``max_tokens`` / ``max_completion_tokens`` over the model's context window: 400
  ``context_length_exceeded``, worded as OpenAI words it (Ollama would silently drop the start
  of the prompt instead, which is worse: the fake rejects so a test sees it);
- an ``image_url`` part sent to a text-only model: 400 "Invalid content type";
- a ``tool`` message that answers no preceding ``tool_calls``, or ``tool_calls`` left without
  their ``tool`` answers: 400 ``invalid_request_error``.

Rejected requests are kept in ``rejected`` (with the error) as well as in ``requests``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ignacio_agents.tokens import encoding
from tests.fakes.loopback import LoopbackServer

Reply = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ModelSpec:
    """What the fake knows of a model: its window, its tokenizer, whether it takes images."""

    context_window: int
    encoding: str = "o200k_base"
    vision: bool = False


# OpenAI's published windows; llama3.1 as Ollama serves it by default (4,096-token context).
MODELS: dict[str, ModelSpec] = {
    "gpt-4": ModelSpec(8192, "cl100k_base"),
    "gpt-4o-mini": ModelSpec(128_000, vision=True),
    "gpt-4.1-mini": ModelSpec(1_047_576, vision=True),
    "llama3.1": ModelSpec(4096),
    "fake-model": ModelSpec(128_000),
}
# OpenAI's chat format: every message costs a few tokens of framing, and so does the reply's start.
TOKENS_PER_MESSAGE = 3
REPLY_PRIMING_TOKENS = 3


class FakeHTTPError(Exception):
    """Raise from a reply function (or the checks) to answer with an OpenAI-style error.
    ``retry=False`` sets ``x-should-retry: false`` so the openai client gives up at once."""

    def __init__(self, status: int, message: str = "fake error", *, retry: bool = False,
                 type: str = "server_error", param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.retry = status, message, retry
        self.type, self.param, self.code = type, param, code

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param,
                          "code": self.code}}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> FakeHTTPError:
    return FakeHTTPError(400, message, type="invalid_request_error", param=param, code=code)


@dataclass(frozen=True)
class ChatRequest:
    headers: dict[str, str]
    json: dict[str, Any]
    prompt_tokens: int = 0

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.json.get("tools", [])]


@dataclass(frozen=True)
class Rejection:
    request: ChatRequest
    error: FakeHTTPError


def tool_call(name: str, arguments: dict[str, Any], call_id: str | None = None) -> dict[str, Any]:
    return {"id": call_id or f"call_{uuid.uuid4().hex[:8]}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}}


def _text_of(content: Any) -> tuple[str, int]:
    """The text of a message's content and how many image parts it has."""
    if content is None:
        return "", 0
    if isinstance(content, str):
        return content, 0
    texts, images = [], 0
    for part in content:
        if part.get("type") == "text":
            texts.append(part.get("text", ""))
        elif part.get("type") == "image_url":
            images += 1
    return "\n".join(texts), images


def prompt_tokens(body: dict[str, Any], spec: ModelSpec) -> int:
    """Prompt tokens as OpenAI counts them (the cookbook's rule; tool definitions as JSON, which
    is a little more than OpenAI's own rendering of them: the fake errs on the strict side)."""
    enc = encoding(spec.encoding)

    def count(text: str) -> int:
        return len(enc.encode(text, disallowed_special=())) if text else 0

    total = REPLY_PRIMING_TOKENS
    for message in body.get("messages", []):
        text, images = _text_of(message.get("content"))
        total += TOKENS_PER_MESSAGE + count(message.get("role", "")) + count(text) + 85 * images
        for call in message.get("tool_calls") or []:
            total += count(call["function"]["name"]) + count(call["function"].get("arguments", ""))
        if message.get("tool_call_id"):
            total += count(message["tool_call_id"])
    if body.get("tools"):
        total += count(json.dumps(body["tools"], ensure_ascii=False))
    return total


def check_messages(messages: list[dict[str, Any]], spec: ModelSpec) -> None:
    """OpenAI's structural checks: images only for vision models, tool answers paired."""
    pending: dict[str, int] = {}  # tool_call_id -> index of the assistant message asking
    for i, message in enumerate(messages):
        role = message.get("role")
        if role != "tool" and pending:
            first = min(pending.values())
            raise invalid("An assistant message with 'tool_calls' must be followed by tool messages "
                          "responding to each 'tool_call_id'. The following tool_call_ids did not "
                          f"have response messages: {', '.join(pending)}", param=f"messages.[{first}].role")
        content = message.get("content")
        if isinstance(content, list) and not spec.vision:
            for j, part in enumerate(content):
                if part.get("type") == "image_url":
                    raise invalid("Invalid content type. image_url is only supported by certain models.",
                                  param=f"messages.[{i}].content.[{j}].type")
        if role == "assistant":
            pending = {c["id"]: i for c in message.get("tool_calls") or []}
        elif role == "tool" and pending.pop(message.get("tool_call_id", ""), None) is None:
            raise invalid("Invalid parameter: messages with role 'tool' must be a response to a "
                          "preceeding message with 'tool_calls'.", param=f"messages.[{i}].role")
    if pending:
        raise invalid("An assistant message with 'tool_calls' must be followed by tool messages "
                      "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                      f"response messages: {', '.join(pending)}",
                      param=f"messages.[{min(pending.values())}].role")


def check_window(body: dict[str, Any], spec: ModelSpec, prompt: int) -> None:
    completion = body.get("max_completion_tokens") or body.get("max_tokens")
    window = spec.context_window
    if completion is not None and prompt + completion > window:
        raise invalid(f"This model's maximum context length is {window} tokens. However, you "
                      f"requested {prompt + completion} tokens ({prompt} in the messages, {completion} "
                      "in the completion). Please reduce the length of the messages or completion.",
                      param="messages", code="context_length_exceeded")
    if prompt > window:
        raise invalid(f"This model's maximum context length is {window} tokens. However, your "
                      f"messages resulted in {prompt} tokens. Please reduce the length of the messages.",
                      param="messages", code="context_length_exceeded")


@dataclass
class FakeOpenAIServer(LoopbackServer):
    reply: Reply
    models: dict[str, ModelSpec] = field(default_factory=lambda: dict(MODELS))
    # Fixed usage figures (tests that assert exact sums); False = the tokens actually counted.
    fixed_usage: bool = True
    requests: list[ChatRequest] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    name = "fake-openai"
    prompt_tokens = 120
    completion_tokens = 30

    def __post_init__(self) -> None:
        self.port = 0
        self.app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _error(self, request: ChatRequest, exc: FakeHTTPError) -> JSONResponse:
        self.rejected.append(Rejection(request, exc))
        return JSONResponse(exc.body(), status_code=exc.status,
                            headers={} if exc.retry else {"x-should-retry": "false"})

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        headers = {k.lower(): v for k, v in request.headers.items()}
        spec = self.models.get(body.get("model", ""))
        counted = prompt_tokens(body, spec) if spec else 0
        recorded = ChatRequest(headers=headers, json=body, prompt_tokens=counted)
        self.requests.append(recorded)
        if spec is None:
            return self._error(recorded, FakeHTTPError(
                404, f"The model `{body.get('model')}` does not exist or you do not have access to it.",
                type="invalid_request_error", code="model_not_found"))
        try:
            check_messages(body.get("messages", []), spec)
            check_window(body, spec, counted)
            message = {"role": "assistant", "content": None, **self.reply(body)}
        except FakeHTTPError as exc:
            return self._error(recorded, exc)
        return self._respond(body, message, spec, counted)

    def _usage(self, message: dict[str, Any], spec: ModelSpec, counted: int) -> dict[str, int]:
        if self.fixed_usage:
            prompt, completion = self.prompt_tokens, self.completion_tokens
        else:
            enc = encoding(spec.encoding)
            text = (message.get("content") or "") + "".join(
                c["function"]["name"] + c["function"]["arguments"] for c in message.get("tool_calls") or [])
            prompt, completion = counted, len(enc.encode(text, disallowed_special=()))
        return {"prompt_tokens": prompt, "completion_tokens": completion,
                "total_tokens": prompt + completion}

    def _respond(self, body: dict[str, Any], message: dict[str, Any], spec: ModelSpec,
                 counted: int) -> Response:
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        usage = self._usage(message, spec, counted)
        created, model, cid = int(time.time()), body.get("model", "fake"), f"chatcmpl-{uuid.uuid4().hex}"
        if not body.get("stream"):
            return JSONResponse({
                "id": cid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage,
            })

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            payload = {"id": cid, "object": "chat.completion.chunk", "created": created,
                       "model": model, "choices": [{"index": 0, "delta": delta,
                                                    "finish_reason": finish_reason}]}
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
