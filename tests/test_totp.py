"""Two-step sign-in for admins and mentors, through the HTTP API: an authenticator app's codes
(computed here with pyotp, as the app would), recovery codes, and ``ADMIN_REQUIRE_TOTP``.

The WhatsApp code is read from the fake Graph API as a phone would. The server's clock for
TOTP codes is moved forward in whole 30-second steps where a test needs several fresh codes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pyotp
import pytest

from ignacio_agents import totp as totp_module
from tests.fakes.graph import FakeGraphServer
from tests.test_auth import bearer, request_code, sign_in
from tests.test_route_protection import PUBLIC, fill, request_kwargs, routes

ADMIN = "+34612300001"
MENTOR = "+34612300002"
PARTICIPANT = "+34612300003"
# The routes an admin or mentor without an authenticator may still reach when it is required.
ENROLMENT = {("GET", "/auth/totp"), ("POST", "/auth/totp/enrolment"),
             ("POST", "/auth/totp/enrolment/confirm"), ("POST", "/auth/totp/disable"),
             ("POST", "/auth/totp/recovery-codes"), ("POST", "/auth/logout"),
             ("POST", "/auth/logout-all")}


@pytest.fixture
async def wa_client(make_client: Callable[..., Any], make_settings: Callable[..., Any],
                    graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(), whatsapp=graph.settings_overrides())


@pytest.fixture
async def required_client(make_client: Callable[..., Any], make_settings: Callable[..., Any],
                          graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(admin_require_totp=True),
                             whatsapp=graph.settings_overrides())


class Clock:
    """The server's TOTP clock, frozen at a step boundary and moved on by hand."""

    def __init__(self) -> None:
        self.now = float(int(time.time()) // 30 * 30 + 5)

    def __call__(self) -> float:
        return self.now

    def next_step(self) -> None:
        self.now += 30


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(totp_module, "clock", frozen)
    return frozen


async def staff(client: Any, phone: str = ADMIN, *, mentor: bool = False) -> Any:
    store = client.runtime.store
    user = await store.users.create(phone, "Marta", is_admin=not mentor)
    if mentor:
        user = await store.users.update(user.id, is_mentor=True)
    return user


async def enrol(client: Any, headers: dict[str, str], at: float | None = None) -> tuple[str, list[str]]:
    """Start and confirm enrolment; the secret and the recovery codes."""
    started = await client.post("/auth/totp/enrolment", headers=headers)
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    code = pyotp.TOTP(secret).at(at) if at is not None else pyotp.TOTP(secret).now()
    confirmed = await client.post("/auth/totp/enrolment/confirm", json={"code": code}, headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["codes"]


async def challenge(client: Any, graph: FakeGraphServer, phone: str = ADMIN) -> str:
    """The WhatsApp code, right: a second-factor challenge (and no session yet)."""
    code = await request_code(client, graph, phone)
    resp = await client.post("/auth/verify-otp", json={"phone_number": phone, "code": code})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["second_factor_required"] is True and "access_token" not in body
    assert "ignacio_refresh" not in resp.cookies
    return body["challenge_token"]


async def second_factor(client: Any, token: str, code: str) -> Any:
    return await client.post("/auth/second-factor", json={"challenge_token": token, "code": code})


async def actions(client: Any, user: Any) -> list[str]:
    page = await client.runtime.store.audit.list(actor_id=user.id, limit=100)
    return [entry.action for entry in reversed(page.items)]


# --- enrolment, then signing in with the app --------------------------------------------------


async def test_enrolment_then_sign_in_needs_a_code_from_the_app(wa_client, graph, caplog):
    caplog.set_level(logging.DEBUG)
    user = await staff(wa_client)
    first = await sign_in(wa_client, graph, ADMIN)  # no authenticator yet: one factor
    assert first["totp_enrolment_required"] is False
    other_device = await sign_in(wa_client, graph, ADMIN)
    headers = bearer(first)
    status = (await wa_client.get("/auth/totp", headers=headers)).json()
    assert status == {"enabled": False, "enabled_at": None, "required": False,
                      "enrolment_required": False, "recovery_codes_left": 0}

    started = await wa_client.post("/auth/totp/enrolment", headers=headers)
    assert started.status_code == 200 and started.headers["cache-control"] == "no-store"
    shown = started.json()
    secret = shown["secret"]
    assert len(secret) == 32 and pyotp.TOTP(secret).now().isdigit()
    assert shown["otpauth_uri"].startswith("otpauth://totp/Ignacio:Marta?")
    assert f"secret={secret}" in shown["otpauth_uri"] and "issuer=Ignacio" in shown["otpauth_uri"]
    qr = shown["qr_svg_data_uri"]
    assert qr.startswith("data:image/svg+xml;") and "<svg" in unquote(qr) and secret not in qr
    # Not on until confirmed: signing in still takes the WhatsApp code only.
    assert (await wa_client.get("/auth/totp", headers=headers)).json()["enabled"] is False

    wrong = await wa_client.post("/auth/totp/enrolment/confirm", headers=headers,
                                 json={"code": f"{(int(pyotp.TOTP(secret).now()) + 1) % 10**6:06d}"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_totp_code"
    confirmed = await wa_client.post("/auth/totp/enrolment/confirm", headers=headers,
                                     json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    status = (await wa_client.get("/auth/totp", headers=headers)).json()
    assert status["enabled"] is True and status["recovery_codes_left"] == 10
    # The session opened without the second factor on another device has ended; this one stays.
    assert (await wa_client.get("/users/me", headers=bearer(other_device))).status_code == 401
    assert (await wa_client.get("/users/me", headers=headers)).status_code == 200

    token = await challenge(wa_client, graph)
    # The challenge is not a session.
    assert (await wa_client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
            ).status_code == 401
    # The code that confirmed enrolment was already used: its step is refused.
    assert (await second_factor(wa_client, token, pyotp.TOTP(secret).now())).status_code == 401
    signed_in = await second_factor(wa_client, token, pyotp.TOTP(secret).at(time.time() + 30))
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["id"] == str(user.id) and signed_in.cookies["ignacio_refresh"]
    me = await wa_client.get("/users/me", headers=bearer(signed_in.json()))
    assert me.status_code == 200
    # A used challenge is over, even with a right code.
    again = await second_factor(wa_client, token, pyotp.TOTP(secret).at(time.time() + 30))
    assert again.status_code == 401 and again.json()["error"]["code"] == "second_factor_expired"

    assert await actions(wa_client, user) == [
        "totp.enrolment_started", "security.second_factor_failed", "totp.enabled",
        "security.second_factor_failed", "auth.second_factor_passed"]
    # The secret and the recovery codes are in no log line and no audit row.
    page = await wa_client.runtime.store.audit.list(actor_id=user.id, limit=100)
    for text in (caplog.text, str([e.details for e in page.items])):
        assert secret not in text and not any(code in text for code in codes)


async def test_a_code_is_accepted_once_and_a_later_one_after_it(wa_client, graph, clock):
    await staff(wa_client)
    headers = bearer(await sign_in(wa_client, graph, ADMIN))
    secret, _ = await enrol(wa_client, headers, at=clock.now)
    app = pyotp.TOTP(secret)
    clock.next_step()
    token = await challenge(wa_client, graph)
    used = app.at(clock.now)
    assert (await second_factor(wa_client, token, used)).status_code == 200
    # The same code again (overheard, or sent twice) is refused on a new challenge ...
    token = await challenge(wa_client, graph)
    replay = await second_factor(wa_client, token, used)
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "invalid_second_factor"
    # ... and so is the previous step's code, though it is inside the drift window.
    assert (await second_factor(wa_client, token, app.at(clock.now - 30))).status_code == 401
    # The next step's code works on the same challenge (one step of drift is allowed).
    assert (await second_factor(wa_client, token, app.at(clock.now + 30))).status_code == 200


async def test_a_recovery_code_works_once(wa_client, graph):
    user = await staff(wa_client)
    headers = bearer(await sign_in(wa_client, graph, ADMIN))
    _, codes = await enrol(wa_client, headers)
    token = await challenge(wa_client, graph)
    typed = codes[3].upper().replace("-", " ")  # as someone may type it from paper
    resp = await second_factor(wa_client, token, typed)
    assert resp.status_code == 200, resp.text
    status = (await wa_client.get("/auth/totp", headers=bearer(resp.json()))).json()
    assert status["recovery_codes_left"] == 9
    token = await challenge(wa_client, graph)
    assert (await second_factor(wa_client, token, codes[3])).status_code == 401
    assert (await second_factor(wa_client, token, codes[4])).status_code == 200
    page = await wa_client.runtime.store.audit.list(actor_id=user.id, action="auth.second_factor_passed")
    assert [e.details for e in reversed(page.items)] == [
        {"method": "recovery_code", "recovery_codes_left": 9},
        {"method": "recovery_code", "recovery_codes_left": 8}]


async def test_secret_and_recovery_codes_are_not_stored_in_the_clear(wa_client, graph):
    user = await staff(wa_client)
    headers = bearer(await sign_in(wa_client, graph, ADMIN))
    secret, codes = await enrol(wa_client, headers)
    db = wa_client.runtime.store.db
    [row] = await db.fetch_all(dict, "select * from user_totp")
    assert row["enabled"] is True and row["last_used_step"] is not None
    assert secret.encode() not in bytes(row["secret_ciphertext"])
    hashes = await db.fetch_all(dict, "select code_hash from totp_recovery_codes")
    assert len(hashes) == 10
    stored = b"".join(bytes(h["code_hash"]) for h in hashes)
    assert not any(c.encode() in stored or c.replace("-", "").encode() in stored for c in codes)
    # A ciphertext copied onto another user does not decrypt as theirs.
    other = await wa_client.runtime.store.users.create("+34612300009", "Otra", is_admin=True)
    await db.execute("insert into user_totp (user_id, secret_ciphertext, enabled)"
                     " select %s, secret_ciphertext, true from user_totp where user_id = %s",
                     other.id, user.id)
    from ignacio_agents.crypto import DecryptionError

    with pytest.raises(DecryptionError):
        await wa_client.runtime.store.totp.get(other.id)


# --- wrong codes --------------------------------------------------------------------------------


async def test_a_challenge_dies_after_too_many_wrong_codes(wa_client, graph):
    await staff(wa_client)
    headers = bearer(await sign_in(wa_client, graph, ADMIN))
    secret, _ = await enrol(wa_client, headers)
    token = await challenge(wa_client, graph)
    right = pyotp.TOTP(secret).at(time.time() + 30)
    for _ in range(wa_client.runtime.settings.otp_max_attempts):
        wrong = await second_factor(wa_client, token, f"{(int(right) + 7) % 10**6:06d}")
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_second_factor"
    over = await second_factor(wa_client, token, right)
    assert over.status_code == 401 and over.json()["error"]["code"] == "second_factor_expired"


async def test_wrong_codes_are_rate_limited_per_account(make_client, make_settings, graph):
    client = await make_client(make_settings(totp_failures_per_user=3),
                               whatsapp=graph.settings_overrides())
    user = await staff(client)
    headers = bearer(await sign_in(client, graph, ADMIN))
    secret, _ = await enrol(client, headers)
    token = await challenge(client, graph)
    right = pyotp.TOTP(secret).at(time.time() + 30)
    for _ in range(3):
        assert (await second_factor(client, token, "000000" if right != "000000" else "111111")
                ).status_code == 401
    limited = await second_factor(client, token, right)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    # Managing the authenticator counts against the same limit.
    refused = await client.post("/auth/totp/disable", json={"code": right}, headers=headers)
    assert refused.status_code == 429
    assert "security.second_factor_guessing" in await actions(client, user)
    assert (await client.get("/auth/totp", headers=headers)).json()["enabled"] is True


# --- managing the authenticator -------------------------------------------------------------------


async def test_disable_and_regenerate_need_a_code(wa_client, graph, clock):
    user = await staff(wa_client)
    headers = bearer(await sign_in(wa_client, graph, ADMIN))
    secret, old_codes = await enrol(wa_client, headers, at=clock.now)
    app = pyotp.TOTP(secret)
    assert (await wa_client.post("/auth/totp/enrolment", headers=headers)).status_code == 409

    clock.next_step()
    wrong = await wa_client.post("/auth/totp/recovery-codes", json={"code": "123"}, headers=headers)
    assert wrong.status_code == 422
    # Recovery codes cannot mint new recovery codes: only the app can.
    by_recovery = await wa_client.post("/auth/totp/recovery-codes", json={"code": old_codes[0]},
                                       headers=headers)
    assert by_recovery.status_code == 422
    fresh = await wa_client.post("/auth/totp/recovery-codes", json={"code": app.at(clock.now)},
                                 headers=headers)
    assert fresh.status_code == 200
    new_codes = fresh.json()["codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    token = await challenge(wa_client, graph)
    assert (await second_factor(wa_client, token, old_codes[1])).status_code == 401

    clock.next_step()
    assert (await wa_client.post("/auth/totp/disable", json={"code": "000000"},
                                 headers=headers)).status_code in (422,)
    off = await wa_client.post("/auth/totp/disable", json={"code": app.at(clock.now)}, headers=headers)
    assert off.status_code == 204
    assert (await wa_client.get("/auth/totp", headers=headers)).json()["enabled"] is False
    assert await wa_client.runtime.store.db.fetch_value(
        "select count(*) from totp_recovery_codes") == 0
    # Signing in takes the WhatsApp code alone again.
    assert "access_token" in await sign_in(wa_client, graph, ADMIN)
    assert [a for a in await actions(wa_client, user) if a.startswith("totp.")] == [
        "totp.enrolment_started", "totp.enabled", "totp.recovery_codes_regenerated",
        "totp.disabled"]


async def test_participants_cannot_enrol(wa_client, graph):
    await wa_client.runtime.store.users.create(PARTICIPANT, "Ana")
    headers = bearer(await sign_in(wa_client, graph, PARTICIPANT))
    for method, path in (("GET", "/auth/totp"), ("POST", "/auth/totp/enrolment")):
        resp = await wa_client.request(method, path, headers=headers)
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"


# --- ADMIN_REQUIRE_TOTP ---------------------------------------------------------------------------


async def test_required_mode_leaves_an_admin_without_totp_only_enrolment(required_client, graph):
    client = required_client
    spec = (await client.get("/openapi.json")).json()
    await staff(client)
    signed_in = await sign_in(client, graph, ADMIN)
    assert signed_in["totp_enrolment_required"] is True
    headers = bearer(signed_in)

    reached = []
    for method, path, _ in routes(client.app):
        if (method, path) in PUBLIC or (method, path) in ENROLMENT:
            continue
        resp = await client.request(method, fill(path), headers=headers,
                                    **request_kwargs(spec, method, path))
        if resp.status_code != 403 or resp.json()["error"]["code"] != "totp_enrolment_required":
            reached.append((method, path, resp.status_code))
    assert reached == []
    refused = await client.get("/users/me", headers=headers)
    assert "authenticator" in refused.json()["error"]["message"]

    status = (await client.get("/auth/totp", headers=headers)).json()
    assert status["required"] is True and status["enrolment_required"] is True
    await enrol(client, headers)
    # The same session now reaches everything an admin may.
    assert (await client.get("/users/me", headers=headers)).status_code == 200
    assert (await client.get("/admin/audit", headers=headers)).status_code == 200
    # A refresh says so too.
    refreshed = await client.post("/auth/refresh")  # the client keeps the refresh cookie
    assert refreshed.status_code == 200 and refreshed.json()["totp_enrolment_required"] is False


async def test_required_mode_applies_to_mentors_not_participants(required_client, graph):
    client = required_client
    await staff(client, MENTOR, mentor=True)
    await client.runtime.store.users.create(PARTICIPANT, "Ana")
    mentor = await sign_in(client, graph, MENTOR)
    assert mentor["totp_enrolment_required"] is True
    for path in ("/users/me", "/mentor/queue", "/auth/sessions"):
        resp = await client.get(path, headers=bearer(mentor))
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "totp_enrolment_required"
    participant = await sign_in(client, graph, PARTICIPANT)
    assert participant["totp_enrolment_required"] is False
    assert (await client.get("/users/me", headers=bearer(participant))).status_code == 200


async def test_disabling_in_required_mode_closes_the_api_again(required_client, graph, clock):
    client = required_client
    await staff(client)
    headers = bearer(await sign_in(client, graph, ADMIN))
    secret, _ = await enrol(client, headers, at=clock.now)
    assert (await client.get("/users/me", headers=headers)).status_code == 200
    clock.next_step()
    off = await client.post("/auth/totp/disable", json={"code": pyotp.TOTP(secret).at(clock.now)},
                            headers=headers)
    assert off.status_code == 204
    resp = await client.get("/users/me", headers=headers)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "totp_enrolment_required"
