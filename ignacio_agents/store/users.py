"""Users: identity by phone number (encrypted at rest, found through its blind index)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.errors import UniqueViolation
from pydantic import BaseModel

from ignacio_agents.crypto import PhoneCipher
from ignacio_agents.db import Database
from ignacio_agents.store.base import Keyset, Page, fetch_page


class User(BaseModel):
    id: UUID
    phone_number: str  # E.164, decrypted; show only to its owner and to admins
    name: str | None
    is_admin: bool
    is_active: bool
    preferred_language: str
    whatsapp_user_id: str | None
    created_at: datetime
    updated_at: datetime


class PhoneAlreadyEnrolled(ValueError):
    pass


_COLUMNS = (
    "id, phone_ciphertext, name, is_admin, is_active, preferred_language, whatsapp_user_id,"
    " created_at, updated_at"
)
_UPDATABLE = {"name", "is_admin", "is_active", "preferred_language", "whatsapp_user_id"}


class UserStore:
    def __init__(self, db: Database, cipher: PhoneCipher):
        self.db = db
        self.cipher = cipher

    def _user(self, row: dict[str, Any]) -> User:
        data = dict(row)
        data["phone_number"] = self.cipher.decrypt(data.pop("phone_ciphertext"))
        return User.model_validate(data)

    async def create(
        self, phone_e164: str, name: str | None, *, is_admin: bool = False,
        preferred_language: str = "es", is_active: bool = True,
    ) -> User:
        try:
            async with self.db.connection() as conn:
                cur = await conn.execute(
                    f"insert into users (phone_ciphertext, phone_hmac, name, is_admin, is_active,"
                    f" preferred_language) values (%s, %s, %s, %s, %s, %s) returning {_COLUMNS}",
                    (self.cipher.encrypt(phone_e164), self.cipher.blind_index(phone_e164), name,
                     is_admin, is_active, preferred_language),
                )
                row = await cur.fetchone()
        except UniqueViolation:
            raise PhoneAlreadyEnrolled("a user with this phone number already exists") from None
        assert row is not None
        return self._user(row)

    async def get(self, user_id: UUID) -> User | None:
        async with self.db.connection() as conn:
            cur = await conn.execute(f"select {_COLUMNS} from users where id = %s", (user_id,))
            row = await cur.fetchone()
        return self._user(row) if row else None

    async def get_by_phone(self, phone_e164: str) -> User | None:
        async with self.db.connection() as conn:
            cur = await conn.execute(
                f"select {_COLUMNS} from users where phone_hmac = %s",
                (self.cipher.blind_index(phone_e164),),
            )
            row = await cur.fetchone()
        return self._user(row) if row else None

    async def get_by_whatsapp_user_id(self, whatsapp_user_id: str) -> User | None:
        """Find a user by their WhatsApp business-scoped user id (BSUID), for senders whose
        phone number Meta withholds (usernames, 2026)."""
        async with self.db.connection() as conn:
            cur = await conn.execute(
                f"select {_COLUMNS} from users where whatsapp_user_id = %s", (whatsapp_user_id,)
            )
            row = await cur.fetchone()
        return self._user(row) if row else None

    async def update(self, user_id: UUID, **fields: Any) -> User | None:
        fields = {k: v for k, v in fields.items() if k in _UPDATABLE}
        if not fields:
            return await self.get(user_id)
        assignments = ", ".join(f"{k} = %s" for k in fields)
        async with self.db.connection() as conn:
            cur = await conn.execute(
                f"update users set {assignments}, updated_at = now() where id = %s"
                f" returning {_COLUMNS}",
                (*fields.values(), user_id),
            )
            row = await cur.fetchone()
        return self._user(row) if row else None

    async def delete(self, user_id: UUID) -> bool:
        """Delete the user; conversations, messages, files rows, sessions cascade in the DB."""
        async with self.db.connection() as conn:
            cur = await conn.execute("delete from users where id = %s", (user_id,))
            return cur.rowcount == 1

    async def count_active_admins(self, *, excluding: UUID | None = None) -> int:
        async with self.db.connection() as conn:
            cur = await conn.execute(
                "select count(*) as n from users where is_admin and is_active"
                " and (%s::uuid is null or id <> %s::uuid)",
                (excluding, excluding),
            )
            row = await cur.fetchone()
        return int(row["n"]) if row else 0

    async def list(
        self, *, search: str | None = None, limit: int | None = None, cursor: str | None = None,
        phone_region: str | None = None,
    ) -> Page[User]:
        """Newest first. ``search`` matches the name, or the exact number through the blind index."""
        where, params = ["true"], []
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
        async with self.db.connection() as conn:
            return await fetch_page(
                conn, f"select {_COLUMNS} from users", where, params, Keyset("created_at", "id"),
                limit=limit, cursor=cursor, build=self._user,
            )
