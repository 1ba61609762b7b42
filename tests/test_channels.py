"""The channel interface: the core knows no channel, channels plug in by registration, and
the web app learns each channel's traits from the API."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from channels.installed import INSTALLED, installed_channels
from channels.whatsapp.channel import WhatsAppChannel
from ignacio_agents.channel import WEB_TRAITS, ChannelRegistry
from ignacio_agents.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def _imports(package: str) -> dict[str, set[str]]:
    """Top-level packages each module of ``package`` imports (at any depth in the file)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_imports_point_api_to_channels_to_core_only() -> None:
    core = {m: n & {"api", "channels", "evals", "tests"} for m, n in _imports("ignacio_agents").items()}
    assert {m: n for m, n in core.items() if n} == {}
    chans = {m: n & {"api", "evals", "tests"} for m, n in _imports("channels").items()}
    assert {m: n for m, n in chans.items() if n} == {}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = node.body[0] if node.body else None
            if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant):
                ids.add(id(doc.value))
    return ids


def test_the_core_names_no_channel_in_its_code() -> None:
    """Names, attributes, arguments and string values of the core: a channel appears only in
    comments and docstrings naming it as an example (the model's prompts may name the
    product's channels in prose)."""
    found = []
    for path in (ROOT / "ignacio_agents").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            words = []
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                words.append(node.value)
            elif isinstance(node, ast.Name):
                words.append(node.id)
            elif isinstance(node, ast.Attribute):
                words.append(node.attr)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                words.append(node.name)
            elif isinstance(node, ast.arg):
                words.append(node.arg)
            if any("whatsapp" in w.lower() for w in words):
                found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}")
    assert found == []


def _production(tmp_path: Path, **overrides: Any) -> Any:
    key = "A" * 43 + "="
    return load_settings(
        ignacio_env="production", data_dir=tmp_path, database_url="postgresql://x/y",
        jwt_secret_key="k" * 40, phone_encryption_key=key, phone_index_key=key,
        allowed_hosts="ignacio.example.org", **overrides,
    )


def test_a_web_only_production_starts_without_whatsapp_secrets(tmp_path, monkeypatch) -> None:
    for name in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_VERIFY_TOKEN",
                 "WHATSAPP_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    names = [c.name for c in installed_channels(_production(tmp_path))]
    assert names == ["web"]  # no WhatsApp, and the console runs in development only


def test_a_half_configured_whatsapp_stops_production_naming_what_is_missing(
    tmp_path, monkeypatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "token")
    for name in ("WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as err:
        installed_channels(_production(tmp_path))
    message = str(err.value)
    assert "WHATSAPP_PHONE_NUMBER_ID" in message and "WHATSAPP_APP_SECRET" in message
    assert "WHATSAPP_ACCESS_TOKEN" not in message and "token" not in message


def test_channel_settings_are_not_core_overrides(tmp_path) -> None:
    with pytest.raises(TypeError, match="whatsapp_app_secret"):
        load_settings(data_dir=tmp_path, whatsapp_app_secret="s")


def test_registry_reads_traits_and_hands_out_typed_channels(settings) -> None:
    registry = ChannelRegistry(installed_channels(settings))
    assert registry.names() == ["web", "whatsapp", "console"] and len(INSTALLED) == 3
    assert registry.traits("whatsapp").defers_delivery and registry.traits("whatsapp").read_only_on_web
    assert registry.traits("web") == WEB_TRAITS and registry.traits("gone") == WEB_TRAITS
    assert isinstance(registry.get(WhatsAppChannel), WhatsAppChannel)
    assert registry.sender("web") is None and registry.sender("whatsapp") is not None
    with pytest.raises(ValueError):
        ChannelRegistry([*installed_channels(settings), *installed_channels(settings)])


async def test_the_web_app_learns_channel_traits_from_the_api(client, make_user, auth_headers):
    user = await make_user()
    resp = await client.get("/channels", headers=await auth_headers(user))
    assert resp.status_code == 200
    by_name = {c["name"]: c for c in resp.json()}
    assert by_name["whatsapp"] == {"name": "whatsapp", "label": "WhatsApp", "defers_delivery": True,
                                   "short_answers": True, "read_only_on_web": True}
    assert by_name["web"]["read_only_on_web"] is False
    assert (await client.get("/channels")).status_code == 401
