"""The published HTML opened in a real headless Chromium (Debian's), as a reviewer would."""

from __future__ import annotations

import os
import shutil

import pytest

from kpi_lib.common.paths import PROJECT_ROOT
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
def report(sample_report):
    return sample_report


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
    for words in ("Bảng tổng hợp các chỉ số", "Đánh giá", "Có nguy cơ không đạt", "Tổng giá trị sản xuất",
                  "DỮ LIỆU MẪU GIẢ LẬP", "Đánh giá chung", "9 tháng ước đạt 20.760,4 tỷ đồng",
                  "Ý kiến chuyên viên", "Tình hình theo đơn vị cấp xã", "Xã Đông Sơn"):
        assert words in text
    page.click("a[href='#focus']")  # the contents work
    shot = tmp_path / "monthly_report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    page.close()


def test_index_page_links_to_the_report(browser, report):
    """Months read as the report's title reads them, not as folder names."""
    page = browser.new_page()
    page.goto((report.folder.parent / "index.html").as_uri())
    text = page.inner_text("body")
    assert "Tháng 9/2025" in text and report.period not in text
    page.click("text=9 tháng đầu năm 2025")
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


# ---------------------------------------------------------------- every page, both widths
WIDTHS = (1366, 390)
# English a reviewer must never meet in a Vietnamese page (what leaked before: "data
# directory", "use_ets = True", "chosen", bare "ETS"). Code, file names and checksums in
# <code> are left out of the check.
ENGLISH = {"the", "and", "data", "directory", "chosen", "estimate", "target", "targets",
           "status", "latest", "month", "months", "figure", "figures", "none", "true", "false",
           "ets", "method", "methods", "report", "missing", "late", "unknown", "provisional",
           "judged", "trend", "from", "with", "track", "risk", "achieved", "missed", "interval",
           "probability", "range", "same", "period", "ceiling", "final", "scheduled",
           "obtained", "history", "backtest", "share", "seasonal", "ratio", "combined",
           "synthetic", "sample", "unit", "units", "year", "use_ets", "data_dir", "as_of",
           # method names and what the engine writes in English (#21)
           "simulated", "same_period", "seasonal_share", "run_rate", "damped_trend",
           "last_value", "annual_trend", "steady", "theta", "damped", "holdout", "naive", "drift",
           "as", "of", "what", "happened", "reports", "said", "statuses", "right",
           "outcome", "fell", "inside", "times", "out"}
# An ISO date or timestamp (2025-10-05, 2025-10-05T08:00) where a reader expects 05/10/2025.
ISO_DATE = r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2})?\b"
ALLOWED = {"sha256", "python", "utc", "kpi_lib", "csv", "yaml", "xlsx", "docx", "holt", "winters"}

OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth, bad = [];
  for (const el of document.querySelectorAll('table, img, svg, pre')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + 1) continue;
    let a = el.parentElement, scrolls = false;
    while (a && a !== document.body) {
      const o = getComputedStyle(a).overflowX;
      if ((o === 'auto' || o === 'scroll') && a.getBoundingClientRect().right <= vw + 1) {
        scrolls = true; break; }
      a = a.parentElement;
    }
    if (!scrolls) bad.push(el.tagName + ' ' + (el.className || '') + ' ' + Math.round(r.right));
  }
  return {bad, pageScroll: document.documentElement.scrollWidth - vw};
}"""


@pytest.fixture(scope="module")
def pages(report, tmp_path_factory):
    """Every page a run publishes (whatever .html the month's run wrote, so a page added
    later is checked too), the year-end review and its department page, and the real
    example's comparison page (built from a small table, not three runs)."""
    import pandas as pd

    from kpi_lib.plan.catalog import load_catalog
    from kpi_lib.runner.example import comparison_html, example_dir
    from kpi_lib.runner.review import run_review

    out = tmp_path_factory.mktemp("pages")
    review = run_review(as_of="2025-12", data=str(PROJECT_ROOT / "data" / "sample"), out=out)
    example = load_catalog(example_dir() / "catalog.yaml")
    ind = example.indicators[0]
    table = pd.DataFrame([{"month": "2024-09", "id": ind.id, "name": ind.name_vi,
                           "unit": ind.unit, "status": "on_track", "estimate": 105.0,
                           "lo80": 100.0, "hi80": 110.0, "actual": 104.0, "target": 103.0,
                           "met": True, "error_pct": 1.0, "in_interval": True,
                           "status_right": True}])
    comparison = out / "so-sanh-voi-thuc-te.html"
    comparison.write_text(comparison_html(table, example), encoding="utf-8")
    published = sorted(p for p in report.folder.parent.rglob("*.html")
                       if not any(part.startswith(("_", ".")) for part in
                                  p.relative_to(report.folder.parent).parts))
    # A past month at its own cutoff (its date and late figures are said; ISO dates used to
    # leak there, #5, #7) and a commune's own report beside it, listed in their index (#17).
    past = tmp_path_factory.mktemp("past")
    run_month(as_of="2025-06", out=past, notebooks=("monthly_report", "data_quality"),
              update_index=False)
    run_month(as_of="2025-09", unit="DONGSON", out=past, notebooks=("monthly_report",))
    found = [*published, *sorted(review.folder.glob("*.html")), comparison,
             *sorted(p for p in past.rglob("*.html") if ".tmp" not in str(p))]
    names = {p.name for p in found}
    assert {"monthly_report.html", "data_quality.html", "track_record.html", "index.html",
            "review.html", "phong-ban.html"} <= names, names
    return found


WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe_violations(axe, page, width: int) -> list:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page. Colour
    contrast, most of axe's time on a long page, is checked at the desktop width only: the
    pages' phone styles change sizes and overflow, never a colour."""
    options = {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]}
    if width < 1366:
        options["rules"] = {"color-contrast": {"enabled": False}}
    result = axe.run(page, options=options)
    return [(v["id"], v["impact"], len(v["nodes"]), v["nodes"][0]["target"])
            for v in result.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_reads_vietnamese_and_passes_axe_core(browser, pages, width):
    """Every published page at a desktop's and a phone's width: tables fit or scroll in
    their own box, Vietnamese only (no English, no ISO dates), and axe-core (WCAG 2.1 A/AA)
    finds no serious or critical violation: status colours of at least 4,5:1, scroll boxes
    reachable by keyboard, named images, a language, a title."""
    import re

    from axe_playwright_python.sync_playwright import Axe

    axe, found = Axe(), {}
    for path in pages:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("() => document.documentElement.lang") == "vi", path.name
        assert page.locator("meta[name=viewport]").count() == 1, path.name  # phones: no zoom-out
        fit = page.evaluate(OVERFLOW_JS)
        assert fit["bad"] == [], (path.name, width, fit)
        assert fit["pageScroll"] <= 1, (path.name, width, fit)
        text = page.evaluate("""() => { const c = document.body.cloneNode(true);
            c.querySelectorAll('code, script, style').forEach(e => e.remove());
            // a detached copy has no layout: without a space, "văn hóa" + "số" reads "hóasố"
            c.querySelectorAll('td, th').forEach(e => e.append(' '));
            return c.innerText; }""")
        assert "\\x89PNG" not in text and "b'\\x" not in text, path.name
        assert not re.search(r"[A-Za-z0-9+/=]{120,}", text), f"raw bytes in {path.name}"
        # Whole words (Vietnamese letters included: "hóasố", two cells run together in the
        # text of a detached copy, is not the English "as"), then the plain-ASCII ones.
        words = {w.lower() for w in re.findall(r"[^\W\d]+", text) if w.isascii()}
        leaked = (words & ENGLISH) - ALLOWED
        assert not leaked, (path.name, sorted(leaked))
        keys = sorted(w for w in words - ALLOWED if "_" in w.strip("_"))  # setting keys, codes
        assert not keys, (path.name, keys)
        shown = page.inner_text("body")  # with <code>: a time there is read too
        assert not re.findall(ISO_DATE, shown), (path.name, re.findall(ISO_DATE, shown)[:3])
        assert not re.findall(ISO_DATE, page.title()), (path.name, page.title())
        # No server path where a reader looks (#16): technical details only in the fold.
        assert "/tmp/" not in shown and str(PROJECT_ROOT) not in shown, path.name
        # Every box that scrolls sideways takes the keyboard and is a named region (#17).
        boxes = page.evaluate("""() => [...document.querySelectorAll('div')]
            .filter(d => ['auto', 'scroll'].includes(getComputedStyle(d).overflowX)
                         && d.scrollWidth > d.clientWidth + 1)
            .map(d => [d.tabIndex, d.getAttribute('role'), !!d.getAttribute('aria-label'),
                       d.className])""")
        assert all(b[:3] == [0, "region", True] for b in boxes), (path.name, width, boxes)
        if width >= 1366:  # on a desktop every table fits the page, none needs scrolling
            wide = page.evaluate("""() => [...document.querySelectorAll('table')]
                .filter(t => t.getBoundingClientRect().right >
                             document.documentElement.clientWidth + 1)
                .map(t => t.className + ' ' + Math.round(t.getBoundingClientRect().width))""")
            assert wide == [], (path.name, wide)
        bad = _axe_violations(axe, page, width)
        if bad:
            found[path.name] = bad
        page.close()
    assert found == {}, (width, found)


def test_on_a_phone_the_summary_comes_before_any_table(browser, report):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(report.html.as_uri())
    page.wait_for_load_state("load")
    top = page.evaluate("""() => ({
        summary: document.getElementById('summary').getBoundingClientRect().top,
        cards: document.querySelector('.kpi-cards').getBoundingClientRect().top,
        table: Math.min(...[...document.querySelectorAll('table')]
                        .map(t => t.getBoundingClientRect().top)),
        boxes: [...document.querySelectorAll('.kpi-scroll')].map(b => [
            getComputedStyle(b).overflowX, b.tabIndex, b.getAttribute('role'),
            !!b.getAttribute('aria-label')])})""")
    assert top["summary"] < top["cards"] < top["table"], top
    assert top["boxes"] and all(b == ["auto", 0, "region", True] for b in top["boxes"])
    page.close()


def test_two_panel_charts_stay_legible_on_a_phone(browser, report):
    """At 390 px a two-panel chart shrunk to the screen had 150 px panels: it keeps a
    legible width and scrolls inside its own box instead (the page itself does not)."""
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(report.html.as_uri())
        page.wait_for_load_state("load")
        sizes = page.evaluate("""() => [...document.querySelectorAll('.kpi-chart img')]
            .map(i => [i.getBoundingClientRect().width,
                       getComputedStyle(i.parentElement).overflowX, i.naturalWidth,
                       i.classList.contains('kpi-wide')])""")
        assert any(wide for *_, wide in sizes), "the sample report has two-panel charts"
        for drawn, overflow, natural, wide in sizes:
            if width < 720:  # legend and ticks (10 pt at 90 dpi) keep 3/4 of their size
                assert drawn >= 0.75 * natural and overflow == "auto", (width, drawn, overflow)
                assert not wide or drawn >= 700
            else:
                assert drawn <= width, (width, drawn)
        page.close()


def test_the_focus_comes_before_the_tables(browser, report):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(report.html.as_uri())
    page.wait_for_load_state("load")
    y = {k: page.evaluate(f"() => document.getElementById('{k}').getBoundingClientRect().top")
         for k in ("summary", "focus", "items", "table")}
    assert y["summary"] < y["focus"] < y["items"] < y["table"], y
    text = page.inner_text("body")
    assert "22 chỉ tiêu (32 chỉ số)" in text and "9 tháng đầu năm 2025" in text
    assert "tạm đánh giá theo xu hướng" in text and "Không đạt" in text
    assert "Chỉ tiêu theo phòng, ban chủ trì" in text  # who answers for each target (#17)
    # The first screen, as the README shows it (KPI_UPDATE_SCREENSHOT=1 rewrites the copy).
    shot = (PROJECT_ROOT / "docs" / "img" / "first-screen.png"
            if os.environ.get("KPI_UPDATE_SCREENSHOT") else report.folder / "first-screen.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 30_000
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


def test_a_past_months_pages_and_a_communes_report_read_right(browser, pages):
    """June at its cutoff (05/07/2025): late figures are late, not missing, with the day
    they came (#7); issuer and scope under the title (#6); the index names the commune's
    own report by the commune, not its code (#17)."""
    past = [p for p in pages if p.parent.name.startswith("past") or
            p.parent.parent.name.startswith("past")]
    by_name = {(p.parent.name, p.name): p for p in past}
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(by_name[("2025-06", "data_quality.html")].as_uri())
    text = page.inner_text("body")
    assert "Gửi chậm" in text and "Không (nhận sau ngày báo cáo)" in text
    assert "Hạn gửi số liệu của một tháng" in text and "ngày 05/07/2025" in text
    assert "Cơ quan báo cáo: UBND xã Bình Sơn" in text and "Phạm vi số liệu" in text
    for code in ("VA_TOTAL", "P_INSURED", "P_POP"):
        assert code not in text
    alt = page.evaluate("() => document.images[document.images.length - 1].alt")
    assert "gửi chậm" in alt
    page.goto(by_name[("2025-06", "monthly_report.html")].as_uri())
    text = page.inner_text("body")
    assert "Số liệu tính đến ngày: 05/07/2025" in text
    assert "Thông tin kỹ thuật (cho cán bộ kiểm tra)" in text and "sha256" not in text
    index = next(p for p in past if p.name == "index.html")
    page.goto(index.as_uri())
    text = page.inner_text("body")
    assert "Xã Đông Sơn" in text and "DONGSON" not in text
    page.close()
