"""Helpers for the web UI tests: a seeded record database and the app that serves it.

``seed(url, keyring)`` builds a small world on an empty database:

* patient A ("Alex Example", MRN-A) with a stored result from the bundled example VCF
  (CYP2C19 *2/*2, a poor metabolizer: clopidogrel is actionable);
* patient B ("Blake Other", MRN-B) with the same kind of result;
* clinician C ("Dr Casey Clinician", clinic-a), whom A granted a treatment consent of
  scope ``all``;
* clinician D ("Dr Dana Doctor", clinic-d), with no consent from anyone (B consented to
  clinic-b, not D);
* a registrar clinician (registry) who registered A and B and enrolled them with codes
  they redeemed (``tokens["registrar"]``);
* an admin.

``build_app(world)`` is the service's ``create_app`` over that database;
``login(client, token)`` signs a TestClient in through the form.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tailormed.calling import CallOptions, call_files
from tailormed.knowledge import load_kb
from tailormed.pipeline import example_path
from tailormed.recommend import Interpretation, build_interpretation
from tailormed.record import (
    Actor,
    Keyring,
    PatientView,
    UploadInfo,
    add_result,
    bootstrap_admin,
    create_enrolment,
    create_patient,
    create_user,
    grant_consent,
    open_database,
    redeem_code,
    session_factory,
)
from tailormed.service.app import create_app
from tailormed.service.settings import Settings

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@cache
def example_interpretation() -> Interpretation:
    """The bundled example patient, called and interpreted once per test run."""
    kb = load_kb()
    callset = call_files([example_path("example-patient.vcf")], kb, CallOptions())
    return build_interpretation(callset.for_sample(callset.samples[0]), kb)


def example_upload() -> UploadInfo:
    data = example_path("example-patient.vcf").read_bytes()
    return UploadInfo("vcf", hashlib.sha256(data).hexdigest(), len(data), "example-patient.vcf")


@dataclass(frozen=True)
class World:
    url: str
    keyring: Keyring
    admin: Actor
    patient_a: uuid.UUID
    patient_b: uuid.UUID
    user_a: Actor
    user_b: Actor
    clin_c: Actor
    clin_d: Actor
    result_a: uuid.UUID
    result_b: uuid.UUID
    consent_c: uuid.UUID  # A's consent to C
    consent_b: uuid.UUID  # B's consent to clinic-b (an organisation D does not belong to)
    tokens: dict[str, str]  # "a", "b", "c", "d", "registrar", "admin"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the world's database (its own engine, disposed afterwards)."""
        engine = open_database(self.url, keyring=self.keyring)
        try:
            with session_factory(engine)() as s:
                yield s
        finally:
            engine.dispose()


def seed(url: str, keyring: Keyring) -> World:
    engine = open_database(url, keyring=keyring)
    try:
        with session_factory(engine)() as s:
            admin_view, admin_token = bootstrap_admin(s, organisation="ops")
            admin = admin_view.actor
            tokens = {"admin": admin_token}

            def clinician(key: str, name: str, org: str) -> Actor:
                view, issued = create_user(
                    s, admin, "operations", role="clinician", display_name=name, organisation=org
                )
                _, tokens[key] = redeem_code(s, issued.code)
                return view.actor

            registrar = clinician("registrar", "Rhea Registrar", "registry")

            def patient(key: str, name: str, mrn: str) -> tuple[PatientView, Actor]:
                view = create_patient(s, registrar, "treatment", display_name=name, external_id=mrn)
                issued = create_enrolment(s, registrar, "treatment", view.id)
                user, tokens[key] = redeem_code(s, issued.code)
                return view, user.actor

            pa, user_a = patient("a", "Alex Example", "MRN-A")
            pb, user_b = patient("b", "Blake Other", "MRN-B")
            clin_c = clinician("c", "Dr Casey Clinician", "clinic-a")
            clin_d = clinician("d", "Dr Dana Doctor", "clinic-d")
            interp = example_interpretation()
            ra = add_result(s, user_a, "treatment", pa.id, interp, example_upload())
            rb = add_result(s, user_b, "treatment", pb.id, interp, example_upload())
            ca = grant_consent(s, user_a, "treatment", pa.id, grantee_user_id=clin_c.user_id)
            cb = grant_consent(s, user_b, "treatment", pb.id, grantee_organisation="clinic-b")
    finally:
        engine.dispose()
    return World(
        url=url,
        keyring=keyring,
        admin=admin,
        patient_a=pa.id,
        patient_b=pb.id,
        user_a=user_a,
        user_b=user_b,
        clin_c=clin_c,
        clin_d=clin_d,
        result_a=ra.id,
        result_b=rb.id,
        consent_c=ca.id,
        consent_b=cb.id,
        tokens=tokens,
    )


def new_world(tmp: Path) -> World:
    return seed(f"sqlite:///{tmp / 'record.db'}", Keyring([secrets.token_bytes(32)]))


def build_app(world: World, *, public_url: str | None = None) -> FastAPI:
    """The service (``create_app``) over the world's database."""
    settings = Settings(database_url=world.url, keyring=world.keyring, public_url=public_url)
    return create_app(settings)


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


def login(client: TestClient, token: str, *, expect: int = 200) -> str:
    """Sign in through the form; returns the page the user lands on (HTML)."""
    page = client.get("/ui/login")
    assert page.status_code == 200
    landed = client.post("/ui/login", data={"token": token, "csrf_token": csrf_of(page.text)})
    assert landed.status_code == expect, landed.text
    return landed.text


def post_form(
    client: TestClient, page_url: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """GET ``page_url`` for its CSRF token, then POST ``data`` to ``action``."""
    page = client.get(page_url)
    assert page.status_code in (200, 201), page.text
    return client.post(action, data={**data, "csrf_token": csrf_of(page.text)})
