"""The refresh token travels only in a cookie page script cannot read.

``HttpOnly`` (no ``document.cookie``, no storage: an injected script cannot carry the token
away), ``Secure`` whenever the request came over https (always in production),
``SameSite=Strict`` and ``Path=/auth`` (sent only to the sign-in routes, never with a cross-site
request). The routes that act on it also check that a browser's request comes from this origin
(``Origin`` / ``Sec-Fetch-Site``), so no other site can make the browser refresh or sign out.
"""

from __future__ import annotations

from fastapi import Request, Response

from ignacio_agents.errors import Forbidden
from ignacio_agents.settings import Settings

REFRESH_COOKIE = "ignacio_refresh"
COOKIE_PATH = "/auth"


def _secure(request: Request, settings: Settings) -> bool:
    return settings.is_production or request.url.scheme == "https"


def set_refresh_cookie(response: Response, request: Request, settings: Settings,
                       token: str) -> None:
    response.set_cookie(
        REFRESH_COOKIE, token, max_age=settings.refresh_token_ttl_seconds, path=COOKIE_PATH,
        secure=_secure(request, settings), httponly=True, samesite="strict",
    )


def clear_refresh_cookie(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH, secure=_secure(request, settings),
                           httponly=True, samesite="strict")


def refresh_token_of(request: Request) -> str | None:
    token = request.cookies.get(REFRESH_COOKIE)
    return token if token and len(token) <= 512 else None


async def require_same_origin(request: Request) -> None:
    """Refuse (403) a browser request another site made. Non-browser clients send neither
    header and hold no browser cookie, so they are not affected."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise _cross_origin()
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if origin == "null" or origin.split("://", 1)[-1].lower() != host.lower():
        raise _cross_origin()


def _cross_origin() -> Forbidden:
    return Forbidden("This request must come from the app itself.", code="cross_origin")
