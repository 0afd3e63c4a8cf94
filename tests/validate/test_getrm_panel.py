"""What the 1KGP panel VCFs hold, as the shared README states it."""

from __future__ import annotations

from pathlib import Path

from tailormed.knowledge import KnowledgeBase
from tailormed.validate.explain import PanelSite
from tailormed.validate.run import VcfPanel


def _position(kb: KnowledgeBase, gene: str, rsid: str) -> int:
    (pos,) = [v.position for v in kb.gene(gene).variants if v.rsid == rsid]
    return pos


def test_ifnl3_rs12979860_is_outside_the_cut_region(shared: Path, kb: KnowledgeBase) -> None:
    panel = VcfPanel(shared / "1kgp" / "GRCh38")
    assert panel.site("IFNL3", _position(kb, "IFNL3", "rs12979860")) is PanelSite.OUTSIDE


def test_dpyd_has_no_panel(shared: Path) -> None:
    panel = VcfPanel(shared / "1kgp" / "GRCh38")
    assert panel.path("DPYD") is None
    assert panel.site("DPYD", 97515839) is PanelSite.OUTSIDE


def test_cyp2c19_records(shared: Path, kb: KnowledgeBase) -> None:
    panel = VcfPanel(shared / "1kgp" / "GRCh38")
    assert panel.site("CYP2C19", _position(kb, "CYP2C19", "rs4244285")) is PanelSite.RECORD
