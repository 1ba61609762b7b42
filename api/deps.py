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


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
_CLAIMS = "ignacio.claims"  # the scope key of a request's checked claims


async def _checked_claims(request: Request, credentials: HTTPAuthorizationCredentials | None,
                          ) -> AccessClaims:
    """The access token's claims, its session checked: once per request, however many of
    the dependencies below a route declares."""
    claims: AccessClaims | None = request.scope.get(_CLAIMS)
    if claims is not None:
        return claims
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
    request.scope[_CLAIMS] = claims
    return claims


async def _session_user(request: Request, credentials: HTTPAuthorizationCredentials | None,
                        ) -> StoredUser:
    claims = await _checked_claims(request, credentials)
    user = signed_in_of(request).user
    if not user.is_active:
        raise Unauthorized("account inactive")
    request.state.user = user
    request.state.session_id = claims.sid
    return user


async def _current_user(request: Request, credentials: HTTPAuthorizationCredentials | None,
                        ) -> StoredUser:
    user = await _session_user(request, credentials)
    if (request.app.state.runtime.settings.admin_require_totp and is_staff(user)
            and not signed_in_of(request).totp_enabled):
        raise EnrolmentRequired()
    return user


# Each dependency below is one level over the bearer scheme, not a chain of them: FastAPI
# resolves every level of a chain on every request, a large share of a small read's CPU.


async def get_claims(request: Request, credentials: Bearer) -> AccessClaims:
    """The access token's claims, its session checked (a 401 when it ended)."""
    return await _checked_claims(request, credentials)


def signed_in_of(request: Request) -> SignedIn:
    """What the session check read for this request (any dependency below ran it)."""
    signed_in: SignedIn = request.state.signed_in
    return signed_in


async def get_session_user(request: Request, credentials: Bearer) -> StoredUser:
    """The signed-in user, whatever their second factor: only the enrolment routes use it."""
    return await _session_user(request, credentials)


async def get_current_user(request: Request, credentials: Bearer) -> StoredUser:
    """The signed-in user; with ``ADMIN_REQUIRE_TOTP`` an admin or mentor without an
    authenticator is refused (403 ``totp_enrolment_required``) until they enrol one."""
    return await _current_user(request, credentials)


async def require_admin(request: Request, credentials: Bearer) -> StoredUser:
    user = await _current_user(request, credentials)
    if not user.is_admin:
        raise Forbidden("admins only")
    return user


async def require_staff(request: Request, credentials: Bearer) -> StoredUser:
    """Mentors and admins (what each may see is narrowed further by ``ignacio_agents.mentoring``)."""
    user = await _current_user(request, credentials)
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
