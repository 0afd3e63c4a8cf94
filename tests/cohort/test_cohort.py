"""`tailormed cohort` on a 2-worker LocalCluster: Parquet equal to `tailormed call`, the
same rows from VCF and VCF Zarr and any block size, restart, the equity counts."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.errors import InputError

from .conftest import GENES, cohort, hashes


def _tsv_cell(value: str) -> str:
    return value.replace("\t", " ").replace("\n", " ")


def test_parquet_calls_equal_tailormed_call_tsv(
    tmp_path: Path, client: Any, example_vcf: Path
) -> None:
    result = cohort([example_vcf], tmp_path / "cohort", client)
    assert result.samples == 200 and result.genes == GENES
    runner = CliRunner()
    done = runner.invoke(
        app,
        [
            "call",
            str(example_vcf),
            "--out",
            str(tmp_path / "call"),
            "--missing-to-ref",
            "--genes",
            ",".join(GENES),
        ],
    )
    assert done.exit_code == 0, done.output
    lines = (tmp_path / "call" / "calls.tsv").read_text().splitlines()
    expected = [line.split("\t") for line in lines[1:]]
    got = []
    for r in pq.read_table(tmp_path / "cohort" / "calls.parquet").to_pylist():
        got.append(
            [
                r["sample"],
                r["gene"],
                r["diplotype"] or "no call",
                ";".join(r["alternatives"]),
                "yes" if r["phased"] else "no",
                ",".join(str(p) for p in r["missing_positions"]),
                "; ".join(_tsv_cell(w) for w in r["warnings"]),
            ]
        )
    assert got == expected  # same rows, same order (samples in input order, genes in KB order)
    assert len(got) == 200 * len(GENES)
    assert not (tmp_path / "cohort" / "samples").exists()  # per-sample JSON only on request


def test_zarr_input_and_block_sizes_give_identical_rows(
    tmp_path: Path, client: Any, example_vcf: Path, example_zarr: Path
) -> None:
    vcf = cohort([example_vcf], tmp_path / "vcf", client)
    zarr = cohort([example_zarr], tmp_path / "zarr", client, block_size=64)
    assert zarr.blocks == 4 and zarr.partitions == 4 * (len(GENES) + 1)
    assert vcf.blocks == 1
    assert hashes(tmp_path / "vcf") == hashes(tmp_path / "zarr")
    # and the hash sees a change: one diplotype edited gives another hash
    t = pq.read_table(tmp_path / "zarr" / "calls.parquet").to_pylist()
    t[0]["diplotype"] = "*1/*99"
    pq.write_table(
        pa.Table.from_pylist(t, schema=pq.read_schema(tmp_path / "zarr" / "calls.parquet")),
        tmp_path / "zarr" / "calls.parquet",
    )
    assert hashes(tmp_path / "vcf")[0] != hashes(tmp_path / "zarr")[0]


def test_column_types_and_readers(tmp_path: Path, client: Any, example_vcf: Path) -> None:
    cohort([example_vcf], tmp_path, client, genes=("CYP2C19", "G6PD"))
    schema = pq.read_schema(tmp_path / "calls.parquet")
    assert [(f.name, str(f.type).replace("element", "item")) for f in schema] == [
        ("sample", "string"),
        ("gene", "string"),
        ("diplotype", "string"),
        ("alternatives", "list<item: string>"),
        ("phased", "bool"),
        ("missing_positions", "list<item: int64>"),
        ("warnings", "list<item: string>"),
        ("phenotype", "string"),
        ("activity_score", "string"),
        ("lookup_key", "string"),
    ]
    meta = json.loads(schema.metadata[b"tailormed"])
    assert meta["kb_version"] and meta["options"]["genes"] == ["CYP2C19", "G6PD"]
    drugs = pq.read_schema(tmp_path / "drugs.parquet")
    assert drugs.names[:3] == ["sample", "drug", "status"]
    import pandas as pd

    frame = pd.read_parquet(tmp_path / "calls.parquet")
    assert len(frame) == 400 and set(frame["gene"]) == {"CYP2C19", "G6PD"}
    d = pd.read_parquet(tmp_path / "drugs.parquet")
    clop = d[(d["drug"] == "clopidogrel") & (d["sample"] == frame["sample"].iloc[0])]
    assert len(clop) == 1 and clop["status"].iloc[0] in {"actionable", "no change"}
    import polars

    assert polars.read_parquet(tmp_path / "calls.parquet").height == 400
    import duckdb

    n = duckdb.sql(f"select count(*) from '{tmp_path / 'drugs.parquet'}'").fetchall()
    assert n[0][0] == len(d)


def test_equity_counts_recounted_from_the_tables(
    tmp_path: Path, client: Any, example_vcf: Path, example_populations: Path
) -> None:
    result = cohort(
        [example_vcf], tmp_path, client, populations=example_populations, unrelated=True
    )
    eq = result.summary["equity"]
    rows = [line.split("\t") for line in example_populations.read_text().splitlines()[1:]]
    children = {r[0] for r in rows if r[4] != "0" or r[5] != "0"}
    superpop = {r[0]: r[2] for r in rows}
    assert eq["relatives_excluded"] == len(children) > 0
    drugs = pq.read_table(tmp_path / "drugs.parquet").to_pylist()
    actionable = {r["sample"] for r in drugs if r["status"] == "actionable"}
    groups = {g["group"]: g for g in eq["groups"]}
    for sp in set(superpop.values()):
        members = [s for s, p in superpop.items() if p == sp and s not in children]
        got = groups[f"superpopulation:{sp}"]
        assert got["samples"] == len(members)
        assert got["actionable"]["count"] == len([s for s in members if s in actionable])
    # CYP2C19 allele counts per superpopulation, from the diplotype text of calls.parquet
    calls = pq.read_table(tmp_path / "calls.parquet").to_pylist()
    for sp in ("AFR", "EUR"):
        counted: Counter[str] = Counter()
        for r in calls:
            if (
                r["gene"] == "CYP2C19"
                and superpop[r["sample"]] == sp
                and r["sample"] not in children
            ):
                counted.update(r["diplotype"].split("/") if r["diplotype"] else [])
        summary = eq["genes"]["CYP2C19"]["alleles"][f"superpopulation:{sp}"]
        assert {a: s["count"] for a, s in summary.items()} == dict(counted)
        n = sum(counted.values())
        assert all(s["n"] == n for s in summary.values())
    html = (tmp_path / "summary.html").read_text()
    assert html.count("<svg") >= 3 and "<script" not in html and "AFR" in html


def test_resume_reuses_finished_parts_and_changes_start_over(
    tmp_path: Path, client: Any, example_vcf: Path
) -> None:
    out = tmp_path / "run"
    genes = ("CYP2C19", "CYP2C9", "VKORC1")
    first = cohort([example_vcf], out, client, genes=genes, block_size=50)
    reference = hashes(out)
    parts = out / "parts"
    stamps = {p.name: p.stat().st_mtime_ns for p in parts.iterdir()}
    # as if killed during block 2: its parts and the merged tables are missing
    for p in parts.glob("b00002*"):
        p.unlink()
    (out / "calls.parquet").unlink()
    said: list[str] = []
    from tailormed.calling import CallOptions
    from tailormed.cohort import CohortOptions, run_cohort

    options = CohortOptions(
        inputs=(example_vcf,),
        out=out,
        call=CallOptions(genes=genes, missing_to_ref=True),
        block_size=50,
    )
    again = run_cohort(options, client=client, say=said.append)
    assert again.reused == first.partitions - (len(genes) + 1)
    assert hashes(out) == reference and not said
    unchanged = {
        p.name: p.stat().st_mtime_ns for p in parts.iterdir() if not p.name.startswith("b00002")
    }
    assert all(stamps[n] == t for n, t in unchanged.items() if n in stamps)
    # other options: the parts are not reused
    other = run_cohort(
        CohortOptions(
            inputs=(example_vcf,),
            out=out,
            call=CallOptions(genes=genes[:2], missing_to_ref=True),
            block_size=50,
        ),
        client=client,
        say=said.append,
    )
    assert other.reused == 0 and said and "starting over" in said[0]


def test_changed_input_file_invalidates_the_parts(
    tmp_path: Path, client: Any, example_vcf: Path
) -> None:
    vcf = tmp_path / "in.vcf.gz"
    shutil.copy(example_vcf, vcf)
    shutil.copy(str(example_vcf) + ".tbi", str(vcf) + ".tbi")
    cohort([vcf], tmp_path / "out", client, genes=("CYP2C19",))
    again = cohort([vcf], tmp_path / "out", client, genes=("CYP2C19",))
    assert again.reused == again.partitions
    import os

    st = vcf.stat()
    os.utime(vcf, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    changed = cohort([vcf], tmp_path / "out", client, genes=("CYP2C19",))
    assert changed.reused == 0


def test_cli_with_scheduler_address_and_per_sample_json(
    tmp_path: Path, client: Any, example_vcf: Path, example_populations: Path
) -> None:
    runner = CliRunner()
    done = runner.invoke(
        app,
        [
            "cohort",
            str(example_vcf),
            "--out",
            str(tmp_path),
            "--missing-to-ref",
            "--genes",
            "CYP2C19,NUDT15",
            "--populations",
            str(example_populations),
            "--scheduler",
            client.scheduler.address,
            "--per-sample-json",
        ],
    )
    assert done.exit_code == 0, done.output
    from tailormed.calling.output import read_calls

    found = read_calls(tmp_path / "samples", None)
    assert len(found) == 200 and {c.gene for c in found[0][1]} == {"CYP2C19", "NUDT15"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["samples"] == 200 and summary["equity"]["population_table"]


def test_input_errors_before_any_work(
    tmp_path: Path, example_vcf: Path, example_zarr: Path
) -> None:
    with pytest.raises(InputError, match="mixes VCF files and VCF Zarr"):
        cohort([example_vcf, example_zarr], tmp_path / "a")
    table = tmp_path / "pops.tsv"
    table.write_text("sample\tpopulation\nHG00096\tGBR\n")
    with pytest.raises(InputError, match="--unrelated needs parents"):
        cohort([example_vcf], tmp_path / "b", populations=table, unrelated=True)
    with pytest.raises(InputError, match="sample\\(s\\) not in the input"):
        from tailormed.calling import CallOptions
        from tailormed.cohort import CohortOptions, run_cohort

        run_cohort(
            CohortOptions(
                inputs=(example_vcf,), out=tmp_path / "c", call=CallOptions(samples=("NOBODY",))
            )
        )
    assert not (tmp_path / "b" / "parts").exists()


def test_outside_calls_merge_as_in_tailormed_call(
    tmp_path: Path, client: Any, example_vcf: Path
) -> None:
    outside = tmp_path / "outside.tsv"
    outside.write_text(
        "sample\tgene\tdiplotype\tphenotype\tactivity score\n"
        "HG00096\tCYP2D6\t*1/*4\t\t1.0\n"
        "HG00096\tCYP2C19\t*2/*2\n"
    )
    genes = ("CYP2C19", "NUDT15")
    result = cohort([example_vcf], tmp_path / "cohort", client, genes=genes, outside=outside)
    assert result.samples == 200
    done = CliRunner().invoke(
        app,
        [
            "call",
            str(example_vcf),
            "--out",
            str(tmp_path / "call"),
            "--missing-to-ref",
            "--genes",
            ",".join(genes),
            "--outside",
            str(outside),
        ],
    )
    assert done.exit_code == 0, done.output
    lines = (tmp_path / "call" / "calls.tsv").read_text().splitlines()[1:]
    want = [line.split("\t")[:3] for line in lines]
    calls = pq.read_table(tmp_path / "cohort" / "calls.parquet").to_pylist()
    assert [[r["sample"], r["gene"], r["diplotype"] or "no call"] for r in calls] == want
    first = [r for r in calls if r["sample"] == "HG00096"]
    assert [r["gene"] for r in first] == ["CYP2C19", "NUDT15", "CYP2D6"]
    assert first[0]["phenotype"] == "Poor Metabolizer"
    assert any(w.startswith("overrides the VCF call") for w in first[0]["warnings"])
    drugs = pq.read_table(tmp_path / "cohort" / "drugs.parquet").to_pylist()
    codeine = {r["sample"]: r["status"] for r in drugs if r["drug"] == "codeine"}
    assert codeine["HG00096"] != "no result"  # CYP2D6 given for this sample only
    assert {s for s, st in codeine.items() if st == "no result"} == set(codeine) - {"HG00096"}
