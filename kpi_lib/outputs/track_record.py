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
        "summary_status": "Mỗi đánh giá đã nêu và số lần đúng (\u201cĐã đạt\u201d, \u201cCó "
                          "khả năng đạt\u201d đúng khi chỉ tiêu đạt; các đánh giá khác đúng khi "
                          "không đạt): {labels}. Điểm Brier của xác suất đạt: {brier} (0 là "
                          "hoàn hảo, 0,25 là luôn nói 50%).",
        "label_rate": "\u201c{label}\u201d đúng {rate} ({n} lần)",
        "scope_sentence": "Đã chạy lại {k}/{total} chỉ tiêu. Chưa chạy lại: {names}.",
        "scope_all": "Đã chạy lại đủ {total}/{total} chỉ tiêu.",
        "scope": "Chỉ tiêu nào được chạy lại", "kind": "Loại", "reason": "Ghi chú",
        "reason_no_history": "chưa đủ số liệu các năm trước",
        "reason_no_interval": "có số liệu các năm trước nhưng không có ước tính kèm khoảng "
                              "tin cậy để đối chiếu",
        "reason_milestone": "chỉ tiêu đếm số lần công nhận: không có ước tính kèm khoảng "
                            "tin cậy để đối chiếu",
        "kinds": {"flow": "lũy kế theo tháng", "level": "mức (số đo tại thời điểm)",
                  "annual": "số cả năm", "derived": "tính từ chỉ tiêu khác",
                  "milestone": "số lần công nhận"},
        "by_kind": "Khoảng tin cậy theo loại chỉ tiêu", "k": "Số chỉ tiêu",
        "month0": "Trước số đầu năm",
        "came_true": "Tỷ lệ đúng", "missed": "Tỷ lệ không đạt",
        "levels_note": "Chỉ tiêu mức và số cả năm chỉ được xét khoảng tin cậy (kế hoạch các năm "
                       "trước không lưu trong danh mục); tốc độ tăng được xét theo kế hoạch năm "
                       "nay; cơ cấu (tỷ trọng) chỉ xét khoảng tin cậy. Chỉ tiêu giữ nguyên một "
                       "mức qua các năm (phương pháp “giữ mức các năm trước”, như báo "
                       "cáo tháng đánh giá) được ước đúng mức đó, không có khoảng: chỉ tính "
                       "là nằm trong khoảng khi năm kết thúc đúng bằng mức đó.",
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
        "summary_status": "Each status said and how often it came true (\u201cachieved\u201d and "
                          "\u201con track\u201d when the target was met, the others when it was "
                          "missed): {labels}. Brier score of the probability of meeting: {brier} "
                          "(0 is perfect, 0.25 is always saying 50%).",
        "label_rate": "\u201c{label}\u201d came true {rate} ({n} times)",
        "scope_sentence": "{k} of {total} indicators replayed. Not replayed: {names}.",
        "scope_all": "All {total} of {total} indicators replayed.",
        "scope": "Which indicators are replayed", "kind": "Kind", "reason": "Note",
        "reason_no_history": "not enough past years",
        "reason_no_interval": "past years exist, but no estimate with an interval to check",
        "reason_milestone": "a count of recognitions: no estimate with an interval to check",
        "kinds": {"flow": "monthly flow", "level": "level (reading)", "annual": "annual figure",
                  "derived": "derived", "milestone": "recognitions"},
        "by_kind": "Intervals by kind of indicator", "k": "Indicators",
        "month0": "Before the year's first figure",
        "came_true": "Came true", "missed": "Share missed",
        "levels_note": "Levels and annual figures are judged on their intervals only (past "
                       "years' plans are not in the catalog); growth against this year's plan; "
                       "shares on their intervals only. A figure that stayed the same every "
                       "past year (the “same as past years” method) is estimated as "
                       "that figure, without an interval: it counts as held only when the "
                       "year ends exactly on it.",
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
    # Scrolls in its own keyboard-reachable box on a narrow screen (WCAG: a scrollable
    # region must be focusable).
    return (f'<div class="kpi-scroll" style="overflow-x:auto" tabindex="0" role="region" '
            f'aria-label="{html.escape(caption)}">'
            f'<table class="kpi-table track-record"><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


STATUS_ORDER = ("achieved", "on_track", "at_risk", "off_track")


def _by_status(tr: TrackRecord) -> pd.DataFrame:
    st = tr.by_status
    return st.sort_values("status", key=lambda c: c.map({s: i for i, s in
                                                         enumerate(STATUS_ORDER)}))


def summary_text(tr: TrackRecord, catalog: Catalog, lang: str = "vi") -> list[str]:
    """The plain-words findings: which indicators, coverage, error, and how often every
    status the tool said came true (not only the flattering ones)."""
    r = tr.rows
    out = [_banner_text(tr, lang)] if tr.synthetic else []
    if r.empty:
        return [*out, _t("none", lang)]
    years = f"{r['year'].min()}–{r['year'].max()}"
    out.append(_t("summary", lang).format(
        n=format_number(len(r), 0, lang), years=years, k=r["indicator_id"].nunique(),
        in80=_pct(r["in80"].mean(), lang), in95=_pct(r["in95"].mean(), lang),
        mape=_pct(r["ape"].mean() / 100, lang)))
    out.append(_scope_sentence(tr, catalog, lang))
    st = _by_status(tr)
    if len(st):
        labels = "; ".join(_t("label_rate", lang).format(
            label=catalog.statuses.label(row.status, lang), rate=_pct(row.came_true, lang),
            n=format_number(row.n, 0, lang)) for row in st.itertuples())
        out.append(_t("summary_status", lang).format(labels=labels,
                                                     brier=format_number(tr.brier, 3, lang)))
    return out


def _banner_text(tr: TrackRecord, lang: str) -> str:
    from .i18n import t

    return t("synthetic", lang)


def _scope_sentence(tr: TrackRecord, catalog: Catalog, lang: str) -> str:
    scope = tr.scope
    missing = scope[scope["n"] == 0]
    if missing.empty:
        return _t("scope_all", lang).format(total=len(scope))
    names = "; ".join(f"{', '.join(g['indicator_id'])} ({_t('reason_' + reason, lang)})"
                      for reason, g in missing.groupby("reason", sort=False))
    return _t("scope_sentence", lang).format(k=len(scope) - len(missing), total=len(scope),
                                             names=names)


def _coverage_table(tr: TrackRecord, lang: str) -> str:
    cov = tr.coverage
    frame = pd.DataFrame({
        _t("month", lang): [_t("all", lang) if m == "all" else _t("month0", lang) if m == 0
                            else str(m) for m in cov.index],
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
    st = _by_status(tr)
    frame2 = pd.DataFrame({_t("status", lang): [scale.label(s, lang) for s in st["status"]],
                           _t("n", lang): [format_number(v, 0, lang) for v in st["n"]],
                           _t("met", lang): [_pct(v, lang) for v in st["met"]],
                           _t("missed", lang): [_pct(1 - v, lang) for v in st["met"]],
                           _t("came_true", lang): [_pct(v, lang) for v in st["came_true"]]})
    return _table(frame, _t("calibration", lang)) + _table(frame2, _t("by_status", lang))


def _scope_tables(tr: TrackRecord, catalog: Catalog, lang: str) -> str:
    """Every indicator of the plan: replayed how often, or why not; and coverage by kind."""
    kinds = _t("kinds", lang)
    names = {i.id: (i.name_en if lang == "en" else i.name_vi) for i in catalog.all_series}
    sc = tr.scope
    frame = pd.DataFrame({
        _t("indicator", lang): [f"{i} {names.get(i, '')}" for i in sc["indicator_id"]],
        _t("kind", lang): [kinds.get(k, k) for k in sc["kind"]],
        _t("n", lang): [format_number(v, 0, lang) for v in sc["n"]],
        _t("reason", lang): [_t("reason_" + r, lang) if r else "" for r in sc["reason"]]})
    out = _table(frame, _t("scope", lang))
    if not tr.rows.empty:
        bk = tr.by_kind
        out += _table(pd.DataFrame({
            _t("kind", lang): [kinds.get(k, k) for k in bk.index],
            _t("k", lang): [format_number(v, 0, lang) for v in bk["k"]],
            _t("n", lang): [format_number(v, 0, lang) for v in bk["n"]],
            _t("in80", lang): [_pct(v, lang) for v in bk["in80"]],
            _t("in95", lang): [_pct(v, lang) for v in bk["in95"]],
            _t("mape", lang): [_pct(v / 100, lang) for v in bk["mape"]]}),
            f"{_t('by_kind', lang)} ({_t('goal', lang)})")
    return out


def section_html(tr: TrackRecord, catalog: Catalog, lang: str = "vi",
                 banner: bool = True) -> str:
    """Findings and coverage by month; the synthetic banner first when the history is
    synthetic (the monthly report, which has its own banner, leaves it out)."""
    lines = summary_text(tr, catalog, lang)
    top = lines.pop(0) if tr.synthetic else ""  # the first line is the banner's text
    banner = f'<p class="kpi-banner track-record-banner" role="alert"><strong>' \
             f"{html.escape(top)}</strong></p>" if top and banner else ""
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in lines)
    if tr.rows.empty:
        return f'<div class="track-record">{banner}{paras}</div>'
    return (f'<div class="track-record">{banner}<p>{html.escape(_t("intro", lang))}</p>{paras}'
            f"{_coverage_table(tr, lang)}<p><small>{html.escape(_t('target_note', lang))} "
            f"{html.escape(_t('levels_note', lang))}</small></p></div>")


def _detail_table(tr: TrackRecord, catalog: Catalog, lang: str) -> str:
    r = tr.rows.sort_values(["indicator_id", "year", "month"])
    names = {i.id: (i.name_en if lang == "en" else i.name_vi) for i in catalog.all_series}
    units = {i.id: (i.data_unit or i.unit) for i in catalog.all_series}
    scale = catalog.statuses

    def num(v: float, iid: str) -> str:
        return format_number(v, 0 if units[iid] in ("người", "vụ") else 1, lang) \
            if np.isfinite(v) else "–"

    frame = pd.DataFrame({
        _t("indicator", lang): [f"{i} {names.get(i, '')}" for i in r["indicator_id"]],
        _t("year", lang): r["year"].astype(str),
        _t("month", lang): [str(m) if m else "–" for m in r["month"]],
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
            f"{section_html(tr, catalog, lang)}{_scope_tables(tr, catalog, lang)}"
            f"{_calibration_tables(tr, catalog, lang)}"
            + (_detail_table(tr, catalog, lang) if not tr.rows.empty else ""))
    if body_only:
        return body
    return (f'<!DOCTYPE html><html lang="{"en" if lang == "en" else "vi"}"><head>'
            f'<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><title>{html.escape(_t("title", lang))}</title><style>'
            "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
            "p,li,h1,h2{overflow-wrap:anywhere}"
            "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
            "padding:3px 6px;text-align:right}td:first-child,th:first-child{text-align:left}"
            "caption{font-weight:bold;text-align:left}"
            ".track-record-banner{background:#fff3cd;color:#5c4400;border:2px solid #8a6d00;"
            "padding:.5em 1em}"
            f"</style></head><body>{body}</body></html>")


def report_section(tr: TrackRecord, catalog: Catalog, lang: str = "vi",
                   page: str = "track_record.html") -> str:
    """The monthly report's section: heading, findings, coverage by month, and a link to the
    track record's own page published beside the report."""
    link = ("Xem chi tiết từng lần ước tính" if lang != "en" else "Every replayed estimate")
    return (f'<h2 id="track-record">{html.escape(_t("title", lang))}</h2>'
            f"{section_html(tr, catalog, lang, banner=False)}"
            f'<p><a href="{html.escape(page)}">{html.escape(link)}</a></p>')
