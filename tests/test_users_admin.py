"""The participant's own account, admin user management, deletion and the audit log, through HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from ignacio_agents.blobs import file_key
from ignacio_agents.crypto import new_token
from ignacio_agents.domain import DeliveryStatus, MessageType
from ignacio_agents.store.messages import NewMessage


async def audit_rows(client: Any) -> list[dict[str, Any]]:
    async with client.runtime.db.connection() as conn:
        cur = await conn.execute(
            "select actor_id, action, target_type, target_id, client_ip, details"
            " from audit_log order by id"
        )
        return await cur.fetchall()


@pytest.fixture
async def admin(make_user, auth_headers) -> tuple[Any, dict[str, str]]:
    user = await make_user("Ada", is_admin=True)
    return user, await auth_headers(user)


# --- /users/me --------------------------------------------------------------------------------


async def test_me_reads_and_updates_name_language_and_project(client, make_user, auth_headers):
    user = await make_user("Ana")
    headers = await auth_headers(user)
    resp = await client.put("/users/me", headers=headers, json={
        "name": "  Ana María ", "preferred_language": "en",
        "project": {"project_name": "Huerta", "kind": "ngo", "stage": "idea"},
    })
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["name"] == "Ana María" and body["preferred_language"] == "en"
    assert body["project"] == {"project_name": "Huerta", "kind": "ngo", "stage": "idea",
                               "description": None, "goals": None}
    # Only the fields sent change.
    resp = await client.put("/users/me", headers=headers, json={"project": {"goals": "10 socios"}})
    assert resp.json()["project"]["project_name"] == "Huerta"
    assert resp.json()["project"]["goals"] == "10 socios"
    me = (await client.get("/users/me", headers=headers)).json()
    assert me["project"]["goals"] == "10 socios" and me["name"] == "Ana María"
    assert me["phone_number"] == user.phone_number
    history = await client.runtime.store.profiles.history(user.id)
    assert [h.source for h in history] == ["user", "user"]
    assert await audit_rows(client) == []  # editing yourself is not an admin action


async def test_me_rejects_invalid_values(client, make_user, auth_headers):
    headers = await auth_headers(await make_user())
    for body in ({"preferred_language": "fr"}, {"project": {"kind": "company"}}, {"name": "   "},
                 {"project": {"description": "x" * 5000}}):
        resp = await client.put("/users/me", headers=headers, json=body)
        assert resp.status_code == 422, body
        assert resp.json()["error"]["code"] == "invalid_request"
    assert (await client.get("/users/me", headers=headers)).json()["preferred_language"] == "es"


# --- admin: create, list, search ------------------------------------------------------------


async def test_admin_creates_a_user_and_an_admin(client, admin):
    actor, headers = admin
    resp = await client.post("/users", headers=headers, json={
        "phone_number": "0034 612 11 22 33", "name": "Pablo", "preferred_language": "en",
    })
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["phone_number"] == "+34612112233"
    assert created["is_admin"] is False and created["is_active"] is True
    assert created["preferred_language"] == "en"
    resp = await client.post("/users", headers=headers,
                             json={"phone_number": "+34612112234", "name": "Bea", "is_admin": True})
    assert resp.status_code == 201 and resp.json()["is_admin"] is True

    rows = await audit_rows(client)
    assert [r["action"] for r in rows] == ["user.create", "user.create"]
    assert rows[0]["actor_id"] == actor.id and rows[0]["target_id"] == created["id"]
    assert rows[0]["client_ip"] == "203.0.113.7"
    assert rows[0]["details"] == {"name": "Pablo", "is_admin": False, "preferred_language": "en"}


async def test_enrolled_number_is_409_and_bad_number_422(client, admin, make_user):
    _, headers = admin
    await make_user("Ana", phone="+34612112233")
    resp = await client.post("/users", headers=headers, json={"phone_number": "612 112 233"})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "phone_already_enrolled"
    resp = await client.post("/users", headers=headers, json={"phone_number": "hello"})
    assert resp.status_code == 422
    assert await audit_rows(client) == []  # refused actions are not recorded as done


async def test_list_users_pages_and_searches_by_name_or_exact_number(client, admin, make_user):
    _, headers = admin
    for i in range(4):
        await make_user(f"Persona {i}", phone=f"+3461300000{i}")
    await make_user("Zoe Navarro", phone="+34613999888")

    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/users", headers=headers, params=params)).json()
        assert len(page["items"]) <= 2
        seen += [u["name"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 6 and len(set(seen)) == 6

    by_name = (await client.get("/users", headers=headers, params={"search": "navar"})).json()
    assert [u["name"] for u in by_name["items"]] == ["Zoe Navarro"]
    by_phone = (await client.get("/users", headers=headers,
                                 params={"search": "613 999 888"})).json()
    assert [u["phone_number"] for u in by_phone["items"]] == ["+34613999888"]
    # Only the whole number finds someone: the stored index reveals equality, nothing more.
    partial = (await client.get("/users", headers=headers, params={"search": "999888"})).json()
    assert partial["items"] == []

    bad = await client.get("/users", headers=headers, params={"cursor": "garbage"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"


async def test_non_admins_cannot_manage_users(client, make_user, auth_headers):
    other = await make_user("Otro")
    headers = await auth_headers(await make_user("Ana"))
    assert (await client.get("/users", headers=headers)).status_code == 403
    assert (await client.post("/users", headers=headers,
                              json={"phone_number": "+34612112233"})).status_code == 403
    assert (await client.put(f"/users/{other.id}", headers=headers,
                             json={"is_admin": True})).status_code == 403
    assert (await client.delete(f"/users/{other.id}", headers=headers)).status_code == 403
    assert (await client.runtime.store.users.get(other.id)).is_admin is False


# --- admin: update ----------------------------------------------------------------------------


async def test_update_writes_one_row_named_for_what_changed(client, admin, make_user):
    actor, headers = admin
    user = await make_user("Ana")
    resp = await client.put(f"/users/{user.id}", headers=headers,
                            json={"name": "Ana Ruiz", "preferred_language": "en"})
    assert resp.status_code == 200 and resp.json()["name"] == "Ana Ruiz"
    resp = await client.put(f"/users/{user.id}", headers=headers,
                            json={"is_admin": True, "name": "Ana R."})
    assert resp.status_code == 200 and resp.json()["is_admin"] is True

    rows = await audit_rows(client)
    assert [r["action"] for r in rows] == ["user.update", "user.role_change"]
    assert rows[0]["details"] == {"changes": {"name": {"from": "Ana", "to": "Ana Ruiz"},
                                              "preferred_language": {"from": "es", "to": "en"}}}
    assert rows[1]["details"] == {"changes": {"name": {"from": "Ana Ruiz", "to": "Ana R."},
                                              "is_admin": {"from": False, "to": True}}}
    assert all(r["actor_id"] == actor.id and r["target_id"] == str(user.id) for r in rows)


async def test_promoted_user_can_administer_and_demotion_applies_at_once(client, admin, make_user,
                                                                         auth_headers):
    _, headers = admin
    user = await make_user("Ana")
    user_headers = await auth_headers(user)
    assert (await client.get("/users", headers=user_headers)).status_code == 403
    await client.put(f"/users/{user.id}", headers=headers, json={"is_admin": True})
    assert (await client.get("/users", headers=user_headers)).status_code == 200
    await client.put(f"/users/{user.id}", headers=headers, json={"is_admin": False})
    # Same access token (its `admin` claim says true): the database decides.
    assert (await client.get("/users", headers=user_headers)).status_code == 403


async def test_deactivation_revokes_every_session(client, admin, make_user, auth_headers):
    _, headers = admin
    user = await make_user("Ana")
    phone_headers = await auth_headers(user)
    laptop_headers = await auth_headers(user)
    refresh = new_token()
    await client.runtime.store.sessions.create(user.id, refresh, timedelta(days=1))
    resp = await client.put(f"/users/{user.id}", headers=headers, json={"is_active": False})
    assert resp.status_code == 200 and resp.json()["is_active"] is False
    for h in (phone_headers, laptop_headers):
        assert (await client.get("/users/me", headers=h)).status_code == 401
    assert (await client.post("/auth/refresh",
                              headers={"cookie": f"ignacio_refresh={refresh}"})).status_code == 401
    async with client.runtime.db.connection() as conn:
        cur = await conn.execute(
            "select count(*) as n from user_sessions where user_id = %s and revoked_at is null",
            (user.id,))
        assert (await cur.fetchone())["n"] == 0
    # Reactivated, they can sign in again (new sessions), old ones stay dead.
    await client.put(f"/users/{user.id}", headers=headers, json={"is_active": True})
    assert (await client.get("/users/me", headers=phone_headers)).status_code == 401


async def test_the_last_active_admin_stays(client, admin, make_user):
    actor, headers = admin
    await make_user("Inactive admin", is_admin=True, is_active=False)  # does not count
    for change in ({"is_admin": False}, {"is_active": False}, "delete"):
        if change == "delete":
            resp = await client.delete(f"/users/{actor.id}", headers=headers)
        else:
            resp = await client.put(f"/users/{actor.id}", headers=headers, json=change)
        assert resp.status_code == 409, change
        assert resp.json()["error"]["code"] == "last_admin"
        still = await client.runtime.store.users.get(actor.id)
        assert still is not None and still.is_admin and still.is_active
    assert await audit_rows(client) == []


async def test_with_a_second_admin_one_may_step_down(client, admin, make_user):
    actor, headers = admin
    await make_user("Bea", is_admin=True)
    resp = await client.put(f"/users/{actor.id}", headers=headers, json={"is_admin": False})
    assert resp.status_code == 200 and resp.json()["is_admin"] is False
    assert [r["action"] for r in await audit_rows(client)] == ["user.role_change"]


async def test_update_unknown_user_is_404(client, admin):
    _, headers = admin
    resp = await client.put(f"/users/{uuid.uuid4()}", headers=headers, json={"name": "X"})
    assert resp.status_code == 404
    resp = await client.put("/users/not-a-uuid", headers=headers, json={"name": "X"})
    assert resp.status_code == 422


# --- admin: delete ----------------------------------------------------------------------------


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_delete_removes_everything_of_the_user(client, admin, make_user, auth_headers):
    actor, headers = admin
    rt = client.runtime
    store = rt.store
    user = await make_user("Ana", phone="+34612112233")
    keep = await make_user("Keep", phone="+34612112299")
    user_headers = await auth_headers(user)
    await store.profiles.update(user.id, {"project_name": "Huerta"}, source="user")

    file_id = uuid.uuid4()
    key = file_key(user.id, file_id, "plan.pdf")
    await rt.blobs.put(key, _one(b"%PDF-1.4 plan"), "application/pdf")
    await store.files.create(file_id=file_id, user_id=user.id, file_name="plan.pdf",
                             file_path=key, file_type="application/pdf", file_size=13,
                             kind=MessageType.document)
    conv = await store.conversations.create(user.id, "whatsapp", "Plan")
    msg = await store.messages.add(NewMessage(
        conversation_id=conv.id, user_id=user.id, is_from_user=True, content="hola",
        channel="whatsapp", file_id=file_id,
    ))
    answer = await store.messages.add(NewMessage(
        conversation_id=conv.id, user_id=user.id, is_from_user=False, content="¡Hola!",
        channel="whatsapp",
    ))
    await store.messages.add_delivery(answer.id, 0, external_id="wamid.X",
                                      status=DeliveryStatus.sent)
    keep_conv = await store.conversations.create(keep.id, "web", "Keep")
    assert msg is not None and await rt.blobs.exists(key)

    resp = await client.delete(f"/users/{user.id}", headers=headers)
    assert resp.status_code == 204
    assert await store.users.get(user.id) is None
    assert (await client.get("/users/me", headers=user_headers)).status_code == 401
    assert not await rt.blobs.exists(key)
    async with rt.db.connection() as conn:
        for table in ("conversations", "messages", "user_files", "file_chunks", "user_sessions",
                      "project_profiles", "project_profile_changes"):
            cur = await conn.execute(f"select count(*) as n from {table} where user_id = %s",
                                     (user.id,))
            assert (await cur.fetchone())["n"] == 0, table
        cur = await conn.execute("select count(*) as n from message_deliveries")
        assert (await cur.fetchone())["n"] == 0
    assert await store.conversations.get(keep_conv.id) is not None

    rows = await audit_rows(client)
    assert [r["action"] for r in rows] == ["user.delete"]
    assert rows[0]["target_id"] == str(user.id) and rows[0]["actor_id"] == actor.id
    assert rows[0]["details"]["files_deleted"] == 1
    # Deleting again: nothing there.
    assert (await client.delete(f"/users/{user.id}", headers=headers)).status_code == 404


async def test_deleted_users_pending_code_is_gone(client, admin, make_user):
    _, headers = admin
    user = await make_user("Ana", phone="+34612112233")
    assert (await client.post("/auth/request-otp",
                              json={"phone_number": user.phone_number})).status_code == 202
    assert (await client.delete(f"/users/{user.id}", headers=headers)).status_code == 204
    async with client.runtime.db.connection() as conn:
        cur = await conn.execute("select count(*) as n from otp_codes")
        assert (await cur.fetchone())["n"] == 0


# --- audit log --------------------------------------------------------------------------------


async def test_each_admin_action_writes_exactly_one_audit_row(client, admin, make_user):
    _, headers = admin
    store = client.runtime.store
    target = await make_user("Ana")
    conv = await store.conversations.create(target.id, "web", "Idea")

    async def create() -> Any:
        return await client.post("/users", headers=headers, json={"phone_number": "+34612112233"})

    actions = [
        ("user.create", create),
        ("user.update", lambda: client.put(f"/users/{target.id}", headers=headers,
                                           json={"name": "Ana B"})),
        ("user.role_change", lambda: client.put(f"/users/{target.id}", headers=headers,
                                                json={"is_admin": True})),
        ("transcript.view", lambda: client.get(f"/admin/conversations/{conv.id}", headers=headers)),
        ("audit.view", lambda: client.get("/admin/audit", headers=headers)),
        ("user.delete", lambda: client.delete(f"/users/{target.id}", headers=headers)),
    ]
    for expected, act in actions:
        before = len(await audit_rows(client))
        resp = await act()
        assert resp.status_code < 300, (expected, resp.text)
        rows = await audit_rows(client)
        assert len(rows) == before + 1, expected
        assert rows[-1]["action"] == expected


async def test_audit_log_lists_filters_and_pages(client, admin, make_user):
    actor, headers = admin
    other_admin = await make_user("Bea", is_admin=True)
    store = client.runtime.store
    for i in range(3):
        await store.audit.record(actor_id=other_admin.id, action="user.update",
                                 target_type="user", target_id=str(uuid.uuid4()),
                                 details={"i": i})
    await store.audit.record(actor_id=actor.id, action="user.create", target_type="user")

    page = (await client.get("/admin/audit", headers=headers)).json()
    assert [e["action"] for e in page["items"]] == ["user.create"] + ["user.update"] * 3
    first = page["items"][0]
    assert set(first) == {"id", "actor_id", "actor_name", "action", "target_type", "target_id",
                          "target_name", "target_user_name", "client_ip", "details",
                          "created_at"}
    assert first["actor_name"] == "Ada"

    mine = (await client.get("/admin/audit", headers=headers,
                             params={"actor_id": str(other_admin.id)})).json()
    assert {e["actor_name"] for e in mine["items"]} == {"Bea"} and len(mine["items"]) == 3
    views = (await client.get("/admin/audit", headers=headers,
                              params={"action": "audit.view"})).json()
    assert len(views["items"]) == 2  # the two reads above

    seen, cursor = [], None
    while True:
        params = {"limit": 2, "action": "user.update"} | ({"cursor": cursor} if cursor else {})
        resp = await client.get("/admin/audit", headers=headers, params=params)
        assert resp.status_code == 200
        seen += [e["details"]["i"] for e in resp.json()["items"]]
        cursor = resp.json()["next_cursor"]
        if not cursor:
            break
    assert seen == [2, 1, 0]
    assert (await client.get("/admin/audit", headers=headers,
                             params={"cursor": "Zm9v"})).status_code == 422


async def test_non_admin_cannot_read_the_audit_log(client, make_user, auth_headers):
    headers = await auth_headers(await make_user("Ana"))
    resp = await client.get("/admin/audit", headers=headers)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
    assert await audit_rows(client) == []


async def test_no_endpoint_changes_or_deletes_audit_rows(client, admin, conninfo):
    _, headers = admin
    await client.get("/admin/audit", headers=headers)
    from fastapi.routing import iter_route_contexts

    audit_methods = {m for r in iter_route_contexts(client.app.routes)
                     if (r.path or "").startswith("/admin/audit") for m in (r.methods or ())}
    assert audit_methods == {"GET"}
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        resp = await client.request(method, "/admin/audit", headers=headers)
        assert resp.status_code == 405
    # And the database refuses it even for the application's own role.
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for statement in ("update audit_log set action = 'tampered'", "delete from audit_log"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)
        assert conn.execute("select action from audit_log").fetchall() == [("audit.view",)]
