"""The published HTML opened in a real headless Chromium (Debian's), as a reviewer would."""

from __future__ import annotations

import os
import shutil

import pytest

from kpi_lib.runner.monthly import run_month

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
                  "DỮ LIỆU MẪU GIẢ LẬP", "Đánh giá chung", "9 tháng ước đạt 20.760,4 tỷ đồng",
                  "Ý kiến chuyên viên", "Tình hình theo đơn vị cấp xã", "Xã Đông Sơn"):
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


HOSTILE = {
    "name_vi": "Việc làm <script>window.__pwned = 1</script>",
    "source": '<img src=x onerror="window.__pwned = 2">',
    "group": "[bấm vào đây](javascript:window.__pwned=3)",
}


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """A catalog and data carrying markup where names and sources go."""
    import pandas as pd
    import yaml

    from .conftest import FIXTURES
    from .test_report import _other_data

    tmp = tmp_path_factory.mktemp("hostile")
    doc = yaml.safe_load((FIXTURES / "catalog_other.yaml").read_text(encoding="utf-8"))
    doc["indicators"][1]["name_vi"] = HOSTILE["name_vi"]
    doc["groups"][0]["name_vi"] = HOSTILE["group"]
    catalog = tmp / "catalog.yaml"
    catalog.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    data = _other_data(tmp)
    obs = pd.read_csv(data / "observations.csv")
    obs["source"] = HOSTILE["source"]
    obs.to_csv(data / "observations.csv", index=False)
    return run_month(as_of="latest", data=str(data), catalog=str(catalog), out=tmp / "reports")


def test_untrusted_text_is_shown_literally_and_never_runs(browser, hostile_report):
    html = hostile_report.html.read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in html and "onerror=\"window" not in html
    assert 'href="javascript:' not in html
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_report.html.as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate("() => window.__pwned === undefined")
    assert dialogs == []
    text = page.inner_text("body")
    assert HOSTILE["name_vi"] in text and HOSTILE["group"] in text
    page.close()


def test_track_record_page_renders_in_chromium(browser, report):
    """The track record is published with each monthly run as its own page, and the report
    carries its short section with a link to it."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.html.as_uri())
    page.wait_for_load_state("load")
    assert page.locator("#track-record").count() == 1
    page.click("a[href='track_record.html']")
    page.wait_for_load_state("load")
    assert page.url.endswith(f"{report.period}/track_record.html")
    text = page.inner_text("body")
    for words in ("Độ tin cậy của ước tính", "khoảng tin cậy 80%", "Điểm Brier",
                  "Xác suất đạt đã nêu", "Chi tiết từng lần ước tính", "Tổng giá trị sản xuất"):
        assert words in text, words
    assert page.locator("table.track-record").count() >= 3
    assert errors == []
    page.close()
