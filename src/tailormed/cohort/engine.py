"""The cohort engine: partitions, Dask, restartable Parquet parts, the merged tables.

Work is split into *sample blocks* (``block_size`` samples) x *gene regions* (one gene's
region each). A call partition reads one region for one block (VCF: a region query;
VCF Zarr: the block's columns of the records that touch a defining position) and
writes the block's distinct calls of that gene (``parts/b00000-CYP2C19.json``). A block
partition then interprets the block (all its genes) and writes its Parquet parts
(``parts/b00000.calls.parquet``, ``.drugs.parquet``, ``.haplotypes.parquet``). No task
holds more than one block; the driver holds only the plan.

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
        "scores": parts / f"{base}.scores.parquet",
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
    if spec.pgs:
        write_table(score_block_table(spec, samples), paths["scores"])
    if spec.documents is not None:
        from tailormed.calling.output import safe_name

        for sample, doc in rows.documents.items():
            text = json.dumps(doc, indent=1) + "\n"
            write_atomic(spec.documents / f"{safe_name(sample)}.json", text.encode(), mode=0o600)
    write_atomic(paths["done"], b"done\n")
    return str(paths["done"])


def score_block_table(spec: Spec, samples: tuple[str, ...]) -> Any:
    """Polygenic scores of one sample block (the PRS domain's own engine on the block)."""
    from tailormed.cardio.prs import PrsOptions, read_scoring_file, score_files
    from tailormed.cohort.tables import SCORES_SCHEMA, score_values

    files = [read_scoring_file(p) for p in spec.pgs]
    result = score_files(list(spec.source.paths), files, PrsOptions(samples=samples))
    rows = [score_values(s) for s in result.scores]
    names = SCORES_SCHEMA.names
    import pyarrow as pa

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

        for p in options.pgs:
            read_scoring_file(p)  # refuse a bad or non-GRCh38 file before any work
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = out / "parts"
    fingerprint = _fingerprint(options, source, kb, genes, samples)
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
    total = len(blocks) * (len(genes) + 1)
    pending_calls = [
        (b, g)
        for b in range(len(blocks))
        for g in genes
        if not call_part_path(parts, b, g).exists()
    ]
    pending_blocks = [
        b for b in range(len(blocks)) if not block_part_paths(parts, b)["done"].exists()
    ]
    reused = total - len(pending_calls) - len(pending_blocks)
    dashboard = None
    if pending_blocks or pending_calls:
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
        )
    step("merging the parts", total, total)
    files = _merge(parts, len(blocks), out, kb.version, fingerprint, bool(options.pgs))
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
        everything = list(futures.values()) + finals
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
    scores: bool = False,
) -> dict[str, Path]:
    """Concatenate the block parts, in block order, into the final tables."""
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
    files = {}
    tables = [("calls", CALLS_SCHEMA), ("drugs", DRUGS_SCHEMA)]
    if scores:
        tables.append(("scores", SCORES_SCHEMA))
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
