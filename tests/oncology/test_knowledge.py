"""The oncology bundle: compiled from the shared sources, versioned by the CIViC release,
replaced by a newer release on rebuild, FDA rows used only where verified."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from tailormed.errors import KnowledgeError
from tailormed.knowledge import bundles
from tailormed.knowledge.oncology import compile_bundle, curated_dir
from tailormed.knowledge.oncology_civic import classify_variant
from tailormed.knowledge.oncology_kb import OncologyKnowledge


def test_bundled_file_matches_a_fresh_build(shared: Path, tmp_path: Path) -> None:
    section = bundles.build_bundle("oncology", shared, tmp_path)
    assert section["version"].startswith("civic-2024-08-01+")
    assert section["version"] == OncologyKnowledge.load().version  # committed build is current
    civic = next(s for s in section["sources"] if s["name"] == "civic")
    assert civic["version"] == "2024-08-01" and civic["licence"] == "CC0"
    # 2,634 predictive + 316 diagnostic + 528 prognostic items, less germline-origin ones
    assert 3000 < section["counts"]["civic_evidence"] < 3478
    assert section["counts"]["fda_cdx_rows"] == 21


def _newer_release(shared: Path, tmp_path: Path) -> Path:
    """A source tree whose oncology folder also holds a (copied) CIViC release of 2025-02-01."""
    root = tmp_path / "src"
    onc = root / "oncology"
    shutil.copytree(shared / "oncology" / "fda", onc / "fda")
    shutil.copytree(shared / "oncology" / "civic_2024-08-01", onc / "civic_2024-08-01")
    newer = onc / "civic_2025-02-01"
    newer.mkdir()
    for f in (onc / "civic_2024-08-01").glob("*Summaries.tsv.gz"):
        data = gzip.decompress(f.read_bytes())
        if "ClinicalEvidence" in f.name:
            # the newer release re-grades one item (EID238: T790M vs erlotinib) to level B
            lines = data.decode().split("\n")
            for i, line in enumerate(lines):
                cells = line.split("\t")
                if len(cells) > 19 and cells[19] == "238":
                    cells[9] = "B"
                    lines[i] = "\t".join(cells)
            data = "\n".join(lines).encode()
        (newer / f.name.replace("01-Aug-2024", "01-Feb-2025")).write_bytes(gzip.compress(data))
    return root


def test_a_newer_civic_release_replaces_the_old_one(shared: Path, tmp_path: Path) -> None:
    root = _newer_release(shared, tmp_path)
    section = bundles.build_bundle("oncology", root, tmp_path / "out")
    assert section["version"].startswith("civic-2025-02-01+")
    bundles.load_bundle.cache_clear()
    kb = OncologyKnowledge.load(str(tmp_path / "out" / "oncology.json.gz"))
    assert kb.civic_release == "2025-02-01"
    eid238 = next(e for e in kb.payload["civic"]["evidence"] if e["id"] == "EID238")
    assert eid238["level"] == "B"


def test_fda_rows_are_checked_against_the_transcription(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cur = tmp_path / "curated"
    shutil.copytree(curated_dir(), cur)
    verified = cur / "fda_cdx_verified.tsv"
    # line 117 of the transcription pairs Tafinlar with EGFR: claiming erlotinib there fails
    verified.write_text(verified.read_text().replace("\n15\tvemurafenib", "\n117\terlotinib", 1))
    monkeypatch.setattr("tailormed.knowledge.oncology.curated_dir", lambda: cur)
    with pytest.raises(KnowledgeError, match="line 117 names 'tafinlar"):
        compile_bundle(shared)


def test_oncotree_lineage_and_disease_levels() -> None:
    kb = OncologyKnowledge.load()
    assert [c for c, _, _ in kb.lineage("LUAD")] == ["LUAD", "NSCLC", "LUNG", "TISSUE"]
    levels = kb.disease_levels("LUAD")
    assert levels["3910"] == ("LUAD", "exact")  # Lung Adenocarcinoma
    assert levels["3908"] == ("NSCLC", "parent")  # Lung Non-small Cell Carcinoma
    assert levels["162"] == ("TISSUE", "pan-cancer")  # Cancer
    assert levels["name:Solid Tumor"] == ("LUNG", "pan-cancer")
    assert "3910" not in kb.disease_levels("NSCLC")  # a subtype never applies to its parent
    assert "name:Solid Tumor" not in kb.disease_levels("AML")  # not a solid tumour
    with pytest.raises(KnowledgeError, match="unknown OncoTree code"):
        kb.lineage("NOPE")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("L858R", "exact"),
        ("E746_A750del", "exact"),
        ("W288FS", "exact"),
        ("V600", "codon"),
        ("G12/G13", "codon"),
        ("Exon 19 Deletion", "exon"),
        ("Mutation", "any"),
        ("Loss-of-function", "truncating"),
        ("EML4::ALK", "fusion"),
        ("Fusion", "fusion"),
        ("Amplification", "other"),
        ("Overexpression", "other"),
    ],
)
def test_civic_variant_names_are_classified(name: str, kind: str) -> None:
    assert classify_variant("X", name)["kind"] == kind


def test_resistance_index_holds_civic_and_literature() -> None:
    kb = OncologyKnowledge.load()
    t790m = kb.resistance("EGFR", "T790M")
    assert any(drug == "erlotinib" and src == "EID238" for drug, src, _ in t790m)
    c797s = kb.resistance("EGFR", "C797S")
    assert any(drug == "osimertinib" and src == "EID964" for drug, src, _ in c797s)
    g1202r = kb.resistance("ALK", "G1202R")  # CIViC AND-profiles with the fusion + Gainor 2016
    assert {"alectinib", "crizotinib"} <= {drug for drug, _, _ in g1202r}
