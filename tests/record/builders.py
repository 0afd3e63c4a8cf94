"""Hand-built stage results for record tests: a clinical statement in, an Interpretation out.

``interpretation("S1", cyp2c19=("*2", "*17"))`` is "sample S1, CYP2C19 *2/*17, CYP2C9
*1/*3": calls with per-variant evidence, phenotypes, and drug reports for clopidogrel
(CYP2C19) and warfarin (CYP2C9 + VKORC1), so scope filtering has something to cut.
"""

from __future__ import annotations

import hashlib

from tailormed.calling.models import Diplotype, GeneCall, VariantEvidence
from tailormed.medications import ResolvedMedication
from tailormed.phenotype.models import AlleleInterpretation, GenePhenotype
from tailormed.recommend.models import DrugReport, Interpretation, MatchedRecommendation
from tailormed.record import UploadInfo

KB = "test-kb-2026.11"


def gene_call(sample: str, gene: str, alleles: tuple[str, str], rsid: str) -> GeneCall:
    ev = VariantEvidence(
        position=94781859,
        rsid=rsid,
        ref="G",
        genotype="G/A",
        call=("G", "A"),
        phased=False,
        source="vcf",
    )
    return GeneCall(
        sample=sample,
        gene=gene,
        diplotypes=(Diplotype.of(*alleles, score=3),),
        phased=False,
        evidence={alleles[0]: (ev,)},
        genotypes=(ev,),
        kb_version=KB,
    )


def phenotype(sample: str, gene: str, alleles: tuple[str, str], pheno: str) -> GenePhenotype:
    return GenePhenotype(
        gene=gene,
        sample=sample,
        diplotype="/".join(alleles),
        alleles=tuple(AlleleInterpretation(a, "Normal function", "1.0") for a in alleles),
        phenotype=pheno,
        activity_score=None,
        lookup_keys=(pheno,),
        kb_version=KB,
    )


def drug(name: str, genes: tuple[str, ...], text: str) -> DrugReport:
    rec = MatchedRecommendation(
        drug=name,
        source="CPIC",
        recommendation_id=f"rec-{name}",
        guideline_id=f"g-{name}",
        guideline_name=f"CPIC {name}",
        guideline_url=None,
        genes=genes,
        lookup_key={g: "x" for g in genes},
        phenotypes={g: "x" for g in genes},
        classification="Strong",
        population="general",
        text=text,
        implications=(),
        actionable=True,
    )
    return DrugReport(
        drug=name,
        rxnorm=None,
        genes=genes,
        status="actionable",
        reason="matched",
        recommendations=(rec,),
    )


def interpretation(
    sample: str = "S1",
    *,
    cyp2c19: tuple[str, str] = ("*2", "*17"),
    cyp2c9: tuple[str, str] = ("*1", "*3"),
) -> Interpretation:
    return Interpretation(
        sample=sample,
        kb_version=KB,
        calls=(
            gene_call(sample, "CYP2C19", cyp2c19, "rs4244285"),
            gene_call(sample, "CYP2C9", cyp2c9, "rs1057910"),
        ),
        phenotypes=(
            phenotype(sample, "CYP2C19", cyp2c19, "Intermediate Metabolizer"),
            phenotype(sample, "CYP2C9", cyp2c9, "Intermediate Metabolizer"),
        ),
        drugs=(
            drug("clopidogrel", ("CYP2C19",), "Use an alternative antiplatelet"),
            drug("warfarin", ("CYP2C9", "VKORC1"), "Reduce the starting dose"),
        ),
        medications=("omeprazole",),
        limitations=("CYP2D6 structural variants not assessed",),
        resolved_medications=(
            ResolvedMedication("omeprazole", "recognised", ("omeprazole",), ("7646",)),
        ),
    )


def upload(name: str = "jane_doe.vcf", content: bytes = b"##fileformat=VCFv4.2\n") -> UploadInfo:
    return UploadInfo(
        kind="vcf",
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        original_filename=name,
    )
