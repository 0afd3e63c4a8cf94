"""Oncology: somatic tumour profiles (AMP/ASCO/CAP tiers, therapy options with the
patient's germline PGx beside them, eligibility checks) and ctDNA serial monitoring.

Modules: :mod:`.read` / :mod:`.read_vcf` / :mod:`.read_ctdna` (inputs, validated at the
boundary), :mod:`.matching` and :mod:`.tiering` (knowledge → tiers), :mod:`.tumor` (the
tumour entry point), :mod:`.biomarkers`, :mod:`.pgx`, :mod:`.ctdna` (monitoring),
:mod:`.charts` (the VAF chart, drawn by :mod:`tailormed.charts`), :mod:`.output` (JSON +
schemas), :mod:`.findings` and :mod:`.sections` (the report parts), :mod:`.fhir`
(Genomics Reporting resources), :mod:`.documents` (record bodies) and :mod:`.cds`
(the resistance check behind the order-select card).
"""
