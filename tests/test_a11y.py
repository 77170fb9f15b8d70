"""Readable by everyone, checked without a browser (tests/test_browser.py runs axe-core in
Chromium over every published page): the status colours' contrast, numbers kept with their
units in the Word tables, scroll boxes reachable by keyboard."""

from __future__ import annotations

import itertools

import pytest

from kpi_lib.outputs.i18n import method_label
from kpi_lib.outputs.render import scroll
from kpi_lib.outputs.word import keep_units
from kpi_lib.plan.statuses import DEFAULTS


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio of two #RRGGBB colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_the_issue():
    assert contrast("#4caf50") == pytest.approx(2.78, abs=0.01)  # white on the old green
    assert contrast("#f0a500") == pytest.approx(2.08, abs=0.01)  # the old amber on white


@pytest.mark.parametrize("source", ["defaults", "shipped catalog"])
def test_status_colours_reach_aa_on_white_and_stay_apart(source, catalog):
    """Statuses are coloured text on white and carry white text on the summary cards:
    4,5:1 either way (WCAG 2.1 AA); any two differ visibly (a colour distance, not only a
    shade of the same)."""
    colours = ({s: v["color"] for s, v in DEFAULTS.items()} if source == "defaults" else
               {s: catalog.statuses.color(s) for s in DEFAULTS})
    for status, colour in colours.items():
        assert contrast(colour) >= 4.5, (status, colour, round(contrast(colour), 2))
    for (s1, c1), (s2, c2) in itertools.combinations(colours.items(), 2):
        rgb1 = [int(c1[i:i + 2], 16) for i in (1, 3, 5)]
        rgb2 = [int(c2[i:i + 2], 16) for i in (1, 3, 5)]
        assert sum(abs(x - y) for x, y in zip(rgb1, rgb2, strict=True)) >= 60, (s1, s2)


def test_a_number_keeps_its_unit_in_word_tables():
    nbsp = "\u00a0"
    assert keep_units("khoảng 28.603,61 tỷ đồng") == f"khoảng 28.603,61{nbsp}tỷ{nbsp}đồng"
    assert keep_units("1.600 người") == f"1.600{nbsp}người"
    assert keep_units("Giảm so với 2024 (48)") == "Giảm so với 2024 (48)"  # not a unit
    assert keep_units("28.384,8 – 28.776,4") == "28.384,8 – 28.776,4"  # a range may break


def test_a_scroll_box_is_a_named_region_the_keyboard_reaches():
    box = scroll("<table></table>", 'Kinh tế <"x">')
    assert box.startswith('<div class="kpi-scroll" tabindex="0" role="region" '
                          'aria-label="Kinh tế &lt;&quot;x&quot;&gt;">')


def test_method_names_read_in_vietnamese_without_data_codes():
    assert method_label("simulated from S_AGR, S_IND, S_SVC") == "mô phỏng từ số liệu thành phần"
    assert method_label("simulated from T01") == "mô phỏng từ T01"
    assert method_label("simulated from T01", "en") == "simulated from T01"
    assert method_label("damped_trend") == "xu hướng tắt dần"
