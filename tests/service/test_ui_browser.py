"""The web UI in a real browser: Playwright driving Debian's Chromium against uvicorn.

The server runs in a thread on 127.0.0.1 (a free port), over a temporary SQLite record
seeded by :mod:`tests.service.ui_support` (the bundled example patient's result, a
consented clinician). Screenshots go to ``$TAILORMED_UI_SCREENSHOTS`` (default: a
temporary folder) and are checked: PNG of the expected size, many colours, the brand
colour present (so the stylesheet loaded under the CSP).

No browser is downloaded: the tests need the ``playwright`` package and
``/usr/bin/chromium``. Without them they are skipped loudly, and fail under ``CI``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from PIL import Image

from tailormed.pipeline import example_path
from tests.service.ui_support import World, build_app, new_world

EXAMPLE_VCF = example_path("example-patient.vcf")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
BRAND = (0x0B, 0x5D, 0x7A)  # --brand in ui.css: the header bar


class BrowserUnavailableWarning(UserWarning):
    """The browser tests of the web UI did not run."""


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _require_browser() -> Any:
    problem = None
    try:
        from playwright import sync_api
    except ImportError:
        problem = "the playwright package is not installed (.venv/bin/pip install playwright)"
    if problem is None and not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (Debian package chromium)"
    if problem is not None:
        msg = f"!!! web UI browser tests NOT RUN: {problem} !!!"
        if _in_ci():
            pytest.fail(msg + " (CI is set: this is a failure, not a skip)")
        warnings.warn(msg, BrowserUnavailableWarning, stacklevel=2)
        pytest.skip(msg)
    return sync_api


@dataclass(frozen=True)
class Server:
    url: str
    world: World


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require_browser()
    world = new_world(tmp_path_factory.mktemp("ui-record"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(build_app(world), log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}", world)
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = _require_browser()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("TAILORMED_UI_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("ui-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Tab:
    """A fresh browser context and page that records console errors (CSP violations...)."""

    def __init__(self, browser: Any, server: Server, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport, device_scale_factor=1)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.server, self.viewport = server, viewport
        self.errors: list[str] = []
        # on the context, so pages it opens (the report tab) are watched too
        self.context.on(
            "console", lambda m: self.errors.append(m.text) if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def go(self, path: str) -> Any:
        return self.page.goto(self.server.url + path)

    def login(self, who: str) -> None:
        self.go("/ui/login")
        self.page.get_by_label("Access token").fill(self.server.world.tokens[who])
        self.page.get_by_role("button", name="Sign in").click()

    def shot(self, folder: Path, name: str, *, full_page: bool = True) -> Path:
        path = folder / name
        self.page.screenshot(path=str(path), full_page=full_page)
        check_screenshot(path, self.viewport["width"], self.viewport["height"], exact=not full_page)
        return path

    def close(self) -> None:
        # 403/401 answers are logged by Chromium as failed resource loads; nothing else may be.
        unexpected = [e for e in self.errors if "status of 40" not in e]
        self.context.close()
        assert unexpected == [], unexpected


def check_screenshot(path: Path, width: int, height: int, *, exact: bool) -> None:
    """A PNG of the viewport's width (and height, or taller for full pages), not blank."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert img.width == width
        assert img.height == height if exact else img.height >= height
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 50, f"{path.name}: only {len(colours)} colours: blank or unstyled?"
    assert any(rgb == BRAND for _, rgb in colours), f"{path.name}: no header: CSS not applied?"


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


# ------------------------------------------------------------------ patient
def test_patient_results_consent_and_share(browser: Any, server: Server, shots: Path) -> None:
    tab = Tab(browser, server, DESKTOP)
    page = tab.page
    tab.login("a")
    page.wait_for_url("**/ui/me")
    page.get_by_role("heading", name="Your results at a glance").wait_for()
    assert page.get_by_role("heading", name="CYP2C19").is_visible()
    assert page.get_by_text(
        "Your body likely breaks down some medicines much more slowly"
    ).first.is_visible()
    assert page.get_by_role("heading", name="Clopidogrel").is_visible()
    assert page.get_by_text("Knowledge base", exact=False).first.is_visible()
    tab.shot(shots, "patient-results.png")

    # the full report opens under its own CSP (inline CSS, no script) without violations
    with tab.context.expect_page() as opened:
        page.get_by_role("link", name="Open the full report").click()
    report = opened.value
    report.wait_for_load_state()
    assert "*2/*2" in report.content()
    # the inline stylesheet applied (CSP allows it): body margin 0, not Chromium's 8px
    assert report.evaluate("getComputedStyle(document.body).margin") == "0px"
    report.close()

    # grant a consent by clicking, then revoke it
    page.get_by_role("link", name="Who can see my results").click()
    page.get_by_label("an organisation").fill("Riverside Pharmacy")
    page.get_by_label("What they may see").select_option("reports")
    page.get_by_role("button", name="Give consent").click()
    page.get_by_text("Consent granted.").wait_for()
    current = page.locator("ul.consents").first
    assert "Riverside Pharmacy" in current.inner_text()
    tab.shot(shots, "patient-access.png")
    page.get_by_role("button", name="Revoke consent for Riverside Pharmacy").click()
    page.get_by_text("Consent revoked.").wait_for()
    assert "Riverside Pharmacy" not in page.locator("ul.consents").first.inner_text()
    assert "Riverside Pharmacy" in page.locator("ul.consents.past").inner_text()

    # make a share link; it opens in a browser with no account (the code is in the fragment)
    page.get_by_role("link", name="Share").click()
    page.get_by_label("Works for").select_option("1")
    page.get_by_role("button", name="Make link").click()
    link = page.get_by_role("textbox", name="Share link").input_value()
    assert "/ui/shared#" in link
    tab.shot(shots, "patient-share.png")
    tab.close()

    stranger = Tab(browser, server, DESKTOP)
    stranger.page.goto(link)
    stranger.page.get_by_role("heading", name="Shared pharmacogenomic results").wait_for()
    assert "#" not in stranger.page.url  # the code was taken out of the address bar
    assert stranger.page.get_by_role("cell", name="*2/*2").first.is_visible()
    stranger.shot(shots, "shared-link.png")
    stranger.close()


def test_patient_results_on_a_phone(browser: Any, server: Server, shots: Path) -> None:
    tab = Tab(browser, server, PHONE)
    tab.login("a")
    tab.page.wait_for_url("**/ui/me")
    assert _no_horizontal_scroll(tab.page)
    tab.shot(shots, "patient-results-phone.png", full_page=False)
    tab.close()


# ------------------------------------------------------------------ clinician
def test_clinician_reviews_clopidogrel(browser: Any, server: Server, shots: Path) -> None:
    tab = Tab(browser, server, DESKTOP)
    page = tab.page
    tab.login("c")
    page.wait_for_url("**/ui/patients")
    tab.shot(shots, "clinician-patients.png")
    page.get_by_role("link", name="Alex Example").click()
    page.get_by_role("heading", name="Gene results").wait_for()
    row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="CYP2C19", exact=True)
    )
    assert "*2/*2" in row.inner_text() and "Poor Metabolizer" in row.inner_text()
    page.get_by_label("Medications, one a line").fill("clopidogrel 75 mg daily\nsimvastatin 20 mg")
    page.get_by_role("button", name="Review medications").click()
    table = page.locator("#review-results")
    table.wait_for()
    clop = table.get_by_role("row").filter(has_text="clopidogrel 75 mg daily")
    assert "Actionable" in clop.inner_text()
    assert "Avoid clopidogrel" in clop.inner_text()
    simva = table.get_by_role("row").filter(has_text="simvastatin 20 mg")
    assert "No change" in simva.inner_text()
    table.scroll_into_view_if_needed()
    tab.shot(shots, "clinician-review.png")
    tab.shot(shots, "clinician-review-viewport.png", full_page=False)
    tab.close()


def test_clinician_without_consent_sees_403(browser: Any, server: Server, shots: Path) -> None:
    tab = Tab(browser, server, PHONE)
    tab.login("d")
    tab.page.wait_for_url("**/ui/patients")
    response = tab.go(f"/ui/patients/{server.world.patient_a}")
    assert response.status == 403
    assert tab.page.get_by_role("heading", name="No consent").is_visible()
    assert "Alex" not in tab.page.content()
    assert _no_horizontal_scroll(tab.page)
    tab.shot(shots, "no-consent-phone.png", full_page=False)
    tab.close()


# ------------------------------------------------------ enrolment, upload, consent by name
def test_clinician_registers_patient_who_enrols_and_uploads(
    browser: Any, server: Server, shots: Path
) -> None:
    clinic = Tab(browser, server, DESKTOP)
    page = clinic.page
    clinic.login("c")
    page.wait_for_url("**/ui/patients")
    page.get_by_label("Patient's name").fill("Robin Newcomer")
    page.get_by_label("Medical record number (optional)").fill("MRN-R")
    page.get_by_label("may see and add to their record").check()
    page.get_by_role("button", name="Register and get the enrolment code").click()
    code = page.locator("#enrolment-code").inner_text().strip()
    assert len(code) == 19 and code.count("-") == 3
    clinic.shot(shots, "clinician-enrolment-code.png")
    clinic.close()

    patient = Tab(browser, server, PHONE)
    page = patient.page
    patient.go("/ui/login")
    page.get_by_role("link", name="Enrol with a code").click()
    page.get_by_label("Code").fill(code.lower())
    page.get_by_role("button", name="Enrol").click()
    page.get_by_role("heading", name="Your account is ready").wait_for()
    assert len(page.locator("#new-token").inner_text().strip()) > 40
    assert _no_horizontal_scroll(page)
    patient.shot(shots, "patient-enrolled-phone.png", full_page=False)
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url("**/ui/me")
    assert "no test results" in page.content()

    # the patient uploads their own genome; the result appears
    page.get_by_label("What kind of file").select_option("vcf")
    page.get_by_label("File", exact=True).set_input_files(str(EXAMPLE_VCF))
    page.get_by_role("button", name="Upload and analyse").click()
    page.get_by_text("result added to the record").wait_for()
    page.get_by_role("heading", name="Your results at a glance").wait_for()
    assert page.get_by_role("heading", name="CYP2C19").is_visible()
    patient.shot(shots, "patient-uploaded-phone.png", full_page=False)
    patient.close()


def test_patient_gives_consent_by_choosing_a_clinician_by_name(
    browser: Any, server: Server, shots: Path
) -> None:
    tab = Tab(browser, server, DESKTOP)
    page = tab.page
    tab.login("b")
    page.wait_for_url("**/ui/me")
    page.get_by_role("link", name="Who can see my results").click()
    page.get_by_label("Find a clinician by name").fill("dana")
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_label("Dr Dana Doctor").check()
    tab.shot(shots, "patient-consent-by-name.png")
    page.get_by_role("button", name="Give consent").click()
    page.get_by_text("Consent granted.").wait_for()
    current = page.locator("ul.consents").first.inner_text()
    assert "Dr Dana Doctor" in current
    assert str(server.world.clin_d.user_id) not in current
    tab.close()

    clinician = Tab(browser, server, DESKTOP)
    clinician.login("d")
    clinician.page.wait_for_url("**/ui/patients")
    clinician.page.get_by_role("link", name="Blake Other").click()
    clinician.page.get_by_role("heading", name="Gene results").wait_for()
    clinician.close()


# ------------------------------------------------------------------ rare disease
def _add_term(page: Any, words: str, label: str, how: str) -> None:
    box = page.get_by_label("Words of the term's name or a synonym")
    box.fill(words)
    box.press("Enter")  # the Search button is the form's first: Enter searches
    page.get_by_role("button", name=f"Add {label} as {how}").click()
    page.get_by_text("Not saved yet").wait_for()


def test_clinician_enters_a_rare_disease_phenotype_and_ranks(
    browser: Any, server: Server, shots: Path
) -> None:
    """Find HPO terms by words of a synonym (Enter searches), add them as present or absent,
    save, read the differential diagnosis; on a phone the page does not scroll sideways."""
    tab = Tab(browser, server, DESKTOP)
    page = tab.page
    tab.login("c")
    page.wait_for_url("**/ui/patients")
    page.get_by_role("link", name="Alex Example").click()
    page.get_by_role("link", name="Rare-disease phenotype").click()
    page.get_by_role("heading", name="Rare-disease phenotype").wait_for()
    # hp.obo: "Spider fingers" is a synonym of HP:0001166 Arachnodactyly
    _add_term(page, "spider fingers", "Arachnodactyly", "present")
    _add_term(page, "ectopia lent", "Ectopia lentis", "present")
    _add_term(page, "aortic root aneurysm", "Aortic root aneurysm", "absent")
    page.get_by_label("Sex").select_option("FEMALE")
    tab.shot(shots, "rare-phenotype-entry.png")
    page.get_by_role("button", name="Save and rank").click()
    page.get_by_text("Phenotype saved and ranked.").wait_for()
    page.get_by_role("heading", name="Differential diagnosis", exact=True).wait_for()
    table = page.locator(".table-wrap[aria-label='Differential diagnosis']")
    assert "FBN1" in table.inner_text()
    terms = page.get_by_role("region", name="HPO terms of the case").inner_text()
    assert "HP:0002616" in terms and "excluded" in terms
    tab.shot(shots, "rare-differential.png")
    tab.close()

    phone = Tab(browser, server, PHONE)
    phone.login("c")
    phone.page.wait_for_url("**/ui/patients")
    phone.go(f"/ui/patients/{server.world.patient_a}/phenotype")
    phone.page.get_by_role("heading", name="Differential diagnosis", exact=True).wait_for()
    assert _no_horizontal_scroll(phone.page)
    phone.shot(shots, "rare-phenotype-phone.png", full_page=False)
    phone.close()
