"""What the campaign review says, once, as sections of paragraphs and tables of text.

The HTML page and the Word report (kpi_lib.outputs.review) render the same `Doc`, so the
two never disagree. Numbers are in the reader's format (28.603,61 in Vietnamese); every
score is shown with what it was computed from, so a unit can check its own position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..common.numbers import format_number, format_quantity
from ..engine.campaign_review import REBASED_NOTE, Review
from .i18n import reason_text

WORDS = {
    "vi": {
        "title6": "Sơ kết 6 tháng đầu năm {year} phong trào thi đua thực hiện nhiệm vụ phát triển "
                  "kinh tế - xã hội",
        "title12": "Tổng kết năm {year} phong trào thi đua thực hiện nhiệm vụ phát triển kinh tế - "
                   "xã hội",
        "titlem": "Kết quả phong trào thi đua thực hiện nhiệm vụ phát triển kinh tế - xã hội đến "
                  "tháng {month}/{year}",
        "basis": "Căn cứ {plan}; căn cứ số liệu các phòng, ban và UBND các xã gửi đến tháng "
                 "{month}/{year}.",
        "data_to": "Số liệu mới nhất đến tháng {month}/{year}: các tháng sau là số ước tính.",
        "s_targets": "Kết quả thực hiện các chỉ tiêu thi đua",
        "s_depts": "Kết quả theo phòng, ban chủ trì",
        "s_boards": "Bảng xếp hạng theo khối, cụm thi đua",
        "s_proposals": "Đề xuất khen thưởng và đơn vị cần tập trung chấn chỉnh",
        "s_rule": "Cách tính điểm và xếp hạng (công khai)",
        "counts": "{n} chỉ tiêu: {parts}.",
        "final_counts": "Số liệu chính thức cả năm: {met} chỉ tiêu đạt, {missed} chỉ tiêu không "
                        "đạt. Còn {prov} chỉ tiêu là số ước tính, chưa có số liệu chính thức "
                        "tháng 12 (số liệu tạm tính): {ids}.",
        "final_none": "Tất cả chỉ tiêu đã có số liệu chính thức cả năm.",
        "col_item": "Chỉ tiêu", "col_measure": "ĐVT", "col_lead": "Phòng, ban chủ trì", "col_units": "Giao cho",
        "col_target": "Kế hoạch", "col_value": "Thực hiện / ước cả năm", "col_status": "Đánh giá",
        "col_kind": "Loại số liệu", "col_required": "Cần đạt mỗi tháng còn lại",
        "col_note": "Ghi chú", "col_rank": "Hạng", "col_unit": "Đơn vị", "col_score": "Điểm",
        "col_judged": "Chỉ tiêu được chấm / được giao",
        "col_missing": "Chỉ tiêu chưa có số liệu hoặc chỉ tạm đánh giá (không tính điểm)", "col_calc": "Cách tính",
        "col_points": "Điểm theo đánh giá", "col_weight": "Trọng số", "col_revision": "Điều chỉnh chỉ tiêu",
        "col_cluster": "Khối, cụm", "col_proposal": "Đề xuất",
        "final": "Chính thức", "estimate": "Ước tính", "provisional": "Tạm tính (ước)",
        "area": "Toàn địa bàn", "communes": "Các xã", "tie": "đồng hạng",
        "not_ranked": "Chưa xếp hạng: chưa đủ chỉ tiêu có số liệu để chấm",
        "rebased": "Thành lập 01/7/2025: chấm trên số liệu quy đổi từ các đơn vị cũ "
                   "(lịch sử quy đổi)",
        "commend": "Đề nghị khen thưởng", "action": "Cần tập trung chấn chỉnh",
        "no_proposal": "Không có đơn vị nào theo quy tắc.",
        "valid": "Hiệu lực {start} – {end}; {n} thành viên.",
        "ended": "Các cụm đã kết thúc trong năm (xem báo cáo sơ kết 6 tháng): {names}.",
        "rule": "Điểm của mỗi đơn vị = Σ (trọng số × điểm theo đánh giá) ÷ Σ trọng số, tính trên "
                "các chỉ tiêu được giao cho đơn vị và đã có đánh giá. Điểm theo đánh giá: {points}."
                " Trọng số mặc định {default}; riêng: {weights}. Chỉ tiêu chưa đủ dữ liệu hoặc chỉ "
                "tạm đánh giá theo xu hướng không tính điểm và được liệt kê. Đơn vị có dưới {min_judged} chỉ tiêu được chấm thì "
                "chưa xếp hạng (không xếp cuối). Điểm bằng nhau thì đồng hạng. Đề nghị khen "
                "thưởng: đứng đầu khối, cụm với điểm từ {commend}; cần chấn chỉnh: điểm dưới "
                "{action}.",
        "dept_line": "{name}: chủ trì {n} chỉ tiêu ({parts}).",
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
                 "{month}/{year}.",
        "data_to": "The latest figures are for {month}/{year}: later months are estimates.",
        "s_targets": "Results by target",
        "s_depts": "Results by lead department",
        "s_boards": "Scoreboards by block and cluster",
        "s_proposals": "Proposed for commendation, and units needing action",
        "s_rule": "How scores and ranks are computed (public)",
        "counts": "{n} targets: {parts}.",
        "final_counts": "Final figures for the year: {met} targets met, {missed} not met. {prov} "
                        "targets are still estimates without a final December figure "
                        "(provisional): {ids}.",
        "final_none": "Every target has its final figure for the year.",
        "col_item": "Target", "col_measure": "Unit", "col_lead": "Lead department", "col_units": "Assigned to",
        "col_target": "Plan", "col_value": "Actual / year-end estimate", "col_status": "Status",
        "col_kind": "Figure", "col_required": "Required per remaining month",
        "col_note": "Note", "col_rank": "Rank", "col_unit": "Unit", "col_score": "Score",
        "col_judged": "Targets judged / assigned",
        "col_missing": "Targets without data or only provisional (not scored)", "col_calc": "Computation",
        "col_points": "Points for the status", "col_weight": "Weight", "col_revision": "Target revision",
        "col_cluster": "Block, cluster", "col_proposal": "Proposal",
        "final": "Final", "estimate": "Estimate", "provisional": "Provisional (estimate)",
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
        "dept_line": "{name}: leads {n} targets ({parts}).",
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


def w(key: str, lang: str, **values: object) -> str:
    return WORDS["en" if lang == "en" else "vi"][key].format(**values)


def build_doc(review: Review, lang: str = "vi") -> Doc:
    """The whole review: targets, departments, the rule, the scoreboards, the proposals."""
    a = review.assessment
    key = {6: "title6", 12: "title12"}.get(a.as_of, "titlem")
    title = w(key, lang, year=a.catalog.year, month=a.as_of)
    sections = [_targets(review, lang), _departments(review, lang), _rule(review, lang),
                *_boards(review, lang), _proposals(review, lang)]
    reading = review.campaign.reading(lang)
    if reading:
        sections[0].blocks.insert(0, f"{w('reading', lang)}: {reading}")
    return Doc(title, _banner(review, lang), _basis(review, lang), sections, lang)


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
    basis = w("basis", lang, plan=plan, month=a.as_of, year=year)
    if latest < a.as_of:
        basis += " " + w("data_to", lang, month=latest, year=year)
    return basis


def department_doc(review: Review, lang: str = "vi") -> Doc:
    """The department view on its own: each department's targets and what is required."""
    a = review.assessment
    title = ("Chỉ tiêu theo phòng, ban chủ trì" if lang != "en" else "Targets by lead department") \
        + f" – {a.as_of:02d}/{a.catalog.year}"
    reading = review.campaign.reading(lang)
    section = _departments(review, lang)
    if reading:
        section.blocks.insert(0, f"{w('reading', lang)}: {reading}")
    return Doc(title, _banner(review, lang), _basis(review, lang), [section], lang)


def _label(review: Review, status: str, lang: str) -> str:
    return review.assessment.catalog.statuses.label(status, lang)


def _counts(review: Review, statuses: pd.Series, lang: str) -> str:
    order = ["achieved", "on_track", "at_risk", "off_track", "no_data"]
    counts = statuses.value_counts()
    return "; ".join(f"{int(counts[s])} {_label(review, s, lang).lower()}" for s in order
                     if s in counts)


def _dept_name(review: Review, code: str, lang: str) -> str:
    dept = review.campaign.departments.get(code)
    return dept.name(lang) if dept else code


def _units_text(units, review: Review, lang: str) -> str:
    if units in ("area", "communes"):
        return w(units, lang)
    registry = review.assessment.dataset.registry
    return ", ".join(registry.name(u, lang) if registry else u for u in units)


def _value(r: pd.Series, unit: str, lang: str) -> str:
    value = r["estimate"] if pd.notna(r["estimate"]) else r["actual_to_date"]
    return format_quantity(_num(value), unit, lang)


def _num(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _targets(review: Review, lang: str) -> Section:
    a, t = review.assessment, review.targets
    cat = a.catalog
    blocks: list[str | Table] = [w("counts", lang, n=len(t), parts=_counts(review, t["status"],
                                                                           lang))]
    if review.year_end:
        final = t[t["final"]]
        prov = t[t["provisional"]]
        blocks.append(w("final_counts", lang, met=int((final["status"] == "achieved").sum()),
                        missed=int((final["status"] == "off_track").sum()), prov=len(prov),
                        ids=", ".join(prov["indicator_id"]) or w("none", lang))
                      if len(prov) else w("final_none", lang))
    rows, statuses = [], []
    for _, r in t.iterrows():
        ind = a.catalog.get(r["indicator_id"])
        kind = "final" if r["final"] else ("provisional" if r["provisional"] else "estimate")
        rows.append([f"{r['indicator_id']}. {ind.name(lang)}", _dept_name(review, r["lead"], lang),
                     _units_text(r["units"], review, lang), cat.unit_label(ind.unit, lang),
                     format_quantity(_num(r["target_value"]), ind.unit, lang),
                     _value(r, ind.unit, lang), _label(review, r["status"], lang), w(kind, lang),
                     r["revision"]])
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
                        parts=_counts(review, own["status"], lang)))
        rows = []
        for _, r in own.iterrows():
            ind = a.catalog.get(r["indicator_id"])
            required = _num(r["required_pace"])
            rows.append([f"{r['indicator_id']}. {ind.name(lang)}",
                         _label(review, r["status"], lang),
                         format_quantity(required, ind.unit, lang) if required is not None
                         else "–", reason_text(str(r["reason"] or ""), lang)])
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
    return Section(w("s_rule", lang), [w("rule", lang, points=points, default=fmt(
        rule.default_weight), weights=weights, min_judged=rule.min_judged,
        commend=score_text(rule.commend_min_score, lang),
        action=score_text(rule.action_below, lang))])


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
        rows.append([names.get(d["unit_code"], d["unit_code"]) if lang != "en"
                     else _unit_en(review, d), f"{d['indicator_id']}. {ind.name(lang)}",
                     _label(review, d["status"], lang),
                     format_number(d["points"], 1, lang) if d["judged"] else "–",
                     format_number(d["weight"], 1, lang), d["revision"]])
        statuses.append(d["status"])
    return Table([w(k, lang) for k in ("col_unit", "col_item", "col_status", "col_points",
                                       "col_weight", "col_revision")], rows, statuses)


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
    return Section(w("s_proposals", lang), blocks)
