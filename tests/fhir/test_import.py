"""Import: Genotype observations back to outside gene calls; bad bundles name the entry."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.errors import InputError
from tailormed.fhir import IMPORT_WARNING, export_bundle, import_bundle, read_bundle, write_bundle
from tailormed.knowledge import KnowledgeBase
from tailormed.phenotype import interpret_all
from tailormed.recommend.models import Interpretation

LOINC = "http://loinc.org"
HGNC = "http://www.genenames.org"


def alleles(call: GeneCall) -> list[frozenset[tuple[str, int]]]:
    """Each diplotype as a multiset of allele names: order within it does not matter."""
    out = []
    for d in call.diplotypes:
        out.append(frozenset((a, d.alleles.count(a)) for a in d.alleles))
    return out


def assert_same_calls(
    imported: list[GeneCall], original: list[GeneCall] | tuple[GeneCall, ...]
) -> None:
    assert [c.gene for c in imported] == [c.gene for c in original]
    for got, want in zip(imported, original, strict=True):
        assert alleles(got) == alleles(want), got.gene
        assert got.source == "outside"
        assert IMPORT_WARNING in got.warnings


# ------------------------------------------------------------------ round trips
@pytest.mark.needs_shared
def test_round_trip_gives_the_same_genes_and_diplotypes(interpretation: Interpretation) -> None:
    sample, calls = import_bundle(export_bundle(interpretation))
    assert sample == "Sample_2"
    assert_same_calls(calls, interpretation.calls)
    assert all(c.phenotype is None for c in calls)


@pytest.mark.needs_shared
def test_imported_calls_interpret_to_the_same_phenotypes(
    kb: KnowledgeBase, interpretation: Interpretation
) -> None:
    _, calls = import_bundle(export_bundle(interpretation))
    again = {p.gene: p for p in interpret_all(calls, kb)}
    for p in interpretation.phenotypes:
        assert (again[p.gene].phenotype, again[p.gene].lookup_keys) == (p.phenotype, p.lookup_keys)


@pytest.mark.needs_shared
def test_with_phenotypes_keeps_the_reported_phenotype(interpretation: Interpretation) -> None:
    _, calls = import_bundle(export_bundle(interpretation), with_phenotypes=True)
    by_gene = {c.gene: c for c in calls}
    assert by_gene["CYP2C19"].phenotype == "Poor Metabolizer"
    assert (by_gene["CYP2C9"].phenotype, by_gene["CYP2C9"].activity_score) == (
        "Normal Metabolizer",
        "2.0",
    )
    assert by_gene["VKORC1"].phenotype is None  # no gene-level implication was sent


def test_round_trip_of_ties_and_no_calls(kb: KnowledgeBase) -> None:
    calls = (
        GeneCall("p 1", "CYP2C9", (Diplotype.of("*1", "*2"), Diplotype.of("*1", "*3")), False),
        GeneCall("p 1", "CYP2C19", (), False, warnings=("positions missing",)),
        GeneCall("p 1", "MT-RNR1", (Diplotype.of("m.1555A>G"),), False, source="outside"),
        GeneCall("p 1", "HLA-B", (Diplotype.of("*57:01", "*08:01"),), False, source="outside"),
    )
    interp = Interpretation("p 1", kb.version, calls, tuple(interpret_all(calls, kb)), ())
    sample, imported = import_bundle(json.dumps(export_bundle(interp)))
    assert sample == "p 1"
    assert_same_calls(imported, calls)
    assert [d.text for d in imported[0].diplotypes] == ["*1/*2", "*1/*3"]  # shown one first
    assert imported[1].diplotypes == ()
    assert any("positions missing" in w for w in imported[1].warnings)


@pytest.mark.needs_shared
def test_written_bundle_reads_back(interpretation: Interpretation, tmp_path: Path) -> None:
    path = write_bundle(interpretation, tmp_path / "out" / "fhir-bundle.json")
    assert sorted(p.name for p in path.parent.iterdir()) == ["fhir-bundle.json"]
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == export_bundle(interpretation)
    sample, calls = read_bundle(path)
    assert sample == "Sample_2"
    assert_same_calls(calls, interpretation.calls)


def test_failed_write_leaves_the_old_file(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bundle.json"
    path.write_text("old")

    def fail(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_bundle(Interpretation("S", kb.version, (), (), ()), path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.json"]


# ------------------------------------------------------------------ other senders
def genotype(value: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "84413-4"}]},
        "subject": {"reference": "Patient/ExamplePatient"},
    }
    if value is not None:
        obs["valueCodeableConcept"] = value
    return obs | fields


def gene_studied(code: str | None, display: str | None = None) -> list[dict[str, Any]]:
    coding: dict[str, Any] = {"system": HGNC}
    if code:
        coding["code"] = code
    if display:
        coding["display"] = display
    return [
        {
            "code": {"coding": [{"system": LOINC, "code": "48018-6"}]},
            "valueCodeableConcept": {"coding": [coding]},
        }
    ]


def bundle(*observations: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {"fullUrl": f"http://example.org/fhir/Observation/o{i}", "resource": o}
            for i, o in enumerate(observations)
        ],
    }


def test_reads_ig_style_genotypes() -> None:
    implication = {
        "resourceType": "Observation",
        "id": "med-impact",
        "status": "final",
        "code": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs",
                    "code": "therapeutic-implication",
                }
            ]
        },
        "derivedFrom": [{"reference": "Observation/geno-2c9"}],
        "component": [
            {
                "code": {
                    "coding": [
                        {
                            "system": "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs",
                            "code": "therapeutic-implication",
                        }
                    ]
                },
                "valueCodeableConcept": {
                    "coding": [
                        {"system": LOINC, "code": "LA25390-8", "display": "Rapid metabolizer"}
                    ]
                },
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "51963-7"}]},
                "valueCodeableConcept": {
                    "coding": [
                        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "103"}
                    ]
                },
            },
        ],
    }
    data = bundle(
        # IG 3.0.0 genotype-pgx-example: PharmVar coding only, HGNC component
        genotype(
            {"coding": [{"system": "http://www.pharmvar.org", "code": "CYP2C9 *4/*35B"}]},
            id="geno-2c9",
            component=gene_studied("HGNC:2623", "CYP2C9"),
        ),
        # ClinVar-style display without a space, bare HGNC number
        genotype(
            {
                "coding": [
                    {
                        "system": "http://www.ncbi.nlm.nih.gov/clinvar",
                        "code": "638797",
                        "display": "CYP2C19*2/*2",
                    }
                ]
            },
            component=gene_studied("2621"),
        ),
        # no gene-studied component: the gene leads the value
        genotype({"text": "CYP2D6*1/*4"}, status="preliminary"),
        genotype({"text": "HLA-B*57:01/HLA-B*08:01"}, component=gene_studied(None, "HLA-B")),
        genotype({"text": "CYP3A5 *3/*3"}, status="entered-in-error"),
        implication,
        kind="transaction",
    )
    sample, calls = import_bundle(data, with_phenotypes=True)
    assert sample == "ExamplePatient"
    got = {c.gene: c for c in calls}
    assert list(got) == ["CYP2C9", "CYP2C19", "CYP2D6", "HLA-B"]  # CYP3A5 was withdrawn
    assert got["CYP2C9"].diplotypes == (Diplotype.of("*4", "*35B"),)
    assert got["CYP2C19"].diplotypes == (Diplotype.of("*2", "*2"),)
    assert got["CYP2D6"].diplotypes == (Diplotype.of("*1", "*4"),)
    assert any("preliminary" in w for w in got["CYP2D6"].warnings)
    assert got["HLA-B"].diplotypes == (Diplotype.of("*08:01", "*57:01"),)
    assert got["CYP2C9"].phenotype == "Rapid metabolizer"  # the one drug implication's value
    assert got["CYP2C19"].phenotype is None


def test_spelled_out_no_call() -> None:
    _, (call,) = import_bundle(bundle(genotype({"text": "CYP2C19 No call"})))
    assert call.gene == "CYP2C19" and call.diplotypes == ()
    assert "no call in the FHIR bundle: CYP2C19 No call" in call.warnings


def test_patient_from_a_referenced_patient_entry() -> None:
    data = bundle(genotype({"text": "*1/*2"}, component=gene_studied("HGNC:2621")))
    data["entry"][0]["resource"]["subject"] = {"reference": "urn:uuid:abc"}
    data["entry"].append(
        {
            "fullUrl": "urn:uuid:abc",
            "resource": {"resourceType": "Patient", "identifier": [{"value": "MRN-7"}]},
        }
    )
    sample, calls = import_bundle(data)
    assert (sample, calls[0].gene, calls[0].diplotype) == ("MRN-7", "CYP2C19", "*1/*2")


# ------------------------------------------------------------------ errors
def geno_ok() -> dict[str, Any]:
    return genotype({"text": "CYP2C19 *1/*2"}, component=gene_studied("HGNC:2621"))


BAD: list[tuple[str, Any, str]] = [
    ("not JSON", "{nope", "not JSON"),
    ("a list", [], "expected a JSON object"),
    ("a Patient", {"resourceType": "Patient"}, "resourceType is 'Patient'"),
    ("no genotypes", {"resourceType": "Bundle", "entry": []}, "no genotype observation"),
    (
        "only other observations",
        bundle({"resourceType": "Observation", "status": "final", "code": {"text": "x"}}),
        "no genotype observation",
    ),
    (
        "entry not an object",
        {"resourceType": "Bundle", "entry": [geno_ok(), 5]},
        r"entry\[1\]: entry is not",
    ),
    (
        "unknown HGNC id",
        bundle(geno_ok(), genotype({"text": "*1/*2"}, component=gene_studied("HGNC:99999", "FOO"))),
        r"entry\[1\]: unknown gene HGNC:99999 \(FOO\)",
    ),
    (
        "unknown gene symbol",
        bundle(geno_ok(), geno_ok() | {"component": gene_studied(None, "FOO1")}),
        r"entry\[1\]: unknown gene 'FOO1'",
    ),
    (
        "code and display disagree",
        bundle(genotype({"text": "*1/*2"}, component=gene_studied("HGNC:2621", "CYP2C9"))),
        r"entry\[0\]: HGNC:2621 is CYP2C19, but its display says CYP2C9",
    ),
    (
        "value names another gene",
        bundle(genotype({"text": "CYP2C9 *1/*2"}, component=gene_studied("HGNC:2621"))),
        r"entry\[0\]: gene-studied component says CYP2C19, but the value 'CYP2C9 \*1/\*2'",
    ),
    (
        "no gene at all",
        bundle(genotype({"text": "*1/*2"})),
        r"entry\[0\]: genotype observation names no gene",
    ),
    (
        "no value",
        bundle(genotype(None, component=gene_studied("HGNC:2621"))),
        r"entry\[0\]: CYP2C19 genotype observation has neither a value nor a dataAbsentReason",
    ),
    (
        "same gene twice",
        bundle(geno_ok(), geno_ok()),
        r"entry\[1\]: second genotype for CYP2C19 \(first at entry\[0\]\)",
    ),
    (
        "two patients",
        bundle(
            geno_ok(), genotype({"text": "CYP2C9 *1/*1"}, subject={"reference": "Patient/other"})
        ),
        r"entry\[1\]: subject 'other' differs from 'ExamplePatient' \(entry\[0\]\)",
    ),
    (
        "no subject",
        bundle({k: v for k, v in geno_ok().items() if k != "subject"}),
        r"entry\[0\]: genotype observation has no subject",
    ),
    (
        "three alleles",
        bundle(genotype({"text": "CYP2C19 *1/*2/*3"})),
        r"entry\[0\]: CYP2C19 diplotype .* more than two alleles",
    ),
    (
        "empty allele",
        bundle(genotype({"text": "CYP2C19 *1/"})),
        r"entry\[0\]: CYP2C19 diplotype .* empty allele",
    ),
]


@pytest.mark.parametrize(("data", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_bundles_raise_input_error_naming_the_entry(data: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        import_bundle(data)


def test_read_bundle_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(InputError, match=r"missing\.json: FHIR bundle file does not exist"):
        read_bundle(missing)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle(genotype({"text": "*1/*2"}))))
    with pytest.raises(InputError) as err:
        read_bundle(bad)
    assert str(err.value).startswith(f"{bad}, entry[0]: genotype observation names no gene")


def test_deeply_nested_or_nul_json_is_refused_before_parsing(tmp_path: Path) -> None:
    """A hostile bundle cannot exhaust the parser's recursion: a one-line error, no
    RecursionError, on the library path the CLI uses as well as in the service."""
    deep = tmp_path / "deep.json"
    deep.write_text('{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(InputError, match="nested deeper than 64 levels") as err:
        read_bundle(deep)
    assert err.value.path == str(deep)
    nul = '{"resourceType": "Bundle",\n "id": "a\\u0000b", "entry": []}'
    with pytest.raises(InputError, match=r"NUL characters .*line 2"):
        import_bundle(nul)
