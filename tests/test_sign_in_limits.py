"""Sign-in limits that protect without locking anyone out (see api/sign_in_limits.py)."""

from __future__ import annotations

from typing import Any

import httpx

from tests import test_auth as auth
from tests.test_auth import PHONE, add_user, request_code, verify, wrong

wa_client = auth.wa_client

NUMBERS = ("+34612000101", "+34612000102", "+34612000103")


def other_client(app: Any, ip: str) -> httpx.AsyncClient:
    """Another device on another address, talking to the same running app."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)),
                             base_url="http://testserver")


async def test_sixty_wrong_codes_over_three_numbers_are_stopped_early(wa_client, graph):
    for phone in NUMBERS:
        await add_user(wa_client, phone)
        await request_code(wa_client, graph, phone)
    statuses = []
    for i in range(60):
        resp = await verify(wa_client, f"{i:06d}", NUMBERS[i % 3])
        statuses.append(resp.status_code)
    first_429 = statuses.index(429)
    assert first_429 == 10  # OTP_VERIFY_FAILURES_PER_IP wrong codes, then refused
    assert set(statuses[:10]) == {401} and set(statuses[10:]) == {429}
    resp = await verify(wa_client, "000000", NUMBERS[0])
    retry_after = int(resp.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    assert resp.json()["error"]["code"] == "rate_limited"
    # The burst is a security event in the audit log, recorded once.
    events = (await wa_client.runtime.store.audit.list(
        action="security.sign_in_code_guessing")).items
    assert len(events) == 1 and events[0].client_ip == "203.0.113.7"
    # Another client is not affected by this one's guessing.
    async with other_client(wa_client.app, "198.51.100.20") as elsewhere:
        code = await request_code(elsewhere, graph, NUMBERS[1])
        ok = await elsewhere.post("/auth/verify-otp",
                                  json={"phone_number": NUMBERS[1], "code": code})
        assert ok.status_code == 200


async def test_right_codes_do_not_use_up_the_client_limit(make_client, make_settings, graph):
    client = await make_client(make_settings(otp_verify_failures_per_ip=2),
                               whatsapp=graph.settings_overrides())
    # A classroom behind one address: many people sign in, few get a code wrong.
    for i in range(4):
        phone = f"+3461200020{i}"
        await add_user(client, phone)
        code = await request_code(client, graph, phone)
        assert (await verify(client, code, phone)).status_code == 200
    assert (await verify(client, "000000", "+34612000200")).status_code == 401
    assert (await verify(client, "000000", "+34612000201")).status_code == 401
    assert (await verify(client, "000000", "+34612000202")).status_code == 429


async def test_global_failure_limit(make_client, make_settings, graph):
    client = await make_client(make_settings(otp_verify_failures_global=3),
                               whatsapp=graph.settings_overrides())
    for i, ip in enumerate(("198.51.100.1", "198.51.100.2", "198.51.100.3")):
        async with other_client(client.app, ip) as c:
            assert (await verify(c, f"{i:06d}")).status_code == 401
    async with other_client(client.app, "198.51.100.4") as c:
        resp = await verify(c, "123456")
        assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0


async def test_a_third_party_cannot_lock_the_owner_out(wa_client, graph):
    await add_user(wa_client, PHONE)
    async with other_client(wa_client.app, "198.51.100.66") as attacker:
        for _ in range(3):
            resp = await attacker.post("/auth/request-otp", json={"phone_number": PHONE})
            assert resp.status_code == 202
        # The attacker's own client is now limited for that number...
        assert (await attacker.post("/auth/request-otp",
                                    json={"phone_number": PHONE})).status_code == 429
    # ...but the owner, on their own device, still gets a code and signs in.
    code = await request_code(wa_client, graph, PHONE)
    resp = await verify(wa_client, code)
    assert resp.status_code == 200, resp.text
    assert wrong(code) != code


async def test_the_per_number_ceiling_bounds_messages_to_one_number(make_client, make_settings,
                                                                     graph):
    client = await make_client(make_settings(otp_rate_limit_per_phone_total=4),
                               whatsapp=graph.settings_overrides())
    answers = []
    for i in range(6):
        async with other_client(client.app, f"198.51.100.{10 + i}") as c:
            answers.append((await c.post("/auth/request-otp",
                                         json={"phone_number": PHONE})).status_code)
    assert answers == [202] * 4 + [429] * 2
