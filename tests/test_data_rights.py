"""Data rights: a participant's export ZIP holds every message of both channels, every file
and their profile and memory (compared with the database); after deletion no table row and no
blob refers to them (every table of every schema is scanned)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ignacio_agents.folding import ExtractSummarizer, fold_conversation
from ignacio_agents.store.messages import NewMessage
from ignacio_agents.store.usage import LedgerLine
from tests.memory_helpers import add_turn
from tests.uploads import upload

# Tables that keep a reference on purpose: the audit trail outlives the people it mentions
# (ids and actions only; it is append-only and hash-chained, so it cannot be edited anyway).
KEPT_ON_PURPOSE = {("public", "audit_log")}


async def participant_with_everything(client: Any, make_user: Any, auth_headers: Any) -> Any:
    store = client.runtime.store
    ana = await make_user("Ana Ruiz")
    headers = await auth_headers(ana)
    cohort = await store.cohorts.create(name="Otoño", starts_on=date(2026, 9, 1),
                                        ends_on=date(2026, 12, 31))
    await store.cohorts.add_members(cohort.id, [ana.id])
    resp = await client.put("/users/me", headers=headers, json={
        "project": {"project_name": "Panadería Ruiz", "kind": "startup", "stage": "idea"}})
    assert resp.status_code == 200
    await client.put("/users/me", headers=headers, json={"project": {"goals": "Abrir en marzo"}})
    web = await store.conversations.create(ana.id, "web", "Precios")
    wa = await store.conversations.create(ana.id, "whatsapp", None)
    await add_turn(store, web, "Vendo pan de masa madre a 4 euros.", "Revisa tus costes.")
    await add_turn(store, wa, "Tengo 3 clientes fijos en Valencia.", "¡Buen comienzo!")
    pdf = (await upload(client, headers, "plan.txt", b"Plan de negocio de Ana", "text/plain")).json()
    photo = (await upload(client, headers, "horno.png", b"\x89PNG\r\n\x1a\nnot-really",
                          "image/png")).json()
    await store.messages.add(NewMessage(
        conversation_id=wa.id, user_id=ana.id, is_from_user=True, content="📎 horno.png",
        channel="whatsapp", file_id=photo["id"], file_path=None))
    await fold_conversation(store, ExtractSummarizer(), wa.id)
    await store.usage.add(user_id=ana.id, cohort_id=cohort.id, day=datetime.now(UTC).date(),
                          lines=[LedgerLine("answer", "openai:gpt-4o", 1, 500, 100, 0,
                                            Decimal("0.0025"), "genai-prices")])
    await store.usage.first_notice(ana.id, "whatsapp", datetime.now(UTC).date())
    await store.consents.claim(ana.id, "web", "es", "Guardamos lo que escribes.",
                               acknowledged=True)
    return ana, headers, cohort, [pdf, photo]


async def test_the_export_zip_holds_every_message_file_profile_and_memory(
        client, make_user, auth_headers):
    store = client.runtime.store
    ana, headers, _cohort, uploaded = await participant_with_everything(client, make_user,
                                                                         auth_headers)
    resp = await client.get("/users/me/export", headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(resp.content))
    data = json.loads(archive.read("export.json"))
    markdown = archive.read("transcript.md").decode()

    assert data["account"]["phone_number"] == ana.phone_number
    db_messages = await store.db.fetch_all(
        dict, "select id, content, channel from messages where user_id = %s", ana.id)
    assert {m["channel"] for m in db_messages} == {"web", "whatsapp"}
    exported = {m["id"]: m for m in data["messages"]}
    assert set(exported) == {str(m["id"]) for m in db_messages}
    for m in db_messages:
        assert exported[str(m["id"])]["content"] == m["content"]
        assert m["content"] in markdown
    db_files = await store.db.fetch_all(
        dict, "select id, file_path from user_files where user_id = %s", ana.id)
    assert {f["id"] for f in data["files"]} == {str(f["id"]) for f in db_files} == {
        u["id"] for u in uploaded}
    for f in db_files:
        entry = next(x for x in data["files"] if x["id"] == str(f["id"]))["path_in_export"]
        stored = b"".join([c async for c in client.runtime.blobs.get(f["file_path"])])
        assert archive.read(entry) == stored
    assert data["project_profile"][0]["profile"]["project_name"] == "Panadería Ruiz"
    assert [h["source"] for h in data["project_profile_history"]] == ["user", "user"]
    memory = await store.db.fetch_all(lambda r: r["text"],
                                      "select text from memory_items where user_id = %s", ana.id)
    assert memory and sorted(m["text"] for m in data["memory"]) == sorted(memory)
    assert [c["name"] for c in data["cohorts"]] == ["Otoño"]
    assert data["usage"][0]["cost_usd"] == "0.0025000000"
    assert [c["channel"] for c in data["consent_notices"]] == ["web"]
    assert "session_token" not in json.dumps(data) and "model_messages" not in json.dumps(data)


async def test_admins_export_anyone_audited_and_participants_only_themselves(
        client, make_user, auth_headers):
    ana, headers, _c, _u = await participant_with_everything(client, make_user, auth_headers)
    admin = await make_user("Ada", is_admin=True)
    resp = await client.get(f"/admin/users/{ana.id}/export", headers=await auth_headers(admin))
    assert resp.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(resp.content)).namelist()[:2] == ["export.json",
                                                                       "transcript.md"]
    assert (await client.get(f"/admin/users/{admin.id}/export", headers=headers)).status_code == 403
    rows = await client.runtime.store.db.fetch_all(
        dict, "select actor_id, action, target_id from audit_log where action = 'user.export'")
    assert rows == [{"actor_id": admin.id, "action": "user.export", "target_id": str(ana.id)}]


async def test_after_deletion_nothing_in_any_table_or_blob_refers_to_the_participant(
        client, make_user, auth_headers):
    store = client.runtime.store
    ana, _headers, cohort, _uploaded = await participant_with_everything(client, make_user,
                                                                          auth_headers)
    phone_hmac = store.cipher.blind_index(ana.phone_number).hex()
    needles = [str(ana.id), ana.phone_number, ana.phone_number.lstrip("+"), phone_hmac,
               "Ana Ruiz", "Panadería Ruiz"]
    admin = await make_user("Ada", is_admin=True)
    blob_root = client.runtime.settings.data_dir / "blobs"
    assert any(str(ana.id) in str(p) for p in blob_root.rglob("*"))
    resp = await client.delete(f"/users/{ana.id}", headers=await auth_headers(admin))
    assert resp.status_code == 204

    tables = await store.db.fetch_all(
        dict, "select table_schema, table_name from information_schema.tables"
        " where table_type = 'BASE TABLE'"
        " and table_schema not in ('pg_catalog', 'information_schema')")
    assert len(tables) > 30
    found = []
    for t in tables:
        key = (t["table_schema"], t["table_name"])
        if key in KEPT_ON_PURPOSE:
            continue
        for needle in needles:
            hits = await store.db.fetch_value(
                f'select count(*) from "{key[0]}"."{key[1]}" t where t::text ilike %s',
                f"%{needle}%")
            if hits:
                found.append((key, needle, hits))
    assert found == []
    assert not any(str(ana.id) in str(p) for p in blob_root.rglob("*"))
    # The ledger keeps the cohort's totals, anonymised.
    kept = await store.db.fetch_all(dict, "select user_id, cohort_id, cost_usd from usage_ledger")
    assert kept == [{"user_id": None, "cohort_id": cohort.id, "cost_usd": Decimal("0.0025")}]
