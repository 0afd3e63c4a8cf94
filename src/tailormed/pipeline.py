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
"""

from __future__ import annotations

import json
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
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation, PatientFactors, build_interpretation
from tailormed.report import write_reports
from tailormed.report.cohort import write_cohort

Progress = Callable[[str, int, int], None]  # message, steps done, steps in all


@dataclass(frozen=True, slots=True)
class SampleOutput:
    sample: str
    folder: Path
    files: dict[str, Path]
    interpretation: Interpretation


def example_path(name: str) -> Path:
    """A file of the bundled example patient (``example-patient.vcf`` ...)."""
    return Path(str(resources.files("tailormed") / "examples" / name))


FACTOR_FIELDS = {
    "age_years": float,
    "height_cm": float,
    "weight_kg": float,
    "race": str,
    "african_ancestry": bool,
    "enzyme_inducer": bool,
    "amiodarone": bool,
}


def read_factors(path: Path) -> PatientFactors:
    """Clinical factors (JSON object with the :class:`PatientFactors` fields)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("patient factors file does not exist", path=path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", path=path, line=exc.lineno) from None
    if not isinstance(raw, dict):
        raise InputError("expected a JSON object of patient factors", path=path)
    values: dict[str, object] = {}
    for key, value in raw.items():
        kind = FACTOR_FIELDS.get(key)
        if kind is None:
            raise InputError(
                f"unknown factor {key!r}; known: {', '.join(FACTOR_FIELDS)}", path=path
            )
        if value is None:
            continue
        if kind is bool and not isinstance(value, bool):
            raise InputError(f"{key} must be true or false", path=path)
        if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise InputError(f"{key} must be a number", path=path)
        if kind is float and not 0 < float(value) < 1000:
            raise InputError(f"{key} = {value} is out of range", path=path)
        values[key] = float(value) if kind is float else value
    return PatientFactors(**values)  # type: ignore[arg-type]


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
) -> SampleOutput:
    """One sample's reports and FHIR bundle in ``folder`` (``<out>/<safe sample name>``)."""
    issued = generated_at or datetime.now(UTC)
    files = write_reports(interpretation, folder, kb, generated_at=issued, pdf=pdf)
    files["fhir"] = write_bundle(interpretation, folder / "fhir-bundle.json", issued=issued)
    return SampleOutput(interpretation.sample, folder, files, interpretation)


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
) -> list[SampleOutput]:
    """Interpret and write every ``(sample, calls)``, then the cohort TSVs in ``out_dir``.

    ``progress`` gets ``(message, done, total)`` before each sample (steps counted from 1;
    ``total`` is the caller's count of steps, 0 when unknown).
    """
    issued = generated_at or datetime.now(UTC)
    step = progress or (lambda _msg, _done, _total: None)
    outputs = []
    for done, (sample, calls) in enumerate(samples, start=1):
        step(f"interpreting and reporting {sample}", done, total)
        interpretation = interpret_sample(calls, kb, medications=medications, factors=factors)
        folder = out_dir / safe_name(sample)
        outputs.append(write_sample(interpretation, folder, kb, generated_at=issued, pdf=pdf))
    write_cohort([o.interpretation for o in outputs], out_dir)
    return outputs


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
) -> list[SampleOutput]:
    """Run every stage; returns what was written per sample."""
    started = datetime.now(UTC)
    step = progress or (lambda _msg, _done, _total: None)
    step("calling star alleles", 0, 1)
    callset = call_inputs(inputs, kb, options, outside=outside)
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
    )
    step("done", total, total)
    return outputs
