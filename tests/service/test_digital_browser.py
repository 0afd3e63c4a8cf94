"""Digital health in a real browser (Playwright + Debian Chromium, as test_ui_browser):
the patient answers a PHQ-9 with item 9 above 0 and sees crisis resources at once; the
consented clinician sees the alert on the dashboard and acknowledges it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tailormed.digital.read import read_files
from tailormed.pipeline import example_path
from tailormed.record import digital as rd
from tests.service.test_ui_browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    PHONE,
    Server,
    Tab,
    _no_horizontal_scroll,
    browser,
    server,
    shots,
)


def test_phq9_item9_crisis_and_clinician_acknowledges(
    browser: Any,  # noqa: F811
    server: Server,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    world = server.world
    files = [example_path(f"example-fitbit-{n}.csv") for n in ("dailyActivity", "sleepDay")]
    with world.session() as s:
        rd.import_observations(
            s,
            world.user_a,
            "treatment",
            world.patient_a,
            read_files(files, "8378563200", "America/Chicago"),
            content_sha256=rd.content_hash(f.read_bytes() for f in files),
        )
    tab = Tab(browser, server, PHONE)
    page = tab.page
    tab.login("a")
    page.wait_for_url("**/ui/me")
    page.get_by_role("link", name="My health").click()
    page.get_by_role("heading", name="My health").wait_for()
    charts = page.locator("figure.chart img")
    assert charts.count() == 2  # steps and sleep of the bundled month
    assert "Daily steps from 2016-04-12" in (charts.first.get_attribute("alt") or "")
    assert charts.first.evaluate("img => img.naturalWidth") > 0  # the SVG rendered
    assert _no_horizontal_scroll(page)
    tab.shot(shots, "digital-my-health.png")
    page.get_by_role("link", name="Answer the PHQ-9").click()
    page.get_by_role("heading", name="PHQ-9", exact=False).first.wait_for()
    for n in range(1, 9):
        page.locator(f'input[name="item-{n}"][value="0"]').check()
    page.locator('input[name="item-9"][value="1"]').check()  # "Several days"
    assert _no_horizontal_scroll(page)
    page.get_by_role("button", name="Send my answers").click()
    crisis = page.get_by_role("alert")
    crisis.wait_for()
    assert "988" in crisis.inner_text() and "911" in crisis.inner_text()
    assert crisis.bounding_box()["y"] < PHONE["height"]  # seen at once, above the fold
    tab.shot(shots, "digital-phq9-crisis.png", full_page=False)
    tab.close()

    tab = Tab(browser, server, DESKTOP)
    page = tab.page
    tab.login("c")
    page.get_by_role("link", name="Alerts").click()
    page.get_by_role("heading", name="Alerts").wait_for()
    row = page.get_by_role("row").filter(has_text="Alex Example")
    assert "PHQ-9 item 9" in row.inner_text() and "Urgent" in row.inner_text()
    tab.shot(shots, "digital-dashboard.png")
    row.get_by_label("Note (optional)").fill("Phoned the patient; safety plan agreed")
    row.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("No open alerts").wait_for()
    page.goto(server.url + f"/ui/patients/{server.world.patient_a}/digital")
    assert page.get_by_text("Phoned the patient; safety plan agreed").is_visible()
    tab.shot(shots, "digital-patient.png")
    tab.close()
