"""FHIR R4 output and input: HL7 Genomics Reporting IG 3.0.0 bundles for one sample.

:func:`export_bundle` turns an :class:`~tailormed.recommend.models.Interpretation` into a
``collection`` Bundle (GenomicReport, Genotype and TherapeuticImplication Observations,
MedicationRecommendation Tasks), each resource validated with ``fhir.resources.R4B``;
:func:`write_bundle` writes it atomically. :func:`import_bundle` / :func:`read_bundle`
read Genotype observations back (ours or another sender's) as outside
:class:`~tailormed.calling.models.GeneCall` objects for the phenotype stage.

This package depends on the calling, phenotype and recommendation models only (and on
``fhir.resources``); it never reads the knowledge base.
"""

from tailormed.fhir.export import export_bundle, write_bundle
from tailormed.fhir.importer import IMPORT_WARNING, import_bundle, read_bundle

__all__ = ["IMPORT_WARNING", "export_bundle", "import_bundle", "read_bundle", "write_bundle"]
