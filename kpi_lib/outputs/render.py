"""HTML pieces the notebooks display: headings with anchors, contents, banners, summary
cards, the "needs attention" list, data gaps and the provenance footer.

Every value that comes from data, the catalog or parameters goes through html.escape:
a name containing <script> shows as text.
"""

from __future__ import annotations

import html
import platform
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from .. import __version__
from ..common.numbers import format_number
from ..engine.assess import summary_counts
from ..engine.pipeline import Assessment
from ..inputs.store import sha256_of
from .i18n import method_label, reason_text, t

CSS = """
<style>
.kpi-banner{background:#fff3cd;border:2px solid #d39e00;padding:10px 14px;margin:8px 0;
 font-weight:bold;color:#6b4e00;border-radius:4px}
.kpi-cards{display:flex;gap:10px;flex-wrap:wrap;margin:8px 0}
.kpi-card{min-width:120px;padding:10px 14px;border-radius:6px;color:#fff;font-size:14px}
.kpi-card b{display:block;font-size:28px}
.kpi-table{border-collapse:collapse;font-size:13px;margin:6px 0}
.kpi-table th,.kpi-table td{border:1px solid #ccc;padding:4px 6px;vertical-align:top}
.kpi-table th{background:#eef3f8}
.kpi-toc a{text-decoration:none}
</style>
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def heading(key: str, lang: str = "vi", level: int = 2) -> str:
    """A section heading with a stable anchor (the contents link to it)."""
    return f'<h{level} id="{esc(key)}">{esc(t(key, lang))}</h{level}>'


def toc(keys: list[str], lang: str = "vi") -> str:
    items = "".join(f'<li><a href="#{esc(k)}">{esc(t(k, lang))}</a></li>' for k in keys)
    return f'<nav class="kpi-toc"><b>{esc(t("toc", lang))}</b><ul>{items}</ul></nav>'


def title_block(a: Assessment, lang: str = "vi") -> str:
    meta = a.catalog.meta
    area = meta.get("area_en" if lang == "en" else "area_vi", "")
    registry = a.dataset.registry
    unit = ""
    if a.unit and a.unit != a.catalog.default_unit:
        unit = f" – {esc(registry.name(a.unit, lang) if registry else a.unit)}"
    parts = [CSS, f"<h1>{esc(t('title', lang))}</h1>",
             (f"<p><b>{esc(area)}</b>{unit} · {esc(t('as_of', lang, month=a.as_of, year=a.catalog.year))}"
             f"</p>")]
    if a.dataset.source.synthetic:
        parts.append(banner(t("synthetic", lang)))
    return "".join(parts)


def banner(text: str) -> str:
    return f'<div class="kpi-banner" role="alert">{esc(text)}</div>'


def summary_cards(a: Assessment, lang: str = "vi") -> str:
    counts = summary_counts(a.table)
    cards = "".join(
        f'<div class="kpi-card" style="background:{colour}"><b>{sum(counts[s] for s in group)}'
        f'</b>{esc(label)}</div>' for label, colour, group in a.catalog.statuses.levels(lang))
    total = len(a.table)
    return f'<p>{total} {esc(t("targets", lang))}</p><div class="kpi-cards">{cards}</div>'


def focus_table(a: Assessment, numbers: pd.DataFrame, lang: str = "vi") -> str:
    """Targets at risk or off track, with the pace still required vs the pace so far."""
    rows = numbers[numbers["status"].isin(["at_risk", "off_track"])]
    if rows.empty:
        return f"<p>{esc(t('no_focus', lang))}</p>"
    head = [t("item", lang), t("status", lang), t("p_meet", lang), t("required_pace", lang),
            t("observed_pace", lang), t("last_year_pace", lang), t("method", lang),
            t("reason", lang)]
    body = []
    for _, r in rows.iterrows():
        shown_unit = a.catalog.unit_label(r["unit"], lang)

        def num(v, unit=shown_unit):
            return "–" if not np.isfinite(v) else format_number(v, 0 if abs(v) >= 100 else 2, lang) \
                + f" {unit}"
        cells = [f"{r['item']}. {r['name'] if lang == 'vi' else r['name_en']}",
                 a.catalog.statuses.label(r["status"], lang),
                 "–" if not np.isfinite(r["p_meet"]) else format_number(100 * r["p_meet"], 0, lang) + "%",
                 num(r["required_pace"]), num(r["observed_pace"]), num(r["last_year_pace"]),
                 method_label(r["method"], lang), reason_text(r["reason"] or r["note"], lang)]
        colour = a.catalog.statuses.color(r["status"])
        body.append("<tr>" + "".join(
            f'<td style="color:{colour};font-weight:bold">{esc(c)}</td>' if i == 1 else
            f"<td>{esc(c)}</td>" for i, c in enumerate(cells)) + "</tr>")
    return ('<table class="kpi-table"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(body) + "</tbody></table>")


def gaps_html(missing: pd.DataFrame, late: pd.DataFrame, a: Assessment, lang: str = "vi") -> str:
    parts = []
    if missing.empty:
        parts.append(f"<p>{esc(t('no_gaps', lang))}</p>")
    else:
        rows = "".join(f"<tr><td>{esc(r['id'])} – {esc(a.catalog.get(r['id']).name(lang))}</td>"
                       f"<td>{esc(', '.join(map(str, r['months'])))}</td></tr>"
                       for _, r in missing.iterrows())
        parts.append(f'<table class="kpi-table"><tr><th>{esc(t("indicator", lang))}</th>'
                     f'<th>{esc(t("missing_months", lang))}</th></tr>{rows}</table>')
    if not late.empty:
        rows = "".join(f"<tr><td>{esc(r['id'])}</td><td>{esc(r['period'])}</td>"
                       f"<td>{int(r['days_late'])}</td></tr>" for _, r in late.iterrows())
        days = "ngày chậm" if lang == "vi" else "days late"
        parts.append(f'<p><b>{esc(t("late", lang))}</b></p><table class="kpi-table"><tr><th>'
                     f'{esc(t("indicator", lang))}</th><th>{esc(t("month", lang))}</th><th>{days}'
                     f"</th></tr>{rows}</table>")
    return "".join(parts)


def provenance(a: Assessment, parameters: dict, lang: str = "vi") -> str:
    """Data files with sha256, catalog, library version, parameters and time of run."""
    src = a.dataset.source
    files = []
    log = src.path / "ingest_log.csv"
    if log.is_file():
        for _, r in pd.read_csv(log, dtype=str).iterrows():
            files.append((r["file_name"], r["file_sha256"]))
    obs = src.path / "observations.csv"
    if obs.is_file():
        files.append(("observations.csv", sha256_of(obs)))
    rows = "".join(f"<li><code>{esc(n)}</code> sha256 <code>{esc(h)}</code></li>" for n, h in files)
    params = "".join(f"<li><code>{esc(k)}</code> = <code>{esc(v)}</code></li>"
                     for k, v in parameters.items())
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<ul><li>{esc(t('data_source', lang))}: {esc(src.describe())}</li>"
            f"<li>{esc(t('vintage', lang))}: {esc(a.dataset.vintage or t('latest', lang))}</li>"
            f"<li>{esc(t('catalog', lang))}: <code>{esc(a.catalog.path.name)}</code> sha256 "
            f"<code>{esc(sha256_of(a.catalog.path))}</code></li>"
            f"<li>{esc(t('version', lang))}: {esc(__version__)} (Python {esc(platform.python_version())})"
            f"</li><li>{esc(t('run_at', lang))}: {esc(now)}</li></ul>"
            f"<p><b>{esc(t('files', lang))}</b></p><ul>{rows}</ul>"
            f"<p><b>{esc(t('parameters', lang))}</b></p><ul>{params}</ul>")


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
            value = "–" if not np.isfinite(est) else format_number(
                est, 0 if abs(est) >= 100 else 1, lang)
            label = a.catalog.statuses.label(r["status"], lang)
            if not np.isfinite(r["target_value"]) and r["status"] == "no_data":
                label = t("no_unit_target", lang)  # an estimate, but nothing to judge it by
            tds.append(f'<td title="{esc(reason_text(r["reason"], lang))}">'
                       f'<span style="color:{a.catalog.statuses.color(r["status"])};font-weight:bold">'
                       f"{esc(label)}</span><br>{esc(value)}</td>")
        rows.append(f"<tr><td>{esc(name(unit))}</td>{''.join(tds)}</tr>")
    return (f"<p>{esc(t('units_intro', lang))}</p><table class=\"kpi-table\"><thead><tr><th>"
            f"{esc(t('unit_word', lang))}</th>{head}</tr></thead><tbody>{''.join(rows)}"
            "</tbody></table>")


def narrative_html(sections, lang: str = "vi") -> str:
    """The prose by group: opening paragraph, then a sentence per indicator."""
    parts = [f"<h3>{esc(t('narrative', lang))}</h3>"]
    for s in sections:
        parts.append(f"<h4>{esc(s.title)}</h4><p><b>{esc(s.opening)}</b></p><ul>"
                     + "".join(f"<li>{esc(x)}</li>" for x in s.sentences) + "</ul>")
    return '<div class="kpi-narrative">' + "".join(parts) + "</div>"
