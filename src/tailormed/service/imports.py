"""Uploads → an :class:`~tailormed.recommend.Interpretation`, before anything is stored.

Three kinds, each checked by running the same stages as ``tailormed run`` (the
orchestration API of :mod:`tailormed.pipeline`):

* ``vcf``: a VCF / VCF.gz / BCF (one sample, or the one named), optionally with an
  outside-call TSV for the genes a VCF cannot give (CYP2D6 copy number, HLA);
* ``outside``: an outside-call TSV alone (``gene <TAB> diplotype [<TAB> phenotype
  [<TAB> activity score]]``, see :mod:`tailormed.calling.outside`);
* ``fhir``: a Genomics Reporting Bundle of Genotype observations
  (:func:`tailormed.fhir.import_bundle`).

Unusable input raises :class:`~tailormed.errors.InputError` naming the *uploaded* file
(never the server's temporary path). These functions are CPU-bound and synchronous: the
service runs them in a worker thread.

Uploads arrive as :class:`~tailormed.service.spool.Spooled` files: sealed on disk while
they are received, readable in clear only from memory (see :mod:`.spool`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tailormed.calling import CallOptions
from tailormed.calling.outside import read_outside_calls, to_gene_call
from tailormed.errors import InputError
from tailormed.fhir import import_bundle
from tailormed.knowledge import KnowledgeBase
from tailormed.pipeline import call_inputs, interpret_sample
from tailormed.recommend import Interpretation
from tailormed.service.spool import Spooled

__all__ = ["Spooled", "interpret_fhir", "interpret_outside", "interpret_vcf"]


def _renamed(exc: InputError, files: list[Spooled]) -> InputError:
    """``exc`` with the server-side paths replaced by the names the user uploaded."""
    path, problem = exc.path, exc.problem
    for f in files:
        problem = problem.replace(str(f.path), f.filename)
        if path == str(f.path):
            path = f.filename
    if path is not None and path.startswith(tempfile.gettempdir()):
        path = Path(path).name
    return InputError(problem, path=path, line=exc.line, record=exc.record)


def interpret_vcf(
    vcf: Spooled, kb: KnowledgeBase, *, sample: str | None = None, outside: Spooled | None = None
) -> Interpretation:
    """Call and interpret one sample of a VCF (plus optional outside calls)."""
    files = [vcf] + ([outside] if outside else [])
    try:
        options = CallOptions(samples=(sample,) if sample else None)
        callset = call_inputs([vcf.path], kb, options, outside=outside.path if outside else None)
        if len(callset.samples) != 1:
            shown = ", ".join(callset.samples[:10])
            raise InputError(
                f"the VCF holds {len(callset.samples)} samples ({shown}); "
                "name the one to import with the 'sample' field",
                path=vcf.filename,
            )
        (chosen,) = callset.samples
        return interpret_sample(callset.for_sample(chosen), kb)
    except InputError as exc:
        raise _renamed(exc, files) from None


def interpret_outside(
    tsv: Spooled, kb: KnowledgeBase, *, sample: str | None = None
) -> Interpretation:
    """Interpret an outside-call file alone (one sample: the one named, or the only one)."""
    try:
        calls = read_outside_calls(tsv.path, kb)
        named = sorted({c.sample for c in calls if c.sample})
        if sample is None:
            if len(named) > 1:
                raise InputError(
                    f"the file holds calls of {len(named)} samples ({', '.join(named[:10])}); "
                    "name the one to import with the 'sample' field",
                    path=tsv.path,
                )
            sample = named[0] if named else Path(tsv.filename).stem or "outside-calls"
        elif named and sample not in named:
            raise InputError(f"sample {sample!r} is not in the file", path=tsv.path)
        mine = [c for c in calls if c.sample in (None, sample)]
        gene_calls = [to_gene_call(c, sample, kb.version, tsv.path) for c in mine]
        return interpret_sample(gene_calls, kb)
    except InputError as exc:
        raise _renamed(exc, [tsv]) from None


def interpret_fhir(bundle: Spooled, kb: KnowledgeBase) -> Interpretation:
    """Interpret the Genotype observations of a FHIR Bundle (one patient)."""
    try:
        try:
            text = bundle.path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError("the FHIR bundle is not UTF-8 text", path=bundle.path) from None
        _sample, calls = import_bundle(text)
        return interpret_sample(calls, kb)
    except InputError as exc:
        if exc.path is None:
            exc = InputError(exc.problem, path=bundle.path, line=exc.line, record=exc.record)
        raise _renamed(exc, [bundle]) from None
