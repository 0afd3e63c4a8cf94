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

:func:`spool` copies an upload into a private temporary folder under its own (sanitised)
name while hashing it; :func:`spooled` removes the folder afterwards.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tailormed.calling import CallOptions
from tailormed.calling.output import safe_name
from tailormed.calling.outside import read_outside_calls, to_gene_call
from tailormed.errors import InputError
from tailormed.fhir import import_bundle
from tailormed.knowledge import KnowledgeBase
from tailormed.pipeline import call_inputs, interpret_sample
from tailormed.recommend import Interpretation

CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Spooled:
    """An upload copied to disk: where, under which name the user gave, its hash and size."""

    path: Path
    filename: str
    sha256: str
    size: int


@contextmanager
def spooled(directory: Path | None = None) -> Iterator[Path]:
    """A private temporary folder for one request's files, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="tailormed-upload-", dir=directory))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def spool(source: BinaryIO, folder: Path, filename: str | None, default: str) -> Spooled:
    """Copy ``source`` into ``folder`` in chunks, hashing as it goes."""
    name = safe_name(Path(filename or "").name) if filename else default
    if name in ("sample", ""):
        name = default
    target = folder / name
    if target.exists():
        target = folder / f"2-{name}"
    digest = hashlib.sha256()
    size = 0
    with open(target, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size == 0:
        raise InputError("the uploaded file is empty", path=filename or default)
    return Spooled(target, filename or name, digest.hexdigest(), size)


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
