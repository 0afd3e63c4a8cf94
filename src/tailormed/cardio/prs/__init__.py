"""Polygenic scores from PGS Catalog scoring files on VCF/BCF genotypes.

:mod:`.scorefile` reads scoring files (format v2, harmonised or author-reported columns,
GRCh38 only); :mod:`.match` matches alleles the way pgsc_calc does; :mod:`.genotypes` reads
only the scored positions with cyvcf2 and builds dosage blocks; :mod:`.score` is the pure
block arithmetic the cohort engine reuses; :mod:`.reference` gives ancestry-aware
percentiles; :mod:`.engine` runs it all (or one region: :func:`score_partial`, whose
partials the cohort engine sums and finishes); :mod:`.output` writes ``scores.tsv`` and
``match_report.tsv``.
"""

from tailormed.cardio.prs.engine import (
    MatchReport,
    PartialScores,
    PrsOptions,
    PrsResult,
    Reference,
    SampleScore,
    finish_scores,
    score_files,
    score_partial,
    variant_keys,
)
from tailormed.cardio.prs.reference import Populations, read_populations
from tailormed.cardio.prs.score import BlockScores, score_block
from tailormed.cardio.prs.scorefile import ScoreVariant, ScoringFile, read_scoring_file

__all__ = [
    "BlockScores",
    "MatchReport",
    "PartialScores",
    "Populations",
    "PrsOptions",
    "PrsResult",
    "Reference",
    "SampleScore",
    "ScoreVariant",
    "ScoringFile",
    "finish_scores",
    "read_populations",
    "read_scoring_file",
    "score_block",
    "score_files",
    "score_partial",
    "variant_keys",
]
