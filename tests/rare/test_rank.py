"""Ranking: published diagnoses of the sample phenopackets, ties, the TSV contract."""

from __future__ import annotations

from pathlib import Path

from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.models import Case
from tailormed.rare.output import TSV_COLUMNS, write_rankings
from tailormed.rare.rank import Ranker
from tailormed.rare.read import read_phenopacket


def _case(rare_kb: RareKnowledge, *terms: str, excluded: tuple[str, ...] = ()) -> Case:
    from tailormed.rare.read import case_from_phenopacket, parse_phenopacket

    feats = [{"type": {"id": t}} for t in terms]
    feats += [{"type": {"id": t}, "excluded": True} for t in excluded]
    packet = parse_phenopacket({"id": "t", "phenotypicFeatures": feats}, "test")
    return case_from_phenopacket(packet, rare_kb.ontology)


def test_published_diagnosis_ranks_first(
    rare_kb: RareKnowledge, ranker: Ranker, samples: Path
) -> None:
    # PMID 11050011, II-1: X-linked sideroblastic anaemia with ataxia, ABCB7 (OMIM:301310),
    # the diagnosis in the phenopacket's own interpretation (never given to the ranker)
    case = read_phenopacket(samples / "PMID_11050011_II_1.json", rare_kb.ontology)
    top = ranker.rank(case, top=5).candidates[0]
    assert (top.rank, top.gene, top.disease_id) == (1.0, "ABCB7", "OMIM:301310")
    assert len(top.matched_terms) == len(case.observed)
    kinds = {m.kind for m in top.matches}
    assert kinds <= {"exact", "annotation more specific", "annotation more general"}


def test_explanation_names_the_annotation(rare_kb: RareKnowledge, ranker: Ranker) -> None:
    # Marfan syndrome (OMIM:154700) is annotated with Ectopia lentis (HP:0001083)
    case = _case(rare_kb, "HP:0001083", "HP:0001166", "HP:0002616")
    ranking = ranker.rank(case, top=200)
    marfan = next(c for c in ranking.candidates if c.disease_id == "OMIM:154700")
    assert marfan.gene == "FBN1"
    exact = {m.observed: m for m in marfan.matches}
    assert exact["HP:0001083"].kind == "exact"
    assert exact["HP:0001083"].annotation == "HP:0001083"
    assert set(marfan.matched_terms) == set(exact)


def test_excluded_obligate_feature_counts_against(rare_kb: RareKnowledge, ranker: Ranker) -> None:
    base = _case(rare_kb, "HP:0001083", "HP:0001166", "HP:0002616")
    without = _case(rare_kb, "HP:0001083", "HP:0001166", "HP:0002616", excluded=("HP:0001166",))
    # the same term cannot be both: it stays observed, and the result says so
    assert any("kept as observed" in i.reason for i in without.ignored)
    s1 = ranker.score(base)
    s2 = ranker.score(without)
    assert (s1.phenotype == s2.phenotype).all()


def test_no_terms_means_everything_ties(rare_kb: RareKnowledge, ranker: Ranker) -> None:
    ranking = ranker.rank(_case(rare_kb), top=1)
    n = len(ranking.candidates)
    assert n == len(ranker.pair_gene)  # ties at the cut are all included
    expected = (1 + n) / 2
    assert {c.rank for c in ranking.candidates} == {expected}
    assert any("every candidate ties" in w for w in ranking.warnings)


def test_disease_with_several_genes_gives_tied_rows(rare_kb: RareKnowledge, ranker: Ranker) -> None:
    # Noonan syndrome 1 (OMIM:163950) lists more than one gene in genes_to_phenotype
    d = rare_kb.disease_index("OMIM:163950")
    genes = rare_kb.genes_of(d)
    assert len(genes) >= 2
    case = _case(rare_kb, "HP:0001631", "HP:0000316", "HP:0004322", "HP:0001639")
    rows = [c for c in ranker.rank(case, top=100).candidates if c.disease_id == "OMIM:163950"]
    assert sorted(c.gene for c in rows) == sorted(genes)
    assert len({c.rank for c in rows}) == 1 and len({c.score for c in rows}) == 1


def test_tsv_contract(
    rare_kb: RareKnowledge, ranker: Ranker, samples: Path, tmp_path: Path
) -> None:
    cases = [read_phenopacket(p, rare_kb.ontology) for p in sorted(samples.glob("*.json"))]
    rankings = [ranker.rank(c, top=7) for c in cases]
    write_rankings(rankings, tmp_path)
    lines = (tmp_path / "rankings.tsv").read_text().splitlines()
    assert lines[0].split("\t") == list(TSV_COLUMNS)
    rows = [line.split("\t") for line in lines[1:]]
    for case in cases:
        mine = [r for r in rows if r[0] == case.case_id]
        assert len(mine) >= 7
        ranks = [float(r[1]) for r in mine]
        scores = [float(r[5]) for r in mine]
        assert ranks == sorted(ranks) and scores == sorted(scores, reverse=True)
        observed = {t.term_id for t in case.observed}
        for r in mine:
            assert set(filter(None, r[6].split(";"))) <= observed
    assert (tmp_path / "PMID_11050011_II_1.json").is_file()


def test_orpha_and_ic_baseline(rare_kb: RareKnowledge, samples: Path) -> None:
    case = read_phenopacket(samples / "PMID_11050011_II_1.json", rare_kb.ontology)
    orpha = Ranker(rare_kb, db="ORPHA").rank(case, top=3)
    assert all(c.disease_id.startswith("ORPHA:") for c in orpha.candidates)
    ic = Ranker(rare_kb, method="ic").rank(case, top=3)
    assert ic.method == "ic" and ic.candidates[0].score > 0
