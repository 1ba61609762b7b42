"""Conversations: per user, newest activity first; admins can search across everyone's."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.db import Conn, Database
from ignacio_agents.domain import WEB_CHANNEL, ChannelName
from ignacio_agents.notify import CHANNEL, EventKind, event_body, publish
from ignacio_agents.store.base import Keyset, Page, fetch_page


class Conversation(BaseModel):
    id: UUID
    user_id: UUID
    title: str | None
    channel: ChannelName
    created_at: datetime
    updated_at: datetime


class ConversationSummary(Conversation):
    """An admin's row: who it belongs to and how long it is."""

    user_name: str | None
    message_count: int


_COLUMNS = "c.id, c.user_id, c.title, c.channel, c.created_at, c.updated_at"
# The count is kept on the conversation (migration 20261202170000): counting a page's
# 10,000-message conversations was most of an admin search.
_SUMMARY_SELECT = (
    f"select {_COLUMNS}, u.name as user_name, c.message_count"
    " from conversations c join users u on u.id = c.user_id"
)
_RECENT = Keyset("c.updated_at", "c.id")
# Up to this many matching messages, a search word counts as rare (see ``search``): few
# enough that reading them is cheap, many enough that past it the newest-first walk meets
# matches within a page.
RARE_MATCH_CAP = 1000


# Stands for a conversation owner's id in an event a statement completes (``set_title_if_empty``).
_OWNER_PLACEHOLDER = UUID(int=0)


def _lock_key(user_id: UUID, channel: ChannelName) -> str:
    return f"conversation:{user_id}:{channel}"


async def _announce(conn: Conn, kind: EventKind, user_id: UUID, conversation_id: UUID) -> None:
    await publish(conn, kind, {"user_id": user_id, "conversation_id": conversation_id})


class ConversationStore:
    def __init__(self, db: Database):
        self.db = db

    async def create(self, user_id: UUID, channel: ChannelName = WEB_CHANNEL,
                     title: str | None = None, *, conn: Conn | None = None) -> Conversation:
        async with self.db.connection(conn) as c:
            created = await self.db.fetch_one(
                Conversation,
                "insert into conversations as c (user_id, channel, title) values (%s, %s, %s)"
                f" returning {_COLUMNS}",
                user_id, channel, title, conn=c,
            )
            assert created is not None
            await _announce(c, "conversation.created", created.user_id, created.id)
            return created

    async def get(self, conversation_id: UUID, *, user_id: UUID | None = None,
                  conn: Conn | None = None) -> Conversation | None:
        """Fetch one; with ``user_id`` only if it belongs to that user (others' ids look absent)."""
        return await self.db.fetch_one(
            Conversation,
            f"select {_COLUMNS} from conversations c where c.id = %s"
            " and (%s::uuid is null or c.user_id = %s::uuid)",
            conversation_id, user_id, user_id, conn=conn,
        )

    async def latest(self, user_id: UUID, channel: ChannelName, *,
                     conn: Conn | None = None) -> Conversation | None:
        return await self.db.fetch_one(
            Conversation,
            f"select {_COLUMNS} from conversations c where c.user_id = %s and c.channel = %s"
            " order by c.created_at desc, c.id desc limit 1",
            user_id, channel, conn=conn,
        )

    async def latest_of_users(self, user_ids: list[UUID], channel: ChannelName, *,
                              conn: Conn | None = None) -> dict[UUID, Conversation]:
        """``latest`` for many users in one query (users with none on ``channel`` are absent)."""
        if not user_ids:
            return {}
        rows = await self.db.fetch_all(
            Conversation,
            f"select {_COLUMNS} from unnest(%s::uuid[]) as w(user_id) cross join lateral ("
            " select * from conversations c where c.user_id = w.user_id and c.channel = %s"
            " order by c.created_at desc, c.id desc limit 1) c",
            list(dict.fromkeys(user_ids)), channel, conn=conn,
        )
        return {c.user_id: c for c in rows}

    async def latest_or_create(self, user_id: UUID, channel: ChannelName, *,
                               conn: Conn | None = None) -> Conversation:
        """The user's newest conversation on ``channel``, created when there is none.

        WhatsApp delivers webhooks concurrently: the advisory lock makes two first messages
        of a new user land in one conversation instead of two.
        """
        found = await self.latest(user_id, channel, conn=conn)
        if found is not None:
            return found
        async with self.db.transaction(conn) as tx:
            await self.db.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))",
                                  _lock_key(user_id, channel), conn=tx)
            found = await self.latest(user_id, channel, conn=tx)
            return found or await self.create(user_id, channel, conn=tx)

    async def start_new(self, user_id: UUID, channel: ChannelName, *,
                        conn: Conn | None = None) -> Conversation:
        """A fresh conversation that becomes the user's latest on ``channel`` (serialised with
        ``latest_or_create``, so no concurrent first message slips in between)."""
        async with self.db.transaction(conn) as tx:
            await self.db.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))",
                                  _lock_key(user_id, channel), conn=tx)
            return await self.create(user_id, channel, conn=tx)

    async def rename(self, conversation_id: UUID, user_id: UUID, title: str, *,
                     conn: Conn | None = None) -> Conversation | None:
        async with self.db.connection(conn) as c:
            renamed = await self.db.fetch_one(
                Conversation,
                "update conversations c set title = %s, updated_at = now()"
                f" where c.id = %s and c.user_id = %s returning {_COLUMNS}",
                title, conversation_id, user_id, conn=c,
            )
            if renamed is not None:
                await _announce(c, "conversation.updated", renamed.user_id, renamed.id)
            return renamed

    async def set_title_if_empty(self, conversation_id: UUID, title: str, *,
                                 conn: Conn | None = None) -> None:
        """Title an untitled conversation and announce it, in one statement (a conversation
        that has a title already is left as it is, silently)."""
        # The event as ``publish`` writes it, with the owner's id put in by the statement.
        body = event_body("conversation.updated", {"user_id": _OWNER_PLACEHOLDER,
                                                   "conversation_id": conversation_id})
        await self.db.execute(
            "with titled as (update conversations set title = %s where id = %s"
            " and (title is null or title = '') returning user_id)"
            " select pg_notify(%s, replace(%s, %s, user_id::text)) from titled",
            title, conversation_id, CHANNEL, body, str(_OWNER_PLACEHOLDER), conn=conn,
        )

    async def touch(self, conversation_id: UUID, *, conn: Conn | None = None) -> None:
        await self.db.execute("update conversations set updated_at = now() where id = %s",
                              conversation_id, conn=conn)

    async def delete(self, conversation_id: UUID, user_id: UUID, *,
                     conn: Conn | None = None) -> bool:
        async with self.db.connection(conn) as c:
            deleted = await self.db.execute(
                "delete from conversations where id = %s and user_id = %s",
                conversation_id, user_id, conn=c,
            ) == 1
            if deleted:
                await _announce(c, "conversation.deleted", user_id, conversation_id)
            return deleted

    async def list_for_user(
        self, user_id: UUID, *, limit: int | None = None, cursor: str | None = None,
        conn: Conn | None = None,
    ) -> Page[Conversation]:
        return await fetch_page(
            self.db, f"select {_COLUMNS} from conversations c", ["c.user_id = %s"], [user_id],
            _RECENT, limit=limit, cursor=cursor, build=Conversation.model_validate, conn=conn,
        )

    async def search(
        self, *, user_id: UUID | None = None, cohort_id: UUID | None = None,
        channel: ChannelName | None = None, agent: str | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None, q: str | None = None,
        thumbs_down: bool = False, fallback: bool = False, failed_delivery: bool = False,
        limit: int | None = None, cursor: str | None = None, conn: Conn | None = None,
    ) -> Page[ConversationSummary]:
        """All users' conversations for transcript review, filtered; newest activity first.
        ``cohort_id`` keeps the conversations of the cohort's current participants."""
        where: list[str] = ["true"]
        params: list[Any] = []
        if user_id:
            where.append("c.user_id = %s")
            params.append(user_id)
        if cohort_id:
            where.append("exists (select 1 from cohort_members cm where cm.user_id = c.user_id"
                         " and cm.cohort_id = %s and cm.left_at is null)")
            params.append(cohort_id)
        if channel:
            where.append("c.channel = %s")
            params.append(channel)
        if date_from:
            where.append("c.updated_at >= %s")
            params.append(date_from)
        if date_to:
            where.append("c.created_at <= %s")
            params.append(date_to)
        if agent:
            where.append(
                "exists (select 1 from messages m where m.conversation_id = c.id and m.agent = %s)"
            )
            params.append(agent)
        # Conversations to look at: an answer marked 👎, a fallback answer, a failed delivery.
        for wanted, condition in ((thumbs_down, "m.feedback = -1"),
                                  (fallback, "m.is_fallback"),
                                  (failed_delivery, "m.status = 'failed'")):
            if wanted:
                where.append("exists (select 1 from messages m where m.conversation_id = c.id"
                             f" and {condition})")
        if q and q.strip():
            # Rare word: the conversations the index found; common word (more than the cap
            # matches): the newest-first walk below meets matches at once (migration
            # 20261202050000_search_plans explains both plans).
            # ``offset 0`` keeps the probe per conversation (it stops at a page): without it
            # the planner may hash every match of a 1 % word (11,000 on 1.1 M messages) first.
            # The probe reads a conversation newest first in index order and stops at its
            # first match: asked for the match alone, the planner gathered every message of
            # the conversation in a bitmap first (10,000 for a long one), 10.8 of a 1 % word's
            # 18 ms of PostgreSQL CPU per page; now 2.7.
            where.append(
                "coalesce(c.id = any((select ignacio_conversations_matching(%s, %s))::uuid[]),"
                " exists (select 1 from (select m.content_tsv from messages m"
                " where m.conversation_id = c.id order by m.created_at desc, m.id desc) w"
                " where w.content_tsv @@ ignacio_fts_query(%s) offset 0))"
            )
            params += [q.strip(), RARE_MATCH_CAP, q.strip()]
        return await fetch_page(
            self.db, _SUMMARY_SELECT, where, params, _RECENT,
            limit=limit, cursor=cursor, build=ConversationSummary.model_validate, conn=conn,
        )
