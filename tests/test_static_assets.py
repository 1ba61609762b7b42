"""The web app's files are served compressed and cached for good, and JSON is compressed too,
while a streamed turn is never buffered by compression."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from api.static_assets import IMMUTABLE, accepted_encodings

SCRIPT = "export const greeting = 'hola';\n" * 400


@pytest.fixture
async def web_client(make_client, make_settings, tmp_path) -> Any:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Ignacio</title>" + "<p>x</p>" * 300)
    script = dist / "assets" / "index-abc123.js"
    script.write_text(SCRIPT)
    (dist / "assets" / "index-abc123.js.gz").write_bytes(gzip.compress(SCRIPT.encode()))
    (dist / "assets" / "plain-def456.js").write_text(SCRIPT)  # built without the copies
    return await make_client(make_settings(web_dist_dir=dist))


def test_accept_encoding_is_read_with_its_weights() -> None:
    assert accepted_encodings("gzip, deflate, br;q=0.9") == {"gzip", "deflate", "br"}
    assert accepted_encodings("br;q=0, gzip") == {"gzip"}
    assert accepted_encodings("") == set()


async def test_hashed_assets_are_immutable_and_sent_precompressed(web_client) -> None:
    resp = await web_client.get("/assets/index-abc123.js", headers={"accept-encoding": "br, gzip"})
    assert resp.status_code == 200
    assert resp.headers["content-encoding"] == "gzip"  # no .br copy here: the next best
    assert resp.headers["cache-control"] == IMMUTABLE
    assert resp.headers["vary"] == "Accept-Encoding"
    assert "javascript" in resp.headers["content-type"]
    assert int(resp.headers["content-length"]) < len(SCRIPT) / 10
    assert resp.text == SCRIPT  # httpx decodes it: the bytes are the file's
    identity = await web_client.get("/assets/index-abc123.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in identity.headers and identity.text == SCRIPT
    assert identity.headers["cache-control"] == IMMUTABLE


async def test_an_asset_without_copies_is_compressed_on_the_way(web_client) -> None:
    resp = await web_client.get("/assets/plain-def456.js", headers={"accept-encoding": "gzip"})
    assert resp.headers["content-encoding"] == "gzip" and resp.text == SCRIPT
    assert resp.headers["cache-control"] == IMMUTABLE


async def test_index_is_compressed_and_revalidated(web_client) -> None:
    resp = await web_client.get("/", headers={"accept-encoding": "gzip"})
    assert resp.headers["content-encoding"] == "gzip"
    assert resp.headers["cache-control"] == "no-cache"


async def test_json_is_compressed_when_large_enough(web_client, make_user, auth_headers) -> None:
    h = await auth_headers(await make_user())
    for i in range(30):
        await web_client.post("/conversations", json={"title": f"Conversación número {i}"}, headers=h)
    async with web_client.stream("GET", "/conversations",
                                 headers={**h, "accept-encoding": "gzip"}) as resp:
        raw = b"".join([chunk async for chunk in resp.aiter_raw()])
    assert resp.status_code == 200 and resp.headers["content-encoding"] == "gzip"
    body = json.loads(gzip.decompress(raw))
    assert len(body["items"]) == 30
    assert len(raw) < len(json.dumps(body)) / 2
