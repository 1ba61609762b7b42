"""The repository is self-contained: what a reader needs is inside it (``docs/``), so no file
points at a path outside the checkout."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", "node_modules", "dist", ".pytest-pgdata", ".git", "reports", "artifacts"}
OUTSIDE = re.compile(r"\.\./shared/|(?<![\w.])shared/reference/|/work/")


def _text_files() -> list[Path]:
    return [
        p for p in ROOT.rglob("*")
        if p.suffix in {".py", ".md", ".ts", ".tsx", ".toml", ".yaml", ".sh"} and p.is_file()
        and not SKIP & set(p.relative_to(ROOT).parts)
    ]


def test_no_file_points_outside_the_repository():
    files = _text_files()
    assert ROOT / "README.md" in files and ROOT / "docs" / "architecture.md" in files
    outside = [
        f"{p.relative_to(ROOT)}:{n}" for p in files if p != Path(__file__)
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if OUTSIDE.search(line)
    ]
    assert outside == []


def test_the_docs_the_code_cites_exist():
    cited = set()
    for p in _text_files():
        cited |= set(re.findall(r"docs/[\w./-]+\.md", p.read_text(errors="replace")))
    assert "docs/reference/whatsapp-cloud-api.md" in cited
    assert [c for c in cited if not (ROOT / c).is_file()] == []
