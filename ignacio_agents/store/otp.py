"""One-time sign-in codes, kept only as keyed hashes.

A 6-digit code has a million values, so its plain SHA-256 would fall to brute force in a
millisecond: the hash is an HMAC under the (secret) index key and bound to the code's own row id,
so a copied table reveals nothing and one hash cannot be replayed onto another row. Phone numbers
appear only as their blind index.

Every check counts as an attempt, *before* the comparison and in the same row-locked statement,
so parallel guesses cannot exceed the limit; after ``max_attempts`` the code is dead even for the
right value. A new code for a number deletes that number's earlier ones.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import timedelta
from uuid import UUID

from ignacio_agents.crypto import PhoneCipher
from ignacio_agents.db import Conn, Database


class OtpStore:
    def __init__(self, db: Database, cipher: PhoneCipher):
        self.db = db
        self.cipher = cipher

    def _code_hash(self, code_id: UUID, code: str) -> bytes:
        return self.cipher.keyed_hash("otp", f"{code_id}:{code}")

    async def issue(self, phone_e164: str, code: str, ttl: timedelta, *,
                    conn: Conn | None = None) -> UUID:
        """Store a new code for the number, invalidating (deleting) its earlier codes."""
        code_id = uuid.uuid4()
        phone_hmac = self.cipher.blind_index(phone_e164)
        async with self.db.transaction(conn) as tx:
            await self.db.execute(
                "delete from otp_codes where phone_hmac = %s or expires_at < now()", phone_hmac,
                conn=tx,
            )
            await self.db.execute(
                "insert into otp_codes (id, phone_hmac, code_hash, expires_at)"
                " values (%s, %s, %s, now() + %s)",
                code_id, phone_hmac, self._code_hash(code_id, code), ttl, conn=tx,
            )
        return code_id

    async def consume(self, phone_e164: str, code: str, *, max_attempts: int,
                      conn: Conn | None = None) -> bool:
        """True once for the right, live code; counts the attempt whatever the outcome."""
        phone_hmac = self.cipher.blind_index(phone_e164)
        async with self.db.transaction(conn) as tx:
            row = await self.db.fetch_one(
                dict,
                "update otp_codes set attempts = attempts + 1"
                " where id = (select id from otp_codes where phone_hmac = %s and not is_used"
                "   and expires_at > now() order by created_at desc limit 1 for update)"
                " and attempts < %s returning id, code_hash",
                phone_hmac, max_attempts, conn=tx,
            )
            if row is None:
                # No live code: spend the same hashing work as a real check.
                self._code_hash(uuid.uuid4(), code)
                return False
            if not hmac.compare_digest(self._code_hash(row["id"], code), bytes(row["code_hash"])):
                return False
            return await self.db.execute(
                "update otp_codes set is_used = true where id = %s and not is_used", row["id"],
                conn=tx,
            ) == 1

    async def delete_for_phone(self, phone_e164: str, *, conn: Conn | None = None) -> None:
        """Forget any code of this number (its user was deleted)."""
        await self.db.execute("delete from otp_codes where phone_hmac = %s",
                              self.cipher.blind_index(phone_e164), conn=conn)
