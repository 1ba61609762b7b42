"""The audit log by range of days (UTC, both ends inclusive), with actors and targets named,
and its CSV export: the header and every row equal the database's rows for the range, the
export is itself audited, bad dates are a 422 with a JSON body and only admins may read it."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from api.routers.admin import CSV_COLUMNS

DAY = "2026-03-01"


async def add_row(client: Any, at: str, action: str, *, actor_id: Any = None,
                  target_type: str | None = None, target_id: Any = None,
                  details: dict[str, Any] | None = None) -> int:
    """An audit row at a chosen time (inserting is what the log allows: the chain still holds)."""
    return await client.runtime.store.db.fetch_value(
        "insert into audit_log (actor_id, action, target_type, target_id, details, created_at)"
        " values (%s, %s, %s, %s, %s::jsonb, %s) returning id",
        actor_id, action, target_type, str(target_id) if target_id else None,
        json.dumps(details or {}), datetime.fromisoformat(at))


async def seeded(client: Any, make_user: Any, auth_headers: Any) -> dict[str, Any]:
    admin = await make_user("Ada Admin", is_admin=True)
    ana = await make_user("Ana Ruiz")
    conversation = await client.runtime.store.conversations.create(ana.id, "web", "Precios")
    ids = {
        "before": await add_row(client, "2026-02-28T23:59:59.999999+00:00", "user.create",
                                actor_id=admin.id, target_type="user", target_id=ana.id),
        "first": await add_row(client, "2026-03-01T00:00:00+00:00", "transcript.view",
                               actor_id=admin.id, target_type="conversation",
                               target_id=conversation.id, details={"messages": 4}),
        "last": await add_row(client, "2026-03-01T23:59:59.999999+00:00", "user.update",
                              actor_id=admin.id, target_type="user", target_id=ana.id,
                              details={"changes": ["name"]}),
        # 00:30 in Madrid on the 2nd is still the 1st in UTC: days are UTC days.
        "madrid": await add_row(client, "2026-03-02T00:30:00+01:00", "memory.view",
                                actor_id=admin.id, target_type="user", target_id=ana.id),
        "after": await add_row(client, "2026-03-02T00:00:00+00:00", "user.delete",
                               actor_id=None, target_type="user", target_id="gone"),
    }
    return {"admin": admin, "ana": ana, "conversation": conversation, "ids": ids,
            "headers": await auth_headers(admin)}


async def test_a_range_of_days_is_inclusive_in_utc_and_names_actors_and_targets(
        client, make_user, auth_headers):
    s = await seeded(client, make_user, auth_headers)
    resp = await client.get("/admin/audit", headers=s["headers"], params={"from": DAY, "to": DAY})
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert [i["id"] for i in items] == [s["ids"][k] for k in ("last", "madrid", "first")]
    view = next(i for i in items if i["action"] == "transcript.view")
    assert (view["actor_name"], view["target_name"], view["target_user_name"]) == (
        "Ada Admin", "Precios", "Ana Ruiz")
    assert {i["target_name"] for i in items if i["target_type"] == "user"} == {"Ana Ruiz"}

    only_from = (await client.get("/admin/audit", headers=s["headers"],
                                  params={"from": "2026-03-02", "action": "user.delete"})).json()
    assert [i["id"] for i in only_from["items"]] == [s["ids"]["after"]]
    assert only_from["items"][0]["target_name"] is None  # not a user id: shown as it is stored
    only_to = (await client.get("/admin/audit", headers=s["headers"],
                                params={"to": "2026-02-28"})).json()
    assert [i["id"] for i in only_to["items"]] == [s["ids"]["before"]]

    # Keyset pages stay inside the range.
    first = (await client.get("/admin/audit", headers=s["headers"],
                              params={"from": DAY, "to": DAY, "limit": 2})).json()
    rest = (await client.get("/admin/audit", headers=s["headers"], params={
        "from": DAY, "to": DAY, "limit": 2, "cursor": first["next_cursor"]})).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in items]
    assert rest["next_cursor"] is None

    views = await client.runtime.store.db.fetch_all(
        lambda r: r["details"], "select details from audit_log where action = 'audit.view'"
        " order by seq")
    assert views[0] == {"from": DAY, "to": DAY}


def _db_cells(row: dict[str, Any]) -> list[str]:
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        if isinstance(value, bytes):
            return value.hex()
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        return str(value)
    return [cell(row[c]) for c in CSV_COLUMNS]


async def db_rows(client: Any, where: str = "true") -> list[dict[str, Any]]:
    return await client.runtime.store.db.fetch_all(
        dict, "select a.id, a.seq, a.created_at, a.actor_id, u.name as actor_name, a.action,"
        " a.target_type, a.target_id, coalesce(tu.name, c.title) as target_name,"
        " cu.name as target_user_name, a.client_ip, a.details, a.row_hash"
        " from audit_log a left join users u on u.id = a.actor_id"
        " left join users tu on a.target_type = 'user' and tu.id::text = a.target_id"
        " left join conversations c on a.target_type = 'conversation' and c.id::text = a.target_id"
        " left join users cu on cu.id = c.user_id"
        f" where {where} order by a.seq")


async def test_the_csv_holds_exactly_the_database_rows_of_the_range_and_is_audited(
        client, make_user, auth_headers):
    s = await seeded(client, make_user, auth_headers)
    resp = await client.get("/admin/audit.csv", headers=s["headers"],
                            params={"from": DAY, "to": DAY})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    assert resp.headers["content-disposition"] == f'attachment; filename="audit-{DAY}-{DAY}.csv"'
    header, *lines = list(csv.reader(io.StringIO(resp.text)))
    assert header == list(CSV_COLUMNS)
    expected = await db_rows(client, "a.created_at >= '2026-03-01T00:00Z'"
                                     " and a.created_at < '2026-03-02T00:00Z'")
    assert [int(line[0]) for line in lines] == [s["ids"][k] for k in ("first", "last", "madrid")]
    assert lines == [_db_cells(r) for r in expected]
    for line in lines:  # timestamps stay exact and in UTC
        assert datetime.fromisoformat(line[2]).utcoffset().total_seconds() == 0

    export = await client.runtime.store.db.fetch_all(
        dict, "select actor_id, target_type, details from audit_log where action = 'audit.export'")
    assert export == [{"actor_id": s["admin"].id, "target_type": "audit_log",
                       "details": {"from": DAY, "to": DAY}}]

    # No range: the whole log in chain order, the export's own row included (written first).
    whole = await client.get("/admin/audit.csv", headers=s["headers"])
    _header, *all_lines = list(csv.reader(io.StringIO(whole.text)))
    assert all_lines == [_db_cells(r) for r in await db_rows(client)]
    assert all_lines[-1][5] == "audit.export"


async def test_the_export_reads_in_batches_in_chain_order(client, make_user, auth_headers):
    s = await seeded(client, make_user, auth_headers)
    batches = [b async for b in client.runtime.store.audit.export(batch=2)]
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [e.id for b in batches for e in b] == [r["id"] for r in await db_rows(client)]
    assert batches[0][0].id == s["ids"]["before"]


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
@pytest.mark.parametrize("params", [
    {"from": "2026-02-30"}, {"from": "yesterday"}, {"to": "20260301"},
    {"from": "2026-03-02", "to": "2026-03-01"}, {"from": "2026-03-01T10:00:00Z"},
])
async def test_bad_dates_are_a_422_with_a_json_error(client, make_user, auth_headers, path,
                                                     params):
    admin = await make_user("Ada", is_admin=True)
    resp = await client.get(path, headers=await auth_headers(admin), params=params)
    assert resp.status_code == 422
    body = resp.json()
    assert body["error"]["code"] == "invalid_request"
    assert "from" in body["error"]["message"] or "to" in body["error"]["message"]
    assert await client.runtime.store.db.fetch_value("select count(*) from audit_log") == 0


async def test_participants_cannot_read_or_export_the_audit_log(client, make_user, auth_headers):
    ana = await make_user("Ana")
    headers = await auth_headers(ana)
    for path in ("/admin/audit", "/admin/audit.csv"):
        resp = await client.get(path, headers=headers, params={"from": DAY})
        assert resp.status_code == 403
        assert resp.json()["error"]["code"]
    assert (await client.get("/admin/audit.csv")).status_code == 401
    assert await client.runtime.store.db.fetch_value("select count(*) from audit_log") == 0
