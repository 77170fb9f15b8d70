"""The track record in words and tables ("Độ tin cậy của ước tính"), Vietnamese first.

Two views of one engine.track_record.TrackRecord: a short section for the monthly report
(section_html) and a page of its own (page_html, `kpi backtest --report` and the published
track_record notebook). Numbers in the Vietnamese format (28.603,61); every figure comes
from the replay, nothing is typed in here.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ..common.numbers import format_number
from ..engine.track_record import TrackRecord
from ..plan.catalog import Catalog
from .i18n import method_label

TEXT = {
    "vi": {
        "title": "Độ tin cậy của ước tính",
        "intro": "Công cụ được chạy lại cho các năm đã qua: ở mỗi tháng, chỉ dùng số liệu đã có "
                 "đến tháng đó để ước thực hiện cả năm, rồi so với số thực hiện cả năm. Đây là "
                 "mức tin cậy nên dành cho các ước tính năm nay.",
        "summary": "{n} lần ước tính ({years}, {k} chỉ tiêu): số thực hiện cả năm nằm trong "
                   "khoảng tin cậy 80% ở {in80} số lần, trong khoảng 95% ở {in95}; sai số bình "
                   "quân của ước tính cả năm {mape}.",
        "summary_status": "Khi công cụ đánh giá \u201cCó khả năng đạt\u201d, chỉ tiêu đã đạt ở "
                          "{on} số lần; khi đánh giá \u201cKhó đạt\u201d, chỉ tiêu không đạt ở "
                          "{off} số lần. Điểm Brier của xác suất đạt: {brier} (0 là hoàn hảo, "
                          "0,25 là luôn nói 50%).",
        "target_note": "Các năm trước có kế hoạch riêng không lưu trong danh mục, nên chỉ tiêu "
                       "của năm cũ được tính theo kế hoạch năm nay: cùng tỷ lệ so với số thực "
                       "hiện năm liền trước (chỉ tiêu \u201cgiảm so với năm trước\u201d là số năm "
                       "trước). Chỉ tiêu giao theo số tỉnh giao chỉ được xét khoảng tin cậy.",
        "none": "Chưa đủ số liệu các năm trước để chạy lại (cần ít nhất 3 năm trọn vẹn).",
        "coverage": "Khoảng tin cậy theo tháng ước tính",
        "month": "Tháng", "n": "Số lần", "in80": "Trong khoảng 80%", "in95": "Trong khoảng 95%",
        "mape": "Sai số bình quân", "all": "Cả năm",
        "calibration": "Xác suất đạt đã nêu và tỷ lệ thực tế đạt",
        "bin": "Xác suất đạt đã nêu", "p_said": "Bình quân đã nêu", "met": "Tỷ lệ đã đạt",
        "by_status": "Đánh giá đã nêu và kết quả cuối năm",
        "status": "Đánh giá", "detail": "Chi tiết từng lần ước tính",
        "indicator": "Chỉ tiêu", "year": "Năm", "estimate": "Ước cả năm", "interval": "Khoảng 80%",
        "actual": "Thực hiện cả năm", "target": "Chỉ tiêu (tính lại)", "method": "Phương pháp",
        "p_meet": "Xác suất đạt", "outcome": "Kết quả", "yes": "đạt", "no": "không đạt",
        "goal": "mục tiêu: 80% và 95%",
    },
    "en": {
        "title": "How far to trust the estimates",
        "intro": "The tool was re-run on past years: at each month, using only the figures known "
                 "then, it estimated the year-end total, set here against what happened.",
        "summary": "{n} estimates ({years}, {k} indicators): the year-end total fell inside the "
                   "80% interval {in80} of the time, inside the 95% interval {in95}; mean "
                   "absolute error of the year-end estimate {mape}.",
        "summary_status": "When the tool said \u201con track\u201d the target was met {on} of the "
                          "time; when it said \u201coff track\u201d it was missed {off} of the time. "
                          "Brier score of the probability of meeting: {brier} (0 is perfect, "
                          "0.25 is always saying 50%).",
        "target_note": "Past years had their own plans, not in the catalog: a past year is judged "
                       "against this year's plan carried back (the same ratio to the previous "
                       "year's total). Targets set against a setting are judged on intervals only.",
        "none": "Not enough past years to replay (at least 3 complete years are needed).",
        "coverage": "Intervals by the month of the estimate",
        "month": "Month", "n": "Estimates", "in80": "Inside 80%", "in95": "Inside 95%",
        "mape": "Mean abs. error", "all": "All",
        "calibration": "Probability of meeting said, and share met",
        "bin": "Probability said", "p_said": "Mean said", "met": "Share met",
        "by_status": "Status said and year-end outcome",
        "status": "Status", "detail": "Every replayed estimate",
        "indicator": "Indicator", "year": "Year", "estimate": "Year-end estimate",
        "interval": "80% interval", "actual": "Year-end actual", "target": "Target (carried back)",
        "method": "Method", "p_meet": "P(meet)", "outcome": "Outcome", "yes": "met", "no": "missed",
        "goal": "goal: 80% and 95%",
    },
}


def _t(key: str, lang: str) -> str:
    return TEXT["en" if lang == "en" else "vi"][key]


def _pct(x: float, lang: str, decimals: int = 1) -> str:
    return format_number(100 * x, decimals, lang) + "%" if np.isfinite(x) else "–"


def _table(frame: pd.DataFrame, caption: str) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return (f'<table class="kpi-table track-record"><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def summary_text(tr: TrackRecord, catalog: Catalog, lang: str = "vi") -> list[str]:
    """The plain-words findings: coverage, error, and what the statuses turned out to mean."""
    r = tr.rows
    if r.empty:
        return [_t("none", lang)]
    years = f"{r['year'].min()}–{r['year'].max()}"
    out = [_t("summary", lang).format(
        n=format_number(len(r), 0, lang), years=years, k=r["indicator_id"].nunique(),
        in80=_pct(r["in80"].mean(), lang), in95=_pct(r["in95"].mean(), lang),
        mape=_pct(r["ape"].mean() / 100, lang))]
    st = tr.by_status.set_index("status") if len(tr.judged) else pd.DataFrame()
    if len(st):
        on = st["met"].get("on_track", np.nan)
        off = 1 - st["met"].get("off_track", np.nan)
        out.append(_t("summary_status", lang).format(
            on=_pct(on, lang), off=_pct(off, lang), brier=format_number(tr.brier, 3, lang)))
    return out


def _coverage_table(tr: TrackRecord, lang: str) -> str:
    cov = tr.coverage
    frame = pd.DataFrame({
        _t("month", lang): [_t("all", lang) if m == "all" else str(m) for m in cov.index],
        _t("n", lang): [format_number(v, 0, lang) for v in cov["n"]],
        _t("in80", lang): [_pct(v, lang) for v in cov["in80"]],
        _t("in95", lang): [_pct(v, lang) for v in cov["in95"]],
        _t("mape", lang): [_pct(v / 100, lang) for v in cov["mape"]],
    })
    return _table(frame, f"{_t('coverage', lang)} ({_t('goal', lang)})")


def _calibration_tables(tr: TrackRecord, catalog: Catalog, lang: str) -> str:
    if tr.judged.empty:
        return ""
    cal = tr.calibration
    bins = [f"{format_number(100 * b.left, 0, lang)}–{format_number(100 * b.right, 0, lang)}%"
            for b in cal["bin"]]
    frame = pd.DataFrame({_t("bin", lang): bins,
                          _t("n", lang): [format_number(v, 0, lang) for v in cal["n"]],
                          _t("p_said", lang): [_pct(v, lang) for v in cal["p_said"]],
                          _t("met", lang): [_pct(v, lang) for v in cal["met"]]})
    scale = catalog.statuses
    st = tr.by_status
    order = {s: i for i, s in enumerate(("achieved", "on_track", "at_risk", "off_track"))}
    st = st.sort_values("status", key=lambda c: c.map(order))
    frame2 = pd.DataFrame({_t("status", lang): [scale.label(s, lang) for s in st["status"]],
                           _t("n", lang): [format_number(v, 0, lang) for v in st["n"]],
                           _t("met", lang): [_pct(v, lang) for v in st["met"]]})
    return _table(frame, _t("calibration", lang)) + _table(frame2, _t("by_status", lang))


def section_html(tr: TrackRecord, catalog: Catalog, lang: str = "vi") -> str:
    """The short section of the monthly report: findings and coverage by month."""
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in summary_text(tr, catalog, lang))
    if tr.rows.empty:
        return f'<div class="track-record">{paras}</div>'
    return (f'<div class="track-record"><p>{html.escape(_t("intro", lang))}</p>{paras}'
            f"{_coverage_table(tr, lang)}<p><small>{html.escape(_t('target_note', lang))}"
            "</small></p></div>")


def _detail_table(tr: TrackRecord, catalog: Catalog, lang: str) -> str:
    r = tr.rows.sort_values(["indicator_id", "year", "month"])
    names = {i.id: (i.name_en if lang == "en" else i.name_vi) for i in catalog.all_series}
    units = {i.id: (i.data_unit or i.unit) for i in catalog.all_series}
    scale = catalog.statuses

    def num(v: float, iid: str) -> str:
        return format_number(v, 0 if units[iid] in ("người", "vụ") else 1, lang)

    frame = pd.DataFrame({
        _t("indicator", lang): [f"{i} {names.get(i, '')}" for i in r["indicator_id"]],
        _t("year", lang): r["year"].astype(str),
        _t("month", lang): r["month"].astype(str),
        _t("estimate", lang): [num(v, i) for v, i in zip(r["estimate"], r["indicator_id"],
                                                         strict=True)],
        _t("interval", lang): [f"{num(lo, i)}–{num(hi, i)}" for lo, hi, i in
                               zip(r["lo80"], r["hi80"], r["indicator_id"], strict=True)],
        _t("actual", lang): [num(v, i) for v, i in zip(r["actual"], r["indicator_id"],
                                                       strict=True)],
        _t("method", lang): [method_label(m, lang) for m in r["method"]],
        _t("target", lang): [num(v, i) if np.isfinite(v) else "–"
                             for v, i in zip(r["target"], r["indicator_id"], strict=True)],
        _t("p_meet", lang): [_pct(v, lang, 0) for v in r["p_meet"]],
        _t("status", lang): [scale.label(s, lang) if s else "–" for s in r["status"]],
        _t("outcome", lang): ["–" if not np.isfinite(m) else _t("yes" if m else "no", lang)
                              for m in r["met"]],
    })
    return _table(frame, _t("detail", lang))


def page_html(tr: TrackRecord, catalog: Catalog, lang: str = "vi", body_only: bool = False) -> str:
    """The track record's own page: findings, coverage by month, calibration, every estimate.

    body_only gives the content for a notebook cell; otherwise a self-contained HTML file.
    """
    body = (f"<h1>{html.escape(_t('title', lang))}</h1>"
            f"{section_html(tr, catalog, lang)}{_calibration_tables(tr, catalog, lang)}"
            + (_detail_table(tr, catalog, lang) if not tr.rows.empty else ""))
    if body_only:
        return body
    return (f'<!DOCTYPE html><html lang="{"en" if lang == "en" else "vi"}"><head>'
            f'<meta charset="utf-8"><title>{html.escape(_t("title", lang))}</title><style>'
            "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
            "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
            "padding:3px 6px;text-align:right}caption{font-weight:bold;text-align:left}"
            f"</style></head><body>{body}</body></html>")


def report_section(tr: TrackRecord, catalog: Catalog, lang: str = "vi",
                   page: str = "track_record.html") -> str:
    """The monthly report's section: heading, findings, coverage by month, and a link to the
    track record's own page published beside the report."""
    link = ("Xem chi tiết từng lần ước tính" if lang != "en" else "Every replayed estimate")
    return (f'<h2 id="track-record">{html.escape(_t("title", lang))}</h2>'
            f"{section_html(tr, catalog, lang)}"
            f'<p><a href="{html.escape(page)}">{html.escape(link)}</a></p>')
