"""The second factor at rest: each user's TOTP secret (encrypted), recovery codes (keyed hashes)
and the short-lived sign-in challenges between the WhatsApp code and the TOTP code.

Every "use" here is one conditional statement, so two requests racing with the same code, the
same recovery code or the same challenge cannot both succeed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.crypto import PhoneCipher, token_hash
from ignacio_agents.db import Conn, Database


class StoredTotp(BaseModel):
    user_id: UUID
    secret: str  # base32, decrypted; shown once at enrolment, never logged
    enabled: bool
    enabled_at: datetime | None
    last_used_step: int | None


def _secret_aad(user_id: UUID) -> bytes:
    # Bound to its row: a ciphertext copied onto another user does not decrypt.
    return f"user_totp.secret:{user_id}".encode()


class TotpStore:
    def __init__(self, db: Database, cipher: PhoneCipher):
        self.db = db
        self.cipher = cipher

    def _totp(self, row: dict[str, Any]) -> StoredTotp:
        data = dict(row)
        data["secret"] = self.cipher.decrypt(data.pop("secret_ciphertext"), _secret_aad(data["user_id"]))
        return StoredTotp.model_validate(data)

    def _recovery_hash(self, user_id: UUID, code: str) -> bytes:
        return self.cipher.keyed_hash("totp_recovery", f"{user_id}:{code}")

    async def get(self, user_id: UUID, *, conn: Conn | None = None) -> StoredTotp | None:
        return await self.db.fetch_one(
            self._totp,
            "select user_id, secret_ciphertext, enabled, enabled_at, last_used_step"
            " from user_totp where user_id = %s",
            user_id, conn=conn,
        )

    async def is_enabled(self, user_id: UUID, *, conn: Conn | None = None) -> bool:
        return bool(await self.db.fetch_value(
            "select exists (select 1 from user_totp where user_id = %s and enabled)", user_id,
            conn=conn,
        ))

    async def start(self, user_id: UUID, secret: str, *, conn: Conn | None = None) -> bool:
        """Keep a new, not yet enabled secret (replacing an earlier unconfirmed one). False when
        the user already has an enabled authenticator (it must be disabled first)."""
        return await self.db.execute(
            "insert into user_totp (user_id, secret_ciphertext) values (%s, %s)"
            " on conflict (user_id) do update set secret_ciphertext = excluded.secret_ciphertext,"
            " last_used_step = null, updated_at = now() where not user_totp.enabled",
            user_id, self.cipher.encrypt(secret, _secret_aad(user_id)), conn=conn,
        ) == 1

    async def use_step(self, user_id: UUID, step: int, *, enabled: bool,
                       conn: Conn | None = None) -> bool:
        """Record ``step`` as the last accepted one; False (a replay) when it is not newer than
        the last, or the authenticator is not in the ``enabled`` state asked for."""
        return await self.db.execute(
            "update user_totp set last_used_step = %s, updated_at = now()"
            " where user_id = %s and enabled = %s"
            " and (last_used_step is null or last_used_step < %s)",
            step, user_id, enabled, step, conn=conn,
        ) == 1

    async def enable(self, user_id: UUID, recovery_codes: list[str], *, conn: Conn | None = None) -> None:
        """Turn the confirmed enrolment on and replace the recovery codes, in one transaction."""
        async with self.db.transaction(conn) as tx:
            await self.db.execute(
                "update user_totp set enabled = true, enabled_at = now(), updated_at = now()"
                " where user_id = %s",
                user_id, conn=tx,
            )
            await self.replace_recovery_codes(user_id, recovery_codes, conn=tx)

    async def disable(self, user_id: UUID, *, conn: Conn | None = None) -> bool:
        """Forget the authenticator and its recovery codes."""
        async with self.db.transaction(conn) as tx:
            await self.db.execute("delete from totp_recovery_codes where user_id = %s", user_id,
                                  conn=tx)
            await self.db.execute("delete from totp_challenges where user_id = %s", user_id, conn=tx)
            return await self.db.execute("delete from user_totp where user_id = %s", user_id,
                                         conn=tx) == 1

    async def replace_recovery_codes(self, user_id: UUID, codes: list[str], *,
                                     conn: Conn | None = None) -> None:
        async with self.db.transaction(conn) as tx:
            await self.db.execute("delete from totp_recovery_codes where user_id = %s", user_id,
                                  conn=tx)
            for code in codes:
                await self.db.execute(
                    "insert into totp_recovery_codes (user_id, code_hash) values (%s, %s)",
                    user_id, self._recovery_hash(user_id, code), conn=tx,
                )

    async def use_recovery_code(self, user_id: UUID, code: str, *, conn: Conn | None = None) -> bool:
        """True once for each unused recovery code (normalised by the caller)."""
        return await self.db.execute(
            "update totp_recovery_codes set used_at = now()"
            " where user_id = %s and code_hash = %s and used_at is null",
            user_id, self._recovery_hash(user_id, code), conn=conn,
        ) == 1

    async def recovery_codes_left(self, user_id: UUID, *, conn: Conn | None = None) -> int:
        return int(await self.db.fetch_value(
            "select count(*) from totp_recovery_codes where user_id = %s and used_at is null",
            user_id, conn=conn,
        ))

    # --- sign-in challenges ------------------------------------------------------------------

    async def create_challenge(self, user_id: UUID, token: str, ttl: timedelta, *,
                               conn: Conn | None = None) -> None:
        async with self.db.transaction(conn) as tx:
            await self.db.execute(
                "delete from totp_challenges where expires_at < now() or used_at is not null",
                conn=tx,
            )
            await self.db.execute(
                "insert into totp_challenges (user_id, token_hash, expires_at)"
                " values (%s, %s, now() + %s)",
                user_id, token_hash(token), ttl, conn=tx,
            )

    async def attempt_challenge(self, token: str, *, max_attempts: int, conn: Conn) -> UUID | None:
        """Count an attempt on a live challenge and row-lock it until ``conn``'s transaction
        ends; its user, or None when it is unknown, used, expired or out of attempts."""
        value = await self.db.fetch_value(
            "update totp_challenges set attempts = attempts + 1"
            " where token_hash = %s and used_at is null and expires_at > now()"
            " and attempts < %s returning user_id",
            token_hash(token), max_attempts, conn=conn,
        )
        return value if isinstance(value, UUID) else None

    async def finish_challenge(self, token: str, *, conn: Conn) -> bool:
        return await self.db.execute(
            "update totp_challenges set used_at = now() where token_hash = %s and used_at is null",
            token_hash(token), conn=conn,
        ) == 1

    async def challenge_user(self, token: str, *, conn: Conn | None = None) -> UUID | None:
        """The user of a live challenge (nothing counted), or None."""
        value = await self.db.fetch_value(
            "select user_id from totp_challenges where token_hash = %s and used_at is null"
            " and expires_at > now()",
            token_hash(token), conn=conn,
        )
        return value if isinstance(value, UUID) else None
