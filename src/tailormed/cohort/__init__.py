"""Cohorts at biobank scale: ``tailormed cohort`` on Dask, VCF Zarr and Parquet.

The engine (:mod:`.engine`) splits a cohort into sample blocks x gene regions, runs the
PGx domain's pure per-block functions (:mod:`.pgx`) on a Dask cluster, writes one
Parquet part per partition (restartable, :mod:`.engine`), merges them into
``calls.parquet`` / ``drugs.parquet`` (columns in :mod:`.tables`) and writes
``summary.json`` / ``summary.html`` with the equity summary (:mod:`.equity`,
:mod:`.summary`, :mod:`.html`). VCF Zarr stores are read by :mod:`.zarrvcf`.
"""

from tailormed.cohort.engine import CohortOptions, CohortResult, run_cohort
from tailormed.cohort.equity import wilson

__all__ = ["CohortOptions", "CohortResult", "run_cohort", "wilson"]
