"""What the campaign review says, once, as sections of paragraphs and tables of text.

The HTML page and the Word report (kpi_lib.outputs.review) render the same `Doc`, so the
two never disagree. Numbers are in the reader's format (28.603,61 in Vietnamese); every
score is shown with what it was computed from, so a unit can check its own position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ..common.numbers import format_number, format_plan, format_quantity
from ..engine.assess import items_table, status_counts
from ..engine.campaign_review import REBASED_NOTE, Review, area_rows
from .i18n import reason_text
from .rules import pace_text, status_rule_lines

WORDS = {
    "vi": {
        "title6": "Sơ kết 6 tháng đầu năm {year} phong trào thi đua thực hiện nhiệm vụ phát triển "
                  "kinh tế - xã hội",
        "title12": "Tổng kết năm {year} phong trào thi đua thực hiện nhiệm vụ phát triển kinh tế - "
                   "xã hội",
        "titlem": "Kết quả phong trào thi đua thực hiện nhiệm vụ phát triển kinh tế - xã hội đến "
                  "tháng {month}/{year}",
        "basis": "Căn cứ {plan}; căn cứ số liệu các phòng, ban và UBND các xã gửi đến tháng "
                 "{month}/{year}{later}.",
        "later_one": " (tháng {last}/{year} chưa có số liệu: là số ước tính)",
        "later_many": " (các tháng {first}–{last}/{year} chưa có số liệu: là số ước tính)",
        "s_targets": "Kết quả thực hiện các chỉ tiêu thi đua",
        "s_depts": "Kết quả theo phòng, ban chủ trì",
        "s_boards": "Bảng xếp hạng theo khối, cụm thi đua",
        "s_proposals": "Đề xuất khen thưởng và đơn vị cần tập trung chấn chỉnh",
        "s_rule": "Cách đánh giá, tính điểm và xếp hạng (công khai)",
        "s_proposals_draft": "Dự kiến đề xuất khen thưởng và đơn vị cần tập trung chấn chỉnh "
                             "(tạm thời, chờ số liệu chính thức cả năm)",
        "draft": "DỰ THẢO — {n} trong {total} chỉ số của toàn địa bàn và {m} trong {judged} "
                 "đánh giá dùng để chấm điểm còn là số ước tính (chưa có số liệu chính thức cả "
                 "năm). Báo cáo chỉ hoàn chỉnh khi có số liệu chính thức cả năm; các đề xuất "
                 "khen thưởng và chấn chỉnh dưới đây là dự kiến.",
        "draft_mark": "DỰ THẢO",
        "by_indicator": "Điểm được tính theo từng chỉ số (không theo chỉ tiêu của kế hoạch), vì "
                        "mỗi chỉ số có phòng, ban chủ trì, đơn vị được giao và trọng số riêng.",
        "col_estimate": "Thực hiện / ước cả năm của đơn vị", "col_p": "Xác suất đạt",
        "counts": "{items} chỉ tiêu ({n} chỉ số). Theo chỉ tiêu (chỉ tiêu gồm nhiều chỉ số "
                  "đánh giá theo chỉ số kém nhất): {item_parts}. Theo chỉ số: {parts}.",
        "prov_part": "{n} tạm đánh giá theo xu hướng ({parts})",
        "final_counts": "Kết quả đã chắc chắn: {met} chỉ số đã đạt, {missed} chỉ số không đạt "
                        "(số liệu chính thức cả năm, hoặc số đã thực hiện đến nay đã vượt kế "
                        "hoạch hay đã vượt mức tối đa). Còn {prov} chỉ số là số ước tính, chưa "
                        "có số liệu chính thức tháng 12 (số liệu tạm tính): {ids}.",
        "final_none": "Tất cả chỉ số đã có kết quả chắc chắn.",
        "col_item": "Chỉ tiêu", "col_measure": "ĐVT", "col_lead": "Phòng, ban chủ trì", "col_units": "Giao cho",
        "col_target": "Kế hoạch", "col_value": "Thực hiện / ước cả năm", "col_status": "Đánh giá",
        "col_kind": "Loại số liệu", "col_required": "Cần đạt mỗi tháng còn lại",
        "col_note": "Ghi chú", "col_rank": "Hạng", "col_unit": "Đơn vị", "col_score": "Điểm",
        "col_judged": "Chỉ tiêu được chấm / được giao",
        "col_missing": "Chỉ tiêu chưa có số liệu hoặc chỉ tạm đánh giá (không tính điểm)", "col_calc": "Cách tính",
        "col_points": "Điểm theo đánh giá", "col_weight": "Trọng số", "col_revision": "Điều chỉnh chỉ tiêu",
        "col_cluster": "Khối, cụm", "col_proposal": "Đề xuất",
        "final": "Chính thức", "settled": "Đã chắc chắn (số đến nay)", "estimate": "Ước tính",
        "provisional": "Tạm tính (ước)",
        "area": "Toàn địa bàn", "communes": "Các xã", "tie": "đồng hạng",
        "not_ranked": "Chưa xếp hạng: chưa đủ chỉ tiêu có số liệu để chấm",
        "rebased": "Thành lập 01/7/2025: chấm trên số liệu quy đổi từ các đơn vị cũ "
                   "(lịch sử quy đổi)",
        "commend": "Đề nghị khen thưởng", "action": "Cần tập trung chấn chỉnh",
        "no_proposal": "Không có đơn vị nào theo quy tắc.",
        "valid": "Hiệu lực {start} – {end}; {n} thành viên.",
        "ended": "Các cụm đã kết thúc trong năm (xem báo cáo sơ kết 6 tháng): {names}.",
        "rule": "Điểm của mỗi đơn vị = Σ (trọng số × điểm theo đánh giá) ÷ Σ trọng số, tính trên "
                "các chỉ số được giao cho đơn vị và đã có đánh giá. Điểm theo đánh giá: {points}."
                " Trọng số mặc định {default}; riêng: {weights}. Chỉ số chưa đủ dữ liệu hoặc chỉ "
                "tạm đánh giá theo xu hướng không tính điểm và được liệt kê. Đơn vị có dưới {min_judged} chỉ số được chấm thì "
                "chưa xếp hạng (không xếp cuối). Điểm bằng nhau thì đồng hạng. Đề nghị khen "
                "thưởng: đứng đầu khối, cụm với điểm từ {commend}; cần chấn chỉnh: điểm dưới "
                "{action}.",
        "dept_line": "{name}: chủ trì {n} chỉ số ({parts}).",
        "detail": "Chi tiết điểm từng đơn vị (các chỉ tiêu được chấm)",
        "reading": "Lưu ý",
        "synthetic": "DỮ LIỆU MẪU GIẢ LẬP — không phải số liệu thật; chỉ dùng để minh họa.",
        "none": "không có",
    },
    "en": {
        "title6": "Mid-year review {year} of the emulation campaign for the socio-economic tasks",
        "title12": "Year-end review {year} of the emulation campaign for the socio-economic tasks",
        "titlem": "Emulation campaign for the socio-economic tasks: results to {month}/{year}",
        "basis": "Based on {plan} and the figures sent by the departments and communes up to "
                 "{month}/{year}{later}.",
        "later_one": " ({last}/{year} has no figures yet: it is estimated)",
        "later_many": " ({first}–{last}/{year} have no figures yet: they are estimated)",
        "s_targets": "Results by target",
        "s_depts": "Results by lead department",
        "s_boards": "Scoreboards by block and cluster",
        "s_proposals": "Proposed for commendation, and units needing action",
        "s_rule": "How statuses, scores and ranks are decided (public)",
        "s_proposals_draft": "Proposed for commendation, and units needing action "
                             "(provisional, pending the final figures for the year)",
        "draft": "DRAFT — {n} of the area's {total} indicators and {m} of the {judged} scored "
                 "judgements are still estimates (no final figure for the year). The review is "
                 "final only on the final figures for the year; the proposals below are "
                 "provisional.",
        "draft_mark": "DRAFT",
        "by_indicator": "Scores are computed per indicator (not per target of the plan): each "
                        "indicator has its own lead department, assigned units and weight.",
        "col_estimate": "Unit's actual / year-end estimate", "col_p": "Probability",
        "counts": "{items} targets ({n} indicators). By target (a target of several "
                  "indicators takes the worst of them): {item_parts}. By indicator: {parts}.",
        "prov_part": "{n} provisional, judged from the trend ({parts})",
        "final_counts": "Settled: {met} indicators achieved, {missed} missed (a final figure "
                        "for the year, or what is already counted is past the target or the "
                        "ceiling). {prov} indicators are still estimates without a final "
                        "December figure (provisional): {ids}.",
        "final_none": "Every indicator's result is settled.",
        "col_item": "Target", "col_measure": "Unit", "col_lead": "Lead department", "col_units": "Assigned to",
        "col_target": "Plan", "col_value": "Actual / year-end estimate", "col_status": "Status",
        "col_kind": "Figure", "col_required": "Required per remaining month",
        "col_note": "Note", "col_rank": "Rank", "col_unit": "Unit", "col_score": "Score",
        "col_judged": "Targets judged / assigned",
        "col_missing": "Targets without data or only provisional (not scored)", "col_calc": "Computation",
        "col_points": "Points for the status", "col_weight": "Weight", "col_revision": "Target revision",
        "col_cluster": "Block, cluster", "col_proposal": "Proposal",
        "final": "Final", "settled": "Settled (counted so far)", "estimate": "Estimate",
        "provisional": "Provisional (estimate)",
        "area": "Whole area", "communes": "Communes", "tie": "tie",
        "not_ranked": "Not ranked: too few targets with data to score",
        "rebased": "Created 1 July 2025: scored on the figures re-based from its predecessors",
        "commend": "Proposed for commendation", "action": "Needs action",
        "no_proposal": "No unit under the rule.",
        "valid": "In force {start} – {end}; {n} members.",
        "ended": "Clusters that ended during the year (see the mid-year review): {names}.",
        "rule": "A unit's score = Σ (weight × points for the status) ÷ Σ weight, over the targets "
                "assigned to it that have a status. Points: {points}. Default weight {default}; "
                "others: {weights}. Targets without enough data, or judged only from the trend, are not scored and are listed. "
                "A unit with fewer than {min_judged} judged targets is not ranked (never put "
                "last). Equal scores share a rank. Proposed for commendation: first of its "
                "block or cluster with a score of at least {commend}; needing action: a score "
                "below {action}.",
        "dept_line": "{name}: leads {n} indicators ({parts}).",
        "detail": "Each unit's score in detail (the targets scored)",
        "reading": "Note",
        "synthetic": "SYNTHETIC SAMPLE DATA — not real figures; for illustration only.",
        "none": "none",
    },
}


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    status: list[str] = field(default_factory=list)  # a row's status (colour), if any


@dataclass
class Section:
    title: str
    blocks: list[str | Table] = field(default_factory=list)
    level: int = 1


@dataclass
class Doc:
    title: str
    banner: str
    basis: str
    sections: list[Section]
    lang: str
    draft: str = ""  # the draft notice ("DỰ THẢO — …"), empty once every figure is final
    draft_mark: str = ""  # the short mark for every page's header ("DỰ THẢO")
    dated: str = ""  # "Báo cáo ngày …. Số liệu … cập nhật đến ngày …" (the HTML pages)
    data_note: str = ""  # the same without the date, which the Word's title block gives


def w(key: str, lang: str, **values: object) -> str:
    return WORDS["en" if lang == "en" else "vi"][key].format(**values)


def build_doc(review: Review, lang: str = "vi", issued: date | None = None) -> Doc:
    """The whole review: targets, departments, the rule, the scoreboards, the proposals.
    `issued`: the date printed, when not the report's (settings.report, never before its
    figures)."""
    a = review.assessment
    key = {6: "title6", 12: "title12"}.get(a.as_of, "titlem")
    title = w(key, lang, year=a.catalog.year, month=a.as_of)
    sections = [_targets(review, lang), _departments(review, lang), _rule(review, lang),
                *_boards(review, lang), _proposals(review, lang)]
    reading = review.campaign.reading(lang)
    if reading:
        sections[0].blocks.insert(0, f"{w('reading', lang)}: {reading}")
    draft = draft_notice(review, lang)
    return Doc(title, _banner(review, lang), _basis(review, lang), sections, lang, draft,
               w("draft_mark", lang) if draft else "", *date_notes(review, lang, issued))


def date_notes(review: Review, lang: str, issued: date | None = None) -> tuple[str, str]:
    """The review's date and the day its figures run to, as the monthly report says them
    (report_setup.setup_date_note): in full for the HTML pages, which have no title block,
    and without the date for the Word, whose title block prints it."""
    from dataclasses import replace

    from .report_setup import data_received_on, setup_date_note, setup_for

    a = review.assessment
    setup = setup_for(a)
    if issued is not None and issued != setup.report_date:  # a date given by the caller
        setup = replace(setup, report_date=issued, planned_date=None)
    until = data_received_on(a)
    return (setup_date_note(setup, until, lang), setup_date_note(setup, until, lang,
                                                                  dated=False))


def estimate_counts(review: Review) -> tuple[int, int, int, int]:
    """(area indicators resting on an estimate, area indicators, scored judgements resting
    on an estimate, scored judgements): what is not settled by a final or counted figure."""
    t = review.targets
    rows = [cb.board.breakdown[cb.board.breakdown["judged"]] for cb in review.boards]
    scored = pd.concat(rows) if rows else pd.DataFrame(columns=["status"])
    open_ = ~scored["status"].isin(["achieved", "missed"])
    return int((~t["settled"]).sum()), len(t), int(open_.sum()), len(scored)


def draft_notice(review: Review, lang: str) -> str:
    """A year-end review judged partly on estimates is a draft; final on final figures."""
    if not review.year_end:
        return ""
    n, total, m, judged = estimate_counts(review)
    return w("draft", lang, n=n, total=total, m=m, judged=judged) if n or m else ""


def _banner(review: Review, lang: str) -> str:
    return w("synthetic", lang) if review.assessment.dataset.source.synthetic else ""


def _basis(review: Review, lang: str) -> str:
    a = review.assessment
    cat, year = a.catalog, a.catalog.year
    latest = a.dataset.latest_month(a.unit) or a.as_of
    # The căn cứ names the plan by number, date and issuer (settings.report.basis, as the
    # monthly Word report does), not by its short title.
    from .report_setup import report_setup

    plan = (cat.meta.get("plan_en", "") if lang == "en"
            else report_setup(cat, a.as_of).basis)
    later = "" if latest >= a.as_of else w(
        "later_one" if latest + 1 == a.as_of else "later_many", lang, first=latest + 1,
        last=a.as_of, year=year)
    # The data month once: the month the figures reach, and which months are estimates.
    return w("basis", lang, plan=plan, month=latest, year=year, later=later) \
        + _scope(review, lang)


def _scope(review: Review, lang: str) -> str:
    """After 1 July 2025 the plan's area is no longer a unit: say what the figures cover,
    on the document's own date (June's review is dated in July; rules.scope_text: the
    monthly page and Word say the same)."""
    from .report_setup import setup_for
    from .rules import scope_text

    when = max(review.day, setup_for(review.assessment).report_date)
    text = scope_text(review.assessment, when, lang)
    return " " + text if text else ""


def department_doc(review: Review, lang: str = "vi", issued: date | None = None) -> Doc:
    """The department view on its own: each department's targets and what is required."""
    a = review.assessment
    title = ("Chỉ tiêu theo phòng, ban chủ trì" if lang != "en" else "Targets by lead department") \
        + f" – {a.as_of:02d}/{a.catalog.year}"
    reading = review.campaign.reading(lang)
    section = _departments(review, lang)
    if reading:
        section.blocks.insert(0, f"{w('reading', lang)}: {reading}")
    draft = draft_notice(review, lang)
    return Doc(title, _banner(review, lang), _basis(review, lang), [section], lang, draft,
               w("draft_mark", lang) if draft else "", *date_notes(review, lang, issued))


def _label(review: Review, status: str, lang: str) -> str:
    return review.assessment.catalog.statuses.label(status, lang)


def count_parts(scale, frame: pd.DataFrame, lang: str) -> str:
    """Every status with its count, trend-based judgements apart: the parts sum to the rows
    ("3 đã đạt; …; 2 không đạt; 1 chưa đủ dữ liệu; 4 tạm đánh giá theo xu hướng (…)")."""
    measured, provisional = status_counts(frame)

    def parts(counts: dict[str, int]) -> list[str]:
        return [f"{sum(counts[s] for s in group)} {label.lower()}"
                for label, _c, group in scale.levels(lang) if sum(counts[s] for s in group)]
    out = parts(measured)
    if sum(provisional.values()):
        out.append(w("prov_part", lang, n=sum(provisional.values()),
                     parts="; ".join(parts(provisional))))
    return "; ".join(out) or w("none", lang)


def _counts(review: Review, frame: pd.DataFrame, lang: str) -> str:
    return count_parts(review.assessment.catalog.statuses, frame, lang)


def _dept_name(review: Review, code: str, lang: str) -> str:
    dept = review.campaign.departments.get(code)
    return dept.name(lang) if dept else code


def _units_text(units, review: Review, lang: str) -> str:
    if units in ("area", "communes"):
        return w(units, lang)
    registry = review.assessment.dataset.registry
    return ", ".join(registry.name(u, lang) if registry else u for u in units)


def shown_figures(review: Review, lang: str) -> dict[str, tuple[str, str, tuple[str, str]]]:
    """Per area indicator: (ĐVT, plan, (estimate, counted so far)) exactly as the monthly
    report's table prints them (report_table), so the review never disagrees with it: T04
    stays in tỷ đồng while the province's figure is unknown (not "% dự toán" beside 876,53),
    a yes/no target reads Đạt/Chưa đạt, plans keep the catalog's precision (28.603,61). A
    settled status rests on what is counted so far (22 deaths past the ceiling of 20), so
    the review shows that figure beside it, not the estimate (29)."""
    from .i18n import t
    from .report_table import numbers_table, plan_cell

    a = review.assessment
    n = numbers_table(a)
    n = n[n["unit_code"].isin(area_rows(a)["unit_code"])]
    out = {}
    for _, r in n.iterrows():
        unit = r["unit"]
        if r["rule"] == "yes":
            estimate = t("yes", lang) if r["estimate"] >= 1 else t("no", lang)
            if r["estimate"] >= 1 and r["ytd"] < 1:
                estimate = t("scheduled_yes", lang)  # scheduled, not obtained: say so
            counted = t("yes", lang) if r["ytd"] >= 1 else t("no", lang)
        else:
            estimate = format_quantity(_num(r["estimate"]), unit, lang)
            if estimate == "–":  # no estimate: what is counted so far, as the monthly shows
                estimate = format_quantity(_num(r["ytd"]), unit, lang)
            counted = format_quantity(_num(r["ytd"]), unit, lang)
        out[r["id"]] = (a.catalog.unit_label(unit, lang), plan_cell(r, lang, a.catalog.year - 1),
                        (estimate, counted))
    return out


def _num(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _targets(review: Review, lang: str) -> Section:
    a, t = review.assessment, review.targets
    cat = a.catalog
    items = items_table(review.area_table, cat)
    blocks: list[str | Table] = [w("counts", lang, items=len(items), n=len(t),
                                   item_parts=count_parts(cat.statuses, items, lang),
                                   parts=_counts(review, t.assign(provisional=t["trend"]), lang))]
    if review.year_end:
        settled = t[t["settled"]]
        prov = t[t["provisional"]]
        blocks.append(w("final_counts", lang, met=int((settled["status"] == "achieved").sum()),
                        missed=int((settled["status"] == "missed").sum()), prov=len(prov),
                        ids=", ".join(prov["indicator_id"]) or w("none", lang))
                      if len(prov) else w("final_none", lang))
    rows, statuses = [], []
    shown = shown_figures(review, lang)
    for _, r in t.iterrows():
        ind = a.catalog.get(r["indicator_id"])
        kind = ("final" if r["final"] else "settled" if r["settled"] else
                "provisional" if r["provisional"] else "estimate")
        measure, plan, value = shown[r["indicator_id"]]
        rows.append([f"{r['indicator_id']}. {ind.name(lang)}", _dept_name(review, r["lead"], lang),
                     _units_text(r["units"], review, lang), measure, plan,
                     value[kind in ("final", "settled")], _label(review, r["status"], lang),
                     w(kind, lang), r["revision"]])
        statuses.append(r["status"])
    cols = [w(k, lang) for k in ("col_item", "col_lead", "col_units", "col_measure", "col_target",
                                 "col_value",
                                 "col_status", "col_kind", "col_revision")]
    blocks.append(Table(cols, rows, statuses))
    return Section(w("s_targets", lang), blocks)


def _departments(review: Review, lang: str) -> Section:
    a, view = review.assessment, review.departments
    blocks: list[str | Table] = []
    for code in review.campaign.departments:
        own = view[view["lead"] == code]
        if own.empty:
            continue
        name = _dept_name(review, code, lang)
        blocks.append(w("dept_line", lang, name=name, n=len(own),
                        parts=_counts(review, own.assign(provisional=own["trend"]), lang)))
        rows = []
        for _, r in own.iterrows():
            ind = a.catalog.get(r["indicator_id"])
            required, left = _num(r["required_pace"]), 12 - (_num(r.get("data_month")) or 12)
            rows.append([f"{r['indicator_id']}. {ind.name(lang)}",
                         _label(review, r["status"], lang),
                         pace_text(ind, required, lang, months_left=left),
                         reason_text(str(r["reason"] or ""), lang)])
        blocks.append(Table([w(k, lang) for k in ("col_item", "col_status", "col_required",
                                                  "col_note")], rows, list(own["status"])))
    return Section(w("s_depts", lang), blocks)


def _rule(review: Review, lang: str) -> Section:
    rule = review.campaign.rule

    def fmt(x: float) -> str:  # 0,5 and 2, not 0,50 and 2,00
        return format_number(x, 2, lang).rstrip("0").rstrip(",.")

    points = ", ".join(f"{_label(review, s, lang)} {fmt(p)}" for s, p in rule.points.items())
    weights = ", ".join(f"{k} × {fmt(v)}" for k, v in rule.weights.items()
                        if v != rule.default_weight) or w("none", lang)
    return Section(w("s_rule", lang), [*status_rule_lines(review.assessment.catalog, lang),
                                        w("rule", lang, points=points, default=fmt(
        rule.default_weight), weights=weights, min_judged=rule.min_judged,
        commend=score_text(rule.commend_min_score, lang),
        action=score_text(rule.action_below, lang)), w("by_indicator", lang)])


def score_text(score: float | None, lang: str) -> str:
    """A score (0–1) as points out of 100: 0.75 -> '75,0'."""
    return format_number(None if score is None or pd.isna(score) else score * 100, 1, lang)


def _boards(review: Review, lang: str) -> list[Section]:
    out = [Section(w("s_boards", lang))]
    if review.ended:
        out[0].blocks.append(w("ended", lang, names=", ".join(c.name(lang) for c in review.ended)))
    for cb in review.boards:
        c, rank, detail = cb.cluster, cb.board.ranking, cb.board.breakdown
        blocks: list[str | Table] = [w("valid", lang, start=f"{c.valid_from:%d/%m/%Y}",
                                       end=f"{c.valid_to:%d/%m/%Y}", n=len(c.members))]
        if cb.rebased:
            by_code = rank.set_index("unit_code")
            blocks.append(w("rebased", lang) + ": " + ", ".join(
                by_code.loc[u, "name"] if lang != "en" else _unit_en(review, by_code.loc[u])
                for u in cb.rebased))
        rows, statuses = [], []
        for _, r in rank.iterrows():
            place = str(r["rank"]) if r["ranked"] else "–"
            if r["tie"]:
                place += f" ({w('tie', lang)})"
            calc = (f"{format_number(r['weighted_points'], 1, lang)} ÷ "
                    f"{format_number(r['weighted_total'], 1, lang)}")
            note = [w("not_ranked", lang)] if not r["ranked"] else []
            if r["note"] == REBASED_NOTE:
                note.append(w("rebased", lang))
            if r["proposal"]:
                note.append(w(r["proposal"], lang))
            missing = detail[(detail["unit_code"] == r["unit_code"]) & ~detail["judged"]]
            rows.append([place, r["name"] if lang != "en" else _unit_en(review, r), score_text(
                r["score"], lang), f"{r['judged']} / {r['applicable']}", calc,
                ", ".join(missing["indicator_id"]) or "–", "; ".join(note)])
            statuses.append({"commend": "achieved", "action": "off_track"}.get(r["proposal"],
                                                                               ""))
        blocks.append(Table([w(k, lang) for k in ("col_rank", "col_unit", "col_score",
                                                  "col_judged", "col_calc", "col_missing",
                                                  "col_note")],
                            rows, statuses))
        blocks.append(w("detail", lang))
        blocks.append(_detail_table(review, cb, detail, lang))
        out.append(Section(c.name(lang), blocks, level=2))
    return out


def _unit_en(review: Review, r: pd.Series) -> str:
    code = r.get("unit_code", r.name)
    if code in review.campaign.departments:
        return review.campaign.departments[code].name("en")
    registry = review.assessment.dataset.registry
    return registry.name(code, "en") if registry else code


def _detail_table(review: Review, cb, detail: pd.DataFrame, lang: str) -> Table:
    names = dict(zip(cb.board.ranking["unit_code"], cb.board.ranking["name"], strict=True))
    rows, statuses = [], []
    for _, d in detail[detail["judged"]].iterrows():
        ind = review.assessment.catalog.get(d["indicator_id"])
        p = _num(d["p_meet"])
        rows.append([names.get(d["unit_code"], d["unit_code"]) if lang != "en"
                     else _unit_en(review, d), f"{d['indicator_id']}. {ind.name(lang)}",
                     format_plan(_num(d["target_value"]), ind.unit, lang),
                     format_quantity(_num(d["estimate"]), ind.unit, lang),
                     "–" if p is None or pd.isna(p) else format_number(100 * p, 1, lang) + "%",
                     _label(review, d["status"], lang),
                     format_number(d["points"], 1, lang) if d["judged"] else "–",
                     format_number(d["weight"], 1, lang), d["revision"]])
        statuses.append(d["status"])
    return Table([w(k, lang) for k in ("col_unit", "col_item", "col_target", "col_estimate",
                                       "col_p", "col_status", "col_points", "col_weight",
                                       "col_revision")], rows, statuses)


def _proposals(review: Review, lang: str) -> Section:
    rows, statuses = [], []
    for cb in review.boards:
        for _, r in cb.board.ranking[cb.board.ranking["proposal"] != ""].iterrows():
            rows.append([cb.cluster.name(lang), r["name"] if lang != "en" else _unit_en(review, r),
                         score_text(r["score"], lang), w(r["proposal"], lang)])
            statuses.append("achieved" if r["proposal"] == "commend" else "off_track")
    blocks: list[str | Table] = [Table([w(k, lang) for k in ("col_cluster", "col_unit",
                                                             "col_score", "col_proposal")],
                                       rows, statuses) if rows else w("no_proposal", lang)]
    title = "s_proposals_draft" if draft_notice(review, lang) else "s_proposals"
    return Section(w(title, lang), blocks)
