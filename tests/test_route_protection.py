"""Every route the app registers is walked, so a route added later without protection fails here.

- Without a token: 401 everywhere except the public list below.
- With a participant's token: 403 on every admin route (``/admin/*`` and user management) and
  every mentor route (``/mentor/*``).
- With a mentor's token: 404 on every mentor route naming another mentor's participant's
  conversation or queue item, 403 on the admin routes, while their own participant's are found.
- With user A's token and user B's ids: 404 on every route taking a ``{conversation_id}``,
  ``{message_id}`` or ``{file_id}`` (request bodies are generated from the OpenAPI schema, so
  the ownership check is reached rather than a 422), while A's own ids are found.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from ignacio_agents.blobs import file_key
from ignacio_agents.domain import MessageType
from ignacio_agents.store.messages import NewMessage

# (method, path) pairs that answer without a token. Everything else must say 401.
PUBLIC = {
    ("POST", "/auth/request-otp"), ("POST", "/auth/verify-otp"), ("POST", "/auth/refresh"),
    ("POST", "/auth/second-factor"),  # the challenge token from verify-otp instead
    ("GET", "/webhooks/whatsapp"), ("POST", "/webhooks/whatsapp"),  # Meta's signature instead
    ("GET", "/health"),
    ("GET", "/auth/code-delivery"),  # where the sign-in code goes, for the sign-in page
    # API documentation and the static web UI
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc"),
    ("GET", "/"), ("GET", "/{name}.{ext}"), ("GET", "/assets"),
}
OWNED_PARAMS = ("conversation_id", "message_id", "file_id")


def is_admin_route(path: str) -> bool:
    return path.startswith("/admin/") or path == "/users" or (
        path.startswith("/users/") and not path.startswith("/users/me")
    )


def is_staff_route(path: str) -> bool:
    """Mentors' and admins' routes (a participant is refused all of them)."""
    return path.startswith("/mentor/")


def routes(app: Any) -> list[tuple[str, str, Any]]:
    """(method, path, route) for everything registered, included routers flattened."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        methods = sorted((ctx.methods or {"GET"}) - {"HEAD"})
        out += [(m, ctx.path, ctx.original_route) for m in methods]
    return out


def fill(path: str, values: dict[str, str] | None = None) -> str:
    values = values or {}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


@pytest.fixture
async def web_dist(tmp_path) -> Any:
    """A built web UI, so the static routes are registered and walked too."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Ignacio</title>")
    (dist / "assets" / "app.js").write_text("console.log('hi')")
    (dist / "favicon.svg").write_text("<svg/>")
    return dist


@pytest.fixture
async def app_client(make_client, make_settings, web_dist) -> Any:
    return await make_client(make_settings(web_dist_dir=web_dist))


async def test_every_route_but_the_public_ones_needs_a_token(app_client):
    walked = routes(app_client.app)
    paths = {p for _, p, _ in walked}
    assert {"/users/me", "/admin/audit", "/auth/logout", "/"} <= paths  # the walk sees everything
    unprotected = []
    for method, path, _ in walked:
        if (method, path) in PUBLIC:
            continue
        for headers in ({}, {"Authorization": "Bearer not-a-jwt"}):
            resp = await app_client.request(method, fill(path), headers=headers)
            if resp.status_code != 401 or resp.json()["error"]["code"] != "unauthorized":
                unprotected.append((method, path, headers, resp.status_code))
    assert unprotected == []
    for method, path in {("POST", "/auth/logout"), ("GET", "/users/me")}:
        resp = await app_client.request(method, path)
        assert resp.headers["WWW-Authenticate"] == "Bearer"


async def test_public_routes_answer_without_a_token(app_client):
    assert (await app_client.get("/health")).status_code == 200
    assert (await app_client.get("/openapi.json")).status_code == 200
    assert (await app_client.get("/")).status_code == 200
    assert (await app_client.get("/favicon.svg")).status_code == 200
    assert (await app_client.get("/assets/app.js")).status_code == 200
    for path in ("/auth/request-otp", "/auth/verify-otp"):
        assert (await app_client.post(path, json={})).status_code == 422
    # Refresh needs no bearer token, only the refresh cookie (none here).
    refresh = await app_client.post("/auth/refresh")
    assert refresh.status_code == 401 and refresh.json()["error"]["code"] == "invalid_refresh_token"


async def test_every_admin_route_is_403_for_a_participant(app_client):
    rt = app_client.app.state.runtime
    user = await rt.store.users.create("+34612000001", "Ana")
    from datetime import timedelta

    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token

    session = await rt.store.sessions.create(user.id, new_token(), timedelta(hours=1))
    headers = {"Authorization": f"Bearer {issue_access_token(rt.settings, user.id, session.id, False)}"}
    admin_routes = [(m, p) for m, p, _ in routes(app_client.app)
                    if is_admin_route(p) or is_staff_route(p)]
    assert {("GET", "/users"), ("POST", "/users"), ("PUT", "/users/{user_id}"),
            ("DELETE", "/users/{user_id}"), ("GET", "/admin/conversations"),
            ("GET", "/admin/conversations/{conversation_id}"),
            ("GET", "/admin/users/{user_id}/conversations"), ("GET", "/admin/audit"),
            ("POST", "/mentor/conversations/{conversation_id}/pause"),
            ("GET", "/mentor/queue")} <= set(admin_routes)
    allowed = []
    for method, path in admin_routes:
        resp = await app_client.request(method, fill(path, {"user_id": str(user.id)}), headers=headers)
        if resp.status_code != 403 or resp.json()["error"]["code"] != "forbidden":
            allowed.append((method, path, resp.status_code))
    assert allowed == []
    # And the participant's own routes do work with that token.
    assert (await app_client.get("/users/me", headers=headers)).status_code == 200


# --- user A never reaches user B's things -------------------------------------------------------


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def example(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """The smallest value the schema accepts (required fields only)."""
    schema = _resolve(schema, spec)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, spec).get("type") != "null"]
            return example(options[0], spec) if options else None
    if "allOf" in schema:
        return example(schema["allOf"][0], spec)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: example(props[k], spec) for k in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {}), spec) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        low, high = schema.get("minimum", 1), schema.get("maximum", 1)
        return 1 if low <= 1 <= high else low
    if kind == "boolean":
        return False
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    return "x" * max(1, schema.get("minLength", 1))


def request_kwargs(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    body = spec["paths"].get(path, {}).get(method.lower(), {}).get("requestBody")
    if not body:
        return {}
    content = body["content"]
    if "application/json" in content:
        return {"json": example(content["application/json"]["schema"], spec)}
    if "multipart/form-data" in content:
        return {"files": {"file": ("note.txt", b"hello", "text/plain")}}
    return {}


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _owned_things(rt: Any, user: Any) -> dict[str, str]:
    """A conversation with a question and an answer, and a stored file, all the user's."""
    store = rt.store
    file_id = uuid.uuid4()
    key = file_key(user.id, file_id, "plan.txt")
    await rt.blobs.put(key, _one(b"plan"), "text/plain")
    await store.files.create(file_id=file_id, user_id=user.id, file_name="plan.txt", file_path=key,
                             file_type="text/plain", file_size=4, kind=MessageType.document,
                             extraction_status="done")
    conv = await store.conversations.create(user.id, "web", "Plan")
    await store.messages.add(NewMessage(
        conversation_id=conv.id, user_id=user.id, is_from_user=True, content="hola",
    ))
    answer = await store.messages.add(NewMessage(
        conversation_id=conv.id, user_id=user.id, is_from_user=False, content="¡Hola!", agent="general",
    ))
    return {"conversation_id": str(conv.id), "message_id": str(answer.id), "file_id": str(file_id)}


async def test_user_a_gets_404_for_user_bs_things(app_client):
    rt = app_client.app.state.runtime
    from datetime import timedelta

    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token

    a = await rt.store.users.create("+34612000001", "Ana")
    b = await rt.store.users.create("+34612000002", "Bruno")
    session = await rt.store.sessions.create(a.id, new_token(), timedelta(hours=1))
    a_headers = {"Authorization": f"Bearer {issue_access_token(rt.settings, a.id, session.id, False)}"}
    mine, theirs = await _owned_things(rt, a), await _owned_things(rt, b)
    spec = app_client.app.openapi()

    targets = [
        (m, p) for m, p, r in routes(app_client.app)
        if isinstance(r, APIRoute) and not is_admin_route(p) and not is_staff_route(p)
        and any("{" + name + "}" in p for name in OWNED_PARAMS)
    ]
    # Conversations, messages and files all have by-id routes today; later ones join the walk.
    assert {n for n in OWNED_PARAMS if any("{" + n + "}" in p for _, p in targets)} == set(OWNED_PARAMS)
    leaks = []
    for method, path in targets:
        resp = await app_client.request(method, fill(path, theirs), headers=a_headers,
                                        **request_kwargs(spec, method, path))
        if resp.status_code != 404:
            leaks.append((method, path, resp.status_code, resp.text[:200]))
    assert leaks == []
    # The 404s are about ownership: the same reads with A's own ids succeed.
    for method, path in targets:
        if method == "GET":
            resp = await app_client.get(fill(path, mine), headers=a_headers, follow_redirects=False)
            assert resp.status_code in (200, 302, 307), (path, resp.status_code)
    # And nothing of B's changed.
    store = rt.store
    assert await store.conversations.get(uuid.UUID(theirs["conversation_id"])) is not None
    assert len(await store.messages.transcript(uuid.UUID(theirs["conversation_id"]))) == 2
    assert (await store.messages.get(uuid.UUID(theirs["message_id"]))).feedback is None
    assert await store.files.get(uuid.UUID(theirs["file_id"])) is not None


# --- a mentor reaches only their own participants ---------------------------------------------


async def _queued_item(rt: Any, things: dict[str, str]) -> str:
    """A thumbs-down on the conversation's answer (the queue fills itself) as a queue item."""
    owner = (await rt.store.messages.get(uuid.UUID(things["message_id"]))).user_id
    await rt.store.feedback.record(uuid.UUID(things["message_id"]), owner, -1, tags=["unclear"])
    [item] = [i for i in (await rt.store.attention.open()).items
              if str(i.message_id) == things["message_id"]]
    return str(item.id)


async def test_a_mentor_gets_404_for_other_participants_and_403_for_admin_routes(app_client):
    rt = app_client.app.state.runtime
    from datetime import timedelta

    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token

    mentor = await rt.store.users.create("+34612000009", "Marta")
    await rt.store.users.update(mentor.id, is_mentor=True)
    a = await rt.store.users.create("+34612000001", "Ana")
    b = await rt.store.users.create("+34612000002", "Bruno")
    await rt.store.mentoring.assign(mentor.id, a.id, assigned_by=None)
    session = await rt.store.sessions.create(mentor.id, new_token(), timedelta(hours=1))
    headers = {"Authorization": f"Bearer {issue_access_token(rt.settings, mentor.id, session.id, False)}"}
    mine, theirs = await _owned_things(rt, a), await _owned_things(rt, b)
    mine["item_id"], theirs["item_id"] = await _queued_item(rt, mine), await _queued_item(rt, theirs)
    spec = app_client.app.openapi()

    targets = [(m, p) for m, p, r in routes(app_client.app)
               if isinstance(r, APIRoute) and is_staff_route(p)
               and ("{conversation_id}" in p or "{item_id}" in p)]
    assert {("GET", "/mentor/conversations/{conversation_id}"),
            ("POST", "/mentor/conversations/{conversation_id}/messages"),
            ("POST", "/mentor/queue/{item_id}/resolve")} <= set(targets)
    leaks = []
    for method, path in targets:
        resp = await app_client.request(method, fill(path, theirs), headers=headers,
                                        **request_kwargs(spec, method, path))
        if resp.status_code != 404:
            leaks.append((method, path, resp.status_code, resp.text[:200]))
    assert leaks == []
    # Their own participant's conversation and queue item are found.
    assert (await app_client.get(fill("/mentor/conversations/{conversation_id}", mine),
                                 headers=headers)).status_code == 200
    listed = (await app_client.get("/mentor/queue", headers=headers)).json()["items"]
    assert [i["id"] for i in listed] == [mine["item_id"]]
    conversations = (await app_client.get("/mentor/conversations", headers=headers)).json()["items"]
    assert [c["id"] for c in conversations] == [mine["conversation_id"]]
    # Files are the participant's own: no mentor route serves them, and the file route is 404.
    resp = await app_client.get(fill("/files/{file_id}", theirs), headers=headers)
    assert resp.status_code == 404
    # Admin routes stay closed to a mentor.
    for method, path in [(m, p) for m, p, _ in routes(app_client.app) if is_admin_route(p)]:
        resp = await app_client.request(method, fill(path), headers=headers)
        assert resp.status_code == 403, (method, path, resp.status_code)
    # Nothing of B's changed, and the mentor's reads are in the audit log.
    assert await rt.store.mentoring.get_pause(uuid.UUID(theirs["conversation_id"]),
                                              timeout_seconds=None) is None
    assert len(await rt.store.messages.transcript(uuid.UUID(theirs["conversation_id"]))) == 2
    assert (await rt.store.attention.get(uuid.UUID(theirs["item_id"]))).resolved_at is None
    views = (await rt.store.audit.list(actor_id=mentor.id, action="transcript.view")).items
    assert [v.target_id for v in views] == [mine["conversation_id"]]


# --- malformed input is a 4xx with the error body, never a 5xx ----------------------------------

NUL = "a\x00b"  # valid JSON and a valid URL, but no PostgreSQL text column can hold it
HUGE = "x" * 100_000  # for bodies
LONG = "x" * 5_000  # for URLs: longer than any listed limit, shorter than servers' URL limits


def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Opaque cursors as a client could tamper with them: not base64, not JSON, the wrong shape,
# a time that is not a time, an id of the wrong type, out-of-range values.
BAD_CURSORS = [
    "!!!", "%%%", NUL, LONG, _b64(b"not json"), _b64(b"{}"), _b64(b"[]"), _b64(b"[1, 2, 3]"),
    _b64(b'["not a time", "x"]'), _b64(b'["2026-01-01T00:00:00+00:00", "not-an-id"]'),
    _b64(b'["2026-01-01T00:00:00+00:00", "99999999999999999999999"]'),
    _b64(b'["2026-01-01T00:00:00+00:00", null]'), _b64(b"[null, null]"),
    _b64(f'["2026-01-01T00:00:00+00:00", "{uuid.uuid4()}\\u0000"]'.encode()),
]
BAD_IDS = ["not-a-uuid", "1", "-1", "0" * 100, LONG, "%00", "..%2F..%2Fetc", "' or 1=1 --"]


def _options(schema: dict[str, Any], spec: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema, spec)
    return [_resolve(s, spec) for s in schema.get("anyOf", schema.get("oneOf", [schema]))]


def _bad_json_values(schema: dict[str, Any], spec: dict[str, Any]) -> list[Any]:
    """JSON values of the wrong type for a body field, plus out-of-range and oversized ones."""
    options = _options(schema, spec)
    kinds = {o.get("type") for o in options}
    if kinds & {"string"} or any("enum" in o for o in options):
        return [12345, True, {"nested": True}, NUL, HUGE]
    out: list[Any] = ["not-a-number-or-object"]
    if not kinds & {"object"} and not any("properties" in o for o in options):
        out += [{"nested": True}]
    if kinds & {"integer", "number"}:
        out += [10**40, -(10**40), 1.5e308, True]
    if "array" in kinds:
        out += [[{"x": 1}] * 1000, [HUGE] * 20]
    return out


def _bad_query_values(schema: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """Query strings a parameter must refuse: not of its type, a NUL, longer than any limit."""
    options = [o for o in _options(schema, spec) if o.get("type") != "null"]
    typed = any(o.get("type") != "string" or "format" in o or "enum" in o for o in options)
    out = [NUL, LONG]
    if typed:
        out += ["not-a-valid-value", "1e400", "9" * 40]
    return out


def _body_mutations(spec: dict[str, Any], method: str, path: str) -> list[tuple[str, dict[str, Any]]]:
    body = spec["paths"][path][method.lower()].get("requestBody")
    if not body or "application/json" not in body["content"]:
        return []
    schema = body["content"]["application/json"]["schema"]
    base = example(schema, spec)
    out: list[tuple[str, dict[str, Any]]] = [
        ("body not json", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
        ("body array", {"json": [base]}),
        ("body string", {"json": "x"}),
    ]
    props = _resolve(schema, spec).get("properties", {})
    for name, prop in props.items():
        for bad in _bad_json_values(prop, spec):
            out.append((f"body {name}={str(bad)[:20]!r}", {"json": {**(base or {}), name: bad}}))
    return out


def _query_mutations(op: dict[str, Any], spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for param in op.get("parameters", []):
        if param["in"] != "query":
            continue
        name = param["name"]
        values = BAD_CURSORS if name == "cursor" else _bad_query_values(param["schema"], spec)
        out += [(f"query {name}={v[:20]!r}", {"params": {name: v}}) for v in values]
    return out


def _path_mutations(path: str, ids: dict[str, str]) -> list[tuple[str, str]]:
    names = re.findall(r"\{(\w+)\}", path)
    return [(f"path {name}={bad[:20]!r}", fill(path, {**ids, name: bad}))
            for name in names for bad in BAD_IDS]


def malformed_requests(
    spec: dict[str, Any], ids: dict[str, str]
) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """(method, template, label, url, request kwargs) for every operation in the schema. Path
    ids not being mutated are real ones (``ids``), so a bad query or body reaches the handler."""
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            method = method.upper()
            base = request_kwargs(spec, method, path)
            out += [(method, path, label, url, base) for label, url in _path_mutations(path, ids)]
            out += [(method, path, label, fill(path, ids), {**base, **kw})
                    for label, kw in _query_mutations(op, spec)]
            out += [(method, path, label, fill(path, ids), kw)
                    for label, kw in _body_mutations(spec, method, path)]
    return out


async def test_malformed_ids_cursors_types_and_sizes_are_4xx_on_every_route(app_client):
    rt = app_client.app.state.runtime
    from datetime import timedelta

    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token

    admin = await rt.store.users.create("+34612000009", "Admin", is_admin=True)
    ids = {**await _owned_things(rt, admin), "user_id": str(admin.id)}
    spec = app_client.app.openapi()
    requests = malformed_requests(spec, ids)
    templates = {(m, p) for m, p, *_ in requests}
    assert {("GET", "/conversations"), ("GET", "/files"), ("PUT", "/users/{user_id}"),
            ("GET", "/conversations/{conversation_id}/messages")} <= templates
    assert len(requests) > 300
    failures = []
    for method, path, label, url, kwargs in requests:
        # A fresh session per request: a malformed request must not end the walk (logout).
        session = await rt.store.sessions.create(admin.id, new_token(), timedelta(hours=1))
        token = issue_access_token(rt.settings, admin.id, session.id, True)
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        try:
            resp = await app_client.request(method, url, headers=headers, **kwargs)
        except Exception as exc:  # the test transport re-raises what the app answered 500 for
            failures.append((method, path, label, 500, type(exc).__name__))
            continue
        body = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
        error = body.get("error") if isinstance(body, dict) else None
        ok = 400 <= resp.status_code < 500 and isinstance(error, dict) \
            and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)
        if not ok:
            failures.append((method, path, label, resp.status_code, resp.text[:120]))
    assert failures == [], "\n".join(map(repr, failures))
