"""The cardio commands as a user runs them: files written, exit codes, JSON shapes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tailormed.cli.main import app
from tests.cardio import prs_fixtures as fx

runner = CliRunner()
SCORE_COLUMNS = (
    "sample pgs_id sum avg variants_matched variants_total percentile z reference_population"
)


def test_prs_writes_scores_and_match_report(tmp_path: Path) -> None:
    vcf = fx.write_vcf(tmp_path / "g.vcf")
    score = fx.write_score(tmp_path / "PGS_SYN.txt")
    out = tmp_path / "out"
    result = runner.invoke(app, ["prs", str(vcf), "--pgs", str(score), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = (out / "scores.tsv").read_text().splitlines()
    assert lines[0].split("\t") == SCORE_COLUMNS.split()
    rows = {r.split("\t")[0]: r.split("\t") for r in lines[1:]}
    assert float(rows["M1"][2]) == 13.0 and rows["M1"][6:] == ["", "", ""]
    report = (out / "match_report.tsv").read_text().splitlines()
    assert "scored" in report[1] and "PGS_SYN" in report[1]
    missing = (out / "missing_calls.tsv").read_text().splitlines()
    assert len(missing) == 4  # header + one variant missing per sample
    variants = (out / "variants.tsv").read_text()
    assert "ambiguous" in variants and "flipped" in variants and "allele_mismatch" in variants


def test_prs_exits_non_zero_only_when_every_score_is_refused(tmp_path: Path) -> None:
    vcf = fx.write_vcf(tmp_path / "g.vcf")
    score = fx.write_score(tmp_path / "PGS_SYN.txt")
    other = tmp_path / "PGS_X.txt"
    other.write_text(
        "#pgs_id=PGS_X\n#genome_build=GRCh38\n"
        "chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n2\t5\tA\tG\t1\n"
    )
    out = tmp_path / "o"
    both = runner.invoke(
        app, ["prs", str(vcf), "--pgs", str(score), "--pgs", str(other), "--out", str(out)]
    )
    assert both.exit_code == 0, both.output
    assert "refused" in (out / "match_report.tsv").read_text()
    alone = runner.invoke(app, ["prs", str(vcf), "--pgs", str(other), "--out", str(out)])
    assert alone.exit_code == 1
    assert (out / "match_report.tsv").exists()


def test_prs_grch37_scoring_file_is_refused_clearly(shared: Path, tmp_path: Path) -> None:
    vcf = fx.write_vcf(tmp_path / "g.vcf")
    grch37 = shared / "cardio" / "pgs" / "PGS001229_22_GRCh37_catalog_format.txt"
    result = runner.invoke(
        app, ["prs", str(vcf), "--pgs", str(grch37), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "GRCh37" in result.output and "Traceback" not in result.output


def test_risk_json(tmp_path: Path) -> None:
    factors = tmp_path / "f.json"
    factors.write_text(
        json.dumps(
            {
                "sex": "female",
                "age_years": 50,
                "total_cholesterol_mg_dl": 200,
                "hdl_cholesterol_mg_dl": 45,
                "systolic_bp_mm_hg": 160,
                "on_bp_treatment": True,
                "on_statin": False,
                "diabetes": True,
                "current_smoker": False,
                "bmi": 35,
                "egfr": 90,
                "race": "White",
            }
        )
    )
    result = runner.invoke(app, ["cardio", "risk", str(factors), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    base10 = next(e for e in data["prevent"] if e["model"] == "base" and e["horizon_years"] == 10)
    assert round(base10["total_cvd"], 1) == 14.7
    assert set(base10) == {
        "model",
        "horizon_years",
        "total_cvd",
        "ascvd",
        "heart_failure",
        "chd",
        "stroke",
    }
    assert abs(data["pce"]["ascvd_10yr"] - 6.4) < 0.1
    assert any("uacr_mg_g" in n for n in data["notes"])
    human = runner.invoke(app, ["cardio", "risk", str(factors)])
    assert human.exit_code == 0 and "PREVENT" in human.output


def test_risk_out_of_range_names_input_file_and_line(tmp_path: Path) -> None:
    factors = tmp_path / "f.json"
    factors.write_text(
        '{\n "sex": "male",\n "age_years": 50,\n "total_cholesterol_mg_dl": 200,\n'
        ' "hdl_cholesterol_mg_dl": 45,\n "systolic_bp_mm_hg": 200,\n "on_bp_treatment": false,\n'
        ' "on_statin": false,\n "diabetes": false,\n "current_smoker": false,\n "bmi": 25,\n'
        ' "egfr": 90\n}\n'
    )
    result = runner.invoke(app, ["cardio", "risk", str(factors)])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "systolic_bp_mm_hg = 200 is outside the PREVENT range 90–180" in text
    assert "line 6" in text


def test_fh_command(tmp_path: Path) -> None:
    vcf = tmp_path / "fh.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\n"
        "2\t21006288\t.\tC\tT\t.\t.\t.\tGT\t0/1\n"
    )
    factors = tmp_path / "f.json"
    factors.write_text('{"ldl_cholesterol_mg_dl": 240, "tendon_xanthoma": true}')
    result = runner.invoke(
        app, ["cardio", "fh", "--vcf", str(vcf), "--factors", str(factors), "--json"]
    )
    assert result.exit_code == 0, result.output
    finding = json.loads(result.output)[0]
    assert finding["code"] == "cardio.fh" and finding["severity"] == "high"
    assert finding["values"]["dlcn_points"] == 3 + 6 + 8
    assert any("copy-number" in lim for lim in finding["limitations"])


def test_assess_example_patient(tmp_path: Path) -> None:
    from tailormed.pipeline import example_path

    factors = tmp_path / "f.json"
    factors.write_text(
        json.dumps(
            {
                "sex": "male", "age_years": 58, "race": "White", "total_cholesterol_mg_dl": 240,
                "hdl_cholesterol_mg_dl": 40, "ldl_cholesterol_mg_dl": 160,
                "systolic_bp_mm_hg": 150, "on_bp_treatment": True, "on_statin": False,
                "diabetes": False, "current_smoker": True, "bmi": 29, "egfr": 85,
                "lpa_nmol_l": 180,
            }
        )
    )  # fmt: skip
    result = runner.invoke(
        app,
        [
            "cardio", "assess", "--vcf", str(example_path("example-patient.vcf")),
            "--factors", str(factors), "--outside", str(example_path("example-outside.tsv")),
            "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    findings = json.loads(result.output)
    statin = next(f for f in findings if f["code"] == "cardio.statin")
    assert statin["values"]["category"] == "high" and statin["values"]["intensity"] == "high"
    assert "rosuvastatin 20–40 mg" in statin["summary"]
    assert any("Lp(a) 180" in r for r in statin["recommendations"])
