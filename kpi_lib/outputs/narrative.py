"""The report's prose: a sentence per indicator and an opening paragraph per group.

Offices write the monthly report in a fixed phrasing ("Tổng giá trị sản xuất 6 tháng ước
đạt 13.452,1 tỷ đồng, đạt 47,0% kế hoạch, tăng 9,1% so với cùng kỳ; ước cả năm …").
The phrasing is data (data/narrative/templates.yaml, `string.Template` placeholders, which
cannot run code); this module only chooses the template for the case — kind, direction,
a missing figure, a missing setting, a ceiling, a reduction — and formats the numbers
(Vietnamese format by default). Status phrases come from the catalog's status settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

import numpy as np
import pandas as pd
import yaml

from ..common.errors import KpiError
from ..common.numbers import format_number, format_quantity, shown_quantity
from ..plan.statuses import NEEDS_ACTION

FIELDS = {"name", "unit", "sep", "months", "month", "year", "prev_year", "ytd", "pct_plan",
          "change", "estimate", "lo", "hi", "interval", "plan", "target", "last_year", "value",
          "status", "period", "period_end", "change_part", "pct_plan_part", "group", "n",
          "counts", "names", "label", "reason", "by", "date", "pct_estimate",
          "pct_estimate_part", "plan_text"}
KEYS = ("period_one", "period_many", "period_end", "interval", "pct_plan_part", "change_up",
        "change_down", "change_same", "change_from_zero", "change_unknown", "plan_ge", "plan_gt",
        "plan_le", "plan_about", "plan_reduce", "plan_yes", "plan_none", "flow", "flow_reduce",
        "flow_setting_missing", "flow_no_target", "level", "level_final", "annual", "annual_pending", "growth",
        "share", "milestone", "milestone_yes_done", "milestone_yes_pending", "missing",
        "override", "group", "group_count", "group_attention", "group_fine", "attention_item",
        "pct_estimate_part", "change_pp_up", "change_pp_down", "plan_written", "provisional",
        "milestone_none", "milestone_yes_none", "provisional_short")


@dataclass(frozen=True)
class Templates:
    by_lang: dict[str, dict[str, Template]]
    path: Path

    def fill(self, key: str, lang: str, **values: object) -> str:
        return self.by_lang["en" if lang == "en" else "vi"][key].substitute(
            {k: "" if v is None else str(v) for k, v in values.items()})


def load_templates(path: str | Path | None = None) -> Templates:
    """Read and check the templates file: every template present, only known placeholders."""
    from ..common.paths import NARRATIVE_TEMPLATES

    path = Path(path) if path else NARRATIVE_TEMPLATES
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KpiError("narrative templates file not found", file=str(path),
                       fix="restore data/narrative/templates.yaml or set catalog.narrative_file"
                       ) from None
    except yaml.YAMLError as exc:
        raise KpiError(f"templates file is not valid YAML: {exc}", file=str(path),
                       fix="fix the YAML syntax (quote templates that contain ':')") from None
    out: dict[str, dict[str, Template]] = {}
    for lang in ("vi", "en"):
        given = (doc or {}).get(lang) or {}
        missing = [k for k in KEYS if k not in given]
        if missing:
            raise KpiError(f"templates for '{lang}' lack: {', '.join(missing)}", file=str(path),
                           fix="copy them from the shipped data/narrative/templates.yaml")
        out[lang] = {}
        for key in KEYS:
            tpl = Template(str(given[key]))
            if not tpl.is_valid():
                raise KpiError(f"template {lang}.{key} has a broken placeholder", file=str(path),
                               value=given[key], fix="write placeholders as ${name}; a $ is $$")
            unknown = set(tpl.get_identifiers()) - FIELDS
            if unknown:
                raise KpiError(f"template {lang}.{key} uses unknown placeholder(s) "
                               f"{', '.join(sorted(unknown))}", file=str(path), value=given[key],
                               fix=f"use only: {', '.join(sorted(FIELDS))}")
            out[lang][key] = tpl
    return Templates(out, path)


def _num(value: float, unit: str, lang: str) -> str:
    return format_quantity(value, unit, lang)


def _pct(value: float, lang: str) -> str:
    return format_number(value, 1, lang)


def _plan(r: pd.Series, tpl: Templates, lang: str, base: dict) -> str:
    written = r.get("plan_text_en" if lang == "en" else "plan_text", "")
    if r["rule"] == "reduce":
        return tpl.fill("plan_reduce", lang, **base)
    if not np.isfinite(r["target"]):
        return tpl.fill("plan_none", lang, **base)
    reading = r.get("office_reading_en" if lang == "en" else "office_reading", "")
    if written and not r["missing_setting"]:
        written += f" ({reading})" if reading else ""
        return tpl.fill("plan_written", lang, **{**base, "plan_text": written})
    if r["rule"] == "yes":
        return tpl.fill("plan_yes", lang, **base)
    return tpl.fill(f"plan_{r['rule']}", lang, **base)


def _change(r: pd.Series, tpl: Templates, lang: str, base: dict) -> str:
    """Against the same period: a flow in per cent, a rate in percentage points."""
    ytd, same = shown_quantity(r["ytd"], r["unit"]), shown_quantity(r["same_period"], r["unit"])
    if not (np.isfinite(same) and np.isfinite(ytd)):
        return tpl.fill("change_unknown", lang, **base)
    if str(r["unit"]).startswith("%") and r["kind"] != "flow":
        points = ytd - same
        if abs(points) < 0.005:
            return tpl.fill("change_same", lang, **base)
        key = "change_pp_up" if points > 0 else "change_pp_down"
        return tpl.fill(key, lang, **{**base, "change": format_number(abs(points), 2, lang)})
    if same == 0:
        return tpl.fill("change_same" if ytd == 0 else "change_from_zero", lang, **base)
    pct = (ytd / same - 1) * 100
    if abs(pct) < 0.05:
        return tpl.fill("change_same", lang, **base)
    key = "change_up" if pct > 0 else "change_down"
    return tpl.fill(key, lang, **{**base, "change": _pct(abs(pct), lang)})


def indicator_sentence(r: pd.Series, a, tpl: Templates, lang: str = "vi",
                       override: pd.Series | None = None) -> str:
    """The sentence for one row of report_table.numbers_table."""
    cat = a.catalog
    ind = cat.get(r["id"])
    unit = r["unit"]
    months = int(r["data_month"])
    status = cat.statuses.phrase(r["status"], lang)
    if r.get("provisional", False):
        status += tpl.fill("provisional", lang)
    target = r["target"]
    base = {
        # What the estimate rests on, where it is not the plan's own measure (T02 from gross
        # output while no value-added figures exist): said in the sentence too.
        "name": ind.short_name(lang) + (f" ({r['basis_en' if lang == 'en' else 'basis']})"
                                        if r.get("basis") and ind.kind == "derived" else ""),
        "unit": cat.unit_label(unit, lang),
        "sep": "" if unit.startswith("%") else " ",
        "months": months, "month": months or a.as_of, "year": cat.year,
        "prev_year": cat.year - 1, "ytd": _num(r["ytd"], unit, lang),
        "pct_plan": _pct(r["pct_plan"], lang), "estimate": _num(r["estimate"], unit, lang),
        "lo": _num(r["lo80"], unit, lang), "hi": _num(r["hi80"], unit, lang),
        "target": _num(r["target"], unit, lang), "last_year": _num(r["last_year"], unit, lang),
        "value": _num(r["ytd"], unit, lang), "status": status,
        # Of the estimate as printed (1.374 ÷ 1.740 = 79,0%, not 1.373,6's 78,9%).
        "pct_estimate": _pct(shown_quantity(r["estimate"], unit) / target * 100, lang)
        if np.isfinite(target) and target and np.isfinite(r["estimate"]) else "",
    }
    base["period"] = tpl.fill("period_one" if months == 1 else "period_many", lang, **base)
    base["period_end"] = tpl.fill("period_end", lang, **base)
    has_interval = np.isfinite(r["lo80"]) and np.isfinite(r["hi80"]) and r["lo80"] != r["hi80"]
    base["interval"] = tpl.fill("interval", lang, **base) if has_interval else ""
    base["plan"] = _plan(r, tpl, lang, base)
    base["pct_plan_part"] = (tpl.fill("pct_plan_part", lang, **base)
                             if np.isfinite(r["pct_plan"]) else "")
    base["pct_estimate_part"] = (tpl.fill("pct_estimate_part", lang, **base)
                                 if base["pct_estimate"] and r["rule"] != "reduce" else "")
    base["change_part"] = _change(r, tpl, lang, base)
    key = _case(r, ind)
    text = tpl.fill(key, lang, **base)
    if override is not None:
        text += tpl.fill("override", lang, label=cat.statuses.label(override["status"], lang),
                         reason=override["reason"], by=override["by"], date=override["date"])
    return text


def _case(r: pd.Series, ind) -> str:
    """Which template a row takes."""
    have_ytd, have_est = np.isfinite(r["ytd"]), np.isfinite(r["estimate"])
    if ind.kind == "flow":
        if not have_ytd or r["data_month"] == 0:
            return "missing"
        if r["missing_setting"]:
            return "flow_setting_missing"
        if r["rule"] not in ("reduce", "yes") and not np.isfinite(r["target"]):
            return "flow_no_target"  # a commune's share of an area-wide target
        return "flow_reduce" if r["rule"] == "reduce" else "flow"
    if ind.kind == "derived":
        if not have_est:
            return "missing"
        return "growth" if (ind.derive or {}).get("type") == "growth" else "share"
    if ind.kind == "milestone":
        if r["rule"] == "yes":
            if have_ytd and r["ytd"] >= 1:  # obtained, not merely scheduled
                return "milestone_yes_done"
            return "milestone_yes_pending" if have_est and r["estimate"] >= 1 else "milestone_yes_none"
        if not have_ytd:
            return "missing"
        return "milestone" if r["ytd"] > 0 else "milestone_none"
    if not have_ytd or r["low_confidence"]:
        return "annual_pending" if have_est else "missing"
    if ind.kind == "annual" or r["data_month"] == 12:
        return "annual" if ind.kind == "annual" else "level_final"
    return "level"


def group_paragraph(group_id: str, rows: pd.DataFrame, a, tpl: Templates,
                    lang: str = "vi") -> str:
    """How many of the group's targets stand where, and which need action."""
    scale = a.catalog.statuses
    counts = []
    for label, _colour, statuses in scale.levels(lang):
        n = int(rows["status"].isin(statuses).sum())
        if n:
            shown = label[0].lower() + label[1:] if lang == "vi" else label.lower()
            counts.append(tpl.fill("group_count", lang, n=n, label=shown))
    text = tpl.fill("group", lang, group=a.catalog.group_name(group_id, lang), n=len(rows),
                    counts="; ".join(counts) if counts else "–")
    needing = rows[rows["status"].isin(NEEDS_ACTION)]
    if needing.empty:
        return text + tpl.fill("group_fine", lang)
    names = ", ".join(tpl.fill("attention_item", lang, name=a.catalog.get(r["id"]).short_name(lang),
                               label=scale.label(r["status"], lang).lower()
                               + (tpl.fill("provisional_short", lang) if r.get("provisional") else ""))
                      for _, r in needing.iterrows())
    return text + tpl.fill("group_attention", lang, names=names)


@dataclass
class Section:
    group: str
    title: str
    opening: str
    sentences: list[str]


def narrative(a, numbers: pd.DataFrame, lang: str = "vi",
              templates: Templates | None = None) -> list[Section]:
    """The report's prose, one section per group of the plan, in catalog order."""
    tpl = templates or load_templates(a.catalog.narrative_path)
    overrides = a.overrides.set_index("indicator_id") if len(a.overrides) else None
    out = []
    for g in a.catalog.groups:
        rows = numbers[numbers["group"] == g["id"]]
        if rows.empty:
            continue
        sentences = [indicator_sentence(
            r, a, tpl, lang,
            overrides.loc[r["id"]] if overrides is not None and r["id"] in overrides.index
            else None) for _, r in rows.iterrows()]
        out.append(Section(g["id"], a.catalog.group_name(g["id"], lang),
                           group_paragraph(g["id"], rows, a, tpl, lang), sentences))
    return out


def narrative_text(sections: list[Section]) -> str:
    """Plain text (for the README excerpt, the Word report and tests)."""
    parts = []
    for s in sections:
        parts.append(s.title.upper())
        parts.append(s.opening)
        parts += [f"- {x}" for x in s.sentences]
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"
