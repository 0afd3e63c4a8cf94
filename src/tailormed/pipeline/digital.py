"""The digital-health domain adapter of the pipeline (``tailormed run --observations``):
observation files → :func:`tailormed.digital.run.summarize` → the digital
:class:`~tailormed.findings.Section` (:func:`tailormed.digital.sections.section`)."""

from __future__ import annotations

from tailormed.digital.sections import section
from tailormed.findings import Section
from tailormed.pipeline.domains import ClinicalInputs, Context


def adapter(inputs: ClinicalInputs, context: Context) -> list[Section]:
    """The pipeline's digital-health adapter (``tailormed run --observations``).

    Options (``ClinicalInputs.options``): ``digital.source_id`` (the Fitbit user),
    ``digital.timezone`` (IANA zone of zone-less times), ``digital.medications``
    (``("sertraline", "2024-03-01")`` pairs: medication starts), ``digital.as_of`` (date
    for the time-driven rules). The CYP2C19, CYP2D6 and SLCO1B1 phenotypes come from the
    run's own pharmacogenomic interpretation.
    """
    from datetime import date

    from tailormed.digital.run import summarize

    if not inputs.observations:
        return []
    opts = inputs.options
    phenotypes = []
    if context.interpretation is not None:
        for p in context.interpretation.phenotypes:
            if p.gene in ("CYP2C19", "CYP2D6", "SLCO1B1") and p.phenotype:
                phenotypes.append((p.gene, p.phenotype))
    as_of = opts.get("digital.as_of")
    summary = summarize(
        inputs.observations,
        patient=context.sample,
        source_id=opts.get("digital.source_id"),
        timezone=opts.get("digital.timezone"),
        medications=list(opts.get("digital.medications") or ()),
        phenotypes=phenotypes,
        as_of=date.fromisoformat(as_of) if as_of else None,
    )
    return [
        section(
            summary.table,
            summary.scores,
            summary.alerts,
            summary.context,
            summary.knowledge_version,
            subject=context.sample,
        )
    ]
