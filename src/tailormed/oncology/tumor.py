"""The tumour profile: calls → matched evidence → tiers → therapy options (+ PGx, eligibility).

:func:`profile_tumour` is the one entry point (the CLI and, later, the pipeline call it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tailormed.errors import InputError
from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.biomarkers import msi_biomarker, tmb_biomarker
from tailormed.oncology.matching import civic_hits, profile_hits, selector_hits
from tailormed.oncology.models import (
    Biomarker,
    EvidenceItem,
    Fusion,
    SomaticCall,
    TherapyOption,
    Tier,
    TumorReport,
    VariantReport,
)
from tailormed.oncology.pgx import GermlinePgx, eligibility_checks, with_pgx
from tailormed.oncology.read import SomaticInput, is_protein_altering
from tailormed.oncology.tiering import (
    LEVEL_RANK,
    TIER_RANK,
    assertion_item,
    civic_item,
    variant_tier,
    weakest,
)

LIMITATIONS = (
    "Matching is by gene and protein change on the chosen transcript; CIViC's GRCh37 "
    "coordinates are not used.",
    "Copy-number, expression, methylation and protein (IHC) biomarkers are not assessed "
    "from a VCF or MAF; germline-origin CIViC evidence is not used for somatic tiering.",
    "Tier IV (benign) is not assigned: population allele frequencies are not in the "
    "knowledge base; calls that do not alter the protein are counted, not reported.",
    "Gene-level ('any mutation') evidence never raises a variant above tier II, and is "
    "dropped for a variant that has evidence of its own (the most specific match wins).",
    "Therapy options are evidence summaries for a tumour board, not prescriptions.",
)
SPECIFIC = ("exact", "codon", "exon", "fusion")
SENSITIVE = {"Sensitivity/Response"}
RESISTANT = {"Resistance", "Reduced Sensitivity"}


@dataclass
class _Collected:
    by_label: dict[str, list[EvidenceItem]] = field(default_factory=dict)
    biomarker_items: list[tuple[str, EvidenceItem]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, label: str, item: EvidenceItem) -> None:
        items = self.by_label.setdefault(label, [])
        if all(i.id != item.id for i in items):
            items.append(item)


def _civic(
    kb: OncologyKnowledge,
    tumour: str,
    calls: Sequence[SomaticCall],
    fusions: Sequence[Fusion],
    out: _Collected,
) -> None:
    hits = civic_hits(kb, calls, fusions)
    for mpid, found in profile_hits(kb, hits).items():
        how = weakest(found)
        name = kb.profiles[mpid]["name"]
        items = [civic_item(kb, tumour, e, how, name) for e in kb.evidence_of.get(mpid, ())]
        items += [assertion_item(kb, tumour, a, how, name) for a in kb.assertions_of.get(mpid, ())]
        for hit in found:
            for item in items:
                out.add(hit.label, item)
    for label, items in out.by_label.items():
        if any(i.variant_match in SPECIFIC for i in items):
            # the most specific match wins: "EGFR Mutation" evidence says nothing about
            # T790M once T790M's own evidence is known
            out.by_label[label] = [i for i in items if i.variant_match != "gene"]


def _fda(
    kb: OncologyKnowledge,
    tumour: str,
    calls: Sequence[SomaticCall],
    fusions: Sequence[Fusion],
    msi: str | None,
    tmb: float | None,
    out: _Collected,
) -> None:
    for row in kb.payload["fda_cdx"]:
        found = selector_hits(row["selectors"], calls, fusions, msi=msi, tmb=tmb)
        if not found:
            continue
        covered = next((c for c in row["oncotree"] if kb.is_within(tumour, c)), None)
        for hit in found:
            out.add(
                hit.label,
                EvidenceItem(
                    source="FDA CDx",
                    id=row["id"],
                    level="A",
                    amp_level="A" if covered else "C",
                    evidence_type="Predictive",
                    direction="Supports",
                    significance="Sensitivity/Response",
                    disease=row["indication"],
                    disease_match=("exact" if covered == tumour else "parent")
                    if covered
                    else "other",
                    matched_oncotree=covered,
                    variant_match=hit.how,
                    therapies=tuple(row["therapies"]),
                    on_label=covered is not None,
                    citation=f"{row['device']}, FDA CDx approval {row['date']} ({row['pma']}); "
                    f"verified: {row['verified_by']}",
                ),
            )
    for row in kb.payload["tissue_agnostic"]:
        found = selector_hits(row["selectors"], calls, fusions, msi=msi, tmb=tmb)
        if not found:
            continue
        excluded = [c for c in row["excluded"] if kb.is_within(tumour, c)]
        drugs = ", ".join(row["therapies"])
        if excluded:
            out.notes.append(
                f"The tissue-agnostic approval of {drugs} for {found[0].label} excludes "
                f"{kb.tumour_name(excluded[0])} ({excluded[0]}); not applied."
            )
            continue
        for hit in found:
            item = EvidenceItem(
                source="FDA tissue-agnostic",
                id=row["id"],
                level="A",
                amp_level="A",
                evidence_type="Predictive",
                direction="Supports",
                significance="Sensitivity/Response",
                disease="any solid tumour (tissue-agnostic)",
                disease_match="pan-cancer",
                matched_oncotree="TISSUE",
                variant_match=hit.how,
                therapies=tuple(row["therapies"]),
                on_label=True,
                citation=f"FDA tissue-agnostic approval {row['date']}; "
                f"verified: {row['verified_by']}",
            )
            if hit.how == "biomarker":
                out.biomarker_items.append((hit.label, item))
            else:
                out.add(hit.label, item)


def _therapies(
    reports: Sequence[VariantReport], biomarker_items: Sequence[tuple[str, EvidenceItem]]
) -> list[TherapyOption]:
    groups: dict[tuple[str, str], dict[str, object]] = {}
    pairs = [(r.call.label, i) for r in reports for i in r.evidence]
    pairs += list(biomarker_items)
    for label, item in pairs:
        if item.evidence_type != "Predictive" or item.direction != "Supports":
            continue
        if item.significance in SENSITIVE:
            response = "sensitive"
        elif item.significance in RESISTANT:
            response = "resistant"
        else:
            continue
        level = item.amp_level or "D"
        if not item.on_label and level in ("A", "B"):
            level = "C"
        strong = item.variant_match != "gene" and item.amp_level in ("A", "B") and item.on_label
        if item.amp_tier is not None:
            strong = item.amp_tier == "I" and item.on_label
        for drug in item.therapies:
            g = groups.setdefault(
                (drug, response),
                {
                    "level": level,
                    "tier": "II",
                    "variants": [],
                    "on_label": False,
                    "evidence": [],
                    "regulatory": [],
                },
            )
            if LEVEL_RANK.get(level, 5) < LEVEL_RANK.get(str(g["level"]), 5):
                g["level"] = level
            if strong:
                g["tier"] = "I"
            g["on_label"] = bool(g["on_label"]) or item.on_label
            for key, value in (("variants", label), ("evidence", item.id)):
                bucket = g[key]
                assert isinstance(bucket, list)
                if value not in bucket:
                    bucket.append(value)
            if item.source.startswith("FDA"):
                reg = g["regulatory"]
                assert isinstance(reg, list)
                if item.on_label and item.id not in reg:
                    reg.append(item.id)
    options: list[TherapyOption] = []
    for (drug, response), g in groups.items():
        other = "resistant" if response == "sensitive" else "sensitive"
        conflicts = (
            (f"{drug} also has {other} evidence in this tumour (see that entry)",)
            if (drug, other) in groups
            else ()
        )
        tier: Tier = "I" if g["tier"] == "I" else "II"
        options.append(
            TherapyOption(
                drug=drug,
                response=response,  # type: ignore[arg-type]
                best_level=str(g["level"]),
                tier=tier,
                variants=tuple(g["variants"]),  # type: ignore[arg-type]
                on_label=bool(g["on_label"]),
                evidence=tuple(g["evidence"]),  # type: ignore[arg-type]
                regulatory=tuple(g["regulatory"]),  # type: ignore[arg-type]
                conflicts=conflicts,
            )
        )
    options.sort(
        key=lambda t: (
            TIER_RANK[t.tier],
            LEVEL_RANK.get(t.best_level, 5),
            not t.on_label,
            t.response != "sensitive",
            t.drug,
        )
    )
    return options


def _id_order(identifier: str) -> tuple[str, int, str]:
    """``EID238`` before ``EID1391``: prefix, then the number, then the text."""
    head = identifier.rstrip("0123456789")
    tail = identifier[len(head) :]
    return (head, int(tail) if tail else -1, identifier)


def _fusion_call(f: Fusion) -> SomaticCall:
    return SomaticCall(
        gene=f.label,
        hgvs_p=None,
        hgvs_p_short=None,
        hgvs_c=None,
        consequence="gene_fusion",
        transcript=None,
        chrom="",
        pos=0,
        ref="",
        alt="",
        vaf=None,
        depth=None,
        alt_reads=None,
        exon=None,
        intron=None,
        record=f.record,
    )


def profile_tumour(
    somatic: SomaticInput,
    tumour_type: str,
    kb: OncologyKnowledge,
    *,
    fusions: Sequence[Fusion] = (),
    tmb: float | None = None,
    panel_size_mb: float | None = None,
    msi: str | None = None,
    germline: GermlinePgx | None = None,
) -> TumorReport:
    code = tumour_type.strip().upper()
    if not kb.knows_tumour_type(code):
        raise InputError(
            f"unknown tumour type {tumour_type!r}: give an OncoTree code known to "
            f"{kb.oncotree_version} (e.g. LUAD, NSCLC, SKCM, COADREAD, BRCA)",
            record="--tumor-type",
        )
    skipped = dict(somatic.skipped)
    passed = [c for c in somatic.calls if c.passed]
    if len(passed) < len(somatic.calls):
        skipped["FILTER not PASS"] = len(somatic.calls) - len(passed)
    reportable = [c for c in passed if is_protein_altering(c.consequence)]
    if len(reportable) < len(passed):
        skipped["not protein-altering"] = len(passed) - len(reportable)
    tmb_marker = tmb_biomarker(somatic.calls, given=tmb, panel_size_mb=panel_size_mb)
    msi_marker = msi_biomarker(msi)
    out = _Collected()
    _civic(kb, code, reportable, fusions, out)
    _fda(kb, code, reportable, fusions, msi_marker.status, tmb_marker.numeric, out)
    reports: list[VariantReport] = []
    for call in [*reportable, *(_fusion_call(f) for f in fusions)]:
        items = out.by_label.get(call.label, [])
        items.sort(  # a stable order: the same input always gives the same report
            key=lambda i: (
                i.direction != "Supports",
                not i.on_label,
                LEVEL_RANK.get(i.amp_level, 5),
                _id_order(i.id),
            )
        )
        tier, level, basis = variant_tier(items)
        reports.append(VariantReport(call, tier, level, basis, tuple(items)))
    reports.sort(key=lambda r: (TIER_RANK[r.tier], r.call.gene, r.call.pos))
    therapies = with_pgx(
        _therapies(reports, out.biomarker_items), kb.payload["pgx_links"], germline
    )
    eligibility = eligibility_checks(kb.payload["eligibility"], code, kb.is_within, germline)
    biomarkers: tuple[Biomarker, ...] = (tmb_marker, msi_marker)
    return TumorReport(
        sample=somatic.sample,
        tumour_type=code,
        tumour_name=kb.tumour_name(code),
        lineage=tuple(c for c, _, _ in kb.lineage(code)),
        input_path=somatic.path,
        input_format=somatic.format,
        knowledge_version=kb.version,
        civic_release=kb.civic_release,
        oncotree_version=kb.oncotree_version,
        pgx_version=germline.kb_version if germline else None,
        variants=tuple(reports),
        therapies=therapies,
        biomarkers=biomarkers,
        eligibility=eligibility,
        fusions=tuple(fusions),
        skipped=tuple(sorted(skipped.items())),
        limitations=(*LIMITATIONS, *out.notes),
    )
