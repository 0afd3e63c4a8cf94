"""The compiled HPO against facts stated in hp.obo release 2025-01-16 itself."""

from __future__ import annotations

from tailormed.knowledge.rare import RareKnowledge


def test_release_and_counts_match_the_obo_file(rare_kb: RareKnowledge) -> None:
    # hp.obo 2025-01-16 holds 19,484 [Term] stanzas, 450 of them "is_obsolete: true"
    assert rare_kb.hpo_release == "2025-01-16"
    assert len(rare_kb.ontology) + len(rare_kb.ontology.obsolete) == 19484
    assert len(rare_kb.ontology.obsolete) == 450
    assert rare_kb.version.startswith("hpo-2025-01-16+")
    assert rare_kb.bundle.source("hpo")["version"] == "2025-01-16"
    assert "Gargano" in (rare_kb.bundle.source("hpo")["citation"] or "")


def test_ancestors_follow_is_a(rare_kb: RareKnowledge) -> None:
    o = rare_kb.ontology
    # "id: HP:0000003 / name: Multicystic kidney dysplasia / is_a: HP:0000107 ! Renal cyst"
    t = o.index("HP:0000003")
    assert o.label(t) == "Multicystic kidney dysplasia"
    assert [o.term_id(int(p)) for p in o.parents(t)] == ["HP:0000107"]
    ancestors = {o.term_id(int(a)) for a in o.ancestors(t)}
    assert {"HP:0000003", "HP:0000107", "HP:0000118", "HP:0000001"} <= ancestors
    assert o.is_ancestor(o.index("HP:0000118"), t)
    assert not o.is_ancestor(t, o.index("HP:0000118"))


def test_alt_ids_map_to_their_term(rare_kb: RareKnowledge) -> None:
    # "id: HP:0000003 ... alt_id: HP:0004715"; "id: HP:0000286 Epicanthus, alt_id: HP:0000624"
    o = rare_kb.ontology
    r = o.resolve("HP:0004715")
    assert (r.status, r.term_id) == ("alt_id", "HP:0000003")
    assert o.resolve("HP:0000624").term_id == "HP:0000286"


def test_obsolete_terms_map_to_replacement_or_are_ignored(rare_kb: RareKnowledge) -> None:
    o = rare_kb.ontology
    # "id: HP:0003114 / name: obsolete Abnormal cardiological findings / replaced_by: HP:0001626"
    r = o.resolve("HP:0003114")
    assert (r.status, r.term_id) == ("obsolete", "HP:0001626")
    assert "replaced by HP:0001626" in r.note
    # "id: HP:0001726 ... is_obsolete: true / consider: HP:0001654" (no replacement)
    r = o.resolve("HP:0001726")
    assert r.status == "obsolete" and r.index == -1
    assert "consider HP:0001654" in r.note


def test_unknown_and_newer_ids(rare_kb: RareKnowledge) -> None:
    o = rare_kb.ontology
    assert o.resolve("HP:9999999").status == "newer"
    assert "newer than HPO release 2025-01-16" in o.resolve("HP:9999999").note
    assert o.resolve("HP:0000000").status == "unknown"
    assert o.resolve("not-an-id").status == "unknown"


def test_term_search_by_label_and_synonym(rare_kb: RareKnowledge) -> None:
    o = rare_kb.ontology
    assert o.search("epicanthus")[0][:2] == ("HP:0000286", "Epicanthus")
    # synonym: "Epicanthal folds" EXACT [] of HP:0000286
    hit = o.search("epicanthal folds")[0]
    assert hit[0] == "HP:0000286" and hit[2] == "Epicanthal folds"


def test_disease_annotations_inheritance_and_genes(rare_kb: RareKnowledge) -> None:
    # phenotype.hpoa: OMIM:148600 (punctate palmoplantar keratoderma 1A) is autosomal
    # dominant; genes_to_phenotype links it to AAGAB
    d = rare_kb.disease_index("OMIM:148600")
    assert d >= 0
    assert rare_kb.genes_of(d) == ("AAGAB",)
    modes = {rare_kb.ontology.term_id(t) for t in rare_kb.inheritance[d]}
    assert "HP:0000006" in modes
    assert rare_kb.disease_index("ORPHA:558") >= 0  # Marfan syndrome (Orphanet)


def test_gene_coordinates(rare_kb: RareKnowledge) -> None:
    from tailormed.rare.variants import genes_at

    # AAGAB lies on chr15 around 67.2 Mb (GRCh38); the dev set's AAGAB variant is there
    assert "AAGAB" in genes_at(rare_kb.coords, "chr15", 67236719)
    assert genes_at(rare_kb.coords, "chr15", 1) == []


def test_pgx_commands_do_not_load_the_rare_bundle() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import tailormed.cli.main\n"
        "from tailormed.knowledge import load_kb\n"
        "load_kb()\n"
        "assert 'tailormed.knowledge.rare' not in sys.modules, 'rare bundle code imported'\n"
        "assert 'tailormed.rare' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
