"""Where each knowledge source lives in the source tree, and its provenance.

The source tree is the project's ``shared/data`` folder (see its README). Versions,
commits, dates and licences below are those recorded there; the sha256 of every file
is computed at build time and stored in the manifest.

Curated tables (``root="curated"``) live in this package's ``knowledge/curated/`` folder:
small tables Tailormed maintains itself (the phenoconversion inhibitor list, combination
brands, dose tables), each entry citing its published source. Their version is the
``compiled`` date inside the file and their review status travels in the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceSpec:
    name: str
    description: str
    path: str
    pattern: str
    version: str
    commit: str | None
    date: str
    licence: str
    root: str = "shared"  # "shared": the source tree; "curated": knowledge/curated/
    citation: str | None = None


PHARMCAT_COMMIT = "5431bf1187e50383df7e7db18ef67b36fc8b562e"
PHARMCAT_DATA_VERSION = "2025-11-05-00-25"
PHARMCAT_LICENCE = (
    "MPL-2.0 (PharmCAT); allele definitions under PharmVar's terms of use (cite PharmVar); "
    "CPIC content CC0; ClinPGx/PharmGKB annotations CC BY-SA 4.0"
)

SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        name="pharmcat-allele-definitions",
        description="PharmCAT named-allele definitions (GRCh38) and matcher exemptions",
        path="pharmcat/definition/alleles",
        pattern="*.json",
        version=PHARMCAT_DATA_VERSION,
        commit=PHARMCAT_COMMIT,
        date="2025-11-19",
        licence=PHARMCAT_LICENCE,
    ),
    SourceSpec(
        name="pharmcat-phenotypes",
        description=(
            "PharmCAT gene phenotype maps (allele function, activity, diplotype → phenotype)"
        ),
        path="pharmcat/phenotype",
        pattern="*.json",
        version=PHARMCAT_DATA_VERSION,
        commit=PHARMCAT_COMMIT,
        date="2025-11-19",
        licence=PHARMCAT_LICENCE,
    ),
    SourceSpec(
        name="pharmcat-phenotype-fallbacks",
        description=(
            "Older phenotype maps for CYP2D6 (2024-08-27), G6PD (CPIC v1.30.0, 2023-08-08) and "
            "RYR1 (2023-12-19): the current files were not available; newer alleles are absent"
        ),
        path="pharmcat/phenotype_fallback",
        pattern="*.json",
        version="CYP2D6 2024-08-27-21-12; G6PD v1.30.0; RYR1 2023-12-05-00-25",
        commit="CYP2D6 c8100ec8; G6PD 76bfe08c; RYR1 5cb67175",
        date="2024-08-27",
        licence=PHARMCAT_LICENCE,
    ),
    SourceSpec(
        name="pharmcat-dpwg-phenotypes",
        description="DPWG-specific phenotype maps (removed from PharmCAT in Oct 2025)",
        path="pharmcat/phenotype_legacy_dpwg_2025-10",
        pattern="*.json",
        version="2025-10",
        commit="881b416b2f6779d67f76cb6ca936d288466ed669",
        date="2025-10",
        licence=PHARMCAT_LICENCE,
    ),
    SourceSpec(
        name="clinpgx-guideline-annotations",
        description=(
            "ClinPGx annotations of CPIC and DPWG guidelines with their recommendations "
            "(per-guideline files as of 2024-05-29; the current combined file was not available)"
        ),
        path="pharmcat/reporter_legacy_2024-05-29/guidelines",
        pattern="*.json",
        version="2024-05-29",
        commit="30f8cfb7b3d71f6b579212f8161689e5f7dc2e63",
        date="2024-05-29",
        licence="CPIC content CC0; DPWG/ClinPGx annotations CC BY-SA 4.0",
    ),
    SourceSpec(
        name="cpic-database-export",
        description="CPIC database export of drugs and recommendations (RxNorm identifiers)",
        path="cpic",
        pattern="cpic_drugs_recommendations_*.json.gz",
        version="2022-09-15",
        commit="5f2cedbf08b0bb0e379bcbf410cdc136628fe7fd",
        date="2022-09-15",
        licence="CC0 (CPIC)",
    ),
    SourceSpec(
        name="pharmcat-report-messages",
        description="PharmCAT rules for report messages attached to genes and drugs",
        path="pharmcat/reporter",
        pattern="messages.json",
        version=PHARMCAT_DATA_VERSION,
        commit=PHARMCAT_COMMIT,
        date="2025-11-19",
        licence=PHARMCAT_LICENCE,
    ),
    SourceSpec(
        name="pharmgkb-drug-names",
        description=(
            "PharmGKB drugs.tsv: generic names, trade names, brand mixtures and RxNorm "
            "ingredient ids, used to read medication lists (drug classes left out) and the "
            "alternative drugs a recommendation names (knowledge/alternatives.py)"
        ),
        path="drug_names",
        pattern="pharmgkb_drugs_*.tsv.gz",
        version="2022-07-05",
        commit="6f5fcd3 (dna-seq/gero-drugs-module)",
        date="2022-07-05",
        licence=(
            "CC BY-SA 4.0 with PharmGKB's data usage policy (attribute PharmGKB, share alike, "
            "not to be sold; PHARMGKB_LICENSE.txt); names normalised and combination "
            "products split into ingredients by Tailormed"
        ),
        citation=(
            "Whirl-Carrillo M, et al. An evidence-based framework for evaluating "
            "pharmacogenomics knowledge for personalized medicine. Clin Pharmacol Ther "
            "2021;110(3):563-572; https://www.pharmgkb.org"
        ),
    ),
    SourceSpec(
        name="tailormed-combination-brands",
        description=(
            "Curated combination brands (e.g. Tylenol #3 = acetaminophen + codeine) that the "
            "PharmGKB table lists under one ingredient only or not at all; each row cites "
            "its source"
        ),
        path="combination_brands.json",
        pattern="combination_brands.json",
        version="see file",
        commit=None,
        date="see file",
        licence="MPL-2.0 (Tailormed); facts from the cited product labels",
        root="curated",
    ),
    SourceSpec(
        name="tailormed-inhibitors",
        description=(
            "CYP2D6 and CYP2C19 inhibitors and phenoconversion rules (draft awaiting "
            "pharmacist review); each entry cites its sources"
        ),
        path="inhibitors.json",
        pattern="inhibitors.json",
        version="see file",
        commit=None,
        date="see file",
        licence="MPL-2.0 (Tailormed); facts from the cited FDA table and publications",
        root="curated",
    ),
    SourceSpec(
        name="tailormed-dose-tables",
        description=(
            "Dose tables: IWPC warfarin coefficients, CPIC 2017 warfarin adjustments, "
            "fluoropyrimidine (CPIC/DPWG) and thiopurine (CPIC) starting-dose percentages, "
            "each row with the guideline words it comes from"
        ),
        path="dose_tables.json",
        pattern="dose_tables.json",
        version="see file",
        commit=None,
        date="see file",
        licence="MPL-2.0 (Tailormed); numbers from the cited publications and guidelines",
        root="curated",
    ),
)

SOURCE_BY_NAME = {s.name: s for s in SOURCES}
