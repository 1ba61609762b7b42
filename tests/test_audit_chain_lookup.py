"""Extending the audit chain reads the log's last row from the end of the ``seq`` index,
never the whole log: the trigger runs for every audit row (an admin search writes one),
under a lock every other audit writer waits on."""

from __future__ import annotations

import psycopg


def test_the_chain_finds_its_last_row_through_the_index(conninfo: str) -> None:
    with psycopg.connect(conninfo) as conn:
        for i in range(3):
            conn.execute("insert into audit_log (action, details) values (%s, '{}')",
                         (f"test.warm{i}",))
        conn.commit()
    # A fresh session, so the trigger's query is planned with sequential scans off: an order
    # the index can give is then read from it, one it cannot is still a scan of the table.
    with psycopg.connect(conninfo) as conn:
        conn.execute("set enable_seqscan = off")
        for i in range(3):
            conn.execute("insert into audit_log (action, details) values (%s, '{}')",
                         (f"test.action{i}",))
        scans = conn.execute(
            "select pg_stat_get_xact_numscans('audit_log'::regclass),"
            " pg_stat_get_xact_numscans('audit_log_seq_key'::regclass)").fetchone()
        seqs = [r[0] for r in conn.execute("select seq from audit_log order by seq")]
    assert scans is not None
    table_scans, index_scans = scans
    assert table_scans == 0 and index_scans >= 3
    assert seqs == list(range(1, 7))
