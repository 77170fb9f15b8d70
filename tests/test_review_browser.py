"""The campaign review pages opened in a real headless Chromium (Debian's), as a reviewer would."""

from __future__ import annotations

import os
import shutil
from datetime import date

import pytest

from kpi_lib.common.paths import SAMPLE_DIR
from kpi_lib.runner.review import run_review

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


def test_mid_year_review_renders_in_chromium(browser, tmp_path):
    review = run_review(as_of="2025-06", data=str(SAMPLE_DIR), out=tmp_path, use_ets=False,
                        today=date(2025, 7, 10))
    for page_path, words in (
            (review.html, ("Sơ kết 6 tháng đầu năm 2025", "Cụm thi đua số 1 (phía Bắc)",
                           "Cụm thi đua số 3 (phía Tây)", "đồng hạng", "Đề nghị khen thưởng",
                           "Cách tính điểm và xếp hạng (công khai)", "DỮ LIỆU MẪU GIẢ LẬP")),
            (review.departments, ("Chỉ tiêu theo phòng, ban chủ trì", "Công an huyện"))):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m, seen=errors: seen.append(m.text) if m.type == "error"
                else None)
        page.on("pageerror", lambda e, seen=errors: seen.append(str(e)))
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        assert errors == []
        text = page.inner_text("body")
        for w in words:
            assert w in text
        assert page.locator("table.kpi-table").count() >= 2
        # Status colours reach the page (the first cell of a judged row has its colour bar).
        assert page.locator("td.st").count() > 0
        shot = tmp_path / f"{page_path.stem}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000
        page.close()
    page = browser.new_page()
    page.goto(review.html.as_uri())
    page.click("nav a[href='#s3']")  # the contents work
    assert page.evaluate("() => location.hash") == "#s3"
