"""Sign-in by a one-time code sent over WhatsApp, and the sessions it opens.

- ``POST /auth/request-otp`` answers the same bytes (202) whether or not the number belongs to an
  active user, after the same work (rate limits, lookup, a stored code hash): only an enrolled,
  active user is actually sent the code, and that send runs after the response, so neither the
  body nor the Graph API's latency tells an attacker who is enrolled. Requests for unenrolled
  numbers count against the per-number limit too, so the limit reveals nothing either.
- ``POST /auth/verify-otp`` fails identically (401 ``invalid_code``) for a wrong, expired, used,
  exhausted code and for an unknown or inactive user.
- Access tokens are short-lived JWTs naming their session (``sid``), kept in the page's memory
  only; every request checks that session (``api.deps``), so logout, deactivation and
  refresh-token theft detection end access tokens at once. Refresh tokens are opaque strings in
  an httpOnly cookie (``api.refresh_cookie``); only their SHA-256 is stored and each refresh
  rotates them; presenting an already-rotated one revokes the whole session.
- Participants see their signed-in devices and can end any of them, or all at once.
- An account with an authenticator app (admins and mentors, ``ignacio_agents.totp``) gets no
  session from the WhatsApp code alone: ``verify-otp`` answers a short-lived challenge instead,
  and ``POST /auth/second-factor`` trades it, with the app's code or a recovery code, for the
  session.
- Rate limits: ``api.sign_in_limits``.

Codes, tokens and full phone numbers are never logged. In development without WhatsApp the code
is printed to the server console (stderr, not logging), never returned.
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from fastapi.responses import JSONResponse

from api.deps import ClaimsDep, CurrentUser, RuntimeDep, StoreDep, client_ip
from api.devices import device_label
from api.errors import error_body
from api.refresh_cookie import (
    clear_refresh_cookie,
    refresh_token_of,
    require_same_origin,
    set_refresh_cookie,
)
from api.schemas import (
    AccessToken,
    ErrorResponse,
    OtpRequest,
    OtpSent,
    OtpVerify,
    SessionList,
    SessionOut,
    user_out,
)
from api.sign_in_limits import (
    allow_code_request,
    release_code_check,
    release_second_factor_check,
    reserve_code_check,
    reserve_second_factor_check,
)
from api.tokens import issue_access_token, refresh_successor
from api.totp_schemas import SecondFactorRequired, SecondFactorVerify
from ignacio_agents.channel import SendFailed
from ignacio_agents.crypto import mask_phone, new_otp_code, new_token, normalize_phone
from ignacio_agents.errors import NotFound, Unauthorized
from ignacio_agents.runtime import Runtime
from ignacio_agents.settings import Settings
from ignacio_agents.store.users import StoredUser
from ignacio_agents.totp import enrolment_required, use_code

log = logging.getLogger(__name__)

router = APIRouter(prefix="/auth", tags=["auth"])

OTP_SENT = OtpSent(status="sent", message="If this number is enrolled, a code was sent by WhatsApp.")
_OTP_SENT_BODY = OTP_SENT.model_dump()


def _invalid_code() -> Unauthorized:
    return Unauthorized("The code is not valid. Request a new one and try again.", code="invalid_code")


def _invalid_second_factor() -> Unauthorized:
    return Unauthorized("The code is not valid. Check the authenticator app and try again.",
                        code="invalid_second_factor")


def _challenge_over() -> Unauthorized:
    return Unauthorized("This sign-in has expired. Start again with a new WhatsApp code.",
                        code="second_factor_expired")


def _invalid_refresh() -> Unauthorized:
    return Unauthorized("The session has ended. Sign in again.", code="invalid_refresh_token")


def phone_or_422(raw: str, settings: Settings) -> str:
    """The number in E.164; ``InvalidPhoneNumber`` (a 422) when it is not one."""
    return normalize_phone(raw, settings.default_phone_region)


async def _deliver_code(runtime: Runtime, e164: str, code: str) -> None:
    """Send the code through the channel that delivers sign-in codes (WhatsApp's
    authentication template), after the response."""
    settings = runtime.settings
    sender = runtime.channels.code_sender()
    if sender is None:
        if settings.is_production:
            log.error("no channel can send sign-in codes: no code sent to %s", mask_phone(e164))
            return
        # Development only: the console stands in for the phone. Not logging, on purpose.
        print(f"[ignacio] sign-in code for {mask_phone(e164)}: {code}  (WhatsApp not configured)",
              file=sys.stderr, flush=True)
        return
    try:
        await sender.send_sign_in_code(e164, code)
    except SendFailed as exc:
        log.warning("sign-in code to %s not sent: error %s", mask_phone(e164), exc.code)
    except Exception as exc:
        log.warning("sign-in code to %s not sent: %s", mask_phone(e164), type(exc).__name__)


async def _signed_in(request: Request, runtime: Runtime, user: StoredUser, session_id: UUID,
                     refresh_token: str) -> JSONResponse:
    """The access token in the body, the refresh token in the cookie only."""
    settings = runtime.settings
    body = AccessToken(
        access_token=issue_access_token(settings, user.id, session_id, user.is_admin),
        expires_in=settings.access_token_ttl_seconds,
        user=user_out(user, await runtime.store.profiles.get(user.id)),
        totp_enrolment_required=await enrolment_required(runtime.store, settings, user),
    )
    response = JSONResponse(body.model_dump(mode="json"), headers={"cache-control": "no-store"})
    set_refresh_cookie(response, request, settings, refresh_token)
    return response


def _session_ended(request: Request, settings: Settings) -> JSONResponse:
    error = _invalid_refresh()
    response = JSONResponse(error_body(error.code, error.message), 401)
    clear_refresh_cookie(response, request, settings)
    return response


_ERR = {"model": ErrorResponse}
_LIMITED = {**_ERR, "description": "Too many attempts; see Retry-After"}
_CROSS = {**_ERR, "description": "Sent by another site (Origin / Sec-Fetch-Site)"}
_TOO_LARGE = {**_ERR, "description": "Body larger than the sign-in limit"}


@router.post(
    "/request-otp", status_code=202, response_model=OtpSent, operation_id="request_otp",
    responses={413: _TOO_LARGE, 422: {**_ERR, "description": "Not a phone number"},
               429: _LIMITED},
)
async def request_otp(body: OtpRequest, request: Request, runtime: RuntimeDep,
                      background: BackgroundTasks) -> JSONResponse:
    """Send a sign-in code to the number's WhatsApp, if the number belongs to an active user.

    The answer is the same either way (no account enumeration)."""
    settings, store = runtime.settings, runtime.store
    e164 = phone_or_422(body.phone_number, settings)
    await allow_code_request(store, settings, e164, client_ip(request))
    user = await store.users.get_by_phone(e164)
    code = new_otp_code()
    # Stored for every number so both paths do the same work; only a real user is sent it.
    await store.otp.issue(e164, code, timedelta(seconds=settings.otp_ttl_seconds))
    if user is not None and user.is_active:
        background.add_task(_deliver_code, runtime, e164, code)
    return JSONResponse(_OTP_SENT_BODY, status_code=202)


@router.post("/verify-otp", response_model=AccessToken | SecondFactorRequired,
             operation_id="verify_otp",
             responses={401: {**_ERR, "description": "Wrong, expired or used code"},
                        413: _TOO_LARGE, 422: {**_ERR, "description": "Not a phone number"},
                        429: _LIMITED})
async def verify_otp(body: OtpVerify, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Trade a live code for an access token (body) and a refresh token (httpOnly cookie), or,
    for an account with an authenticator app, for a second-factor challenge."""
    settings, store = runtime.settings, runtime.store
    e164 = phone_or_422(body.phone_number, settings)
    ip = client_ip(request)
    await reserve_code_check(store, settings, ip)
    # The code is checked (and the attempt counted) before looking at the user, so an unknown
    # number costs the same and fails the same way as a wrong code.
    valid = await store.otp.consume(e164, body.code.strip(), max_attempts=settings.otp_max_attempts)
    user = await store.users.get_by_phone(e164)
    if not valid or user is None or not user.is_active:
        raise _invalid_code()
    await release_code_check(store, settings, ip)
    if await store.totp.is_enabled(user.id):
        challenge = new_token()
        ttl = settings.totp_challenge_ttl_seconds
        await store.totp.create_challenge(user.id, challenge, timedelta(seconds=ttl))
        log.info("user %s passed the WhatsApp code; second factor asked", user.id)
        body_out = SecondFactorRequired(challenge_token=challenge, expires_in=ttl)
        return JSONResponse(body_out.model_dump(), headers={"cache-control": "no-store"})
    return await _open_session(request, runtime, user)


async def _open_session(request: Request, runtime: Runtime, user: StoredUser) -> JSONResponse:
    settings = runtime.settings
    refresh_token = new_token()
    session = await runtime.store.sessions.create(
        user.id, refresh_token, timedelta(seconds=settings.refresh_token_ttl_seconds),
        device=device_label(request.headers.get("user-agent")),
    )
    log.info("user %s signed in (session %s)", user.id, session.id)
    return await _signed_in(request, runtime, user, session.id, refresh_token)


@router.post("/second-factor", response_model=AccessToken, operation_id="verify_second_factor",
             responses={401: {**_ERR, "description": "Wrong code, or the challenge is over"},
                        413: _TOO_LARGE, 429: _LIMITED})
async def verify_second_factor(body: SecondFactorVerify, request: Request,
                               runtime: RuntimeDep) -> JSONResponse:
    """Finish signing in: the challenge from ``verify-otp`` and a code from the authenticator
    app (each code works once) or one of the recovery codes (each works once). A challenge dies
    when used, after ``TOTP_CHALLENGE_TTL_SECONDS`` or after ``OTP_MAX_ATTEMPTS`` wrong codes;
    wrong codes also count per account (``TOTP_FAILURES_PER_USER``) and per client."""
    settings, store = runtime.settings, runtime.store
    ip = client_ip(request)
    user_id = await store.totp.challenge_user(body.challenge_token)
    if user_id is None:
        raise _challenge_over()
    await reserve_second_factor_check(store, settings, user_id, ip, signing_in=True)
    async with store.db.transaction() as tx:
        # Counted and row-locked first: parallel tries on one challenge run one at a time.
        live = await store.totp.attempt_challenge(
            body.challenge_token, max_attempts=settings.otp_max_attempts, conn=tx)
        method = await use_code(store, user_id, body.code, conn=tx) if live == user_id else None
        if method is not None:
            await store.totp.finish_challenge(body.challenge_token, conn=tx)
    if method is None:
        await store.audit.record(actor_id=user_id, action="security.second_factor_failed",
                                 target_type="user", target_id=user_id, client_ip=ip,
                                 details={"challenge_live": live is not None})
        raise _invalid_second_factor() if live is not None else _challenge_over()
    await release_second_factor_check(store, settings, user_id, ip, signing_in=True)
    user = await store.users.get(user_id)
    if user is None or not user.is_active:
        raise _challenge_over()
    details: dict[str, object] = {"method": method}
    if method == "recovery_code":
        details["recovery_codes_left"] = await store.totp.recovery_codes_left(user_id)
    await store.audit.record(actor_id=user_id, action="auth.second_factor_passed",
                             target_type="user", target_id=user_id, client_ip=ip, details=details)
    return await _open_session(request, runtime, user)


@router.post("/refresh", response_model=AccessToken, operation_id="refresh",
             dependencies=[Depends(require_same_origin)],
             responses={401: {**_ERR, "description": "No, expired, revoked or replayed token"},
                        403: _CROSS, 413: _TOO_LARGE})
async def refresh(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Rotate the refresh token (cookie) and issue a new access token. A token that was already
    rotated revokes its whole session: two parties holding the same token means one of them
    stole it. The one tolerated case is several tabs refreshing at the same moment (a grace of
    ``REFRESH_REUSE_GRACE_SECONDS`` for the token rotated last)."""
    settings, store = runtime.settings, runtime.store
    token = refresh_token_of(request)
    if token is None:
        return _session_ended(request, settings)
    successor = refresh_successor(settings, token)
    result = await store.sessions.rotate(
        token, successor, timedelta(seconds=settings.refresh_token_ttl_seconds),
        grace=timedelta(seconds=settings.refresh_reuse_grace_seconds),
    )
    if result.reused:
        log.warning("a rotated refresh token was presented again: its session is revoked")
    if result.session is None:
        return _session_ended(request, settings)
    user = await store.users.get(result.session.user_id)
    if user is None or not user.is_active:
        await store.sessions.revoke(result.session.id, "inactive")
        return _session_ended(request, settings)
    return await _signed_in(request, runtime, user, result.session.id, successor)


@router.post("/logout", status_code=204, operation_id="logout",
             dependencies=[Depends(require_same_origin)],
             responses={401: {**_ERR, "description": "Not signed in"}, 403: _CROSS})
async def logout(request: Request, claims: ClaimsDep, runtime: RuntimeDep) -> Response:
    """Revoke this session: its refresh token and every access token naming it stop working
    now, and the cookie is cleared."""
    await runtime.store.sessions.revoke(claims.sid, "logout")
    response = Response(status_code=204)
    clear_refresh_cookie(response, request, runtime.settings)
    return response


@router.post("/logout-all", status_code=204, operation_id="logout_all",
             dependencies=[Depends(require_same_origin)],
             responses={401: {**_ERR, "description": "Not signed in"}, 403: _CROSS})
async def logout_all(request: Request, claims: ClaimsDep, runtime: RuntimeDep) -> Response:
    """Sign out everywhere: every session of this user ends, this one included."""
    await runtime.store.sessions.revoke_all(claims.sub, "logout_all")
    response = Response(status_code=204)
    clear_refresh_cookie(response, request, runtime.settings)
    return response


@router.get("/sessions", response_model=SessionList, operation_id="list_sessions",
            responses={401: {**_ERR, "description": "Not signed in"}})
async def list_sessions(claims: ClaimsDep, _user: CurrentUser, store: StoreDep) -> SessionList:
    """The user's signed-in devices, most recently used first."""
    sessions = await store.sessions.list_active(claims.sub)
    return SessionList(items=[
        SessionOut(id=s.id, created_at=s.created_at, last_used_at=s.last_used_at,
                   expires_at=s.expires_at, current=s.id == claims.sid, device=s.device)
        for s in sessions
    ])


@router.delete("/sessions/{session_id}", status_code=204, operation_id="revoke_session",
               dependencies=[Depends(require_same_origin)],
               responses={401: {**_ERR, "description": "Not signed in"}, 403: _CROSS,
                          404: {**_ERR, "description": "No such live session of this user"}})
async def revoke_session(session_id: UUID, claims: ClaimsDep, _user: CurrentUser,
                         store: StoreDep) -> Response:
    """End one of the user's sessions (a lost phone, a shared computer)."""
    if not await store.sessions.revoke_for_user(session_id, claims.sub, "revoked_by_user"):
        raise NotFound.of("session")
    return Response(status_code=204)
