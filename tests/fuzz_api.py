"""A bounded schemathesis run against the real app on loopback: anonymous, as a participant and
as an admin; examples, coverage, fuzzing and stateful phases; a fixed seed and a time budget.
Fails on any 5xx and on any answer the OpenAPI schema does not describe.

    python -m tests.fuzz_api [--seconds-per-role 40] [--seed 20261202]

The app is ``tests/e2e/serve.py`` (embedded Postgres, offline model, fake Graph API), signed in
through the real sign-in flow. Checks left out, and why:

- ``positive_data_acceptance``: a phone number's validity (libphonenumber: length and prefixes
  per country) cannot be written as a JSON schema, so a schema-valid number can still be a 422.
- ``unsupported_method`` and ``allow_header_conformance``: where one path has two routes (the
  webhook's GET and POST, ``/users/me``'s GET and PUT), Starlette's 405 lists only the first
  route's methods in ``Allow``.

Signing out (``/auth/logout``, ``/auth/logout-all``, ending sessions) is fuzzed anonymously
only: with a token, the fuzzer would end the very session the run uses.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXCLUDED_CHECKS = "positive_data_acceptance,unsupported_method,allow_header_conformance"
SIGN_OUT = r"^/auth/(logout|logout-all|sessions/\{session_id\})$"


def _start_server(port: int, control_port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.serve", "--port", str(port),
         "--control-port", str(control_port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 180
    for line in proc.stdout:
        if line.startswith("{"):
            return proc, json.loads(line)
        if time.monotonic() > deadline:
            break
    proc.terminate()
    raise SystemExit("fuzz: the app did not start")


def _sign_in(urls: dict[str, str], phone: str) -> str:
    with httpx.Client(base_url=urls["app"], timeout=30) as client:
        assert client.post("/auth/request-otp", json={"phone_number": phone}).status_code == 202
        for _ in range(100):
            captured = httpx.get(f"{urls['control']}/otp", params={"phone": phone})
            if captured.status_code == 200:
                break
            time.sleep(0.1)
        code = captured.json()["code"]
        resp = client.post("/auth/verify-otp", json={"phone_number": phone, "code": code})
        resp.raise_for_status()
        return resp.json()["access_token"]


def _run_role(app_url: str, role: str, token: str | None, seconds: int, seed: int,
              report_dir: Path) -> tuple[bool, int]:
    cmd = [
        str(Path(sys.executable).with_name("st")), "run", f"{app_url}/openapi.json",
        "--checks", "all", "--exclude-checks", EXCLUDED_CHECKS,
        "--phases", "examples,coverage,fuzzing,stateful",
        "--seed", str(seed), "--max-time", str(seconds), "--max-examples", "60",
        "--generation-deterministic", "--request-timeout", "30", "--no-color",
        "--report", "junit", "--report-junit-path", str(report_dir / f"fuzz-{role}.xml"),
    ]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}", "--exclude-path-regex", SIGN_OUT]
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    output = result.stdout + result.stderr
    generated = re.search(r"(\d+) generated", output)
    count = int(generated.group(1)) if generated else 0
    print(f"fuzz[{role}]: {count} test cases in {time.monotonic() - started:.0f} s,"
          f" exit {result.returncode}")
    if result.returncode != 0:
        print(output[-20000:])
    return result.returncode == 0, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds-per-role", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--report-dir", type=Path, default=ROOT / "reports")
    args = parser.parse_args(argv)
    args.report_dir.mkdir(parents=True, exist_ok=True)
    ports = [_free_port(), _free_port()]
    proc, urls = _start_server(*ports)
    started = time.monotonic()
    try:
        people = httpx.get(f"{urls['control']}/users").json()
        roles = {"anonymous": None,
                 "participant": _sign_in(urls, people["participant"]["phone"]),
                 "admin": _sign_in(urls, people["admin"]["phone"])}
        results = [_run_role(urls["app"], role, token, args.seconds_per_role, args.seed,
                             args.report_dir) for role, token in roles.items()]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    total = sum(count for _, count in results)
    print(f"fuzz: {total} test cases over {len(results)} roles in"
          f" {time.monotonic() - started:.0f} s")
    return 0 if all(ok for ok, _ in results) else 1


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
