"""Users: a participant's own account (``/users/me``) and admin management of everyone's.

Accounts are created by admins only; an admin may create another admin (the program's
"existing admin approval"). Every admin action here writes exactly one audit row:

- ``user.create``: ``details`` = name, is_admin, preferred_language (never the phone number).
- ``user.update`` or ``user.role_change``: one row per PUT. It is named ``user.role_change``
  when ``is_admin`` changed (so role changes can be filtered on their own), ``user.update``
  otherwise; either way ``details.changes`` lists every changed field as ``{"from", "to"}``.
- ``user.delete``: ``details`` = the name, whether they were an admin, how many files went.
- ``user.list``: each page of the user list (it shows phone numbers): whether a search was
  made (not its text, which may be a number), the cohort filter, how many were shown.

Deactivating a user revokes all their sessions at once (their access tokens stop working on
the next request). The last active admin cannot be deleted, deactivated or demoted (409
``last_admin``). Each change is one transaction that row-locks the active admins before it
checks, so two admins removing each other at the same moment are serialised: the second sees
the first's outcome and is refused.

Deleting a user removes, in the database, the user and everything that is theirs: conversations,
messages and their WhatsApp delivery rows, files and their extracted text, sessions, the project
profile and its change history, what Ignacio remembers about them (notes, summaries and the
record of forgotten notes), the consent notices they were shown, and any pending sign-in code,
in the same transaction as its
audit row. Once that has committed, the stored objects of their files are deleted from the blob
store (``runtime.blobs``); an object that cannot be deleted is logged and left behind rather than
failing the deletion. Audit rows that mention the user stay: the trail must outlive the people
it mentions.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from api.deps import AdminUser, CurrentUser, RuntimeDep, StoreDep, client_ip, signed_in_of
from api.routers.auth import phone_or_422
from api.schemas import (
    ConsentAck,
    ConsentOut,
    ErrorResponse,
    MeUpdate,
    PlainText,
    User,
    UserCreate,
    UserPage,
    UserUpdate,
    user_out,
)
from ignacio_agents.consent import notice_text, notice_texts
from ignacio_agents.db import Conn
from ignacio_agents.domain import WEB_CHANNEL
from ignacio_agents.erasure import erase_blobs, erase_rows
from ignacio_agents.errors import InvalidInput, NotFound
from ignacio_agents.runtime import Runtime
from ignacio_agents.store import Store
from ignacio_agents.store.profiles import ProjectProfile
from ignacio_agents.store.users import LastAdmin, StoredUser

log = logging.getLogger(__name__)

router = APIRouter(tags=["users"])


async def _out(store: Store, user: StoredUser) -> User:
    return user_out(user, await store.profiles.get(user.id))


def _clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.strip()
    if not name:
        raise InvalidInput("name: must not be blank")
    return name


# --- the signed-in user -------------------------------------------------------------------------


@router.get("/users/me", response_model=User, operation_id="get_me")
async def get_me(user: CurrentUser, request: Request) -> User:
    # The profile came with the session check (``get_claims``): no query of its own.
    stored = signed_in_of(request).profile
    return user_out(user, ProjectProfile.model_validate(stored) if stored else ProjectProfile())


@router.put("/users/me", response_model=User, operation_id="update_me")
async def update_me(body: MeUpdate, user: CurrentUser, store: StoreDep) -> User:
    """Change your name, language and project profile; only the fields sent change."""
    fields: dict[str, Any] = {}
    if body.name is not None:
        fields["name"] = _clean_name(body.name)
    if body.preferred_language is not None:
        fields["preferred_language"] = body.preferred_language.value
    changes = body.project.model_dump(mode="json", exclude_unset=True) if body.project else {}
    async with store.db.transaction() as tx:  # all of it or none of it
        updated = await store.users.update(user.id, conn=tx, **fields) if fields else user
        if updated is None:
            raise NotFound.of("user")
        if changes:
            await store.profiles.update(user.id, changes, source="user", conn=tx)
    return await _out(store, updated)


# --- the consent notice -----------------------------------------------------------------------


@router.get("/users/me/consent", response_model=ConsentOut, operation_id="get_my_consent")
async def get_my_consent(user: CurrentUser, runtime: RuntimeDep) -> ConsentOut:
    """The web's consent notice (in both languages) and when you dismissed it; ``show``: not
    yet, so the app shows it after sign-in."""
    return await _consent_out(runtime, user)


@router.post("/users/me/consent", response_model=ConsentOut, operation_id="acknowledge_consent")
async def acknowledge_consent(body: ConsentAck, user: CurrentUser,
                              runtime: RuntimeDep) -> ConsentOut:
    """Record that you read the notice, the language it was shown in and the time. Once:
    sending it again keeps the first record."""
    lang = body.language.value
    await runtime.store.consents.claim(user.id, WEB_CHANNEL, lang,
                                       notice_text(runtime.settings, lang), acknowledged=True)
    return await _consent_out(runtime, user)


async def _consent_out(runtime: Runtime, user: StoredUser) -> ConsentOut:
    consent = await runtime.store.consents.get(user.id, WEB_CHANNEL)
    return ConsentOut(
        channel=WEB_CHANNEL, notice=notice_texts(runtime.settings),
        show=runtime.settings.consent_notice_enabled and consent is None,
        acknowledged_at=consent.acknowledged_at if consent else None,
        language=consent.language if consent else None,
    )


# --- admins ---------------------------------------------------------------------------------------


@router.get("/users", response_model=UserPage, operation_id="list_users")
async def list_users(
    _admin: AdminUser, runtime: RuntimeDep, request: Request,
    search: Annotated[PlainText | None, Query(max_length=200)] = None,
    cohort_id: UUID | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> UserPage:
    """Newest first. ``search`` matches part of a name, or a whole phone number exactly;
    ``cohort_id`` keeps that cohort's current participants."""
    store = runtime.store
    page = await store.users.list(search=search, limit=limit, cursor=cursor, cohort_id=cohort_id,
                                  phone_region=runtime.settings.default_phone_region)
    # The list shows phone numbers: who saw which page is recorded (not the search text,
    # which may itself be a number).
    await store.audit.record(
        actor_id=_admin.id, action="user.list", target_type="user", client_ip=client_ip(request),
        details={"searched": bool(search), "cohort_id": str(cohort_id) if cohort_id else None,
                 "cursor": bool(cursor), "shown": len(page.items)},
    )
    items = await asyncio.gather(*(_out(store, u) for u in page.items))
    return UserPage(items=list(items), next_cursor=page.next_cursor)


@router.post("/users", status_code=201, response_model=User, operation_id="create_user",
             responses={409: {"model": ErrorResponse, "description": "The number is already enrolled"}})
async def create_user(body: UserCreate, admin: AdminUser, runtime: RuntimeDep,
                      request: Request) -> User:
    store = runtime.store
    e164 = phone_or_422(body.phone_number, runtime.settings)
    name = _clean_name(body.name) if body.name is not None else None
    async with store.db.transaction() as tx:  # the account and its audit row commit together
        user = await store.users.create(e164, name, is_admin=body.is_admin,
                                        preferred_language=body.preferred_language.value, conn=tx)
        await store.audit.record(
            actor_id=admin.id, action="user.create", target_type="user", target_id=user.id,
            client_ip=client_ip(request),
            details={"name": user.name, "is_admin": user.is_admin,
                     "preferred_language": user.preferred_language},
            conn=tx,
        )
    return await _out(store, user)


def _may_remove_an_admin(fields: dict[str, Any]) -> bool:
    return fields.get("is_admin") is False or fields.get("is_active") is False


async def _refuse_last_admin(store: Store, target: StoredUser, tx: Conn) -> None:
    """409 when ``target`` is the only active admin. The caller holds the active admins' row
    locks (taken first, in one order, by every change that could remove an admin)."""
    if target.is_admin and target.is_active:
        admins = await store.users.lock_active_admins(conn=tx)
        if admins == [target.id]:
            raise LastAdmin()


@router.put("/users/{user_id}", response_model=User, operation_id="update_user",
            responses={409: {"model": ErrorResponse, "description": "It would leave no active admin"}})
async def update_user(user_id: UUID, body: UserUpdate, admin: AdminUser, store: StoreDep,
                      request: Request) -> User:
    """Rename, change language, grant or remove admin rights, deactivate or reactivate."""
    fields: dict[str, Any] = {}
    if body.name is not None:
        fields["name"] = _clean_name(body.name)
    if body.preferred_language is not None:
        fields["preferred_language"] = body.preferred_language.value
    if body.is_admin is not None:
        fields["is_admin"] = body.is_admin
    if body.is_active is not None:
        fields["is_active"] = body.is_active
    async with store.db.transaction() as tx:
        if _may_remove_an_admin(fields):
            await store.users.lock_active_admins(conn=tx)
        target = await store.users.get(user_id, for_update=True, conn=tx)
        if target is None:
            raise NotFound.of("user")
        stays_admin = fields.get("is_admin", target.is_admin) and fields.get("is_active",
                                                                              target.is_active)
        if not stays_admin:
            await _refuse_last_admin(store, target, tx)
        updated = await store.users.update(target.id, conn=tx, **fields) if fields else target
        if updated is None:
            raise NotFound.of("user")
        if target.is_active and not updated.is_active:
            await store.sessions.revoke_all(target.id, "deactivated", conn=tx)
        changes = {
            key: {"from": getattr(target, key), "to": getattr(updated, key)}
            for key in ("name", "preferred_language", "is_admin", "is_active")
            if getattr(target, key) != getattr(updated, key)
        }
        await store.audit.record(
            actor_id=admin.id, action="user.role_change" if "is_admin" in changes else "user.update",
            target_type="user", target_id=target.id, client_ip=client_ip(request),
            details={"changes": changes}, conn=tx,
        )
    return await _out(store, updated)


@router.delete("/users/{user_id}", status_code=204, operation_id="delete_user",
               responses={409: {"model": ErrorResponse, "description": "The last active admin"}})
async def delete_user(user_id: UUID, admin: AdminUser, runtime: RuntimeDep,
                      request: Request) -> Response:
    """Delete the user and everything that is theirs (see this module's docstring)."""
    store = runtime.store
    async with store.db.transaction() as tx:
        await store.users.lock_active_admins(conn=tx)
        target = await store.users.get(user_id, for_update=True, conn=tx)
        if target is None:
            raise NotFound.of("user")
        await _refuse_last_admin(store, target, tx)
        keys = await erase_rows(store, target, conn=tx)
        await store.audit.record(
            actor_id=admin.id, action="user.delete", target_type="user", target_id=target.id,
            client_ip=client_ip(request),
            details={"name": target.name, "was_admin": target.is_admin, "files_deleted": len(keys)},
            conn=tx,
        )
    await erase_blobs(runtime.blobs, target.id, keys)
    return Response(status_code=204)
