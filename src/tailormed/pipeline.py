"""The whole job for one input: call → interpret → reports, for every sample.

``run`` is what ``tailormed run`` and the service's upload use: it calls every gene once
for all samples, then per sample builds the :class:`Interpretation` and writes
``<out>/<sample>/report.json``, ``report.html``, ``report.pdf`` and ``fhir-bundle.json``
(stable names other tools read), plus the cohort-level ``calls.tsv``, ``<sample>.json``
calls, ``genes.tsv`` and ``drugs.tsv`` in ``<out>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from tailormed.calling import CallOptions, call_files
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


def run(
    inputs: Sequence[Path],
    out_dir: Path,
    kb: KnowledgeBase,
    *,
    options: CallOptions | None = None,
    outside: Path | None = None,
    medications: Sequence[str] = (),
    factors: PatientFactors | None = None,
    progress: Progress | None = None,
) -> list[SampleOutput]:
    """Run every stage; returns what was written per sample."""
    options = options or CallOptions()
    factors = factors or PatientFactors()
    started = datetime.now(UTC)
    step = progress or (lambda _msg, _done, _total: None)
    outside_calls = read_outside_calls(outside, kb) if outside else None
    step("calling star alleles", 0, 1)
    callset = call_files(inputs, kb, options)
    total = 1 + len(callset.samples)
    if outside_calls and outside:
        callset = merge_outside(callset, outside_calls, outside)
    write_calls(callset, out_dir)
    outputs = []
    for done, sample in enumerate(callset.samples, start=1):
        step(f"interpreting and reporting {sample}", done, total)
        interpretation = build_interpretation(
            callset.for_sample(sample), kb, medications=medications, factors=factors
        )
        folder = out_dir / safe_name(sample)
        files = write_reports(interpretation, folder, kb, generated_at=started)
        bundle = folder / "fhir-bundle.json"
        write_bundle(interpretation, bundle, issued=started)
        files["fhir"] = bundle
        outputs.append(SampleOutput(sample, folder, files, interpretation))
    write_cohort([o.interpretation for o in outputs], out_dir)
    step("done", total, total)
    return outputs
