"""Token counting ships its own ``o200k_base`` file and never needs the network."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import re
import uuid
from importlib import resources
from pathlib import Path

import pytest
import tiktoken
import tiktoken.load

from ignacio_agents import tokens

O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"


def test_shipped_hash_is_the_one_the_installed_tiktoken_expects() -> None:
    spec = importlib.util.find_spec("tiktoken_ext.openai_public")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text()
    match = re.search(r"def o200k_base\(\):.*?expected_hash=\"([0-9a-f]{64})\"", source, re.S)
    assert match is not None, "tiktoken changed how it declares o200k_base"
    assert match.group(1) == tokens.O200K_SHA256
    assert hashlib.sha1(O200K_URL.encode()).hexdigest() == tokens.O200K_CACHE_NAME  # noqa: S324


def test_shipped_file_matches_the_hash() -> None:
    packed = resources.files("ignacio_agents.assets").joinpath(tokens.ASSET_NAME).read_bytes()
    assert hashlib.sha256(gzip.decompress(packed)).hexdigest() == tokens.O200K_SHA256


def test_encoding_loads_without_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(blobpath: str) -> bytes:
        raise AssertionError(f"tiktoken tried to download {blobpath}")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    directory = tokens.ensure_encoding_file(tmp_path)
    assert directory == tmp_path / "tiktoken"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(directory))
    ranks = tiktoken.load.load_tiktoken_bpe(O200K_URL, expected_hash=tokens.O200K_SHA256)
    assert len(ranks) > 199_000
    # the process-wide encoding the engine uses comes from the same file
    assert tokens.encoding().encode("hello world") == [24912, 2375]
    assert tokens.count_tokens("hello world") == 2
    assert tokens.count_tokens("") == 0


def test_a_corrupted_cache_file_is_replaced(tmp_path: Path) -> None:
    directory = tokens.ensure_encoding_file(tmp_path)
    target = directory / tokens.O200K_CACHE_NAME
    target.write_bytes(b"garbage")
    tokens.ensure_encoding_file(tmp_path)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == tokens.O200K_SHA256


def test_spanish_text_counts() -> None:
    n = tokens.count_tokens("¿Cómo le pongo precio a mi producto?")
    assert 5 < n < 20


@pytest.mark.parametrize("spec", list(tokens.ENCODINGS.values()), ids=lambda s: s.name)
def test_every_shipped_encoding_is_the_one_tiktoken_expects(spec: tokens.EncodingFile) -> None:
    source = Path(importlib.util.find_spec("tiktoken_ext.openai_public").origin or "").read_text()
    match = re.search(rf"def {spec.name}\(\):.*?\"(https://[^\"]+)\".*?expected_hash=\"([0-9a-f]{{64}})\"",
                      source, re.S)
    assert match is not None, f"tiktoken changed how it declares {spec.name}"
    url, expected = match.groups()
    assert expected == spec.sha256
    assert hashlib.sha1(url.encode()).hexdigest() == spec.cache_name  # noqa: S324
    packed = resources.files("ignacio_agents.assets").joinpath(spec.asset_name).read_bytes()
    assert hashlib.sha256(gzip.decompress(packed)).hexdigest() == spec.sha256


def test_cl100k_loads_without_network_and_counts_like_gpt_4(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(blobpath: str) -> bytes:
        raise AssertionError(f"tiktoken tried to download {blobpath}")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    assert tokens.encoding_name_for("gpt-4") == "cl100k_base"
    assert tokens.encoding_name_for("openai/gpt-4o-mini") == "o200k_base"
    assert tokens.encoding("cl100k_base").encode("hello world") == [15339, 1917]
    assert tokens.count_tokens("hello world", "cl100k_base") == 2


def test_a_text_is_encoded_once_per_process_and_long_texts_are_not_kept() -> None:
    """Every request of a turn counts the same instructions and history again: the count is
    remembered (same answer), while a long text (a file's pages) is counted afresh."""
    from ignacio_agents import tokens

    text = "¿Cómo valido el precio con los primeros clientes? " + uuid.uuid4().hex
    before = tokens._count_cached.cache_info()
    first = tokens.count_tokens(text)
    second = tokens.count_tokens(text)
    after = tokens._count_cached.cache_info()
    assert first == second == len(tokens.encoding().encode(text, disallowed_special=()))
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    long_text = "palabra " * (tokens.CACHED_TEXT_CHARS // 4)
    assert tokens.count_tokens(long_text) == len(tokens.encoding().encode(long_text))
    assert tokens._count_cached.cache_info().currsize == after.currsize
