"""Browser-side defences on every answer, the allowed-hosts check and the docs decision.

The browser test (frontend/e2e/security.spec.ts) shows the same headers doing their job in
Chromium: an injected inline script is blocked and the app refuses to load in a frame."""

from __future__ import annotations

from typing import Any

import httpx

from api.app import create_app
from api.security_headers import host_allowed

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
}


def _assert_defences(resp: Any) -> None:
    for name, value in EXPECTED.items():
        assert resp.headers.get(name) == value, (resp.request.url, name)
    csp = resp.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp or csp == "sandbox"
    assert "camera=()" in resp.headers["permissions-policy"]


async def test_every_kind_of_answer_carries_the_headers(client):
    for resp in (
        await client.get("/health"),
        await client.get("/users/me"),  # 401
        await client.post("/auth/request-otp", json={"phone_number": "nope"}),  # 422
        await client.get("/no/such/route"),  # 404
        await client.post("/auth/refresh", content=b"x" * 100_000),  # 413 from the edge
    ):
        _assert_defences(resp)
        csp = resp.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "strict-transport-security" not in resp.headers  # development, plain http


async def test_the_download_keeps_its_sandbox_policy(client, make_user, auth_headers):
    user = await make_user()
    headers = await auth_headers(user)
    files = {"file": ("notes.txt", b"hello", "text/plain")}
    up = await client.post("/files/upload", files=files, headers=headers)
    assert up.status_code == 201, up.text
    resp = await client.get(f"/files/{up.json()['id']}/download", headers=headers)
    assert resp.status_code == 200
    assert resp.headers["content-security-policy"] == "sandbox"
    assert resp.headers["content-disposition"].startswith("attachment")
    _assert_defences(resp)


async def test_unknown_host_is_refused(make_client, make_settings):
    client = await make_client(make_settings(allowed_hosts="ignacio.example.org, *.example.net"))
    ok = await client.get("/health", headers={"host": "ignacio.example.org"})
    assert ok.status_code == 200
    assert (await client.get("/health", headers={"host": "app.example.net:443"})).status_code == 200
    bad = await client.get("/health", headers={"host": "evil.example.com"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_host"
    assert bad.headers["x-frame-options"] == "DENY"


def test_host_patterns():
    assert host_allowed("a.example.org", ["*.example.org"])
    assert not host_allowed("example.org", ["*.example.org"])
    assert not host_allowed("evilexample.org", ["*.example.org"])
    assert host_allowed("anything", ["*"])
    assert not host_allowed("", ["localhost"])


async def test_production_sends_hsts_over_https_and_serves_no_docs(make_settings):
    # Development settings (generated secrets) switched to production for the app's choices.
    settings = make_settings(allowed_hosts="ignacio.example.org").model_copy(
        update={"ignacio_env": "production"})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport,
                                     base_url="https://ignacio.example.org") as client:
            resp = await client.get("/health")
            assert resp.headers["strict-transport-security"].startswith("max-age=")
            assert (await client.get("/docs")).status_code == 404
            assert (await client.get("/redoc")).status_code == 404
            assert (await client.get("/openapi.json")).status_code == 200


async def test_development_docs_are_the_only_page_allowed_the_cdn(client):
    resp = await client.get("/docs")
    assert resp.status_code == 200
    assert "https://cdn.jsdelivr.net" in resp.headers["content-security-policy"]
    assert "cdn.jsdelivr.net" not in (await client.get("/health")).headers["content-security-policy"]


def test_production_requires_the_allowed_hosts(tmp_path, monkeypatch):
    import base64
    import os

    import pytest

    from ignacio_agents.settings import ConfigError, load_settings

    monkeypatch.delenv("IGNACIO_ALLOWED_HOSTS", raising=False)
    monkeypatch.chdir(tmp_path)
    key = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(ConfigError) as err:
        load_settings(
            ignacio_env="production", data_dir=tmp_path, database_url="postgresql://x/y",
            jwt_secret_key="k" * 40, phone_encryption_key=key, phone_index_key=key,
        )
    assert str(err.value).startswith("Missing required production settings: IGNACIO_ALLOWED_HOSTS.")
