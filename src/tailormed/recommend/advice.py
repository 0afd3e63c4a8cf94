"""What a guideline recommendation asks the prescriber: change, prescribe as usual, or nothing.

The knowledge base carries recommendation *text* and three ClinPGx flags
(``alternate_drug``, ``dosing_information``, ``other_guidance``) but no "actionable" field,
so Tailormed reads the text. The rule, applied to the *main text* (everything before an
"Other Considerations" heading, which holds background, not the recommendation):

1. **Informational** (neither actionable nor a "prescribe as usual"): the main text is a
   bare "No recommendation", "n/a", says the guideline "does not provide a
   recommendation", or is CPIC's note that "xN is not a valid input". Such a
   recommendation changes nothing; for a determinate genotype the drug is reported as
   "no change", for an indeterminate or missing one as "no result" (see :mod:`.status`).
2. **Actionable** when a sentence asks for a change: avoid / do not use / not recommended /
   contraindicated; an alternative drug; a dose change (reduce, decrease, lower, increase,
   higher, a percentage or multiple of the dose, a fixed cap such as "≤20 mg", "drastically
   reduced", "10-fold", a titration target); "consider" (the guideline's own word for an
   optional change); extra monitoring or testing asked for by the text ("be alert",
   "monitor", "enzyme activity must be measured", "determine the residual DPD activity",
   "phenotyping").
3. **Standard** ("no change") when the first sentence says to prescribe as usual —
   "standard dose/dosing", "label-recommended", "recommended starting dose", "normal
   starting dose", "desired starting dose", "no reason to avoid", "no action is required",
   "no indication to change", "no adjustments needed" — and no *later unconditional*
   sentence asks for a change. Follow-up sentences that start with "If" ("If no response
   ..., consider a non-tramadol opioid") describe what to do later and do not make a
   standard recommendation actionable.
4. Otherwise the ClinPGx flags decide: ``alternate_drug`` or ``dosing_information`` →
   actionable, else informational.
Rule 3's exception is what keeps "Use codeine label recommended age- or weight-specific
dosing. If no response and opioid use is warranted, consider a non-tramadol opioid." (CPIC,
CYP2D6 normal metabolizer) a "no change", while "Initiate therapy with recommended starting
dose. Consider a slower titration schedule and lower maintenance dose." is actionable. The
tests check the rule on the KB's own texts (CPIC clopidogrel, codeine, abacavir, DPYD...).

>>> classify("Avoid clopidogrel if possible. Use prasugrel or ticagrelor at standard dose.")
'change'
>>> classify("If considering clopidogrel, use at standard dose (75 mg/day)")
'standard'
>>> classify("The guideline does not provide a recommendation for warfarin in normal metabolizers.")
'none'
"""

from __future__ import annotations

import re
from typing import Literal

from tailormed.knowledge.models import Recommendation

Advice = Literal["change", "standard", "none"]

_OTHER = re.compile(r"^\s*other considerations\s*$", re.IGNORECASE | re.MULTILINE)

_INFORMATIONAL = re.compile(
    r"^\s*(no recommendation\b|n/a\s*$)|does not provide a recommendation|"
    r"xN is not a valid input",
    re.IGNORECASE,
)

_DOSE = r"(dose|doses|dosage|dosing)"
_ACTION = re.compile(
    r"\bavoid|\bdo not (use|prescribe|administer|exceed|give|select|start)\b|"
    r"\bnot recommended\b|contra-?indicat|\balternative\b|"
    rf"\b(increas|decreas|reduc|lower|higher|doubl)\w*(\W+\w+){{0,4}}?\W+{_DOSE}\b|"
    rf"\b{_DOSE}(\W+\w+){{0,2}}?\W+(reduction|increase|decrease)|\breduce (starting|daily)|"
    r"\d+(\.\d+)?\s*(%|percent)|\btimes the\b|\d(\.\d+)?x higher|≤\s*\d|<\s*\d+\s*mg|"
    r"\bno more than\b|\bfold\b|\bhalf of\b|\blowest recommended\b|\bconsider\b|"
    r"\bselect an?\b|\bchoose\b|\bbe (extra )?alert|\bweigh the risk|"
    r"\bmonitor(ing)? (the plasma|plasma|for |closely|the patient|the effect|efficacy)|"
    r"\bclose monitoring\b|\bmust be measured\b|\bdetermine the residual\b|\bphenotyping\b|"
    r"\bcaution|\bslower titration\b|\bevaluat(e|ing) tpmt\b",
    re.IGNORECASE,
)

_STANDARD = re.compile(
    r"standard (starting )?(daily )?dos(e|es|ing)|standard starting daily dose|"
    r"standard recommended dose|label[- ]recommended|"
    r"recommended (age- or weight-specific )?(starting )?dos(e|ing)|"
    r"normal starting dose|desired starting dose|per standard|no (need|reason) to avoid|"
    r"no action is required|no indication to change|no adjustments? (is |are )?needed|"
    r"as directed|standard dosing guidelines|typical (initial|dosing)|standard of care dosing|"
    r"according to the product label|no action (is )?(needed|recommended|required)|"
    r"^initiate with a dose of [^.]*? and increase to [^.]*? after \d+ days",
    re.IGNORECASE,
)

# Phrases that contain an action word but say the opposite.
_NEUTRAL = re.compile(r"no (need|reason) to avoid", re.IGNORECASE)

_SENTENCE = re.compile(r"(?<=[.;:])\s+|\n+")


def main_text(text: str) -> str:
    """The recommendation proper: ``text`` before an "Other Considerations" heading."""
    m = _OTHER.search(text)
    return (text[: m.start()] if m else text).strip()


_ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "approx.")


def sentences(text: str) -> list[str]:
    """``text`` split after ``.``, ``;`` or ``:`` and at line breaks (not after "e.g.")."""
    protected = text
    for i, abbr in enumerate(_ABBREVIATIONS):
        protected = re.sub(re.escape(abbr), f"\x00{i}\x00", protected, flags=re.IGNORECASE)
    parts = [s.strip() for s in _SENTENCE.split(protected) if s.strip()]
    restored = []
    for part in parts:
        for i, abbr in enumerate(_ABBREVIATIONS):
            part = part.replace(f"\x00{i}\x00", abbr)
        restored.append(part)
    return restored


def asks_change(sentence: str) -> bool:
    """Whether one sentence asks for a change (rule 2)."""
    return bool(_ACTION.search(_NEUTRAL.sub("", sentence)))


def key_sentence(text: str) -> str:
    """The sentence of the main text that asks for a change (else the first), with the
    heading it sits under when there is one ("For PAIN: Be alert to ...")."""
    parts = sentences(main_text(text))
    if not parts:
        return text.strip()
    index = next((i for i, s in enumerate(parts) if asks_change(s)), 0)
    sentence = parts[index]
    heading = next((p for p in reversed(parts[:index]) if p.endswith(":") and len(p) <= 60), None)
    return f"{heading} {sentence}" if heading and not sentence.endswith(":") else sentence


def classify(
    text: str, *, alternate_drug: bool = False, dosing_information: bool = False
) -> Advice:
    """``"change"``, ``"standard"`` or ``"none"`` for one recommendation (rule above)."""
    body = main_text(text)
    if not body or _INFORMATIONAL.search(body):
        return "none"
    parts = sentences(body)
    first, rest = parts[0], parts[1:]
    if _STANDARD.search(first) and not asks_change(first):
        later = [s for s in rest if not s.lower().startswith("if ")]
        return "change" if any(asks_change(s) for s in later) else "standard"
    if any(asks_change(s) for s in parts):
        return "change"
    if any(_STANDARD.search(s) for s in parts):
        return "standard"
    return "change" if alternate_drug or dosing_information else "none"


def is_actionable(
    text: str, *, alternate_drug: bool = False, dosing_information: bool = False
) -> bool:
    return (
        classify(text, alternate_drug=alternate_drug, dosing_information=dosing_information)
        == "change"
    )


def advise(rec: Recommendation) -> Advice:
    """The rule above applied to a knowledge-base recommendation (text and flags)."""
    return classify(
        rec.text, alternate_drug=rec.alternate_drug, dosing_information=rec.dosing_information
    )
