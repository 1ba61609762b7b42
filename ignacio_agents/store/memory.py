"""Participant memory: the items of the running conversation summaries and the fold cursors.

A fold reads the answered turns after its conversation's cursor (``turns_to_fold``) and writes
what it learned with ``apply_fold``, which also advances the cursor, in one transaction that
first checks the cursor is still where the fold started: a retried or duplicated fold job is a
no-op instead of folding a turn twice. Items the participant deletes leave a tombstone
(``memory_forgotten``) that later folds consult.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.db import Conn, Database
from ignacio_agents.domain import ChannelName, MessageType
from ignacio_agents.store.base import Keyset, Page, fetch_page

# Enough for the replayed memory and the summarizer's view; older items stay stored and listed.
RECALL_LIMIT = 400


class MemoryItem(BaseModel):
    id: UUID
    user_id: UUID
    conversation_id: UUID
    conversation_title: str | None = None
    source_message_id: UUID | None
    source_at: datetime
    channel: ChannelName
    kind: str
    text: str
    fingerprint: bytes
    created_at: datetime


class FoldState(BaseModel):
    conversation_id: UUID
    user_id: UUID
    folded_through_at: datetime | None = None
    folded_through_id: UUID | None = None
    folded_turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    model: str | None = None

    @property
    def cursor(self) -> tuple[datetime, UUID] | None:
        if self.folded_through_at is None or self.folded_through_id is None:
            return None
        return self.folded_through_at, self.folded_through_id


class TurnText(BaseModel):
    """One answered turn as the summarizer reads it: the participant's words and the answer."""

    message_id: UUID  # the assistant message
    created_at: datetime
    channel: ChannelName
    question: str | None
    question_type: MessageType | None
    file_name: str | None
    answer: str | None
    is_fallback: bool


class Forgotten(BaseModel):
    fingerprint: bytes
    text: str


@dataclass(frozen=True)
class NewItem:
    kind: str
    text: str
    fingerprint: bytes
    source_message_id: UUID
    source_at: datetime
    channel: ChannelName


_ITEM_SELECT = (
    "select i.id, i.user_id, i.conversation_id, c.title as conversation_title,"
    " i.source_message_id, i.source_at, i.channel, i.kind, i.text, i.fingerprint, i.created_at"
    " from memory_items i join conversations c on c.id = i.conversation_id"
)
_NO_CURSOR = ("-infinity", "00000000-0000-0000-0000-000000000000")


class MemoryStore:
    def __init__(self, db: Database):
        self.db = db

    # --- reading ------------------------------------------------------------------------
    async def page(self, user_id: UUID, *, limit: int | None = None, cursor: str | None = None,
                   conn: Conn | None = None) -> Page[MemoryItem]:
        """One participant's items, newest first (what the web shows and admins review)."""
        return await fetch_page(
            self.db, _ITEM_SELECT, ["i.user_id = %s"], [user_id], Keyset("i.created_at", "i.id"),
            limit=limit, cursor=cursor, build=MemoryItem.model_validate, conn=conn,
        )

    async def recall(self, user_id: UUID, *, limit: int = RECALL_LIMIT,
                     conn: Conn | None = None) -> list[MemoryItem]:
        """The participant's newest items across every conversation, for a turn's memory."""
        return await self.db.fetch_all(
            MemoryItem,
            f"{_ITEM_SELECT} where i.user_id = %s order by i.source_at desc, i.id desc limit %s",
            user_id, limit, conn=conn,
        )

    async def for_conversation(self, conversation_id: UUID, *, limit: int = RECALL_LIMIT,
                               conn: Conn | None = None) -> list[MemoryItem]:
        """A conversation's running summary: its newest items, oldest first."""
        return await self.db.fetch_all(
            MemoryItem,
            f"select * from ({_ITEM_SELECT} where i.conversation_id = %s"
            " order by i.source_at desc, i.id desc limit %s) t order by source_at, id",
            conversation_id, limit, conn=conn,
        )

    async def window_start(self, conversation_id: UUID, token_budget: int, *,
                           max_turns: int = 200, conn: Conn | None = None) -> datetime | None:
        """When the oldest turn that fits wholly in ``token_budget`` happened (by the turns'
        recorded ``history_tokens``, newest first): turns from then on are replayed verbatim.
        None when not even the newest turn fits (everything is summary)."""
        start: datetime | None = await self.db.fetch_value(
            "select min(created_at) as start from ("
            " select created_at, sum(coalesce((usage->>'history_tokens')::int, 0)) over ("
            "   order by created_at desc, id desc rows between unbounded preceding and"
            "   current row) as through"
            " from messages where conversation_id = %s and model_messages is not null"
            " order by created_at desc, id desc limit %s) t where through <= %s",
            conversation_id, max_turns, token_budget, conn=conn,
        )
        return start

    async def forgotten(self, user_id: UUID, *, limit: int = 200,
                        conn: Conn | None = None) -> list[Forgotten]:
        return await self.db.fetch_all(
            Forgotten,
            "select fingerprint, text from memory_forgotten where user_id = %s"
            " order by created_at desc, id desc limit %s",
            user_id, limit, conn=conn,
        )

    # --- folding ------------------------------------------------------------------------
    async def fold_state(self, conversation_id: UUID, *,
                         conn: Conn | None = None) -> FoldState | None:
        """The conversation's fold cursor and totals (a fresh state if it was never folded);
        None if the conversation does not exist."""
        return await self.db.fetch_one(
            FoldState,
            "select c.id as conversation_id, c.user_id, s.folded_through_at,"
            " s.folded_through_id, coalesce(s.folded_turns, 0) as folded_turns,"
            " coalesce(s.input_tokens, 0) as input_tokens,"
            " coalesce(s.output_tokens, 0) as output_tokens,"
            " coalesce(s.requests, 0) as requests, s.model"
            " from conversations c left join conversation_summaries s"
            " on s.conversation_id = c.id where c.id = %s",
            conversation_id, conn=conn,
        )

    async def turns_to_fold(self, conversation_id: UUID, after: tuple[datetime, UUID] | None, *,
                            limit: int = 50, conn: Conn | None = None) -> list[TurnText]:
        """Answered turns after the cursor, oldest first."""
        at, id_ = after or _NO_CURSOR
        return await self.db.fetch_all(
            TurnText,
            "select a.id as message_id, a.created_at, a.channel, a.content as answer,"
            " a.is_fallback, q.content as question, q.message_type as question_type,"
            " f.file_name"
            " from messages a left join messages q on q.id = a.reply_to_id"
            " left join user_files f on f.id = q.file_id"
            " where a.conversation_id = %s and not a.is_from_user"
            " and (a.created_at, a.id) > (%s::timestamptz, %s::uuid)"
            " order by a.created_at, a.id limit %s",
            conversation_id, at, id_, limit, conn=conn,
        )

    async def apply_fold(
        self, state: FoldState, *, through: TurnText, turns: int, add: list[NewItem],
        outdated: list[UUID], usage: dict[str, int], model: str, conn: Conn | None = None,
    ) -> bool:
        """Store one fold and move the cursor to ``through``. False (nothing written) when the
        cursor moved since ``state`` was read: another run already folded these turns."""
        async with self.db.transaction(conn) as conn:
            await conn.execute(
                "insert into conversation_summaries (conversation_id, user_id) values (%s, %s)"
                " on conflict (conversation_id) do nothing",
                (state.conversation_id, state.user_id),
            )
            cur = await conn.execute(
                "select folded_through_at, folded_through_id from conversation_summaries"
                " where conversation_id = %s for update",
                (state.conversation_id,),
            )
            row = await cur.fetchone()
            assert row is not None
            if (row["folded_through_at"], row["folded_through_id"]) != (
                    state.folded_through_at, state.folded_through_id):
                return False
            if outdated:
                await conn.execute(
                    "delete from memory_items where conversation_id = %s and id = any(%s)",
                    (state.conversation_id, outdated),
                )
            for item in add:
                await _insert_item(conn, state, item)
            await conn.execute(
                "update conversation_summaries set folded_through_at = %s, folded_through_id = %s,"
                " folded_turns = folded_turns + %s, input_tokens = input_tokens + %s,"
                " output_tokens = output_tokens + %s, requests = requests + %s, model = %s,"
                " updated_at = now() where conversation_id = %s",
                (through.created_at, through.message_id, turns, usage.get("input_tokens", 0),
                 usage.get("output_tokens", 0), usage.get("requests", 0), model,
                 state.conversation_id),
            )
        return True

    async def mark_seen(self, conversation_id: UUID, activity_at: datetime, *,
                        conn: Conn | None = None) -> None:
        """Record the conversation activity a fold has caught up with (the sweep's watermark)."""
        await self.db.execute(
            "insert into conversation_summaries (conversation_id, user_id, activity_seen_at)"
            " select id, user_id, %s from conversations where id = %s"
            " on conflict (conversation_id) do update set activity_seen_at ="
            " greatest(conversation_summaries.activity_seen_at, excluded.activity_seen_at)",
            activity_at, conversation_id, conn=conn,
        )

    async def conversations_to_fold(self, *, quiet_seconds: float = 0.0,
                                    max_lag_seconds: float = 0.0, active_within_days: int = 7,
                                    limit: int = 200,
                                    conn: Conn | None = None) -> list[tuple[UUID, datetime]]:
        """Recently active conversations with activity no fold has seen yet (and that activity's
        time), oldest activity first so nobody waits behind a busy conversation; of those, the
        ones ready: quiet for ``quiet_seconds``, or left for another conversation (their
        participant wrote in one since: ``/nuevo``, a web chat after WhatsApp), or with activity
        ``max_lag_seconds`` newer than what the last fold saw (its creation when none did)."""
        return await self.db.fetch_all(
            lambda r: (r["id"], r["updated_at"]),
            "select c.id, c.updated_at from conversations c left join conversation_summaries s"
            " on s.conversation_id = c.id"
            " where c.updated_at > now() - make_interval(days => %s)"
            " and c.updated_at > coalesce(s.activity_seen_at, '-infinity')"
            " and (c.updated_at <= now() - make_interval(secs => %s)"
            " or coalesce(s.activity_seen_at, c.created_at) <= now() - make_interval(secs => %s)"
            " or exists (select 1 from conversations n where n.user_id = c.user_id"
            " and n.id <> c.id and n.updated_at > c.updated_at))"
            " order by c.updated_at limit %s",
            active_within_days, quiet_seconds, max_lag_seconds, limit, conn=conn,
        )

    # --- the participant's control --------------------------------------------------------
    async def forget(self, item_id: UUID, *, user_id: UUID, conn: Conn | None = None) -> bool:
        """Delete one of the participant's items and remember that it was deleted, so no later
        fold brings it back. False if there is no such item of theirs."""
        async with self.db.transaction(conn) as conn:
            cur = await conn.execute(
                "delete from memory_items where id = %s and user_id = %s"
                " returning fingerprint, text",
                (item_id, user_id),
            )
            row = await cur.fetchone()
            if row is None:
                return False
            await conn.execute(
                "insert into memory_forgotten (user_id, fingerprint, text) values (%s, %s, %s)"
                " on conflict (user_id, fingerprint) do nothing",
                (user_id, row["fingerprint"], row["text"]),
            )
            # The same item folded from another conversation is the same memory: gone too.
            await conn.execute(
                "delete from memory_items where user_id = %s and fingerprint = %s",
                (user_id, row["fingerprint"]),
            )
        return True


async def _insert_item(conn: Conn, state: FoldState, item: NewItem) -> None:
    """Insert unless it is a tombstoned item or one this conversation already holds."""
    await conn.execute(
        "insert into memory_items (user_id, conversation_id, source_message_id, source_at, channel,"
        " kind, text, fingerprint) select %s, %s, %s, %s, %s, %s, %s, %s"
        " where not exists (select 1 from memory_forgotten where user_id = %s and fingerprint = %s)"
        " and not exists (select 1 from memory_items where conversation_id = %s"
        "   and fingerprint = %s)",
        (state.user_id, state.conversation_id, item.source_message_id, item.source_at,
         item.channel, item.kind, item.text[:500], item.fingerprint,
         state.user_id, item.fingerprint, state.conversation_id, item.fingerprint),
    )
