"""The published HTML opened in a real headless Chromium (Debian's), as a reviewer would."""

from __future__ import annotations

import os
import shutil

import pytest

from kpi_lib.report import run_month

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.browser

if not CHROMIUM:
    if os.environ.get("CI"):
        raise RuntimeError("CI must have Debian's chromium (.ci/run installs it)")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium); CI installs it",
                allow_module_level=True)

ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return run_month(as_of="latest", out=tmp_path_factory.mktemp("reports"))


def test_report_renders_in_chromium(browser, report, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.html.as_uri())
    page.wait_for_load_state("load")
    assert errors == []
    images = page.evaluate("""() => Array.from(document.images).map(
        i => [i.complete, i.naturalWidth])""")
    assert len(images) >= 4 and all(done and width > 0 for done, width in images)
    assert page.locator("table.kpi-table").count() >= 5
    text = page.inner_text("body")
    for words in ("Bảng tổng hợp chỉ tiêu", "Đánh giá", "Có nguy cơ không đạt", "Tổng giá trị sản xuất",
                  "DỮ LIỆU MẪU GIẢ LẬP"):
        assert words in text
    page.click("a[href='#focus']")  # the contents work
    shot = tmp_path / "monthly_report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    page.close()


def test_index_page_links_to_the_report(browser, report):
    page = browser.new_page()
    page.goto((report.folder.parent / "index.html").as_uri())
    page.click(f"text={report.period}")
    page.wait_for_load_state("load")
    assert page.url.endswith(f"{report.period}/monthly_report.html")
    page.close()
