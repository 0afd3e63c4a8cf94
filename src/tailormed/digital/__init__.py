"""Digital health: wearable data and patient-reported outcomes, and care rules that act on them.

Data flows one way: :mod:`.read` (Fitbit CSVs, Open mHealth, FHIR R4 Observations and
QuestionnaireResponses, Apple Health ``export.xml``; validated at the boundary) →
:mod:`.models` (:class:`~.models.Series`: NumPy arrays of UTC instants, offsets, values in
UCUM units and idempotency keys) → :mod:`.aggregate` (per-day table) and :mod:`.pro`
(PHQ-9, PHQ-2, GAD-7 questionnaires and scoring) → :mod:`.rules` (the care rules of the
``digital`` knowledge bundle, incremental :class:`~.rules.Engine`, typed alerts, with the
PGx context of :mod:`.context`) → :mod:`.findings` (shared ``Finding`` objects) and
:mod:`.charts` (SVG trends). :mod:`.run` ties them together for ``tailormed digital``.
"""
