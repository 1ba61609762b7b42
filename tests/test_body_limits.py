"""Request bodies over a route's ceiling are answered 413 before the app reads or parses them.

The memory side (four 200 MB bodies at once leave the server's RSS flat) is measured by
``bench/oversized_bodies.py``; here the status and how much of a body was pulled are asserted.
"""

from __future__ import annotations

from typing import Any

from api.body_limits import BodyLimits

MIB = 1024 * 1024


async def _asgi_post(app: Any, path: str, *, declared: int | None, chunk: int = 64 * 1024,
                     chunks: int | None = None) -> tuple[int, bytes, int]:
    """POST straight through the ASGI interface; returns (status, body, bytes the app pulled)."""
    headers = [(b"host", b"testserver"), (b"content-type", b"application/json")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": headers, "client": ("203.0.113.9", 5000),
             "server": ("testserver", 80)}
    pulled = {"bytes": 0, "calls": 0}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        pulled["calls"] += 1
        more = chunks is None or pulled["calls"] < chunks
        pulled["bytes"] += chunk
        return {"type": "http.request", "body": b"x" * chunk, "more_body": more}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, pulled["bytes"]


async def test_declared_oversize_is_413_without_reading_a_byte(client):
    for path in ("/auth/request-otp", "/auth/refresh", "/webhooks/whatsapp", "/conversations"):
        status, body, pulled = await _asgi_post(client.app, path, declared=200 * MIB)
        assert status == 413, path
        assert b'"payload_too_large"' in body
        assert pulled == 0, f"{path}: the app read {pulled} bytes of a refused body"


async def test_chunked_oversize_stops_reading_at_the_ceiling(client):
    limits = BodyLimits()
    # An endless chunked body (no Content-Length): reading stops one chunk past the ceiling.
    for path, ceiling in (("/auth/verify-otp", limits.auth), ("/webhooks/whatsapp", limits.webhook),
                          ("/conversations", limits.json)):
        status, body, pulled = await _asgi_post(client.app, path, declared=None)
        assert status == 413, path
        assert b'"payload_too_large"' in body
        assert pulled <= ceiling + 64 * 1024, f"{path}: pulled {pulled} bytes"


async def test_oversized_bodies_over_http_answer_413_json(client):
    big_auth = b'{"phone_number": "' + b"1" * (32 * 1024) + b'"}'
    resp = await client.post("/auth/request-otp", content=big_auth,
                             headers={"content-type": "application/json"})
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"
    # Unsigned webhook: the ceiling answers before the signature check would (401).
    resp = await client.post("/webhooks/whatsapp", content=b"{" + b" " * (5 * MIB) + b"}")
    assert resp.status_code == 413
    # A JSON route behind authentication: the ceiling answers before the token check (401).
    resp = await client.post("/conversations", content=b" " * (2 * MIB),
                             headers={"content-type": "application/json"})
    assert resp.status_code == 413


async def test_bodies_under_the_ceiling_reach_the_route(client):
    resp = await client.post("/auth/request-otp", json={"phone_number": "+34612000001"})
    assert resp.status_code == 202
    resp = await client.post("/webhooks/whatsapp", content=b"{}")
    assert resp.status_code == 401  # reached the signature check
    resp = await client.post("/conversations", json={"title": "x"})
    assert resp.status_code == 401  # reached authentication


async def test_uploads_keep_their_own_limit(make_client, make_settings):
    client = await make_client(make_settings(max_upload_bytes=1 * MIB, max_json_body_bytes=1024))
    limits = client.app.state.settings
    assert limits.max_json_body_bytes == 1024
    # 2 KiB is over the JSON ceiling but far under the upload limit: the upload route answers
    # (401 without a token), not the edge.
    files = {"file": ("a.txt", b"a" * 2048, "text/plain")}
    assert (await client.post("/files/upload", files=files)).status_code == 401
    # Over the upload limit plus its envelope: refused at the edge.
    status, _, pulled = await _asgi_post(client.app, "/files/upload", declared=10 * MIB)
    assert status == 413 and pulled == 0


async def _trickle(app: Any, path: str, *, gap: float, chunks: int) -> tuple[int, bytes]:
    """POST a body a few bytes at a time, ``gap`` seconds apart (a slow-loris client)."""
    import asyncio

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"host", b"testserver"),
                                          (b"content-type", b"application/json")],
             "client": ("203.0.113.9", 5000), "server": ("testserver", 80)}
    left = {"chunks": chunks}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if left["chunks"] == 0:
            await asyncio.sleep(3600)  # the body is over; the client just stays connected
        await asyncio.sleep(gap)
        left["chunks"] -= 1
        return {"type": "http.request", "body": b" ", "more_body": left["chunks"] > 0}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent
                                     if m["type"] == "http.response.body")


async def test_a_body_that_trickles_in_is_answered_408(make_client, make_settings):
    client = await make_client(make_settings(request_body_seconds=0.3))
    status, body = await _trickle(client.app, "/auth/request-otp", gap=0.1, chunks=1000)
    assert status == 408
    assert b'"request_timeout"' in body
    # A body that arrives in time is not cut, however long the route then takes.
    status, _ = await _trickle(client.app, "/auth/request-otp", gap=0.01, chunks=3)
    assert status == 422  # "   " reached validation
