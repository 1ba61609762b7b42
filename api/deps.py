"""FastAPI dependencies: the runtime, the current user (second factor enforced), admins only,
the client IP. All ``async``: FastAPI runs a plain ``def`` dependency in its thread pool, a
hop per request for a function that only reads ``app.state``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from api.tokens import AccessClaims, decode_access_token
from ignacio_agents.errors import Forbidden, Unauthorized
from ignacio_agents.runtime import Runtime
from ignacio_agents.store import Store
from ignacio_agents.store.users import SignedIn, StoredUser
from ignacio_agents.totp import EnrolmentRequired, is_staff


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_store(request: Request) -> Store:
    return request.app.state.runtime.store


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
StoreDep = Annotated[Store, Depends(get_store)]


_CLAIMS = "ignacio.claims"  # the scope key of a request's checked claims
T = TypeVar("T")


def _bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header (as ``HTTPBearer`` reads it)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class _BearerCheck(SecurityBase, Generic[T]):
    """The bearer-token scheme as OpenAPI shows it (``HTTPBearer``) that is also the check
    itself: a route resolves this one dependency, not a chain from the scheme through the
    session check to the role (FastAPI resolves every level of a chain on every request, a
    large share of a small read's CPU)."""

    def __init__(self, check: Callable[[Request, str | None], Awaitable[T]]) -> None:
        self.model = HTTPBearerModel()
        self.scheme_name = "HTTPBearer"
        self.check = check

    async def __call__(self, request: Request) -> T:
        return await self.check(request, _bearer_token(request))


async def _checked_claims(request: Request, token: str | None) -> AccessClaims:
    """The access token's claims, its session checked: once per request, however many of
    the dependencies below a route declares."""
    claims: AccessClaims | None = request.scope.get(_CLAIMS)
    if claims is not None:
        return claims
    if token is None:
        raise Unauthorized()
    runtime: Runtime = request.app.state.runtime
    claims = decode_access_token(runtime.settings, token)
    # The session is checked on every request so a logout (or theft detection) is immediate;
    # the same query reads the user, their second factor and profile (one round trip).
    signed_in = await runtime.store.users.signed_in(claims.sid, claims.sub)
    if signed_in is None:
        raise Unauthorized("session ended")
    request.state.signed_in = signed_in
    request.scope[_CLAIMS] = claims
    return claims


async def _session_user(request: Request, token: str | None) -> StoredUser:
    """The signed-in user, whatever their second factor."""
    claims = await _checked_claims(request, token)
    user = signed_in_of(request).user
    if not user.is_active:
        raise Unauthorized("account inactive")
    request.state.user = user
    request.state.session_id = claims.sid
    return user


async def _current_user(request: Request, token: str | None) -> StoredUser:
    """The signed-in user; with ``ADMIN_REQUIRE_TOTP`` an admin or mentor without an
    authenticator is refused (403 ``totp_enrolment_required``) until they enrol one."""
    user = await _session_user(request, token)
    if (request.app.state.runtime.settings.admin_require_totp and is_staff(user)
            and not signed_in_of(request).totp_enabled):
        raise EnrolmentRequired()
    return user


async def _admin(request: Request, token: str | None) -> StoredUser:
    user = await _current_user(request, token)
    if not user.is_admin:
        raise Forbidden("admins only")
    return user


async def _staff(request: Request, token: str | None) -> StoredUser:
    """Mentors and admins (what each may see is narrowed further by ``ignacio_agents.mentoring``)."""
    user = await _current_user(request, token)
    if not (user.is_admin or user.is_mentor):
        raise Forbidden("mentors and admins only")
    return user


def signed_in_of(request: Request) -> SignedIn:
    """What the session check read for this request (any dependency below ran it)."""
    signed_in: SignedIn = request.state.signed_in
    return signed_in


get_claims = _BearerCheck(_checked_claims)
# Only the enrolment routes take a user whatever their second factor.
get_session_user = _BearerCheck(_session_user)
get_current_user = _BearerCheck(_current_user)
require_admin = _BearerCheck(_admin)
require_staff = _BearerCheck(_staff)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


CurrentUser = Annotated[StoredUser, Depends(get_current_user)]
SessionUser = Annotated[StoredUser, Depends(get_session_user)]
AdminUser = Annotated[StoredUser, Depends(require_admin)]
StaffUser = Annotated[StoredUser, Depends(require_staff)]
ClaimsDep = Annotated[AccessClaims, Depends(get_claims)]
