"""Reading a CIViC monthly release (the ``*Summaries.tsv.gz`` files) for the oncology bundle.

CIViC's release files are tab-separated with free text that contains quotes, so they are
read with CSV quoting off; every row must have the header's number of fields. Evidence
items carry no gene: they are joined evidence → molecular profile → variant(s) → gene.

A release folder is ``oncology/civic_YYYY-MM-DD/`` holding the five files
``DD-Mon-YYYY-{ClinicalEvidence,Assertion,MolecularProfile,Variant,Gene}Summaries.tsv[.gz]``;
the newest complete folder is used, so dropping a newer release beside the old one and
running ``tailormed kb build --bundle oncology`` replaces it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tailormed.errors import KnowledgeError
from tailormed.knowledge.protein import short_protein

KINDS = ("ClinicalEvidence", "Assertion", "MolecularProfile", "Variant", "Gene")
_FOLDER = re.compile(r"^civic_(\d{4}-\d{2}-\d{2})$")
_PROTEIN_NAME = re.compile(
    r"^[A-Z*]\d+(_[A-Z*]\d+)?(([A-Z*]+)|(del|ins|dup|delins|fs)[A-Z*]*|(fs\*?\d*))?$"
)
_CODON_NAME = re.compile(r"^[A-Z]\d+(/[A-Z]\d+)*$")
_EXON_NAME = re.compile(r"^exon (\d+) (deletion|insertion|mutation|skipping)$", re.IGNORECASE)
ANY_MUTATION = {"mutation"}
TRUNCATING = {"loss-of-function", "truncating mutation", "frameshift", "nonsense"}
FUSION = {"fusion", "rearrangement"}


@dataclass(frozen=True, slots=True)
class Release:
    """One CIViC release folder: its date and the five summary files."""

    date: str
    folder: Path
    files: dict[str, Path]


def find_release(oncology: Path) -> Release:
    """The newest complete ``civic_YYYY-MM-DD`` folder under ``oncology``."""
    found: list[Release] = []
    for folder in sorted(oncology.glob("civic_*")):
        m = _FOLDER.match(folder.name)
        if not (folder.is_dir() and m):
            continue
        files: dict[str, Path] = {}
        for kind in KINDS:
            hits = sorted(folder.glob(f"*-{kind}Summaries.tsv*"))
            if hits:
                files[kind] = hits[-1]
        if len(files) == len(KINDS):
            found.append(Release(m.group(1), folder, files))
    if not found:
        raise KnowledgeError(
            "no complete CIViC release folder (civic_YYYY-MM-DD with evidence, assertion, "
            "molecular-profile, variant and gene summaries)",
            path=oncology,
        )
    return max(found, key=lambda r: r.date)


def read_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for every data row; quoting off; field counts checked."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    reader = csv.reader(io.StringIO(raw.decode("utf-8")), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header is None:
        raise KnowledgeError("empty file", path=path)
    missing = [c for c in required if c not in header]
    if missing:
        raise KnowledgeError(f"missing column(s) {', '.join(missing)}", path=path, line=1)
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise KnowledgeError(
                f"{len(row)} fields, the header has {len(header)}", path=path, line=number
            )
        yield number, dict(zip(header, row, strict=True))


def split_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip() and t.strip() != "N/A"]


def classify_variant(gene: str, name: str) -> dict[str, Any]:
    """How a CIViC variant name can be matched against sequencing calls.

    ``exact`` (a protein change: ``L858R``, ``E746_A750del``, ``W288FS``), ``codon``
    (``V600``, ``G12/G13``: any missense there), ``exon`` (``Exon 19 Deletion``), ``any``
    (``Mutation``: any protein-altering change in the gene), ``truncating``
    (``Loss-of-function``, ``Truncating Mutation``), ``fusion`` (``Fusion``, ``EML4::ALK``);
    anything else (amplification, expression, methylation ...) is ``other`` and is never
    matched from a VCF or MAF.
    """
    text = name.strip()
    low = text.lower()
    if "::" in text:
        partners = [p.strip() for p in text.split("::")]
        return {"kind": "fusion", "partners": partners}
    if low in FUSION:
        return {"kind": "fusion", "partners": []}
    if low in ANY_MUTATION:
        return {"kind": "any"}
    if low in TRUNCATING:
        return {"kind": "truncating"}
    m = _EXON_NAME.match(text)
    if m:
        return {"kind": "exon", "exon": int(m.group(1)), "change": m.group(2).lower()}
    if _CODON_NAME.match(text):
        codons = [[part[0], int(part[1:])] for part in text.split("/")]
        return {"kind": "codon", "codons": codons}
    normal = re.sub(
        r"(DELINS|DEL|INS|DUP|FS)",
        lambda mm: mm.group(1).lower(),
        text,
    )
    if _PROTEIN_NAME.match(normal):
        short = short_protein("p." + normal)
        return {"kind": "exact", "short": short}
    return {"kind": "other"}


def variant_hgvs(descriptions: str) -> tuple[str | None, str | None]:
    """The protein (``NP_…:p.``) and coding (``NM_``/``ENST``…``:c.``) HGVS of a CIViC variant."""
    p = c = None
    for item in descriptions.split(","):
        item = item.strip()
        if ":p." in item and p is None:
            p = item.split(":", 1)[1]
        elif ":c." in item and (c is None or item.startswith("NM_")):
            c = item.split(":", 1)[1] if item.startswith(("NM_", "ENST")) else c
    return p, c
