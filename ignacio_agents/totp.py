"""A second factor for admins and mentors: time-based one-time passwords (RFC 6238, the codes
authenticator apps show) and single-use recovery codes.

A code is accepted for the current 30-second step and one step either side (clocks drift), and
only if its step is newer than the last one accepted for that user: a code seen over someone's
shoulder, or sent twice, is refused the second time. Recovery codes are ten random strings shown
once; only their keyed hashes are kept and each works once.

When ``ADMIN_REQUIRE_TOTP`` is on, an admin or mentor without an enabled authenticator can use
their session only to enrol one (``enrolment_required``).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from typing import Literal
from uuid import UUID

import pyotp

from ignacio_agents.db import Conn
from ignacio_agents.errors import Forbidden
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store
from ignacio_agents.store.users import StoredUser

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
ISSUER = "Ignacio"
# No look-alikes (0/o, 1/l/i): a code copied from paper still reads right.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10

Method = Literal["totp", "recovery_code"]

# The wall clock codes are checked against (tests move it forward in 30-second steps).
clock: Callable[[], float] = time.time


class EnrolmentRequired(Forbidden):
    """An admin or mentor must set up an authenticator before anything else."""

    code = "totp_enrolment_required"
    default_message = ("Set up two-step sign-in with an authenticator app first: it is required "
                       "for admins and mentors.")


def new_secret() -> str:
    """A fresh shared secret: 32 base32 characters (160 bits, RFC 4226's recommendation)."""
    return pyotp.random_base32()


def otpauth_uri(secret: str, account: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=ISSUER)


def matching_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step whose code ``code`` is (current one, or one either side), else None."""
    if not is_totp_code(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now_step = int((clock() if at is None else at) // STEP_SECONDS)
    found = None
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        # Every candidate is compared (constant work whichever matches).
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            found = step
    return found


def is_totp_code(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def new_recovery_codes() -> list[str]:
    """Ten codes as shown to the user: ``abcde-fghjk``."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(text: str) -> str:
    """What is hashed: lower case, without the dash or spaces a person may type."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def clean_code(text: str) -> str:
    """A typed code without spaces ("123 456" is how apps show it)."""
    return "".join(text.split())


async def use_code(store: Store, user_id: UUID, code: str, *, conn: Conn | None = None,
                   allow_recovery: bool = True) -> Method | None:
    """Accept a current TOTP code (once: its step is recorded) or an unused recovery code
    (spent); None for anything else. The user's authenticator must be enabled."""
    code = clean_code(code)
    if is_totp_code(code):
        totp = await store.totp.get(user_id, conn=conn)
        if totp is None or not totp.enabled:
            return None
        step = matching_step(totp.secret, code)
        if step is not None and await store.totp.use_step(user_id, step, enabled=True, conn=conn):
            return "totp"
        return None
    recovery = normalise_recovery_code(code)
    if (allow_recovery and len(recovery) == _RECOVERY_LENGTH
            and await store.totp.use_recovery_code(user_id, recovery, conn=conn)):
        return "recovery_code"
    return None


def is_staff(user: StoredUser) -> bool:
    return user.is_admin or user.is_mentor


async def enrolment_required(store: Store, settings: Settings, user: StoredUser) -> bool:
    """True when this user's sessions may reach only the enrolment endpoints."""
    if not settings.admin_require_totp or not is_staff(user):
        return False
    return not await store.totp.is_enabled(user.id)
