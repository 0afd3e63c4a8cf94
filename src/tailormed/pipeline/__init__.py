"""The one orchestration API: call → interpret → reports, used by every entry point.

``tailormed call``, ``report`` and ``run`` and the service's upload all go through these
functions, so a sample is called, interpreted and written the same way everywhere:

* :func:`call_inputs`: VCF(s) → :class:`~tailormed.calling.CallSet`, outside calls merged
  in (the outside-call file is checked before the VCF is read);
* :func:`interpret_sample`: one sample's calls → :class:`Interpretation`;
* :func:`write_sample`: ``<out>/<sample>/report.json``, ``report.html``, ``report.pdf`` and
  ``fhir-bundle.json`` (stable names other tools read);
* :func:`report_samples`: interpret and write every sample, then the cohort-level
  ``genes.tsv`` and ``drugs.tsv``;
* :func:`run`: all of it, plus ``calls.tsv`` and ``<sample>.json`` calls in ``<out>``.

Clinical domains (cardiovascular, oncology, rare disease, digital health) join through
:mod:`tailormed.pipeline.domains`: :class:`ClinicalInputs` (factors, PGS files, tumour,
phenopackets, observations ...) go to every registered domain adapter, and the
:class:`~tailormed.findings.Section` objects they return go into the same report
(``report.json`` ``sections`` and ``findings``, the HTML and PDF views) and FHIR bundle.
Clinical inputs describe one person: a multi-sample run needs ``subject`` to say which
sample they belong to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from tailormed.calling import CallOptions, CallSet, GeneCall, call_files
from tailormed.calling.output import merge_outside, safe_name, write_calls
from tailormed.calling.outside import read_outside_calls
from tailormed.errors import InputError
from tailormed.fhir import write_bundle
from tailormed.findings import Section
from tailormed.knowledge import KnowledgeBase
from tailormed.pipeline.domains import (
    ClinicalInputs,
    Context,
    DomainAdapter,
    domain_sections,
    register_domain,
)
from tailormed.recommend import Interpretation, PatientFactors, build_interpretation
from tailormed.report import write_reports
from tailormed.report.cohort import write_cohort

Progress = Callable[[str, int, int], None]  # message, steps done, steps in all

__all__ = [
    "ClinicalInputs",
    "Context",
    "DomainAdapter",
    "Progress",
    "SampleOutput",
    "call_inputs",
    "clinical_subject",
    "domain_sections",
    "example_path",
    "interpret_sample",
    "read_factors",
    "register_domain",
    "report_samples",
    "run",
    "write_sample",
]


@dataclass(frozen=True, slots=True)
class SampleOutput:
    sample: str
    folder: Path
    files: dict[str, Path]
    interpretation: Interpretation
    sections: tuple[Section, ...] = ()


def example_path(name: str) -> Path:
    """A file of the bundled example patient (``example-patient.vcf`` ...)."""
    return Path(str(resources.files("tailormed") / "examples" / name))


def read_factors(path: Path) -> PatientFactors:
    """The PGx factors of a patient-factors file (the one model of :mod:`tailormed.factors`:
    every domain's keys are accepted and checked; the PGx subset is returned)."""
    from tailormed.factors import read_factors as read_all

    return PatientFactors(**read_all(path).pgx())


def call_inputs(
    inputs: Sequence[Path],
    kb: KnowledgeBase,
    options: CallOptions | None = None,
    *,
    outside: Path | None = None,
) -> CallSet:
    """Call every requested gene for every sample; add the outside calls, if any."""
    outside_calls = read_outside_calls(outside, kb) if outside else None
    callset = call_files(inputs, kb, options or CallOptions())
    if outside_calls and outside:
        callset = merge_outside(callset, outside_calls, outside)
    return callset


def interpret_sample(
    calls: Sequence[GeneCall],
    kb: KnowledgeBase,
    *,
    medications: Sequence[str] = (),
    factors: PatientFactors | None = None,
) -> Interpretation:
    """Phenotypes, recommendations, doses and limitations for one sample's calls."""
    return build_interpretation(
        calls, kb, medications=medications, factors=factors or PatientFactors()
    )


def write_sample(
    interpretation: Interpretation,
    folder: Path,
    kb: KnowledgeBase,
    *,
    generated_at: datetime | None = None,
    pdf: bool = True,
    sections: Sequence[Section] = (),
) -> SampleOutput:
    """One sample's reports and FHIR bundle in ``folder`` (``<out>/<safe sample name>``),
    with the clinical domains' ``sections`` in both."""
    issued = generated_at or datetime.now(UTC)
    files = write_reports(
        interpretation, folder, kb, generated_at=issued, pdf=pdf, sections=sections
    )
    files["fhir"] = write_bundle(
        interpretation, folder / "fhir-bundle.json", issued=issued, sections=sections
    )
    return SampleOutput(interpretation.sample, folder, files, interpretation, tuple(sections))


def report_samples(
    samples: Iterable[tuple[str, Sequence[GeneCall]]],
    out_dir: Path,
    kb: KnowledgeBase,
    *,
    medications: Sequence[str] = (),
    factors: PatientFactors | None = None,
    pdf: bool = True,
    generated_at: datetime | None = None,
    progress: Progress | None = None,
    total: int = 0,
    clinical: ClinicalInputs | None = None,
    vcfs: Sequence[Path] = (),
    subject: str | None = None,
) -> list[SampleOutput]:
    """Interpret and write every ``(sample, calls)``, then the cohort TSVs in ``out_dir``.

    ``progress`` gets ``(message, done, total)`` before each sample (steps counted from 1;
    ``total`` is the caller's count of steps, 0 when unknown). ``clinical`` inputs go to
    the domain adapters for ``subject`` (default: the only sample) with ``vcfs``.
    """
    issued = generated_at or datetime.now(UTC)
    step = progress or (lambda _msg, _done, _total: None)
    outputs = []
    for done, (sample, calls) in enumerate(samples, start=1):
        step(f"interpreting and reporting {sample}", done, total)
        interpretation = interpret_sample(calls, kb, medications=medications, factors=factors)
        sections: list[Section] = []
        if clinical is not None and (subject is None or subject == sample):
            context = Context(sample, tuple(vcfs), kb, interpretation, issued)
            sections = domain_sections(clinical, context)
        folder = out_dir / safe_name(sample)
        outputs.append(
            write_sample(
                interpretation, folder, kb, generated_at=issued, pdf=pdf, sections=sections
            )
        )
    write_cohort([o.interpretation for o in outputs], out_dir)
    return outputs


def _pgx_factors_only(clinical: ClinicalInputs) -> bool:
    """Only a factors file, holding only the pharmacogenomic keys (no domain input)."""
    from dataclasses import replace

    from tailormed.factors import PGX_FIELDS
    from tailormed.factors import read_factors as read_all

    if clinical.factors is None or not replace(clinical, factors=None).empty:
        return False
    if clinical.options:
        return False
    return set(read_all(clinical.factors).given()) <= set(PGX_FIELDS)


def clinical_subject(
    samples: Sequence[str], clinical: ClinicalInputs | None, subject: str | None
) -> str | None:
    """The sample the clinical inputs belong to (checked), or None without any.

    >>> clinical_subject(["S1"], ClinicalInputs(pgs=(Path("a.txt"),)), None)
    'S1'
    """
    if clinical is None or (clinical.empty and not clinical.options):
        return None
    if _pgx_factors_only(clinical):
        return None  # the PGx factors apply to every sample, as before
    if subject is not None:
        if subject not in samples:
            raise InputError(
                f"--subject {subject!r} is not a sample of the input "
                f"(samples: {', '.join(samples[:10])})"
            )
        return subject
    if len(samples) != 1:
        raise InputError(
            f"clinical inputs describe one person but the input has {len(samples)} samples: "
            "say which with --subject (or --samples to report one)"
        )
    return samples[0]


def run(
    inputs: Sequence[Path],
    out_dir: Path,
    kb: KnowledgeBase,
    *,
    options: CallOptions | None = None,
    outside: Path | None = None,
    medications: Sequence[str] = (),
    factors: PatientFactors | None = None,
    pdf: bool = True,
    progress: Progress | None = None,
    clinical: ClinicalInputs | None = None,
    subject: str | None = None,
) -> list[SampleOutput]:
    """Run every stage; returns what was written per sample.

    ``clinical`` (optional) adds the clinical domains' sections for ``subject`` (default:
    the only sample; a multi-sample input without ``subject`` is an error).
    """
    started = datetime.now(UTC)
    step = progress or (lambda _msg, _done, _total: None)
    step("calling star alleles", 0, 1)
    callset = call_inputs(inputs, kb, options, outside=outside)
    who = clinical_subject(list(callset.samples), clinical, subject)
    total = 1 + len(callset.samples)
    write_calls(callset, out_dir)
    outputs = report_samples(
        ((s, callset.for_sample(s)) for s in callset.samples),
        out_dir,
        kb,
        medications=medications,
        factors=factors,
        pdf=pdf,
        generated_at=started,
        progress=progress,
        total=total,
        clinical=clinical if who is not None else None,
        vcfs=inputs,
        subject=who,
    )
    step("done", total, total)
    return outputs
