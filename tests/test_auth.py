"""Sign-in by WhatsApp one-time code, through the HTTP API, with a fake Graph API on loopback.

Codes are read where a phone would read them: from the template the fake Graph server received
(or, in development without WhatsApp, from the server console), never from the database.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.fakes.graph import FakeGraphServer

PHONE = "+34612345678"
OTP_SENT = b'{"status":"sent","message":"If this number is enrolled, a code was sent by WhatsApp."}'


# --- shared helpers (imported by the other auth/admin test modules) ------------------------------


@pytest.fixture
async def wa_client(make_client: Callable[..., Any], make_settings: Callable[..., Any],
                    graph: FakeGraphServer) -> Any:
    """The real app with WhatsApp configured against the fake Graph server."""
    return await make_client(make_settings(), whatsapp=graph.settings_overrides())


async def add_user(client: Any, phone: str = PHONE, name: str = "Ana", *, is_admin: bool = False,
                   is_active: bool = True) -> Any:
    return await client.runtime.store.users.create(phone, name, is_admin=is_admin,
                                                   is_active=is_active)


def template_code(body: dict[str, Any]) -> str:
    """The code in a captured authentication-template send (body parameter)."""
    [comp] = [c for c in body["template"]["components"] if c["type"] == "body"]
    return comp["parameters"][0]["text"]


async def request_code(client: Any, graph: FakeGraphServer, phone: str = PHONE) -> str:
    before = len(graph.sent_messages(to=phone))
    resp = await client.post("/auth/request-otp", json={"phone_number": phone})
    assert resp.status_code == 202, resp.text
    sent = await graph.wait_for_messages_async(before + 1, to=phone)
    return template_code(sent[-1])


async def sign_in(client: Any, graph: FakeGraphServer, phone: str = PHONE) -> dict[str, Any]:
    code = await request_code(client, graph, phone)
    resp = await client.post("/auth/verify-otp", json={"phone_number": phone, "code": code})
    assert resp.status_code == 200, resp.text
    return resp.json()


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def verify(client: Any, code: str, phone: str = PHONE) -> Any:
    return await client.post("/auth/verify-otp", json={"phone_number": phone, "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- the whole flow -------------------------------------------------------------------------------


async def test_sign_in_flow_sends_the_authentication_template(wa_client, graph):
    user = await add_user(wa_client)
    resp = await wa_client.post("/auth/request-otp", json={"phone_number": "612 34 56 78"})
    assert resp.status_code == 202
    assert resp.content == OTP_SENT

    [send] = await graph.wait_for_messages_async(1, to=PHONE)
    settings = wa_client.runtime.settings
    assert send["to"] == PHONE and send["type"] == "template"
    assert send["template"]["name"] == "ignacio_login_code"
    assert send["template"]["language"] == {"code": "es"}
    code = template_code(send)
    assert re.fullmatch(r"\d{6}", code)
    [button] = [c for c in send["template"]["components"] if c["type"] == "button"]
    assert button["sub_type"] == "url" and button["parameters"][0]["text"] == code
    assert code not in resp.text

    resp = await verify(wa_client, code)
    assert resp.status_code == 200, resp.text
    pair = resp.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == settings.access_token_ttl_seconds
    assert pair["user"]["id"] == str(user.id) and pair["user"]["phone_number"] == PHONE
    assert "refresh_token" not in pair and resp.cookies["ignacio_refresh"]

    me = await wa_client.get("/users/me", headers=bearer(pair))
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    assert me.json()["project"] == {"project_name": None, "kind": None, "stage": None,
                                    "description": None, "goals": None}


async def test_unenrolled_inactive_and_enrolled_numbers_get_identical_answers(wa_client, graph):
    await add_user(wa_client, PHONE)
    await add_user(wa_client, "+34612000002", "Inés", is_active=False)
    answers = []
    for phone in (PHONE, "+34612000001", "+34612000002"):
        resp = await wa_client.post("/auth/request-otp", json={"phone_number": phone})
        answers.append((resp.status_code, resp.content, sorted(resp.headers.items())))
    assert answers[0][1] == OTP_SENT
    assert answers[0] == answers[1] == answers[2]
    # Only the enrolled, active number was sent anything.
    await graph.wait_for_messages_async(1)
    assert [m["to"] for m in graph.sent_messages()] == [PHONE]


async def test_invalid_number_is_422_without_echoing_it(wa_client):
    resp = await wa_client.post("/auth/request-otp", json={"phone_number": "12ab-not-a-phone"})
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "invalid_phone_number"
    assert "12ab" not in resp.text
    resp = await wa_client.post("/auth/request-otp", json={})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_request"


# --- code rules -----------------------------------------------------------------------------------


async def test_sixth_attempt_fails_even_with_the_right_code(wa_client, graph):
    await add_user(wa_client)
    code = await request_code(wa_client, graph)
    for _ in range(5):
        resp = await verify(wa_client, wrong(code))
        assert resp.status_code == 401
    resp = await verify(wa_client, code)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "invalid_code"


async def test_right_code_on_the_fifth_attempt_still_works(wa_client, graph):
    await add_user(wa_client)
    code = await request_code(wa_client, graph)
    for _ in range(4):
        assert (await verify(wa_client, wrong(code))).status_code == 401
    assert (await verify(wa_client, code)).status_code == 200


async def test_expired_code_fails(wa_client, graph):
    await add_user(wa_client)
    code = await request_code(wa_client, graph)
    # Age the code past its 5 minutes (the clock is the database's).
    async with wa_client.runtime.db.connection() as conn:
        await conn.execute("update otp_codes set expires_at = now() - interval '1 second'")
    resp = await verify(wa_client, code)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_code"


async def test_code_lives_five_minutes(wa_client, graph):
    await add_user(wa_client)
    await request_code(wa_client, graph)
    async with wa_client.runtime.db.connection() as conn:
        row = await (await conn.execute(
            "select extract(epoch from expires_at - created_at) as ttl from otp_codes")).fetchone()
    assert row["ttl"] == pytest.approx(300, abs=1)


async def test_used_code_fails(wa_client, graph):
    await add_user(wa_client)
    code = await request_code(wa_client, graph)
    assert (await verify(wa_client, code)).status_code == 200
    resp = await verify(wa_client, code)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_code"


async def test_a_new_code_invalidates_the_previous_one(wa_client, graph):
    await add_user(wa_client)
    first = await request_code(wa_client, graph)
    second = await request_code(wa_client, graph)
    if first != second:  # one chance in a million they are equal
        assert (await verify(wa_client, first)).status_code == 401
    assert (await verify(wa_client, second)).status_code == 200


async def test_unknown_and_inactive_users_fail_exactly_like_a_wrong_code(wa_client, graph):
    user = await add_user(wa_client)
    code = await request_code(wa_client, graph)
    wrong_answer = await verify(wa_client, wrong(code))
    unknown = await verify(wa_client, "123456", phone="+34699999999")
    # Deactivated after the code was sent: the right code no longer signs in.
    await wa_client.runtime.store.users.update(user.id, is_active=False)
    inactive = await verify(wa_client, code)
    for resp in (wrong_answer, unknown, inactive):
        assert resp.status_code == 401
        assert resp.content == wrong_answer.content
    assert wrong_answer.json()["error"]["code"] == "invalid_code"


async def test_graph_failure_still_answers_the_same(wa_client, graph):
    await add_user(wa_client)
    graph.fail_next("/messages", code=131026, times=5)
    resp = await wa_client.post("/auth/request-otp", json={"phone_number": PHONE})
    assert resp.status_code == 202 and resp.content == OTP_SENT
    assert any(r.status >= 400 for r in graph.requests)


# --- rate limits ----------------------------------------------------------------------------------


async def test_fourth_code_in_the_window_is_429_with_retry_after(wa_client):
    await add_user(wa_client)
    for phone in (PHONE, "+34612000008"):  # enrolled, then unenrolled: limited alike
        for _ in range(3):
            resp = await wa_client.post("/auth/request-otp", json={"phone_number": phone})
            assert resp.status_code == 202
        resp = await wa_client.post("/auth/request-otp", json={"phone_number": phone})
        assert resp.status_code == 429
        assert resp.json()["error"]["code"] == "rate_limited"
        retry_after = int(resp.headers["Retry-After"])
        assert 0 < retry_after <= 15 * 60
    # Another number from the same client is unaffected.
    other = await wa_client.post("/auth/request-otp", json={"phone_number": "+34612000009"})
    assert other.status_code == 202


async def test_per_ip_limit(make_client, make_settings, graph):
    client = await make_client(make_settings(otp_rate_limit_per_ip=2),
                                whatsapp=graph.settings_overrides())
    for i in range(2):
        resp = await client.post("/auth/request-otp", json={"phone_number": f"+3461200001{i}"})
        assert resp.status_code == 202
    resp = await client.post("/auth/request-otp", json={"phone_number": "+34612000019"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0


async def test_a_refused_request_does_not_use_up_the_other_limit(make_client, make_settings, graph):
    client = await make_client(make_settings(otp_rate_limit_per_ip=3),
                                whatsapp=graph.settings_overrides())
    for _ in range(3):
        assert (await client.post("/auth/request-otp",
                                  json={"phone_number": PHONE})).status_code == 202
    # The per-number (and client) limit refuses this one; the other counts must not grow.
    assert (await client.post("/auth/request-otp", json={"phone_number": PHONE})).status_code == 429
    async with client.runtime.db.connection() as conn:
        rows = await (await conn.execute(
            "select bucket, count(*) as n from rate_limit_events group by bucket order by bucket"
        )).fetchall()
    assert [(r["bucket"], r["n"]) for r in rows] == [
        ("otp_ip", 3), ("otp_phone", 3), ("otp_phone_client", 3)]


async def test_concurrent_requests_cannot_exceed_the_limit(wa_client):
    answers = await asyncio.gather(*(
        wa_client.post("/auth/request-otp", json={"phone_number": PHONE}) for _ in range(8)
    ))
    assert sorted(r.status_code for r in answers) == [202] * 3 + [429] * 5


# --- sessions (the refresh token lives in an httpOnly cookie) ----------------------------------


def refresh_cookie(resp: Any) -> str:
    return resp.cookies["ignacio_refresh"]


async def refresh_with(client: Any, token: str | None = None, **headers: str) -> Any:
    """POST /auth/refresh with the client's cookie, or with this token as the cookie."""
    if token is not None:
        headers["cookie"] = f"ignacio_refresh={token}"
    return await client.post("/auth/refresh", headers=headers)


async def test_sign_in_sets_the_refresh_token_as_an_httponly_strict_cookie(wa_client, graph):
    await add_user(wa_client)
    code = await request_code(wa_client, graph)
    resp = await verify(wa_client, code)
    assert resp.status_code == 200
    assert "refresh_token" not in resp.json()
    assert resp.headers["cache-control"] == "no-store"
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith("ignacio_refresh=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "samesite", "max-age"} <= attributes
    assert "Path=/auth" in cookie and "SameSite=strict" in cookie
    assert "secure" not in attributes  # plain http in development: a Secure cookie would be lost


async def test_the_cookie_is_secure_over_https(make_client, make_settings, graph):
    import httpx

    client = await make_client(make_settings(), whatsapp=graph.settings_overrides())
    await add_user(client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app),
                                 base_url="https://testserver") as tls:
        code = await request_code(tls, graph)
        resp = await verify(tls, code)
    assert "Secure" in resp.headers["set-cookie"]


async def test_refresh_rotates_the_cookie(wa_client, graph):
    await add_user(wa_client)
    signed_in = await verify(wa_client, await request_code(wa_client, graph))
    resp = await refresh_with(wa_client)
    assert resp.status_code == 200
    assert refresh_cookie(resp) != refresh_cookie(signed_in)
    assert resp.json()["access_token"] != signed_in.json()["access_token"]
    assert resp.json()["user"]["phone_number"] == PHONE
    assert (await wa_client.get("/users/me", headers=bearer(resp.json()))).status_code == 200
    # The client's jar now holds the new token, which rotates again.
    again = await refresh_with(wa_client)
    assert again.status_code == 200 and refresh_cookie(again) != refresh_cookie(resp)


async def test_tabs_refreshing_together_share_one_session(wa_client, graph):
    await add_user(wa_client)
    token = refresh_cookie(await verify(wa_client, await request_code(wa_client, graph)))
    # Three tabs send the same cookie at the same moment.
    answers = await asyncio.gather(*(refresh_with(wa_client, token) for _ in range(3)))
    assert [r.status_code for r in answers] == [200, 200, 200]
    successors = {refresh_cookie(r) for r in answers}
    assert len(successors) == 1  # every tab ends up holding the same current token
    for r in answers:
        assert (await wa_client.get("/users/me", headers=bearer(r.json()))).status_code == 200
    assert (await refresh_with(wa_client, successors.pop())).status_code == 200


async def test_replaying_a_rotated_refresh_token_revokes_the_session(wa_client, graph):
    await add_user(wa_client)
    first = await verify(wa_client, await request_code(wa_client, graph))
    stolen = refresh_cookie(first)
    rotated = await refresh_with(wa_client)
    twice = await refresh_with(wa_client)
    assert rotated.status_code == twice.status_code == 200
    # Two rotations later the stolen token is no tab's: presenting it is a replay.
    replay = await refresh_with(wa_client, stolen)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "invalid_refresh_token"
    assert 'ignacio_refresh=""' in replay.headers["set-cookie"]  # cleared
    # The thief's replay ended the whole session: the legitimate holder is signed out too.
    assert (await refresh_with(wa_client, refresh_cookie(twice))).status_code == 401
    for resp in (first, rotated, twice):
        assert (await wa_client.get("/users/me", headers=bearer(resp.json()))).status_code == 401


async def test_the_just_rotated_token_after_the_grace_is_a_replay(make_client, make_settings,
                                                                 graph):
    client = await make_client(make_settings(refresh_reuse_grace_seconds=0),
                               whatsapp=graph.settings_overrides())
    await add_user(client)
    token = refresh_cookie(await verify(client, await request_code(client, graph)))
    current = await refresh_with(client, token)
    assert current.status_code == 200
    assert (await refresh_with(client, token)).status_code == 401
    assert (await refresh_with(client, refresh_cookie(current))).status_code == 401


async def test_unknown_or_missing_refresh_cookie_is_401(wa_client):
    assert (await refresh_with(wa_client, "not-a-token")).status_code == 401
    assert (await wa_client.post("/auth/refresh")).status_code == 401


async def test_refresh_and_logout_refuse_other_sites(wa_client, graph):
    await add_user(wa_client)
    pair = (await verify(wa_client, await request_code(wa_client, graph))).json()
    for headers in ({"origin": "https://evil.example"}, {"origin": "null"},
                    {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}):
        resp = await refresh_with(wa_client, **headers)
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "cross_origin"
        assert (await wa_client.post("/auth/logout", headers={**bearer(pair), **headers})
                ).status_code == 403
    same = await refresh_with(wa_client, origin="http://testserver", **{"sec-fetch-site": "same-origin"})
    assert same.status_code == 200


async def test_after_logout_neither_token_works(wa_client, graph):
    import httpx

    await add_user(wa_client)
    signed_in = await verify(wa_client, await request_code(wa_client, graph))
    pair = signed_in.json()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wa_client.app),
                                 base_url="http://testserver") as other:
        other_device = (await verify(other, await request_code(other, graph))).json()
        assert (await wa_client.get("/users/me", headers=bearer(pair))).status_code == 200
        resp = await wa_client.post("/auth/logout", headers=bearer(pair))
        assert resp.status_code == 204
        assert 'ignacio_refresh=""' in resp.headers["set-cookie"]
        assert (await wa_client.get("/users/me", headers=bearer(pair))).status_code == 401
        assert (await refresh_with(wa_client, refresh_cookie(signed_in))).status_code == 401
        assert (await wa_client.post("/auth/logout", headers=bearer(pair))).status_code == 401
        # Only that session ended: the other device stays signed in.
        assert (await other.get("/users/me", headers=bearer(other_device))).status_code == 200
        assert (await other.post("/auth/refresh")).status_code == 200


async def test_sessions_are_listed_and_revocable(wa_client, graph):
    import httpx

    await add_user(wa_client)
    here = (await verify(wa_client, await request_code(wa_client, graph))).json()
    android = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
               " Chrome/131.0.0.0 Mobile Safari/537.36")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wa_client.app),
                                 base_url="http://testserver",
                                 headers={"user-agent": android}) as phone:
        there = (await verify(phone, await request_code(phone, graph))).json()
        listed = (await wa_client.get("/auth/sessions", headers=bearer(here))).json()["items"]
        assert len(listed) == 2 and [s["current"] for s in listed].count(True) == 1
        # Each device is named as its owner knows it; the raw User-Agent is not kept.
        assert {s["device"] for s in listed if not s["current"]} == {"Chrome on Android"}
        other_id = next(s["id"] for s in listed if not s["current"])
        resp = await wa_client.delete(f"/auth/sessions/{other_id}", headers=bearer(here))
        assert resp.status_code == 204
        assert (await phone.get("/users/me", headers=bearer(there))).status_code == 401
        assert (await phone.post("/auth/refresh")).status_code == 401
        # Gone, and nobody else's sessions can be touched.
        assert (await wa_client.delete(f"/auth/sessions/{other_id}",
                                       headers=bearer(here))).status_code == 404
        assert (await wa_client.get("/users/me", headers=bearer(here))).status_code == 200


async def test_sign_out_everywhere(wa_client, graph):
    import httpx

    await add_user(wa_client)
    here = (await verify(wa_client, await request_code(wa_client, graph))).json()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wa_client.app),
                                 base_url="http://testserver") as phone:
        there = (await verify(phone, await request_code(phone, graph))).json()
        assert (await wa_client.post("/auth/logout-all", headers=bearer(here))).status_code == 204
        for client, pair in ((wa_client, here), (phone, there)):
            assert (await client.get("/users/me", headers=bearer(pair))).status_code == 401
            assert (await client.post("/auth/refresh")).status_code == 401


async def test_deactivated_user_cannot_refresh(wa_client, graph):
    user = await add_user(wa_client)
    await sign_in(wa_client, graph)
    await wa_client.runtime.store.users.update(user.id, is_active=False)
    resp = await wa_client.post("/auth/refresh")
    assert resp.status_code == 401


async def test_access_token_signed_with_another_key_is_refused(wa_client, graph):
    import jwt

    user = await add_user(wa_client)
    pair = await sign_in(wa_client, graph)
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    assert set(claims) >= {"sub", "sid", "admin", "iat", "exp", "jti"}
    assert claims["sub"] == str(user.id) and claims["admin"] is False
    forged = jwt.encode({**claims, "admin": True}, "another-key-of-sufficient-length-000",
                        algorithm="HS256")
    resp = await wa_client.get("/users/me", headers={"Authorization": f"Bearer {forged}"})
    assert resp.status_code == 401


# --- development console ----------------------------------------------------------------------


async def test_without_whatsapp_credentials_the_code_goes_to_the_console_and_the_simulator(
        client, capsys, caplog):
    caplog.set_level("DEBUG")
    await add_user(client)
    sender = client.runtime.channels.code_sender()
    assert sender is not None and sender.simulator is not None  # development: the simulator
    capsys.readouterr()
    resp = await client.post("/auth/request-otp", json={"phone_number": PHONE})
    assert resp.content == OTP_SENT
    err = capsys.readouterr().err
    match = re.search(r"sign-in code for \S+: (\d{6})", err)
    assert match, err
    code = match.group(1)
    assert PHONE not in err
    assert code not in caplog.text
    assert all(code not in r.getMessage() for r in caplog.records)
    [template] = [m for m in await sender.simulator.messages(PHONE) if m.kind == "template"]
    assert code in str(template.body["template"]["components"])
    assert (await verify(client, code)).status_code == 200


async def test_unenrolled_number_prints_nothing(client, capsys):
    capsys.readouterr()
    resp = await client.post("/auth/request-otp", json={"phone_number": PHONE})
    assert resp.content == OTP_SENT
    assert "sign-in code" not in capsys.readouterr().err


# --- the CLI's first admin signs in -----------------------------------------------------------


async def test_create_admin_cli_then_sign_in(conninfo, tmp_path, monkeypatch, make_client,
                                             make_settings, graph, capsys):
    from api.cli import main

    monkeypatch.setenv("DATABASE_URL", conninfo)
    monkeypatch.setenv("IGNACIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    rc = await asyncio.to_thread(main, ["create-admin", "+34600000001", "--name", "Root"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "Root" in out and "600000001" not in out
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("select name, is_admin, is_active from users").fetchall() == [
            ("Root", True, True)
        ]

    client = await make_client(make_settings(), whatsapp=graph.settings_overrides())
    pair = await sign_in(client, graph, "+34600000001")
    assert pair["user"]["is_admin"] is True and pair["user"]["name"] == "Root"
    users = await client.get("/users", headers=bearer(pair))
    assert users.status_code == 200
    assert [u["name"] for u in users.json()["items"]] == ["Root"]
