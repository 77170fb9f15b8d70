"""The explorer without a browser: a change replaces the one view, never appends; controls
and option labels in Vietnamese (English with lang="en"). The latency itself is measured
in JupyterLab + headless Chromium by benchmarks/workbench.py, not here."""

from __future__ import annotations

import re

import pytest

from kpi_lib.common.errors import KpiError
from kpi_lib.explore import Explorer


@pytest.fixture(scope="module")
def vi():
    e = Explorer()
    e.bundle = e.widget(warm=False)  # no background thread in tests
    return e


def views(e: Explorer) -> list[str]:
    assert all(o["output_type"] == "display_data" for o in e.out.outputs)
    return [o["data"]["text/html"] for o in e.out.outputs]


def test_each_change_replaces_the_one_view(vi):
    assert len(views(vi)) == 1
    seen = set()
    for control, value in ((vi.pick, "T10"), (vi.how, "run_rate"), (vi.pick, "T05a"),
                           (vi.when, vi.latest - 1), (vi.pick, "T10"), (vi.assume, "growth"),
                           (vi.growth, 25.0)):
        before = views(vi)[0]
        control.value = value
        (now,) = views(vi)  # exactly one view, whatever the control
        assert now != before and now.count('class="kpi-view"') == 1 and now.count("<img") == 1
        seq = int(re.search(r'data-seq="(\d+)"', now).group(1))
        assert seq not in seen
        seen.add(seq)
    assert "T10 – " in now and f"tháng {vi.latest}–12 tăng 25,0% so cùng kỳ" in now
    assert "Giả định" in now and "xác suất đạt" in now and "Cần đạt mỗi tháng còn lại" in now


def test_static_fallback_is_the_same_view(vi):
    """papermill/nbconvert have no widget state: they show text/html, the first view."""
    assert "application/vnd.jupyter.widget-view+json" in vi.bundle
    html = vi.bundle["text/html"]
    assert html.count('class="kpi-view"') == 1 and html.count("<img") == 1
    assert "T01 – Tổng giá trị sản xuất" in html


def test_vietnamese_controls_and_options(vi):
    assert (vi.pick.description, vi.when.description, vi.how.description) == \
        ("Chỉ tiêu", "Tháng", "Phương pháp")
    labels = [label for c in (vi.pick, vi.how, vi.assume, vi.reached)
              for label in c._options_labels]
    assert not any("chosen" in label or "_" in label for label in labels)
    assert vi.pick._options_labels[0] == "T01 – Tổng giá trị sản xuất"
    assert all(re.match(r"T\d\d[a-d]? – \S", label) for label in vi.pick._options_labels)
    assert vi.how._options_labels[0] == "phương pháp được chọn (kiểm định)"
    assert vi.how._options_values[0] == "chosen"
    # The growth is said with a decimal comma (the slider's own readout cannot).
    assert vi.growth.readout is False
    vi.growth.value = 12.5
    assert vi.growth_text.value == "12,5%"


def test_english_when_asked():
    e = Explorer(lang="en")
    bundle = e.widget(warm=False)
    assert (e.pick.description, e.when.description, e.how.description) == \
        ("Indicator", "Month", "Method")
    assert e.pick._options_labels[0] == "T01 – Total production value (constant prices)"
    assert "same-period ratio" in e.how._options_labels
    assert "Needed per remaining month" in bundle["text/html"]
    with pytest.raises(KpiError, match="unknown language"):
        Explorer(lang="fr")


def test_what_is_drawn_ahead_is_nearest_first(vi):
    vi._charts.clear()
    vi._want_neighbours("T01", 9, "chosen")
    first = vi._wanted[:4]
    assert first == [("T02", 9, "chosen"), ("T01", 8, "chosen"), ("T03a", 9, "chosen"),
                     ("T01", 7, "chosen")]
    assert len(vi._wanted) == len(set(vi._wanted)) >= len(vi.ids) * vi.latest


@pytest.mark.browser
def test_a_change_replaces_the_view_in_jupyterlab(tmp_path):
    """In a real JupyterLab in headless Chromium: run all, change the indicator, one view."""
    import importlib.util
    import os
    import secrets
    import shutil

    from kpi_lib.common.paths import PROJECT_ROOT

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if not chromium:
        if os.environ.get("CI", "").lower() in ("1", "true"):
            raise RuntimeError("CI must have Debian's chromium and the playwright package")
        pytest.skip("needs Debian's chromium (apt-get install chromium) and playwright")
    spec = importlib.util.spec_from_file_location(
        "workbench", PROJECT_ROOT / "benchmarks" / "workbench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    book = bench._notebooks(tmp_path)["after"]
    text = book.read_text(encoding="utf-8")  # no warm-up thread: one change is all we need
    assert "explorer.show(indicator_id, as_of)" in text
    book.write_text(text.replace("explorer.show(indicator_id, as_of)",
                                 "explorer.show(indicator_id, as_of, warm=False)"),
                    encoding="utf-8")
    port, token = bench._free_port(), secrets.token_hex(16)
    lab = bench._start_lab(tmp_path, port, token)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=bench.ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/lab/tree/{book.name}?token={token}")
            page.wait_for_function(bench.IDLE, timeout=90_000)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_selector(".kpi-view img", timeout=90_000)
            pick = page.locator(".widget-dropdown:has(label:text-is('Chỉ tiêu')) select")
            first = pick.locator("option").first.inner_text().replace("\xa0", " ")  # nbsp
            assert first == "T01 – Tổng giá trị sản xuất"
            pick.select_option(label=pick.locator("option").nth(16).inner_text())
            page.wait_for_selector(".kpi-view[data-seq='2'] img", timeout=60_000)
            assert page.locator(".kpi-view").count() == 1
            assert page.locator(".kpi-view img").count() == 1
            assert "T10 – " in page.locator(".kpi-view").inner_text()
            browser.close()
    finally:
        bench._stop(lab)


def test_forecast_line_keeps_its_own_growth_apart_from_the_needed_growth(vi):
    """The what-if's forecast line once read "Dự báo: X · tức tăng 8,3%" where 8,3% was the
    growth the plan needs, not the forecast's: each figure now says what it is."""
    from kpi_lib.common.numbers import format_number
    from kpi_lib.engine.scenario import scenario

    text = vi.view("T01", vi.latest, assume="growth", value=12.0)
    s = scenario(vi.assessment(vi.latest), "T01", growth=12.0)
    own = format_number(s.forecast_growth, 1, "vi")
    need = format_number(s.required_growth, 1, "vi")
    assert own != need
    assert f"(các tháng còn lại tăng {own}% so cùng kỳ {vi.year - 1})" in text
    assert f"để đạt kế hoạch, các tháng còn lại cần tăng {need}% so cùng kỳ" in text
