"""Browser-side defences on every response, and the Host header checked against a list.

- A strict Content-Security-Policy: the built web app loads only its own scripts, styles,
  images (plus ``blob:``/``data:`` for previews of the participant's own files) and talks only to
  its own origin; no inline script, no plugins, no framing by anyone (``frame-ancestors 'none'``
  and ``X-Frame-Options: DENY`` for older browsers). One future injection bug then cannot run
  script or send data elsewhere.
- ``nosniff``, a referrer policy that never leaks paths to other origins, a permissions policy
  that turns off device APIs the app does not use, and a same-origin opener policy.
- HSTS only in production and only on requests that arrived over https (behind TLS): sending it
  from a plain-http development server would pin browsers to a scheme it cannot serve.

A header a route already set wins (downloads set their own ``sandbox`` CSP). The interactive API
docs are off in production (see ``api.app``); in development their page gets a policy that
allows the CDN it loads from, and nothing else does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "font-src 'self'; connect-src 'self'; media-src 'self' blob:; worker-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI / ReDoc pages (development only): their assets come from jsDelivr and the page
# starts them with an inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=63072000; includeSubDomains"
_DOCS_PATHS = ("/docs", "/redoc")

BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy",
     b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


def _host_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.decode("latin-1").strip().lower()
            if host.startswith("["):  # [::1]:8000
                return host.split("]", 1)[0] + "]"
            return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return ""


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """``*`` allows any host; ``*.example.org`` allows its subdomains (not the apex)."""
    for pattern in allowed:
        pattern = pattern.strip().lower()
        if pattern == "*" or pattern == host:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


class SecurityHeadersMiddleware:
    """Pure ASGI: refuses unknown hosts (400) and adds the headers above to every response."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: list[str], hsts: bool):
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not host_allowed(_host_of(scope), self.allowed_hosts):
            await _send_bad_host(send)
            return
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path.startswith(_DOCS_PATHS) else APP_CSP
        extra = [*BASE_HEADERS, (b"content-security-policy", csp.encode())]
        if self.hsts and scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _send_bad_host(send: Send) -> None:
    body = json.dumps({"error": {"code": "invalid_host",
                                 "message": "This server does not answer for that host name."}})
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            *BASE_HEADERS]})
    await send({"type": "http.response.body", "body": body.encode()})
