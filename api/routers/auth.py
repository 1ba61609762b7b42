"""Sign-in by a one-time code sent over WhatsApp, and the sessions it opens.

- ``POST /auth/request-otp`` answers the same bytes (202) whether or not the number belongs to an
  active user, after the same work (rate limits, lookup, a stored code hash): only an enrolled,
  active user is actually sent the code, and that send runs after the response, so neither the
  body nor the Graph API's latency tells an attacker who is enrolled. Requests for unenrolled
  numbers count against the per-number limit too, so the limit reveals nothing either.
- ``POST /auth/verify-otp`` fails identically (401 ``invalid_code``) for a wrong, expired, used,
  exhausted code and for an unknown or inactive user.
- Access tokens are short-lived JWTs naming their session (``sid``); every request checks that
  session (``api.deps``), so logout, deactivation and refresh-token theft detection end access
  tokens at once. Refresh tokens are opaque random strings; only their SHA-256 is stored and each
  refresh rotates them; presenting an already-rotated one revokes the whole session.

Codes, tokens and full phone numbers are never logged. In development without WhatsApp the code
is printed to the server console (stderr, not logging), never returned.
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse

from api.deps import ClaimsDep, RuntimeDep, StoreDep, client_ip
from api.schemas import ErrorResponse, OtpRequest, OtpSent, OtpVerify, RefreshRequest, TokenPair, user_out
from api.sign_in_limits import allow_code_request, release_code_check, reserve_code_check
from api.tokens import issue_access_token
from ignacio_agents.channel import SendFailed
from ignacio_agents.crypto import mask_phone, new_otp_code, new_token, normalize_phone
from ignacio_agents.errors import Unauthorized
from ignacio_agents.runtime import Runtime
from ignacio_agents.settings import Settings
from ignacio_agents.store.users import User

log = logging.getLogger(__name__)

router = APIRouter(prefix="/auth", tags=["auth"])

OTP_SENT = OtpSent(status="sent", message="If this number is enrolled, a code was sent by WhatsApp.")
_OTP_SENT_BODY = OTP_SENT.model_dump()


def _invalid_code() -> Unauthorized:
    return Unauthorized("The code is not valid. Request a new one and try again.", code="invalid_code")


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


async def _token_pair(runtime: Runtime, user: User, session_id: UUID, refresh_token: str) -> TokenPair:
    settings = runtime.settings
    return TokenPair(
        access_token=issue_access_token(settings, user.id, session_id, user.is_admin),
        refresh_token=refresh_token,
        expires_in=settings.access_token_ttl_seconds,
        user=user_out(user, await runtime.store.profiles.get(user.id)),
    )


@router.post(
    "/request-otp", status_code=202, response_model=OtpSent, operation_id="request_otp",
    responses={422: {"model": ErrorResponse, "description": "Not a phone number"},
               429: {"model": ErrorResponse, "description": "Too many codes requested; see Retry-After"}},
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


@router.post("/verify-otp", response_model=TokenPair, operation_id="verify_otp",
             responses={401: {"model": ErrorResponse, "description": "Wrong, expired or used code"}})
async def verify_otp(body: OtpVerify, request: Request, runtime: RuntimeDep) -> TokenPair:
    """Trade a live code for an access token and a refresh token."""
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
    refresh_token = new_token()
    session = await store.sessions.create(
        user.id, refresh_token, timedelta(seconds=settings.refresh_token_ttl_seconds)
    )
    log.info("user %s signed in (session %s)", user.id, session.id)
    return await _token_pair(runtime, user, session.id, refresh_token)


@router.post("/refresh", response_model=TokenPair, operation_id="refresh",
             responses={401: {"model": ErrorResponse,
                              "description": "Unknown, expired, revoked or replayed token"}})
async def refresh(body: RefreshRequest, runtime: RuntimeDep) -> TokenPair:
    """Rotate the refresh token. A token that was already rotated revokes its whole session:
    two parties holding the same token means one of them stole it."""
    settings, store = runtime.settings, runtime.store
    new_refresh = new_token()
    result = await store.sessions.rotate(
        body.refresh_token, new_refresh, timedelta(seconds=settings.refresh_token_ttl_seconds)
    )
    if result.reused:
        log.warning("a rotated refresh token was presented again: its session is revoked")
    if result.session is None:
        raise _invalid_refresh()
    user = await store.users.get(result.session.user_id)
    if user is None or not user.is_active:
        await store.sessions.revoke(result.session.id, "inactive")
        raise _invalid_refresh()
    return await _token_pair(runtime, user, result.session.id, new_refresh)


@router.post("/logout", status_code=204, operation_id="logout")
async def logout(claims: ClaimsDep, store: StoreDep, body: RefreshRequest | None = None) -> Response:
    """Revoke the session: its refresh token and every access token naming it stop working now.

    The optional body (the refresh token) is accepted for clients that send it; the session is
    known from the access token, so it is not needed."""
    del body
    await store.sessions.revoke(claims.sid, "logout")
    return Response(status_code=204)

