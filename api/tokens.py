"""Access tokens: short-lived JWTs whose ``sid`` names a session checked on every request,
so logging out stops them at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
from pydantic import BaseModel

from ignacio_agents.errors import Unauthorized
from ignacio_agents.settings import Settings

_ALGORITHM = "HS256"


class AccessClaims(BaseModel):
    sub: UUID
    sid: UUID
    admin: bool
    iat: int
    exp: int
    jti: str


class InvalidToken(Unauthorized):
    """Not a token we issued, or one that has expired."""

    default_message = "invalid or expired token"


def issue_access_token(settings: Settings, user_id: UUID, session_id: UUID, is_admin: bool) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id), "sid": str(session_id), "admin": is_admin,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.access_token_ttl_seconds)).timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, settings.secret("jwt_secret_key"), algorithm=_ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
        data = jwt.decode(
            token, settings.secret("jwt_secret_key"), algorithms=[_ALGORITHM],
            options={"require": ["sub", "sid", "exp", "iat"]},
        )
        return AccessClaims.model_validate(data)
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken() from exc


def refresh_successor(settings: Settings, refresh_token: str) -> str:
    """The token that replaces ``refresh_token`` at rotation: derived (keyed, so unguessable
    without the server's key) rather than random, so tabs refreshing at the same moment with
    the same token are all given the same successor (see ``SessionStore.rotate``)."""
    digest = hmac.new(settings.secret("jwt_secret_key").encode(),
                      b"refresh-successor:" + refresh_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
