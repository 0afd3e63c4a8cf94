"""A broken or missing source gives a clear error, and nothing half-built is written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tailormed.errors import KnowledgeError
from tailormed.knowledge.build import BUNDLE_NAME, MANIFEST_NAME, build


@pytest.fixture()
def source_copy(shared: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(shared, dest, ignore=shutil.ignore_patterns("1kgp", "tests", "docs"))
    for p in dest.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dest


@pytest.fixture()
def previous_bundle(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / BUNDLE_NAME).write_bytes(b"previous")
    (out / MANIFEST_NAME).write_text("previous")
    return out


def _unchanged(out: Path) -> bool:
    return (out / BUNDLE_NAME).read_bytes() == b"previous" and sorted(
        p.name for p in out.iterdir()
    ) == sorted([BUNDLE_NAME, MANIFEST_NAME])


def test_builds_from_a_copy(source_copy: Path, tmp_path: Path) -> None:
    manifest = build(source_copy, tmp_path / "fresh")
    assert manifest["counts"]["genes"] == 20
    assert (tmp_path / "fresh" / BUNDLE_NAME).stat().st_size > 100_000


def test_truncated_json_names_the_file(source_copy: Path, previous_bundle: Path) -> None:
    target = source_copy / "pharmcat/definition/alleles/CYP2C19_translation.json"
    target.write_text(target.read_text()[:5000])
    with pytest.raises(KnowledgeError) as err:
        build(source_copy, previous_bundle)
    assert "CYP2C19_translation.json" in str(err.value)
    assert "cannot parse" in str(err.value)
    assert _unchanged(previous_bundle)


def test_missing_file_names_the_file(source_copy: Path, previous_bundle: Path) -> None:
    (source_copy / "pharmcat/definition/alleles/exemptions.json").unlink()
    with pytest.raises(KnowledgeError, match=r"exemptions\.json"):
        build(source_copy, previous_bundle)
    assert _unchanged(previous_bundle)


def test_missing_folder(source_copy: Path, previous_bundle: Path) -> None:
    shutil.rmtree(source_copy / "pharmcat/phenotype")
    with pytest.raises(KnowledgeError, match="pharmcat/phenotype"):
        build(source_copy, previous_bundle)
    assert _unchanged(previous_bundle)


def test_allele_on_unknown_base_names_the_entry(source_copy: Path, previous_bundle: Path) -> None:
    target = source_copy / "pharmcat/definition/alleles/CYP2C19_translation.json"
    raw = json.loads(target.read_text())
    star2 = next(a for a in raw["namedAlleles"] if a["name"] == "*2")
    i = next(i for i, a in enumerate(star2["alleles"]) if a == "A")
    star2["alleles"][i] = "T"  # not an allele of rs4244285
    target.write_text(json.dumps(raw))
    with pytest.raises(KnowledgeError) as err:
        build(source_copy, previous_bundle)
    assert "CYP2C19 allele *2" in str(err.value) and "'T'" in str(err.value)
    assert _unchanged(previous_bundle)


def test_unknown_lookup_key_names_the_recommendation(
    source_copy: Path, previous_bundle: Path
) -> None:
    target = (
        source_copy
        / "pharmcat/reporter_legacy_2024-05-29/guidelines/CPIC_clopidogrel_and_CYP2C19.json"
    )
    raw = json.loads(target.read_text())
    raw["recommendations"][0]["lookupKey"] = {"CYP2C19": "Very Slow Metabolizer"}
    target.write_text(json.dumps(raw))
    with pytest.raises(KnowledgeError) as err:
        build(source_copy, previous_bundle)
    message = str(err.value)
    assert "CPIC_clopidogrel_and_CYP2C19.json" in message
    assert "Very Slow Metabolizer" in message
    assert _unchanged(previous_bundle)


def test_allele_with_wrong_length_is_refused(source_copy: Path, previous_bundle: Path) -> None:
    target = source_copy / "pharmcat/definition/alleles/TPMT_translation.json"
    raw = json.loads(target.read_text())
    raw["namedAlleles"][3]["alleles"].pop()
    target.write_text(json.dumps(raw))
    with pytest.raises(KnowledgeError, match="TPMT allele"):
        build(source_copy, previous_bundle)
    assert _unchanged(previous_bundle)


def test_rebuild_keeps_the_domain_bundles_in_the_manifest(shared: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    sibling = {"toy": {"name": "toy", "version": "toy-1+abc"}}
    (out / MANIFEST_NAME).write_text(json.dumps({"kb_version": "old", "bundles": sibling}))
    manifest = build(shared, out)
    written = json.loads((out / MANIFEST_NAME).read_text())
    assert written["kb_version"] == manifest["kb_version"] != "old"
    assert written["bundles"] == sibling
