"""The report's charts: drawn cheaply (issue #16) without reading worse.

Each check guards one of the shortcuts: the fixed x-label offset must land where
matplotlib's automatic placement would; the fixed margins of the coverage chart must keep
its labels on the picture; the 256-colour PNG must stay small and keep the chart's colours;
Vietnamese text must have glyphs in the font actually used; ticks keep the decimal comma.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kpi_lib.common.paths import DEFAULT_CATALOG
from kpi_lib.engine.pipeline import run_assessment
from kpi_lib.outputs import charts

SAMPLE_DIR = DEFAULT_CATALOG.parent.parent / "sample"


@pytest.fixture(scope="module")
def assessment():
    return run_assessment(DEFAULT_CATALOG, str(SAMPLE_DIR), "2025-09", use_ets=False)


@pytest.fixture(scope="module")
def economy(assessment):
    fig = charts.plot_group(assessment, "economy", "vi")
    return fig, charts.to_png(fig)


def _texts(fig):
    from matplotlib.text import Text

    return [a for a in fig.findobj(Text) if a.get_visible() and a.get_text()]


def test_group_png_is_a_small_palette_image_with_the_charts_colours(economy):
    _, png = economy
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "P"
    assert image.size == (1296, 738)  # 2 × 7,2 in by 2 × 4,1 in at 90 dpi
    assert len(png) < 60_000  # the true-colour PNG was 118 kB
    colours = {c for _, c in image.convert("RGB").getcolors(256 * 256)}
    for hex_colour in ("#1f4e79", "#00796b"):  # actual, forecast of a target on track
        want = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        assert min(np.abs(np.array(c) - want).sum() for c in colours) <= 12, hex_colour


def test_vietnamese_text_has_glyphs_in_the_font_used(economy):
    from matplotlib.font_manager import findfont, get_font

    fig, _ = economy
    texts = _texts(fig)
    assert any("Tổng giá trị sản xuất" in t.get_text() for t in texts)
    for text in texts:
        path = findfont(text.get_fontproperties())
        assert "DejaVuSans" in path, path
        font = get_font(path)
        missing = [c for c in text.get_text() if c.strip() and font.get_char_index(ord(c)) == 0]
        assert not missing, (text.get_text(), missing)


def test_ticks_keep_the_decimal_comma(economy):
    fig, _ = economy  # drawn by to_png, so the tick labels are set
    labels = [t.get_text() for ax in fig.axes if ax.get_visible()
              for t in ax.get_yticklabels() if t.get_text()]
    assert "30.000" in labels  # thousands with a dot
    assert all(re.fullmatch(r"[−-]?\d{1,3}(\.\d{3})*(,\d+)?", x) for x in labels), labels
    ax = charts._figure((4, 3)).subplots()
    ax.set_ylim(60, 62.5)
    ax.set_yticks([60, 60.5, 61, 61.5, 62, 62.5])
    charts._vi_axis(ax, "vi")
    charts.to_png(ax.figure)
    assert [t.get_text() for t in ax.get_yticklabels()][:3] == ["60,0", "60,5", "61,0"]


@pytest.mark.parametrize("group", ["economy", "society"])  # months and years on the x axis
def test_fixed_x_label_sits_where_the_automatic_one_would(assessment, group, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fixed = charts.plot_group(assessment, group, "vi")
    monkeypatch.setattr(charts, "_fixed_xlabel", lambda ax: None)  # matplotlib's own placement
    monkeypatch.setattr(charts, "TITLE_Y", None)
    auto = charts.plot_group(assessment, group, "vi")
    boxes = []
    for fig in (fixed, auto):
        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
        boxes.append([(ax.xaxis.label.get_window_extent(renderer), ax.title.get_window_extent(
            renderer)) for ax in fig.axes if ax.get_visible()])
    for (label_a, title_a), (label_b, title_b) in zip(*boxes, strict=True):
        assert abs(label_a.y1 - label_b.y1) <= 1.0 and abs(label_a.x0 - label_b.x0) <= 0.5
        assert abs(title_a.y0 - title_b.y0) <= 0.5


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_coverage_labels_and_title_stay_on_the_picture(lang):
    # rows are named as the page names them (quality page): the longest of the catalog's
    names = ["T01", "Số người tham gia bảo hiểm y tế",
             "T18b – Tỷ lệ cơ quan, đơn vị đạt tiêu chuẩn an toàn về an ninh trật tự"] + \
        [f"X{i}" for i in range(30)]
    cov = pd.DataFrame(np.where(np.arange(12) < 9, 1.0, np.nan)[None, :].repeat(len(names), 0),
                       index=names, columns=range(1, 13))
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = charts.plot_coverage(cov, lang=lang)
    png = charts.to_png(fig)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    width, height = fig.bbox.width, fig.bbox.height
    ax = fig.axes[0]
    for text in [*ax.get_yticklabels(), ax.title, ax.xaxis.label]:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width + 0.5 and box.y0 >= 0 and box.y1 <= height, \
            (text.get_text(), box)
    grid = ax.get_window_extent(renderer)
    assert grid.width >= 4.0 * fig.dpi  # long names widen the picture, not squeeze the grid
    assert len(png) < 30_000


def test_report_charts_leave_pyplot_alone(assessment):
    import matplotlib.pyplot as plt

    mine = plt.figure()  # an analyst's own figure, open in the notebook
    try:
        before = plt.get_fignums()
        fig = charts.plot_group(assessment, "environment", "vi")
        dpi = fig.dpi
        charts.to_png(fig, dpi=72)
        assert plt.get_fignums() == before  # none added, none closed (the old code closed all)
        assert fig.dpi == dpi and fig.canvas.figure is fig
        # a pyplot figure goes through to_png and keeps its own canvas
        canvas = mine.canvas
        assert Image.open(io.BytesIO(charts.to_png(mine))).size == (576, 432)
        assert mine.canvas is canvas
    finally:
        plt.close(mine)


@pytest.mark.parametrize("indicator", ["T05a", "T08a"])
def test_a_yearly_figure_sits_under_its_own_years_label(assessment, indicator):
    """T05a (forest cover, frequency annual) and T08a (communes meeting the standard, one
    reading a year) are drawn in the middle of each year, where that year's label is, not at
    31 December beside the next year's label."""
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    ax = Figure(figsize=(7.2, 4.1)).add_subplot()
    charts.plot_level(assessment, indicator, ax=ax)
    line = ax.get_lines()[0]
    when = [mdates.num2date(x) for x in line.get_xdata(orig=False)]
    assert when and all((d.month, d.day) == (7, 1) for d in when)
    labels = {round(tick): label.get_text() for tick, label in
              zip(ax.get_xticks(), ax.get_xticklabels(), strict=True)}
    for d, x in zip(when, line.get_xdata(orig=False), strict=True):
        assert labels.get(round(x)) == str(d.year)
