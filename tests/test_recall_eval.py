"""The recall suite: full text reaches its mark offline (as in CI) and misses only searches
across languages; with embeddings (the fake server) hybrid reaches its own mark and finds
what full text missed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai import models

from evals.recall import Corpus, load_recall_dataset, rank_of
from evals.runner import DATASETS_DIR, load_thresholds, main
from tests.conftest import PGDATA
from tests.fakes.embeddings import FakeEmbeddingsServer


def _run(tmp_path: Path, *extra: str) -> dict[str, Any]:
    report = tmp_path / "recall.json"
    assert main(["--dataset", "recall", "--pgdata", str(PGDATA), "--report", str(report),
                 *extra]) == 0
    result = json.loads(report.read_text())["datasets"][0]
    result["failed"] = {r["case"] for r in result["results"] if not r["passed"]}
    ranks = [r["scores"]["ReciprocalRank"] for r in result["results"]]
    result["mrr"] = sum(ranks) / len(ranks)
    print(f"{result['score_label']}: {result['cases_passed']}/{result['cases']} = "
          f"{result['score']:.1%}, MRR {result['mrr']:.3f}")
    return result


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pg_server_uri: str) -> None:
    monkeypatch.setenv("PYDANTIC_AI_MODEL", "test")
    monkeypatch.setenv("IGNACIO_DATA_DIR", str(tmp_path / "data"))
    for name in ("EMBEDDINGS_MODEL", "EMBEDDINGS_BASE_URL", "EMBEDDINGS_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_dataset_has_thirty_searches_each_answered_by_one_seeded_text() -> None:
    cases = load_recall_dataset(DATASETS_DIR).cases
    corpus = Corpus.load(DATASETS_DIR / "recall_corpus.yaml")
    keys = [m.key for c in corpus.conversations for m in c.messages if m.key]
    keys += [p.key for f in corpus.files for p in f.parts if p.key]
    assert len(keys) == len(set(keys))  # one text per key
    assert len(cases) >= 30 and {c.expected_output for c in cases} <= set(keys)
    assert {c.metadata.language for c in cases} == {"es", "en"}  # type: ignore[union-attr]
    assert {c.inputs.source for c in cases} == {"history", "files"}
    assert rank_of("b", [["a"], ["x", "b"]]) == 2 and rank_of("z", [["a"]]) is None


def test_full_text_reaches_its_mark_and_misses_only_cross_language_searches(
        env: None, tmp_path: Path) -> None:
    result = _run(tmp_path, "--offline")
    assert result["score_label"] == "recall@5, full text only"
    assert result["score"] >= load_thresholds()["recall"]["offline"]
    crossing = {c.name for c in load_recall_dataset(DATASETS_DIR).cases
                if c.metadata and c.metadata.crosses_languages}
    assert result["failed"] <= crossing


def test_hybrid_with_embeddings_reaches_its_mark_and_beats_full_text(
        env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    full_text = _run(tmp_path, "--offline")
    with FakeEmbeddingsServer() as fake, models.override_allow_model_requests(True):
        for name, value in fake.settings_overrides().items():
            monkeypatch.setenv(name.upper(), str(value))
        hybrid = _run(tmp_path)
        assert fake.requests  # the corpus and the searches were embedded
    assert hybrid["score_label"] == "recall@5, hybrid"
    assert hybrid["score"] >= load_thresholds()["recall"]["hybrid"]
    assert hybrid["score"] > full_text["score"]
    assert hybrid["failed"] <= full_text["failed"]
