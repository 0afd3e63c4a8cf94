"""Cohort tables: many samples' results as two tab-separated files.

``write_cohort_tsv`` writes one row per sample × gene; ``write_cohort_drugs_tsv`` one
row per sample × drug. Interpretations are consumed one at a time, so a biobank-sized
iterable is never held in memory. Files are UTF-8, ``\\n``-terminated, with one header
line; a value never contains a tab or a line break (they become spaces); lists inside a
cell are joined with ``"; "``; an empty cell means "none" (no alternatives, no score).
Columns are documented in ``COHORT_GENE_COLUMNS`` / ``COHORT_DRUG_COLUMNS`` and in the
package README.

>>> import tempfile, pathlib
>>> from tailormed.recommend.models import Interpretation
>>> out = pathlib.Path(tempfile.mkdtemp()) / "genes.tsv"
>>> _ = write_cohort_tsv([Interpretation("S1", "kb-1", (), (), ())], out)
>>> out.read_text().split("\\t")[:3]
['sample', 'gene', 'source']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from tailormed.atomic import replacing
from tailormed.recommend.models import Interpretation
from tailormed.report.build import on_medication_list

COHORT_GENE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sample", "Sample identifier as in the input."),
    ("gene", "Gene symbol."),
    ("source", "vcf, outside or vcf-research: where the call came from."),
    ("diplotype", "The diplotype shown; empty for a no-call."),
    ("alternatives", "Other diplotypes tied with it, '; '-separated."),
    ("phenotype", "CPIC phenotype, Indeterminate, No Result or n/a."),
    ("activity_score", "Activity score where the gene has one."),
    ("lookup_key", "Key(s) matched against guideline recommendations, '; '-separated."),
    ("dpwg_phenotype", "DPWG phenotype where it differs from CPIC."),
    ("phased", "true when the input was phased for this gene."),
    ("missing_positions", "Number of allele-defining positions missing from the input."),
    ("phenoconverted_by", "Inhibitors on the medication list that changed the phenotype."),
    ("warnings", "Call warnings and Indeterminate reasons, '; '-separated."),
    ("kb_version", "Knowledge-base version of the interpretation."),
)

COHORT_DRUG_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sample", "Sample identifier."),
    ("drug", "Drug name."),
    ("status", "actionable, no change, no result or no guideline."),
    ("sources", "Guideline sources of the matched recommendations (CPIC; DPWG)."),
    ("classifications", "source:classification of each matched recommendation."),
    ("genes", "Genes the drug's guidelines use."),
    ("on_medication_list", "true when the drug is on the sample's medication list."),
    ("reason", "One sentence: why this status."),
    ("kb_version", "Knowledge-base version of the interpretation."),
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value if v not in (None, ""))
    return " ".join(str(value).split())


def gene_rows(i: Interpretation) -> Iterator[list[str]]:
    """The gene rows of one interpretation, in ``COHORT_GENE_COLUMNS`` order."""
    calls = {c.gene: c for c in i.calls}
    phenotypes = {p.gene: p for p in i.phenotypes}
    for gene in [*calls, *(g for g in phenotypes if g not in calls)]:
        c, p = calls.get(gene), phenotypes.get(gene)
        warnings: list[str] = list(c.warnings) if c is not None else []
        row: list[object] = [i.sample, gene]
        if c is not None:
            row += [c.source, c.diplotype if c.called else None, list(c.alternatives)]
        else:
            assert p is not None
            row += [p.call_source, p.diplotype, []]
        if p is not None:
            pc = p.phenoconversion
            row += [p.phenotype, p.activity_score, list(p.lookup_keys), p.dpwg_phenotype]
            inhibitors = list(pc.caused_by) if pc is not None and pc.adjusted else []
            warnings += [p.reason] if p.reason else []
        else:
            assert c is not None
            row += [c.phenotype, c.activity_score, [], None]
            inhibitors = []
        row += [
            c.phased if c is not None else False,
            len(c.missing_positions) if c is not None else 0,
            inhibitors,
            warnings,
            i.kb_version,
        ]
        yield [_cell(v) for v in row]


def drug_rows(i: Interpretation) -> Iterator[list[str]]:
    """The drug rows of one interpretation, in ``COHORT_DRUG_COLUMNS`` order."""
    for d in i.drugs:
        sources = list(dict.fromkeys(r.source for r in d.recommendations))
        classes = [f"{r.source}:{r.classification}" for r in d.recommendations if r.classification]
        row = [
            i.sample,
            d.drug,
            d.status,
            sources,
            list(dict.fromkeys(classes)),
            list(d.genes),
            on_medication_list(d, i),
            d.reason,
            i.kb_version,
        ]
        yield [_cell(v) for v in row]


def _line(cells: Sequence[str]) -> str:
    return "\t".join(cells) + "\n"


def _header(columns: Sequence[tuple[str, str]]) -> str:
    return _line([name for name, _ in columns])


def write_cohort_tsv(interpretations: Iterable[Interpretation], path: Path) -> Path:
    """One row per sample × gene (columns: ``COHORT_GENE_COLUMNS``); returns ``path``."""
    with replacing(Path(path)) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(_header(COHORT_GENE_COLUMNS))
        for i in interpretations:
            fh.writelines(_line(r) for r in gene_rows(i))
    return Path(path)


def write_cohort_drugs_tsv(interpretations: Iterable[Interpretation], path: Path) -> Path:
    """One row per sample × drug (columns: ``COHORT_DRUG_COLUMNS``); returns ``path``."""
    with replacing(Path(path)) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(_header(COHORT_DRUG_COLUMNS))
        for i in interpretations:
            fh.writelines(_line(r) for r in drug_rows(i))
    return Path(path)


def write_cohort(interpretations: Iterable[Interpretation], out_dir: Path) -> dict[str, Path]:
    """Write ``genes.tsv`` and ``drugs.tsv`` into ``out_dir`` in one streaming pass."""
    paths = {"genes": Path(out_dir) / "genes.tsv", "drugs": Path(out_dir) / "drugs.tsv"}
    with (
        replacing(paths["genes"]) as gtmp,
        replacing(paths["drugs"]) as dtmp,
        gtmp.open("w", encoding="utf-8", newline="") as gfh,
        dtmp.open("w", encoding="utf-8", newline="") as dfh,
    ):
        gfh.write(_header(COHORT_GENE_COLUMNS))
        dfh.write(_header(COHORT_DRUG_COLUMNS))
        for i in interpretations:
            gfh.writelines(_line(r) for r in gene_rows(i))
            dfh.writelines(_line(r) for r in drug_rows(i))
    return paths
