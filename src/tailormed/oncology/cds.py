"""The resistance check behind the CDS Hooks ``order-select`` card (a pure function).

:func:`resistance_findings` warns when an ordered targeted drug meets a variant the
knowledge base records as conferring resistance to it (CIViC "Predictive / Resistance or
Reduced Sensitivity / Supports" evidence on the exact variant, and the curated literature
rows of the bundle — :meth:`OncologyKnowledge.resistance`), found either

- in the **latest ctDNA draw**, detected (VAF above 0 and at or above the assay's LoD;
  a variant detected only in earlier draws is not current and does not warn), or
- in the **tumour profile** (any reported variant, whatever its tier).

One finding per ordered drug, listing every variant and source behind it. Severity is
``high`` when the strongest evidence is CIViC level A, B or C or a curated literature
row, and ``moderate`` when it rests only on preclinical or inferential evidence (CIViC
D/E): both give a warning card; the level is shown so the clinician can weigh it.

A combination regimen in the knowledge base (``dabrafenib + trametinib``) is matched
when the ordered drug is one of its parts, and the card says the evidence concerns the
combination. Sensitising evidence is never used here: EGFR T790M does not warn against
osimertinib (it is the reason to give it); C797S does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tailormed.findings import Evidence, Finding, Source
from tailormed.findings.models import Severity
from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.documents import (
    CtdnaSeriesDocument,
    TumorDocument,
    detected,
    latest_draw,
)
from tailormed.oncology.findings import CIVIC_URL

STRONG = ("A", "B", "C")


@dataclass(frozen=True, slots=True)
class _Seen:
    gene: str
    short: str
    where: str  # "the latest ctDNA draw (2024-06-03, VAF 4.00 %)"
    vaf: float | None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _parts(regimen: str) -> tuple[str, ...]:
    return tuple(p.strip().lower() for p in regimen.split("+") if p.strip())


def _ordered(drugs: Iterable[str]) -> list[str]:
    out: list[str] = []
    for d in drugs:
        for part in re.split(r"\s*(?:\+|/)\s*", d.strip().lower()):
            if part and part not in out:
                out.append(part)
    return out


def _variants(tumor: TumorDocument | None, ctdna: CtdnaSeriesDocument | None) -> list[_Seen]:
    seen: list[_Seen] = []
    if ctdna is not None:
        day, rows = latest_draw(ctdna)
        for r in rows:
            short = r.key.partition(" ")[2] if " " in r.key else ""
            if detected(r) and short:
                seen.append(
                    _Seen(r.gene, short, f"the latest ctDNA draw ({day}, VAF {r.vaf:.2%})", r.vaf)
                )
    if tumor is not None:
        for v in tumor.variants:
            if v.hgvs_p_short:
                vaf = f", VAF {v.vaf:.0%}" if v.vaf is not None else ""
                seen.append(
                    _Seen(
                        v.gene,
                        v.hgvs_p_short,
                        f"the tumour profile ({tumor.sample}, {tumor.tumour_type}{vaf})",
                        v.vaf,
                    )
                )
    return seen


def resistance_findings(
    drugs: Sequence[str],
    tumor_doc: TumorDocument | None,
    ctdna_doc: CtdnaSeriesDocument | None,
    kb: OncologyKnowledge,
    *,
    subject: str = "patient",
) -> list[Finding]:
    """One finding per ordered drug that meets a known resistance variant of this patient."""
    seen = _variants(tumor_doc, ctdna_doc)
    if not seen or not drugs:
        return []
    out: list[Finding] = []
    for drug in _ordered(drugs):
        hits: list[tuple[_Seen, str, str, str, str | None]] = []  # seen, regimen, id, cite, lvl
        for s in seen:
            for regimen, source_id, citation in kb.resistance(s.gene, s.short):
                if drug not in _parts(regimen):
                    continue
                item = kb.civic_evidence(source_id)
                level = str(item["level"]) if item else None
                hits.append((s, regimen, source_id, citation, level))
        if not hits:
            continue
        strong = any(h[4] in STRONG or h[2] == "literature" for h in hits)
        severity: Severity = "high" if strong else "moderate"
        labels: list[str] = []
        for s, *_ in hits:
            text = f"{s.gene} {s.short} in {s.where}"
            if text not in labels:
                labels.append(text)
        combos = sorted({h[1] for h in hits if len(_parts(h[1])) > 1})
        ids = []
        for h in hits:
            if h[2] not in ids:
                ids.append(h[2])
        levels = sorted({h[4] for h in hits if h[4]})
        summary = (
            f"{drug}: known resistance variant(s) present - {'; '.join(labels)}. "
            f"Evidence: {', '.join(i for i in ids if i != 'literature') or 'curated literature'}"
            + (f" (CIViC level {', '.join(levels)})" if levels else "")
            + (f"; includes evidence for the combination {', '.join(combos)}" if combos else "")
            + "."
        )
        sources: list[Source] = []
        for _, _, source_id, citation, level in hits:
            if source_id == "literature":
                src = Source("literature", kb.version, citation=citation)
            else:
                src = Source(
                    "CIViC",
                    kb.civic_release,
                    source_id,
                    citation=f"{citation}; level {level}" if level else citation,
                    url=CIVIC_URL + source_id[3:],
                )
            if src not in sources:
                sources.append(src)
        out.append(
            Finding(
                domain="oncology",
                code=f"oncology.resistance.{_slug(drug)}",
                title=f"Resistance variant for {drug}",
                severity=severity,
                summary=summary,
                subject=subject,
                recommendations=(
                    f"Review the {drug} order: the tumour carries a variant known to confer "
                    "resistance to it; see the tumour profile's therapy options.",
                ),
                evidence=tuple(
                    Evidence("variant", f"{s.gene} {s.short}", s.vaf, "fraction")
                    for s in {(h[0].gene, h[0].short): h[0] for h in hits}.values()
                ),
                sources=tuple(sources[:10]),
                limitations=(
                    "Resistance knowledge is matched by gene and protein change of the exact "
                    "variant; gene-level and copy-number resistance are not checked.",
                ),
                values={
                    "drug": drug,
                    "variants": ", ".join(dict.fromkeys(f"{h[0].gene} {h[0].short}" for h in hits)),
                    "best_level": min(levels) if levels else None,
                },
                knowledge={"oncology": kb.version},
            )
        )
    return out
