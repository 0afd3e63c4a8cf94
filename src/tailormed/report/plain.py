"""Plain-language wording for the patient view.

Guideline phenotypes ("Intermediate Metabolizer", "Poor Function", "-1639 AA") are
precise for clinicians and opaque to everyone else. These functions turn a gene result
or a drug status into one short sentence a patient can read, without adding any medical
claim beyond what the phenotype term itself says. Unknown terms fall back to quoting the
result and pointing to the prescriber: nothing is guessed.

>>> phenotype_meaning("CYP2C19", "Poor Metabolizer")
'Your body likely breaks down some medicines much more slowly than most people do.'
>>> is_notable("Normal Metabolizer"), is_notable("Poor Metabolizer"), is_notable("No Result")
(False, True, False)
"""

from __future__ import annotations

from tailormed.report.schema import DrugResult

UNDETERMINED = frozenset({"Indeterminate", "No Result", "n/a", ""})

# Results that are the usual (reference) result for the gene: nothing to tell a prescriber.
TYPICAL = frozenset(
    {
        "Normal Metabolizer",
        "Normal Function",
        "Normal",
        "-1639 GG",
        "Uncertain Susceptibility",
        "ivacaftor non-responsive in CF patients",
        "normal risk of aminoglycoside-induced hearing loss",
    }
)

_SPEED = {
    "poor metabolizer": "much more slowly than most people do",
    "intermediate metabolizer": "somewhat more slowly than most people do",
    "normal metabolizer": "at the usual rate",
    "rapid metabolizer": "somewhat faster than most people do",
    "ultrarapid metabolizer": "much faster than most people do",
}

_TRANSPORT = {
    "poor function": "much less well than usual",
    "decreased function": "less well than usual",
    "normal function": "as usual",
    "increased function": "better than usual",
}


def is_undetermined(phenotype: str | None) -> bool:
    return phenotype is None or phenotype in UNDETERMINED


def is_notable(phenotype: str | None) -> bool:
    """A determined result other than the usual one: worth telling a prescriber."""
    if is_undetermined(phenotype):
        return False
    assert phenotype is not None
    return phenotype not in TYPICAL and not phenotype.lower().endswith("negative")


def phenotype_meaning(gene: str, phenotype: str | None) -> str:
    """One sentence on what a gene result means, in everyday words."""
    if is_undetermined(phenotype):
        return f"This test could not determine your {gene} result."
    assert phenotype is not None
    low = phenotype.lower()
    possible = low.startswith("possible ")
    core = low.removeprefix("likely ").removeprefix("possible ")
    if core in _SPEED:
        verb = "may break down" if possible else "likely breaks down"
        return f"Your body {verb} some medicines {_SPEED[core]}."
    if core in _TRANSPORT:
        verb = "may work" if possible else "likely works"
        return (
            f"The {gene} transporter, a protein that moves some medicines around the body, "
            f"{verb} {_TRANSPORT[core]}."
        )
    if gene == "G6PD":
        if low.startswith("deficient"):
            return (
                "Your G6PD enzyme activity is likely low: some medicines can damage red "
                "blood cells."
            )
        if low == "variable":
            return "Your G6PD enzyme activity may be low in some of your cells."
        return "Your G6PD enzyme activity is likely normal."
    if low == "malignant hyperthermia susceptibility":
        return (
            "You likely have a higher risk of a rare, severe reaction to some anaesthetic "
            "gases and to succinylcholine (malignant hyperthermia)."
        )
    if low == "uncertain susceptibility":
        return "No known risk variant for reactions to some anaesthetics was found."
    if low.startswith("-1639"):
        if low.endswith("gg"):
            return "You likely respond to warfarin as most people do."
        return "You are likely more sensitive to warfarin than most people."
    if "hearing loss" in low:
        if low.startswith("increased"):
            return (
                "You likely have a higher risk of hearing loss from a group of antibiotics "
                "(aminoglycosides)."
            )
        return "Your risk of hearing loss from aminoglycoside antibiotics is not raised."
    if low.endswith("positive"):
        return (
            "You carry a gene type linked to a higher risk of a serious reaction to some medicines."
        )
    if low.endswith("negative"):
        return "You do not carry the tested gene type linked to serious medicine reactions."
    return f"Your {gene} result is “{phenotype}”. Ask your prescriber what this means for you."


def drug_meaning(drug: DrugResult) -> str:
    """What a drug's status means for the patient, in one or two sentences."""
    if drug.status == "actionable":
        actions = []
        if any(r.alternate_drug for r in drug.recommendations if r.actionable):
            actions.append("choose a different medicine")
        if any(r.dosing_information for r in drug.recommendations if r.actionable) or drug.doses:
            actions.append("change the dose")
        if not actions:
            actions.append("watch more closely how it works for you")
        text = (
            "Your genes may change how this medicine works for you. A prescriber may "
            + " or ".join(actions)
            + "."
        )
        if drug.on_medication_list:
            text += (
                " You take it now: do not stop it on your own, and talk to your prescriber soon."
            )
        return text
    if drug.status == "no change":
        return "Your genes do not call for a change: it can be prescribed as usual."
    if drug.status == "no result":
        return (
            "This test could not give an answer for this medicine, because a gene it "
            "depends on was not tested or its result was unclear."
        )
    return "There is no genetic prescribing guideline for this medicine yet."
