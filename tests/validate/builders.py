"""Hand-built truth rows, calls and panel coverage for the validation tests."""

from __future__ import annotations

from collections.abc import Iterable

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.validate.explain import PanelSite
from tailormed.validate.getrm import TruthCall, TruthRecord, classify

HEADER = "sample_id\tgene\ttruth_diplotype\tsource\tin_1kgp_30x\ttruth_alt\ttruth_raw\tnote"


def record(
    gene: str,
    truth: str,
    *,
    sample: str = "NA00001",
    in_1kgp: bool = True,
    alt: str = "",
    note: str = "",
) -> TruthRecord:
    return TruthRecord(sample, gene, truth, "test", in_1kgp, alt, "", note, line=2)


def truth(kb: KnowledgeBase, gene: str, diplotype: str, **kwargs: object) -> TruthCall:
    return classify(record(gene, diplotype, **kwargs), kb)  # type: ignore[arg-type]


def call(gene: str, *diplotypes: str, sample: str = "NA00001", **kwargs: object) -> GeneCall:
    """``call("CYP2C19", "*1/*2", "*1/*3")``: the first diplotype is the primary call."""
    return GeneCall(
        sample=sample,
        gene=gene,
        diplotypes=tuple(Diplotype(tuple(d.split("/"))) for d in diplotypes),
        phased=True,
        **kwargs,  # type: ignore[arg-type]
    )


class StaticCoverage:
    """Every position is a panel record unless listed as absent or outside."""

    def __init__(self, absent: Iterable[int] = (), outside: Iterable[int] = ()) -> None:
        self.absent, self.outside = set(absent), set(outside)

    def site(self, gene: str, position: int) -> PanelSite:
        if position in self.outside:
            return PanelSite.OUTSIDE
        return PanelSite.ABSENT if position in self.absent else PanelSite.RECORD


def tsv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"
