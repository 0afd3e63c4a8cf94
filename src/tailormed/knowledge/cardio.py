"""The ``cardio`` knowledge bundle: risk equations, FH variants and guideline thresholds.

Compiled from the source tree (``cardio/`` of the shared data) plus the reviewed facts in
``knowledge/curated/cardio.json`` (each with the source it was checked against):

* the AHA PREVENT equations (Khan 2024): every model (base, UACR, HbA1c, SDI, full), both
  horizons, both sexes, five outcomes, as ``{term: coefficient}``, with the published input
  ranges;
* the 2013 Pooled Cohort Equations (Goff 2013, Table A), race- and sex-specific, with the
  known typos of public copies checked (and corrected, with a note, if present);
* LDLR pathogenic / likely pathogenic ClinVar variants matchable from a VCF, and the count
  of copy-number entries that are not; PCSK9 gain-of-function variants; APOB FH variants;
* the Dutch Lipid Clinic Network score, the 2026 ACC/AHA dyslipidemia thresholds with the
  verification status of each, statin intensities, and the CPIC statin guideline's scope.

:class:`CardioKnowledge` is the typed, read-only view the ``tailormed.cardio`` package uses.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tailormed.errors import KnowledgeError
from tailormed.knowledge.bundles import CompiledBundle, load_bundle, source_record

CURATED = Path(__file__).with_name("curated") / "cardio.json"

SEXES = ("female", "male")
OUTCOMES = ("total_cvd", "ascvd", "heart_failure", "chd", "stroke")
MODELS = ("base", "uacr", "hba1c", "sdi", "full")
HORIZONS = (10, 30)

# PREVENT row labels (as in Khan 2024 Tables S12A-J / preventr) -> our term names.
PREVENT_TERMS = {
    "Age, per 10 years": "age",
    "Age, 10 years": "age",
    "Age squared": "age_sq",
    "non-HDL-C per 1 mmol/L": "non_hdl",
    "HDL-C per 0.3 mmol/L": "hdl",
    "SBP <110 per 20 mmHg": "sbp_lt110",
    "SBP ≥110 per 20 mmHg": "sbp_ge110",
    "Diabetes": "diabetes",
    "Current smoking": "smoking",
    "BMI <30, per 5 kg/m2": "bmi_lt30",
    "BMI 30+, per 5 kg/m2": "bmi_ge30",
    "eGFR <60, per -15 ml": "egfr_lt60",
    "eGFR 60+, per -15 ml": "egfr_ge60",
    "Anti-hypertensive use": "bp_tx",
    "Statin use": "statin",
    "Treated SBP ≥110 mm Hg per 20 mm Hg": "bp_tx_sbp_ge110",
    "Treated non-HDL-C": "statin_non_hdl",
    "Age per 10yr * non-HDL-C per 1 mmol/L": "age_non_hdl",
    "Age per 10yr * HDL-C per 0.3 mmol/L": "age_hdl",
    "Age per 10yr * SBP ≥110 mm Hg per 20 mmHg": "age_sbp_ge110",
    "Age per 10yr * diabetes": "age_diabetes",
    "Age per 10yr * current smoking": "age_smoking",
    "Age per 10yr * BMI 30+ per 5 kg/m2": "age_bmi_ge30",
    "Age per 10yr * eGFR <60, per -15 ml": "age_egfr_lt60",
    "SDI decile categories 4-6 vs. 1-3": "sdi_4_6",
    "SDI decile categories 7-10 vs. 1-3": "sdi_7_10",
    "Missing SDI": "sdi_missing",
    "ln-ACR, mg/g, per 1 ln unit": "ln_uacr",
    "Missing ACR/PCR/Dipstick": "uacr_missing",
    "HbA1c in DM, per 1%": "hba1c_dm",
    "HbA1c no DM, per 1%": "hba1c_no_dm",
    "Missing HbA1c": "hba1c_missing",
    "Constant": "constant",
}
BASE_TERMS = frozenset(
    t
    for t in PREVENT_TERMS.values()
    if not t.startswith(("sdi", "ln_uacr", "uacr", "hba1c", "age_sq"))
)
MODEL_TERMS: dict[str, frozenset[str]] = {
    "base": BASE_TERMS,
    "uacr": BASE_TERMS | {"ln_uacr", "uacr_missing"},
    "hba1c": BASE_TERMS | {"hba1c_dm", "hba1c_no_dm", "hba1c_missing"},
    "sdi": BASE_TERMS | {"sdi_4_6", "sdi_7_10", "sdi_missing"},
}
MODEL_TERMS["full"] = MODEL_TERMS["uacr"] | MODEL_TERMS["hba1c"] | MODEL_TERMS["sdi"]

PCE_GROUPS = ("white_female", "african_american_female", "white_male", "african_american_male")
PCE_TERMS = frozenset(
    {
        "ln_age",
        "ln_age_squared",
        "ln_total_c",
        "ln_age_x_ln_total_c",
        "ln_hdl_c",
        "ln_age_x_ln_hdl_c",
        "ln_treated_sbp",
        "ln_age_x_ln_treated_sbp",
        "ln_untreated_sbp",
        "ln_age_x_ln_untreated_sbp",
        "current_smoker",
        "ln_age_x_current_smoker",
        "diabetes",
        "baseline_survival_10yr",
        "mean_coefficient_x_value",
    }
)

PCSK9_COLUMNS = ("gene", "HGVS", "chr", "pos", "ref", "alt", "Germline.classification")
PLP = frozenset({"Pathogenic", "Likely pathogenic", "Pathogenic/Likely pathogenic"})


def _number(text: str, where: Path, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise KnowledgeError(f"not a number: {text!r}", path=where, line=line) from None


def _prevent_file(path: Path, model: str, horizon: int) -> dict[str, dict[str, dict[str, float]]]:
    """``{sex: {outcome: {term: beta}}}`` from one PREVENT coefficient CSV."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header = rows[0]
    expected = ["beta_coefficients"] + [f"{s}_{o}" for o in OUTCOMES for s in SEXES]
    if header != expected:
        raise KnowledgeError(f"unexpected columns {header}", path=path, line=1)
    out: dict[str, dict[str, dict[str, float]]] = {s: {o: {} for o in OUTCOMES} for s in SEXES}
    seen: set[str] = set()
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        term = PREVENT_TERMS.get(row[0])
        if term is None:
            raise KnowledgeError(f"unknown PREVENT term {row[0]!r}", path=path, line=line)
        if term in seen:
            raise KnowledgeError(f"term {row[0]!r} appears twice", path=path, line=line)
        seen.add(term)
        for column, value in zip(header[1:], row[1:], strict=True):
            sex, _, outcome = column.partition("_")
            out[sex][outcome][term] = _number(value, path, line)
    want = MODEL_TERMS[model] | ({"age_sq"} if horizon == 30 else set())
    if seen != want:
        missing, extra = sorted(want - seen), sorted(seen - want)
        raise KnowledgeError(
            f"terms differ from the {model} model: missing {missing}, extra {extra}", path=path
        )
    return out


def _pce(
    path: Path, corrections: list[Mapping[str, Any]]
) -> tuple[dict[str, dict[str, float]], list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    if header != ["term", *PCE_GROUPS]:
        raise KnowledgeError(f"unexpected columns {header}", path=path, line=1)
    table: dict[str, dict[str, float]] = {g: {} for g in PCE_GROUPS}
    for line, text in enumerate(lines[1:], start=2):
        if not text.strip():
            continue
        cells = text.split("\t")
        if cells[0] not in PCE_TERMS or len(cells) != len(header):
            raise KnowledgeError(f"unexpected row {cells[0]!r}", path=path, line=line)
        for group, value in zip(PCE_GROUPS, cells[1:], strict=True):
            table[group][cells[0]] = _number(value, path, line)
    for group in PCE_GROUPS:
        if set(table[group]) != PCE_TERMS:
            raise KnowledgeError(
                f"{group}: terms missing {sorted(PCE_TERMS - set(table[group]))}", path=path
            )
    notes = []
    for fix in corrections:
        group, term = str(fix["group"]), str(fix["term"])
        current = table[group][term]
        if current == fix["typo"]:
            table[group][term] = float(fix["correct"])
            notes.append(
                f"PCE {group} {term}: source had the known typo {fix['typo']}, "
                f"corrected to {fix['correct']}"
            )
        elif current == fix["correct"]:
            notes.append(
                f"PCE {group} {term} = {current} checked "
                f"(public copies misprint it as {fix['typo']})"
            )
        else:
            raise KnowledgeError(
                f"{group} {term} = {current}: neither the published {fix['correct']} "
                "nor the known typo",
                path=path,
            )
    return table, notes


def _ldlr(path: Path) -> tuple[list[dict[str, Any]], int, int]:
    """P/LP LDLR variants matchable from a VCF, the count of copy-number (unmatchable) P/LP
    entries, and all entries read."""
    variants: list[dict[str, Any]] = []
    unmatchable = 0
    total = 0
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    need = [
        "clinvar_vcv",
        "gene",
        "chr",
        "pos_grch38",
        "ref",
        "alt",
        "hgvs",
        "clinvar_germline_classification",
        "is_plp",
    ]
    if header != need:
        raise KnowledgeError(f"unexpected columns {header}", path=path, line=1)
    for line, text in enumerate(lines[1:], start=2):
        if not text:
            continue
        total += 1
        vcv, gene, chrom, pos, ref, alt, hgvs, cls, plp = text.split("\t")
        if plp not in ("0", "1") or gene != "LDLR":
            raise KnowledgeError(f"bad row {vcv}", path=path, line=line)
        if plp != "1":
            continue
        if ref == "." or alt == ".":
            unmatchable += 1
            continue
        variants.append(
            {
                "gene": gene,
                "chrom": chrom,
                "pos": int(pos),
                "ref": ref,
                "alt": alt,
                "hgvs": hgvs,
                "classification": cls,
                "clinvar": vcv,
            }
        )
    return variants, unmatchable, total


def _pcsk9(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """ClinVar P/LP PCSK9 variants whose UK Biobank LDL-C effect is not negative (GoF)."""
    out: list[dict[str, Any]] = []
    skipped: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            if row["Germline.classification"] not in PLP:
                continue
            name = row["HGVS"] or row["variant"]
            beta = row["beta_genotype_adj"]
            if beta and float(beta) < 0:
                skipped.append(f"{name}: P/LP but lowers LDL-C in UK Biobank; not counted")
                continue
            if not row["pos"]:
                clinvar = int(float(row["VariationID"]))
                skipped.append(f"{name} (ClinVar {clinvar}): no coordinates in the table")
                continue
            out.append(
                {
                    "gene": "PCSK9",
                    "chrom": str(int(float(row["chr"]))),
                    "pos": int(float(row["pos"])),
                    "ref": row["ref"],
                    "alt": row["alt"],
                    "hgvs": name,
                    "classification": row["Germline.classification"],
                    "clinvar": str(int(float(row["VariationID"]))),
                    "ukb_ldl_beta": float(beta) if beta else None,
                }
            )
    return out, skipped


def compile_bundle(root: Path) -> CompiledBundle:
    base = root / "cardio"
    curated = json.loads(CURATED.read_text(encoding="utf-8"))
    prevent: dict[str, dict[str, Any]] = {}
    prevent_files = []
    for model in MODELS:
        prevent[model] = {}
        for horizon in HORIZONS:
            path = base / "risk_equations" / f"prevent_{model}_{horizon}yr_coefficients.csv"
            if not path.is_file():
                raise KnowledgeError("PREVENT coefficient file is missing", path=path)
            prevent_files.append(path)
            prevent[model][str(horizon)] = _prevent_file(path, model, horizon)
    pce_path = base / "risk_equations" / "pce_2013_coefficients.tsv"
    pce, pce_notes = _pce(pce_path, curated["pce_corrections"]["entries"])
    ldlr_path = base / "fh" / "ldlr_clinvar_20260301.tsv"
    ldlr, ldlr_cnv, ldlr_total = _ldlr(ldlr_path)
    pcsk9_path = base / "fh" / "fh_pcsk9_clinvar_ukb_ldl.csv"
    pcsk9, pcsk9_skipped = _pcsk9(pcsk9_path)
    for extra in curated["pcsk9_gof_extra"]:
        if not any(v["pos"] == extra["pos"] and v["alt"] == extra["alt"] for v in pcsk9):
            pcsk9.append(_curated_variant(extra))
    apob = [_curated_variant(v) for v in curated["apob_fh_variants"]]
    payload = {
        "prevent": prevent,
        "prevent_ranges": curated["prevent_ranges"],
        "pce": pce,
        "pce_ranges": curated["pce_ranges"],
        "fh_variants": {"LDLR": ldlr, "APOB": apob, "PCSK9": pcsk9},
        "ldlr_copy_number_entries": ldlr_cnv,
        "pcsk9_rule": curated["pcsk9_rule"],
        "dlcn": curated["dlcn"],
        "guideline_2026": curated["guideline_2026"],
        "statin_intensity": curated["statin_intensity"],
        "cpic_statin": curated["cpic_statin"],
    }
    sources = (
        source_record(
            root,
            name="prevent",
            description="AHA PREVENT equations, all models and outcomes (10- and 30-year)",
            files=prevent_files,
            version="khan-2024",
            date="2024-02-06",
            licence="facts of the published model; tables via preventr 0.12.0 (MIT)",
            citation="Khan SS et al. Circulation 2024;149:430-449. "
            "doi:10.1161/CIRCULATIONAHA.123.067626",
        ),
        source_record(
            root,
            name="pce",
            description="2013 ACC/AHA Pooled Cohort Equations (Appendix 7 Table A)",
            files=[pce_path],
            version="goff-2013",
            date="2013-11-12",
            licence="facts of the published model",
            citation="Goff DC Jr et al. Circulation 2014;129(25 Suppl 2):S49-73. "
            "doi:10.1161/01.cir.0000437741.48606.98",
        ),
        source_record(
            root,
            name="ldlr-clinvar",
            description="LDLR ClinVar variants (GRCh38) with pathogenic/likely pathogenic flag",
            files=[ldlr_path],
            version="clinvar-2026-03-01",
            date="2026-03-01",
            licence="ClinVar: public domain (via sergeeey/ARCHCODE, MIT)",
            url="https://www.ncbi.nlm.nih.gov/clinvar/",
        ),
        source_record(
            root,
            name="pcsk9-clinvar-ukb",
            description="PCSK9 variants with ClinVar class and UK Biobank LDL-C effects",
            files=[pcsk9_path],
            version="fh-interpret",
            date="2024",
            licence="as source (tme34/FH-interpret, MIT)",
        ),
        _curated_record(curated),
    )
    notes = (
        *pce_notes,
        f"LDLR: {ldlr_cnv} of the pathogenic/likely pathogenic ClinVar entries are copy-number "
        "variants (no REF/ALT) and cannot be matched from a VCF; every FH result says so",
        f"PCSK9: only gain-of-function variants count for FH ({curated['pcsk9_rule']})",
        *pcsk9_skipped,
        "APOB: only the curated FH variants (p.Arg3527Gln); the source tree has no APOB list",
        "PCSK9 p.Ser127Arg: coordinates from the curated list (1:55044016 T>A)",
        "2026 dyslipidemia guideline: thresholds checked against published summaries, not the "
        "guideline text; each carries its verification status (see guideline_2026.verification)",
    )
    counts = {
        "prevent_models": len(MODELS) * len(HORIZONS),
        "pce_groups": len(PCE_GROUPS),
        "ldlr_plp_matchable": len(ldlr),
        "ldlr_copy_number": ldlr_cnv,
        "ldlr_entries_read": ldlr_total,
        "pcsk9_gof": len(pcsk9),
        "apob": len(apob),
    }
    return CompiledBundle(
        payload=payload,
        base_version=f"cardio-{curated['version']}",
        sources=sources,
        counts=counts,
        notes=notes,
    )


def _curated_variant(v: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "gene": v["gene"],
        "chrom": v["chrom"],
        "pos": int(v["pos"]),
        "ref": v["ref"],
        "alt": v["alt"],
        "hgvs": f"{v['hgvs_c']} ({v['hgvs_p']})",
        "classification": v["clinvar_classification"],
        "clinvar": v["clinvar_variation_id"],
        "evidence": v["evidence"],
    }


def _curated_record(curated: Mapping[str, Any]) -> dict[str, Any]:
    data = CURATED.read_bytes()
    return {
        "name": "cardio-curated",
        "description": "Reviewed facts: APOB/PCSK9 FH variants, DLCN, 2026 guideline thresholds, "
        "statin intensities, PREVENT/PCE input ranges (each entry cites what it was checked "
        "against)",
        "path": "tailormed/knowledge/curated/cardio.json",
        "version": curated["version"],
        "commit": None,
        "date": curated["version"],
        "licence": "MPL-2.0 (Tailormed); facts cited per entry",
        "citation": curated["guideline_2026"]["citation"],
        "url": None,
        "sha256": hashlib.sha256(data).hexdigest(),
        "files": 1,
    }


# ------------------------------------------------------------------------- loader


@dataclass(frozen=True, slots=True)
class FhVariant:
    """A variant that counts as a monogenic FH cause when found."""

    gene: str
    chrom: str
    pos: int
    ref: str
    alt: str
    hgvs: str
    classification: str
    clinvar: str


class CardioKnowledge:
    """Typed, read-only access to the built ``cardio`` bundle."""

    def __init__(self, payload: Mapping[str, Any], version: str, origin: str) -> None:
        self._p = payload
        self.version = version
        self.origin = origin
        self.fh_variants: tuple[FhVariant, ...] = tuple(
            FhVariant(
                gene=v["gene"],
                chrom=str(v["chrom"]),
                pos=int(v["pos"]),
                ref=v["ref"],
                alt=v["alt"],
                hgvs=v["hgvs"],
                classification=v["classification"],
                clinvar=str(v["clinvar"]),
            )
            for gene in ("LDLR", "APOB", "PCSK9")
            for v in payload["fh_variants"][gene]
        )

    @staticmethod
    @cache
    def load(path: str | None = None) -> CardioKnowledge:
        bundle = load_bundle("cardio", path)
        return CardioKnowledge(bundle.payload, bundle.version, bundle.origin)

    def prevent(self, model: str, horizon: int, sex: str, outcome: str) -> Mapping[str, float]:
        try:
            table: Mapping[str, float] = self._p["prevent"][model][str(horizon)][sex][outcome]
        except KeyError:
            raise KnowledgeError(
                f"no PREVENT coefficients for {model}/{horizon}y/{sex}/{outcome}", path=self.origin
            ) from None
        return table

    def pce(self, group: str) -> Mapping[str, float]:
        table: Mapping[str, float] = self._p["pce"][group]
        return table

    def section(self, name: str) -> Mapping[str, Any]:
        """A curated section (``prevent_ranges``, ``dlcn``, ``guideline_2026`` ...)."""
        value = self._p.get(name)
        if not isinstance(value, Mapping):
            raise KnowledgeError(f"cardio bundle has no section {name!r}", path=self.origin)
        return value

    @property
    def ldlr_copy_number_entries(self) -> int:
        return int(self._p["ldlr_copy_number_entries"])
