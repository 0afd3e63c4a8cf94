"""The rare step of ``tailormed run``: which sample's report a phenopacket belongs to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tailormed.errors import InputError
from tailormed.rare.adapters import parse_hpo, pipeline_sections

from .conftest import VEP_HEADER, write_vcf

CASE = "PMID_11050011_II_1.json"  # subject "II-1"; OMIM:301310, ABCB7


@dataclass
class Inputs:
    phenopackets: tuple[Path, ...] = ()
    hpo: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    sample: str
    vcfs: tuple[Path, ...] = ()


def _genome(tmp: Path, samples: tuple[str, ...]) -> Path:
    gts = "\t".join("0/0" for _ in samples)
    return write_vcf(tmp / "genome.vcf", [("chr1", 1000, "A", "G", "", gts)], samples=samples)


def test_phenopacket_of_the_subject_or_of_another_sample(samples: Path, tmp_path: Path) -> None:
    genome = _genome(tmp_path, ("II-1", "OTHER"))
    inputs = Inputs(phenopackets=(samples / CASE,))
    (s,) = pipeline_sections(inputs, Context("II-1", (genome,)))
    assert s.subject == "II-1" and s.tables[0].rows[0][2] == "ABCB7"
    assert not any("not named like" in x for x in s.limitations)
    with pytest.raises(InputError, match="describes sample 'II-1' of the genome VCF"):
        pipeline_sections(inputs, Context("OTHER", (genome,)))


def test_a_subject_with_another_name_is_noted(samples: Path, tmp_path: Path) -> None:
    genome = _genome(tmp_path, ("Sample_2", "S3"))
    (s,) = pipeline_sections(Inputs(phenopackets=(samples / CASE,)), Context("Sample_2", (genome,)))
    assert s.limitations[0].startswith("The phenopacket's subject (II-1) is not named like")


def test_rare_vcf_and_hpo_ids(samples: Path, tmp_path: Path) -> None:
    csq = "CSQ=T|missense_variant|MODERATE|ABCB7|ENSG1|c.1297G>A||"
    exome = write_vcf(
        tmp_path / "exome.vcf", [("chrX", 75070433, "C", "T", csq, "1")], info_header=VEP_HEADER
    )
    inputs = Inputs(phenopackets=(samples / CASE,), options={"rare.vcf": exome})
    (s,) = pipeline_sections(inputs, Context("II-1"))
    assert "hemizygous" in str(s.tables[0].rows[0][6])
    body = parse_hpo(["HP:0001166,-HP:0002616", "not:HP:0001083"])
    assert [t.id for t in body.observed] == ["HP:0001166"]
    assert [t.id for t in body.excluded] == ["HP:0002616", "HP:0001083"]
    with pytest.raises(InputError, match="not an HPO id"):
        parse_hpo(["HP:1"])
    (h,) = pipeline_sections(Inputs(hpo=("HP:0001166", "HP:0001083")), Context("S1"))
    assert h.subject == "S1" and "FBN1" in {r[2] for r in h.tables[0].rows}


def test_two_phenopackets_get_their_case_in_the_title(samples: Path, tmp_path: Path) -> None:
    other = json.loads((samples / CASE).read_text())
    other["id"] = "second"
    path = tmp_path / "second.json"
    path.write_text(json.dumps(other))
    sections = pipeline_sections(Inputs(phenopackets=(samples / CASE, path)), Context("II-1"))
    assert [s.title for s in sections] == [
        "Differential diagnosis (PMID_11050011_II_1)",
        "Differential diagnosis (second)",
    ]
