"""Concordance and discordance explanations on hand-built calls."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from tailormed.knowledge import KnowledgeBase
from tailormed.validate.concordance import (
    NOT_CALLED,
    Comparison,
    GeneStatus,
    Outcome,
    compare,
    summarise,
)
from tailormed.validate.explain import Explanation, PanelSite, typed_positions
from tailormed.validate.getrm import TruthCall, TruthCategory
from tests.validate.builders import StaticCoverage, call, truth

OK = GeneStatus.VALIDATED
EVERYWHERE = StaticCoverage()


def _compare(
    kb: KnowledgeBase,
    t: TruthCall,
    *diplotypes: str,
    coverage: StaticCoverage = EVERYWHERE,
    status: GeneStatus = OK,
    typed: Iterable[int] = (),
    **call_fields: Any,
) -> Comparison:
    c = call(t.gene, *diplotypes, **call_fields)
    return compare(t, c, status, kb, coverage, frozenset(typed))


# ------------------------------------------------------------------------- concordant
def test_concordant_whatever_the_order(kb: KnowledgeBase) -> None:
    t = truth(kb, "CYP2C19", "*2/*1")
    result = _compare(kb, t, "*1/*2")
    assert result.outcome is Outcome.CONCORDANT and result.explanation is None
    assert _compare(kb, t, "*2/*1").outcome is Outcome.CONCORDANT


def test_legacy_names_compare_in_current_names(kb: KnowledgeBase) -> None:
    assert _compare(kb, truth(kb, "SLCO1B1", "*1A/*1B"), "*37/*1").outcome is Outcome.CONCORDANT
    # an unsubtyped legacy SLCO1B1 *1 accepts *1 or *37 (c.388A>G)
    broad = truth(kb, "SLCO1B1", "*1/*15")
    assert _compare(kb, broad, "*15/*37").outcome is Outcome.CONCORDANT
    assert _compare(kb, broad, "*1/*15").outcome is Outcome.CONCORDANT
    assert _compare(kb, truth(kb, "CYP3A4", "*1B/*1B"), "*1/*1").outcome is Outcome.CONCORDANT


def test_a_core_name_accepts_its_suballeles(kb: KnowledgeBase) -> None:
    t = truth(kb, "SLCO1B1", "*1A/*45")
    assert t.category is TruthCategory.COMPARABLE
    assert _compare(kb, t, "*1/*45.002").outcome is Outcome.CONCORDANT


# ------------------------------------------------------------------------------- ties
def test_truth_among_tied_alternatives_is_not_concordant(kb: KnowledgeBase) -> None:
    result = _compare(kb, truth(kb, "CYP2C9", "*1/*2"), "*1/*3", "*1/*2")
    assert result.outcome is Outcome.TIED
    assert result.explanation is Explanation.TIED
    assert "*1/*2" in result.detail


def test_truth_as_primary_of_a_tie_is_concordant(kb: KnowledgeBase) -> None:
    result = _compare(kb, truth(kb, "CYP2C9", "*1/*2"), "*1/*2", "*1/*3")
    assert result.outcome is Outcome.CONCORDANT


# ------------------------------------------------------------------------ discordant
def test_plain_discordance_needs_review(kb: KnowledgeBase) -> None:
    result = _compare(kb, truth(kb, "CYP2C9", "*1/*2"), "*1/*3")
    assert result.outcome is Outcome.DISCORDANT
    assert result.explanation is Explanation.REVIEW
    assert "*2 → *3" in result.detail


def test_no_call(kb: KnowledgeBase) -> None:
    t = truth(kb, "CYP2C9", "*1/*2")
    result = _compare(kb, t, warnings=("no combination of named alleles explains it",))
    assert result.outcome is Outcome.NO_CALL
    assert result.explanation is Explanation.NO_CALL
    assert "no combination" in result.detail


def test_suballele_naming(kb: KnowledgeBase) -> None:
    result = _compare(kb, truth(kb, "SLCO1B1", "*1A/*45.001"), "*1/*45.002")
    assert result.explanation is Explanation.SUBALLELE


def test_position_absent_from_the_panel(kb: KnowledgeBase) -> None:
    # CYP2B6*6 = *9 (rs3745274) + rs2279343; a panel without rs2279343 shows *9
    rs2279343 = kb.gene("CYP2B6").variants
    (pos,) = [v.position for v in rs2279343 if v.rsid == "rs2279343"]
    result = _compare(
        kb, truth(kb, "CYP2B6", "*1/*6"), "*1/*9", coverage=StaticCoverage(absent=[pos])
    )
    assert result.explanation is Explanation.MISSING_POSITION
    assert "rs2279343" in result.detail and "no record" in result.detail


def test_position_outside_the_panel_region(kb: KnowledgeBase) -> None:
    (pos,) = [v.position for v in kb.gene("CYP2C9").variants if v.rsid == "rs1057910"]
    result = _compare(
        kb, truth(kb, "CYP2C9", "*1/*3"), "*1/*1", coverage=StaticCoverage(outside=[pos])
    )
    assert result.explanation is Explanation.MISSING_POSITION
    assert "outside" in result.detail


def test_position_the_caller_reports_missing(kb: KnowledgeBase) -> None:
    (pos,) = [v.position for v in kb.gene("CYP2C9").variants if v.rsid == "rs1057910"]
    result = _compare(kb, truth(kb, "CYP2C9", "*1/*3"), "*1/*1", missing_positions=(pos,))
    assert result.explanation is Explanation.MISSING_POSITION


def test_same_variants_other_phase(kb: KnowledgeBase) -> None:
    result = _compare(kb, truth(kb, "CYP4F2", "*2/*3"), "*1/*4")
    assert result.explanation is Explanation.PHASE


def test_cyp2c19_38_versus_1_is_old_naming(kb: KnowledgeBase) -> None:
    t = truth(kb, "CYP2C19", "*1/*38", alt="*1/*1")
    result = _compare(kb, t, "*1/*1")
    assert result.outcome is Outcome.DISCORDANT
    assert result.explanation is Explanation.OLD_NAME
    assert "*38 was part of *1" in result.detail


def test_call_matching_the_alternative_truth(kb: KnowledgeBase) -> None:
    t = truth(kb, "SLCO1B1", "*1/*1", alt="*1/*14")
    result = _compare(kb, t, "*1/*14")
    assert result.explanation is Explanation.ALT_TRUTH


def test_allele_at_positions_no_truth_call_uses(kb: KnowledgeBase) -> None:
    truth_set = [truth(kb, "CYP4F2", d) for d in ("*1/*2", "*1/*3", "*1/*1")]
    typed = typed_positions(truth_set, kb)["CYP4F2"]
    t = truth(kb, "CYP4F2", "*1/*1")
    result = _compare(kb, t, "*1/*5", typed=typed)
    assert result.explanation is Explanation.UNTYPED
    assert "*5" in result.detail
    # without knowing what the truth typed, it is left for review
    assert _compare(kb, t, "*1/*5").explanation is Explanation.REVIEW


# ------------------------------------------------------------------------- excluded
def test_ambiguous_truth_is_excluded_and_listed_only_when_inconsistent(
    kb: KnowledgeBase,
) -> None:
    t = truth(kb, "CYP2B6", "*1/*1(*27)", note="ambiguous_or_low_confidence_call")
    fits = _compare(kb, t, "*1/*27")
    assert fits.outcome is Outcome.EXCLUDED and fits.explanation is None
    assert fits.excluded_by == TruthCategory.AMBIGUOUS.value
    misfit = _compare(kb, t, "*1/*6")
    assert misfit.outcome is Outcome.EXCLUDED
    assert misfit.explanation is Explanation.AMBIGUOUS_TRUTH


@pytest.mark.parametrize(
    ("gene", "diplotype", "status", "kwargs", "reason"),
    [
        ("CYP2C9", "*1/*2", OK, {"in_1kgp": False}, TruthCategory.NOT_IN_1KGP.value),
        ("CYP2C8", "*1/*3", GeneStatus.NO_DEFINITION, {}, TruthCategory.NO_DEFINITION.value),
        ("CYP2D6", "*1/*4", GeneStatus.OUTSIDE_CALL, {}, GeneStatus.OUTSIDE_CALL.value),
        ("CYP2D6", "*2x2/*4", GeneStatus.OUTSIDE_CALL, {}, GeneStatus.OUTSIDE_CALL.value),
        ("DPYD", "*1/*2A", GeneStatus.NO_PANEL, {}, GeneStatus.NO_PANEL.value),
        ("CYP2C9", "*1/*99", OK, {}, TruthCategory.NOT_IN_KB.value),
        ("CYP2C9", "*1/*2B", OK, {}, TruthCategory.LEGACY_UNMAPPED.value),
    ],
)
def test_excluded_rows(
    kb: KnowledgeBase,
    gene: str,
    diplotype: str,
    status: GeneStatus,
    kwargs: dict[str, object],
    reason: str,
) -> None:
    t = truth(kb, gene, diplotype, **kwargs)
    result = compare(t, call(gene, "*1/*1"), status, kb, EVERYWHERE)
    assert result.outcome is Outcome.EXCLUDED
    assert result.excluded_by == reason


def test_structural_truth_in_a_called_gene_is_excluded(kb: KnowledgeBase) -> None:
    t = truth(kb, "CYP2D6", "*1/*5")
    assert t.category is TruthCategory.NOT_SNV
    result = compare(t, call("CYP2D6", "*1/*1"), OK, kb, EVERYWHERE)
    assert result.excluded_by == TruthCategory.NOT_SNV.value


def test_sample_missing_from_the_callset(kb: KnowledgeBase) -> None:
    result = compare(truth(kb, "CYP2C9", "*1/*2"), None, OK, kb, EVERYWHERE)
    assert result.excluded_by == NOT_CALLED


# -------------------------------------------------------------------------- summary
def test_summary_counts(kb: KnowledgeBase) -> None:
    rows = [
        _compare(kb, truth(kb, "CYP2C9", "*1/*2", sample="NA00001"), "*1/*2"),
        _compare(kb, truth(kb, "CYP2C9", "*1/*3", sample="NA00002"), "*1/*3"),
        _compare(kb, truth(kb, "CYP2C9", "*1/*1", sample="NA00003"), "*1/*2", "*1/*1"),
        _compare(kb, truth(kb, "CYP2C9", "*1/*5", sample="NA00004"), "*1/*8"),
        _compare(kb, truth(kb, "CYP2C9", "*1/*2", sample="NA00005", in_1kgp=False), "*1/*2"),
        _compare(
            kb,
            truth(kb, "CYP2C9", "*1/*3 or *3/*novel", sample="NA00006"),
            "*1/*3",
        ),
        compare(truth(kb, "DPYD", "*1/*5"), None, GeneStatus.NO_PANEL, kb, EVERYWHERE),
    ]
    statuses = {"CYP2C9": OK, "DPYD": GeneStatus.NO_PANEL}
    cyp2c9, dpyd = summarise(rows, statuses)
    assert (cyp2c9.truth_rows, cyp2c9.in_1kgp, cyp2c9.compared) == (6, 5, 4)
    assert (cyp2c9.concordant, cyp2c9.tied, cyp2c9.discordant) == (2, 1, 2)
    assert cyp2c9.percent == 50.0
    assert cyp2c9.excluded == {TruthCategory.AMBIGUOUS.value: 1}
    assert cyp2c9.explanations == {
        Explanation.TIED.value: 1,
        Explanation.REVIEW.value: 1,
    }
    assert dpyd.status is GeneStatus.NO_PANEL
    assert dpyd.compared == 0 and dpyd.percent is None
    assert dpyd.excluded == {GeneStatus.NO_PANEL.value: 1}


def test_panel_site_values() -> None:
    assert {s.value for s in PanelSite} == {"record", "absent", "outside"}
