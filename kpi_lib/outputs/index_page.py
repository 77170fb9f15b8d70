"""reports/index.html: the published months, newest first, and a status history grid
(indicator × month) whose cells link to each month's report. Self-contained, escaped."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from ..common.dates import now_vn
from ..common.text import csv_restored
from ..engine.assess import status_counts
from ..plan.statuses import STATUSES, StatusScale
from .i18n import MONTHS_EN, period_text
from .report_setup import date_note


def unit_name(folder: Path) -> str:
    """A unit report's unit as its summary.csv names it ('Xã Đông Sơn'), else its code."""
    code = folder.name.partition("_")[2]
    try:
        names = pd.read_csv(folder / "summary.csv", usecols=["unit_name"], dtype=str)["unit_name"]
    except (OSError, ValueError):
        return code
    return str(names.dropna().iloc[0]) if names.notna().any() else code


def month_words(name: str, lang: str = "vi", short: bool = False, unit: str = "") -> str:
    """A published folder's month as a reader says it: '9 tháng đầu năm 2025' (the report's
    period, as its title; a unit's report adds its unit, `unit` — its name — or else its
    code), short 'Tháng 9/2025' (a column head); 'Sep 2025' in English."""
    unit_label = unit
    period, _, unit = name.partition("_")  # "2025-09_DONGSON": a unit's own report
    try:
        year, month = int(period[:4]), int(period[5:7])
    except ValueError:
        return name
    if not short:
        words = period_text(month, year, lang)
        return words[:1].upper() + words[1:] + (f" — {unit_label or unit}" if unit else "")
    return f"Tháng {month}/{year}" if lang != "en" else f"{MONTHS_EN[month - 1][:3]} {year}"


def _dates(summary: pd.DataFrame, lang: str) -> str:
    """The report's date and the day its figures run to, as the report says them."""
    if "report_date" not in summary.columns or summary.empty:
        return ""

    def day(column: str):
        value = summary[column].iloc[0] if column in summary.columns else None
        return pd.Timestamp(value).date() if isinstance(value, str) and value else None
    return date_note(day("report_date"), day("planned_date"), day("data_until"), lang)


def index_html(folders: list[Path], lang: str = "vi") -> str:
    esc = html.escape
    vi = lang != "en"
    title = "Báo cáo chỉ tiêu kế hoạch — các tháng đã công bố" if vi else "Published monthly reports"
    history: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    area = ""
    items = []
    default = StatusScale()
    style: dict[str, tuple[str, str]] = {s: (default.label(s, lang), default.color(s))
                                         for s in STATUSES}
    # Per-unit reports (folder "2025-09_DONGSON") are listed under their month; the status
    # history is the area's alone (one report per month).
    by_month: dict[str, list[str]] = {}
    for folder in folders:
        if "_" in folder.name:
            month, unit = folder.name.split("_", 1)
            by_month.setdefault(month, []).append(unit)
    folders = [f for f in folders if "_" not in f.name] + [
        f for f in folders if "_" in f.name and f.name.split("_", 1)[0] not in
        {g.name for g in folders}]
    for folder in folders:
        summary = csv_restored(pd.read_csv(folder / "summary.csv", dtype={"id": str}))
        name = folder.name
        # Lead with the plan's numbered items when the report recorded them.
        # Counted as the report counts (status_counts): trend-based judgements apart.
        if {"item", "item_status"} <= set(summary.columns):
            by_item = summary.dropna(subset=["item"]).drop_duplicates("item")
            frame = pd.DataFrame({"status": by_item["item_status"],
                                  "provisional": by_item.get("item_provisional", False)})
            count_text = (f"{len(by_item)} chỉ tiêu ({len(summary)} chỉ số): " if vi else
                          f"{len(by_item)} targets ({len(summary)} indicators): ")
        else:
            frame = summary[["status"] + (["provisional"] if "provisional" in summary else [])]
            count_text = ""
        counts, provisional = status_counts(frame)
        n_prov = sum(provisional.values())
        if {"label", "color"} <= set(summary.columns):  # as the report showed them
            style.update({s: (lab, col) for s, lab, col in zip(
                summary["status"], summary["label"], summary["color"], strict=True)})
        badges = " ".join(
            f'<span style="background:{esc(style[s][1])};color:#fff;padding:1px 6px;'
            f'border-radius:3px">{int(counts.get(s, 0))} {esc(style[s][0])}</span>'
            for s in STATUSES if counts.get(s, 0))
        if n_prov:
            badges += (f' <span style="border:1px solid #555;padding:0 6px;border-radius:3px">'
                       f'{n_prov} {"tạm đánh giá theo xu hướng" if vi else "provisional"}</span>')
        synthetic = (folder / "SYNTHETIC").exists()
        flag = (' <b style="color:#8a5300">[số liệu mẫu giả lập]</b>' if vi else
                ' <b style="color:#8a5300">[synthetic sample]</b>') if synthetic else ""
        units = sorted(by_month.get(name, [])) if "_" not in name else []
        unit_links = "".join(f'<a href="{esc(name)}_{esc(u)}/monthly_report.html">'
                             f"{esc(unit_name(folder.parent / f'{name}_{u}'))}</a> "
                             for u in units)
        per_unit = (f'<details><summary>{len(units)} {"báo cáo theo đơn vị" if vi else "unit reports"}'
                    f"</summary>{unit_links}</details>") if units else ""
        dated = _dates(summary, lang)
        own_unit = unit_name(folder) if "_" in name else ""
        items.append(f'<li><a href="{esc(name)}/monthly_report.html">'
                     f'{esc(month_words(name, lang, unit=own_unit))}</a>{flag} '
                     f'— {esc(count_text)}{badges} · <a href="{esc(name)}/data_quality.html">'
                     f'{"chất lượng số liệu" if vi else "data quality"}</a>'
                     f'{f"<br><small>{esc(dated)}</small>" if dated else ""}{per_unit}</li>')
        for _, r in summary.iterrows():
            prov = " (tạm)" if vi and bool(r.get("provisional", False)) else \
                (" (prov.)" if bool(r.get("provisional", False)) else "")
            history.setdefault(str(r["id"]), {})[name] = (str(r["status"]), prov)
            if isinstance(r.get("name"), str):
                names.setdefault(str(r["id"]), r["name"])
        if "area" in summary.columns and not area:
            area = str(summary["area"].iloc[0]) if len(summary) else ""
    months = [f.name for f in sorted(folders) if "_" not in f.name]
    head = "".join(f'<th><a href="{esc(m)}/monthly_report.html">{esc(month_words(m, lang, True))}'
                   "</a></th>" for m in months)
    rows = []
    for iid, by_month in history.items():
        cells = []
        for m in months:
            if m not in by_month:
                cells.append("<td></td>")
                continue
            s, prov = by_month[m]
            label, colour = style.get(s, (s, "#cccccc"))
            # Text as well as colour: for print, phones and colour-blind readers.
            cells.append(f'<td style="background:{esc(colour)}"><a href="{esc(m)}/monthly_report.html" '
                         f'style="display:block;color:#fff;text-decoration:none">'
                         f"{esc(label + prov)}</a></td>")
        label = f"{iid} – {names[iid]}" if iid in names else iid
        rows.append(f"<tr><th>{esc(label)}</th>{''.join(cells)}</tr>")
    legend = " ".join(f'<span style="background:{c};color:#fff;padding:2px 8px">'
                      f'{esc(lab)}</span>' for lab, c in dict(style.values()).items())
    now = now_vn().strftime("%d/%m/%Y %H:%M") + " (giờ Việt Nam, UTC+7)" if vi else \
        now_vn().strftime("%d/%m/%Y %H:%M") + " (Vietnam time, UTC+7)"
    return f"""<!DOCTYPE html>
<html lang="{'vi' if vi else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>body{{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1200px;margin:20px auto;padding:0 12px}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ddd;padding:3px 6px;font-size:12px}}
td{{min-width:28px;font-size:11px}}th{{text-align:left;font-weight:normal;min-width:12em}}
.scroll{{max-width:100%;overflow-x:auto}}p,li,h1,h2{{overflow-wrap:anywhere}}
li>span,p>span{{display:inline-block;white-space:nowrap;margin:1px 0}}</style></head><body>
<h1>{esc(title)}</h1>
<p><b>{esc(area)}</b></p>
<ul>{''.join(items) or ('<li>chưa có báo cáo</li>' if vi else '<li>none yet</li>')}</ul>
<h2>{'Diễn biến đánh giá theo tháng' if vi else 'Status history'}</h2>
<p>{legend}</p>
<div class="scroll" tabindex="0" role="region" aria-label="{'Diễn biến đánh giá theo tháng' if vi else 'Status history'}"><table id="status-history"><tr><th>{'Chỉ tiêu' if vi else 'Indicator'}</th>{head}</tr>{''.join(rows)}</table></div>
<p><small>{'Cập nhật' if vi else 'Updated'}: {esc(now)}</small></p>
</body></html>
"""
