"""Synthetic ctDNA series (SYNTHETIC: made for the tests from the published definitions,
not measured in any patient). One patient per status the monitor must recognise."""

from __future__ import annotations

from pathlib import Path

HEADER = (
    "patient\tdate\tgene\thgvs_p\tchrom\tpos\tref\talt\tvaf\talt_reads\tdepth\tassay_lod\t"
    "therapy\ttherapy_start"
)
L858R = ("EGFR", "p.Leu858Arg", "7", "55191822", "T", "G")
T790M = ("EGFR", "T790M", "7", "55181378", "C", "T")
TP53 = ("TP53", "R273H", "17", "7673802", "C", "T")
LOD = "0.001"

# patient -> [(date, variant, vaf, therapy, start)]
SCENARIOS: dict[str, list[tuple[str, tuple[str, ...], float, str, str]]] = {
    # > 50 % fall at day 28, confirmed at day 56 (Goldberg 2018)
    "P-RESPONSE": [
        ("2024-01-10", L858R, 0.20, "osimertinib", "2024-01-12"),
        ("2024-01-10", TP53, 0.10, "osimertinib", "2024-01-12"),
        ("2024-02-07", L858R, 0.06, "osimertinib", "2024-01-12"),
        ("2024-02-07", TP53, 0.03, "osimertinib", "2024-01-12"),
        ("2024-03-06", L858R, 0.03, "osimertinib", "2024-01-12"),
        ("2024-03-06", TP53, 0.01, "osimertinib", "2024-01-12"),
    ],
    # a 60 % fall the next draw does not confirm (back to 75 % of baseline)
    "P-UNCONFIRMED": [
        ("2024-01-10", L858R, 0.20, "osimertinib", "2024-01-12"),
        ("2024-02-07", L858R, 0.08, "osimertinib", "2024-01-12"),
        ("2024-03-06", L858R, 0.15, "osimertinib", "2024-01-12"),
    ],
    # every tracked variant below the LoD by the third draw
    "P-CLEARANCE": [
        ("2024-01-10", L858R, 0.10, "osimertinib", "2024-01-12"),
        ("2024-01-10", TP53, 0.05, "osimertinib", "2024-01-12"),
        ("2024-02-07", L858R, 0.02, "osimertinib", "2024-01-12"),
        ("2024-02-07", TP53, 0.0, "osimertinib", "2024-01-12"),
        ("2024-03-06", L858R, 0.0005, "osimertinib", "2024-01-12"),  # below LoD
        ("2024-03-06", TP53, 0.0, "osimertinib", "2024-01-12"),
    ],
    # response on erlotinib, then the sensitising variant rises from its nadir and T790M
    # (tested and not detected before) emerges: molecular progression with resistance
    "P-T790M": [
        ("2024-01-03", L858R, 0.15, "erlotinib", "2024-01-05"),
        ("2024-01-03", T790M, 0.0, "erlotinib", "2024-01-05"),
        ("2024-02-01", L858R, 0.03, "erlotinib", "2024-01-05"),
        ("2024-02-01", T790M, 0.0, "erlotinib", "2024-01-05"),
        ("2024-03-01", L858R, 0.02, "erlotinib", "2024-01-05"),
        ("2024-03-01", T790M, 0.0, "erlotinib", "2024-01-05"),
        ("2024-06-03", L858R, 0.09, "erlotinib", "2024-01-05"),
        ("2024-06-03", T790M, 0.04, "erlotinib", "2024-01-05"),
    ],
}


def row(patient: str, day: str, v: tuple[str, ...], vaf: float, therapy: str, start: str) -> str:
    depth = 5000
    alt = round(vaf * depth)
    return "\t".join(
        [patient, day, *v[:2], *v[2:], f"{vaf:g}", str(alt), str(depth), LOD, therapy, start]
    )


def write_series(path: Path, patients: list[str] | None = None) -> Path:
    lines = [HEADER]
    for patient, rows in SCENARIOS.items():
        if patients and patient not in patients:
            continue
        lines += [row(patient, *r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path
