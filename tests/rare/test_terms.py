"""HPO term search: expectations from hp.obo (release 2025-01-16) itself."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

from tailormed.knowledge.rare import RareKnowledge
from tailormed.knowledge.rare.loader import PHENOTYPIC_ABNORMALITY
from tailormed.rare.terms import search_terms


def test_label_hit_comes_first(rare_kb: RareKnowledge) -> None:
    # hp.obo: id: HP:0001250, name: Seizure
    first = search_terms("seizure", 5)[0]
    assert (first.term_id, first.label, first.synonym) == ("HP:0001250", "Seizure", "")
    # case and a plural do not matter
    assert search_terms("SEIZURES", 1)[0].term_id == "HP:0001250"


def test_synonym_hit_names_the_synonym(rare_kb: RareKnowledge) -> None:
    # hp.obo: HP:0001166 Arachnodactyly, synonym: "Spider fingers" EXACT layperson
    hit = search_terms("spider fingers", 5)[0]
    assert hit == ("HP:0001166", "Arachnodactyly", "Spider fingers")
    # HP:0001263 Global developmental delay, synonym "GDD"
    assert search_terms("gdd", 3)[0][:2] == ("HP:0001263", "Global developmental delay")


def test_word_prefixes_while_typing(rare_kb: RareKnowledge) -> None:
    # HP:0000175 Cleft palate; HP:0000252 Microcephaly has the synonym "Small head"
    assert search_terms("cleft pal", 5)[0].term_id == "HP:0000175"
    assert search_terms("small hea", 5)[0][:3] == ("HP:0000252", "Microcephaly", "Small head")
    assert search_terms("arachno", 3)[0].term_id == "HP:0001166"


def test_ids_and_alt_ids(rare_kb: RareKnowledge) -> None:
    # hp.obo: HP:0000175 has alt_id HP:0410004
    assert search_terms("HP:0410004", 5) == [("HP:0000175", "Cleft palate", "")]
    assert search_terms("hp:0000175", 5)[0].term_id == "HP:0000175"
    assert search_terms("HP:9999999", 5) == []


def test_only_phenotypic_abnormalities_unless_asked(rare_kb: RareKnowledge) -> None:
    # HP:0000006 Autosomal dominant inheritance is a mode of inheritance, not a phenotype
    assert "HP:0000006" not in {h.term_id for h in search_terms("autosomal dominant", 50)}
    everything = search_terms("autosomal dominant inheritance", 5, within=None)
    assert everything[0].term_id == "HP:0000006"


def test_limits_and_empty_queries(rare_kb: RareKnowledge) -> None:
    assert search_terms("", 5) == [] and search_terms("  ,; ", 5) == []
    assert len(search_terms("abnormal", 7)) == 7
    assert search_terms("abnormal", 0) == []
    assert search_terms("zzzzqqq", 5) == []


def _obo_labels(path: Path) -> dict[str, str]:
    labels: dict[str, str] = {}
    current = ""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("id: HP:"):
                current = line[4:].strip()
            elif line.startswith("name: ") and current:
                labels[current] = line[6:].strip()
            elif line.startswith("[") and not line.startswith("[Term]"):
                current = ""
            elif line.startswith("is_obsolete: true"):
                labels.pop(current, None)
    return labels


def test_every_label_finds_its_own_term_first(rare_kb: RareKnowledge, shared: Path) -> None:
    """Every 25th phenotypic-abnormality term of hp.obo is found first by its own label."""
    o = rare_kb.ontology
    root = o.index(PHENOTYPIC_ABNORMALITY)
    labels = _obo_labels(shared / "rare_disease" / "hp.obo.gz")
    ids = sorted(t for t in labels if o.index(t) >= 0 and o.is_ancestor(root, o.index(t)))
    sample = ids[::25]
    assert len(sample) > 500
    start = time.perf_counter()
    misses = [t for t in sample if search_terms(labels[t], 3)[0].term_id != t]
    per_query = (time.perf_counter() - start) / len(sample)
    assert misses == []
    assert per_query < 0.02  # interactive (typically well under 1 ms)
