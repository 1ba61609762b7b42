"""Users: identity by phone number (encrypted at rest, found through its blind index)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.errors import UniqueViolation
from pydantic import BaseModel

from ignacio_agents.crypto import PhoneCipher
from ignacio_agents.db import Conn, Database
from ignacio_agents.errors import Conflict
from ignacio_agents.store.base import Keyset, Page, fetch_page
from ignacio_agents.store.conversations import Conversation


class StoredUser(BaseModel):
    id: UUID
    phone_number: str  # E.164, decrypted; show only to its owner and to admins
    name: str | None
    is_admin: bool
    is_mentor: bool = False  # sees and acts on their assigned participants (store.mentoring)
    is_active: bool
    preferred_language: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """What every authenticated request needs, read in one round trip (``UserStore.signed_in``):
    the user, whether they have an authenticator, and their project profile (raw, as stored)."""

    user: StoredUser
    totp_enabled: bool
    profile: dict[str, Any] | None


@dataclass(frozen=True)
class ChannelUser:
    """A user found by phone for an inbound channel message, with what storing it needs: the
    channel's own id kept for them (if any) and their newest conversation on the channel."""

    user: StoredUser
    identity: str | None
    conversation: Conversation | None


class PhoneAlreadyEnrolled(Conflict):
    code = "phone_already_enrolled"
    default_message = "A user with this phone number already exists."


class LastAdmin(Conflict):
    """The change would leave the program without an active admin."""

    code = "last_admin"
    default_message = ("The last active admin cannot be removed, deactivated or demoted. "
                       "Make someone else an admin first.")


_COLUMNS = (
    "id, phone_ciphertext, name, is_admin, is_mentor, is_active, preferred_language, created_at,"
    " updated_at"
)
_PREFIXED = ", ".join(f"u.{c.strip()}" for c in _COLUMNS.split(","))
_UPDATABLE = {"name", "is_admin", "is_mentor", "is_active", "preferred_language"}


class UserStore:
    def __init__(self, db: Database, cipher: PhoneCipher):
        self.db = db
        self.cipher = cipher

    def _user(self, row: dict[str, Any]) -> StoredUser:
        data = dict(row)
        data["phone_number"] = self.cipher.decrypt(data.pop("phone_ciphertext"))
        return StoredUser.model_validate(data)

    async def create(
        self, phone_e164: str, name: str | None, *, is_admin: bool = False,
        preferred_language: str = "es", is_active: bool = True, conn: Conn | None = None,
    ) -> StoredUser:
        try:
            user = await self.db.fetch_one(
                self._user,
                "insert into users (phone_ciphertext, phone_hmac, name, is_admin, is_active,"
                f" preferred_language) values (%s, %s, %s, %s, %s, %s) returning {_COLUMNS}",
                self.cipher.encrypt(phone_e164), self.cipher.blind_index(phone_e164), name,
                is_admin, is_active, preferred_language, conn=conn,
            )
        except UniqueViolation:
            raise PhoneAlreadyEnrolled() from None
        assert user is not None
        return user

    async def get(self, user_id: UUID, *, for_update: bool = False,
                  conn: Conn | None = None) -> StoredUser | None:
        """One user; ``for_update`` row-locks it until the caller's transaction ends."""
        lock = " for update" if for_update else ""
        return await self.db.fetch_one(
            self._user, f"select {_COLUMNS} from users where id = %s{lock}", user_id, conn=conn
        )

    async def signed_in(self, session_id: UUID, user_id: UUID, *,
                        conn: Conn | None = None) -> SignedIn | None:
        """The user of an active session (``None`` when the session ended or is not theirs),
        with their second-factor state and profile: the session check and everything a request
        reads about its user, as one query instead of three or four."""
        row = await self.db.fetch_one(
            dict,
            f"select {_PREFIXED},"
            " exists (select 1 from user_totp t where t.user_id = u.id and t.enabled)"
            " as totp_enabled,"
            " (select p.profile from project_profiles p where p.user_id = u.id) as profile"
            " from user_sessions s join users u on u.id = s.user_id"
            " where s.id = %s and s.user_id = %s and s.revoked_at is null"
            " and s.expires_at > now()",
            session_id, user_id, conn=conn,
        )
        if row is None:
            return None
        totp_enabled = bool(row.pop("totp_enabled"))
        profile = row.pop("profile")
        return SignedIn(self._user(row), totp_enabled, profile)

    async def get_by_phone(self, phone_e164: str, *, conn: Conn | None = None) -> StoredUser | None:
        return await self.db.fetch_one(
            self._user, f"select {_COLUMNS} from users where phone_hmac = %s",
            self.cipher.blind_index(phone_e164), conn=conn,
        )

    async def get_by_phones(self, phones_e164: list[str], *,
                            conn: Conn | None = None) -> dict[str, StoredUser]:
        """The users enrolled under any of ``phones_e164``, by number: one query for every
        sender of a webhook delivery."""
        if not phones_e164:
            return {}
        by_index = {self.cipher.blind_index(p): p for p in dict.fromkeys(phones_e164)}
        rows = await self.db.fetch_all(
            dict, f"select {_COLUMNS}, phone_hmac from users where phone_hmac = any(%s)",
            list(by_index), conn=conn,
        )
        return {by_index[bytes(r.pop("phone_hmac"))]: self._user(r) for r in rows}

    async def on_channel_by_phones(self, phones_e164: list[str], channel: str, *,
                                   conn: Conn | None = None) -> dict[str, ChannelUser]:
        """``get_by_phones`` plus each user's kept ``channel_identity`` and newest conversation
        on ``channel``, in the same query: an inbound message needs all three, and each round
        trip is a good part of a webhook acknowledgement's time."""
        if not phones_e164:
            return {}
        by_index = {self.cipher.blind_index(p): p for p in dict.fromkeys(phones_e164)}
        rows = await self.db.fetch_all(
            dict,
            f"select {_PREFIXED}, u.phone_hmac, ci.external_user_id as kept_identity,"
            " c.id as c_id, c.title as c_title, c.created_at as c_created_at,"
            " c.updated_at as c_updated_at"
            " from users u left join channel_identities ci"
            " on ci.user_id = u.id and ci.channel = %s"
            " left join lateral (select id, title, created_at, updated_at from conversations"
            " where user_id = u.id and channel = %s order by created_at desc, id desc limit 1)"
            " c on true where u.phone_hmac = any(%s)",
            channel, channel, list(by_index), conn=conn,
        )
        found: dict[str, ChannelUser] = {}
        for r in rows:
            phone = by_index[bytes(r.pop("phone_hmac"))]
            kept = r.pop("kept_identity")
            conversation = Conversation(
                id=r["c_id"], user_id=r["id"], title=r["c_title"], channel=channel,
                created_at=r["c_created_at"], updated_at=r["c_updated_at"],
            ) if r["c_id"] is not None else None
            for key in ("c_id", "c_title", "c_created_at", "c_updated_at"):
                del r[key]
            found[phone] = ChannelUser(self._user(r), str(kept) if kept is not None else None,
                                       conversation)
        return found

    async def get_by_channel_identities(self, channel: str, external_user_ids: list[str], *,
                                        conn: Conn | None = None) -> dict[str, StoredUser]:
        """``get_by_channel_identity`` for many ids in one query, by id."""
        if not external_user_ids:
            return {}
        rows = await self.db.fetch_all(
            dict,
            f"select {_PREFIXED}, c.external_user_id from users u join channel_identities c"
            " on c.user_id = u.id where c.channel = %s and c.external_user_id = any(%s)",
            channel, list(dict.fromkeys(external_user_ids)), conn=conn,
        )
        return {str(r.pop("external_user_id")): self._user(r) for r in rows}

    async def channel_identities(self, user_ids: list[UUID], channel: str, *,
                                 conn: Conn | None = None) -> dict[UUID, str]:
        """``channel_identity`` for many users in one query (users without one are absent)."""
        if not user_ids:
            return {}
        rows = await self.db.fetch_all(
            dict, "select user_id, external_user_id from channel_identities"
            " where channel = %s and user_id = any(%s)",
            channel, list(dict.fromkeys(user_ids)), conn=conn,
        )
        return {r["user_id"]: str(r["external_user_id"]) for r in rows}

    async def get_by_channel_identity(self, channel: str, external_user_id: str, *,
                                      conn: Conn | None = None) -> StoredUser | None:
        """Find a user by a channel's own id for them (e.g. a business-scoped user id that
        stands in for a phone number the channel withholds)."""
        return await self.db.fetch_one(
            self._user,
            f"select {_PREFIXED} from users u join channel_identities c on c.user_id = u.id"
            " where c.channel = %s and c.external_user_id = %s",
            channel, external_user_id, conn=conn,
        )

    async def channel_identity(self, user_id: UUID, channel: str, *,
                               conn: Conn | None = None) -> str | None:
        value = await self.db.fetch_value(
            "select external_user_id from channel_identities where user_id = %s and channel = %s",
            user_id, channel, conn=conn,
        )
        return str(value) if value is not None else None

    async def set_channel_identity(self, user_id: UUID, channel: str, external_user_id: str, *,
                                   conn: Conn | None = None) -> None:
        """Remember (or replace) the user's id on ``channel``. Raises ``UniqueViolation`` when
        that id already belongs to another user."""
        await self.db.execute(
            "insert into channel_identities (channel, external_user_id, user_id) values (%s, %s, %s)"
            " on conflict (user_id, channel) do update set external_user_id = excluded.external_user_id",
            channel, external_user_id, user_id, conn=conn,
        )

    async def update(self, user_id: UUID, *, conn: Conn | None = None,
                     **fields: Any) -> StoredUser | None:
        fields = {k: v for k, v in fields.items() if k in _UPDATABLE}
        if not fields:
            return await self.get(user_id, conn=conn)
        assignments = ", ".join(f"{k} = %s" for k in fields)
        return await self.db.fetch_one(
            self._user,
            f"update users set {assignments}, updated_at = now() where id = %s"
            f" returning {_COLUMNS}",
            *fields.values(), user_id, conn=conn,
        )

    async def change_phone(self, user_id: UUID, phone_e164: str, *,
                           conn: Conn | None = None) -> StoredUser | None:
        """Move the user to a new number (ciphertext and blind index together). Raises
        :class:`PhoneAlreadyEnrolled` when another user holds it."""
        try:
            return await self.db.fetch_one(
                self._user,
                "update users set phone_ciphertext = %s, phone_hmac = %s, updated_at = now()"
                f" where id = %s returning {_COLUMNS}",
                self.cipher.encrypt(phone_e164), self.cipher.blind_index(phone_e164), user_id,
                conn=conn,
            )
        except UniqueViolation:
            raise PhoneAlreadyEnrolled() from None

    async def delete(self, user_id: UUID, *, conn: Conn | None = None) -> bool:
        """Delete the user; conversations, messages, files rows, sessions cascade in the DB."""
        return await self.db.execute("delete from users where id = %s", user_id, conn=conn) == 1

    async def lock_active_admins(self, *, conn: Conn) -> list[UUID]:
        """The active admins' ids, row-locked until the caller's transaction ends.

        Any change that could remove an admin takes these locks first, so two such changes
        run one after the other and the second sees the first's outcome: the last-admin rule
        cannot be beaten by two requests at once.
        """
        rows = await self.db.fetch_all(
            dict, "select id from users where is_admin and is_active order by id for update",
            conn=conn,
        )
        return [r["id"] for r in rows]

    async def list(
        self, *, search: str | None = None, limit: int | None = None, cursor: str | None = None,
        phone_region: str | None = None, cohort_id: UUID | None = None, conn: Conn | None = None,
    ) -> Page[StoredUser]:
        """Newest first. ``search`` matches the name, or the exact number through the blind
        index; ``cohort_id`` keeps the cohort's current members."""
        where: list[str] = ["true"]
        params: list[Any] = []
        if cohort_id:
            where.append("exists (select 1 from cohort_members m where m.user_id = users.id"
                         " and m.cohort_id = %s and m.left_at is null)")
            params.append(cohort_id)
        if search and search.strip():
            from ignacio_agents.crypto import InvalidPhoneNumber, normalize_phone

            term = search.strip()
            try:
                phone_hmac = self.cipher.blind_index(normalize_phone(term, phone_region))
            except InvalidPhoneNumber:
                phone_hmac = None
            like = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append("(lower(coalesce(name, '')) like %s or phone_hmac = %s)")
            params += [like, phone_hmac]
        return await fetch_page(
            self.db, f"select {_COLUMNS} from users", where, params, Keyset("created_at", "id"),
            limit=limit, cursor=cursor, build=self._user, conn=conn,
        )
