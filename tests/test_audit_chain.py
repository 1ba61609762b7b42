"""The tamper-evident audit log and the CLI's admin bootstrap, through the real ``ignacio`` CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest

from api.cli import main
from ignacio_agents.audit_chain import verify_chain
from ignacio_agents.db import Database


@pytest.fixture
def cli_env(conninfo: str, tmp_path: Path, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", conninfo)
    monkeypatch.setenv("IGNACIO_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return conninfo


def _write_rows(conninfo: str, n: int) -> list[int]:
    with psycopg.connect(conninfo) as conn:
        ids = [conn.execute(
            "insert into audit_log (action, target_type, target_id, details)"
            " values (%s, 'user', %s, %s) returning id",
            (f"test.action{i}", str(i), psycopg.types.json.Jsonb({"n": i, "note": "ñ \"q\""})),
        ).fetchone()[0] for i in range(n)]
    return ids


def test_an_untouched_chain_verifies_and_one_changed_row_is_named(cli_env, capsys):
    ids = _write_rows(cli_env, 5)
    assert main(["verify-audit"]) == 0
    assert "5 rows" in capsys.readouterr().out

    with psycopg.connect(cli_env) as conn:  # a rewrite by someone who can pause the triggers
        conn.execute("alter table audit_log disable trigger user")
        conn.execute("update audit_log set details = details || '{\"n\": 99}' where id = %s",
                     (ids[2],))
        conn.execute("alter table audit_log enable trigger user")
    assert main(["verify-audit"]) == 1
    err = capsys.readouterr().err
    assert f"row id {ids[2]}" in err and "content" in err


def test_a_removed_row_breaks_the_link_of_the_next_one(cli_env, capsys):
    ids = _write_rows(cli_env, 4)
    with psycopg.connect(cli_env) as conn:
        conn.execute("alter table audit_log disable trigger user")
        conn.execute("delete from audit_log where id = %s", (ids[1],))
        conn.execute("alter table audit_log enable trigger user")
    assert main(["verify-audit"]) == 1
    assert f"row id {ids[2]}" in capsys.readouterr().err


def test_a_rehashed_row_still_breaks_the_link_after_it(cli_env, capsys):
    """Recomputing the changed row's own hash does not help: the next row's link names it."""
    ids = _write_rows(cli_env, 3)
    with psycopg.connect(cli_env) as conn:
        conn.execute("alter table audit_log disable trigger user")
        conn.execute(
            "update audit_log set action = 'forged', row_hash = audit_log_row_hash(prev_hash, seq,"
            " actor_id, 'forged', target_type, target_id, client_ip, details, created_at)"
            " where id = %s", (ids[0],))
        conn.execute("alter table audit_log enable trigger user")
    assert main(["verify-audit"]) == 1
    assert f"row id {ids[1]}" in capsys.readouterr().err


async def test_concurrent_writers_make_one_unbroken_chain(conninfo):
    db = await Database.open(conninfo, min_size=4, max_size=8)
    try:
        async def write(i: int) -> None:
            async with db.transaction() as tx:
                await tx.execute("insert into audit_log (action, details) values (%s, '{}')",
                                 (f"burst{i}",))
        await asyncio.gather(*(write(i) for i in range(40)))
        report = await verify_chain(db)
        assert report.ok and report.rows == 40
        seqs = await db.fetch_all(lambda r: r["seq"], "select seq from audit_log order by seq")
        assert seqs == list(range(1, 41))
    finally:
        await db.close()


def test_the_app_role_still_cannot_update_or_delete_audit_rows(cli_env):
    ids = _write_rows(cli_env, 1)
    with psycopg.connect(cli_env) as conn, pytest.raises(psycopg.errors.RaiseException):
        conn.execute("update audit_log set action = 'x' where id = %s", (ids[0],))


def test_create_admin_refuses_when_an_active_admin_exists_unless_forced(cli_env, capsys):
    assert main(["create-admin", "+34600111222", "--name", "Root"]) == 0
    assert main(["create-admin", "+34600111333", "--name", "Second"]) == 1
    assert "--force" in capsys.readouterr().err
    with psycopg.connect(cli_env) as conn:
        assert conn.execute("select count(*) from users").fetchone()[0] == 1
    # Running it again for the admin who exists is harmless.
    assert main(["create-admin", "+34600111222", "--name", "Root"]) == 0
    assert main(["create-admin", "+34600111333", "--name", "Second", "--force"]) == 0
    with psycopg.connect(cli_env) as conn:
        rows = conn.execute("select actor_id, action, client_ip, details->>'forced'"
                            " from audit_log order by seq").fetchall()
        assert conn.execute("select count(*) from users where is_admin").fetchone()[0] == 2
    assert rows == [(None, "user.bootstrap_admin", "cli", "false"),
                    (None, "user.bootstrap_admin", "cli", "false"),
                    (None, "user.bootstrap_admin", "cli", "true")]
    assert main(["verify-audit"]) == 0
