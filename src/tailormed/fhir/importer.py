"""Read gene calls back from a FHIR Bundle: ours, or another sender's Genomics Reporting one.

A Genotype is any Observation coded LOINC 84413-4 (or claiming the IG's ``genotype``
profile) that is not ``entered-in-error`` / ``cancelled``. From each:

* gene: the gene-studied component (LOINC 48018-6), by HGNC code (``HGNC:2621``, or the
  bare number) or else by the symbol in its display / text; failing a component, a gene
  symbol leading the value (``"CYP2C19*2/*2"``, ``"HLA-B*57:01/*08:01"``);
* diplotype: ``valueCodeableConcept`` text (else a coding's display, else its code) or
  ``valueString``, with or without the gene prefix: ``"CYP2C19 *1/*2"``, ``"*1/*2"``,
  ``"CYP2C19*1/CYP2C19*2"``; one allele for haploid calls; ties as ``"... or ..."``;
* no value but a ``dataAbsentReason``: a no-call;
* patient: the subject's Tailormed sample identifier, else the referenced Patient's
  identifier / id, else the last part of the reference. One bundle holds one patient.

Imported calls are outside calls (``source="outside"``, warning ``"imported from FHIR
bundle"``): Tailormed did not call them, and the phenotype stage interprets them afresh.
With ``with_phenotypes=True`` the sender's phenotype / activity score (a
TherapeuticImplication derived from that genotype alone) is kept as the outside call's
phenotype, as an outside-call TSV would give it. Problems raise :class:`InputError`
naming the entry (``entry[3]``, 0-based as in ``Bundle.entry``).

>>> sample, calls = import_bundle({"resourceType": "Bundle", "type": "collection", "entry": [
...     {"resource": {"resourceType": "Observation", "status": "final",
...      "code": {"coding": [{"system": "http://loinc.org", "code": "84413-4"}]},
...      "subject": {"reference": "Patient/p1"},
...      "valueCodeableConcept": {"text": "CYP2C19 *2/*1"}}}]})
>>> sample, calls[0].gene, calls[0].diplotype, calls[0].source
('p1', 'CYP2C19', '*1/*2', 'outside')
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.errors import InputError
from tailormed.fhir import codes as C
from tailormed.fhir.hgnc import HGNC_IDS, gene_for_hgnc, known_gene
from tailormed.fhir.resources import ACTIVITY_SCORE_TEXT
from tailormed.jsonsafe import json_problem

IMPORT_WARNING = "imported from FHIR bundle"
_SKIPPED = {"entered-in-error", "cancelled"}
_SETTLED_STATUS = {"final", "amended", "corrected"}
# Older IG builds (before 3.0.0) carried the metabolizer phenotype in this component.
_EFFECT_MEDICATION_METABOLISM = "53040-2"
_TIES = re.compile(r"\s+or\s+")
# Values some senders give as the genotype of a no-call instead of leaving the value out.
_NO_CALL_WORDS = {"no call", "no-call", "nocall", "indeterminate", "unknown", "not determined"}
# Longest first, so "CYP2C19" is tried before "CYP2C1..." style prefixes.
_SYMBOLS = sorted(HGNC_IDS, key=len, reverse=True)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _has_code(concept: Any, system: str, code: str) -> bool:
    return any(
        _dict(c).get("system") == system and _dict(c).get("code") == code
        for c in _list(_dict(concept).get("coding"))
    )


def _is_genotype(res: dict[str, Any]) -> bool:
    if res.get("resourceType") != "Observation":
        return False
    profiles = _list(_dict(res.get("meta")).get("profile"))
    return _has_code(res.get("code"), C.LOINC, C.GENOTYPE_CODE) or C.PROFILE_GENOTYPE in profiles


def _is_implication(res: dict[str, Any]) -> bool:
    return res.get("resourceType") == "Observation" and (
        _has_code(res.get("code"), C.TBD_CODES, C.THERAPEUTIC_IMPLICATION)
        or C.PROFILE_THERAPEUTIC_IMPLICATION in _list(_dict(res.get("meta")).get("profile"))
    )


def _load(data: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(data, str):
        problem = json_problem(data.encode("utf-8", "surrogatepass"))
        if problem is not None:
            raise InputError(f"{problem[0]} (line {problem[1]})")
        try:
            data = json.loads(data)
        except json.JSONDecodeError as err:
            raise InputError(f"not JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(data, dict):
        raise InputError("not a FHIR Bundle: expected a JSON object")
    kind = data.get("resourceType")
    if kind != "Bundle":
        raise InputError(f"not a FHIR Bundle: resourceType is {kind!r}")
    return data


# ------------------------------------------------------------------ gene
def _gene_from_concept(value: Any, where: str) -> str:
    concept = _dict(value)
    names: list[str] = []
    for c in map(_dict, _list(concept.get("coding"))):
        code, display = _text(c.get("code")), _text(c.get("display"))
        system = str(c.get("system") or "")
        if code and ("genenames.org" in system or code.upper().startswith("HGNC:")):
            gene = gene_for_hgnc(code)
            if gene is None:
                label = f" ({display})" if display else ""
                raise InputError(f"unknown gene {code}{label}", record=where)
            named = known_gene(display) if display else None
            if named is not None and named != gene:
                raise InputError(f"{code} is {gene}, but its display says {display}", record=where)
            return gene
        names += [n for n in (display, code) if n]
    if text := _text(concept.get("text")):
        names.append(text)
    if not names:
        raise InputError("gene-studied component (LOINC 48018-6) has no value", record=where)
    for name in names:
        if gene := known_gene(name.removeprefix("HGNC:")):
            return gene
    raise InputError(f"unknown gene {names[0]!r}", record=where)


def _gene_prefix(text: str) -> str | None:
    upper = text.upper()
    for symbol in _SYMBOLS:
        if upper.startswith(symbol) and upper[len(symbol) : len(symbol) + 1] in ("", " ", "*"):
            return symbol
    return None


def _gene(obs: dict[str, Any], value: str | None, where: str) -> str:
    found: str | None = None
    for comp in map(_dict, _list(obs.get("component"))):
        if not _has_code(comp.get("code"), C.LOINC, C.GENE_STUDIED_CODE):
            continue
        gene = _gene_from_concept(comp.get("valueCodeableConcept"), where)
        if found is not None and gene != found:
            raise InputError(f"genotype names two genes ({found}, {gene})", record=where)
        found = gene
    named = _gene_prefix(value) if value is not None else None
    if found is not None and named is not None and named != found:
        raise InputError(
            f"gene-studied component says {found}, but the value {value!r} names {named}",
            record=where,
        )
    found = found or named
    if found is None:
        raise InputError(
            "genotype observation names no gene: no gene-studied component (LOINC 48018-6) "
            "and no known gene symbol leading its value",
            record=where,
        )
    return found


# ------------------------------------------------------------------ diplotype
def _value_text(obs: dict[str, Any]) -> str | None:
    concept = obs.get("valueCodeableConcept")
    if isinstance(concept, dict):
        if text := _text(concept.get("text")):
            return text
        for c in map(_dict, _list(concept.get("coding"))):
            if text := _text(c.get("display")) or _text(c.get("code")):
                return text
    return _text(obs.get("valueString"))


def _strip_gene(text: str, gene: str) -> str:
    """``"CYP2C19 *1"`` / ``"CYP2C19*1"`` / ``"B*57:01"`` (HLA-B) → the allele name."""
    short = gene.rsplit("-", 1)[-1]
    for prefix, follow in ((gene, (" ", "*")), (short, ("*",))):
        head, rest = text[: len(prefix)], text[len(prefix) :]
        if head.upper() == prefix.upper() and rest[:1] in follow:
            return rest.strip()
    return text


def parse_diplotypes(text: str, gene: str, where: str = "") -> tuple[Diplotype, ...]:
    """``"CYP2C9 *2/*1 or *3/*1"`` → ``(Diplotype(*1, *2), Diplotype(*1, *3))``; ``()`` for
    a no-call spelled out (``"CYP2C9 no call"``, ``"Indeterminate"``).

    >>> [d.text for d in parse_diplotypes("HLA-B*57:01/HLA-B*08:01", "HLA-B")]
    ['*08:01/*57:01']
    """
    body = _strip_gene(text.strip(), gene)
    if body.lower() in _NO_CALL_WORDS:
        return ()
    out = []
    for alternative in _TIES.split(body):
        parts = [_strip_gene(p.strip(), gene) for p in alternative.split("/")]
        if len(parts) > 2:
            raise InputError(f"{gene} diplotype {text!r} has more than two alleles", record=where)
        if not all(parts):
            raise InputError(f"{gene} diplotype {text!r} has an empty allele", record=where)
        out.append(Diplotype.of(*parts))
    return tuple(dict.fromkeys(out))


# ------------------------------------------------------------------ subject
def _subject(obs: dict[str, Any], by_ref: dict[str, dict[str, Any]], where: str) -> str:
    subject = obs.get("subject")
    if not isinstance(subject, dict):
        raise InputError("genotype observation has no subject (patient)", record=where)
    ident = _dict(subject.get("identifier"))
    if ident.get("system") == C.SAMPLE_ID_SYSTEM and (value := _text(ident.get("value"))):
        return value
    if ref := _text(subject.get("reference")):
        ref = ref.split("/_history/", 1)[0]
        target = by_ref.get(ref)
        if target is not None and target.get("resourceType") == "Patient":
            ids = [_dict(i) for i in _list(target.get("identifier"))]
            ours = [i for i in ids if i.get("system") == C.SAMPLE_ID_SYSTEM]
            for i in ours + ids:
                if value := _text(i.get("value")):
                    return value
            if value := _text(target.get("id")):
                return value
        return ref.removeprefix("urn:uuid:").rstrip("/").rsplit("/", 1)[-1]
    if value := _text(ident.get("value")):
        return value
    raise InputError("genotype subject has neither a reference nor an identifier", record=where)


# ------------------------------------------------------------------ phenotype
def _implication_values(res: dict[str, Any], gene: str) -> tuple[str | None, str | None, bool]:
    """(phenotype, activity score, names a medication) of a TherapeuticImplication."""
    phenotype = score = None
    medication = False
    for comp in map(_dict, _list(res.get("component"))):
        code = comp.get("code")
        if _has_code(code, C.LOINC, C.MEDICATION_ASSESSED_CODE):
            medication = True
        elif _has_code(code, C.TBD_CODES, C.THERAPEUTIC_IMPLICATION) or _has_code(
            code, C.LOINC, _EFFECT_MEDICATION_METABOLISM
        ):
            concept = _dict(comp.get("valueCodeableConcept"))
            text = _text(concept.get("text")) or next(
                (t for c in _list(concept.get("coding")) if (t := _text(_dict(c).get("display")))),
                None,
            )
            if text and phenotype is None:
                phenotype = _strip_gene(text, gene)
        elif _text(_dict(code).get("text")) == ACTIVITY_SCORE_TEXT:
            score = _text(comp.get("valueString"))
    return phenotype, score, medication


def _phenotype(
    refs: set[str], gene: str, implications: list[dict[str, Any]]
) -> tuple[str | None, str | None]:
    """The sender's phenotype for one genotype: a medication-free implication derived from
    it alone, else the one phenotype all its drug implications agree on."""
    general: list[tuple[str | None, str | None]] = []
    per_drug: set[str] = set()
    for res in implications:
        derived = {_text(_dict(d).get("reference")) for d in _list(res.get("derivedFrom"))}
        if not derived or not derived <= refs:
            continue
        phenotype, score, medication = _implication_values(res, gene)
        if medication:
            if phenotype:
                per_drug.add(phenotype)
        elif phenotype or score:
            general.append((phenotype, score))
    if general:
        return general[0]
    if len(per_drug) == 1:
        return per_drug.pop(), None
    return None, None


# ------------------------------------------------------------------ public
Entry = tuple[int, dict[str, Any], str | None]  # index in Bundle.entry, resource, fullUrl


def _index(bundle: dict[str, Any]) -> tuple[list[Entry], dict[str, dict[str, Any]]]:
    """The entries that hold a resource, and every resource by fullUrl and Type/id."""
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError("Bundle.entry is not a list")
    found: list[Entry] = []
    by_ref: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InputError("entry is not a JSON object", record=f"entry[{i}]")
        res = entry.get("resource")
        if res is None:
            continue
        if not isinstance(res, dict) or not _text(res.get("resourceType")):
            raise InputError("resource has no resourceType", record=f"entry[{i}]")
        full = _text(entry.get("fullUrl"))
        found.append((i, res, full))
        if full:
            by_ref[full] = res
        if rid := _text(res.get("id")):
            by_ref[f"{res['resourceType']}/{rid}"] = res
    return found, by_ref


def _call(
    entry: Entry, patient: str, implications: list[dict[str, Any]], with_phenotypes: bool
) -> GeneCall:
    i, obs, full = entry
    where = f"entry[{i}]"
    value = _value_text(obs)
    gene = _gene(obs, value, where)
    warnings = [IMPORT_WARNING]
    status = obs.get("status")
    if status not in _SETTLED_STATUS:
        warnings.append(f"{gene} genotype has status {status!r} in the FHIR bundle")
    if value is not None:
        diplotypes = parse_diplotypes(value, gene, where)
        if not diplotypes:
            warnings.append(f"no call in the FHIR bundle: {value}")
    elif (absent := obs.get("dataAbsentReason")) is not None:
        diplotypes = ()
        why = _text(_dict(absent).get("text")) or "no reason given"
        warnings.append(f"no call in the FHIR bundle: {why}")
    else:
        raise InputError(
            f"{gene} genotype observation has neither a value nor a dataAbsentReason",
            record=where,
        )
    phenotype = score = None
    if with_phenotypes:
        refs = {full} if full else set()
        if rid := _text(obs.get("id")):
            refs.add(f"Observation/{rid}")
        phenotype, score = _phenotype(refs, gene, implications)
    return GeneCall(
        sample=patient,
        gene=gene,
        diplotypes=diplotypes,
        phased=False,
        warnings=tuple(warnings),
        source="outside",
        phenotype=phenotype,
        activity_score=score,
    )


def import_bundle(
    data: dict[str, Any] | str, *, with_phenotypes: bool = False
) -> tuple[str, list[GeneCall]]:
    """The patient / sample id and the gene calls of a Bundle (JSON text or parsed).

    Raises :class:`InputError` for anything but a Bundle, a Bundle without Genotype
    observations, an unknown gene, a genotype without value or subject, a second genotype
    for a gene, or genotypes of different patients; the message names the entry.
    """
    entries, by_ref = _index(_load(data))
    genotypes = [e for e in entries if _is_genotype(e[1]) and e[1].get("status") not in _SKIPPED]
    if not genotypes:
        raise InputError(
            f"the bundle holds no genotype observation (LOINC {C.GENOTYPE_CODE}) "
            f"among its {len(entries)} resources"
        )
    implications = [res for _, res, _ in entries if _is_implication(res)]
    first = genotypes[0]
    sample = _subject(first[1], by_ref, f"entry[{first[0]}]")
    seen: dict[str, int] = {}
    calls: list[GeneCall] = []
    for entry in genotypes:
        i, obs, _ = entry
        where = f"entry[{i}]"
        patient = _subject(obs, by_ref, where)
        if patient != sample:
            raise InputError(
                f"subject {patient!r} differs from {sample!r} (entry[{first[0]}]): "
                "a bundle must hold one patient",
                record=where,
            )
        call = _call(entry, patient, implications, with_phenotypes)
        if call.gene in seen:
            raise InputError(
                f"second genotype for {call.gene} (first at entry[{seen[call.gene]}])",
                record=where,
            )
        seen[call.gene] = i
        calls.append(call)
    return sample, calls


def read_bundle(path: str | Path, *, with_phenotypes: bool = False) -> tuple[str, list[GeneCall]]:
    """:func:`import_bundle` for a JSON file; errors name the file and the entry."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("FHIR bundle file does not exist", path=p) from None
    except UnicodeDecodeError:
        raise InputError("FHIR bundle file is not UTF-8 text", path=p) from None
    try:
        return import_bundle(text, with_phenotypes=with_phenotypes)
    except InputError as err:
        raise InputError(err.problem, path=p, record=err.record) from None
