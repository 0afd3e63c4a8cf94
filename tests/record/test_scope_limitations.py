"""A consent or share limited to some genes must not leak other genes through limitations.

Limitations are plain sentences ("CYP2D6: no call (...)", "Not tested: HLA-B, ...").
A reader whose scope is ``genes`` sees only the sentences about their genes and the ones
that name no gene at all (knowledge-base dates); a sentence naming any other gene is
withheld, wherever the result is read (results, export, share links), and one closing
sentence says that some were withheld, so the cut is never silent.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy.orm import Session

from tailormed.record import (
    WITHHELD_LIMITATIONS,
    add_result,
    clock,
    create_share,
    export_patient,
    grant_consent,
    list_results,
    resolve_share,
)
from tests.record import builders
from tests.record.conftest import World

KB_DATES = "Guideline recommendations are the ClinPGx annotations as of 2024-05-29."
OWN_GENE = "CYP2C19: 2 defining position(s) missing from the input (chr10:94781859)."
OTHER_GENES = (
    "CYP2D6 structural variants not assessed from VCF (CYP2D6 not tested).",
    "Not tested: CYP2D6, HLA-B, MT-RNR1. Drugs whose guidelines need these genes ...",
    "HLA-B: no call (outside call missing).",
    "CYP2C9: phenotype Indeterminate (allele *61 has no function assigned).",
    "DPYD: 83 defining position(s) missing from the input (chr1:97078987).",
)


def _result_with_limitations(session: Session, world: World) -> None:
    interp = dataclasses.replace(
        builders.interpretation(), limitations=(OWN_GENE, *OTHER_GENES, KB_DATES)
    )
    add_result(session, world.user_a, "treatment", world.pat_a, interp, builders.upload())


def test_genes_consent_hides_limitations_about_other_genes(session: Session, world: World) -> None:
    _result_with_limitations(session, world)
    grant_consent(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        grantee_user_id=world.clin_a.user_id,
        scope="genes",
        genes=["CYP2C19"],
    )
    (res,) = list_results(session, world.clin_a, "treatment", world.pat_a)
    assert res.interpretation.limitations == (OWN_GENE, KB_DATES, WITHHELD_LIMITATIONS)
    exported = export_patient(session, world.clin_a, "treatment", world.pat_a)
    shown = exported["results"][0]["interpretation"]["limitations"]
    assert shown == [OWN_GENE, KB_DATES, WITHHELD_LIMITATIONS]
    for word in ("CYP2D6", "HLA-B", "MT-RNR1", "CYP2C9", "DPYD"):
        assert word not in str(exported["results"]), word


def test_genes_share_hides_limitations_about_other_genes(session: Session, world: World) -> None:
    _result_with_limitations(session, world)
    _, token = create_share(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        expires_at=clock.utcnow() + timedelta(days=1),
        scope="genes",
        genes=["CYP2C9", "HLA-B"],
    )
    shown = resolve_share(session, token)["results"][0]["interpretation"]["limitations"]
    assert shown == [OTHER_GENES[2], OTHER_GENES[3], KB_DATES, WITHHELD_LIMITATIONS]


def test_full_and_reports_scopes_keep_every_limitation(session: Session, world: World) -> None:
    _result_with_limitations(session, world)
    everything = (OWN_GENE, *OTHER_GENES, KB_DATES)
    (own,) = list_results(session, world.user_a, "treatment", world.pat_a)
    assert own.interpretation.limitations == everything
    grant_consent(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        grantee_user_id=world.clin_b.user_id,
        scope="reports",
    )
    (res,) = list_results(session, world.clin_b, "treatment", world.pat_a)
    assert res.interpretation.limitations == everything
