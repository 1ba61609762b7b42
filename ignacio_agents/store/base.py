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

T = TypeVar("T")

MAX_PAGE = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class InvalidCursor(ValueError):
    pass


def encode_cursor(at: datetime, id_: UUID | int) -> str:
    raw = json.dumps([at.isoformat(), str(id_)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Parse a cursor made by ``encode_cursor`` (clients only echo it back)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, id_ = json.loads(raw)
        return datetime.fromisoformat(at), str(id_)
    except (ValueError, TypeError) as exc:
        raise InvalidCursor("invalid cursor") from exc


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
        at, id_ = decode_cursor(cursor)
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
