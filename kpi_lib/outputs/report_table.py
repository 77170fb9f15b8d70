"""The report table in the form Vietnamese offices use, as numbers and as styled HTML.

Chỉ tiêu | ĐVT | Kế hoạch | Thực hiện tháng | Lũy kế | % kế hoạch | Cùng kỳ | % so cùng kỳ |
Ước thực hiện cả năm (khoảng) | Khả năng đạt | Đánh giá. Text from the catalog and data
is escaped by the Styler, never trusted as HTML.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..common.numbers import COUNT_UNITS, format_number, format_plan, shown_quantity
from ..common.numbers import format_quantity as _fmt
from ..engine.forecast import GROSS_OUTPUT_NOTE
from ..engine.pipeline import Assessment
from .i18n import status_text, t


def numbers_table(a: Assessment) -> pd.DataFrame:
    """One row per target with the office's columns as numbers (for Excel and charts).

    T04-style indicators (judged as % of a setting) are converted to % when the setting is
    known; otherwise they stay in their data unit and say why.
    """
    cat, ds, _m = a.catalog, a.dataset, a.as_of
    year = cat.year
    rows = []
    for _, r in a.table.iterrows():
        ind = cat.get(r["indicator_id"])
        unit = r["unit_code"]
        month_value = same = np.nan
        if ind.kind == "flow" and r["data_month"] > 0:
            month_value = _at(ds.monthly, ind.id, unit, year, int(r["data_month"]))
            same = _at(ds.ytd, ind.id, unit, year - 1, int(r["data_month"]))
        elif ind.kind == "level" and r["data_month"] > 0:
            month_value = r["actual_to_date"]
            same = _reading_at(ds, ind.id, unit, year - 1, int(r["data_month"]))
        ytd = r["actual_to_date"]
        target = r["target_value"]
        scale = 1.0
        shown_unit = ind.unit
        setting_value = cat.setting(ind.target_of_setting) if ind.target_of_setting else None
        if ind.target_of_setting:
            if setting_value:
                scale = 100.0 / float(setting_value)
                target = 100.0
            else:
                shown_unit = ind.entry_unit
        values = {k: r[k] * scale for k in ("estimate", "lo80", "hi80", "lo95", "hi95")}
        # Figures as shown (an apportioned count is a whole number), and every percentage
        # computed from the figures shown, so a reader's own division agrees.
        if shown_unit.strip() in COUNT_UNITS:
            ytd, same, month_value = (np.round(v) for v in (ytd, same, month_value))
        shown_ytd = shown_quantity(ytd * scale, shown_unit)
        pct_plan = shown_ytd / target * 100 if ind.kind in ("flow", "milestone") and \
            np.isfinite(target) and target and ind.rule != "reduce" else np.nan
        shown_same = shown_quantity(same * scale, shown_unit)
        pct_same = shown_ytd / shown_same * 100 if np.isfinite(same) and shown_same and \
            ind.kind in ("flow",) else np.nan
        rows.append({
            "id": ind.id, "unit_code": unit, "item": ind.item, "group": ind.group,
            "name": ind.name_vi, "name_en": ind.name_en, "unit": shown_unit, "rule": ind.rule,
            "kind": ind.kind, "target": target, "month_value": month_value * scale
            if ind.kind == "flow" else month_value, "ytd": ytd * scale if ind.kind == "flow" else ytd,
            "pct_plan": pct_plan, "same_period": same * scale if ind.kind == "flow" else same,
            "pct_same": pct_same, **values, "p_meet": r["p_meet"], "status": r["status"],
            "item_status": r["item_status"], "method": r["method"], "reason": r["reason"],
            "note": r["note"], "low_confidence": bool(r["low_confidence"]),
            "provisional": bool(r["provisional"]),
            "plan_text": ind.plan_text_vi, "plan_text_en": ind.plan_text_en,
            "basis": ind.basis_vi or (t("gross_output", "vi") if r["note"] == GROSS_OUTPUT_NOTE
                                      else ""),
            "basis_en": ind.basis_en or (t("gross_output", "en")
                                         if r["note"] == GROSS_OUTPUT_NOTE else ""),
            "office_reading": ind.office_reading_vi, "office_reading_en": ind.office_reading_en,
            "data_month": int(r["data_month"]), "last_year": r["last_year"],
            "missing_setting": ind.target_of_setting if ind.target_of_setting and not setting_value
            else "",
            "required_pace": r["required_pace"] * scale, "observed_pace": r["observed_pace"] * scale,
            "last_year_pace": r["last_year_pace"] * scale,
        })
    return pd.DataFrame(rows)


def _at(wide: pd.DataFrame, iid: str, unit: str, year: int, month: int) -> float:
    try:
        return float(wide.loc[(iid, unit, year), month])
    except KeyError:
        return np.nan


def _reading_at(ds, iid: str, unit: str, year: int, month: int) -> float:
    r = ds.readings
    r = r[(r["indicator_id"] == iid) & (r["unit_code"] == unit) & (r["year"] == year) &
          (r["month"] <= month)]
    return float(r["value"].iloc[-1]) if len(r) else np.nan


def reading_month(row, as_of: int, lang: str = "vi") -> str:
    """'(tháng 5)' when the figure in "Thực hiện tháng" is an older reading than the report's
    month (a level read in May, shown in September), else ''. One text for the page, the
    Word table and the Excel cell's display format."""
    month = int(row["data_month"] or 0)
    value = row["month_value"]
    if not month or month == as_of or value is None or not np.isfinite(value):
        return ""
    return f"(month {month})" if lang == "en" else f"(tháng {month})"


def plan_cell(row: pd.Series, lang: str, prev: int) -> str:
    """The target as the plan writes it where the catalog has that wording, else built
    (with the catalog's own precision). A row of numbers_table; the review uses it too."""
    written = row.get("plan_text_en" if lang == "en" else "plan_text", "")
    if written and row["rule"] != "reduce" and not row["missing_setting"]:
        return written
    if row["rule"] == "reduce":
        return t("reduce_vs", lang, prev=prev, value=_fmt(row["last_year"], row["unit"], lang))
    if row["rule"] == "yes":
        return t("yes", lang)
    if row["missing_setting"]:
        return "≥ 100% (" + t("missing_setting", lang) + ")"
    if not np.isfinite(row["target"]):
        return t("no_unit_target", lang)
    sym = {"about": "≈ ", "ge": "≥ ", "le": "≤ ", "gt": "> "}.get(row["rule"], "")
    return sym + format_plan(row["target"], row["unit"], lang)


def display_table(a: Assessment, lang: str = "vi", numbers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The table as strings in the office's layout, Vietnamese number format by default."""
    n = numbers if numbers is not None else numbers_table(a)
    year = a.catalog.year
    out = []
    for _, r in n.iterrows():
        est = _fmt(r["estimate"], r["unit"], lang)
        if np.isfinite(r["lo80"]) and np.isfinite(r["hi80"]) and r["lo80"] != r["hi80"]:
            est += f" ({_fmt(r['lo80'], r['unit'], lang)}–{_fmt(r['hi80'], r['unit'], lang)})"
        if r["low_confidence"]:
            est += " *"
        if r["rule"] == "yes":
            est = t("yes", lang) if r["estimate"] >= 1 else t("no", lang)
            if r["estimate"] >= 1 and r["ytd"] < 1:
                est = t("scheduled_yes", lang)  # scheduled, not obtained: say so
        if r["kind"] == "milestone" and r["rule"] == "yes":
            ytd = t("yes", lang) if r["ytd"] >= 1 else t("no", lang)
        else:
            ytd = _fmt(r["ytd"], r["unit"], lang)
        pct = lambda v: "–" if not np.isfinite(v) else format_number(v, 1, lang) + "%"
        name = r["name"] if lang == "vi" else r["name_en"]
        notes = [x for x in (r["basis_en" if lang == "en" else "basis"],
                             r["office_reading_en" if lang == "en" else "office_reading"]) if x]
        out.append({
            t("item", lang): f"{r['id']}. {name}" + "".join(f" ({x})" for x in notes),
            t("unit", lang): a.catalog.unit_label(r["unit"], lang),
            t("plan", lang, year=year): plan_cell(r, lang, year - 1),
            t("month_value", lang): " ".join(x for x in (
                _fmt(r["month_value"], r["unit"], lang), reading_month(r, a.as_of, lang)) if x),
            t("ytd", lang): ytd,
            t("pct_plan", lang): pct(r["pct_plan"]),
            t("same_period", lang, prev=year - 1): _fmt(r["same_period"], r["unit"], lang),
            t("pct_same", lang): pct(r["pct_same"]),
            t("estimate", lang): est,
            t("p_meet", lang): pct(r["p_meet"] * 100) if np.isfinite(r["p_meet"]) else "–",
            t("status", lang): status_text(a.catalog.statuses, r["status"], r["provisional"],
                                           lang),
            t("judgement", lang): _judgement(a, r["id"], lang),
        })
    frame = pd.DataFrame(out)
    if not frame.empty and not frame[t("judgement", lang)].any():
        frame = frame.drop(columns=t("judgement", lang))  # no override: no empty column
    frame.attrs["status"] = list(n["status"])
    frame.attrs["colors"] = [a.catalog.statuses.color(s) for s in n["status"]]
    return frame


def _judgement(a: Assessment, indicator_id: str, lang: str) -> str:
    """The analyst's override for this row, as text: label — reason (who, when)."""
    o = a.overrides
    if o is None or o.empty or indicator_id not in set(o["indicator_id"]):
        return ""
    r = o[o["indicator_id"] == indicator_id].iloc[0]
    return f"{a.catalog.statuses.label(r['status'], lang)} — {r['reason']} ({r['by']}, {r['date']})"


def styled_html(frame: pd.DataFrame, lang: str = "vi") -> str:
    """HTML of a display table: escaped text, status cells coloured, no index."""
    status_col = t("status", lang)
    colors = frame.attrs.get("colors", [])

    def colour(column: pd.Series) -> list[str]:
        if column.name != status_col:
            return [""] * len(column)
        return [f"background-color: {c}; color: white; font-weight: bold" for c in colors]

    styler = frame.style.format(escape="html").hide(axis="index").apply(colour, axis=0)
    # Text columns (name, unit, plan, status, judgement) wrap and read left to right; numbers
    # keep to one line, right-aligned. The status never runs off the right edge.
    text_cols = [1, 2, 3] + [i + 1 for i, c in enumerate(frame.columns)
                             if c in (status_col, t("judgement", lang))]
    styler = styler.set_table_attributes('class="kpi-table"').set_table_styles([
        {"selector": "td", "props": "text-align: right; white-space: nowrap"},
        {"selector": ", ".join(f"td:nth-child({i})" for i in text_cols),
         "props": "text-align: left; white-space: normal"},
        {"selector": f"td:nth-child({text_cols[3]})" if len(text_cols) > 3 else "td.none",
         "props": "min-width: 9em"},
        {"selector": f"td:nth-child({list(frame.columns).index(t('estimate', lang)) + 1})"
         if t("estimate", lang) in frame.columns else "td.none",
         "props": "white-space: normal; min-width: 8em"},
        {"selector": f"td:nth-child({text_cols[4]})" if len(text_cols) > 4 else "td.none",
         "props": "min-width: 14em; max-width: 24em"},
        {"selector": "th", "props": "text-align: center"},
    ])
    return styler.to_html()


def grouped_html(a: Assessment, numbers: pd.DataFrame, lang: str = "vi") -> str:
    """The report table, one block per plan group, rows in plan order."""
    import html

    from .render import scroll

    parts = []
    for g in a.catalog.groups:
        part = numbers[numbers["group"] == g["id"]]
        if part.empty:
            continue
        name = g["name_en" if lang == "en" else "name_vi"]
        parts.append(f"<h3>{html.escape(name)}</h3>")
        parts.append(scroll(styled_html(display_table(a, lang, part.reset_index(drop=True)),
                                        lang), name))  # a focusable region, as every table
    note = t("low_conf", lang)
    parts.append(f"<p><small>* {html.escape(note)}</small></p>")
    return "".join(parts)
