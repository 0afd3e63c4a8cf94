"""Immunotherapy biomarkers: tumour mutational burden (given or computed) and MSI status.

TMB computed from the VCF counts somatic calls that are FILTER PASS, in a coding
consequence (protein-altering or synonymous: the FoundationOne-style count of coding
base substitutions and short indels), with VAF ≥ 5 % and depth ≥ 25 where the input
gives them, divided by the panel's coding size in megabases. TMB-high is ≥ 10 mut/Mb,
the threshold of the pembrolizumab tissue-agnostic approval (FDA, 2020-06-16).
"""

from __future__ import annotations

from collections.abc import Sequence

from tailormed.errors import InputError
from tailormed.oncology.models import Biomarker, SomaticCall
from tailormed.oncology.read import is_protein_altering

TMB_HIGH = 10.0
MIN_VAF = 0.05
MIN_DEPTH = 25
CODING_EXTRA = ("synonymous_variant", "stop_retained_variant")
MSI_VALUES = {
    "MSI-H": "MSI-H",
    "MSI-HIGH": "MSI-H",
    "MSS": "MSS",
    "MSI-L": "MSI-L",
    "DMMR": "dMMR",
    "PMMR": "pMMR",
}
TMB_RULE = (
    f"FILTER PASS coding calls (protein-altering or synonymous) with VAF >= {MIN_VAF:.0%} "
    f"and depth >= {MIN_DEPTH} where known"
)


def counts_for_tmb(call: SomaticCall) -> bool:
    if not call.passed:
        return False
    terms = call.consequence.split("&")
    coding = is_protein_altering(call.consequence) or any(t in CODING_EXTRA for t in terms)
    if not coding:
        return False
    if call.vaf is not None and call.vaf < MIN_VAF:
        return False
    return not (call.depth is not None and call.depth < MIN_DEPTH)


def tmb_biomarker(
    calls: Sequence[SomaticCall], *, given: float | None, panel_size_mb: float | None
) -> Biomarker:
    if given is not None and panel_size_mb is not None:
        raise InputError("give either --tmb or --panel-size-mb, not both")
    if given is not None:
        if not 0 <= given < 10_000:
            raise InputError(f"--tmb {given} is out of range (mutations per megabase)")
        status = "TMB-high" if given >= TMB_HIGH else "TMB-low"
        return Biomarker("TMB", f"{given:.1f} mut/Mb", status, "given (--tmb)", given)
    if panel_size_mb is None:
        return Biomarker(
            "TMB", "not assessed", "not assessed", "no --tmb and no --panel-size-mb given"
        )
    if not 0.1 <= panel_size_mb <= 100:
        raise InputError(f"--panel-size-mb {panel_size_mb} is out of range (0.1-100 Mb)")
    n = sum(1 for c in calls if counts_for_tmb(c))
    value = n / panel_size_mb
    status = "TMB-high" if value >= TMB_HIGH else "TMB-low"
    return Biomarker(
        "TMB",
        f"{value:.1f} mut/Mb",
        status,
        f"computed from the input: {n} variants / {panel_size_mb:g} Mb; counted: {TMB_RULE}",
        value,
    )


def msi_biomarker(status: str | None) -> Biomarker:
    if status is None:
        return Biomarker("MSI", "not assessed", "not assessed", "no --msi given")
    value = MSI_VALUES.get(status.strip().upper())
    if value is None:
        raise InputError(f"--msi {status!r}: expected one of MSI-H, MSI-L, MSS, dMMR, pMMR")
    return Biomarker("MSI", value, value, "given (--msi)")
