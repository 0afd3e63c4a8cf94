"""Rare-disease rankings as shared :class:`~tailormed.findings.Finding` objects.

One differential-diagnosis finding per top candidate (gene–disease pair), coded with the
disease (OMIM / Orphanet), the gene (HGNC symbol) and the matched HPO terms, with the
variants behind it when a VCF was given. Pure function of the ranking: the report, FHIR,
record and CDS layers render these without knowing this package.
"""

from __future__ import annotations

from tailormed.fhir.hgnc import hgnc_id
from tailormed.findings import Coding, Evidence, Finding, Source
from tailormed.findings.models import Severity
from tailormed.knowledge.rare import HPO_CITATION
from tailormed.rare.models import Candidate, Ranking, Variant

HPO_SYSTEM = "http://human-phenotype-ontology.org"  # as HL7 terminology names HPO
HGNC_SYSTEM = "http://www.genenames.org"  # code "HGNC:<n>", as the Genomics Reporting IG
# a gene symbol without an HGNC id in Tailormed's table (never sent as an HGNC code)
GENE_SYMBOL_SYSTEM = "https://tailormed.org/fhir/CodeSystem/gene-symbol"
DISEASE_SYSTEMS = {"OMIM": "https://omim.org", "ORPHA": "https://www.orpha.net"}
LOINC = "http://loinc.org"
HGVS_SYSTEM = "http://varnomen.hgvs.org"
# a GRCh38 VCF record "chrom:pos:ref:alt" (Tailormed's own identifier system)
VARIANT_SYSTEM = "https://tailormed.org/fhir/grch38-vcf-record"
ALLELIC_STATES = {  # LOINC answers of 53034-5 "Allelic state"
    "heterozygous": ("LA6706-1", "Heterozygous"),
    "homozygous": ("LA6705-3", "Homozygous"),
    "hemizygous": ("LA6707-9", "Hemizygous"),
}


def gene_coding(symbol: str) -> Coding:
    """The HGNC id when Tailormed's table has it, else the symbol in Tailormed's own system."""
    hid = hgnc_id(symbol)
    return Coding(HGNC_SYSTEM, hid, symbol) if hid else Coding(GENE_SYMBOL_SYSTEM, symbol, symbol)


def _disease_coding(c: Candidate) -> Coding:
    """OMIM and Orphanet codes are the numbers (``OMIM:301310`` → ``301310``)."""
    db, _, number = c.disease_id.partition(":")
    if db in DISEASE_SYSTEMS and number:
        return Coding(DISEASE_SYSTEMS[db], number, c.disease_name)
    return Coding(db, c.disease_id, c.disease_name)


def variant_evidence(v: Variant) -> Evidence:
    """A variant behind a candidate: the label a clinician reads, and codings a FHIR export
    reads back: the gene, the GRCh38 VCF record (:data:`VARIANT_SYSTEM`), the allelic state
    (LOINC answer of 53034-5) and the HGVS expression when annotated."""
    label = f"{v.gene} {v.label} {v.consequence} {v.zygosity}" + (f" {v.hgvs}" if v.hgvs else "")
    if v.allele_frequency is not None:
        label += f"; gnomAD AF {v.allele_frequency:g}"
    if v.clinvar:
        label += f"; ClinVar {v.clinvar}"
    codes = [gene_coding(v.gene), Coding(VARIANT_SYSTEM, v.label, v.zygosity)]
    state = ALLELIC_STATES.get(v.zygosity)
    if state:
        codes.append(Coding(LOINC, state[0], state[1]))
    if v.hgvs:
        codes.append(Coding(HGVS_SYSTEM, v.hgvs))
    return Evidence(
        kind="variant",
        label=label,
        value=v.pathogenicity,
        unit="pathogenicity (0-1)",
        codes=tuple(codes),
    )


def _severity(c: Candidate) -> Severity:
    if c.rank <= 1 and c.genotype is not None and c.genotype.compatible:
        return "high"
    return "moderate" if c.rank <= 1 else "low"


def to_findings(ranking: Ranking, top: int = 5, subject: str | None = None) -> list[Finding]:
    """A differential-diagnosis finding per candidate ranked ``top`` or better (ties kept).

    ``subject`` defaults to the case id."""
    case = ranking.case
    labels = {t.term_id: t.label for t in case.observed}
    findings: list[Finding] = []
    limitations = list(ranking.limitations)
    if ranking.variant_source is None:
        limitations.append("Phenotype only: no variants were given.")
    for c in ranking.candidates:
        if c.rank > top:
            break
        gene = f" ({c.gene})" if c.gene else " (no gene known)"
        evidence = [
            Evidence(
                kind="phenotype",
                label=f"{m.observed} {labels.get(m.observed, '')} — {m.kind} "
                f"{m.annotation} {m.annotation_label} (frequency {m.frequency})",
                value=m.log10_lr,
                unit="log10 LR" if ranking.method == "lr" else "IC (nats)",
                codes=(Coding(HPO_SYSTEM, m.observed, labels.get(m.observed)),),
            )
            for m in c.matches
        ]
        evidence += [
            Evidence(
                kind="phenotype-excluded",
                label=f"{e.excluded} excluded, but {c.disease_id} has {e.annotation} "
                f"(frequency {e.frequency})",
                value=e.log10_lr,
                unit="log10 LR",
                codes=(Coding(HPO_SYSTEM, e.excluded),),
            )
            for e in c.excluded_against
        ]
        geno_value: float | None = None
        if c.genotype is not None:
            geno_value = round(c.genotype.log10_lr, 4)
            evidence += [variant_evidence(v) for v in c.genotype.variants]
        n_obs = len(case.observed)
        summary = (
            f"Differential diagnosis rank {c.rank:g}: {c.disease_name} ({c.disease_id}){gene}; "
            f"{len(c.matched_terms)} of {n_obs} observed HPO terms match, score {c.score:.2f}."
        )
        if c.genotype is not None:
            summary += f" Variants: {c.genotype.summary}."
        codes = [_disease_coding(c)]
        if c.gene:
            codes.append(gene_coding(c.gene))
        findings.append(
            Finding(
                domain="rare",
                code=f"rare.differential.{c.disease_id}" + (f".{c.gene}" if c.gene else ""),
                title=f"Differential diagnosis: {c.disease_name}",
                severity=_severity(c),
                summary=summary,
                subject=subject or case.case_id,
                recommendations=(
                    "Review the candidate with a clinical geneticist; confirm with "
                    "targeted testing before acting on it.",
                ),
                evidence=tuple(evidence),
                sources=(
                    Source(
                        name="HPO",
                        version=ranking.hpo_release,
                        id=c.disease_id,
                        citation=HPO_CITATION,
                        url="https://hpo.jax.org",
                    ),
                ),
                limitations=tuple(limitations),
                codes=tuple(codes),
                values={
                    "rank": c.rank,
                    "score": c.score,
                    "phenotype_score": c.phenotype_score,
                    "genotype_log10_lr": geno_value,
                    "gene": c.gene or None,
                    "disease_id": c.disease_id,
                    "matched_terms": ";".join(c.matched_terms),
                    "method": ranking.method,
                    "disease_set": ranking.disease_set,
                    "inheritance": "; ".join(c.inheritance) or None,
                    "hpo_release": ranking.hpo_release,
                    "variant_mode": ranking.variant_source is not None,
                    "observed_terms": n_obs,
                },
                knowledge={"rare": ranking.knowledge_version},
            )
        )
    return findings
