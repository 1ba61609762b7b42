"""How sign-in is rate limited, so that it protects without letting anyone lock people out.

Code requests (``/auth/request-otp``), per window:

- per number *and* requesting client (``OTP_RATE_LIMIT_PER_PHONE``, 3): the limit that normally
  blocks. Requests a third party makes for someone's number count against the third party's
  client only, so they cannot stop the owner from getting a code on their own device.
- per number from all clients (``OTP_RATE_LIMIT_PER_PHONE_TOTAL``, 10): a ceiling on how many
  WhatsApp messages one number can be sent, high enough that one client alone cannot reach it.
- per client (``OTP_RATE_LIMIT_PER_IP``, 20), across numbers.

Code checks (``/auth/verify-otp``): each code already dies after ``OTP_MAX_ATTEMPTS`` wrong
tries, but a client could spread guesses over many numbers. So *failed* checks are limited per
client (``OTP_VERIFY_FAILURES_PER_IP``) and over all clients (``OTP_VERIFY_FAILURES_GLOBAL``).
A slot is reserved before the check (parallel guesses cannot overshoot) and given back when the
code was right, so a classroom signing in from one address is not slowed by its successes.
The moment a client uses up its failures, a security event goes to the audit log.

Second-factor codes (``/auth/second-factor`` and the authenticator routes): wrong ones are
limited per account (``TOTP_FAILURES_PER_USER``); at sign-in they also take the client's
failed-code slots, shared with the WhatsApp codes.

Unenrolled numbers count exactly like enrolled ones everywhere (nothing reveals enrolment).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID

from ignacio_agents.errors import RateLimited
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store
from ignacio_agents.store.rate_limits import Limit, RateDecision

log = logging.getLogger(__name__)

GUESSING_EVENT = "security.sign_in_code_guessing"


def _window(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.otp_rate_limit_window_seconds)


def _refused(decision: RateDecision, what: str) -> RateLimited:
    return RateLimited(f"Too many {what}. Try again in {decision.retry_after} seconds.",
                       retry_after=decision.retry_after)


async def allow_code_request(store: Store, settings: Settings, e164: str, ip: str) -> None:
    """Count a code request, or raise 429 with an exact ``Retry-After``."""
    decision = await store.rate_limits.hit(
        [Limit("otp_ip", ip, settings.otp_rate_limit_per_ip),
         Limit("otp_phone_client", f"{e164}|{ip}", settings.otp_rate_limit_per_phone),
         Limit("otp_phone", e164, settings.otp_rate_limit_per_phone_total)],
        _window(settings),
    )
    if not decision.allowed:
        raise _refused(decision, "codes requested")


def _verify_limits(settings: Settings, ip: str) -> list[Limit]:
    return [Limit("verify_fail_ip", ip, settings.otp_verify_failures_per_ip),
            Limit("verify_fail_all", "*", settings.otp_verify_failures_global)]


async def reserve_code_check(store: Store, settings: Settings, ip: str) -> None:
    """Reserve one failed-check slot for this client (raise 429 when none is left)."""
    decision = await store.rate_limits.hit(_verify_limits(settings, ip), _window(settings))
    if not decision.allowed:
        raise _refused(decision, "wrong codes")
    if decision.remaining == 0:
        # This check takes the client's last slot: a burst of wrong codes, audited once.
        log.warning("sign-in code guessing: a client used up its failed-code limit")
        await store.audit.record(
            actor_id=None, action=GUESSING_EVENT, target_type="client", client_ip=ip,
            details={"per_client_limit": settings.otp_verify_failures_per_ip,
                     "global_limit": settings.otp_verify_failures_global,
                     "window_seconds": settings.otp_rate_limit_window_seconds},
        )


async def release_code_check(store: Store, settings: Settings, ip: str) -> None:
    """The code was right: the reserved slot is given back."""
    await store.rate_limits.refund(_verify_limits(settings, ip))


# --- the second factor (authenticator codes and recovery codes) ----------------------------------

SECOND_FACTOR_GUESSING_EVENT = "security.second_factor_guessing"


def _second_factor_limits(settings: Settings, user_id: UUID, ip: str,
                          signing_in: bool) -> list[Limit]:
    """Wrong second-factor codes per account (``TOTP_FAILURES_PER_USER``); while signing in,
    also the client's and everyone's failed-code slots shared with the WhatsApp codes (a
    signed-in user managing their authenticator is not guessing from the outside)."""
    limits = [Limit("totp_fail_user", str(user_id), settings.totp_failures_per_user)]
    return limits + _verify_limits(settings, ip) if signing_in else limits


async def reserve_second_factor_check(store: Store, settings: Settings, user_id: UUID,
                                      ip: str, *, signing_in: bool) -> None:
    """Reserve one failed-code slot for this account (and, signing in, this client); 429
    when none is left."""
    limits = _second_factor_limits(settings, user_id, ip, signing_in)
    decision = await store.rate_limits.hit(limits, _window(settings))
    if not decision.allowed:
        raise _refused(decision, "wrong codes")
    if decision.remaining == 0:
        log.warning("second-factor guessing: an account used up its failed-code limit")
        await store.audit.record(
            actor_id=user_id, action=SECOND_FACTOR_GUESSING_EVENT, target_type="user",
            target_id=user_id, client_ip=ip,
            details={"per_user_limit": settings.totp_failures_per_user,
                     "window_seconds": settings.otp_rate_limit_window_seconds},
        )


async def release_second_factor_check(store: Store, settings: Settings, user_id: UUID,
                                      ip: str, *, signing_in: bool) -> None:
    """The code was right: the reserved slots are given back."""
    await store.rate_limits.refund(_second_factor_limits(settings, user_id, ip, signing_in))
