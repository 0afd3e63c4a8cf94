"""Germline pharmacogenomics beside the tumour's therapy options.

The patient's PGx comes from GERMLINE data only: a germline VCF (``--germline-vcf``)
and/or an outside-call TSV (``--germline-outside``), run through the existing stages
(:func:`tailormed.calling.call_files`, :func:`tailormed.recommend.build_interpretation`
with :func:`tailormed.knowledge.load_kb`). The tumour VCF is never read here: somatic
loss of heterozygosity or tumour-only variants would give a wrong germline answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tailormed.errors import InputError
from tailormed.oncology.models import EligibilityCheck, PgxResult, TherapyOption, TumorReport


@dataclass(frozen=True, slots=True)
class GermlinePgx:
    """One patient's germline interpretation (from the PGx stages) and HLA-A alleles."""

    sample: str
    kb_version: str
    interpretation: Any  # tailormed.recommend.Interpretation
    hla_a: tuple[str, ...]  # e.g. ("*02:01", "*03:01"); empty when not typed
    sources: tuple[str, ...]


def germline_pgx(
    vcf: Path | None, outside: Path | None, sample: str | None = None
) -> GermlinePgx | None:
    """Call and interpret the germline inputs (None when neither is given)."""
    if vcf is None and outside is None:
        return None
    from tailormed.calling import CallOptions, call_files
    from tailormed.calling.output import merge_outside
    from tailormed.calling.outside import read_outside_calls, to_gene_call
    from tailormed.knowledge import load_kb
    from tailormed.recommend import build_interpretation

    kb = load_kb()
    outside_calls = read_outside_calls(outside, kb) if outside else []
    if vcf is not None:
        callset = call_files([vcf], kb, CallOptions(samples=(sample,) if sample else None))
        if len(callset.samples) != 1:
            raise InputError(
                f"the germline VCF holds {len(callset.samples)} samples "
                f"({', '.join(callset.samples[:5])}...): name one with --germline-sample",
                path=vcf,
            )
        if outside_calls and outside:
            callset = merge_outside(callset, outside_calls, outside)
        who = callset.samples[0]
        calls = callset.for_sample(who)
    else:
        assert outside is not None
        who = sample or next((c.sample for c in outside_calls if c.sample), None) or "patient"
        calls = [to_gene_call(c, who, kb.version, outside) for c in outside_calls]
    interpretation = build_interpretation(calls, kb)
    hla = hla_a_of(calls)
    used = tuple(str(p) for p in (vcf, outside) if p is not None)
    return GermlinePgx(who, kb.version, interpretation, hla, used)


def hla_a_of(calls: Sequence[Any]) -> tuple[str, ...]:
    """The HLA-A alleles of a germline call set (empty when HLA-A was not typed)."""
    for call in calls:
        if call.gene == "HLA-A" and call.called:
            return tuple(call.diplotypes[0].text.replace(" ", "").split("/"))
    return ()


def germline_of(interpretation: Any, source: str) -> GermlinePgx:
    """A :class:`GermlinePgx` from an interpretation already made by the PGx stages (the
    record's germline results, for the service): nothing is called again."""
    return GermlinePgx(
        interpretation.sample,
        interpretation.kb_version,
        interpretation,
        hla_a_of(interpretation.calls),
        (source,),
    )


def with_germline(report: TumorReport, germline: GermlinePgx, kb: Any) -> TumorReport:
    """``report`` with every therapy's PGx and the eligibility checks made again from
    ``germline`` (a stored tumour profile read beside the record's germline results)."""
    from dataclasses import replace

    links = kb.payload["pgx_links"]
    return replace(
        report,
        therapies=with_pgx(report.therapies, links, germline),
        eligibility=eligibility_checks(
            kb.payload["eligibility"], report.tumour_type, kb.is_within, germline
        ),
        pgx_version=germline.kb_version,
    )


def _phenotypes(interpretation: Any, genes: Sequence[str]) -> tuple[tuple[str, str], ...]:
    found = {p.gene: f"{p.diplotype}: {p.phenotype}" for p in interpretation.phenotypes}
    return tuple((g, found.get(g, "not called")) for g in genes)


def known_pgx_drugs(germline: GermlinePgx | None) -> dict[str, tuple[str, ...]]:
    """Drug → genes of every drug the PGx knowledge base covers (the germline
    interpretation's drug list when there is one, else the bundled PGx knowledge base)."""
    if germline is not None:
        return {d.drug.lower(): tuple(d.genes) for d in germline.interpretation.drugs}
    from tailormed.knowledge import load_kb

    return {d.name.lower(): tuple(d.genes) for d in load_kb().drugs}


def _link(
    part: str, links: Sequence[Mapping[str, Any]], known: Mapping[str, tuple[str, ...]]
) -> Mapping[str, Any] | None:
    """The curated link of a therapy (oncology bundle), else one derived from the PGx
    knowledge base when it covers the drug (an NSAID or interferon in a regimen)."""
    link = next((lk for lk in links if lk["therapy"] == part), None)
    if link is not None or part not in known or not known[part]:
        return link
    return {
        "therapy": part,
        "genes": list(known[part]),
        "kb_drug": part,
        "label_warning": [],
        "note": "the PGx knowledge base covers this drug; no guideline applies to it",
    }


def pgx_for(
    drug: str,
    links: Sequence[Mapping[str, Any]],
    germline: GermlinePgx | None,
    known: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[PgxResult, ...]:
    """The PGx results for each component of a regimen that the PGx knowledge covers.

    ``known`` (drug → genes, :func:`known_pgx_drugs`) extends the curated links to every
    drug of the PGx knowledge base; without it only the curated links are used.
    """
    out: list[PgxResult] = []
    for part in drug.split(" + "):
        link = _link(part, links, known or {})
        if link is None:
            continue
        genes = tuple(link["genes"])
        if germline is None:
            out.append(
                PgxResult(
                    part,
                    genes,
                    "not tested",
                    (),
                    (),
                    None,
                    "",
                    "no germline data given (--germline-vcf / --germline-outside)",
                )
            )
            continue
        interp = germline.interpretation
        phenos = _phenotypes(interp, genes)
        kb_drug = link["kb_drug"]
        report = next((d for d in interp.drugs if d.drug == kb_drug), None) if kb_drug else None
        if report is None:
            warned = _label_warning(interp, link.get("label_warning", ()))
            if warned:
                out.append(
                    PgxResult(
                        part,
                        genes,
                        "label warning",
                        phenos,
                        (link["note"],),
                        None,
                        f"PGx knowledge base {germline.kb_version}; drug label",
                        f"the label's warning applies to {warned}",
                    )
                )
                continue
            out.append(
                PgxResult(
                    part,
                    genes,
                    "no guideline",
                    phenos,
                    (),
                    None,
                    f"PGx knowledge base {germline.kb_version}",
                    link["note"],
                )
            )
            continue
        recs = tuple(f"{r.source}: {r.text}" for r in report.recommendations)
        dose = "; ".join(d.text for d in report.doses) or None
        out.append(
            PgxResult(
                part,
                genes,
                report.status,
                phenos,
                recs,
                dose,
                f"PGx knowledge base {germline.kb_version}",
                report.reason,
            )
        )
    return tuple(out)


def _label_warning(interpretation: Any, pairs: Sequence[str]) -> str | None:
    """The first ``GENE:diplotype`` of ``pairs`` the patient carries (either allele order)."""
    found = {p.gene: p.diplotype.replace(" ", "") for p in interpretation.phenotypes}
    for pair in pairs:
        gene, _, diplotype = pair.partition(":")
        have = found.get(gene)
        if have is None:
            continue
        if sorted(have.split("/")) == sorted(diplotype.split("/")):
            return f"{gene} {have}"
    return None


def with_pgx(
    therapies: Sequence[TherapyOption],
    links: Sequence[Mapping[str, Any]],
    germline: GermlinePgx | None,
) -> tuple[TherapyOption, ...]:
    from dataclasses import replace

    known = known_pgx_drugs(germline) if therapies else {}
    return tuple(replace(t, pgx=pgx_for(t.drug, links, germline, known)) for t in therapies)


def _two_field(allele: str) -> str:
    text = allele.strip().removeprefix("HLA-").removeprefix("A")
    text = text if text.startswith("*") else "*" + text
    fields = text[1:].rstrip("PGNLSQ").split(":")
    return "*" + ":".join(fields[:2])


def eligibility_checks(
    rules: Sequence[Mapping[str, Any]],
    tumour: str,
    within: Any,
    germline: GermlinePgx | None,
) -> tuple[EligibilityCheck, ...]:
    """Eligibility checks for marker-restricted cell/gene therapies of this tumour type.

    ``within(code, ancestor)`` tells whether the patient's type falls under a rule's type.
    HLA-A alleles are compared by their first two fields (a label's P group is named by
    its two-field allele; other members of a P group are not recognised and read as not
    met, with a note to check them).
    """
    out: list[EligibilityCheck] = []
    for rule in rules:
        if not any(within(tumour, code) for code in rule["oncotree"]):
            continue
        needed = {"*" + a.split("*", 1)[1] for a in rule["hla_a"]}
        alleles = germline.hla_a if germline else ()
        if not alleles:
            result = "HLA-A not typed: give HLA-A as an outside call to check"
        elif any(_two_field(a) in needed for a in alleles):
            result = "HLA requirement met (other requirements not checked)"
        else:
            result = (
                "HLA requirement not met by the typed alleles (a P-group member with a "
                "different two-field name would need checking)"
            )
        out.append(
            EligibilityCheck(
                drug=rule["drug"],
                tumour_type=tumour,
                requirement="HLA-A " + " or ".join(rule["hla_a"]),
                hla_a=alleles,
                result=result,
                other_requirements=rule["other"],
                label=rule["label"],
                verified_by=rule["verified_by"],
            )
        )
    return tuple(out)


def pgx_text(results: Sequence[PgxResult]) -> str:
    """The germline PGx beside a therapy, one clause per PGx-linked component.

    >>> pgx_text(())
    'no PGx link'
    """
    if not results:
        return "no PGx link"
    parts = []
    for p in results:
        phenos = "; ".join(f"{g} {ph}" for g, ph in p.phenotypes)
        text = f"{p.drug}: {'/'.join(p.genes)} {p.status}"
        if phenos:
            text += f" ({phenos})"
        if p.status in ("not tested", "no guideline") and p.note:
            text += f" - {p.note}"
        parts.append(text)
    return " | ".join(parts)


def pgx_dose(results: Sequence[PgxResult]) -> str | None:
    """The computed dose or, failing one, the guideline's advice (first sentence of each)."""
    doses = [f"{p.drug}: {p.dose}" for p in results if p.dose]
    if doses:
        return " | ".join(doses)
    advice = [
        f"{p.drug}: {p.recommendations[0]}"
        for p in results
        if p.recommendations and p.status in ("actionable", "label warning")
    ]
    return " | ".join(advice) or None
