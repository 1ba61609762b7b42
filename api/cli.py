"""The ``ignacio`` command: serve, worker, migrate, create-admin, verify-audit,
export-eval-cases, openapi.

The quality suites are not part of the server: they run from a checkout with ``python -m evals``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from ignacio_agents.errors import Conflict
from ignacio_agents.settings import ConfigError, load_settings

T = TypeVar("T")


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.server import Server

    settings = load_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    # Workers in their own processes by default: a busy worker never delays the API.
    processes = 0 if args.no_worker else settings.worker_processes
    run_here = False if args.no_worker or processes else settings.run_worker_in_process
    app = create_app(settings, run_worker=run_here, worker_processes=processes)
    print(f"Ignacio on http://{host}:{port}  (docs: /docs, health: /health)", flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level=settings.log_level.lower(),
                            proxy_headers=True, forwarded_allow_ips=args.forwarded_allow_ips,
                            timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
                            h11_max_incomplete_event_size=settings.max_header_bytes,
                            limit_concurrency=settings.max_connections,
                            timeout_keep_alive=settings.keep_alive_seconds)
    Server(config).run()
    return 0


async def _exit_with_parent(parent_pid: int, task: asyncio.Task[None]) -> None:
    """A worker started by ``ignacio serve`` stops (gracefully) if that process is gone."""
    import os

    while True:
        await asyncio.sleep(2.0)
        if os.getppid() != parent_pid:  # re-parented: the serving process died
            break
    print("Ignacio worker: the serving process is gone; stopping", flush=True)
    task.cancel()


async def _run_worker(parent_pid: int | None = None) -> None:
    from api import composition
    from api.observability import configure_logging, configure_tracing
    from channels.installed import installed_channels
    from ignacio_agents.jobs import WorkerSupervisor, worker_options
    from ignacio_agents.runtime import open_runtime

    settings = load_settings()
    configure_logging(settings)
    configure_tracing(settings)
    async with open_runtime(settings, blueprints=composition.all_blueprints(),
                            channels=installed_channels(settings)) as runtime:
        supervisor = WorkerSupervisor(runtime.jobs, worker_options(runtime))
        task = asyncio.create_task(supervisor.run())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        watcher = None
        if parent_pid is not None:
            watcher = asyncio.create_task(_exit_with_parent(parent_pid, task))
        print("Ignacio worker running (Ctrl+C to stop)", flush=True)
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if watcher is not None:
            watcher.cancel()


def run_on_fast_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop when it is installed, as uvicorn runs the API, else on asyncio's
    own loop: a worker's turns then run on the loop the API's turns run on. A turn is many small
    awaits (PydanticAI's task groups, psycopg waits); on uvloop it takes 2-9 % less CPU
    (``bench/engine_overhead.py``, back to back on a quiet machine)."""
    try:
        import uvloop
    except ImportError:  # not built for this platform (uvicorn[standard] skips it on Windows)
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def _cmd_worker(args: argparse.Namespace) -> int:
    run_on_fast_loop(_run_worker(args.parent_pid))
    return 0


def _cmd_migrate(_: argparse.Namespace) -> int:
    from ignacio_agents.migrations import load_migrations, migrate
    from ignacio_agents.runtime import resolve_conninfo

    settings = load_settings()
    conninfo, _server = resolve_conninfo(settings)
    applied = asyncio.run(migrate(conninfo))
    total = len(load_migrations())
    if applied:
        for version in applied:
            print(f"applied {version}")
    print(f"{len(applied)} applied, {total - len(applied)} already up to date")
    return 0


@contextlib.asynccontextmanager
async def _cli_store() -> AsyncIterator[Any]:
    """The store on the configured database (migrated first), for one CLI command."""
    from ignacio_agents.db import Database
    from ignacio_agents.migrations import migrate
    from ignacio_agents.runtime import phone_cipher, resolve_conninfo
    from ignacio_agents.store import Store

    settings = load_settings()
    conninfo, _server = resolve_conninfo(settings)
    await migrate(conninfo)
    db = await Database.open(conninfo, min_size=1, max_size=2)
    try:
        yield Store(db, phone_cipher(settings)), settings
    finally:
        await db.close()


class AdminExists(Conflict):
    """An active admin is already there; ``--force`` is needed to add another from the CLI."""

    code = "admin_exists"


async def _create_admin(phone: str, name: str, *, force: bool = False) -> str:
    """Create (or promote) an admin. Once the program has an active admin, new admins are
    made by admins in the app (audited with who did it); the CLI refuses unless ``force``.
    Running it again for the admin who is already there changes nothing but the audit trail."""
    from ignacio_agents.crypto import mask_phone, normalize_phone

    async with _cli_store() as (store, settings):
        e164 = normalize_phone(phone, settings.default_phone_region)
        async with store.db.transaction() as tx:
            admins = await store.users.lock_active_admins(conn=tx)
            existing = await store.users.get_by_phone(e164, conn=tx)
            others = [a for a in admins if existing is None or a != existing.id]
            if others and not force:
                raise AdminExists(f"{len(others)} active admin(s) already exist")
            if existing is None:
                user = await store.users.create(e164, name, is_admin=True, conn=tx)
            else:
                user = await store.users.update(existing.id, is_admin=True, is_active=True,
                                                conn=tx) or existing
            await store.audit.record(
                actor_id=None, action="user.bootstrap_admin", target_type="user",
                target_id=user.id, client_ip="cli",
                details={"via": "create-admin", "system": True, "forced": bool(others),
                         "promoted": existing is not None}, conn=tx,
            )
        return f"admin {user.name!r} ({mask_phone(e164)}) ready, id {user.id}"


def _cmd_create_admin(args: argparse.Namespace) -> int:
    from ignacio_agents.crypto import InvalidPhoneNumber

    try:
        print(asyncio.run(_create_admin(args.phone, args.name, force=args.force)))
    except InvalidPhoneNumber as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AdminExists as exc:
        print(f"refused: {exc}; admins add admins in the app (or pass --force)", file=sys.stderr)
        return 1
    return 0


async def _verify_audit() -> tuple[int, str]:
    from ignacio_agents.audit_chain import verify_chain

    async with _cli_store() as (store, _settings):
        report = await verify_chain(store.db)
    if report.ok:
        return 0, f"audit log intact: {report.rows} rows, head {report.head or '-'}"
    return 1, (f"audit log BROKEN at row id {report.broken_id}: {report.reason}"
               f" ({report.rows} rows before it verified)")


def _cmd_verify_audit(_: argparse.Namespace) -> int:
    code, text = asyncio.run(_verify_audit())
    print(text, file=sys.stderr if code else sys.stdout)
    return code


async def _promoted_files() -> dict[str, str]:
    from ignacio_agents.promotion import dataset_files

    async with _cli_store() as (store, _settings):
        return dataset_files(await store.eval_cases.all())


def export_eval_cases(files: dict[str, str], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]


def _cmd_export_eval_cases(args: argparse.Namespace) -> int:
    for path in export_eval_cases(asyncio.run(_promoted_files()), Path(args.out)):
        print(f"wrote {path}")
    return 0


def _cmd_openapi(args: argparse.Namespace) -> int:
    from api.app import create_app

    schema = create_app(load_settings()).openapi()
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ignacio", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the API, the web UI and the job workers"
                                     " (IGNACIO_WORKER_PROCESSES separate processes)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--no-worker", action="store_true",
                   help="run no job worker (use separate `ignacio worker` processes)")
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1",
                   help="proxies trusted for X-Forwarded-For (client IPs for rate limits)")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("worker", help="run a separate job worker (WhatsApp turns, file extraction)")
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser("migrate", help="apply pending SQL migrations from supabase/migrations")
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("create-admin", help="create (or promote) the first admin")
    p.add_argument("phone", help="phone number, e.g. +34612345678")
    p.add_argument("--name", required=True)
    p.add_argument("--force", action="store_true",
                   help="add an admin even though an active admin exists (audited)")
    p.set_defaults(func=_cmd_create_admin)

    p = sub.add_parser("verify-audit", help="check the audit log's hash chain; names the first broken row")
    p.set_defaults(func=_cmd_verify_audit)

    p = sub.add_parser("export-eval-cases",
                       help="write promoted eval cases to the datasets the eval run loads")
    p.add_argument("--out", default="evals/datasets/promoted")
    p.set_defaults(func=_cmd_export_eval_cases)

    p = sub.add_parser("openapi", help="print the OpenAPI schema (used to type the web client)")
    p.add_argument("--out", default=None)
    p.set_defaults(func=_cmd_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
