"""Which genome build a VCF is on: GRCh38 is required; anything else is refused.

Evidence, strongest first:

* the header: ``##contig`` lengths of the primary chromosomes (GRCh37 and GRCh38 differ
  for every one of them), ``assembly=`` on contig lines, ``##assembly=``, ``##reference=``
  (``GRCh37``, ``hg19``, ``b37``, ``hs37d5``, ``human_g1k_v37`` ... or their GRCh38
  counterparts);
* the records (:class:`BuildEvidence`, filled by the reader): REF alleles that disagree
  with the definitions at defining positions, and - where the header states no build -
  records sitting exactly where GRCh37 puts a defining variant (same REF and ALT), more
  of them than records of defining variants at their GRCh38 positions.

A file whose header says nothing about its build is accepted with a warning carried by
every call. Lifting a file over is the user's step, done with a tool made for it.

Chromosome lengths: GRC assembly reports of GRCh37.p13 (GCF_000001405.25) and GRCh38.p14
(GCF_000001405.40), the same as UCSC's hg19/hg38 ``chrom.sizes``. GRCh37 positions of
defining variants: ``data/grch37_positions.tsv`` (its header gives source and selection).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from tailormed.errors import InputError
from tailormed.vcf.normalize import canonical
from tailormed.vcf.regions import chrom_key

LIFTOVER_HINT = (
    "Tailormed needs GRCh38 coordinates: lift the file over to GRCh38 first (e.g. with "
    "`bcftools +liftover` or Picard LiftoverVcf) and run it again"
)

GRCH38_LENGTHS = {
    "1": 248956422, "2": 242193529, "3": 198295559, "4": 190214555, "5": 181538259,
    "6": 170805979, "7": 159345973, "8": 145138636, "9": 138394717, "10": 133797422,
    "11": 135086622, "12": 133275309, "13": 114364328, "14": 107043718, "15": 101991189,
    "16": 90338345, "17": 83257441, "18": 80373285, "19": 58617616, "20": 64444167,
    "21": 46709983, "22": 50818468, "X": 156040895, "Y": 57227415,
}  # fmt: skip
GRCH37_LENGTHS = {
    "1": 249250621, "2": 243199373, "3": 198022430, "4": 191154276, "5": 180915260,
    "6": 171115067, "7": 159138663, "8": 146364022, "9": 141213431, "10": 135534747,
    "11": 135006516, "12": 133851895, "13": 115169878, "14": 107349540, "15": 102531392,
    "16": 90354753, "17": 81195210, "18": 78077248, "19": 59128983, "20": 63025520,
    "21": 48129895, "22": 51304566, "X": 155270560, "Y": 59373566,
}  # fmt: skip

_NAMES_38 = re.compile(
    r"(?<![a-z0-9])(grch38|hg38|hs38(dh|d1)?|b38|gca_000001405\.(1[5-9]|2\d)|"
    r"gcf_000001405\.(2[6-9]|3\d|40)|homo_sapiens_assembly38)(?![a-z0-9])"
)
_NAMES_37 = re.compile(
    r"(?<![a-z0-9])(grch37|hg19|hs37(d5)?|b37|human_g1k_v37|g1k_v37|ncbi37|"
    r"gca_000001405\.([1-9]|1[0-4])|gcf_000001405\.(1[3-9]|2[0-5])|homo_sapiens_assembly19)"
    r"(?![a-z0-9])"
)
_NAMES_OLDER = re.compile(r"(?<![a-z0-9])(ncbi36|hg18|b36|ncbi35|hg17)(?![a-z0-9])")
_CONTIG = re.compile(r"^##contig=<(.*)>\s*$")


@dataclass(frozen=True, slots=True)
class HeaderBuild:
    """What a header says: ``"GRCh38"``, ``"GRCh37"``, ``"other"`` or None (nothing)."""

    build: str | None
    evidence: str = ""


def _named(text: str) -> str | None:
    low = text.lower()
    hits = {
        name
        for name, pattern in (("GRCh38", _NAMES_38), ("GRCh37", _NAMES_37), ("other", _NAMES_OLDER))
        if pattern.search(low)
    }
    return hits.pop() if len(hits) == 1 else None


def _contig_fields(body: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in re.split(r",(?=[A-Za-z_]+=)", body):
        key, _, value = part.partition("=")
        out[key.strip().lower()] = value.strip().strip('"')
    return out


def header_build(raw_header: str) -> HeaderBuild:
    """The build a VCF header states (see the module docstring for the evidence used)."""
    verdicts: list[HeaderBuild] = []
    for line in raw_header.splitlines():
        match = _CONTIG.match(line)
        if match:
            fields = _contig_fields(match.group(1))
            name = chrom_key(fields.get("id", ""))
            length_text = fields.get("length", "")
            if name in GRCH38_LENGTHS and length_text.isdigit():
                length = int(length_text)
                where = f"##contig {fields.get('id')} length={length}"
                if length == GRCH38_LENGTHS[name]:
                    verdicts.append(HeaderBuild("GRCh38", where))
                elif length == GRCH37_LENGTHS[name]:
                    verdicts.append(HeaderBuild("GRCh37", where))
                else:
                    verdicts.append(
                        HeaderBuild(
                            "other",
                            f"{where}, not GRCh38's {GRCH38_LENGTHS[name]}",
                        )
                    )
            assembly = fields.get("assembly")
            if assembly:
                build = _named(assembly)
                if build:
                    verdicts.append(HeaderBuild(build, f"##contig assembly={assembly}"))
        elif line.startswith(("##reference=", "##assembly=")):
            value = line.split("=", 1)[1].strip()
            build = _named(value)
            if build:
                verdicts.append(HeaderBuild(build, line.strip()))
    refusals = [v for v in verdicts if v.build != "GRCh38"]
    if refusals:
        return refusals[0]
    return verdicts[0] if verdicts else HeaderBuild(None)


def refuse(path: Path, verdict: HeaderBuild) -> InputError:
    """The one-line error for a file that is not on GRCh38."""
    if verdict.build == "GRCh37":
        what = f"the file is on GRCh37 ({verdict.evidence})"
    else:
        what = f"the file is not GRCh38 ({verdict.evidence})"
    return InputError(f"{what}. {LIFTOVER_HINT}", path=path)


# ---------------------------------------------------------------------- from records


@dataclass(frozen=True, slots=True)
class Grch37Site:
    gene: str
    chrom: str
    grch38: int
    grch37: int
    key: tuple[int, str, str]  # canonical (start, deleted, inserted) on GRCh37
    rsid: str

    @property
    def label(self) -> str:
        return f"{self.rsid} at {self.chrom}:{self.grch37}"


def grch37_sites(genes: Iterable[str]) -> dict[tuple[str, int], list[Grch37Site]]:
    """GRCh37 positions of the given genes' defining variants, by (chromosome, position)."""
    wanted = set(genes)
    table = resources.files("tailormed.vcf") / "data" / "grch37_positions.tsv"
    out: dict[tuple[str, int], list[Grch37Site]] = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", "gene\t")) or not line.strip():
            continue
        gene, chrom, p38, p37, ref37, alt37, rsid = line.split("\t")
        if gene not in wanted:
            continue
        site = Grch37Site(gene, chrom, int(p38), int(p37), canonical(int(p37), ref37, alt37), rsid)
        out.setdefault((chrom_key(chrom), site.grch37), []).append(site)
    return out


@dataclass(slots=True)
class BuildEvidence:
    """What one file's records say about its build (filled while reading)."""

    grch38_hits: int = 0  # records matching a defining variant at its GRCh38 position
    grch37_hits: list[str] = field(default_factory=list)  # ... at its GRCh37 position

    def check_record(
        self,
        sites: dict[tuple[str, int], list[Grch37Site]],
        chrom: str,
        pos: int,
        ref: str,
        alts: Sequence[str],
    ) -> None:
        candidates = sites.get((chrom_key(chrom), pos))
        if not candidates:
            return
        keys = {canonical(pos, ref, alt) for alt in alts}
        for site in candidates:
            if site.key in keys:
                self.grch37_hits.append(site.label)
                return

    def verdict(self, path: Path) -> InputError | None:
        if self.grch37_hits and len(self.grch37_hits) > self.grch38_hits:
            shown = ", ".join(self.grch37_hits[:3])
            more = f" and {len(self.grch37_hits) - 3} more" if len(self.grch37_hits) > 3 else ""
            return InputError(
                f"the file looks like GRCh37: its records sit at the GRCh37 positions of "
                f"defining variants ({shown}{more}), {self.grch38_hits} at GRCh38 ones. "
                + LIFTOVER_HINT,
                path=path,
            )
        return None


def unstated_warning(paths: Sequence[Path]) -> str:
    names = ", ".join(p.name for p in paths[:3]) + (" ..." if len(paths) > 3 else "")
    return (
        f"genome build not stated in the input ({names}: no ##reference, contig lengths or "
        "assembly): GRCh38 assumed; the records raised no sign of another build"
    )
