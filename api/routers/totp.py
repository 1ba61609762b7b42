"""An authenticator app as a second factor, for admins and mentors: enrol, confirm, disable,
regenerate the recovery codes. These routes stay reachable while ``ADMIN_REQUIRE_TOTP`` keeps
the rest of the API closed to an admin or mentor without an authenticator.

The secret is shown once, at enrolment, to its owner; recovery codes once, when they are made.
Neither is logged, and every step is audited (without them). Wrong codes count against the
same per-account and per-client limits as at sign-in.
"""

from __future__ import annotations

import logging
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from api.deps import RuntimeDep, client_ip, get_session_user
from api.schemas import ErrorResponse
from api.sign_in_limits import release_second_factor_check, reserve_second_factor_check
from api.totp_schemas import RecoveryCodes, TotpCode, TotpEnrolment, TotpStatus
from ignacio_agents import totp
from ignacio_agents.crypto import mask_phone
from ignacio_agents.errors import Conflict, Forbidden, InvalidInput
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.users import StoredUser

log = logging.getLogger(__name__)

router = APIRouter(prefix="/auth/totp", tags=["auth"],
                   responses={403: {"model": ErrorResponse, "description": "Mentors and admins only"}})


async def require_staff_session(
    user: Annotated[StoredUser, Depends(get_session_user)],
) -> StoredUser:
    """Admins and mentors, with or without an authenticator yet."""
    if not totp.is_staff(user):
        raise Forbidden("Two-step sign-in is for admins and mentors.")
    return user


StaffSession = Annotated[StoredUser, Depends(require_staff_session)]

_ERR = {"model": ErrorResponse}
_WRONG = {**_ERR, "description": "The code is not valid"}
_LIMITED = {**_ERR, "description": "Too many wrong codes; see Retry-After"}
_NO_STORE = {"cache-control": "no-store"}


def _wrong_code() -> InvalidInput:
    return InvalidInput("The code is not valid. Check the authenticator app and try again.",
                        code="invalid_totp_code")


async def _audit(runtime: Runtime, request: Request, user: StoredUser, action: str,
                 **details: object) -> None:
    await runtime.store.audit.record(actor_id=user.id, action=action, target_type="user",
                                     target_id=user.id, client_ip=client_ip(request),
                                     details=dict(details))


async def _checked(runtime: Runtime, request: Request, user: StoredUser, code: str, *,
                   allow_recovery: bool = True) -> totp.Method:
    """The code, counted against the wrong-code limits; 422 when it is not right."""
    store, settings, ip = runtime.store, runtime.settings, client_ip(request)
    await reserve_second_factor_check(store, settings, user.id, ip, signing_in=False)
    method = await totp.use_code(store, user.id, code, allow_recovery=allow_recovery)
    if method is None:
        await _audit(runtime, request, user, "security.second_factor_failed", step="manage")
        raise _wrong_code()
    await release_second_factor_check(store, settings, user.id, ip, signing_in=False)
    return method


async def _status(runtime: Runtime, user: StoredUser) -> TotpStatus:
    stored = await runtime.store.totp.get(user.id)
    enabled = stored is not None and stored.enabled
    required = runtime.settings.admin_require_totp
    return TotpStatus(
        enabled=enabled, enabled_at=stored.enabled_at if stored and enabled else None,
        required=required, enrolment_required=required and not enabled,
        recovery_codes_left=await runtime.store.totp.recovery_codes_left(user.id) if enabled else 0,
    )


@router.get("", response_model=TotpStatus, operation_id="totp_status")
async def totp_status(user: StaffSession, runtime: RuntimeDep) -> TotpStatus:
    """Whether this account signs in with an authenticator app, and whether it must."""
    return await _status(runtime, user)


@router.post("/enrolment", response_model=TotpEnrolment, operation_id="start_totp_enrolment",
             responses={409: {**_ERR, "description": "An authenticator is already enabled"}})
async def start_enrolment(user: StaffSession, runtime: RuntimeDep, request: Request) -> JSONResponse:
    """A new secret for the authenticator app (QR code and manual key), not active until
    confirmed with a first code. Starting again replaces an unconfirmed secret."""
    secret = totp.new_secret()
    if not await runtime.store.totp.start(user.id, secret):
        raise Conflict("Two-step sign-in is already on. Turn it off first to change the app.",
                       code="totp_already_enabled")
    account = user.name or mask_phone(user.phone_number)
    uri = totp.otpauth_uri(secret, account)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")
    await _audit(runtime, request, user, "totp.enrolment_started")
    body = TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg_data_uri=qr)
    return JSONResponse(body.model_dump(), headers=_NO_STORE)


@router.post("/enrolment/confirm", response_model=RecoveryCodes, operation_id="confirm_totp_enrolment",
             responses={409: {**_ERR, "description": "No enrolment started, or already enabled"},
                        422: _WRONG, 429: _LIMITED})
async def confirm_enrolment(body: TotpCode, user: StaffSession, runtime: RuntimeDep,
                            request: Request) -> JSONResponse:
    """Turn the authenticator on with its first code; answers the ten recovery codes, shown
    this once. The account's other sessions end (they were opened without the second factor)."""
    store, settings, ip = runtime.store, runtime.settings, client_ip(request)
    pending = await store.totp.get(user.id)
    if pending is None or pending.enabled:
        raise Conflict("Start the set-up first.", code="totp_not_pending")
    await reserve_second_factor_check(store, settings, user.id, ip, signing_in=False)
    step = totp.matching_step(pending.secret, totp.clean_code(body.code))
    if step is None or not await store.totp.use_step(user.id, step, enabled=False):
        await _audit(runtime, request, user, "security.second_factor_failed", step="enrolment")
        raise _wrong_code()
    await release_second_factor_check(store, settings, user.id, ip, signing_in=False)
    codes = totp.new_recovery_codes()
    await store.totp.enable(user.id, [totp.normalise_recovery_code(c) for c in codes])
    ended = await store.sessions.revoke_others(user.id, request.state.session_id, "second_factor_enabled")
    await _audit(runtime, request, user, "totp.enabled", other_sessions_ended=ended)
    log.info("user %s turned on two-step sign-in", user.id)
    return JSONResponse(RecoveryCodes(codes=codes).model_dump(), headers=_NO_STORE)


@router.post("/disable", status_code=204, operation_id="disable_totp",
             responses={409: {**_ERR, "description": "No authenticator is enabled"},
                        422: _WRONG, 429: _LIMITED})
async def disable(body: TotpCode, user: StaffSession, runtime: RuntimeDep,
                  request: Request) -> Response:
    """Turn the authenticator off, with a current code from it or a recovery code. With
    ``ADMIN_REQUIRE_TOTP`` the account can then reach only enrolment again."""
    if not await runtime.store.totp.is_enabled(user.id):
        raise Conflict("Two-step sign-in is not on.", code="totp_not_enabled")
    method = await _checked(runtime, request, user, body.code)
    await runtime.store.totp.disable(user.id)
    await _audit(runtime, request, user, "totp.disabled", method=method)
    log.info("user %s turned off two-step sign-in", user.id)
    return Response(status_code=204)


@router.post("/recovery-codes", response_model=RecoveryCodes, operation_id="regenerate_recovery_codes",
             responses={409: {**_ERR, "description": "No authenticator is enabled"},
                        422: _WRONG, 429: _LIMITED})
async def regenerate_recovery_codes(body: TotpCode, user: StaffSession, runtime: RuntimeDep,
                                    request: Request) -> JSONResponse:
    """Ten new recovery codes (the old ones stop working), for a current app code."""
    if not await runtime.store.totp.is_enabled(user.id):
        raise Conflict("Two-step sign-in is not on.", code="totp_not_enabled")
    await _checked(runtime, request, user, body.code, allow_recovery=False)
    codes = totp.new_recovery_codes()
    await runtime.store.totp.replace_recovery_codes(
        user.id, [totp.normalise_recovery_code(c) for c in codes])
    await _audit(runtime, request, user, "totp.recovery_codes_regenerated")
    return JSONResponse(RecoveryCodes(codes=codes).model_dump(), headers=_NO_STORE)
