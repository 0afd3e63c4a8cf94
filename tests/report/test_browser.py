"""The HTML report in a real browser: headless Chromium renders it, we look at the pixels.

Needs the Debian package ``chromium`` (scripts/system-packages.txt). Under CI a missing
browser fails the test; elsewhere it is skipped with a loud reason.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tailormed.report import write_html
from tailormed.report.schema import Report
from tests.report.builders import need

WIDTH, HEIGHT = 1280, 2000


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    need("chromium", "apt-get install -y chromium")
    raise AssertionError("unreachable")


def run_chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
        page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def page(report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_html(report, tmp_path_factory.mktemp("browser") / "report.html")


def test_screenshot_is_a_real_rendering(page: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    done = run_chromium(
        page, tmp_path / "profile", f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}"
    )
    assert png.exists(), f"no screenshot; chromium said: {done.stderr[-2000:]}"
    with Image.open(png) as im:
        assert im.format == "PNG"
        assert im.size == (WIDTH, HEIGHT)
        rgb = im.convert("RGB")
    small = rgb.resize((WIDTH // 4, HEIGHT // 4))
    raw = small.tobytes()  # RGB triples, row by row
    pixels = list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))
    colours = set(pixels)
    assert len(colours) > 50, "the page looks blank or flat"
    white = sum(1 for p in pixels if min(p) >= 245)
    assert white < 0.9 * len(pixels), "almost everything is white"
    # the masthead is drawn in the brand colour (#18416b) across the top of the page
    r, g, b = pixels[5 * small.width + small.width // 2]
    assert b > r + 40 and b > 80 and r < 60, f"masthead not rendered: {(r, g, b)}"
    # status tiles: the actionable tile is tinted red, the no-change tile green
    assert any(r > g + 60 and r > b + 60 for r, g, b in colours), "no red (actionable)"
    assert any(g > r + 30 and g > b + 10 for r, g, b in colours), "no green (no change)"


def test_dom_has_key_elements(page: Path, tmp_path: Path) -> None:
    done = run_chromium(page, tmp_path / "profile", "--dump-dom")
    dom = done.stdout
    assert dom, f"empty DOM; chromium said: {done.stderr[-2000:]}"
    assert 'id="gene-table"' in dom and '<th scope="row">CYP2C19</th>' in dom
    assert 'id="patient-heading"' in dom and "Your results in plain language" in dom
    assert 'id="limitations"' in dom and 'id="variant-table"' in dom
    assert "<script" not in dom.lower()
