"""Sibling knowledge bundles: built atomically, versioned by content, listed in the manifest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tailormed.errors import KnowledgeError
from tailormed.knowledge import bundles


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    spec = bundles.BundleSpec("toy", "toy domain", "tests.knowledge.toy_bundle:compile_bundle")
    monkeypatch.setitem(bundles.REGISTRY, "toy", spec)
    src = tmp_path / "src"
    (src / "toy").mkdir(parents=True)
    (src / "toy" / "a.json").write_text(json.dumps({"id": "T:1"}))
    yield src
    bundles.load_bundle.cache_clear()


def test_build_load_and_manifest(toy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"kb_version": "pgx-1"}))
    section = bundles.build_bundle("toy", toy, out)
    assert section["version"].startswith("toy-1+")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kb_version"] == "pgx-1"  # the PGx part is kept
    assert manifest["bundles"]["toy"]["sources"][0]["licence"] == "CC0"
    loaded = bundles.load_bundle("toy", str(out / "toy.json.gz"))
    assert loaded.version == section["version"]
    assert loaded.payload["terms"] == [{"id": "T:1"}]
    assert loaded.source("toy-terms")["files"] == 1


def test_version_follows_content(toy: Path, tmp_path: Path) -> None:
    first = bundles.build_bundle("toy", toy, tmp_path / "a")["version"]
    again = bundles.build_bundle("toy", toy, tmp_path / "b")["version"]
    (toy / "toy" / "b.json").write_text(json.dumps({"id": "T:2"}))
    changed = bundles.build_bundle("toy", toy, tmp_path / "c")["version"]
    assert first == again != changed


def test_failed_compile_leaves_previous_bundle(toy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    bundles.build_bundle("toy", toy, out)
    before = (out / "toy.json.gz").read_bytes()
    for p in (toy / "toy").iterdir():
        p.unlink()
    with pytest.raises(KnowledgeError, match="no files found"):
        bundles.build_bundle("toy", toy, out)
    assert (out / "toy.json.gz").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "toy.json.gz"]


def test_unbuilt_and_unknown_bundles_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="unknown bundle"):
        bundles.load_bundle("nonesuch")
    with pytest.raises(KnowledgeError, match="not built"):
        bundles.load_bundle("nonesuch", str(tmp_path / "missing.json.gz"))
