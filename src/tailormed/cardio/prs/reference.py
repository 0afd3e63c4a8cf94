"""Ancestry-aware interpretation: a score's place in a reference panel of the same ancestry.

The populations table maps sample IDs to an ancestry group. It is tab- or space-separated
with a header naming an ID column (``#IID``, ``IID``, ``sample``, ``sample_id``) and a group
column (``SuperPop`` preferred — the 1000 Genomes super-population — else ``population``,
``Population``, ``group`` or ``ancestry``), like the 1000 Genomes ``ref.psam``.

A patient's percentile is the mid-rank of their score among the reference samples of their
own group (the patient left out when they are in the panel); ``z`` is their distance from
that group's mean in standard deviations. No group is ever assumed: without the patient's
group, or when the panel has no samples of it, there is no percentile, and the report says
why.

>>> import numpy as np
>>> percentile_and_z(2.0, np.array([1.0, 2.0, 3.0, 4.0]))
(37.5, -0.3872983346207417)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tailormed.errors import InputError

ID_COLUMNS = ("#IID", "IID", "#sample", "sample", "sample_id", "Sample")
GROUP_COLUMNS: tuple[str, ...] = (
    "SuperPop",
    "superpopulation",
    "super_population",
    "population",
    "Population",
    "group",
    "ancestry",
)
MIN_REFERENCE = 50  # fewer reference samples of a group: no percentile


@dataclass(frozen=True, slots=True)
class Populations:
    """Sample -> ancestry group, and where it came from."""

    groups: dict[str, str]
    column: str
    path: Path | None = None

    def of(self, sample: str) -> str | None:
        return self.groups.get(sample)


def read_populations(path: Path) -> Populations:
    """The populations table (see the module text); errors name the file and line."""
    if not path.exists():
        raise InputError("populations table does not exist", path=path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError("not a text file", path=path) from None
    rows = [(n, line.split()) for n, line in enumerate(lines, start=1) if line.strip()]
    if not rows:
        raise InputError("the populations table is empty", path=path)
    header = rows[0][1]
    id_col = next((c for c in ID_COLUMNS if c in header), None)
    group_col = next((c for c in GROUP_COLUMNS if c in header), None)
    if id_col is None or group_col is None:
        raise InputError(
            f"the header needs a sample column ({', '.join(ID_COLUMNS)}) and a population "
            f"column ({', '.join(GROUP_COLUMNS)}); found {' '.join(header)}",
            path=path,
            line=rows[0][0],
        )
    i, j = header.index(id_col), header.index(group_col)
    groups: dict[str, str] = {}
    for number, cells in rows[1:]:
        if len(cells) != len(header):
            raise InputError(
                f"{len(cells)} fields, the header has {len(header)}", path=path, line=number
            )
        sample, group = cells[i], cells[j]
        if sample in groups:
            raise InputError(f"sample {sample} appears twice", path=path, line=number)
        if group in (".", "NA", ""):
            continue
        groups[sample] = group
    return Populations(groups=groups, column=group_col, path=path)


def percentile_and_z(value: float, reference: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Mid-rank percentile (0-100) of ``value`` in ``reference`` and its z-score."""
    below = float((reference < value).sum())
    tied = float((reference == value).sum())
    percentile = 100.0 * (below + 0.5 * tied) / len(reference)
    sd = float(reference.std(ddof=1))
    z = (value - float(reference.mean())) / sd if sd > 0 else float("nan")
    return percentile, z
