"""FastAPI dependencies: the runtime, the current user (second factor enforced), admins only,
the client IP. All ``async``: FastAPI runs a plain ``def`` dependency in its thread pool, a
hop per request for a function that only reads ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.tokens import AccessClaims, decode_access_token
from ignacio_agents.errors import Forbidden, Unauthorized
from ignacio_agents.runtime import Runtime
from ignacio_agents.store import Store
from ignacio_agents.store.users import SignedIn, StoredUser
from ignacio_agents.totp import EnrolmentRequired, is_staff

_bearer = HTTPBearer(auto_error=False)


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_store(request: Request) -> Store:
    return request.app.state.runtime.store


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
StoreDep = Annotated[Store, Depends(get_store)]


async def get_claims(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AccessClaims:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    runtime: Runtime = request.app.state.runtime
    claims = decode_access_token(runtime.settings, credentials.credentials)
    # The session is checked on every request so a logout (or theft detection) is immediate;
    # the same query reads the user, their second factor and profile (one round trip).
    signed_in = await runtime.store.users.signed_in(claims.sid, claims.sub)
    if signed_in is None:
        raise Unauthorized("session ended")
    request.state.signed_in = signed_in
    return claims


def signed_in_of(request: Request) -> SignedIn:
    """What ``get_claims`` read for this request (a route that depends on it only)."""
    signed_in: SignedIn = request.state.signed_in
    return signed_in


async def get_session_user(
    request: Request, claims: Annotated[AccessClaims, Depends(get_claims)]
) -> StoredUser:
    """The signed-in user, whatever their second factor: only the enrolment routes use it."""
    user = signed_in_of(request).user
    if not user.is_active:
        raise Unauthorized("account inactive")
    request.state.user = user
    request.state.session_id = claims.sid
    return user


async def get_current_user(
    request: Request, user: Annotated[StoredUser, Depends(get_session_user)]
) -> StoredUser:
    """The signed-in user; with ``ADMIN_REQUIRE_TOTP`` an admin or mentor without an
    authenticator is refused (403 ``totp_enrolment_required``) until they enrol one."""
    runtime: Runtime = request.app.state.runtime
    if (runtime.settings.admin_require_totp and is_staff(user)
            and not signed_in_of(request).totp_enabled):
        raise EnrolmentRequired()
    return user


async def require_admin(user: Annotated[StoredUser, Depends(get_current_user)]) -> StoredUser:
    if not user.is_admin:
        raise Forbidden("admins only")
    return user


async def require_staff(user: Annotated[StoredUser, Depends(get_current_user)]) -> StoredUser:
    """Mentors and admins (what each may see is narrowed further by ``ignacio_agents.mentoring``)."""
    if not (user.is_admin or user.is_mentor):
        raise Forbidden("mentors and admins only")
    return user


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


CurrentUser = Annotated[StoredUser, Depends(get_current_user)]
SessionUser = Annotated[StoredUser, Depends(get_session_user)]
AdminUser = Annotated[StoredUser, Depends(require_admin)]
StaffUser = Annotated[StoredUser, Depends(require_staff)]
ClaimsDep = Annotated[AccessClaims, Depends(get_claims)]
