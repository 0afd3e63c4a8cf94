"""Cardiovascular genetic risk: polygenic scores, clinical risk, familial hypercholesterolaemia.

Modules: :mod:`.prs` (PGS Catalog scores on VCF/BCF, allele matching, ancestry-aware
percentiles), :mod:`.risk` (AHA PREVENT and the 2013 Pooled Cohort Equations), :mod:`.fh`
(monogenic FH variants and the Dutch Lipid Clinic Network score), :mod:`.decision` (the
2026 ACC/AHA dyslipidemia category with the CPIC statin guideline) and :mod:`.findings`
(results as shared :class:`~tailormed.findings.Finding` objects). Knowledge comes from the
``cardio`` bundle (:class:`tailormed.knowledge.cardio.CardioKnowledge`).
"""
