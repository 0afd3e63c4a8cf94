"""PharmCAT's NAT2 oracle sheet (haplotype/NAT2/tests.tsv, used by NamedAlleleMatcherNat2Test).

Each row: positions left out of the VCF, genotypes at five NAT2 positions (all others
reference, unphased), and the expected output: "not called", the list of diplotypes
(" or "-separated, every candidate since unphased NAT2 runs in priority mode), or a single
"Pick" when the knowledge base's unphased priority applies.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.calling import CallOptions, call_files
from tailormed.knowledge import KnowledgeBase, load_kb
from tests.conftest import SHARED
from tests.vcfbuild import SyntheticVcf

SHEET = Path("pharmcat/tests/src/test/resources/org/pharmgkb/pharmcat/haplotype/NAT2/tests.tsv")
POSITIONS = ("rs1801279", "rs1801280", "rs1799930", "rs1208", "rs1799931")


def _rows() -> list[object]:
    if SHARED is None:
        return [pytest.param(None, id="no-shared-data")]
    lines = (SHARED / SHEET).read_text().splitlines()[1:]
    return [pytest.param(line.split("\t"), id=f"row_{n:03d}") for n, line in enumerate(lines, 2)]


@pytest.mark.parametrize("row", _rows())
def test_nat2_sheet_row(row: list[str] | None, shared: Path, tmp_path: Path) -> None:
    assert row is not None
    kb: KnowledgeBase = load_kb()
    vcf = SyntheticVcf(kb, ["S1"]).reference("NAT2")
    for rsid, genotype in zip(POSITIONS, row[2:7], strict=True):
        vcf.set("S1", "NAT2", rsid, genotype)
    if row[0] not in ("", "none"):
        for part in row[0].split("),"):
            vcf.drop("NAT2", part[: part.index("(")].strip())
    call = call_files([vcf.write(tmp_path / "nat2.vcf")], kb, CallOptions(genes=("NAT2",)))
    got = {d.text for d in call.call("S1", "NAT2").diplotypes}
    expected_text = row[7]
    if expected_text == "not called":
        assert got == set()
    elif len(row) > 8 and row[8].strip():
        assert got == {row[8].strip()}
    else:
        assert got == {x.strip() for x in expected_text.split(" or ")}
