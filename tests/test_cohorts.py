"""Cohorts through HTTP: create and edit, members with history, mentors, the users filter."""

from __future__ import annotations

from typing import Any

import pytest

COHORT = {"name": "Primavera 2027", "starts_on": "2027-03-01", "ends_on": "2027-06-30",
          "language": "es", "retention_days": 90, "participant_daily_tokens": 1000}


@pytest.fixture
async def admin_headers(make_user, auth_headers) -> dict[str, str]:
    return await auth_headers(await make_user("Ada", is_admin=True))


async def actions(client: Any) -> list[str]:
    async with client.runtime.db.connection() as conn:
        cur = await conn.execute("select action from audit_log order by id")
        return [r["action"] for r in await cur.fetchall()]


async def test_create_edit_and_list_a_cohort_each_audited(client, admin_headers):
    resp = await client.post("/admin/cohorts", headers=admin_headers, json=COHORT)
    assert resp.status_code == 201, resp.text
    cohort = resp.json()
    assert cohort["name"] == "Primavera 2027" and cohort["member_count"] == 0
    assert cohort["participant_daily_tokens"] == 1000 and cohort["cohort_daily_tokens"] is None

    resp = await client.put(f"/admin/cohorts/{cohort['id']}", headers=admin_headers,
                            json={"retention_days": 30, "participant_daily_tokens": None})
    assert resp.status_code == 200, resp.text
    assert resp.json()["retention_days"] == 30 and resp.json()["participant_daily_tokens"] is None
    assert resp.json()["name"] == "Primavera 2027"  # fields not sent stay

    listed = (await client.get("/admin/cohorts", headers=admin_headers)).json()
    assert [c["id"] for c in listed["items"]] == [cohort["id"]]
    assert await actions(client) == ["cohort.create", "cohort.update"]
    async with client.runtime.db.connection() as conn:
        cur = await conn.execute("select details from audit_log where action = 'cohort.update'")
        details = (await cur.fetchone())["details"]
    assert details["changes"] == {"retention_days": {"from": 90, "to": 30},
                                  "participant_daily_tokens": {"from": 1000, "to": None}}


@pytest.mark.parametrize("body, code", [
    ({**COHORT, "ends_on": "2027-02-01"}, 422),
    ({**COHORT, "name": "   "}, 422),
    ({**COHORT, "participant_daily_tokens": 0}, 422),
    ({**COHORT, "retention_days": -1}, 422),
])
async def test_bad_cohorts_are_refused_with_a_json_error(client, admin_headers, body, code):
    resp = await client.post("/admin/cohorts", headers=admin_headers, json=body)
    assert resp.status_code == code, resp.text
    assert set(resp.json()["error"]) == {"code", "message"}


async def test_a_taken_name_is_a_409_and_an_edit_cannot_reverse_the_dates(client, admin_headers):
    first = (await client.post("/admin/cohorts", headers=admin_headers, json=COHORT)).json()
    resp = await client.post("/admin/cohorts", headers=admin_headers, json=COHORT)
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "cohort_name_taken"
    resp = await client.put(f"/admin/cohorts/{first['id']}", headers=admin_headers,
                            json={"ends_on": "2027-01-01"})
    assert resp.status_code == 422
    resp = await client.put(f"/admin/cohorts/{first['id']}", headers=admin_headers,
                            json={"name": None})
    assert resp.status_code == 422


async def test_a_participant_is_in_one_cohort_at_a_time_and_the_history_stays(
        client, admin_headers, make_user):
    ana, ben = await make_user("Ana"), await make_user("Ben")
    spring = (await client.post("/admin/cohorts", headers=admin_headers, json=COHORT)).json()
    autumn = (await client.post("/admin/cohorts", headers=admin_headers,
                                json={**COHORT, "name": "Otoño 2027"})).json()
    resp = await client.post(f"/admin/cohorts/{spring['id']}/members", headers=admin_headers,
                             json={"user_ids": [str(ana.id), str(ben.id), str(ana.id)]})
    assert resp.status_code == 200, resp.text
    assert sorted(resp.json()["moved"]) == sorted([str(ana.id), str(ben.id)])
    # Again: nobody moves.
    resp = await client.post(f"/admin/cohorts/{spring['id']}/members", headers=admin_headers,
                             json={"user_ids": [str(ana.id)]})
    assert resp.json()["moved"] == []
    # Ana moves to autumn: spring keeps only Ben, and Ana's history has both.
    await client.post(f"/admin/cohorts/{autumn['id']}/members", headers=admin_headers,
                      json={"user_ids": [str(ana.id)]})
    store = client.runtime.store
    assert await store.cohorts.member_ids(spring["id"]) == [ben.id]
    assert (await store.cohorts.current_for(ana.id)).name == "Otoño 2027"
    history = (await client.get(f"/admin/users/{ana.id}/cohorts", headers=admin_headers)).json()
    assert [(h["cohort_name"], h["left_at"] is None) for h in history["items"]] == [
        ("Otoño 2027", True), ("Primavera 2027", False)]

    # The users list filters by cohort.
    listed = (await client.get(f"/users?cohort_id={spring['id']}", headers=admin_headers)).json()
    assert [u["name"] for u in listed["items"]] == ["Ben"]

    resp = await client.delete(f"/admin/cohorts/{spring['id']}/members/{ben.id}",
                               headers=admin_headers)
    assert resp.status_code == 204
    assert (await client.delete(f"/admin/cohorts/{spring['id']}/members/{ben.id}",
                                headers=admin_headers)).status_code == 404
    assert await store.cohorts.current_for(ben.id) is None


async def test_unknown_members_are_refused_and_nothing_moves(client, admin_headers, make_user):
    ana = await make_user("Ana")
    spring = (await client.post("/admin/cohorts", headers=admin_headers, json=COHORT)).json()
    resp = await client.post(f"/admin/cohorts/{spring['id']}/members", headers=admin_headers,
                             json={"user_ids": [str(ana.id), "00000000-0000-4000-8000-000000000000"]})
    assert resp.status_code == 422
    assert await client.runtime.store.cohorts.member_ids(spring["id"]) == []


async def test_mentors_are_added_once_and_removed(client, admin_headers, make_user):
    mentor = await make_user("Marta")
    spring = (await client.post("/admin/cohorts", headers=admin_headers, json=COHORT)).json()
    url = f"/admin/cohorts/{spring['id']}/mentors/{mentor.id}"
    assert (await client.put(url, headers=admin_headers)).status_code == 204
    assert (await client.put(url, headers=admin_headers)).status_code == 204
    got = (await client.get(f"/admin/cohorts/{spring['id']}", headers=admin_headers)).json()
    assert got["mentor_ids"] == [str(mentor.id)]
    assert (await client.delete(url, headers=admin_headers)).status_code == 204
    assert (await client.delete(url, headers=admin_headers)).status_code == 404
    assert await actions(client) == ["cohort.create", "cohort.mentor_add", "cohort.mentor_remove"]


async def test_participants_cannot_reach_cohorts(client, make_user, auth_headers):
    headers = await auth_headers(await make_user("Ana"))
    assert (await client.get("/admin/cohorts", headers=headers)).status_code == 403
    assert (await client.post("/admin/cohorts", headers=headers, json=COHORT)).status_code == 403


async def test_the_admin_conversation_list_filters_by_cohort(client, admin_headers, make_user):
    """``cohort_id`` keeps the conversations of the cohort's current participants: someone who
    moved to another cohort leaves with their conversations."""
    ana, ben, cleo = await make_user("Ana"), await make_user("Ben"), await make_user("Cleo")
    store = client.runtime.store
    chats = {u.name: await store.conversations.create(u.id, "web", f"Chat de {u.name}")
             for u in (ana, ben, cleo)}
    spring = (await client.post("/admin/cohorts", headers=admin_headers, json=COHORT)).json()
    autumn = (await client.post("/admin/cohorts", headers=admin_headers,
                                json={**COHORT, "name": "Otoño 2027"})).json()
    await client.post(f"/admin/cohorts/{spring['id']}/members", headers=admin_headers,
                      json={"user_ids": [str(ana.id), str(ben.id)]})

    async def listed(cohort_id: str) -> set[str]:
        resp = await client.get("/admin/conversations", headers=admin_headers,
                                params={"cohort_id": cohort_id})
        assert resp.status_code == 200, resp.text
        return {c["id"] for c in resp.json()["items"]}

    assert await listed(spring["id"]) == {str(chats["Ana"].id), str(chats["Ben"].id)}
    assert await listed(autumn["id"]) == set()
    await client.post(f"/admin/cohorts/{autumn['id']}/members", headers=admin_headers,
                      json={"user_ids": [str(ben.id)]})
    assert await listed(spring["id"]) == {str(chats["Ana"].id)}
    assert await listed(autumn["id"]) == {str(chats["Ben"].id)}

    bad = await client.get("/admin/conversations", headers=admin_headers,
                           params={"cohort_id": "spring"})
    assert bad.status_code == 422 and set(bad.json()["error"]) == {"code", "message"}
