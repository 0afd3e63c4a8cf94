"""Digital-health pages: a patient answers a PHQ-9 with item 9 above 0 and sees crisis
resources at once; the consented clinician sees the alert on the dashboard and
acknowledges it; charts and device tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tailormed.digital.models import Observations
from tailormed.record import add_medication
from tailormed.record import digital as rd
from tests.record.test_digital_record import hr
from tests.service.ui_support import World, build_app, login, new_world, post_form


@pytest.fixture
def world(tmp_path: Path) -> World:
    return new_world(tmp_path)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(build_app(world)) as c:
        yield c


def phq9(item9: str) -> dict[str, str]:
    return {f"item-{n}": "0" for n in range(1, 9)} | {"item-9": item9}


def test_phq9_item9_crisis_then_dashboard_acknowledge(world: World, client: TestClient) -> None:
    login(client, world.tokens["a"])
    form = client.get("/ui/me/questionnaires/PHQ-9")
    assert form.status_code == 200 and form.text.count('type="radio"') == 36
    # an incomplete form is refused, nothing stored
    r = post_form(
        client,
        "/ui/me/questionnaires/PHQ-9",
        "/ui/me/questionnaires/PHQ-9",
        {"item-1": "1"},
    )
    assert r.status_code == 400 and "missing: 2, 3" in r.text
    r = post_form(client, "/ui/me/questionnaires/PHQ-9", "/ui/me/questionnaires/PHQ-9", phq9("1"))
    assert r.status_code == 201
    assert 'role="alert"' in r.text and "988" in r.text and "911" in r.text
    assert "none-minimal" in r.text  # total 1, yet the safety path ran
    health = client.get("/ui/me/health")
    assert "988" in health.text and "Urgent" in health.text
    client.cookies.clear()
    login(client, world.tokens["c"])
    board = client.get("/ui/alerts")
    assert board.status_code == 200
    assert "Alex Example" in board.text and "PHQ-9 item 9" in board.text
    with world.session() as s:
        [alert] = rd.list_alerts(s, world.clin_c, "treatment", world.patient_a, open_only=True)
    r = post_form(
        client,
        "/ui/alerts",
        f"/ui/patients/{world.patient_a}/alerts/{alert.id}/acknowledge",
        {"note": "called, safe", "back": "dashboard"},
    )
    assert r.status_code == 200 and "No open alerts" in r.text
    page = client.get(f"/ui/patients/{world.patient_a}/digital")
    assert "acknowledged" in page.text and "called, safe" in page.text
    # clinician D has no consent: no dashboard rows, no page
    client.cookies.clear()
    login(client, world.tokens["d"])
    assert "Alex Example" not in client.get("/ui/alerts").text
    assert client.get(f"/ui/patients/{world.patient_a}/digital").status_code == 403


def test_trend_charts_and_device_tokens(world: World, client: TestClient) -> None:
    d0 = (date(2025, 1, 1) - date(1970, 1, 1)).days
    with world.session() as s:
        add_medication(
            s,
            world.user_a,
            "treatment",
            world.patient_a,
            name="sertraline",
            started_on=date(2025, 1, 20),
        )
        rd.import_observations(
            s,
            world.user_a,
            "treatment",
            world.patient_a,
            Observations((hr(d0, 28, 300, 60.0),)),
            content_sha256="f" * 64,
        )
    login(client, world.tokens["c"])
    page = client.get(f"/ui/patients/{world.patient_a}/digital")
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in page.text and "Heart rate" in page.text
    assert "sertraline 2025-01-20" in page.text
    assert "Questionnaire schedule" in page.text and "overdue" in page.text
    # a clinician records a start: unknown names are refused, known ones are stored
    r = post_form(
        client,
        f"/ui/patients/{world.patient_a}/digital",
        f"/ui/patients/{world.patient_a}/medication-starts",
        {"name": "notadrugzzz", "started_on": "2025-02-01"},
    )
    assert r.status_code == 400 and "not recognised" in r.text
    r = post_form(
        client,
        f"/ui/patients/{world.patient_a}/digital",
        f"/ui/patients/{world.patient_a}/medication-starts",
        {"name": "atorvastatin 20 mg", "started_on": "2025-02-01"},
    )
    assert r.status_code == 200 and "atorvastatin 2025-02-01" in r.text
    client.cookies.clear()
    login(client, world.tokens["a"])
    health = client.get("/ui/me/health")
    assert "Your PHQ-9 was due on 2025-01-20" in health.text  # the baseline, not answered
    r = post_form(client, "/ui/me/health", "/ui/me/devices", {"label": "My watch"})
    assert r.status_code == 201 and "tmd_" in r.text and "My watch" in r.text
