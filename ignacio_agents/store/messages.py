"""Messages of every channel, the parts a channel delivered for them, feedback and history
search."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from psycopg.types.json import Jsonb
from pydantic import BaseModel

from ignacio_agents.crypto import SEALED_ID_PREFIX, PhoneCipher
from ignacio_agents.db import Conn, Database
from ignacio_agents.domain import WEB_CHANNEL, ChannelName, DeliveryStatus, MessageType
from ignacio_agents.notify import CHANNEL, event_body, publish
from ignacio_agents.store.base import Keyset, Page, fetch_page
from ignacio_agents.store.search import (
    MATCH_HEADLINE_OPTIONS,
    MESSAGES,
    QueryVector,
    match_headline_sql,
    opening,
    ranked_ids_sql,
    search_params,
    snippet_sql,
    split_marked,
)


class StoredMessage(BaseModel):
    id: UUID
    conversation_id: UUID
    user_id: UUID
    content: str | None
    message_type: MessageType
    file_path: str | None
    file_id: UUID | None
    is_from_user: bool
    external_id: str | None  # the channel's id, in clear (stored hashed + encrypted)
    created_at: datetime
    channel: ChannelName
    agent: str | None
    route_reason: str | None
    answer: dict[str, Any] | None
    usage: dict[str, Any] | None
    status: DeliveryStatus
    error_code: str | None
    is_fallback: bool
    feedback: int | None
    reply_to_id: UUID | None
    # what the channel said about it beyond its words (see NewMessage)
    source_type: str | None = None
    details: dict[str, Any] | None = None
    quoted_id: UUID | None = None
    deleted_at: datetime | None = None  # deleted by its author: kept, shown to no one but admins
    edited_at: datetime | None = None
    # an answer the participant replaced: 'regenerated' (kept as an alternative) or 'edited'
    # (its question was edited and sent again: hidden from the participant)
    replaced_reason: str | None = None
    # a human's message (a mentor or admin writing while the AI is paused): who wrote it
    author_id: UUID | None = None
    author_name: str | None = None
    # joined from user_files when the message carries an attachment
    file_name: str | None = None
    file_type: str | None = None
    file_size: int | None = None


SOURCE_TYPE_CHARS = 40
"""``messages.source_type``'s width. A channel may name a type we have never seen (Meta adds
them); a longer name is cut to fit rather than refusing, and losing, the message."""


def _source_type(value: str | None) -> str | None:
    return value[:SOURCE_TYPE_CHARS] if value else value


@dataclass(frozen=True, kw_only=True)
class NewMessage:
    """A message to store: what the channel or the engine knows about it before it has an id."""

    conversation_id: UUID
    user_id: UUID
    is_from_user: bool
    content: str | None
    id: UUID | None = None  # None: the database makes one (set it to name the row in a job)
    channel: ChannelName = WEB_CHANNEL
    message_type: MessageType = MessageType.text
    file_id: UUID | None = None
    file_path: str | None = None
    external_id: str | None = None  # unique when set: a replay stores nothing
    status: DeliveryStatus = DeliveryStatus.sent
    agent: str | None = None
    route_reason: str | None = None
    answer: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    model_messages: list[Any] | None = None  # the turn's PydanticAI messages, for replay
    is_fallback: bool = False
    error_code: str | None = None
    reply_to_id: UUID | None = None  # on an answer: the user message it answers
    author_id: UUID | None = None  # a mentor's or admin's own message: who wrote it
    created_at: datetime | None = None  # None: the database's clock
    source_type: str | None = None  # the channel's own type for it (e.g. "sticker", "system")
    details: dict[str, Any] | None = None  # channel facts for the transcript (forwarded, ad...)
    quoted_id: UUID | None = None  # the earlier message this one replies to


class Delivery(BaseModel):
    message_id: UUID
    part_index: int
    external_id: str | None  # in clear, as for StoredMessage
    status: DeliveryStatus
    error_code: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Neighbour:
    """A participant message stored after the one being answered."""

    id: UUID
    message_type: MessageType
    content: str | None
    answered: bool


@dataclass(frozen=True)
class TurnNeighbours:
    elapsed_seconds: float  # since the message was stored
    earlier_unanswered: list[UUID]  # right before it, oldest first, back to the last answered
    newer: list[Neighbour]  # stored after it, oldest first
    answered: bool = False  # an answer to it is stored (a replaced one too)
    held: bool = True  # its conversation has replies held for the participant's next message


class MessageMatch(BaseModel):
    """Where a search matched in one conversation: its best message and the words around the
    match, as plain and matched parts (never markup)."""

    conversation_id: UUID
    message_id: UUID
    parts: list[tuple[str, bool]]


class HistoryHit(BaseModel):
    message_id: UUID
    conversation_id: UUID
    conversation_title: str | None
    channel: ChannelName
    is_from_user: bool
    created_at: datetime
    snippet: str  # the message whole when short, else its best fragments; never any markup
    score: float  # fused reciprocal-rank score: only the order means something


_COLUMNS = (
    "m.id, m.conversation_id, m.user_id, m.content, m.message_type, m.file_path, m.file_id,"
    " m.is_from_user, m.external_id_sealed, m.created_at, m.channel, m.agent, m.route_reason,"
    " m.answer, m.usage, m.status, m.error_code, m.is_fallback, m.feedback, m.reply_to_id,"
    " m.source_type, m.details, m.quoted_id, m.deleted_at, m.edited_at, m.replaced_reason,"
    " m.author_id, a.name as author_name, f.file_name, f.file_type, f.file_size"
)
_JOINS = " left join user_files f on f.id = m.file_id left join users a on a.id = m.author_id"
_SELECT = f"select {_COLUMNS} from messages m{_JOINS}"

# ``MessageStore.add``: the insert, the conversation's bump, the announcement and the read-back
# in one statement (one round trip instead of six with the transaction's own). A replayed
# channel id inserts nothing, so nothing is bumped or announced and no row comes back.
_ADD = (
    "with m as (insert into messages (id, conversation_id, user_id, is_from_user, content,"
    " channel, message_type, file_id, file_path, external_id, external_id_sealed,"
    " status, agent, route_reason, answer, usage, model_messages, is_fallback,"
    " error_code, reply_to_id, source_type, details, quoted_id, author_id, created_at)"
    " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " coalesce(%s, clock_timestamp()))"
    " on conflict (external_id) where external_id is not null do nothing"
    " returning *),"
    " touched as (update conversations set updated_at = now()"
    " where id = (select conversation_id from m))"
    f" select {_COLUMNS}, pg_notify(%s, %s) as announced from m{_JOINS}"
)

# An answer to a message its author deleted goes with it (the question would be missing).
_NOT_ANSWERING_DELETED = ("not exists (select 1 from messages q where q.id = m.reply_to_id"
                          " and q.deleted_at is not null)")

# An answer replaced because its question was edited and sent again: only admins see it.
_NOT_EDITED_AWAY = "m.replaced_reason is distinct from 'edited'"

# How many of its newest messages a search result's best match is first looked for in.
RECENT_MATCH_WINDOW = 500
# How many of the newest matches in that window are ranked for the best one.
RECENT_MATCHES_RANKED = 5

_MESSAGE_ID_AAD = b"messages.external_id"
_DELIVERY_ID_AAD = b"message_deliveries.external_id"
_SEAL_BATCH = 500


# ``MessageStore.add_many``: one statement that stores the new rows, bumps their
# conversations, announces each stored row and queues the jobs of the stored rows through
# procrastinate's own ``procrastinate_defer_jobs_v1`` (what its ``defer`` calls).
_ADD_MANY = (
    "with r as materialized (select * from unnest("
    "%s::uuid[], %s::uuid[], %s::uuid[], %s::bool[], %s::text[], %s::text[], %s::text[],"
    " %s::uuid[], %s::text[], %s::text[], %s::bytea[], %s::text[], %s::text[], %s::text[],"
    " %s::jsonb[], %s::jsonb[], %s::jsonb[], %s::bool[], %s::text[], %s::uuid[], %s::text[],"
    " %s::jsonb[], %s::uuid[], %s::uuid[], %s::timestamptz[], %s::text[])"
    " with ordinality as r(id, conversation_id, user_id,"
    " is_from_user, content, channel, message_type, file_id, file_path, external_id,"
    " external_id_sealed, status, agent, route_reason, answer, usage, model_messages,"
    " is_fallback, error_code, reply_to_id, source_type, details, quoted_id, author_id,"
    " created_at, event, ord)),"
    # indexed by position, not unnested: unnest would spread each job over seven columns
    " j as materialized (select %s::procrastinate_job_to_defer_v1[] as jobs),"
    " t as materialized (select clock_timestamp() as at),"
    " ins as (insert into messages (id, conversation_id, user_id, is_from_user, content, channel,"
    " message_type, file_id, file_path, external_id, external_id_sealed, status, agent,"
    " route_reason, answer, usage, model_messages, is_fallback, error_code, reply_to_id,"
    " source_type, details, quoted_id, author_id, created_at)"
    " select r.id, r.conversation_id, r.user_id, r.is_from_user, r.content, r.channel,"
    " r.message_type::message_type, r.file_id, r.file_path, r.external_id, r.external_id_sealed,"
    " r.status, r.agent, r.route_reason, r.answer, r.usage, r.model_messages, r.is_fallback,"
    " r.error_code, r.reply_to_id, r.source_type, r.details, r.quoted_id, r.author_id,"
    " coalesce(r.created_at, t.at + r.ord * interval '1 microsecond')"
    " from r cross join t order by r.external_id, r.ord"
    " on conflict (external_id) where external_id is not null do nothing"
    " returning id, conversation_id),"
    " touched as (update conversations c set updated_at = now() from ("
    " select id from conversations where id in (select conversation_id from ins)"
    " order by id for update) l where c.id = l.id),"
    " queued as (select procrastinate_defer_jobs_v1(array_agg(j.jobs[r.ord] order by r.ord))"
    " as ids from r cross join j"
    " where (j.jobs[r.ord]).task_name is not null and r.id in (select id from ins))"
    " select r.id, pg_notify(%s, r.event) as announced,"
    " (select cardinality(ids) from queued) as queued"
    " from r where r.id in (select id from ins) order by r.ord"
)


# The stored PydanticAI messages of a conversation's newest turns within a token budget by their
# recorded sizes, plus the one that crosses it, oldest first (``{column}``: how to return them).
_HISTORY_WITHIN = (
    "select {column} as model_messages from ("
    " select model_messages, created_at, id, coalesce(sum("
    "   coalesce((usage->>'history_tokens')::int, 0)) over (order by created_at desc,"
    "   id desc rows between unbounded preceding and 1 preceding), 0) as newer_tokens"
    " from messages where conversation_id = %s and model_messages is not null"
    " and replaced_at is null"  # a regenerated or edited-away answer is not replayed
    # a turn whose question its author deleted is forgotten with it
    " and not exists (select 1 from messages q where q.id = messages.reply_to_id"
    "   and q.deleted_at is not null)"
    " order by created_at desc, id desc limit %s) t"
    " where newer_tokens <= %s order by created_at, id"
)


_ADD_DELIVERY = (
    "insert into message_deliveries (message_id, part_index, external_id,"
    " external_id_sealed, status, error_code) values (%s, %s, %s, %s, %s, %s)"
    " on conflict (message_id, part_index) do update set"
    " external_id = excluded.external_id, external_id_sealed = excluded.external_id_sealed,"
    " status = excluded.status, error_code = excluded.error_code, updated_at = now()"
)

# ``MessageStore.apply_statuses`` (``apply_status`` too), two statements of one transaction sent
# together (a pipeline: one round trip). The first locks the parts, then their messages, both in
# id order (the order ``hold`` locks them in too), and moves each part to the most advanced of
# its statuses (the first of equals, as one by one), never backward. The second rolls each message up and
# announces it: a statement of its own, so its snapshot sees the parts other deliveries moved
# before it got the locks.
_STATUS_RANKS = "array['pending', 'sent', 'delivered', 'read', 'failed']"
_MOVE_PARTS = (
    "with s as (select * from unnest(%s::text[], %s::text[], %s::text[]) with ordinality"
    " as s(key, status, error_code, ord)),"
    " parts as materialized (select d.id, d.message_id, d.status, d.external_id as key"
    " from message_deliveries d where d.external_id in (select key from s)"
    " order by d.id for update),"
    " locked as materialized (select m.id from messages m"
    " where m.id in (select message_id from parts) order by m.id for update),"
    " best as (select distinct on (p.id) p.id, p.status as was, s.status, s.error_code"
    f" from parts p join s on s.key = p.key order by p.id, array_position({_STATUS_RANKS},"
    " s.status) desc, s.ord),"
    " moved as (update message_deliveries d set status = b.status, error_code = b.error_code,"
    " updated_at = now() from best b where d.id = b.id"
    f" and array_position({_STATUS_RANKS}, b.status) > array_position({_STATUS_RANKS}, b.was)"
    " returning d.id)"
    " select (select count(*) from locked) as locked, (select count(*) from moved) as moved"
)
_ROLL_UP = (
    "with touched as (select distinct message_id from message_deliveries"
    " where external_id = any(%s::text[])),"
    " roll as (select message_id, bool_or(status = 'failed') as failed,"
    " (array_agg(error_code order by part_index) filter (where status = 'failed'))[1] as code,"
    f" (array_agg(status order by array_position({_STATUS_RANKS}, status)))[1] as least"
    " from message_deliveries where message_id in (select message_id from touched)"
    " group by message_id),"
    " want as (select message_id as id, case when failed then 'failed' else least end as status,"
    " case when failed then code end as code from roll),"
    " upd as (update messages m set status = w.status, error_code = coalesce(w.code, m.error_code)"
    " from want w where m.id = w.id and (m.status <> w.status"
    " or m.error_code is distinct from coalesce(w.code, m.error_code))"
    " returning m.id, m.user_id, m.conversation_id, m.status, w.code),"
    " announced as (select pg_notify(%s, json_build_object('kind', 'message.updated',"
    " 'user_id', user_id, 'conversation_id', conversation_id, 'message_id', id,"
    " 'data', json_build_object('status', status, 'error_code', code))::text) from upd)"
    " select d.external_id as key, d.message_id, m.conversation_id,"
    " (select count(*) from announced) as announced"
    " from message_deliveries d join messages m on m.id = d.message_id"
    " where d.external_id = any(%s::text[])"
)


def _jsonb(value: Any) -> Jsonb | None:
    return Jsonb(value) if value is not None else None


def _model_messages(rows: list[dict[str, Any]]) -> list[Any]:
    return [m for r in rows for m in r["model_messages"]]


class MessageStore:
    """Channel message ids never reach the database in clear: lookups go by their keyed hash
    and the id itself is stored encrypted, so a dump reveals no phone number through them."""

    def __init__(self, db: Database, cipher: PhoneCipher):
        self.db = db
        self.cipher = cipher

    def _key(self, external_id: str | None) -> str | None:
        return self.cipher.external_id_key(external_id) if external_id else None

    def _seal(self, external_id: str | None, aad: bytes) -> bytes | None:
        return self.cipher.encrypt(external_id, aad) if external_id else None

    def _open(self, row: dict[str, Any], aad: bytes) -> dict[str, Any]:
        sealed = row.pop("external_id_sealed", None)
        return {**row, "external_id": self.cipher.decrypt(sealed, aad) if sealed else None}

    def _message(self, row: dict[str, Any]) -> StoredMessage:
        return StoredMessage.model_validate(self._open(row, _MESSAGE_ID_AAD))

    def _delivery(self, row: dict[str, Any]) -> Delivery:
        return Delivery.model_validate(self._open(row, _DELIVERY_ID_AAD))

    async def seal_clear_external_ids(self) -> int:
        """Rewrite ids stored in clear before they were sealed; idempotent, a no-op once done."""
        sealed = 0
        for table, aad in (("messages", _MESSAGE_ID_AAD), ("message_deliveries", _DELIVERY_ID_AAD)):
            while True:
                async with self.db.transaction() as tx:
                    rows = await self.db.fetch_all(
                        dict, f"select id, external_id from {table} where external_id is not null"
                        f" and external_id not like '{SEALED_ID_PREFIX}%%' limit {_SEAL_BATCH}"
                        " for update skip locked", conn=tx,
                    )
                    for row in rows:
                        await self.db.execute(
                            f"update {table} set external_id = %s, external_id_sealed = %s"
                            " where id = %s", self._key(row["external_id"]),
                            self._seal(row["external_id"], aad), row["id"], conn=tx,
                        )
                sealed += len(rows)
                if len(rows) < _SEAL_BATCH:
                    break
        return sealed

    async def add(self, new: NewMessage, *, conn: Conn | None = None) -> StoredMessage | None:
        """Insert one message and bump the conversation. Returns None when the channel
        message id was already stored (a replayed webhook is a no-op)."""
        message_id = new.id or uuid4()
        event = event_body("message.created", {
            "user_id": new.user_id, "conversation_id": new.conversation_id,
            "message_id": message_id,
            "data": {"is_from_user": new.is_from_user, "channel": new.channel},
        })
        async with self.db.connection(conn) as c:
            cur = await c.execute(_ADD, (
                message_id, new.conversation_id, new.user_id, new.is_from_user, new.content,
                new.channel, new.message_type.value, new.file_id, new.file_path,
                self._key(new.external_id), self._seal(new.external_id, _MESSAGE_ID_AAD),
                new.status.value, new.agent, new.route_reason, _jsonb(new.answer),
                _jsonb(new.usage), _jsonb(new.model_messages), new.is_fallback, new.error_code,
                new.reply_to_id, _source_type(new.source_type), _jsonb(new.details), new.quoted_id,
                new.author_id, new.created_at, CHANNEL, event,
            ))
            row = await cur.fetchone()
        if row is None:
            return None
        row.pop("announced")
        return self._message(row)

    async def add_many(self, news: Sequence[NewMessage], *,
                       jobs: Sequence[tuple[Any, ...] | None] | None = None,
                       conn: Conn | None = None) -> list[UUID | None]:
        """Insert many messages in one statement (one round trip, one commit): what ``add``
        does for each, plus, per message, a job queued only if that message was stored
        (``jobs[i]``: a row from ``ignacio_agents.jobs.job_row``, or None), so a message and
        the job that answers it commit together and a replay queues nothing. Returns each
        message's id, or None for one whose channel id was already stored.

        Rows are written in the order of their keyed channel id, and conversations locked in
        id order, so two deliveries sharing messages (Meta resending one still being stored)
        wait for each other instead of deadlocking. Without ``created_at``, messages keep
        their order: one clock reading plus a microsecond per position.
        """
        if not news:
            return []
        ids = [n.id or uuid4() for n in news]
        jobs = list(jobs) if jobs is not None else [None] * len(news)
        if len(jobs) != len(news):
            raise ValueError("one job row (or None) per message")
        events = [event_body("message.created", {
            "user_id": n.user_id, "conversation_id": n.conversation_id, "message_id": i,
            "data": {"is_from_user": n.is_from_user, "channel": n.channel}})
            for n, i in zip(news, ids, strict=True)]
        columns: list[list[Any]] = [
            ids, [n.conversation_id for n in news], [n.user_id for n in news],
            [n.is_from_user for n in news], [n.content for n in news],
            [n.channel for n in news], [n.message_type.value for n in news],
            [n.file_id for n in news], [n.file_path for n in news],
            [self._key(n.external_id) for n in news],
            [self._seal(n.external_id, _MESSAGE_ID_AAD) for n in news],
            [n.status.value for n in news], [n.agent for n in news],
            [n.route_reason for n in news], [_jsonb(n.answer) for n in news],
            [_jsonb(n.usage) for n in news], [_jsonb(n.model_messages) for n in news],
            [n.is_fallback for n in news], [n.error_code for n in news],
            [n.reply_to_id for n in news], [_source_type(n.source_type) for n in news],
            [_jsonb(n.details) for n in news], [n.quoted_id for n in news],
            [n.author_id for n in news], [n.created_at for n in news], events, jobs,
        ]
        async with self.db.connection(conn) as c:
            cur = await c.execute(_ADD_MANY, [*columns, CHANNEL])
            stored = {r["id"] for r in await cur.fetchall()}
        return [i if i in stored else None for i in ids]

    async def get(self, message_id: UUID, *, user_id: UUID | None = None,
                  conn: Conn | None = None) -> StoredMessage | None:
        return await self.db.fetch_one(
            self._message, f"{_SELECT} where m.id = %s and (%s::uuid is null or m.user_id = %s::uuid)",
            message_id, user_id, user_id, conn=conn,
        )

    async def get_by_external_id(self, wamid: str, *, conn: Conn | None = None) -> StoredMessage | None:
        """Find a message by an inbound wamid or by the wamid of one of its outbound parts."""
        key = self._key(wamid)
        return await self.db.fetch_one(
            self._message,
            f"{_SELECT} where m.external_id = %s or m.id = ("
            " select d.message_id from message_deliveries d where d.external_id = %s)"
            " limit 1",
            key, key, conn=conn,
        )

    async def page(
        self, conversation_id: UUID, *, owner_id: UUID | None = None, limit: int | None = None,
        cursor: str | None = None, conn: Conn | None = None,
    ) -> Page[StoredMessage]:
        """Newest page first; the cursor walks back in time. Messages their author deleted, and
        their answers, are left out (this is what the participant and the model see; admins
        read ``transcript``). With ``owner_id`` the page is empty unless the conversation is
        theirs: the ownership check rides in the same query (a one-time filter)."""
        where = ["m.conversation_id = %s", "m.deleted_at is null", _NOT_ANSWERING_DELETED,
                 _NOT_EDITED_AWAY]
        params: list[Any] = [conversation_id]
        if owner_id is not None:
            where.append("exists (select 1 from conversations c where c.id = %s"
                         " and c.user_id = %s)")
            params += [conversation_id, owner_id]
        return await fetch_page(
            self.db, _SELECT, where, params, Keyset("m.created_at", "m.id"), limit=limit,
            cursor=cursor, build=self._message, conn=conn,
        )

    async def transcript(self, conversation_id: UUID, limit: int = 2000, *,
                         conn: Conn | None = None) -> list[StoredMessage]:
        return await self.db.fetch_all(
            self._message,
            f"{_SELECT} where m.conversation_id = %s order by m.created_at, m.id limit %s",
            conversation_id, limit, conn=conn,
        )

    async def model_history_within(self, conversation_id: UUID, token_budget: int, *,
                                   max_turns: int = 200, conn: Conn | None = None) -> list[Any]:
        """The stored PydanticAI messages of the newest turns that fit ``token_budget`` by their
        recorded size (``usage.history_tokens``), plus the one that crosses it, oldest first, so
        a long conversation costs no more to load than a short one. Unsized turns count as zero."""
        rows = await self.db.fetch_all(
            dict, _HISTORY_WITHIN.format(column="model_messages"),
            conversation_id, max_turns, token_budget, conn=conn,
        )
        return _model_messages(rows)

    async def model_history_turns(self, conversation_id: UUID, token_budget: int, *,
                                  max_turns: int = 200, conn: Conn | None = None) -> list[str]:
        """``model_history_within`` undecoded: each turn's stored JSON text, oldest first. The
        engine validates them straight from JSON, each turn once per worker
        (``history_cache``), instead of ``json.loads`` per row and a validation of the
        Python objects."""
        rows = await self.db.fetch_all(
            dict, _HISTORY_WITHIN.format(column="model_messages::text"),
            conversation_id, max_turns, token_budget, conn=conn,
        )
        return [r["model_messages"] for r in rows]

    async def search_history(
        self, user_id: UUID, query: str, *, limit: int = 8, exclude_id: UUID | None = None,
        vector: QueryVector | None = None, conn: Conn | None = None,
    ) -> list[HistoryHit]:
        """One user's messages in all conversations and channels that best match ``query``:
        any of its words, ranked (see ``store.search``), fused with the nearest messages by
        ``vector`` when given. ``exclude_id`` leaves out the question being answered."""
        sql = (
            ranked_ids_sql(MESSAGES)
            + " select m.id as message_id, m.conversation_id, c.title as conversation_title,"
            " m.channel, m.is_from_user, m.created_at, m.content, ranked.score,"
            f" {snippet_sql('m.content')} as snippet"
            " from ranked join messages m on m.id = ranked.id"
            " join conversations c on c.id = m.conversation_id"
            " where m.deleted_at is null"
            " order by ranked.score desc, m.created_at desc"
        )
        params = search_params(user_id, query, limit=limit, exclude=exclude_id, vector=vector)
        async with self.db.connection(conn) as c:
            cur = await c.execute(sql, params)
            rows = await cur.fetchall()
        return [HistoryHit.model_validate({**r, "snippet": r["snippet"] or opening(r["content"])})
                for r in rows]

    async def _changed(self, conn: Conn, sql: str, *args: Any,
                       data: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Run an ``update ... returning id, user_id, conversation_id`` and announce the change
        (``message.updated``) when it touched the message."""
        row = await self.db.fetch_one(dict, sql, *args, conn=conn)
        if row is not None:
            await publish(conn, "message.updated", {
                "user_id": row["user_id"], "conversation_id": row["conversation_id"],
                "message_id": row["id"], "data": data or {},
            })
        return row

    async def set_status(self, message_id: UUID, status: DeliveryStatus,
                         error_code: str | None = None, *, conn: Conn | None = None) -> None:
        """Set the delivery status; an unchanged status writes and announces nothing."""
        async with self.db.connection(conn) as c:
            await self._changed(
                c, "update messages set status = %s, error_code = coalesce(%s, error_code)"
                " where id = %s and (status <> %s or error_code is distinct from"
                " coalesce(%s, error_code)) returning id, user_id, conversation_id",
                status.value, error_code, message_id, status.value, error_code,
                data={"status": status.value, "error_code": error_code},
            )

    async def set_content(self, message_id: UUID, content: str, *,
                          conn: Conn | None = None) -> None:
        async with self.db.connection(conn) as c:
            await self._changed(c, "update messages set content = %s where id = %s"
                                " returning id, user_id, conversation_id", content, message_id)

    async def mark_deleted(self, message_id: UUID, *, conn: Conn | None = None) -> bool:
        """Its author deleted it: keep the row (audit), hide it everywhere but the admin
        transcript. False when it was already marked."""
        return await self.db.execute(
            "update messages set deleted_at = now() where id = %s and deleted_at is null",
            message_id, conn=conn,
        ) == 1

    async def revise(self, message_id: UUID, content: str, *, conn: Conn | None = None) -> None:
        """Its author edited it: keep the earlier wording as a revision, store the new one."""
        async with self.db.transaction(conn) as tx:
            await self.db.execute(
                "insert into message_revisions (message_id, content)"
                " select id, content from messages where id = %s", message_id, conn=tx,
            )
            await self.db.execute(
                "update messages set content = %s, edited_at = now() where id = %s",
                content, message_id, conn=tx,
            )

    async def replace_answers(self, question_id: UUID, reason: str, *,
                              conn: Conn | None = None) -> int:
        """Mark the current answers to ``question_id`` replaced (``regenerated`` or ``edited``):
        out of the replayed history; an edited-away one out of the participant's view too."""
        async with self.db.connection(conn) as c:
            cur = await c.execute(
                "update messages set replaced_at = now(), replaced_reason = %s"
                " where reply_to_id = %s and not is_from_user and replaced_at is null"
                " returning id, user_id, conversation_id", (reason, question_id))
            rows = await cur.fetchall()
            for row in rows:
                await publish(c, "message.updated", {
                    "user_id": row["user_id"], "conversation_id": row["conversation_id"],
                    "message_id": row["id"], "data": {"replaced": reason},
                })
        return len(rows)

    async def last_exchange(self, conversation_id: UUID, *,
                            conn: Conn | None = None) -> tuple[StoredMessage | None, StoredMessage | None]:
        """The conversation's newest question and its current answer (either may be missing),
        as the participant sees them."""
        page = await self.page(conversation_id, limit=10, conn=conn)
        question = next((m for m in page.items if m.is_from_user), None)
        answer = next((m for m in page.items if not m.is_from_user and m.replaced_reason is None
                       and question is not None and m.reply_to_id == question.id), None)
        return question, answer

    async def revisions(self, message_id: UUID, *, conn: Conn | None = None) -> list[str | None]:
        """Earlier wordings of an edited message, oldest first."""
        rows = await self.db.fetch_all(
            dict, "select content from message_revisions where message_id = %s order by id",
            message_id, conn=conn,
        )
        return [r["content"] for r in rows]

    async def set_model_messages(self, message_id: UUID, model_messages: list[Any], *,
                                 history_tokens: int, conn: Conn | None = None) -> None:
        """Give a message its own place in the replayed history (a participant's message no
        answer followed, a mentor's message), sized like a turn for the history budget."""
        await self.db.execute(
            "update messages set model_messages = %s, usage = coalesce(usage, '{}'::jsonb)"
            " || jsonb_build_object('history_tokens', %s::int) where id = %s",
            Jsonb(model_messages), history_tokens, message_id, conn=conn,
        )

    async def attach_file(self, message_id: UUID, *, file_id: UUID, file_path: str,
                          message_type: MessageType, conn: Conn | None = None) -> None:
        """Record a file fetched after the message was stored (channel media, such as
        WhatsApp's, arrives by id)."""
        async with self.db.connection(conn) as c:
            await self._changed(
                c, "update messages set file_id = %s, file_path = %s, message_type = %s"
                " where id = %s returning id, user_id, conversation_id",
                file_id, file_path, message_type.value, message_id,
            )

    async def reply_for(self, message_id: UUID, *, conn: Conn | None = None) -> StoredMessage | None:
        """The assistant message answering the user message ``message_id``, if stored."""
        return await self.db.fetch_one(
            self._message,
            # Scoped to the conversation so the (conversation, time) index serves it.
            f"{_SELECT} where m.conversation_id = (select conversation_id from messages"
            " where id = %s) and m.reply_to_id = %s and not m.is_from_user"
            " and m.replaced_at is null order by m.created_at, m.id limit 1",
            message_id, message_id, conn=conn,
        )

    async def set_feedback(self, message_id: UUID, value: int | None, *,
                           user_id: UUID | None = None, conn: Conn | None = None) -> StoredMessage | None:
        async with self.db.connection(conn) as c:
            found = await self._changed(
                c, "update messages set feedback = %s where id = %s and not is_from_user"
                " and (%s::uuid is null or user_id = %s::uuid)"
                " returning id, user_id, conversation_id",
                value, message_id, user_id, user_id, data={"feedback": value},
            )
            return await self.get(found["id"], conn=c) if found else None

    # --- WhatsApp deliveries -------------------------------------------------------------
    async def add_delivery(self, message_id: UUID, part_index: int, *,
                           external_id: str | None, status: DeliveryStatus,
                           error_code: str | None = None, roll_up: bool = False,
                           conn: Conn | None = None) -> None:
        """Record one part. ``roll_up`` (a sent part, the answer's last): also roll the
        message's status up from its parts, as ``apply_status`` of this part would, in the
        same transaction and round trip (one commit per answer sent instead of two)."""
        key = self._key(external_id)
        params = (message_id, part_index, key, self._seal(external_id, _DELIVERY_ID_AAD),
                  status.value, error_code)
        if not (roll_up and key):
            await self.db.execute(_ADD_DELIVERY, *params, conn=conn)
            return
        async with self.db.connection(conn) as c, c.pipeline(), self.db.transaction(c) as tx:
            await tx.execute(_ADD_DELIVERY, params)
            await tx.execute(_MOVE_PARTS, ([key], [status.value], [error_code]))
            await tx.execute(_ROLL_UP, ([key], CHANNEL, [key]))

    async def hold(self, message_id: UUID, error_code: str, *,
                   conn: Conn | None = None) -> bool:
        """Keep a reply for the participant's next message (the channel's window closed).
        Parts the channel refused are forgotten so they are sent again then; parts already
        sent stay sent. False when it was already held."""
        async with self.db.transaction(conn) as tx:
            # Parts first, then the message: the order ``apply_status`` locks them in, so a
            # status webhook arriving meanwhile waits instead of deadlocking.
            await self.db.execute(
                "delete from message_deliveries where message_id = %s and status = 'failed'",
                message_id, conn=tx,
            )
            held = await self.db.fetch_value(
                "update messages set held_at = now(), status = 'pending', error_code = %s"
                " where id = %s and held_at is null returning id",
                error_code, message_id, conn=tx,
            )
            return held is not None

    async def unhold(self, message_id: UUID, *, conn: Conn | None = None) -> None:
        await self.db.execute("update messages set held_at = null where id = %s",
                              message_id, conn=conn)

    async def is_held(self, message_id: UUID, *, conn: Conn | None = None) -> bool:
        return bool(await self.db.fetch_value(
            "select held_at is not null from messages where id = %s", message_id, conn=conn))

    async def held_replies(self, conversation_id: UUID, *,
                           conn: Conn | None = None) -> list[StoredMessage]:
        """Replies of a conversation waiting for the participant to write, oldest first."""
        return await self.db.fetch_all(
            self._message,
            f"{_SELECT} where m.conversation_id = %s and m.held_at is not null"
            " order by m.created_at, m.id",
            conversation_id, conn=conn,
        )

    async def turn_neighbours(self, message_id: UUID, lookback_seconds: float, *,
                              limit: int = 50, conn: Conn | None = None) -> TurnNeighbours | None:
        """The participant's messages around ``message_id`` in its conversation (those stored
        at most ``lookback_seconds`` before it, and every later one), each with whether an
        answer to it is stored, plus how long ago it was stored (by the database's clock) and
        whether its conversation holds replies. What a channel that answers bursts once needs
        to decide who answers what, in the one read it makes before the turn."""
        rows = await self.db.fetch_all(
            dict,
            "with target as (select conversation_id, created_at, exists (select 1 from messages h"
            "   where h.conversation_id = messages.conversation_id and h.held_at is not null)"
            "   as held from messages where id = %s)"
            " select m.id, m.created_at, m.is_from_user, m.content, m.message_type, t.held,"
            " extract(epoch from clock_timestamp() - t.created_at)::float8 as elapsed,"
            " exists (select 1 from messages r where r.conversation_id = m.conversation_id"
            "   and r.reply_to_id = m.id and not r.is_from_user) as answered"
            " from target t join messages m on m.conversation_id = t.conversation_id"
            " where m.is_from_user"
            " and m.created_at >= t.created_at - make_interval(secs => %s)"
            " order by m.created_at, m.id limit %s",
            message_id, lookback_seconds, limit, conn=conn,
        )
        index = next((i for i, r in enumerate(rows) if r["id"] == message_id), None)
        if index is None:
            return None
        earlier: list[UUID] = []
        for row in reversed(rows[:index]):
            if row["answered"]:
                break
            earlier.insert(0, row["id"])
        newer = [Neighbour(r["id"], MessageType(r["message_type"]), r["content"], r["answered"])
                 for r in rows[index + 1:]]
        return TurnNeighbours(rows[index]["elapsed"], earlier, newer,
                              rows[index]["answered"], rows[index]["held"])

    async def last_from_user_at(self, conversation_id: UUID, *,
                                conn: Conn | None = None) -> datetime | None:
        """When the participant last wrote in this conversation (a channel's reply window
        opens there)."""
        value: datetime | None = await self.db.fetch_value(
            "select max(created_at) from messages where conversation_id = %s and is_from_user",
            conversation_id, conn=conn,
        )
        return value

    async def deliveries(self, message_id: UUID, *, conn: Conn | None = None) -> list[Delivery]:
        return await self.db.fetch_all(
            self._delivery,
            "select message_id, part_index, external_id_sealed, status, error_code, updated_at"
            " from message_deliveries where message_id = %s order by part_index",
            message_id, conn=conn,
        )

    async def apply_status(self, wamid: str, status: DeliveryStatus,
                           error_code: str | None = None, *,
                           conn: Conn | None = None) -> UUID | None:
        """Move a sent part forward (never backward: webhooks arrive out of order) and roll the
        message's status up as the least advanced of its parts, or failed if any failed.
        Returns the part's message, or None for an unknown wamid.

        ``apply_statuses`` for one: the same locks in the same order (the part, then its
        message) and a roll-up that sees the parts concurrent statuses moved, in one round
        trip instead of seven (BEGIN, five statements, COMMIT) after every answer sent."""
        found = (await self.apply_statuses([(wamid, status, error_code)], conn=conn))[wamid]
        return found[0] if found is not None else None

    async def apply_statuses(
        self, updates: Sequence[tuple[str, DeliveryStatus, str | None]], *,
        conn: Conn | None = None,
    ) -> dict[str, tuple[UUID, UUID] | None]:
        """``apply_status`` for every ``(wamid, status, error_code)`` of a delivery, in one
        transaction and one round trip instead of one transaction of five statements each
        (a status announces its message's change, so each commit took the notify lock).
        Returns, per wamid, its message's id and conversation, or None for an unknown one."""
        if not updates:
            return {}
        keys = [self._key(wamid) for wamid, _, _ in updates]
        async with self.db.connection(conn) as c:
            async with c.pipeline(), self.db.transaction(c) as tx:
                await tx.execute(_MOVE_PARTS, (
                    keys, [status.value for _, status, _ in updates],
                    [code for _, _, code in updates]))
                cur = await tx.execute(_ROLL_UP, (keys, CHANNEL, keys))
            rows = await cur.fetchall()
        found = {r["key"]: (r["message_id"], r["conversation_id"]) for r in rows}
        return {wamid: found.get(key) for (wamid, _, _), key in zip(updates, keys, strict=True)}

    async def best_matches(self, conversation_ids: list[UUID], query: str, *,
                           user_id: UUID | None = None, as_participant: bool = False,
                           conn: Conn | None = None) -> dict[UUID, MessageMatch]:
        """For each of ``conversation_ids`` (a page of search results: the headline is costly,
        so it is made only for what is shown), the message that matches ``query`` best, with
        its matched words marked. ``user_id`` keeps it to one participant's messages;
        ``as_participant`` to what the participant sees (not what they deleted or edited away).

        Ranking every match of a 10,000-message conversation for a common word took over a
        second per page. The best match is the best ranked of each conversation's newest
        ``RECENT_MATCHES_RANKED`` matches among its newest ``RECENT_MATCH_WINDOW`` messages
        (read in index order, stopping at those matches: bounded work whatever the word, a
        few rows for a common one), and only for a conversation with no match there, through
        the full-text index (its matches are then few and old); the headline is made for the
        winners only."""
        if not conversation_ids or not query.strip():
            return {}
        found = await self._best_matches(conversation_ids, query, user_id, as_participant,
                                         recent=True, conn=conn)
        missing = [c for c in conversation_ids if c not in found]
        if missing:
            found.update(await self._best_matches(missing, query, user_id, as_participant,
                                                  recent=False, conn=conn))
        return found

    async def _best_matches(self, conversation_ids: list[UUID], query: str,
                            user_id: UUID | None, as_participant: bool, *, recent: bool,
                            conn: Conn | None) -> dict[UUID, MessageMatch]:
        q = "ignacio_fts_query(%(q)s)"
        visible = (f" and m.deleted_at is null and {_NOT_ANSWERING_DELETED} and {_NOT_EDITED_AWAY}"
                   if as_participant else "")
        mine = " and (%(user)s::uuid is null or m.user_id = %(user)s::uuid)"

        def rank(row: str) -> str:
            return f"ts_rank_cd({row}.content_tsv, {q}) desc, {row}.created_at desc, {row}.id"

        if recent:  # the newest matches among each conversation's newest messages
            # Ranking every match of the window read all of it (500 rows of each long
            # conversation for a common word: 14 of a page's 20 ms); the walk now stops at the
            # first ``ranked`` matches, newest first. Only the columns used are read: whole
            # rows, carried through the window, cost a 1 % word 6.2 ms of CPU instead of 3.7.
            columns = ", ".join(f"r.{c}" for c in (
                "id", "conversation_id", "user_id", "content", "content_tsv", "created_at",
                *(("deleted_at", "reply_to_id", "replaced_reason") if as_participant else ())))
            sql = (
                "select b.conversation_id, b.id as message_id,"
                f" {match_headline_sql('b.content', q)} as headline"
                " from unnest(%(ids)s::uuid[]) as wanted(id) cross join lateral ("
                "  select n.* from (select m.* from (select"
                f"    {columns} from messages r where r.conversation_id = wanted.id"
                "    order by r.created_at desc, r.id desc limit %(window)s) m"
                f"   where m.content_tsv @@ {q}{mine}{visible}"
                "    order by m.created_at desc, m.id desc limit %(ranked)s) n"
                f"  order by {rank('n')} limit 1) b"
            )
        else:  # few matches each: the full-text index finds them
            sql = (
                "select b.conversation_id, b.id as message_id,"
                f" {match_headline_sql('b.content', q)} as headline from ("
                "  select distinct on (m.conversation_id) m.conversation_id, m.id, m.content"
                f"  from messages m where m.conversation_id = any(%(ids)s) and m.content_tsv @@ {q}"
                f"  {mine}{visible} order by m.conversation_id, {rank('m')}) b"
            )
        params = {"ids": conversation_ids, "q": query.strip(), "user": user_id,
                  "window": RECENT_MATCH_WINDOW, "ranked": RECENT_MATCHES_RANKED,
                  "headline_options": MATCH_HEADLINE_OPTIONS}
        # One round trip for the transaction, its setting and the query (four before).
        async with self.db.connection(conn) as c:
            async with c.pipeline(), self.db.transaction(c) as tx:
                if recent:
                    # The planner sizes every conversation at the average (~100 messages) and
                    # reads all of one through a bitmap, then sorts: 600 ms for a page with the
                    # 10,000-message ones. In index order the window is read and nothing more.
                    await tx.execute("set local enable_bitmapscan = off")
                cur = await tx.execute(sql, params)
            rows = await cur.fetchall()
        return {r["conversation_id"]: MessageMatch(
            conversation_id=r["conversation_id"], message_id=r["message_id"],
            parts=split_marked(r["headline"] or ""),
        ) for r in rows}
