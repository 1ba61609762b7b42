"""Request and response shapes of the second factor (TOTP) routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas import Input


class SecondFactorRequired(BaseModel):
    """The WhatsApp code was right, and this account also signs in with an authenticator app:
    send ``challenge_token`` with that code (or a recovery code) to ``/auth/second-factor``. It
    is not a session."""

    second_factor_required: Literal[True] = True
    challenge_token: str
    expires_in: int  # seconds the challenge lives
    methods: list[Literal["totp", "recovery_code"]] = ["totp", "recovery_code"]


class SecondFactorVerify(Input):
    challenge_token: str = Field(min_length=1, max_length=128)
    code: str = Field(min_length=1, max_length=32, description="6-digit app code or a recovery code")


class TotpCode(Input):
    code: str = Field(min_length=1, max_length=32, description="6-digit app code (or a recovery code)")


class TotpStatus(BaseModel):
    enabled: bool
    enabled_at: datetime | None
    required: bool  # ADMIN_REQUIRE_TOTP applies to this account
    enrolment_required: bool  # required and not enabled: only enrolment is reachable
    recovery_codes_left: int


class TotpEnrolment(BaseModel):
    """Shown once, to its owner: the secret for manual entry, the URI, its QR code."""

    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str  # data:image/svg+xml,... ready for an <img>


class RecoveryCodes(BaseModel):
    """Shown once: only their hashes are kept. Each works once instead of an app code."""

    codes: list[str]
