"""HTML pieces the notebooks display: headings with anchors, contents, banners, summary
cards, the "needs attention" list, data gaps and the provenance footer.

Every value that comes from data, the catalog or parameters goes through html.escape:
a name containing <script> shows as text.
"""

from __future__ import annotations

import html
import platform

import numpy as np
import pandas as pd

from .. import __version__
from ..common.dates import now_vn
from ..common.numbers import format_number, format_quantity
from ..common.paths import shown_path
from ..engine.assess import items_table, status_counts
from ..engine.pipeline import Assessment
from ..inputs.store import sha256_of
from ..plan.statuses import NEEDS_ACTION
from .i18n import method_label, period_text, reason_text, t
from .i18n import status_text as i18n_status_text
from .rules import pace_text

CSS = """
<style>
.kpi-banner{background:#fff3cd;border:2px solid #d39e00;padding:10px 14px;margin:8px 0;
 font-weight:bold;color:#6b4e00;border-radius:4px}
.kpi-cards{display:flex;gap:10px;flex-wrap:wrap;margin:8px 0}
.kpi-card{min-width:120px;padding:10px 14px;border-radius:6px;color:#fff;font-size:14px}
.kpi-card b{display:block;font-size:22px}
.kpi-card.kpi-prov{background:#fff;color:#333;border:2px dashed #777}
/* A phone scrolls a table sideways in its box rather than squeeze it to a word a line. */
.kpi-scroll{max-width:100%;overflow-x:auto;-webkit-overflow-scrolling:touch;margin:6px 0}
.kpi-table{border-collapse:collapse;font-size:13px;margin:0}
.jp-RenderedHTMLCommon .kpi-table th,.jp-RenderedHTMLCommon .kpi-table td,.kpi-table th,
.kpi-table td{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left;
 min-width:4.5em}
.kpi-table th{background:#eef3f8}
.jp-RenderedHTMLCommon .kpi-table td.num,.kpi-table td.num{text-align:right;white-space:nowrap}
.kpi-table td.kpi-status{min-width:9em;font-weight:bold}
.kpi-table td:first-child:not(.kpi-no){min-width:12em;max-width:26em;white-space:normal}
.kpi-table td.kpi-no{min-width:2.5em;text-align:right}
.kpi-prov-mark{font-style:italic;font-weight:normal;font-size:12px;display:block}
.kpi-toc a{text-decoration:none}
.kpi-toc ul{display:flex;flex-wrap:wrap;gap:2px 18px;list-style:none;padding:0;margin:4px 0}
.kpi-cards .kpi-card{padding:6px 12px}.kpi-card b{font-size:22px}
@media (max-width:600px){.kpi-card{min-width:90px;padding:6px 8px}.kpi-card b{font-size:20px}
 .kpi-table td:first-child:not(.kpi-no){min-width:11em}
 .kpi-scroll>.kpi-table{min-width:640px}}
</style>
"""


# The monthly report's sections, in reading order: what needs direction comes first.
REPORT_SECTIONS = ["summary", "focus", "items", "overview", "table", "charts", "gaps",
                   "provenance"]


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def heading(key: str, lang: str = "vi", level: int = 2) -> str:
    """A section heading with a stable anchor (the contents link to it)."""
    return f'<h{level} id="{esc(key)}">{esc(t(key, lang))}</h{level}>'


def toc(keys: list[str], lang: str = "vi") -> str:
    items = "".join(f'<li><a href="#{esc(k)}">{esc(t(k, lang))}</a></li>' for k in keys)
    return f'<nav class="kpi-toc"><b>{esc(t("toc", lang))}</b><ul>{items}</ul></nav>'


def title_block(a: Assessment, lang: str = "vi", page: str = "title") -> str:
    """Title, the area, the period as the office writes it ("9 tháng đầu năm 2025")."""
    meta = a.catalog.meta
    area = meta.get("area_en" if lang == "en" else "area_vi", "")
    from .report_setup import unit_scope

    unit = ""
    name, scope = unit_scope(a.catalog, a.dataset.registry, a.unit, lang)
    if name:  # a unit's report: named first, with how it stands to the plan's area
        area, unit = name, f" ({esc(scope)})" if scope else ""
    period = period_text(a.as_of, a.catalog.year, lang)
    data_to = esc(t("data_to", lang, month=a.as_of, year=a.catalog.year))
    dated = ""
    if page == "title":  # the report's own date, up front (never before its figures)
        from .report_setup import setup_for

        day = f"{setup_for(a).report_date:%d/%m/%Y}"
        dated = " · " + esc(f"Báo cáo ngày {day}" if lang != "en" else f"Report dated {day}")
    from .rules import scope_html

    # Who reports and what the figures cover (after 1/7/2025 the district is no longer a
    # unit): rules.scope_text, as the Word and the reviews say it.
    parts = [CSS, f"<h1>{esc(t(page, lang))}</h1>",
             f"<p><b>{esc(area)}</b>{unit} · <b>{esc(period)}</b> ({data_to}){dated}</p>",
             scope_html(a, lang)]
    if a.dataset.source.synthetic:
        parts.append(banner(t("synthetic", lang)))
    return "".join(parts)


def banner(text: str) -> str:
    return f'<div class="kpi-banner" role="alert">{esc(text)}</div>'


def scroll(table_html: str, label: str) -> str:
    """A wide table scrolls inside its own box instead of running off a phone's screen. The
    box is a named region that takes the keyboard focus, so it can be scrolled without a
    mouse (WCAG 2.1.1; axe-core "scrollable-region-focusable")."""
    return (f'<div class="kpi-scroll" tabindex="0" role="region" aria-label="{esc(label)}">'
            f"{table_html}</div>")


def status_text(a: Assessment, status: str, provisional: bool, lang: str = "vi") -> str:
    """A status as read everywhere: its label, and the provisional mark when it is one."""
    return i18n_status_text(a.catalog.statuses, status, provisional, lang)


def _cards(a: Assessment, frame: pd.DataFrame, lang: str) -> str:
    measured, provisional = status_counts(frame)
    cards = "".join(
        f'<div class="kpi-card" style="background:{colour}"><b>{sum(measured[s] for s in group)}'
        f'</b>{esc(label)}</div>' for label, colour, group in a.catalog.statuses.levels(lang)
        if sum(measured[s] for s in group))
    n_prov = sum(provisional.values())
    if n_prov:
        detail = "; ".join(f"{sum(provisional[s] for s in group)} {label}"
                           for label, _c, group in a.catalog.statuses.levels(lang)
                           if sum(provisional[s] for s in group))
        cards += (f'<div class="kpi-card kpi-prov"><b>{n_prov}</b>{esc(t("provisional_cards", lang))}'
                  f"<br>{esc(detail)}</div>")
    return f'<div class="kpi-cards">{cards}</div>'


def summary_cards(a: Assessment, lang: str = "vi") -> str:
    """The plan's numbered items first ("22 chỉ tiêu (32 chỉ số)"), then the indicators."""
    items = items_table(a.table, a.catalog)
    head = t("items_count", lang, items=len(items), indicators=len(a.table))
    return (f"<p><b>{esc(head)}</b></p>"
            f"<p>{esc(t('targets', lang).capitalize())}:</p>{_cards(a, items, lang)}"
            f"<p>{esc(t('indicators', lang).capitalize())}:</p>{_cards(a, a.table, lang)}")


def summary_line(a: Assessment, lang: str = "vi") -> str:
    """One stable line of counts by item and by indicator (checked by nbval)."""
    items = items_table(a.table, a.catalog)
    parts = []
    for frame, word in ((items, t("targets", lang)), (a.table, t("indicators", lang))):
        measured, provisional = status_counts(frame)
        text = "; ".join(f"{measured[s]} {a.catalog.statuses.label(s, lang)}"
                         for s in measured if measured[s])
        prov = sum(provisional.values())
        parts.append(f"{len(frame)} {word}: {text}" + (f"; {prov} {t('provisional', lang)}"
                                                       if prov else ""))
    return f"{a.period} — " + " | ".join(parts)


def _table(head: list[str], rows: list[list[str]], kinds: list[str],
           colours: list[str] | None = None, label: str = "") -> str:
    """Rows of already-escaped cells; `kinds` gives each column's class ("num", "status",
    "no" or "") so numbers align right and a status column keeps its width on a phone."""
    body = []
    for n, cells in enumerate(rows):
        tds = []
        for kind, c in zip(kinds, cells, strict=True):
            style = f' style="color:{colours[n]}"' if kind == "status" and colours else ""
            cls = f' class="{"num" if kind == "num" else "kpi-" + kind}"' if kind else ""
            tds.append(f"<td{cls}{style}>{c}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return scroll('<table class="kpi-table"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in head)
                  + "</tr></thead><tbody>" + "".join(body) + "</tbody></table>", label or head[0])


def status_html(a: Assessment, status: str, provisional: bool, lang: str = "vi") -> str:
    """A status cell: the label, and the provisional mark on its own line."""
    mark = f'<span class="kpi-prov-mark">{esc(t("provisional", lang))}</span>' if provisional else ""
    return esc(a.catalog.statuses.label(status, lang)) + mark


def items_html(a: Assessment, lang: str = "vi") -> str:
    """The 22 numbered items: status = worst of their indicators, each indicator beside."""
    items = items_table(a.table, a.catalog)
    by_id = a.table.set_index("indicator_id")
    rows, colours = [], []
    for _, it in items.iterrows():
        members = "<br>".join(
            f"{esc(i)} – {esc(a.catalog.get(i).short_name(lang))}: "
            f"{esc(status_text(a, by_id.loc[i, 'status'], bool(by_id.loc[i, 'provisional']), lang))}"
            for i in it["indicators"])
        rows.append([esc(it["item"]), esc(it["name_en" if lang == "en" else "name_vi"]),
                     status_html(a, it["status"], it["provisional"], lang), members])
        colours.append(a.catalog.statuses.color(it["status"]))
    return _table([t("item_no", lang), t("item_name", lang), t("status", lang),
                   t("item_indicators", lang)], rows, ["no", "", "status", ""], colours,
                  t("items", lang))


def focus_table(a: Assessment, numbers: pd.DataFrame, lang: str = "vi") -> str:
    """Targets at risk, off track or missed (provisional ones marked), with the pace still
    required vs the pace so far."""
    rows = numbers[numbers["status"].isin(NEEDS_ACTION)]
    if rows.empty:
        return f"<p>{esc(t('no_focus', lang))}</p>"
    head = [t("item", lang), t("status", lang), t("p_meet", lang), t("required_pace", lang),
            t("observed_pace", lang), t("last_year_pace", lang), t("reason", lang)]
    body, colours = [], []
    for _, r in rows.iterrows():
        shown_unit = a.catalog.unit_label(r["unit"], lang)

        def num(v, unit=shown_unit, r=r):
            return "–" if not np.isfinite(v) else format_quantity(v, r["unit"], lang) + f" {unit}"
        body.append([esc(f"{r['id']}. {r['name'] if lang == 'vi' else r['name_en']}"),
                     status_html(a, r["status"], r["provisional"], lang),
                     "–" if not np.isfinite(r["p_meet"]) else
                     esc(format_number(100 * r["p_meet"], 1, lang) + "%"),
                     esc(pace_text(a.catalog.get(r["id"]), r["required_pace"], lang,
                                   shown_unit, r["unit"], 12 - r["data_month"])), esc(num(r["observed_pace"])),
                     esc(num(r["last_year_pace"])), esc(reason_text(r["reason"] or r["note"], lang))])
        colours.append(a.catalog.statuses.color(r["status"]))
    return _table(head, body, ["", "status", "num", "num", "num", "num", ""], colours,
                  t("focus", lang))


def figure_name(a: Assessment, indicator_id: str, lang: str = "vi", short: bool = False) -> str:
    """How a figure is named on the page: a plan indicator by its code and name ("T01 –
    Tổng giá trị sản xuất"), a component the plan does not number by its name alone (its
    data code, e.g. S_IND, means nothing to a reader). `short`: the short name (a chart's
    row labels)."""
    ind = a.catalog.get(indicator_id)
    name = ind.short_name(lang) if short else ind.name(lang)
    numbered = any(i.id == indicator_id for i in a.catalog.indicators)
    return f"{indicator_id} – {name}" if numbered else name


DUE_RULE = {
    "vi": "Hạn gửi số liệu của một tháng (số liệu quý: tháng cuối quý) là ngày dự kiến của báo "
          "cáo tháng đó (số liệu tháng {month}/{year}: ngày {due}). Nhận sau hạn là gửi chậm; "
          "nhận sau ngày báo cáo thì không có trong báo cáo này. Chưa nhận là thiếu. Kế hoạch "
          "dự kiến (ví dụ lịch công nhận) không phải số liệu đã nhận.",
    "en": "A month's figures (a quarter's: its last month) are due on that month's planned "
          "report date ({month}/{year}: {due}). Received after it: late; received after this "
          "report's date: not in this report. Never received: missing. A scheduled event is a "
          "plan, not a figure received.",
}


def gaps_html(missing: pd.DataFrame, late: pd.DataFrame, a: Assessment, lang: str = "vi",
              report_month_only: bool = False) -> str:
    """Missing figures, then late ones (quality.late_figures: received after their due day,
    and whether they came in time for this report). `report_month_only`: the monthly
    report lists only the late figures of its own month and those left out of it (the
    data-quality page lists every one)."""
    words = {"vi": ("Ngày nhận", "Hạn gửi", "Số ngày chậm", "Có trong báo cáo này", "Có",
                    "Không (nhận sau ngày báo cáo)", "Kỳ số liệu"),
             "en": ("Received", "Due", "Days late", "In this report", "Yes",
                    "No (received after the report's date)", "Period")}["en" if lang == "en"
                                                                        else "vi"]
    from .quality import due_date

    rule = DUE_RULE["en" if lang == "en" else "vi"].format(
        month=a.as_of, year=a.catalog.year, due=f"{due_date(a.catalog, a.as_of):%d/%m/%Y}")
    parts = [f"<p><small>{esc(rule)}</small></p>"]
    if missing.empty:
        parts.append(f"<p>{esc(t('no_gaps', lang))}</p>")
    else:
        rows = [[esc(figure_name(a, r["id"], lang)), esc(", ".join(map(str, r["months"])))]
                for _, r in missing.iterrows()]
        parts.append(_table([t("indicator", lang), t("missing_months", lang)], rows, ["", ""],
                            label=t("missing_months", lang)))
    if report_month_only and not late.empty:
        month = late["period"].map(lambda p: int(p[-1]) * 3 if "Q" in p else int(p[5:]))
        late = late[(month == a.as_of) | ~late["in_report"].astype(bool)]
    if not late.empty:
        rows = [[esc(figure_name(a, r["id"], lang)), esc(period_label(r["period"], lang)),
                 esc(f"{r['received']:%d/%m/%Y}"), esc(f"{r['due']:%d/%m/%Y}"),
                 esc(str(int(r["days_late"]))), esc(words[4] if r["in_report"] else words[5])]
                for _, r in late.iterrows()]
        parts.append(f'<p><b>{esc(t("late", lang))}</b></p>' + _table(
            [t("indicator", lang), words[6], *words[:4]], rows, ["", "", "num", "num", "num", ""],
            label=t("late", lang)))
    return "".join(parts)


def period_label(period: str, lang: str = "vi") -> str:
    """'2025-06' -> '06/2025', '2025-Q2' -> 'Quý 2/2025' (as a reader writes a period)."""
    period = str(period)
    if "Q" in period:
        return f"{'Q' if lang == 'en' else 'Quý '}{period[-1]}/{period[:4]}"
    return f"{period[5:]}/{period[:4]}" if len(period) == 7 else period


def source_words(a: Assessment, lang: str = "vi") -> tuple[str, str]:
    """Where the figures came from, as a reader reads it ("số liệu mẫu giả lập kèm theo",
    "thư mục số liệu data/sample"), and the folder relative to the project (never a
    server's absolute path): one wording for the page and the Word."""
    src = a.dataset.source
    meta = src.meta
    origin = meta.get("snapshot_origin", src.origin)
    folder = shown_path(meta.get("snapshot_of") or src.path)
    labels = {"vi": {"given": "thư mục số liệu", "store": "kho số liệu đang dùng",
                     "sample": "số liệu mẫu giả lập kèm theo"},
              "en": {"given": "data folder", "store": "working store",
                     "sample": "the shipped synthetic sample"}}
    return labels["en" if lang == "en" else "vi"].get(origin, origin), folder


def vintage_words(a: Assessment, lang: str = "vi") -> str:
    """'05/07/2025' (the day the figures were taken as known) or 'mới nhất …'."""
    if not a.dataset.vintage:
        return t("latest", lang)
    return f"{pd.Timestamp(a.dataset.vintage):%d/%m/%Y}"


def provenance(a: Assessment, parameters: dict, lang: str = "vi") -> str:
    """What a reader needs (the data's origin, up to which day, the month, unit and method),
    then, folded away, what an auditor checks: every data file's and the catalog's sha256,
    the library's version, the data folder (relative to the project)."""
    src = a.dataset.source
    files = []
    log = src.path / "ingest_log.csv"
    if log.is_file():
        for _, r in pd.read_csv(log, dtype=str).iterrows():
            files.append((r["file_name"], r["file_sha256"]))
    obs = src.path / "observations.csv"
    if obs.is_file():
        files.append(("observations.csv", sha256_of(obs)))
    registry = a.dataset.registry
    unit = a.unit if a.unit and a.unit != a.catalog.default_unit else None
    label, folder = source_words(a, lang)
    settings = [
        (t("data_source", lang), label),
        (t("vintage", lang), vintage_words(a, lang)),
        (t("param_as_of", lang), period_text(a.as_of, a.catalog.year, lang)
         + f" ({a.as_of:02d}/{a.catalog.year})"),
        (t("param_unit", lang), (registry.name(unit, lang) if registry else unit) if unit
         else t("area_unit", lang)),
        (t("param_methods", lang), t("methods_with_ets" if parameters.get("use_ets", True)
                                     else "methods_no_ets", lang)),
        (t("run_at", lang), now_vn().strftime("%d/%m/%Y %H:%M")),
    ]
    shown = "".join(f"<li>{esc(k)}: {esc(v)}</li>" for k, v in settings)
    rows = "".join(f"<li><code>{esc(n)}</code>: <code>{esc(h)}</code></li>" for n, h in files)
    technical = (
        f"<ul><li>{esc(t('data_folder', lang))}: <code>{esc(folder)}</code></li>"
        f"<li>{esc(t('catalog', lang))}: <code>{esc(a.catalog.path.name)}</code> "
        f"(<code>sha256 {esc(sha256_of(a.catalog.path))}</code>)</li>"
        f"<li>{esc(t('version', lang))}: <code>kpi_lib {esc(__version__)}, Python "
        f"{esc(platform.python_version())}</code></li></ul>"
        f"<p>{esc(t('files', lang))}:</p><ul>{rows}</ul>")
    return (f"<ul>{shown}</ul>" + '<details class="kpi-technical">'
            f"<summary>{esc(t('technical', lang))}</summary>{technical}</details>")


def revisions_html(a: Assessment, lang: str = "vi") -> str:
    """Targets revised during the year and in force at the as-of month, with the decision."""
    if not a.catalog.revision_notes:
        return ""
    items = []
    for iid, rev in a.catalog.revision_notes.items():
        ind = a.catalog.get(iid)
        digits = 0 if abs(rev.target) >= 100 else 2
        items.append(t("revised", lang, id=iid, name=ind.name(lang),
                       old=format_number(ind.original_target, digits, lang),
                       new=format_number(rev.target, digits, lang),
                       unit=a.catalog.unit_label(ind.unit, lang),
                       decision=rev.decision,
                       date=rev.effective.strftime("%d/%m/%Y")))
    return (f"<p><b>{esc(t('revisions', lang))}</b></p><ul>"
            + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")


def rollup_notes_html(a: Assessment, lang: str = "vi") -> str:
    notes = a.dataset.rollup_notes
    if not notes:
        return ""
    return (f"<p><b>{esc(t('rollup_notes', lang))}</b></p><ul>"
            + "".join(f"<li>{esc(reason_text(n, lang))}</li>" for n in notes[:40]) + "</ul>"
            + (f"<p>… {len(notes) - 40}</p>" if len(notes) > 40 else ""))


def unit_grid_html(grid: pd.DataFrame, a: Assessment, lang: str = "vi") -> str:
    """Unit × indicator (a row per unit, so 100 communes still read down the page): each
    cell the unit's status, coloured, and its year-end estimate."""
    if grid.empty:
        return ""
    registry = a.dataset.registry
    name = (lambda u: registry.name(u, lang)) if registry else str
    indicators = list(dict.fromkeys(grid["indicator_id"]))
    head = "".join(f"<th>{esc(i)} – {esc(a.catalog.get(i).name(lang))} "
                   f"({esc(a.catalog.get(i).unit)})</th>" for i in indicators)
    cells = grid.set_index(["unit_code", "indicator_id"])
    rows = []
    for unit in sorted(set(grid["unit_code"]), key=name):
        tds = []
        for iid in indicators:
            if (unit, iid) not in cells.index:
                tds.append("<td>–</td>")
                continue
            r = cells.loc[(unit, iid)]
            est = r["estimate"]
            # In the indicator's unit, as the area's table: a count of accidents is whole.
            value = format_quantity(est, a.catalog.get(iid).unit, lang)
            label = a.catalog.statuses.label(r["status"], lang)
            if not np.isfinite(r["target_value"]) and r["status"] == "no_data":
                label = t("no_unit_target", lang)  # an estimate, but nothing to judge it by
            tds.append(f'<td title="{esc(reason_text(r["reason"], lang))}">'
                       f'<span style="color:{a.catalog.statuses.color(r["status"])};font-weight:bold">'
                       f"{esc(label)}</span><br>{esc(value)}</td>")
        rows.append(f"<tr><td>{esc(name(unit))}</td>{''.join(tds)}</tr>")
    note = unit_sum_note(grid, a, lang)
    return (f"<h3>{esc(t('units', lang))}</h3><p>{esc(t('units_intro', lang))}</p>"
            + scroll(f"<table class=\"kpi-table\"><thead><tr><th>{esc(t('unit_word', lang))}"
                     f"</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>",
                     t("units", lang))
            + (f"<p><small>{esc(note)}</small></p>" if note else ""))


SUM_NOTE = {
    "vi": {"head": "Cộng các xã không bằng số toàn địa bàn: {parts}.",
           "part": "{id} {what} {units} cộng {total}, toàn địa bàn {area}",
           "ytd": "lũy kế", "est": "ước cả năm", "base": "mức năm {prev} (để so sánh)",
           "outside": " Lý do: {units} gồm cả {parts}, trước {day} không thuộc địa bàn; số của "
                      "xã tính cả phần này, số toàn địa bàn chỉ tính phần thuộc địa bàn (ước theo "
                      "tỷ lệ).",
           "other": " Lý do: số toàn địa bàn được tổng hợp theo đơn vị cũ và phần thuộc địa bàn, "
                    "không phải cộng các xã mới.",
           "separate": " Ước cả năm của từng xã và của toàn địa bàn được tính riêng, mỗi số "
                       "theo diễn biến của chính nó, nên cộng các ước của xã không bằng ước "
                       "toàn địa bàn."},
    "en": {"head": "The communes do not add up to the area: {parts}.",
           "part": "{id} {what}: the {units} add up to {total}, the area {area}",
           "ytd": "to date", "est": "year-end estimate", "base": "{prev} base",
           "outside": " Why: {units} includes {parts}, outside the area before {day}; the "
                      "commune's figures count it, the area's only its in-area part "
                      "(apportioned).",
           "other": " Why: the area's figures are built from the former units and in-area "
                    "shares, not by adding up the new communes.",
           "separate": " Each commune's year-end estimate and the area's are made separately, "
                       "each from its own course, so the communes' estimates do not add up to "
                       "the area's."},
}


def unit_sum_note(grid: pd.DataFrame, a: Assessment, lang: str = "vi") -> str:
    """Why the communes' figures do not add up to the area's, with the figures: for each
    additive indicator (rollup: sum) whose to-date figure, year-end estimate or base
    (a "reduce" target: last year's figure) differs once shown, the two numbers; and the
    reason, from the unit registry (a commune formed partly from outside the area)."""
    words = SUM_NOTE["en" if lang == "en" else "vi"]
    registry = a.dataset.registry
    area_rows = a.table.set_index("indicator_id")
    units_word = "các xã" if lang != "en" else "communes"
    parts, kinds = [], set()
    for iid, part in grid.groupby("indicator_id", sort=False):
        ind = a.catalog.get(iid)
        if ind.rollup != "sum" or iid not in area_rows.index:
            continue
        row = area_rows.loc[iid]
        checks = [("ytd", "actual_to_date"), ("est", "estimate")]
        if ind.rule == "reduce":
            checks.append(("base", "target_value"))
        for key, column in checks:
            total, area = part[column].sum(min_count=1), row[column]
            if not (np.isfinite(total) and np.isfinite(area)):
                continue
            shown_total = format_quantity(total, ind.unit, lang)
            shown_area = format_quantity(area, ind.unit, lang)
            if shown_total != shown_area:
                kinds.add(key)
                parts.append(words["part"].format(
                    id=iid, what=words[key].format(prev=a.catalog.year - 1), units=units_word,
                    total=shown_total, area=shown_area))
    if not parts:
        return ""
    text = words["head"].format(parts="; ".join(parts))
    area_code = a.unit or a.catalog.default_unit
    outside, day = [], None
    for unit in dict.fromkeys(grid["unit_code"]):
        links = [link for link in (registry.predecessors(unit) if registry else [])
                 if link.from_unit in registry.units
                 and registry.units[link.from_unit].parent != area_code]
        if links:
            outside.append((registry.name(unit, lang),
                            ", ".join(registry.name(link.from_unit, lang) for link in links)))
            day = min(link.effective for link in links)
    if outside and kinds - {"est"}:
        text += words["outside"].format(units=", ".join(u for u, _ in outside),
                                        parts=", ".join(p for _, p in outside),
                                        day=f"{day:%d/%m/%Y}")
    elif kinds - {"est"}:
        text += words["other"]
    if "est" in kinds:
        text += words["separate"]
    return text


def narrative_html(sections, lang: str = "vi") -> str:
    """The prose by group: opening paragraph, then a sentence per indicator."""
    parts = []
    for s in sections:
        parts.append(f"<h4>{esc(s.title)}</h4><p><b>{esc(s.opening)}</b></p><ul>"
                     + "".join(f"<li>{esc(x)}</li>" for x in s.sentences) + "</ul>")
    return '<div class="kpi-narrative">' + "".join(parts) + "</div>"


def analyst_html(a: Assessment, lang: str = "vi") -> str:
    """The analyst's own prose (report_text/<month>.md, the Word report's sections III–V)
    under the generated overview; when there is none, the file to write it in."""
    from .analyst_text import analyst_parts

    parts, missing = analyst_parts(a, lang)
    head = f"<h3>{esc(t('analyst', lang))}</h3>"
    if missing:
        from .analyst_text import analyst_file_shown
        from .report_setup import analyst_text_path

        # The file's name is set as code (a path, not words of the page).
        name = esc(analyst_file_shown(a, analyst_text_path(
            a.dataset.source.path, a.period, a.unit, a.catalog.default_unit)))
        return head + f"<p><i>{esc(missing).replace(name, f'<code>{name}</code>')}</i></p>"
    return ('<div class="kpi-narrative">' + head + "".join(
        f"<h4>{esc(title)}</h4>" + "".join(f"<p>{esc(line)}</p>" for line in lines)
        for title, lines in parts) + "</div>")


def indicator_heading(ind, lang: str = "vi") -> str:
    return f"<h2>{esc(ind.id)} – {esc(ind.name(lang))}</h2>"


def _frame_html(frame: pd.DataFrame, lang: str, label: str) -> str:
    """A plain table of numbers in the reader's number format, escaped."""
    def cell(v: object) -> str:
        if isinstance(v, (float, np.floating)):
            return esc(format_number(float(v), 2, lang))
        return esc(v)
    kinds = ["num" if pd.api.types.is_numeric_dtype(frame[c]) else "" for c in frame.columns]
    return _table(list(map(str, frame.columns)),
                  [[cell(v) for v in r] for r in frame.itertuples(index=False)], kinds,
                  label=label)


def revised_figures_html(revised: pd.DataFrame, a: Assessment, lang: str = "vi") -> str:
    """Figures reported more than once, every version with when it came; each value in its
    indicator's unit (a count of jobs is 122, not 121,60)."""
    head = f"<h3>{esc(t('revised_figures', lang))}</h3>"
    if revised.empty:
        return head + f"<p>{esc(t('no_revised', lang))}</p>"
    rows = []
    for r in revised.itertuples(index=False):
        unit = a.catalog.get(r.id).unit
        rows.append([esc(figure_name(a, r.id, lang)), esc(period_label(r.period, lang)),
                     esc(pd.Timestamp(str(r.reported_at)[:10]).strftime("%d/%m/%Y")),
                     esc(format_quantity(float(r.value), unit, lang) + " "
                         + a.catalog.unit_label(unit, lang)), esc(r.source)])
    return head + _table([t("indicator", lang), t("period_col", lang), t("reported_at", lang),
                          t("value_col", lang), t("source_col", lang)], rows,
                         ["", "", "num", "num", ""], label=t("revised_figures", lang))


def backtest_html(bt: pd.DataFrame, lang: str = "vi") -> str:
    """Each method's backtest error (%) by month, with the method the tool uses."""
    frame = bt.copy()
    if "chosen" in frame:
        frame["chosen"] = [method_label(m, lang) if m else "–" for m in frame["chosen"]]
    names = {c: method_label(c, lang) for c in frame.columns if c not in ("id", "month", "years", "chosen")}
    names.update({"id": t("indicator", lang), "month": t("month", lang),
                  "years": t("years_tested", lang), "chosen": t("method_used", lang)})
    return f"<p>{esc(t('backtest_intro', lang))}</p>" + _frame_html(frame.rename(columns=names),
                                                                     lang, t("backtest_intro", lang))


def departments_html(a: Assessment, lang: str = "vi") -> str:
    """Who answers for each target (the campaign's lead departments, the office's reading):
    each department's targets, their status and the pace still required. Empty without a
    campaign file."""
    if a.catalog.campaign_path is None or (a.unit and a.unit != a.catalog.default_unit):
        return ""  # no campaign, or a unit's own report (its catalog is what it reports)
    from ..engine.campaign_review import target_results
    from ..plan.campaign import campaign_for

    campaign = campaign_for(a.catalog, a.dataset.registry)
    targets = target_results(a, campaign)
    by_id = a.table.set_index("indicator_id")
    rows, colours = [], []
    for lead, part in targets.groupby("lead", sort=False):
        dept = campaign.departments.get(lead)
        name = dept.name(lang) if dept else (lead or "–")
        for _, r in part.iterrows():
            row = by_id.loc[r["indicator_id"]]
            ind = a.catalog.get(r["indicator_id"])
            pace = row["required_pace"]
            rows.append([esc(name), esc(f"{ind.id}. {ind.short_name(lang)}"),
                         status_html(a, row["status"], bool(row["provisional"]), lang),
                         esc(pace_text(ind, pace, lang, a.catalog.unit_label(ind.unit, lang),
                                       months_left=12 - row["data_month"]))])
            colours.append(a.catalog.statuses.color(row["status"]))
    note = t("departments_note", lang)
    return (f"<h3>{esc(t('departments', lang))}</h3><p><small>{esc(note)}</small></p>"
            + _table([t("department", lang), t("item", lang), t("status", lang),
                      t("required_pace", lang)], rows, ["", "", "status", "num"], colours,
                     t("departments", lang)))
