"""A malformed truth table is an InputError naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.validate.getrm import read_truth
from tests.validate.builders import HEADER, tsv

GOOD = "NA12878\tCYP2C19\t*1/*2\tsrc\tyes\t\t\t"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "truth.tsv"
    path.write_text(text)
    return path


def _error(tmp_path: Path, text: str) -> InputError:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as err:
        read_truth(path)
    assert str(path) in str(err.value)
    return err.value


def test_a_good_table_reads(tmp_path: Path) -> None:
    (r,) = read_truth(_write(tmp_path, tsv(GOOD)))
    assert (r.sample_id, r.gene, r.truth_diplotype, r.in_1kgp, r.line) == (
        "NA12878",
        "CYP2C19",
        "*1/*2",
        True,
        2,
    )


def test_missing_column(tmp_path: Path) -> None:
    header = HEADER.replace("\tin_1kgp_30x", "")
    err = _error(tmp_path, tsv("NA12878\tCYP2C19\t*1/*2\tsrc\t\t\t", header=header))
    assert err.line == 1
    assert "in_1kgp_30x" in err.problem


def test_bad_flag_names_its_line(tmp_path: Path) -> None:
    err = _error(tmp_path, tsv(GOOD, "NA12891\tCYP2C19\t*1/*1\tsrc\tmaybe\t\t\t"))
    assert err.line == 3
    assert "in_1kgp_30x" in err.problem and "maybe" in err.problem


def test_wrong_number_of_fields(tmp_path: Path) -> None:
    err = _error(tmp_path, tsv(GOOD, "NA12891\tCYP2C19\t*1/*1"))
    assert err.line == 3
    assert "fields" in err.problem


def test_sample_that_is_not_a_coriell_id(tmp_path: Path) -> None:
    err = _error(tmp_path, tsv("patient 7\tCYP2C19\t*1/*2\tsrc\tyes\t\t\t"))
    assert err.line == 2


def test_diplotype_without_slash(tmp_path: Path) -> None:
    err = _error(tmp_path, tsv("NA12878\tCYP2C19\t*1\tsrc\tyes\t\t\t"))
    assert err.line == 2 and "truth_diplotype" in err.problem


def test_duplicate_sample_and_gene(tmp_path: Path) -> None:
    err = _error(tmp_path, tsv(GOOD, GOOD))
    assert err.line == 3 and "line 2" in err.problem


def test_empty_file(tmp_path: Path) -> None:
    assert _error(tmp_path, "").line == 1


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_truth(tmp_path / "nope.tsv")
    assert "nope.tsv" in str(err.value)
