"""Foundation: migrations, row-level security, phone crypto, store behaviour, settings."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import psycopg
import pytest

from ignacio_agents.crypto import DecryptionError, PhoneCipher, normalize_phone
from ignacio_agents.db import Database
from ignacio_agents.migrations import load_migrations, migrate
from ignacio_agents.settings import ConfigError, load_settings
from ignacio_agents.store import Store
from ignacio_agents.store.messages import NewMessage


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
async def store(conninfo: str):
    db = await Database.open(conninfo, min_size=1, max_size=4)
    try:
        yield Store(db, PhoneCipher.from_settings(_key(), _key()))
    finally:
        await db.close()


async def test_migrate_twice_applies_nothing_the_second_time(pg_server_uri: str):
    from ignacio_agents.db import conninfo_for_database

    name = f"mig_{secrets.token_hex(4)}"
    with psycopg.connect(pg_server_uri, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        conninfo = conninfo_for_database(pg_server_uri, name)
        files = load_migrations()
        first = await migrate(conninfo)
        second = await migrate(conninfo)
        assert first == [m.version for m in files]
        assert second == []
        with psycopg.connect(conninfo) as conn:
            ledger = conn.execute(
                "select version, name from supabase_migrations.schema_migrations order by version"
            ).fetchall()
        assert ledger == [(m.version, m.name) for m in files]
    finally:
        with psycopg.connect(pg_server_uri, autocommit=True) as conn:
            conn.execute(f'drop database "{name}" with (force)')


def test_every_table_has_row_level_security(conninfo: str):
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "select c.relname, c.relrowsecurity from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'public' and c.relkind in ('r', 'p')"
        ).fetchall()
    assert len(rows) >= 10
    assert [name for name, rls in rows if not rls] == []


def test_phone_normalisation_and_blind_index():
    cipher = PhoneCipher.from_settings(_key(), _key())
    a = normalize_phone("+34 612 34 56 78")
    b = normalize_phone("0034612345678", "ES")
    c = normalize_phone("612345678", "ES")
    assert a == b == c == "+34612345678"
    assert normalize_phone("34612345678") == "+34612345678"  # a WhatsApp wa_id
    assert cipher.blind_index(a) == cipher.blind_index(c)
    blob = cipher.encrypt(a)
    assert a.encode() not in blob and cipher.decrypt(blob) == a
    assert cipher.encrypt(a) != blob  # random nonces


def test_wrong_key_cannot_decrypt_and_old_keys_still_can():
    old, new, index = _key(), _key(), _key()
    before = PhoneCipher.from_settings(old, index)
    blob = before.encrypt("+34612345678")
    stranger = PhoneCipher.from_settings(_key(), index)
    with pytest.raises(DecryptionError):
        stranger.decrypt(blob)
    rotated = PhoneCipher.from_settings(new, index, old_keys=f"1:{old}")
    assert rotated.decrypt(blob) == "+34612345678"
    assert rotated.encrypt("+34612345678")[0] == 2


async def test_user_lookup_by_blind_index_and_wrong_key(store: Store, conninfo: str):
    user = await store.users.create("+34612345678", "Ana")
    found = await store.users.get_by_phone("+34612345678")
    assert found is not None and found.id == user.id and found.phone_number == "+34612345678"
    assert await store.users.get_by_phone("+34612345679") is None
    other = Store(store.db, PhoneCipher.from_settings(_key(), _key()))
    assert await other.users.get_by_phone("+34612345678") is None
    with pytest.raises(DecryptionError):
        await other.users.get(user.id)
    with psycopg.connect(conninfo) as conn:
        raw = conn.execute("select phone_ciphertext::text, phone_hmac::text from users").fetchone()
    assert "612345678" not in "".join(raw)


async def test_store_crud_pagination_and_cascades(store: Store):
    ana = await store.users.create("+34600000001", "Ana")
    bob = await store.users.create("+34600000002", "Bob")
    convs = [await store.conversations.create(ana.id, "web", f"c{i}") for i in range(5)]
    for conv in convs:
        await store.conversations.touch(conv.id)
    page1 = await store.conversations.list_for_user(ana.id, limit=2)
    page2 = await store.conversations.list_for_user(ana.id, limit=2, cursor=page1.next_cursor)
    page3 = await store.conversations.list_for_user(ana.id, limit=2, cursor=page2.next_cursor)
    seen = [c.title for c in page1.items + page2.items + page3.items]
    assert seen == ["c4", "c3", "c2", "c1", "c0"] and page3.next_cursor is None
    assert await store.conversations.get(convs[0].id, user_id=bob.id) is None

    conv = convs[0]
    for i in range(7):
        await store.messages.add(NewMessage(
            conversation_id=conv.id, user_id=ana.id, is_from_user=i % 2 == 0, content=f"m{i}",
        ))
    newest = await store.messages.page(conv.id, limit=3)
    older = await store.messages.page(conv.id, limit=3, cursor=newest.next_cursor)
    assert [m.content for m in newest.items] == ["m6", "m5", "m4"]
    assert [m.content for m in older.items] == ["m3", "m2", "m1"]

    # A replayed WhatsApp message id is a no-op.
    first = await store.messages.add(NewMessage(
        conversation_id=conv.id, user_id=ana.id, is_from_user=True, content="hola",
        external_id="wamid.X",
    ))
    again = await store.messages.add(NewMessage(
        conversation_id=conv.id, user_id=ana.id, is_from_user=True, content="hola",
        external_id="wamid.X",
    ))
    assert first is not None and again is None

    renamed = await store.users.update(ana.id, name="Ana María")
    assert renamed is not None and renamed.name == "Ana María"

    assert await store.users.delete(ana.id)
    assert await store.conversations.get(conv.id) is None
    assert await store.messages.get(first.id) is None
    assert (await store.users.list()).items == [bob]


async def test_users_list_search_by_name_and_exact_phone(store: Store):
    await store.users.create("+34600000001", "Ana López")
    await store.users.create("+34600000002", "Bob")
    by_name = await store.users.list(search="lópez")
    by_phone = await store.users.list(search="600 000 002", phone_region="ES")
    assert [u.name for u in by_name.items] == ["Ana López"]
    assert [u.name for u in by_phone.items] == ["Bob"]


async def test_history_search_is_per_user_and_bilingual(store: Store):
    ana = await store.users.create("+34600000001", "Ana")
    bob = await store.users.create("+34600000002", "Bob")
    ca = await store.conversations.create(ana.id, "whatsapp", "Precios")
    cb = await store.conversations.create(bob.id, "web", "Pricing")
    await store.messages.add(NewMessage(
        conversation_id=ca.id, user_id=ana.id, is_from_user=True, content="¿Cómo fijo los precios?",
    ))
    await store.messages.add(NewMessage(
        conversation_id=cb.id, user_id=bob.id, is_from_user=True, content="Pricing for my precios app",
    ))
    hits = await store.messages.search_history(ana.id, "precio")
    assert [h.conversation_title for h in hits] == ["Precios"]
    assert (await store.messages.search_history(bob.id, "prices"))[0].conversation_id == cb.id


def test_production_settings_refuse_to_start_naming_the_missing_secret(tmp_path: Path,
                                                                       monkeypatch):
    for name in ("JWT_SECRET_KEY", "PHONE_INDEX_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        load_settings(
            ignacio_env="production", data_dir=tmp_path, database_url="postgresql://x/y",
            phone_encryption_key=_key(),
        )
    assert "JWT_SECRET_KEY" in str(err.value) and "PHONE_INDEX_KEY" in str(err.value)
    assert "DATABASE_URL" not in str(err.value)


def test_development_secrets_are_generated_once_and_kept(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = load_settings(data_dir=tmp_path / "d", jwt_secret_key=None)
    second = load_settings(data_dir=tmp_path / "d", jwt_secret_key=None)
    assert first.secret("jwt_secret_key") == second.secret("jwt_secret_key")
    assert first.secret("phone_encryption_key") == second.secret("phone_encryption_key")
    assert (tmp_path / "d" / "secrets.json").stat().st_mode & 0o077 == 0


def test_create_admin_cli(conninfo: str, tmp_path: Path, monkeypatch, capsys):
    from api.cli import main

    monkeypatch.setenv("DATABASE_URL", conninfo)
    monkeypatch.setenv("IGNACIO_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["create-admin", "+34 600 111 222", "--name", "Root"]) == 0
    out = capsys.readouterr().out
    assert "Root" in out and "600111222" not in out
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute("select name, is_admin, is_active from users").fetchall()
    assert rows == [("Root", True, True)]


def test_two_migrations_with_one_version_are_refused_by_name(tmp_path):
    import pytest

    (tmp_path / "20990101000000_one.sql").write_text("select 1;")
    (tmp_path / "20990101000000_two.sql").write_text("select 2;")
    with pytest.raises(ValueError, match=r"20990101000000_two\.sql"):
        load_migrations(tmp_path)
    assert len({m.version for m in load_migrations()}) == len(load_migrations())
