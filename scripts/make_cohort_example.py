"""Regenerate the bundled cohort example from the 1000 Genomes panels in ../shared/data.

    .venv/bin/python scripts/make_cohort_example.py [--source ../shared/data]

Writes ``src/tailormed/examples/cohort-1kgp-200.vcf.gz`` (+ ``.tbi``): 200 samples (every
16th of the 3,202, in panel order) at the records the caller reads for every panel gene
(see :mod:`tailormed.cohort.subset`), and ``cohort-1kgp-200-populations.tsv``: sample,
population, superpopulation, sex (``samples_population.tsv``) and father/mother
(``cardio/genotypes/ref.psam`` PAT/MAT, ``0`` = not in the data set).
"""

from __future__ import annotations

import argparse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "src" / "tailormed" / "examples"
STRIDE = 16
COUNT = 200


def main() -> None:
    from tailormed.calling import CallOptions
    from tailormed.calling.caller import select_genes
    from tailormed.cohort.subset import read_kept, write_vcf
    from tailormed.knowledge import load_kb

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(REPO.parent / "shared" / "data"))
    args = parser.parse_args()
    source = Path(args.source)
    kb = load_kb()
    files = sorted((source / "1kgp" / "GRCh38").glob("*.vcf.gz"))
    samples, records = read_kept(files, kb, select_genes(kb, CallOptions()))
    columns = list(range(0, len(samples), STRIDE))[:COUNT]
    out = write_vcf(EXAMPLES / "cohort-1kgp-200.vcf", samples, columns, records)
    chosen = [samples[i] for i in columns]
    pops = {}
    for line in (source / "1kgp" / "samples_population.tsv").read_text().splitlines()[1:]:
        sample, population, superpopulation, sex = line.split("\t")
        pops[sample] = (population, superpopulation, sex)
    parents = {}
    for line in (source / "cardio" / "genotypes" / "ref.psam").read_text().splitlines()[1:]:
        iid, pat, mat, *_ = line.split("\t")
        parents[iid] = (pat, mat)
    lines = ["sample\tpopulation\tsuperpopulation\tsex\tfather\tmother"]
    for s in chosen:
        population, superpopulation, sex = pops[s]
        pat, mat = parents.get(s, ("0", "0"))
        lines.append(f"{s}\t{population}\t{superpopulation}\t{sex}\t{pat}\t{mat}")
    table = EXAMPLES / "cohort-1kgp-200-populations.tsv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{out} ({out.stat().st_size:,} bytes, {len(records)} records), {table}")


if __name__ == "__main__":
    main()
