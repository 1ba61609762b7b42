"""What the distribution is: the server (core, channels, API, migrations), not its quality
suites. ``evals/`` runs from a checkout with the ``evals`` extra; ``ignacio`` has no eval command."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from api.cli import main

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>~! ;]", requirement, maxsplit=1)[0].lower()


def test_the_wheel_ships_every_server_package_and_no_evals():
    shipped = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert not {p for p in shipped if p == "evals" or p.startswith("evals.")}
    assert "evals" not in PYPROJECT["tool"]["setuptools"].get("package-data", {})
    # Every package of the server is listed (a new subpackage left out would be missing at runtime).
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("ignacio_agents", "channels", "api") for init in (ROOT / top).rglob("__init__.py")
    }
    assert on_disk <= shipped


def test_pydantic_evals_is_only_the_evals_extra_and_matches_pydantic_ai():
    core = PYPROJECT["project"]["dependencies"]
    assert "pydantic-evals" not in {_name(r) for r in core}
    slim = next(r for r in core if _name(r) == "pydantic-ai-slim")
    assert "evals" not in re.search(r"\[(.*?)\]", slim).group(1).split(",")
    [evals] = PYPROJECT["project"]["optional-dependencies"]["evals"]
    assert evals.split("==")[1] == slim.split("==")[1]
    # make setup installs from the lock, which pins it at that version too.
    lock = (ROOT / "requirements.lock").read_text()
    assert f"\npydantic-evals=={evals.split('==')[1]}\n" in lock


def test_the_server_cli_has_no_eval_command(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["eval", "--offline"])
    assert exited.value.code == 2
    assert "invalid choice: 'eval'" in capsys.readouterr().err
