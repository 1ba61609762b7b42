"""Erasing a participant: every row that is theirs goes in one transaction (the database
cascades from ``users``; the usage ledger keeps its rows anonymised for the cohort's totals),
then their stored files. Used by an admin's deletion and by the retention job."""

from __future__ import annotations

import logging
from uuid import UUID

from ignacio_agents.blobs import BlobStore
from ignacio_agents.db import Conn
from ignacio_agents.store import Store
from ignacio_agents.store.users import StoredUser

log = logging.getLogger(__name__)


async def erase_rows(store: Store, user: StoredUser, *, conn: Conn) -> list[str]:
    """Delete the participant's rows on the caller's transaction; the blob keys to delete once
    it has committed."""
    keys = await store.files.keys_for_user(user.id, conn=conn)
    await store.users.delete(user.id, conn=conn)
    await store.otp.delete_for_phone(user.phone_number, conn=conn)
    return keys


async def erase_blobs(blobs: BlobStore, user_id: UUID, keys: list[str]) -> None:
    """After the commit: objects go only once their rows are gone for good. One that cannot be
    deleted is logged and left rather than failing the deletion."""
    for key in keys:
        try:
            await blobs.delete(key)
        except Exception as exc:
            log.warning("could not delete a stored file of deleted user %s: %s",
                        user_id, type(exc).__name__)
