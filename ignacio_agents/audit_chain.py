"""Checking the audit log's hash chain (``ignacio verify-audit``).

The database chains each row as it is inserted (migration ``audit_chain``): ``row_hash`` is
SHA-256 over the previous row's hash and the row's own content, ``seq`` orders the chain. This
module recomputes every hash from the stored columns with its own copy of the formula (not the
database function, which a tamperer could replace too) and names the first row whose hash, or
whose link to the row before, does not hold. Any later row would fail too, so the first one is
where the log was changed: rewritten, removed (a gap in ``seq``) or inserted out of the chain.

What this cannot see: rows cut off the end, and a rewrite that recomputes every later hash. An
operator who wants those covered copies the last ``row_hash`` somewhere else now and then
(``ChainReport.head``) and compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from ignacio_agents.db import Database

# The same content and order as audit_log_row_hash() in the migration.
_RECOMPUTE = """
select id, seq, prev_hash, row_hash,
       sha256(coalesce(prev_hash, ''::bytea) || convert_to(jsonb_build_array(
           seq, actor_id, action, target_type, target_id, client_ip, details,
           (extract(epoch from created_at) * 1000000)::bigint)::text, 'UTF8')) as expected
from audit_log where seq > %s order by seq limit %s
"""
BATCH = 5000


@dataclass(frozen=True)
class ChainReport:
    rows: int
    head: str | None  # the last row's hash (hex): keep a copy elsewhere to detect truncation
    broken_id: int | None = None  # audit_log.id of the first row that does not hold
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


async def verify_chain(db: Database) -> ChainReport:
    """Walk the whole chain in ``seq`` order, a batch at a time."""
    rows, last_seq, last_hash = 0, 0, None
    while True:
        batch = await db.fetch_all(dict, _RECOMPUTE, last_seq, BATCH)
        for row in batch:
            reason = _broken(row, last_seq, last_hash)
            if reason:
                return ChainReport(rows=rows, head=_hex(last_hash), broken_id=row["id"],
                                   reason=reason)
            rows, last_seq, last_hash = rows + 1, row["seq"], bytes(row["row_hash"])
        if len(batch) < BATCH:
            return ChainReport(rows=rows, head=_hex(last_hash))


def _broken(row: dict[str, object], last_seq: int, last_hash: bytes | None) -> str | None:
    if row["seq"] != last_seq + 1:
        return f"rows missing before it (sequence jumps from {last_seq} to {row['seq']})"
    prev = bytes(cast(bytes, row["prev_hash"])) if row["prev_hash"] is not None else None
    if prev != last_hash:
        return "its link to the previous row does not match that row's hash"
    if bytes(cast(bytes, row["row_hash"])) != bytes(cast(bytes, row["expected"])):
        return "its content does not match its hash (the row was changed)"
    return None


def _hex(value: bytes | None) -> str | None:
    return value.hex() if value is not None else None
