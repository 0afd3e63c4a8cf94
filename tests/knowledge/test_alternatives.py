"""Alternative drugs read from guideline recommendation texts (knowledge/alternatives.py).

The expected table was written by reading every recommendation text of the bundled
knowledge base that names a drug (CPIC and DPWG wording as shipped), not from the
parser's output: a changed guideline text or rule fails here until someone has read it.
"""

from __future__ import annotations

import pytest

from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.alternatives import alternatives_in

# (source, drug) -> alternatives its recommendations name, across all its phenotypes.
TCA_CPIC = {"nortriptyline", "desipramine"}  # "TCAs without major CYP2C19 metabolism include"
CIT_SER = {"citalopram", "sertraline"}  # DPWG: "not metabolised by CYP2D6 ... include"
ANTIARRHYTHMICS = {"sotalol", "disopyramide", "quinidine", "amiodarone"}
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("CPIC", "amitriptyline"): TCA_CPIC,
    ("CPIC", "clomipramine"): TCA_CPIC,
    ("CPIC", "doxepin"): TCA_CPIC,
    ("CPIC", "imipramine"): TCA_CPIC,
    ("CPIC", "trimipramine"): TCA_CPIC,
    ("CPIC", "atorvastatin"): {"rosuvastatin"},  # "consider rosuvastatin or combination"
    ("CPIC", "clopidogrel"): {"prasugrel", "ticagrelor"},
    ("CPIC", "ondansetron"): {"granisetron"},  # "(i.e., granisetron)"
    ("CPIC", "tropisetron"): {"granisetron"},
    ("CPIC", "voriconazole"): {"amphotericin b", "posaconazole"},  # isavuconazole: no RxNorm
    ("DPWG", "allopurinol"): {"febuxostat"},
    ("DPWG", "amitriptyline"): CIT_SER,
    ("DPWG", "atomoxetine"): {"clonidine"},
    ("DPWG", "clomipramine"): CIT_SER | {"fluoxetine", "fluvoxamine", "paroxetine"},
    ("DPWG", "clopidogrel"): {"prasugrel", "ticagrelor"},  # not the aspirin/dipyridamole combo
    ("DPWG", "codeine"): {"morphine", "noscapine"},  # not tramadol ("do not select")
    ("DPWG", "doxepin"): CIT_SER,
    ("DPWG", "escitalopram"): {"paroxetine", "fluvoxamine"},
    ("DPWG", "flecainide"): ANTIARRHYTHMICS,
    ("DPWG", "haloperidol"): {"quetiapine", "olanzapine", "clozapine"},
    ("DPWG", "imipramine"): CIT_SER | {"nortriptyline", "fluvoxamine", "mirtazapine"},
    ("DPWG", "metoprolol"): {"bisoprolol", "carvedilol"},
    ("DPWG", "nortriptyline"): CIT_SER,
    ("DPWG", "paroxetine"): CIT_SER,
    ("DPWG", "propafenone"): ANTIARRHYTHMICS,
    ("DPWG", "quetiapine"): {"aripiprazole", "olanzapine"},
    ("DPWG", "simvastatin"): {"rosuvastatin", "pravastatin"},
    ("DPWG", "tramadol"): {"morphine"},  # not codeine ("Do not choose codeine")
    ("DPWG", "venlafaxine"): CIT_SER | {"duloxetine", "mirtazapine"},
}
RXNORM = {"prasugrel": "613391", "ticagrelor": "1116632", "granisetron": "26237"}


def test_every_named_alternative_in_the_knowledge_base(kb: KnowledgeBase) -> None:
    found: dict[tuple[str, str], set[str]] = {}
    for g in kb.guidelines:
        for r in g.recommendations:
            for a in r.alternatives:
                for drug in r.drugs:
                    found.setdefault((g.source, drug), set()).add(a.drug)
                assert a.sentence in r.text
                assert a.drug in a.sentence.lower()
    assert found == EXPECTED


def test_clopidogrel_poor_metabolizer_names_prasugrel_and_ticagrelor(kb: KnowledgeBase) -> None:
    recs = kb.recommendations(drug="clopidogrel", lookup={"CYP2C19": "Poor Metabolizer"})
    cpic = [r for r in recs if r.source == "CPIC" and r.population == "CVI ACS PCI"]
    assert [(a.drug, a.rxnorm) for a in cpic[0].alternatives] == [
        ("prasugrel", RXNORM["prasugrel"]),
        ("ticagrelor", RXNORM["ticagrelor"]),
    ]


@pytest.mark.parametrize(
    ("text", "own", "expected"),
    [
        # negations and vetoes, each from a real guideline sentence
        ("If opioid use is warranted, consider a non-tramadol opioid.", ("codeine",), []),
        ("Fluorouracil and capecitabine are not alternatives.", ("tegafur",), []),
        ("Strong CYP2D6 inhibitor: for example paroxetine, fluoxetine.", ("eliglustat",), []),
        ("Choose an alternative or titrate to the active metabolite (paliperidone).", (), []),
        ("Do not select tramadol, as this is also metabolised by CYP2D6.", ("codeine",), []),
        ("Choose an alternative. Morphine is not metabolised by CYP2D6.", (), ["morphine"]),
        ("Oxycodone is metabolised by CYP2D6 to a limited extent.", ("codeine",), []),
        # the drug itself is never its own alternative
        ("Use prasugrel or clopidogrel.", ("clopidogrel",), ["prasugrel"]),
    ],
)
def test_rule_on_guideline_sentences(text: str, own: tuple[str, ...], expected: list[str]) -> None:
    vocabulary = {
        name: (name, str(n))
        for n, name in enumerate(
            ["tramadol", "capecitabine", "fluorouracil", "paroxetine", "fluoxetine",
             "paliperidone", "morphine", "oxycodone", "prasugrel", "clopidogrel"]
        )
    }  # fmt: skip
    assert [a["drug"] for a in alternatives_in(text, own, vocabulary)] == expected
