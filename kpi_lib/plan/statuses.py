"""How statuses are shown: labels, colours and the phrase the narrative uses, as settings.

The engine decides one of six statuses (assess.STATUSES) with thresholds from the
catalog. What a reader sees is the office's choice, in `settings.status_labels` of the
catalog:

    status_labels:
      on_track: {vi: "Có khả năng đạt", en: "On track", color: "#00796b",
                 phrase_vi: "có khả năng đạt kế hoạch", phrase_en: "likely to be met"}

Anything left out keeps its default. Giving two statuses the same label merges them on
the page (an office that reports three levels — Đạt / Có nguy cơ / Không đạt — maps
`achieved` and `on_track` to "Đạt"): the number of levels shown is the number of
distinct labels.

The default colours are read as text on white and carry white text on the summary cards,
so each has a contrast of at least 4,5:1 with white (WCAG 2.1 AA); the greens differ in
hue (teal for "on track") as well as darkness, and the label always goes with the colour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..common.errors import KpiError

# Best to worst; `missed` is final (a final figure that misses, a ceiling already passed),
# `off_track` is a forecast. `no_data` is outside the order.
STATUSES = ("achieved", "on_track", "at_risk", "off_track", "missed", "no_data")
WORST_FIRST = ("missed", "off_track", "at_risk", "on_track", "achieved")
# Statuses that ask for direction ("Cần tập trung chỉ đạo").
NEEDS_ACTION = ("at_risk", "off_track", "missed")
DEFAULTS: dict[str, dict[str, str]] = {
    "achieved": {"vi": "Đã đạt", "en": "Achieved", "color": "#1b5e20",
                 "phrase_vi": "đã đạt kế hoạch", "phrase_en": "the target is already met"},
    "on_track": {"vi": "Có khả năng đạt", "en": "On track", "color": "#00796b",
                 "phrase_vi": "có khả năng đạt kế hoạch", "phrase_en": "likely to meet the target"},
    "at_risk": {"vi": "Có nguy cơ không đạt", "en": "At risk", "color": "#a15c00",
                "phrase_vi": "có nguy cơ không đạt kế hoạch",
                "phrase_en": "at risk of missing the target"},
    "off_track": {"vi": "Khó đạt", "en": "Off track", "color": "#c62828",
                  "phrase_vi": "khó đạt kế hoạch", "phrase_en": "unlikely to meet the target"},
    "missed": {"vi": "Không đạt", "en": "Missed", "color": "#8e1b1b",
               "phrase_vi": "không đạt kế hoạch", "phrase_en": "the target is missed"},
    "no_data": {"vi": "Chưa đủ dữ liệu", "en": "Not enough data", "color": "#616161",
                "phrase_vi": "chưa đủ cơ sở để đánh giá",
                "phrase_en": "not enough data to judge"},
}
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_KEYS = ("vi", "en", "color", "phrase_vi", "phrase_en")


@dataclass(frozen=True)
class StatusScale:
    styles: dict[str, dict[str, str]] = field(default_factory=lambda: dict(DEFAULTS))

    def label(self, status: str, lang: str = "vi") -> str:
        style = self.styles.get(status)
        return style["en" if lang == "en" else "vi"] if style else status

    def color(self, status: str) -> str:
        style = self.styles.get(status)
        return style["color"] if style else "#777777"

    def phrase(self, status: str, lang: str = "vi") -> str:
        style = self.styles.get(status)
        return style["phrase_en" if lang == "en" else "phrase_vi"] if style else status

    def levels(self, lang: str = "vi") -> list[tuple[str, str, tuple[str, ...]]]:
        """Distinct (label, colour, statuses) in order: merged statuses share one level."""
        out: dict[str, tuple[str, list[str]]] = {}
        for s in STATUSES:
            label = self.label(s, lang)
            out.setdefault(label, (self.color(s), []))[1].append(s)
        return [(label, colour, tuple(ss)) for label, (colour, ss) in out.items()]


def status_scale(settings: dict, where: str = "catalog") -> StatusScale:
    """Defaults overlaid with `settings.status_labels`; a bad entry is a clear error."""
    given = settings.get("status_labels") or {}
    if not isinstance(given, dict):
        raise KpiError("settings.status_labels must be a mapping", file=where,
                       fix="write status_labels: {on_track: {vi: ..., color: '#00796b'}}")
    styles = {s: dict(v) for s, v in DEFAULTS.items()}
    for status, style in given.items():
        if status not in STATUSES:
            raise KpiError(f"settings.status_labels: unknown status '{status}'", file=where,
                           fix=f"use one of {', '.join(STATUSES)}")
        if not isinstance(style, dict) or set(style) - set(_KEYS):
            raise KpiError(f"settings.status_labels.{status}: keys must be among "
                           f"{', '.join(_KEYS)}", file=where, value=style,
                           fix="e.g. {vi: 'Đạt', color: '#1b5e20'}")
        color = style.get("color")
        if color is not None and not _COLOR.match(str(color)):
            raise KpiError(f"settings.status_labels.{status}.color is not a colour", file=where,
                           value=color, fix="write it as #RRGGBB, e.g. '#00796b'")
        styles[status].update({k: str(v) for k, v in style.items()})
    return StatusScale(styles)
