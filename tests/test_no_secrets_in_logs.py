"""No phone number, sign-in code or token in plaintext: not in the logs, not in the database.

One realistic run of the auth and admin flows (fake Graph API on loopback, failures included)
collects every secret it handles; then the captured logs (every logger at DEBUG, plus stdout and
stderr) and every text, bytea and json value of every table are searched for them.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import pyotp
import pytest

from tests import test_auth as auth
from tests.test_auth import add_user, bearer, request_code, verify, wrong

# The WhatsApp-configured app and the fake Graph server, shared with the sign-in tests.
wa_client = auth.wa_client

ADMIN_PHONE = "+34612345670"
USER_PHONE = "+34612345671"
CREATED_PHONE = "+34699887766"
UNENROLLED_PHONE = "+34655443322"
PHONES = (ADMIN_PHONE, USER_PHONE, CREATED_PHONE, UNENROLLED_PHONE)


def phone_forms(e164: str) -> list[str]:
    """The ways a number could leak: E.164, WhatsApp's digits-only id, the national number."""
    return [e164, e164.lstrip("+"), e164[3:]]


async def run_flows(client: Any, graph: Any) -> list[str]:
    """Sign-ins, refreshes, a replay, logout, admin work, failures. Returns every secret seen."""
    secrets: list[str] = []
    await add_user(client, ADMIN_PHONE, "Ada", is_admin=True)
    await add_user(client, USER_PHONE, "Ana")

    # Admin signs in (one wrong try first) and creates a user.
    code = await request_code(client, graph, ADMIN_PHONE)
    secrets.append(code)
    assert (await verify(client, wrong(code), ADMIN_PHONE)).status_code == 401
    signed_in = await verify(client, code, ADMIN_PHONE)
    admin = signed_in.json()
    secrets += [admin["access_token"], signed_in.cookies["ignacio_refresh"]]
    resp = await client.post("/users", headers=bearer(admin),
                             json={"phone_number": CREATED_PHONE, "name": "Nuevo"})
    assert resp.status_code == 201
    assert (await client.post("/users", headers=bearer(admin),
                              json={"phone_number": CREATED_PHONE})).status_code == 409
    found = await client.get("/users", headers=bearer(admin), params={"search": USER_PHONE})
    assert len(found.json()["items"]) == 1
    assert (await client.get("/admin/audit", headers=bearer(admin))).status_code == 200

    # The admin turns on two-step sign-in, then signs in with the WhatsApp code and a recovery code.
    started = (await client.post("/auth/totp/enrolment", headers=bearer(admin))).json()
    first_app_code = pyotp.TOTP(started["secret"]).now()
    confirmed = await client.post("/auth/totp/enrolment/confirm", headers=bearer(admin),
                                  json={"code": first_app_code})
    recovery = confirmed.json()["codes"]
    secrets += [started["secret"], first_app_code, *recovery, *(c.replace("-", "") for c in recovery)]
    code = await request_code(client, graph, ADMIN_PHONE)
    secrets.append(code)
    challenge = (await verify(client, code, ADMIN_PHONE)).json()["challenge_token"]
    secrets.append(challenge)
    second = await client.post("/auth/second-factor",
                               json={"challenge_token": challenge, "code": recovery[0]})
    assert second.status_code == 200
    secrets += [second.json()["access_token"], second.cookies["ignacio_refresh"]]

    # A participant signs in, refreshes, a stolen token is replayed, they sign in again, log out.
    code = await request_code(client, graph, USER_PHONE)
    secrets.append(code)
    first = await verify(client, code, USER_PHONE)
    stolen = first.cookies["ignacio_refresh"]
    rotated = await client.post("/auth/refresh")
    secrets += [first.json()["access_token"], stolen, rotated.json()["access_token"],
                rotated.cookies["ignacio_refresh"]]
    assert (await client.post("/auth/refresh", headers={"cookie": f"ignacio_refresh={stolen}"})
            ).status_code == 200  # the grace for tabs refreshing together
    client.cookies.clear()
    code = await request_code(client, graph, USER_PHONE)
    secrets.append(code)
    signed_in = await verify(client, code, USER_PHONE)
    again = signed_in.json()
    secrets += [again["access_token"], signed_in.cookies["ignacio_refresh"]]
    assert (await client.put("/users/me", headers=bearer(again),
                             json={"name": "Ana M."})).status_code == 200
    assert (await client.post("/auth/logout", headers=bearer(again))).status_code == 204
    assert (await client.get("/users/me", headers=bearer(again))).status_code == 401

    # Unenrolled number, Graph refusing a send, rate limit, bad input.
    assert (await client.post("/auth/request-otp",
                              json={"phone_number": UNENROLLED_PHONE})).status_code == 202
    assert (await verify(client, "123456", UNENROLLED_PHONE)).status_code == 401
    graph.fail_next("/messages", code=131026, times=3)
    assert (await client.post("/auth/request-otp",
                              json={"phone_number": USER_PHONE})).status_code == 202
    assert (await client.post("/auth/request-otp",
                              json={"phone_number": USER_PHONE})).status_code == 429
    assert (await client.post("/auth/verify-otp",
                              json={"phone_number": "+34 6", "code": "1"})).status_code == 422
    return secrets


@pytest.fixture
def unredacted_logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Everything at DEBUG, with the app's phone-masking log filter off: what is checked here is
    that nothing *writes* a secret, not that the last line of defence catches it."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "procrastinate", "psycopg", "psycopg.pool", "uvicorn",
                 "api", "channels", "ignacio_agents"):
        caplog.set_level(logging.DEBUG, logger=name)
    for handler in logging.getLogger().handlers:
        if any(type(f).__name__ == "RedactPhoneNumbers" for f in handler.filters):
            monkeypatch.setattr(handler, "filters", [])
    return caplog


async def test_logs_hold_no_code_token_or_phone_number(wa_client, graph, unredacted_logs, capsys):
    capsys.readouterr()
    secrets = await run_flows(wa_client, graph)
    out, err = capsys.readouterr()
    # The test's own HTTP client logs its request URLs (an admin's search by number is in one):
    # that is the caller's side, not the server's, so those lines are left out.
    records = [r for r in unredacted_logs.records
               if not (r.name == "httpx" and "http://testserver/" in r.getMessage())]
    assert records, "the run logged something, so the search below means something"
    console = [line for line in (out + err).splitlines() if "http://testserver/" not in line]
    logged = "\n".join(console
                       + [r.getMessage() for r in records]
                       + [str(r.args) for r in records]
                       + [unredacted_logs.handler.format(r) for r in records if r.exc_info])
    leaks = [s for s in secrets if s in logged]
    leaks += [p for phone in PHONES for p in phone_forms(phone) if p in logged]
    assert leaks == []


async def test_database_holds_no_phone_number_code_or_token_in_plaintext(wa_client, graph,
                                                                         conninfo):
    secrets = await run_flows(wa_client, graph)
    needles = secrets + [p for phone in PHONES for p in phone_forms(phone)]
    haystack = dump_database(conninfo)
    assert len(haystack) > 1000  # users, codes, sessions, audit rows... were read
    found = [n for n in needles if n.encode() in haystack or n.encode().hex().encode() in haystack]
    assert found == []
    # The keyed hashes are there (so the search read the right tables).
    with psycopg.connect(conninfo) as conn:
        counts = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("users", "otp_codes", "user_sessions", "rate_limit_events",
                            "audit_log", "user_totp", "totp_recovery_codes", "totp_challenges")}
    assert all(n > 0 for n in counts.values()), counts


def dump_database(conninfo: str) -> bytes:
    """Every text-like, bytea, json and array value of every table, as bytes (``pg_dump`` is
    not installed; this reads the same data). The migration ledger is left out: it holds the
    schema's own SQL, shipped with the app, not data."""
    chunks: list[bytes] = []
    with psycopg.connect(conninfo) as conn:
        columns = conn.execute(
            "select c.table_schema, c.table_name, c.column_name, c.data_type"
            " from information_schema.columns c join information_schema.tables t"
            "   on t.table_schema = c.table_schema and t.table_name = c.table_name"
            " where t.table_type = 'BASE TABLE'"
            "   and c.table_schema not in ('pg_catalog', 'information_schema', 'supabase_migrations')"
            "   and c.data_type in ('text', 'character varying', 'character', 'bytea', 'json',"
            "                       'jsonb', 'ARRAY', 'USER-DEFINED', 'tsvector')"
        ).fetchall()
        assert {"phone_ciphertext", "code_hash", "session_token", "key_hash", "details"} <= {
            c[2] for c in columns}
        for schema, table, column, data_type in columns:
            ident = f'"{schema}"."{table}"', f'"{column}"'
            if data_type == "bytea":
                rows = conn.execute(f"select {ident[1]} from {ident[0]}"
                                    f" where {ident[1]} is not null").fetchall()
                chunks += [bytes(r[0]) for r in rows]
            else:
                rows = conn.execute(f"select {ident[1]}::text from {ident[0]}"
                                    f" where {ident[1]} is not null").fetchall()
                chunks += [r[0].encode() for r in rows]
    return b"\n".join(chunks)
