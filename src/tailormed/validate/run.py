"""Run the GeT-RM validation: truth + 1KGP panel VCFs + the caller → a report.

The 1KGP files hold different gene regions of the same samples, so every panel VCF of a
validated gene is passed to the caller in one call, with ``missing_to_ref=True``: the
files list variant sites only, so an absent position is taken as hom-ref. That is not
always right (CYP2B6 rs2279343, a common variant, has no record in its file), which is
why discordances are checked against what each file actually holds (:class:`VcfPanel`).
"""

from __future__ import annotations

import csv
import importlib
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from tailormed.atomic import write_atomic
from tailormed.calling.models import CallOptions, CallSet
from tailormed.errors import InputError, TailormedError
from tailormed.knowledge import OUTSIDE_CALL_GENES, KnowledgeBase
from tailormed.validate.concordance import (
    Comparison,
    GeneStatus,
    GeneSummary,
    compare,
    summarise,
)
from tailormed.validate.explain import PanelSite, typed_positions
from tailormed.validate.getrm import TruthCall, category_counts, load_truth

SCHEMA = "tailormed.validate.getrm/1"
TRUTH_FILE = Path("getrm") / "getrm_truth.tsv"
PANEL_DIR = Path("1kgp") / "GRCh38"

CallFn = Callable[[list[Path], KnowledgeBase, CallOptions], CallSet]


def load_caller() -> CallFn:
    """``tailormed.calling.call_files``, imported only when a validation runs."""
    try:
        module = importlib.import_module("tailormed.calling")
        fn = module.call_files
    except (ImportError, AttributeError):
        raise TailormedError(
            "the star-allele caller (tailormed.calling.call_files) is not available yet"
        ) from None
    return cast(CallFn, fn)


class VcfPanel:
    """The per-gene panel VCFs (``<GENE>.vcf.gz``) and which positions they hold.

    The files list variant sites only: a position inside a file's first–last record
    with no record is taken as hom-ref for everyone, which is right only if the site was
    kept upstream; a position outside that span (IFNL3's rs12979860) was never looked
    at. Each file's record positions are read lazily, once, and only for genes with a
    discordance to explain.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._positions: dict[str, frozenset[int]] = {}
        self._spans: dict[str, tuple[int, int]] = {}

    def path(self, gene: str) -> Path | None:
        p = self.directory / f"{gene}.vcf.gz"
        return p if p.is_file() else None

    def positions(self, gene: str) -> frozenset[int]:
        """Every record position of the gene's file (empty without a file)."""
        if gene not in self._positions:
            path = self.path(gene)
            found: set[int] = set()
            if path is not None:
                from cyvcf2 import VCF

                try:
                    vcf = VCF(str(path), lazy=True)
                    found.update(int(record.POS) for record in vcf)
                    vcf.close()
                except OSError as exc:
                    raise InputError(f"cannot read panel VCF ({exc})", path=path) from None
            self._positions[gene] = frozenset(found)
            if found:
                self._spans[gene] = (min(found), max(found))
        return self._positions[gene]

    def site(self, gene: str, position: int) -> PanelSite:
        if position in self.positions(gene):
            return PanelSite.RECORD
        first, last = self._spans.get(gene, (0, -1))
        return PanelSite.ABSENT if first <= position <= last else PanelSite.OUTSIDE


@dataclass(frozen=True, slots=True)
class GetrmReport:
    kb_version: str
    truth_path: Path
    panel_dir: Path
    inputs: tuple[Path, ...]
    samples: tuple[str, ...]
    statuses: dict[str, GeneStatus]
    truth: tuple[TruthCall, ...]
    comparisons: tuple[Comparison, ...]
    summaries: tuple[GeneSummary, ...]

    @property
    def discordances(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.is_discordance]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "kb_version": self.kb_version,
            "truth": str(self.truth_path),
            "panel": str(self.panel_dir),
            "inputs": [str(p) for p in self.inputs],
            "options": {"missing_to_ref": True},
            "samples_called": len(self.samples),
            "genes": [s.to_json() for s in self.summaries],
            "truth_categories": category_counts(list(self.truth)),
            "comparisons": [comparison_row(c) for c in self.comparisons],
        }


TSV_COLUMNS = (
    "sample_id",
    "gene",
    "in_1kgp_30x",
    "truth_diplotype",
    "truth_current",
    "truth_category",
    "renamed",
    "call",
    "alternatives",
    "outcome",
    "excluded_by",
    "explanation",
    "detail",
)


def comparison_row(c: Comparison) -> dict[str, str]:
    r = c.truth.record
    return {
        "sample_id": r.sample_id,
        "gene": r.gene,
        "in_1kgp_30x": "yes" if r.in_1kgp else "no",
        "truth_diplotype": r.truth_diplotype,
        "truth_current": c.truth.readings_text,
        "truth_category": c.truth.category.value,
        "renamed": "; ".join(f"{m.legacy}→{m.text}" for m in c.truth.renamed),
        "call": c.call_text,
        "alternatives": " | ".join(c.call.alternatives) if c.call else "",
        "outcome": c.outcome.value,
        "excluded_by": c.excluded_by or "",
        "explanation": c.explanation.value if c.explanation else "",
        "detail": c.detail,
    }


def write_tsv(report: GetrmReport, path: Path) -> None:
    """Per-row comparisons as TSV, written to a temporary name and then renamed."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, TSV_COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(comparison_row(c) for c in report.comparisons)
    try:
        write_atomic(path, buffer.getvalue().encode("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot write comparisons ({exc})", path=path) from None


def gene_status(gene: str, kb: KnowledgeBase, panel: VcfPanel) -> GeneStatus:
    if gene not in kb.genes:
        return GeneStatus.NO_DEFINITION
    if gene in OUTSIDE_CALL_GENES:
        return GeneStatus.OUTSIDE_CALL
    if panel.path(gene) is None:
        return GeneStatus.NO_PANEL
    return GeneStatus.VALIDATED


def _select_genes(truth: Iterable[TruthCall], wanted: Sequence[str] | None) -> list[str]:
    available = sorted({t.gene for t in truth})
    if not wanted:
        return available
    chosen = list(dict.fromkeys(g.strip().upper() for g in wanted if g.strip()))
    unknown = [g for g in chosen if g not in available]
    if unknown:
        raise InputError(
            f"no GeT-RM truth for {', '.join(unknown)}; truth covers {', '.join(available)}"
        )
    return chosen


def run_getrm(
    source: Path,
    kb: KnowledgeBase,
    genes: Sequence[str] | None = None,
    caller: CallFn | None = None,
) -> GetrmReport:
    """Call every truth sample of the 1KGP panel and compare it with the truth.

    ``source`` is the shared data folder (``getrm/`` and ``1kgp/GRCh38/`` inside).
    ``caller`` defaults to :func:`load_caller`; it is not loaded when no gene needs it.
    """
    truth_path, panel = source / TRUTH_FILE, VcfPanel(source / PANEL_DIR)
    all_truth = load_truth(truth_path, kb)
    selected = _select_genes(all_truth, genes)
    truth = [t for t in all_truth if t.gene in selected]
    statuses = {g: gene_status(g, kb, panel) for g in selected}
    validated = [g for g in selected if statuses[g] is GeneStatus.VALIDATED]
    samples = tuple(
        dict.fromkeys(t.sample for t in truth if t.record.in_1kgp and t.gene in validated)
    )
    inputs = tuple(p for g in validated if (p := panel.path(g)) is not None)
    callset: CallSet | None = None
    if validated and samples:
        run = caller or load_caller()
        options = CallOptions(genes=tuple(validated), samples=samples, missing_to_ref=True)
        callset = run(list(inputs), kb, options)
    typed = typed_positions(all_truth, kb)
    comparisons = tuple(
        compare(
            t,
            callset.calls.get((t.sample, t.gene)) if callset is not None else None,
            statuses[t.gene],
            kb,
            panel,
            typed.get(t.gene, frozenset()),
        )
        for t in truth
    )
    return GetrmReport(
        kb_version=kb.version,
        truth_path=truth_path,
        panel_dir=panel.directory,
        inputs=inputs,
        samples=samples,
        statuses=statuses,
        truth=tuple(truth),
        comparisons=comparisons,
        summaries=tuple(summarise(comparisons, statuses)),
    )
