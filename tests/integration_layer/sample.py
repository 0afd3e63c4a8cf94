"""A small section of a made-up domain result (generic: no domain code is imported)."""

from __future__ import annotations

from tailormed.findings import Coding, Evidence, Figure, Finding, Section, Source, Table

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
    '<rect x="0" y="10" width="60" height="20" fill="#b42318"/><text x="64" y="26">7.2 %</text>'
    "</svg>"
)


def section(subject: str = "S1") -> Section:
    high = Finding(
        domain="cardio",
        code="cardio.statin",
        title="Statin decision",
        severity="high",
        summary="Start a moderate-intensity statin <now>.",
        subject=subject,
        patient_summary="A cholesterol-lowering medicine is advised.",
        recommendations=("Rosuvastatin 5-10 mg daily.",),
        evidence=(Evidence("measurement", "LDL-C", 160, "mg/dL"),),
        sources=(
            Source("Guideline", "2026", citation="Circulation 2026", url="https://example.org/g"),
        ),
        limitations=("Not validated under age 30.",),
        values={"intensity": "moderate", "statin_indicated": True},
    )
    info = Finding(
        domain="cardio",
        code="cardio.pce",
        title="PCE 10-year risk",
        severity="info",
        summary="PCE 10-year ASCVD risk 5.4 %.",
        subject=subject,
        codes=(Coding("http://loinc.org", "79423-0", "10-year ASCVD risk"),),
        values={"ascvd_10yr_percent": 5.38, "equation": "white_male"},
        knowledge={"cardio": "k-1"},
    )
    return Section(
        domain="cardio",
        title="Cardiovascular risk",
        subject=subject,
        findings=(info, high),
        tables=(
            Table(
                "Risk", ("model", "percent"), (("PCE", 5.38),), caption="unrounded", audience="both"
            ),
            Table("Clinician only", ("a",), (("secret-table",),)),
        ),
        figures=(Figure("Risk chart", SVG, "Bar chart: PCE 5.4 %", audience="both"),),
        limitations=("Section limitation.",),
        knowledge={"cardio": "k-1"},
    )
