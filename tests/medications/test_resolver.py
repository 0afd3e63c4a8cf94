"""The one medication resolver: what a clinician writes → the ingredients it names.

Expected answers are the products' labelled ingredients and RxNorm ingredient codes
(RxNorm: clopidogrel 32968, simvastatin 36567, paroxetine 32937, acetaminophen 161,
codeine 2670, hydrocodone 5489), not this code's output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tailormed.medications import (
    clean_medications,
    medication_lines,
    read_medication_list,
    resolve_medication,
)
from tailormed.medications.suggest import osa_distance


@pytest.mark.parametrize(
    ("line", "ingredients"),
    [
        ("clopidogrel 75 mg daily", ("clopidogrel",)),
        ("Clopidogrel 75mg PO qd", ("clopidogrel",)),
        ("clopidogrel75mg", ("clopidogrel",)),
        ("warfarin sodium 5 mg tablet", ("warfarin",)),
        ("- simvastatin 40 mg at night", ("simvastatin",)),
    ],
)
def test_dose_text_resolves_to_the_ingredient(
    kb: KnowledgeBase, line: str, ingredients: tuple[str, ...]
) -> None:
    m = resolve_medication(line, kb)
    assert (m.status, m.ingredients) == ("recognised", ingredients)


@pytest.mark.parametrize(
    ("line", "ingredient", "rxnorm"),
    [
        ("Plavix 75 mg", "clopidogrel", "32968"),
        ("Zocor 40 mg", "simvastatin", "36567"),
        ("Paxil 20 mg daily", "paroxetine", "32937"),
        ("Coumadin 5 mg", "warfarin", "11289"),
        ("Dilantin 100 mg", "phenytoin", "8183"),
    ],
)
def test_brand_names_resolve_to_their_ingredient(
    kb: KnowledgeBase, line: str, ingredient: str, rxnorm: str
) -> None:
    m = resolve_medication(line, kb)
    assert m.ingredients == (ingredient,) and m.rxnorm == (rxnorm,)


@pytest.mark.parametrize(
    ("line", "ingredients"),
    [
        ("Tylenol #3", {"acetaminophen", "codeine"}),
        ("Tylenol #3 1 tab q6h prn", {"acetaminophen", "codeine"}),
        ("Tylenol with Codeine No. 4", {"acetaminophen", "codeine"}),
        ("Norco 5/325", {"acetaminophen", "hydrocodone"}),
        ("Percocet 5/325 mg", {"acetaminophen", "oxycodone"}),
        ("Vytorin 10/40", {"ezetimibe", "simvastatin"}),
        ("acetaminophen/codeine 300/30 mg", {"acetaminophen", "codeine"}),
        ("hydrocodone-acetaminophen 5-325", {"acetaminophen", "hydrocodone"}),
        ("amlodipine and atorvastatin 5/10", {"amlodipine", "atorvastatin"}),
    ],
)
def test_combination_products_resolve_to_every_ingredient(
    kb: KnowledgeBase, line: str, ingredients: set[str]
) -> None:
    m = resolve_medication(line, kb)
    assert m.recognised and set(m.ingredients) == ingredients, m


def test_tylenol_alone_is_acetaminophen_only(kb: KnowledgeBase) -> None:
    assert resolve_medication("Tylenol 500 mg", kb).ingredients == ("acetaminophen",)


def test_combination_codes_are_each_ingredients(kb: KnowledgeBase) -> None:
    m = resolve_medication("Tylenol #3", kb)
    assert set(m.rxnorm) == {"161", "2670"}


@pytest.mark.parametrize("line", ["RxNorm:32968", "rxnorm: 32968", "RXCUI:32968", "32968"])
def test_rxnorm_codes_resolve(kb: KnowledgeBase, line: str) -> None:
    m = resolve_medication(line, kb)
    assert (m.status, m.ingredients, m.rxnorm) == ("recognised", ("clopidogrel",), ("32968",))


def test_unknown_rxnorm_code_is_not_recognised_and_says_why(kb: KnowledgeBase) -> None:
    m = resolve_medication("RxNorm:999999999", kb)
    assert m.status == "not recognised" and not m.ingredients
    assert m.note is not None and "999999999" in m.note


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("clopidogrl", "clopidogrel"),
        ("clopidogrl 75 mg daily", "clopidogrel"),
        ("simvastatn 20 mg", "simvastatin"),
        ("paroxetin", "paroxetine"),
        ("warfarn 5 mg", "warfarin"),
        ("codiene 30 mg", "codeine"),
        ("amoxicilin", "amoxicillin"),
        ("metoprolo", "metoprolol"),
    ],
)
def test_typo_is_not_recognised_with_the_right_suggestion_first(
    kb: KnowledgeBase, typo: str, meant: str
) -> None:
    m = resolve_medication(typo, kb)
    assert m.status == "not recognised" and not m.ingredients
    assert m.suggestions[0] == meant, m.suggestions
    assert len(m.suggestions) <= 3


def test_misspelt_brand_suggests_the_brand_with_its_ingredient(kb: KnowledgeBase) -> None:
    assert resolve_medication("Plavx 75 mg", kb).suggestions[0] == "plavix (clopidogrel)"


@pytest.mark.parametrize(
    "line",
    [
        "daily",
        "water",
        "coffee",
        "sleep",
        "exercise 30 min",
        "twice a day",
        "with food",
        "morning walk",
        "blood pressure pill",
        "heart medicine",
        "as needed",
        "allergy",
        "unobtainium 5 mg",
    ],
)
def test_ordinary_words_get_no_wild_suggestions(kb: KnowledgeBase, line: str) -> None:
    m = resolve_medication(line, kb)
    assert m.status == "not recognised" and m.suggestions == ()


def test_ambiguous_brand_is_not_guessed(kb: KnowledgeBase) -> None:
    """PharmGKB lists Doxil under doxorubicin and almitrine: the resolver must not pick."""
    m = resolve_medication("Doxil 20 mg/m2", kb)
    assert m.status == "not recognised" and not m.ingredients
    assert "doxorubicin" in m.suggestions and m.note and "different drugs" in m.note


def test_edit_distance() -> None:
    assert osa_distance("clopidogrl", "clopidogrel") == 1
    assert osa_distance("codiene", "codeine") == 1  # a swap of neighbours is one edit
    assert osa_distance("abc", "xyz") == 3
    assert osa_distance("abcdef", "uvwxyz", limit=2) == 3  # stops early


# ----------------------------------------------------------------------- '#' rules
def test_comment_lines_start_with_hash_and_hash_inside_a_line_is_kept() -> None:
    text = "# current medications\n  # another comment\nTylenol #3 1 tab\n\nclopidogrel 75 mg\n"
    assert medication_lines(text) == [(3, "Tylenol #3 1 tab"), (5, "clopidogrel 75 mg")]
    assert clean_medications(["# note", " Tylenol #3 ", ""]) == ["Tylenol #3"]


def test_medication_file_keeps_tylenol_number_3(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "meds.txt"
    path.write_text("# from the GP letter\nTylenol #3 two at night\n", encoding="utf-8")
    (line,) = read_medication_list(path)
    assert line == "Tylenol #3 two at night"
    assert set(resolve_medication(line, kb).ingredients) == {"acetaminophen", "codeine"}


def test_medication_file_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "meds.txt"
    path.write_text("# c\nclopidogrel\nRxNorm:abc\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"meds\.txt, line 3: 'RxNorm:abc'"):
        read_medication_list(path)
