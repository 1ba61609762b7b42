"""Every error a route can answer is in the OpenAPI schema, with the one error model.

Routers document what is particular to them (a 409 for a duplicate number, a 415 for a file
type). What follows from how a route is built is added here, once, by walking the routes, so no
router can forget it:

- a request body: 413 (the edge ceiling, ``api.body_limits``) and 422 (validation);
- any parameter: 422;
- the bearer-token dependency: 401; the admins-only dependency, and the second-factor
  enrolment ``ADMIN_REQUIRE_TOTP`` asks for: 403;
- a path parameter, or a query parameter naming a resource (``..._id``): 404;
- every route: 400 for a Host outside ``IGNACIO_ALLOWED_HOSTS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.deps import (
    get_claims,
    get_current_user,
    get_session_user,
    require_admin,
    require_staff,
)
from api.schemas import ErrorResponse

_ERROR = {"model": ErrorResponse}
# The bearer-token dependencies (each checks the token and session itself), and those of them
# that also ask an admin or mentor for an authenticator.
_SIGNED_IN = {get_claims, get_session_user, get_current_user, require_admin, require_staff}
_SECOND_FACTOR = {get_current_user, require_admin, require_staff}

# Routes whose checks are not dependencies the walk can see (the webhook verifies Meta's
# signature and verify token itself).
_EXTRA: dict[tuple[str, str], dict[int, str]] = {
    ("GET", "/webhooks/whatsapp"): {403: "The verify token does not match"},
    ("POST", "/webhooks/whatsapp"): {
        400: "Not a WhatsApp notification", 401: "Missing or invalid X-Hub-Signature-256",
        503: "Not stored now; Meta delivers it again",
    },
}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def _implied(route: APIRoute) -> dict[int, str]:
    dependant = route.dependant
    calls = set(_calls(dependant))
    implied = {400: "Host not served here"}
    has_body = route.body_field is not None or bool(route.openapi_extra
                                                     and "requestBody" in route.openapi_extra)
    if has_body:
        implied[413] = "Request body larger than this route's limit"
    if has_body or dependant.query_params or dependant.path_params or dependant.header_params:
        implied[422] = "The request does not match the schema"
    if calls & _SIGNED_IN:
        implied[401] = "Missing, invalid or expired access token, or the session ended"
    refused = []
    if require_admin in calls:
        refused.append("Admins only")
    elif require_staff in calls:
        refused.append("Mentors and admins only")
    if calls & _SECOND_FACTOR:
        refused.append("an admin or mentor must first enrol an authenticator (ADMIN_REQUIRE_TOTP)")
    if refused:
        text = "; ".join(refused)
        implied[403] = text[0].upper() + text[1:]
    named = [p.name for p in dependant.path_params + dependant.query_params]
    if dependant.path_params or any(name.endswith("_id") for name in named):
        implied[404] = "Not found (or not yours)"
    return implied


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every ``APIRoute``, also inside included routers (kept as their own routers)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (inner := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(inner.routes)


def document_error_responses(app: FastAPI) -> None:
    """Add the implied error responses to every API route (documented ones are kept)."""
    for route in _api_routes(app.routes):
        if not route.include_in_schema:
            continue
        implied = _implied(route)
        for method in route.methods or ():
            implied.update(_EXTRA.get((method, route.path_format), {}))
        for status, description in sorted(implied.items()):
            existing = route.responses.get(status)
            if existing is None:
                route.responses[status] = {"description": description, **_error_content(route)}
            elif "model" not in existing and "content" not in existing:
                existing.update(_error_content(route))


def _error_content(_route: APIRoute) -> dict[str, Any]:
    """The error model as JSON, by reference, whatever the route's own media type (FastAPI
    would file a ``model`` under it, e.g. the webhook's text/plain challenge). A reference, not
    a ``model``: FastAPI reads a route's models when the route is made, before this runs."""
    return {"content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/ErrorResponse"}}}}
