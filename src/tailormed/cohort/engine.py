"""The cohort engine: partitions, Dask, restartable Parquet parts, the merged tables.

Work is split into *sample blocks* (``block_size`` samples) x *gene regions* (one gene's
region each). A call partition reads one region for one block (VCF: a region query;
VCF Zarr: the block's columns of the records that touch a defining position) and
writes the block's distinct calls of that gene (``parts/b00000-CYP2C19.json``). A block
partition then interprets the block (all its genes) and writes its Parquet parts
(``parts/b00000.calls.parquet``, ``.drugs.parquet``, ``.haplotypes.parquet``). No task
holds more than one block; the driver holds only the plan.

Polygenic scores (``--pgs``) are partitioned by *variant regions* instead: the scoring
files' mapped positions, sorted, are cut into regions of about ``pgs_region_variants``
variants (default 5,000), only ever between two distinct positions, so the records of one
position — a multiallelic site split over several records, or a palindromic variant — are
always matched in one region. A region partition reads its region of the indexed
VCF/BCF (cyvcf2 region queries) for every sample at once, as ``tailormed prs`` does, and
writes its partial sums, allele counts, missing calls and per-variant match outcomes
(``parts/pgs-r00000.npz``). The driver adds the partials — sums and counts are additive
(sums up to floating-point order), each variant is decided in exactly one region —
applies the match-rate threshold to the total and writes ``scores.parquet``. A task's
memory is its genotype block (bounded by the PRS block builder) plus ``samples x scores``
sums, whatever the region size; the region size sets the grain of the parallel work and
of a restart. An input without an index (.tbi/.csi) is scored as one region, since each
region would stream the whole file.

Restart: each part is written under a temporary name and renamed, so a part that exists
is complete. ``parts/manifest.json`` records the fingerprint of the run (input files,
knowledge-base version, options, block size and sample list); a rerun with the same
fingerprint skips every finished part, one with another fingerprint deletes the parts
and starts over. The final ``calls.parquet`` and ``drugs.parquet`` are merged from the
parts in block order, so the output is the same for any number of workers.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tailormed import __version__
from tailormed.atomic import write_atomic
from tailormed.calling.models import SCHEMA as CALLS_SCHEMA_NAME
from tailormed.calling.models import CallOptions
from tailormed.calling.outside import OutsideCall
from tailormed.cohort.inputs import CohortInput, fingerprint_path
from tailormed.errors import InputError

MANIFEST_SCHEMA = "tailormed.cohort-manifest/1"
DEFAULT_BLOCK = 10_000
DEFAULT_PGS_REGION = 5_000  # scoring-file variants per PGS region partition

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class CohortOptions:
    """Everything a cohort run needs (the command line's options)."""

    inputs: tuple[Path, ...]
    out: Path
    call: CallOptions = field(default_factory=CallOptions)
    outside: Path | None = None
    populations: Path | None = None
    unrelated: bool = False
    pedigree: Path | None = None
    scheduler: str | None = None
    workers: int = 2
    per_sample_json: bool = False
    block_size: int = DEFAULT_BLOCK
    pgs: tuple[Path, ...] = ()  # PGS Catalog scoring files: scores.parquet
    pgs_region_variants: int = DEFAULT_PGS_REGION


@dataclass(frozen=True, slots=True)
class Spec:
    """What a task needs (sent to the workers; small)."""

    source: CohortInput
    kb_origin: str
    call: CallOptions
    parts: Path
    outside: Path | None
    genes: tuple[str, ...]
    documents: Path | None
    document_head: dict[str, Any]
    pgs: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class CohortResult:
    out: Path
    samples: int
    genes: tuple[str, ...]
    blocks: int
    partitions: int
    reused: int
    seconds: float
    files: dict[str, Path]
    summary: dict[str, Any]
    dashboard: str | None = None


# ---------------------------------------------------------------------------- tasks


_KB: dict[str, Any] = {}


def _kb(origin: str) -> Any:
    from tailormed.knowledge import load_kb

    st = Path(origin).stat()
    key = f"{origin}|{st.st_size}|{st.st_mtime_ns}"  # a rebuilt bundle is loaded again
    if key not in _KB:
        _KB.clear()
        _KB[key] = load_kb(origin)
    return _KB[key]


def call_part_path(parts: Path, block: int, gene: str) -> Path:
    return parts / f"b{block:05d}-{gene}.json"


def block_part_paths(parts: Path, block: int) -> dict[str, Path]:
    base = f"b{block:05d}"
    return {
        "calls": parts / f"{base}.calls.parquet",
        "drugs": parts / f"{base}.drugs.parquet",
        "haplotypes": parts / f"{base}.haplotypes.parquet",
        "done": parts / f"{base}.done",
    }


def run_call_part(spec: Spec, block: int, gene: str, samples: tuple[str, ...]) -> str:
    """Task: one gene region for one sample block → the block's distinct calls (JSON)."""
    from tailormed.cohort.pgx import call_block, panels
    from tailormed.vcf.regions import CoveredRegions

    path = call_part_path(spec.parts, block, gene)
    if path.exists():
        return str(path)
    kb = _kb(spec.kb_origin)
    covered = CoveredRegions.read(spec.call.covered_regions) if spec.call.covered_regions else None
    matrices = spec.source.read(panels(kb, [gene]), samples, spec.call.missing_to_ref, covered)
    (result,) = call_block(matrices, kb, spec.call)
    write_atomic(path, json.dumps(result.to_json()).encode(), mode=0o600)
    return str(path)


def run_block_part(spec: Spec, block: int, samples: tuple[str, ...], *call_parts: str) -> str:
    """Task: interpret one sample block from its genes' call parts → Parquet parts."""
    from tailormed.calling.outside import read_outside_calls
    from tailormed.cohort.pgx import GeneBlock, interpret_block
    from tailormed.cohort.tables import write_table

    paths = block_part_paths(spec.parts, block)
    if paths["done"].exists():
        return str(paths["done"])
    kb = _kb(spec.kb_origin)
    genes = [
        GeneBlock.from_json(json.loads(call_part_path(spec.parts, block, g).read_text()))
        for g in spec.genes
    ]
    outside: list[OutsideCall] = read_outside_calls(spec.outside, kb) if spec.outside else []
    rows = interpret_block(
        samples,
        genes,
        kb,
        outside=outside,
        outside_path=spec.outside,
        documents=spec.documents is not None,
        document_head=spec.document_head,
    )
    write_table(rows.calls, paths["calls"])
    write_table(rows.drugs, paths["drugs"])
    write_table(rows.haplotypes, paths["haplotypes"])
    if spec.documents is not None:
        from tailormed.calling.output import safe_name

        for sample, doc in rows.documents.items():
            text = json.dumps(doc, indent=1) + "\n"
            write_atomic(spec.documents / f"{safe_name(sample)}.json", text.encode(), mode=0o600)
    write_atomic(paths["done"], b"done\n")
    return str(paths["done"])


_PGS: dict[str, Any] = {}


def _scoring_files(paths: Sequence[Path]) -> Any:
    """The scoring files, parsed once per worker process (re-read when one changes)."""
    from tailormed.cardio.prs import read_scoring_file

    key = "|".join(f"{p}|{p.stat().st_size}|{p.stat().st_mtime_ns}" for p in paths)
    if key not in _PGS:
        _PGS.clear()
        _PGS[key] = [read_scoring_file(p) for p in paths]
    return _PGS[key]


def pgs_part_path(parts: Path, region: int) -> Path:
    return parts / f"pgs-r{region:05d}.npz"


def pgs_regions(files: Sequence[Any], target: int) -> list[tuple[int, int]]:
    """Regions (inclusive spans of :func:`~tailormed.cardio.prs.variant_keys`) of about
    ``target`` scoring-file variants each, cut only between distinct positions; always at
    least one (an empty one when nothing is mapped)."""
    import numpy as np

    from tailormed.cardio.prs import variant_keys

    if target < 1:
        raise InputError("the PGS region size must be at least 1 variant")
    keys = np.concatenate([variant_keys(f)[f.chrom > 0] for f in files])
    if not len(keys):
        return [(0, 0)]
    positions, counts = np.unique(keys, return_counts=True)
    before = np.cumsum(counts) - counts  # variants at earlier positions
    chunk = before // target  # a position's region: where its first variant falls
    firsts = np.flatnonzero(np.r_[True, chunk[1:] != chunk[:-1]])
    lasts = np.r_[firsts[1:] - 1, len(positions) - 1]
    return [(int(positions[a]), int(positions[b])) for a, b in zip(firsts, lasts, strict=True)]


def run_pgs_part(spec: Spec, region: int, span: tuple[int, int], samples: tuple[str, ...]) -> str:
    """Task: one variant region for every sample → its partial scores (``.npz``)."""
    import io

    import numpy as np

    from tailormed.cardio.prs import PrsOptions, score_partial

    path = pgs_part_path(spec.parts, region)
    if path.exists():
        return str(path)
    files = _scoring_files(spec.pgs)
    p = score_partial(list(spec.source.paths), files, PrsOptions(samples=samples), span)
    arrays: dict[str, np.ndarray[Any, Any]] = {
        "sums": p.totals.sums,
        "allele_counts": p.totals.allele_counts,
        "missing": p.totals.missing,
    }
    for s in range(len(files)):
        arrays[f"status{s}"] = p.status[s]
        arrays[f"multiallelic{s}"] = p.multiallelic[s]
        arrays[f"palindromic{s}"] = p.palindromic[s]
    buf = io.BytesIO()
    np.savez_compressed(buf, allow_pickle=False, **arrays)
    write_atomic(path, buf.getvalue(), mode=0o600)
    return str(path)


def read_pgs_part(path: Path, samples: tuple[str, ...], n_files: int) -> Any:
    """A region part back as :class:`~tailormed.cardio.prs.PartialScores`."""
    import numpy as np

    from tailormed.cardio.prs import BlockScores, PartialScores

    with np.load(path) as z:
        return PartialScores(
            samples,
            tuple(z[f"status{s}"] for s in range(n_files)),
            tuple(z[f"multiallelic{s}"] for s in range(n_files)),
            tuple(z[f"palindromic{s}"] for s in range(n_files)),
            BlockScores(z["sums"], z["allele_counts"], z["missing"]),
        )


def scores_table(
    spec_pgs: Sequence[Path], parts: Path, n_regions: int, samples: tuple[str, ...]
) -> Any:
    """``scores.parquet``'s rows from the summed region parts (as ``tailormed prs``)."""
    import pyarrow as pa

    from tailormed.cardio.prs import finish_scores
    from tailormed.cohort.tables import SCORES_SCHEMA, score_values

    files = _scoring_files(spec_pgs)
    total = read_pgs_part(pgs_part_path(parts, 0), samples, len(files))
    for r in range(1, n_regions):
        total = total.add(read_pgs_part(pgs_part_path(parts, r), samples, len(files)))
    result = finish_scores(files, total)
    rows = [score_values(s) for s in result.scores]
    names = SCORES_SCHEMA.names
    return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)}, schema=SCORES_SCHEMA)


# ---------------------------------------------------------------------------- driver


def _blocks(samples: Sequence[str], size: int) -> list[tuple[str, ...]]:
    return [tuple(samples[i : i + size]) for i in range(0, len(samples), size)]


def _fingerprint(
    options: CohortOptions,
    source: CohortInput,
    kb: Any,
    genes: Sequence[str],
    samples: Sequence[str],
    regions: Sequence[tuple[int, int]] = (),
) -> dict[str, Any]:
    call = options.call
    extra = [p for p in (call.covered_regions, options.outside, *options.pgs) if p is not None]
    return {
        "schema": MANIFEST_SCHEMA,
        "tailormed": __version__,
        "kb_version": kb.version,
        "input_kind": source.kind,
        "inputs": source.fingerprint(),
        "option_files": [fingerprint_path(p) for p in extra],
        "options": {
            "genes": list(genes),
            "missing_to_ref": call.missing_to_ref,
            "covered_regions": str(call.covered_regions) if call.covered_regions else None,
            "outside": str(options.outside) if options.outside else None,
            "research_cyp2d6": call.research_cyp2d6,
            "all_matches": call.all_matches,
            "combinations": call.combinations,
            "per_sample_json": options.per_sample_json,
            "block_size": options.block_size,
            "pgs": [str(p) for p in options.pgs],
            "pgs_region_variants": options.pgs_region_variants,
            # the plan itself (it also depends on whether the input is indexed): a part of
            # another plan must never be reused
            "pgs_regions_sha256": hashlib.sha256(json.dumps(list(regions)).encode()).hexdigest(),
        },
        "samples_sha256": hashlib.sha256("\n".join(samples).encode()).hexdigest(),
        "samples": len(samples),
    }


def _prepare_parts(parts: Path, fingerprint: dict[str, Any], say: Callable[[str], None]) -> None:
    manifest = parts / "manifest.json"
    if manifest.exists():
        try:
            old = json.loads(manifest.read_text())
        except (OSError, json.JSONDecodeError):
            old = None
        if old == fingerprint:
            return
        say("inputs, knowledge base or options changed since the last run: starting over")
        shutil.rmtree(parts)
    elif parts.exists():
        shutil.rmtree(parts)  # parts without a manifest cannot be trusted
    parts.mkdir(parents=True, exist_ok=True)
    write_atomic(manifest, (json.dumps(fingerprint, indent=1) + "\n").encode(), mode=0o600)


def _client(options: CohortOptions) -> tuple[Any, Any]:
    from distributed import Client, LocalCluster

    if options.scheduler:
        return Client(options.scheduler), None
    cluster = LocalCluster(
        n_workers=options.workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address="127.0.0.1:0",
        host="127.0.0.1",
    )
    return Client(cluster), cluster


def run_cohort(
    options: CohortOptions,
    *,
    progress: Progress | None = None,
    say: Callable[[str], None] = lambda _m: None,
    on_dashboard: Callable[[str], None] = lambda _m: None,
    client: Any = None,
) -> CohortResult:
    """Run (or resume) a cohort and write its tables and summary into ``options.out``.

    ``client``: a connected ``distributed.Client`` to use (left open); otherwise one is made
    from ``options.scheduler`` or a new ``LocalCluster`` of ``options.workers`` processes.
    """
    from tailormed.calling.caller import select_genes
    from tailormed.calling.outside import read_outside_calls
    from tailormed.cohort.summary import write_summary
    from tailormed.knowledge import load_kb

    started = time.perf_counter()
    step = progress or (lambda _m, _d, _t: None)
    if options.block_size < 1:
        raise InputError("--block-size must be at least 1")
    kb = load_kb()
    call = replace(options.call, jobs=1)
    if call.covered_regions is not None and not call.missing_to_ref:
        raise InputError(
            "--covered-regions says where absent positions may be read as reference: "
            "use it together with --missing-to-ref",
            path=call.covered_regions,
        )
    genes = select_genes(kb, call)
    source = CohortInput.of(options.inputs)
    everyone = source.samples()
    if call.samples:
        known = set(everyone)
        unknown = [s for s in call.samples if s not in known]
        if unknown:
            raise InputError(
                f"sample(s) not in the input: {', '.join(unknown[:10])}", path=source.paths[0]
            )
        samples = tuple(dict.fromkeys(call.samples))
    else:
        samples = everyone
    if options.outside:
        for oc in read_outside_calls(options.outside, kb):
            if oc.sample is not None and oc.sample not in set(samples):
                raise InputError(
                    f"sample {oc.sample!r} is not in the input", path=options.outside, line=oc.line
                )
    if options.populations is not None or options.unrelated:
        from tailormed.cohort.equity import check_populations

        check_populations(options.populations, options.pedigree, options.unrelated)
    if options.pgs:
        if source.kind != "vcf":
            raise InputError(
                "--pgs reads VCF/BCF genotypes; give the VCF files (VCF Zarr is not scored yet)",
                path=source.paths[0],
            )
        from tailormed.cardio.prs import read_scoring_file

        # refuse a bad or non-GRCh38 file before any work; plan the variant regions
        from tailormed.vcf.reader import has_index

        scoring = [read_scoring_file(p) for p in options.pgs]
        if all(has_index(p) for p in source.paths):
            regions = pgs_regions(scoring, options.pgs_region_variants)
        else:
            # without an index every region would stream the whole file: one pass instead
            regions = pgs_regions(scoring, sum(len(f) for f in scoring) + 1)
            say(
                "the VCF/BCF has no index (.tbi/.csi): polygenic scores are read in one "
                "partition; index it (bcftools index) to spread them over the workers"
            )
    else:
        regions = []
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = out / "parts"
    fingerprint = _fingerprint(options, source, kb, genes, samples, regions)
    _prepare_parts(parts, fingerprint, say)
    documents = out / "samples" if options.per_sample_json else None
    if documents is not None:
        documents.mkdir(exist_ok=True)
    spec = Spec(
        source=source,
        kb_origin=kb.origin,
        call=replace(call, samples=None),
        parts=parts,
        outside=options.outside,
        genes=genes,
        documents=documents,
        pgs=tuple(Path(p).absolute() for p in options.pgs),
        document_head={
            "schema": CALLS_SCHEMA_NAME,
            "kb_version": kb.version,
            "inputs": [str(p) for p in source.paths],
            "options": {
                "missing_to_ref": call.missing_to_ref,
                "covered_regions": str(call.covered_regions) if call.covered_regions else None,
                "research_cyp2d6": call.research_cyp2d6,
            },
        },
    )
    blocks = _blocks(samples, options.block_size)
    total = len(blocks) * (len(genes) + 1) + len(regions)
    pending_calls = [
        (b, g)
        for b in range(len(blocks))
        for g in genes
        if not call_part_path(parts, b, g).exists()
    ]
    pending_blocks = [
        b for b in range(len(blocks)) if not block_part_paths(parts, b)["done"].exists()
    ]
    pending_regions = [
        (r, span) for r, span in enumerate(regions) if not pgs_part_path(parts, r).exists()
    ]
    reused = total - len(pending_calls) - len(pending_blocks) - len(pending_regions)
    dashboard = None
    if pending_blocks or pending_calls or pending_regions:
        dashboard = _compute(
            spec,
            blocks,
            pending_calls,
            pending_blocks,
            options,
            step,
            reused,
            total,
            on_dashboard,
            client,
            pending_regions,
            samples,
        )
    step("merging the parts", total, total)
    scores = scores_table(spec.pgs, parts, len(regions), samples) if regions else None
    files = _merge(parts, len(blocks), out, kb.version, fingerprint, scores)
    summary = write_summary(
        out,
        files,
        kb=kb,
        samples=samples,
        genes=genes,
        options=options,
        fingerprint=fingerprint,
        partitions=total,
        seconds=time.perf_counter() - started,
    )
    files.update({"summary_json": out / "summary.json", "summary_html": out / "summary.html"})
    return CohortResult(
        out=out,
        samples=len(samples),
        genes=genes,
        blocks=len(blocks),
        partitions=total,
        reused=reused,
        seconds=time.perf_counter() - started,
        files=files,
        summary=summary,
        dashboard=dashboard,
    )


def _compute(
    spec: Spec,
    blocks: list[tuple[str, ...]],
    pending_calls: list[tuple[int, str]],
    pending_blocks: list[int],
    options: CohortOptions,
    step: Progress,
    done: int,
    total: int,
    on_dashboard: Callable[[str], None],
    given: Any = None,
    pending_regions: Sequence[tuple[int, tuple[int, int]]] = (),
    samples: tuple[str, ...] = (),
) -> str | None:
    from distributed import as_completed

    client, cluster = (given, None) if given is not None else _client(options)
    try:
        link = client.dashboard_link
        on_dashboard(link)
        futures: dict[tuple[int, str], Any] = {}
        for b, g in pending_calls:
            futures[(b, g)] = client.submit(
                run_call_part, spec, b, g, blocks[b], key=f"call-b{b:05d}-{g}", pure=False
            )
        finals = []
        for b in pending_blocks:
            deps = [futures[(b, g)] for g in spec.genes if (b, g) in futures]
            finals.append(
                client.submit(
                    run_block_part, spec, b, blocks[b], *deps, key=f"block-b{b:05d}", pure=False
                )
            )
        # the PGS regions first: long tasks that read every sample, so no worker idles at the end
        regional = [
            client.submit(run_pgs_part, spec, r, span, samples, key=f"pgs-r{r:05d}", pure=False)
            for r, span in pending_regions
        ]
        everything = regional + list(futures.values()) + finals
        step("running partitions", done, total)
        for finished in as_completed(everything):
            finished.result()  # raises the task's error here, with its message
            done += 1
            step("running partitions", done, total)
        return str(link) if link else None
    finally:
        if given is None:
            client.close()
        if cluster is not None:
            cluster.close()


def _merge(
    parts: Path,
    n_blocks: int,
    out: Path,
    kb_version: str,
    fingerprint: dict[str, Any],
    scores: Any = None,
) -> dict[str, Path]:
    """Concatenate the block parts, in block order, into the final tables (and write
    ``scores``, the table summed from the PGS region parts, when given)."""
    import pyarrow.parquet as pq

    from tailormed.atomic import replacing
    from tailormed.cohort.tables import CALLS_SCHEMA, DRUGS_SCHEMA, SCORES_SCHEMA

    meta = {
        b"tailormed": json.dumps(
            {
                "tailormed": __version__,
                "kb_version": kb_version,
                "options": fingerprint["options"],
                "inputs": [i["path"] for i in fingerprint["inputs"]],
            }
        ).encode()
    }
    files: dict[str, Path] = {}
    tables = [("calls", CALLS_SCHEMA), ("drugs", DRUGS_SCHEMA)]
    if scores is not None:
        target = out / "scores.parquet"
        with replacing(target, mode=0o600) as tmp:
            pq.write_table(scores.cast(SCORES_SCHEMA.with_metadata(meta)), tmp, compression="zstd")
        files["scores"] = target
    else:
        (out / "scores.parquet").unlink(missing_ok=True)  # never one of an earlier run
    for name, kind in tables:
        target = out / f"{name}.parquet"
        with replacing(target, mode=0o600) as tmp:
            writer = pq.ParquetWriter(tmp, kind.with_metadata(meta), compression="zstd")
            try:
                for b in range(n_blocks):
                    part = block_part_paths(parts, b)[name]
                    writer.write_table(pq.read_table(part).replace_schema_metadata(meta))
            finally:
                writer.close()
        files[name] = target
    files["haplotype_parts"] = parts
    return files
