"""The oncology jobs end to end (what the CLI and, later, the pipeline and service call).

``run_tumor`` writes ``DIR/tumor.json`` (schema ``tailormed.oncology.tumor/1``),
``DIR/findings.json`` and ``DIR/fhir-bundle.json`` (Genomics Reporting, see
:mod:`.fhir`); ``run_ctdna`` writes ``DIR/ctdna.json`` (schema
``tailormed.oncology.ctdna/1``), ``DIR/findings.json``, ``DIR/charts/<patient>.svg`` and,
when asked, ``DIR/fhir/<patient>.json`` (one Bundle of Observations per draw) and
``DIR/documents/<patient>.json`` (the record's ``oncology.ctdna`` document body).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tailormed.atomic import write_atomic
from tailormed.errors import InputError
from tailormed.findings import findings_to_json
from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.charts import vaf_chart
from tailormed.oncology.ctdna import Rules, classify_series
from tailormed.oncology.fhir import ctdna_bundle, tumor_bundle
from tailormed.oncology.findings import ctdna_findings, to_findings
from tailormed.oncology.models import PatientCtdna, TumorReport
from tailormed.oncology.output import ctdna_model, tumor_model, write_json
from tailormed.oncology.pgx import germline_pgx
from tailormed.oncology.read import read_fusions, read_somatic
from tailormed.oncology.read_ctdna import parse_date, read_series
from tailormed.oncology.tumor import profile_tumour


@dataclass(frozen=True, slots=True)
class TumorJob:
    input: Path
    tumour_type: str
    out: Path
    tumor_sample: str | None = None
    normal_sample: str | None = None
    tmb: float | None = None
    panel_size_mb: float | None = None
    msi: str | None = None
    fusions: Path | None = None
    germline_vcf: Path | None = None
    germline_outside: Path | None = None
    germline_sample: str | None = None
    transcripts: tuple[str, ...] = ()


def run_tumor(job: TumorJob, kb: OncologyKnowledge | None = None) -> TumorReport:
    kb = kb or OncologyKnowledge.load()
    code = job.tumour_type.strip().upper()
    if not kb.knows_tumour_type(code):  # fail before any slow reading
        raise InputError(
            f"unknown tumour type {job.tumour_type!r}: give an OncoTree code known to "
            f"{kb.oncotree_version} (e.g. LUAD, NSCLC, SKCM, COADREAD, BRCA)",
            record="--tumor-type",
        )
    somatic = read_somatic(
        job.input,
        tumor_sample=job.tumor_sample,
        normal_sample=job.normal_sample,
        transcripts=job.transcripts,
    )
    fusions = read_fusions(job.fusions) if job.fusions else ()
    germline = germline_pgx(job.germline_vcf, job.germline_outside, job.germline_sample)
    report = profile_tumour(
        somatic,
        code,
        kb,
        fusions=fusions,
        tmb=job.tmb,
        panel_size_mb=job.panel_size_mb,
        msi=job.msi,
        germline=germline,
    )
    write_json(tumor_model(report), job.out / "tumor.json")
    _write_findings(findings_to_json(to_findings(report)), job.out / "findings.json")
    _write_bundle(tumor_bundle(report), job.out / "fhir-bundle.json")
    return report


def parse_therapy(text: str) -> tuple[str, str | None]:
    """``--therapy erlotinib:2024-01-15`` → ``("erlotinib", "2024-01-15")``."""
    drug, _, start = text.partition(":")
    if not drug.strip():
        raise InputError(f"--therapy {text!r}: expected DRUG or DRUG:YYYY-MM-DD")
    if start:
        start = parse_date(start, Path("--therapy"), 1, "therapy start")
    return drug.strip().lower(), start or None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "patient"


def run_ctdna(
    series: Path,
    out: Path,
    *,
    therapies: Sequence[str] = (),
    overrides: Mapping[str, float] | None = None,
    charts: bool = True,
    fhir: bool = False,
    documents: bool = False,
    kb: OncologyKnowledge | None = None,
) -> list[PatientCtdna]:
    kb = kb or OncologyKnowledge.load()
    given = [parse_therapy(t) for t in therapies]
    observations = read_series(series)
    rules_data = kb.payload["ctdna_rules"]
    rules = Rules.of(rules_data, overrides)
    patients = classify_series(observations, rules, kb.resistance, given)
    files: dict[str, str] = {}
    if charts:
        (out / "charts").mkdir(parents=True, exist_ok=True)
        for p in patients:
            name = f"charts/{_safe(p.patient)}.svg"
            (out / name).write_text(vaf_chart(p), encoding="utf-8")
            files[p.patient] = name
    if documents:  # one record document (oncology.ctdna) per patient, ready to PUT
        from tailormed.oncology.documents import CtdnaRow, CtdnaSeriesDocument, TherapyIn

        by_patient: dict[str, list[CtdnaRow]] = {}
        for o in observations:
            by_patient.setdefault(o.patient, []).append(
                CtdnaRow(
                    date=o.date,
                    gene=o.gene,
                    hgvs_p=o.hgvs_p,
                    chrom=o.chrom,
                    pos=o.pos,
                    ref=o.ref,
                    alt=o.alt,
                    vaf=o.vaf,
                    alt_reads=o.alt_reads,
                    depth=o.depth,
                    assay_lod=o.lod,
                    therapy=o.therapy,
                    therapy_start=o.therapy_start,
                )
            )
        for who, rows in by_patient.items():
            doc = CtdnaSeriesDocument(
                therapies=[TherapyIn(drug=d, start=s) for d, s in given], rows=rows
            )
            write_json(doc, out / "documents" / f"{_safe(who)}.json")
    if fhir:
        for p in patients:
            _write_bundle(ctdna_bundle(p, kb.version), out / "fhir" / f"{_safe(p.patient)}.json")
    effective = {k: dict(v) for k, v in rules_data.items()}
    effective["molecular_response"]["min_fall_fraction"] = rules.min_fall_fraction
    effective["rise_from_nadir"]["min_fold"] = rules.rise_fold
    effective["rise_from_nadir"]["min_absolute_vaf"] = rules.rise_min_vaf
    model = ctdna_model(
        str(series), kb.version, kb.civic_release, kb.oncotree_version, effective, patients, files
    )
    write_json(model, out / "ctdna.json")
    _write_findings(findings_to_json(ctdna_findings(patients, kb.version)), out / "findings.json")
    return patients


def _write_bundle(bundle: dict[str, object], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(bundle, indent=1, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"))


def _write_findings(data: list[dict[str, object]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
