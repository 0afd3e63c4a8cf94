"""The oncology domain in the generic layer: pipeline, record/service, CDS (FHIR: :mod:`.fhir`).

Each function here is registered by one line in the generic registries (they import
nothing of the generic layer at run time, only its types for checking):

- :func:`pipeline_sections` (``tailormed.pipeline.domains``): ``tailormed run --tumor FILE
  --tumor-type CODE [--ctdna SERIES]...`` → the tumour section (germline PGx beside each
  therapy from *the same run's germline interpretation*, never from the tumour file) and
  one ctDNA section per series;
- :func:`record_sections` (``tailormed.service.documents``): the patient's stored
  ``oncology.tumor`` / ``oncology.ctdna`` documents → sections, with the PGx of the
  record's newest germline result;
- :func:`cds_resistance` (``tailormed.service.cds_providers``, ``order-select`` and
  ``order-sign``): an ordered targeted drug that meets a known resistance variant in the
  latest ctDNA draw or the tumour profile → a warning (:func:`.cds.resistance_findings`).

Options a run may pass in ``ClinicalInputs.options``: ``oncology.tumor_sample``,
``oncology.normal_sample``, ``oncology.tmb``, ``oncology.panel_size_mb``,
``oncology.msi``, ``oncology.fusions`` (a path), ``oncology.therapies`` (``DRUG[:START]``
strings for the ctDNA series).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tailormed.errors import InputError
from tailormed.findings import Finding, Section
from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.documents import (
    CTDNA_KIND,
    TUMOR_KIND,
    CtdnaSeriesDocument,
    TumorDocument,
)

if TYPE_CHECKING:
    from tailormed.pipeline.domains import ClinicalInputs, Context
    from tailormed.service.cds_providers import CdsContext
    from tailormed.service.documents import SectionInputs


def _option(inputs: ClinicalInputs, name: str) -> Any:
    return inputs.options.get(f"oncology.{name}")


def _float(inputs: ClinicalInputs, name: str) -> float | None:
    value = _option(inputs, name)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"oncology.{name} {value!r} is not a number") from None


def _tumour_json(path: Path, tumour_type: str | None) -> TumorDocument:
    from pydantic import ValidationError

    try:
        doc = TumorDocument.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise InputError("file does not exist", path=path) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise InputError(
            f"not a Tailormed tumour JSON (tumor.json): {where}: {first.get('msg')}", path=path
        ) from None
    if tumour_type and tumour_type.strip().upper() != doc.tumour_type:
        raise InputError(
            f"--tumor-type {tumour_type} differs from the profile's {doc.tumour_type}", path=path
        )
    return doc


def pipeline_sections(inputs: ClinicalInputs, context: Context) -> list[Section]:
    """The oncology sections of one run (``[]`` without tumour or ctDNA input)."""
    if inputs.tumor is None and not inputs.ctdna:
        return []
    from dataclasses import replace

    from tailormed.oncology.documents import report_from_document
    from tailormed.oncology.pgx import germline_of, with_germline
    from tailormed.oncology.read import read_fusions, read_somatic
    from tailormed.oncology.run import parse_therapy
    from tailormed.oncology.sections import ctdna_section, tumor_section
    from tailormed.oncology.tumor import profile_tumour

    kb = OncologyKnowledge.load()
    germline = (
        germline_of(context.interpretation, ", ".join(str(v) for v in context.vcfs) or "run")
        if context.interpretation is not None
        else None
    )
    out: list[Section] = []
    if inputs.tumor is not None:
        path = Path(inputs.tumor)
        if path.suffix == ".json":
            report = report_from_document(_tumour_json(path, inputs.tumor_type))
            if germline is not None:
                report = with_germline(report, germline, kb)
        else:
            if not inputs.tumor_type:
                raise InputError("--tumor needs --tumor-type (an OncoTree code, e.g. LUAD)")
            code = inputs.tumor_type.strip().upper()
            if not kb.knows_tumour_type(code):
                raise InputError(
                    f"unknown tumour type {inputs.tumor_type!r}: give an OncoTree code known "
                    f"to {kb.oncotree_version} (e.g. LUAD, NSCLC, SKCM, COADREAD, BRCA)",
                    record="--tumor-type",
                )
            somatic = read_somatic(
                path,
                tumor_sample=_option(inputs, "tumor_sample"),
                normal_sample=_option(inputs, "normal_sample"),
            )
            fusions_path = _option(inputs, "fusions")
            report = profile_tumour(
                somatic,
                code,
                kb,
                fusions=read_fusions(Path(fusions_path)) if fusions_path else (),
                tmb=_float(inputs, "tmb"),
                panel_size_mb=_float(inputs, "panel_size_mb"),
                msi=_option(inputs, "msi"),
                germline=germline,
            )
        out.append(tumor_section(replace(report, sample=context.sample)))
    if inputs.ctdna:
        from tailormed.oncology.ctdna import Rules, classify_series
        from tailormed.oncology.read_ctdna import read_series

        given = [parse_therapy(t) for t in _option(inputs, "therapies") or ()]
        rules = Rules.of(kb.payload["ctdna_rules"])
        for series in inputs.ctdna:
            observations = read_series(Path(series))
            patients = sorted({o.patient for o in observations})
            if len(patients) == 1:
                mine = observations
            elif context.sample in patients:
                mine = [o for o in observations if o.patient == context.sample]
            else:
                raise InputError(
                    f"the series holds {len(patients)} patients ({', '.join(patients[:5])}) "
                    f"and none is the run's subject {context.sample!r}",
                    path=Path(series),
                )
            for patient in classify_series(mine, rules, kb.resistance, given):
                out.append(ctdna_section(replace(patient, patient=context.sample), kb.version))
    return out


def _documents(
    documents: Mapping[str, Any],
) -> tuple[TumorDocument | None, CtdnaSeriesDocument | None]:
    tumor = documents.get(TUMOR_KIND)
    ctdna = documents.get(CTDNA_KIND)
    return (
        TumorDocument.model_validate(tumor) if tumor is not None else None,
        CtdnaSeriesDocument.model_validate(ctdna) if ctdna is not None else None,
    )


def record_sections(documents: Mapping[str, Any], inputs: SectionInputs) -> list[Section]:
    """Sections of the patient's stored oncology documents (``[]`` without any)."""
    from tailormed.oncology.pgx import germline_of
    from tailormed.oncology.sections import document_sections

    tumor, ctdna = _documents(documents)
    if tumor is None and ctdna is None:
        return []
    germline = (
        germline_of(inputs.interpretation, "the record's germline result")
        if inputs.interpretation is not None
        else None
    )
    return document_sections(tumor, ctdna, inputs.subject, OncologyKnowledge.load(), germline)


def cds_applies(drugs: Sequence[str]) -> bool:
    """Whether :func:`cds_resistance` can say anything about these drugs (some variant is
    known to confer resistance to one of them): the record's documents are read only then."""
    known = OncologyKnowledge.load().resistance_drugs()
    return any(d.strip().lower() in known for d in drugs)


def cds_resistance(
    drugs: Sequence[str], documents: Mapping[str, Any], _kb: Any, ctx: CdsContext
) -> list[Finding]:
    """Warnings for ordered drugs that meet a known resistance variant of this patient."""
    from tailormed.oncology.cds import resistance_findings

    if not drugs:
        return []
    tumor, ctdna = _documents(documents)
    if tumor is None and ctdna is None:
        return []
    return resistance_findings(
        drugs, tumor, ctdna, OncologyKnowledge.load(), subject=ctx.patient_ref
    )
