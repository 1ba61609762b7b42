"""Shared pieces of the store: keyset pages and their opaque cursors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.db import Conn, Database
from ignacio_agents.errors import InvalidInput

T = TypeVar("T")

MAX_PAGE = 200
_BIGINT = 2**63


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class InvalidCursor(InvalidInput):
    """A cursor that ``encode_cursor`` did not make (tampered, truncated, from another listing)."""

    code = "invalid_cursor"
    default_message = "The cursor is not valid; start from the first page."


def encode_cursor(at: datetime, id_: UUID | int) -> str:
    raw = json.dumps([at.isoformat(), str(id_)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, id_type: str = "uuid") -> tuple[datetime, str]:
    """Parse a cursor made by ``encode_cursor`` (clients only echo it back). Everything is
    checked here, the id against the listing's ``id_type`` too, so a tampered cursor is an
    ``InvalidCursor`` and never reaches SQL."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, id_ = json.loads(raw)
        if not isinstance(at, str) or not isinstance(id_, str | int) or isinstance(id_, bool):
            raise TypeError("not a cursor")
        if id_type == "bigint" and not -_BIGINT <= int(id_) < _BIGINT:
            raise ValueError("id out of range")
        if id_type == "uuid":
            id_ = UUID(str(id_))
        return datetime.fromisoformat(at), str(id_)
    except (ValueError, TypeError) as exc:
        raise InvalidCursor() from exc


def clamp_limit(limit: int | None, default: int = 50) -> int:
    if limit is None:
        return default
    return max(1, min(int(limit), MAX_PAGE))


@dataclass(frozen=True)
class Keyset:
    """The (time, id) columns a listing is ordered by, newest first."""

    time_col: str  # SQL expression, e.g. "c.updated_at"
    id_col: str  # e.g. "c.id"
    id_type: str = "uuid"

    @property
    def time_attr(self) -> str:
        return self.time_col.rsplit(".", 1)[-1]


async def fetch_page(
    db: Database, select: str, where: list[str], params: list[Any], keyset: Keyset, *,
    limit: int | None, cursor: str | None, build: Callable[[dict[str, Any]], T],
    conn: Conn | None = None,
) -> Page[T]:
    """Run ``select`` (no WHERE/ORDER) as one keyset page: newest first, one extra row fetched
    to know whether another page exists, the cursor made from the last item."""
    limit = clamp_limit(limit)
    where = list(where) or ["true"]
    params = list(params)
    if cursor:
        at, id_ = decode_cursor(cursor, keyset.id_type)
        where.append(f"({keyset.time_col}, {keyset.id_col}) < (%s, %s::{keyset.id_type})")
        params += [at, id_]
    items = await db.fetch_all(
        build,
        f"{select} where {' and '.join(where)}"
        f" order by {keyset.time_col} desc, {keyset.id_col} desc limit %s",
        *params, limit + 1, conn=conn,
    )
    nxt = None
    if len(items) > limit:
        items = items[:limit]
        last = items[-1]
        nxt = encode_cursor(getattr(last, keyset.time_attr), last.id)  # type: ignore[attr-defined]
    return Page[T](items=items, next_cursor=nxt)
