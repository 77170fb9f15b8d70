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
