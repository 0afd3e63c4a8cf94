"""Frozen result types of the oncology domain (tumour profile and ctDNA monitoring)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Tier = Literal["I", "II", "III"]
Response = Literal["sensitive", "resistant"]
VariantMatch = Literal["exact", "codon", "exon", "truncating", "gene", "fusion", "biomarker"]
DiseaseMatch = Literal["exact", "parent", "pan-cancer", "other"]


@dataclass(frozen=True, slots=True)
class SomaticCall:
    """One somatic variant as read from the annotated VCF or MAF (the chosen transcript)."""

    gene: str
    hgvs_p: str | None  # p.Leu858Arg
    hgvs_p_short: str | None  # L858R
    hgvs_c: str | None
    consequence: str  # SO terms joined by "&"
    transcript: str | None
    chrom: str
    pos: int
    ref: str
    alt: str
    vaf: float | None
    depth: int | None
    alt_reads: int | None
    exon: int | None
    intron: int | None
    record: str  # "line 57" / "record 12": where in the input it came from
    canonical: bool = True
    passed: bool = True  # FILTER PASS (or "." / MAF)

    @property
    def label(self) -> str:
        if self.consequence == "gene_fusion":
            return self.gene  # "EML4::ALK"
        return f"{self.gene} {self.hgvs_p_short or self.hgvs_c or self.consequence}"


@dataclass(frozen=True, slots=True)
class Fusion:
    gene5: str
    gene3: str
    record: str

    @property
    def label(self) -> str:
        return f"{self.gene5}::{self.gene3}"


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One piece of knowledge matched to a variant or biomarker of this tumour."""

    source: str  # "CIViC" | "CIViC assertion" | "FDA CDx" | "FDA tissue-agnostic" | literature
    id: str
    level: str  # the source's own level (CIViC A-E; "A" for FDA approvals)
    amp_level: str  # AMP/ASCO/CAP level A-D after the stated mapping
    evidence_type: str  # Predictive / Diagnostic / Prognostic
    direction: str
    significance: str
    disease: str
    disease_match: DiseaseMatch
    matched_oncotree: str | None  # the OncoTree node the disease was matched at
    variant_match: VariantMatch
    therapies: tuple[str, ...]
    on_label: bool  # evidence is for the patient's tumour type (its OncoTree lineage)
    citation: str
    profile: str | None = None  # CIViC molecular profile name
    amp_tier: Tier | None = None  # CIViC assertions only


@dataclass(frozen=True, slots=True)
class VariantReport:
    call: SomaticCall
    tier: Tier
    amp_level: str | None
    tier_basis: str
    evidence: tuple[EvidenceItem, ...]


@dataclass(frozen=True, slots=True)
class PgxResult:
    """The patient's germline PGx for one therapy (never from the tumour)."""

    drug: str
    genes: tuple[str, ...]
    status: str  # "actionable" / "no change" / "no result" / "no guideline" / "not tested"
    phenotypes: tuple[tuple[str, str], ...]  # (gene, phenotype)
    recommendations: tuple[str, ...]
    dose: str | None
    source: str
    note: str


@dataclass(frozen=True, slots=True)
class TherapyOption:
    drug: str  # lower-case generic name; a combination joined by " + "
    response: Response
    best_level: str  # AMP level A-D
    tier: Tier
    variants: tuple[str, ...]  # labels of the variants/biomarkers behind it
    on_label: bool
    evidence: tuple[str, ...]  # evidence ids
    regulatory: tuple[str, ...]  # FDA approvals behind it (ids)
    pgx: tuple[PgxResult, ...] = ()
    conflicts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Biomarker:
    name: str  # "TMB" | "MSI"
    value: str  # "12.4 mut/Mb", "MSI-H"
    status: str  # "TMB-high" / "TMB-low" / "MSI-H" / "MSS" / "not assessed"
    source: str  # "given" / "computed from the VCF (...)"
    numeric: float | None = None


@dataclass(frozen=True, slots=True)
class EligibilityCheck:
    drug: str
    tumour_type: str
    requirement: str
    hla_a: tuple[str, ...]  # the patient's HLA-A alleles, when typed
    result: str  # "HLA requirement met" / "HLA requirement not met" / "HLA-A not typed"
    other_requirements: str
    label: str
    verified_by: str


@dataclass(frozen=True, slots=True)
class TumorReport:
    sample: str
    tumour_type: str
    tumour_name: str
    lineage: tuple[str, ...]
    input_path: str
    input_format: str  # "vep" | "snpeff" | "maf"
    knowledge_version: str
    civic_release: str
    oncotree_version: str
    pgx_version: str | None
    variants: tuple[VariantReport, ...]
    therapies: tuple[TherapyOption, ...]
    biomarkers: tuple[Biomarker, ...]
    eligibility: tuple[EligibilityCheck, ...]
    fusions: tuple[Fusion, ...] = ()
    skipped: tuple[tuple[str, int], ...] = ()  # (reason, count) of calls not reported
    limitations: tuple[str, ...] = ()


# ------------------------------------------------------------------ ctDNA


@dataclass(frozen=True, slots=True)
class CtdnaObservation:
    """One tracked variant in one draw (a row of the series)."""

    patient: str
    date: str  # ISO date
    gene: str
    hgvs_p: str | None  # short form (L858R)
    chrom: str
    pos: int
    ref: str
    alt: str
    vaf: float
    alt_reads: int | None
    depth: int | None
    lod: float | None
    therapy: str | None
    therapy_start: str | None
    record: str
    key: str = ""  # "EGFR L858R" (or chrom:posREF>ALT without a protein change)
    detected: bool = False  # set from vaf and lod: vaf > 0 and at or above the LoD

    def __post_init__(self) -> None:
        if not self.key:
            key = (
                f"{self.gene} {self.hgvs_p}"
                if self.hgvs_p
                else f"{self.chrom}:{self.pos}{self.ref}>{self.alt}"
            )
            object.__setattr__(self, "key", key)
        found = self.vaf > 0 and (self.lod is None or self.vaf >= self.lod)
        object.__setattr__(self, "detected", found)


@dataclass(frozen=True, slots=True)
class VariantState:
    variant: str
    detected: bool
    vaf: float | None  # as measured (None when not detected)
    lod: float | None


@dataclass(frozen=True, slots=True)
class DrawSummary:
    date: str
    therapy: str | None
    states: tuple[VariantState, ...]
    mean_vaf: float  # undetected variants counted at their LoD (an upper bound), see ctdna.py
    max_vaf: float
    tested: int
    detected: int
    fold_from_baseline: float | None


@dataclass(frozen=True, slots=True)
class CtdnaEvent:
    kind: str  # "molecular-response" / "response-not-confirmed" / "clearance" / ...
    date: str
    detail: str
    citation: str
    variant: str | None = None
    resistance_sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PatientCtdna:
    patient: str
    baseline: str | None
    status: str
    draws: tuple[DrawSummary, ...]
    events: tuple[CtdnaEvent, ...]
    therapies: tuple[tuple[str, str | None], ...] = ()  # (drug, start)
    notes: tuple[str, ...] = field(default_factory=tuple)
