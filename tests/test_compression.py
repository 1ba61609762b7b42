"""The edge's gzip sends exactly what Starlette's GZipMiddleware sends, for every shape of
answer: small or large, complete or streamed, compressible or excluded, with or without the
client accepting gzip (only its cost for small answers differs)."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import Message, Receive, Scope, Send

from api.compression import Compression

EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf")
BIG = b'{"items": [' + b'{"id": 1, "title": "mercado"},' * 200 + b"{}]}"


def _app(messages: list[Message]) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in messages:
            await send({**message, "headers": list(message.get("headers", []))}
                       if message["type"] == "http.response.start" else dict(message))
    return app


def _start(content_type: str, length: int | None = None, status: int = 200,
           extra: tuple[tuple[bytes, bytes], ...] = ()) -> Message:
    headers = [(b"content-type", content_type.encode()), *extra]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http.response.start", "status": status, "headers": headers}


SHAPES = {
    "small json": [_start("application/json", 11),
                   {"type": "http.response.body", "body": b'{"ok": true}'}],
    "empty": [_start("application/json", 0), {"type": "http.response.body", "body": b""}],
    "large json": [_start("application/json", len(BIG)),
                   {"type": "http.response.body", "body": BIG}],
    "streamed": [_start("text/plain"),
                 {"type": "http.response.body", "body": b"part one ", "more_body": True},
                 {"type": "http.response.body", "body": b"part two", "more_body": False}],
    "event stream": [_start("text/event-stream"),
                     {"type": "http.response.body", "body": b"data: 1\n\n", "more_body": True},
                     {"type": "http.response.body", "body": b""}],
    "large pdf": [_start("application/pdf", len(BIG)),
                  {"type": "http.response.body", "body": BIG}],
    "already encoded": [_start("application/json", len(BIG), extra=((b"content-encoding", b"br"),)),
                        {"type": "http.response.body", "body": BIG}],
    "partial content": [_start("application/json", len(BIG), status=206),
                        {"type": "http.response.body", "body": BIG}],
}


async def _sent(middleware: Any, accept: bytes | None) -> list[Message]:
    headers = [(b"host", b"testserver")]
    if accept is not None:
        headers.append((b"accept-encoding", accept))
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    out: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        out.append(message)

    await middleware(scope, receive, send)
    return out


@pytest.mark.parametrize("accept", [None, b"gzip, deflate", b"br"])
@pytest.mark.parametrize("shape", list(SHAPES))
async def test_same_messages_as_starlette(shape: str, accept: bytes | None) -> None:
    app = _app(SHAPES[shape])
    ours = await _sent(Compression(app, minimum_size=1024, compresslevel=6,
                                   exclude_content_types=EXCLUDED), accept)
    theirs = await _sent(GZipMiddleware(app, minimum_size=1024, compresslevel=6,
                                        exclude_content_types=EXCLUDED), accept)
    assert ours == theirs


async def test_a_large_answer_is_compressed_for_a_client_that_accepts_gzip() -> None:
    sent = await _sent(Compression(_app(SHAPES["large json"]), minimum_size=1024), b"gzip")
    headers = dict(sent[0]["headers"])
    assert headers[b"content-encoding"] == b"gzip"
    assert gzip.decompress(sent[1]["body"]) == BIG


async def test_a_small_answer_goes_out_as_it_was() -> None:
    sent = await _sent(Compression(_app(SHAPES["small json"]), minimum_size=1024), b"gzip")
    assert sent[1]["body"] == b'{"ok": true}'
    assert b"content-encoding" not in dict(sent[0]["headers"])
