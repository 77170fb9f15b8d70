"""How a status is decided, said on the page: the thresholds, the tolerance read into
"khoảng", what "tạm đánh giá theo xu hướng" means — from the catalog, never copied by hand.

The monthly report and the review print the same lines, so a reader of either can check
any status against the figures beside it.
"""

from __future__ import annotations

import html
import math
from datetime import date

from ..common.numbers import COUNT_UNITS, format_number, format_quantity, quantity_decimals
from ..engine.assess import meet_condition, shown_bounds
from ..plan.catalog import Catalog
from .report_setup import data_received_on, setup_date_note, setup_for

RULES = {
    "vi": {
        "title": "Cách đánh giá",
        "achieved": "{achieved}: kết quả đã chắc chắn đạt (số chính thức cả năm, hoặc số đã "
                    "thực hiện đến nay đã vượt kế hoạch và không thể giảm).",
        "missed": "{missed}: đã chắc chắn không đạt (số chính thức không đạt, hoặc số đã xảy "
                  "ra đến nay đã vượt mức tối đa).",
        "p": "Các chỉ tiêu còn lại được ước tính cả năm kèm khoảng tin cậy và xác suất đạt kế "
             "hoạch: {on_track} khi xác suất từ {on}% trở lên; {at_risk} khi từ {off}% đến "
             "dưới {on}% (hoặc dưới {off}% nhưng ước tính đã đạt từ {gap}% khoảng cách tới kế "
             "hoạch); {off_track} khi dưới {off}%. {no_data}: dưới 3 tháng số liệu, dưới 2 lần "
             "đo, hoặc chưa có kế hoạch để so sánh.",
        "shown": "Một số được coi là đạt khi số hiển thị (đã làm tròn) đạt kế hoạch; chỉ tiêu "
                 "\u201cgiảm\u201d phải thấp hơn năm trước ít nhất một đơn vị hiển thị (năm trước "
                 "bằng 0 thì giữ ở 0 là đạt); mức "
                 "\u201ccần đạt mỗi tháng\u201d tính tới đúng số kế hoạch (chỉ tiêu "
                 "\u201ckhoảng\u201d: tới số kế hoạch, không tới cận dưới của phạm vi); của chỉ "
                 "tiêu giảm hoặc mức trần là mức tối đa, với số đếm (người, vụ) ghi tổng số còn "
                 "được phép trong các tháng còn lại.",
        "about": "Chỉ tiêu ghi \u201ckhoảng\u201d được coi là đạt trong phạm vi: {items}.",
        "trend": "\u201cTạm đánh giá theo xu hướng\u201d: chưa có số liệu trong năm, đánh giá "
                 "theo xu hướng các năm trước (n năm trước cùng một mức: xác suất giữ được mức đó "
                 "là (n+1)/(n+2)); được đếm riêng và không tính điểm thi đua.",
        "milestone": "Chỉ tiêu công nhận (đếm số lần được công nhận): đã có quyết định công nhận "
                     "đủ số kế hoạch là {achieved}; đã có kế hoạch công nhận trong năm nhưng chưa "
                     "có quyết định là {at_risk} (tháng chưa có số liệu không được coi là tháng "
                     "không được công nhận); còn lại, xác suất đạt theo quy tắc kế tiếp "
                     "(k+1)/(n+2), với k là số năm trong n năm trước có đủ số công nhận còn thiếu "
                     "sau tháng này, nên không bao giờ là 0% hay 100%.",
        "item": "Một chỉ tiêu gồm nhiều chỉ số được đánh giá theo chỉ số kém nhất.",
    },
    "en": {
        "title": "How a status is decided",
        "achieved": "{achieved}: settled as met (a final figure for the year, or what is "
                    "already counted is past the target and cannot fall).",
        "missed": "{missed}: settled as not met (a final figure that misses, or what is "
                  "already counted is past the ceiling).",
        "p": "The others are estimated for the year with intervals and the probability of "
             "meeting the target: {on_track} at {on}% or more; {at_risk} from {off}% to below "
             "{on}% (or below {off}% with the estimate closing at least {gap}% of the gap); "
             "{off_track} below {off}%. {no_data}: fewer than 3 months of figures, fewer than "
             "2 readings, or no target to compare with.",
        "shown": "A figure meets its target when its shown (rounded) value does; a "
                 "\u201creduce\u201d target needs at least one shown unit below last year (from "
                 "none, staying at none meets); the "
                 "required monthly pace aims at the plan's own figure (for an \u201cabout\u201d "
                 "target, the plan, not the edge of its range); for a reduction or a ceiling it "
                 "is a maximum, and for counts (people, cases) the total still allowed over the "
                 "remaining months.",
        "about": "Targets written \u201cabout\u201d count as met within: {items}.",
        "trend": "\u201cProvisional, judged from the trend\u201d: no figure this year yet, "
                 "judged from past years' trend (the same figure in each of n past years: the "
                 "probability of holding it is (n+1)/(n+2)); counted apart and not scored.",
        "milestone": "Recognitions (counted when granted): {achieved} once the recognitions the "
                     "plan asks for are granted; {at_risk} when one is scheduled within the year "
                     "but not yet granted (a month with no figures yet is not a month with no "
                     "recognition); otherwise the probability is the rule of succession "
                     "(k+1)/(n+2), k being the number of the n past years in which at least the "
                     "missing number came after this month, so never 0% or 100%.",
        "item": "A target of several indicators takes the worst of their statuses.",
    },
}


def status_rule_lines(catalog: Catalog, lang: str = "vi") -> list[str]:
    """The rule as sentences, with this catalog's thresholds, labels and tolerances."""
    words = RULES["en" if lang == "en" else "vi"]
    th, scale = catalog.thresholds, catalog.statuses
    labels = {s: scale.label(s, lang) for s in ("achieved", "missed", "on_track", "at_risk",
                                                 "off_track", "no_data")}

    def pct(x: float) -> str:
        return format_number(100 * x, 1, lang).rstrip("0").rstrip(",.")
    lines = [words["achieved"].format(**labels), words["missed"].format(**labels),
             words["p"].format(**labels, on=pct(th["on_track_p"]), off=pct(th["off_track_p"]),
                               gap=pct(th["off_track_gap"])),
             words["shown"]]
    about = [_tolerance(catalog, i, lang) for i in catalog.indicators if i.rule == "about"]
    if about:
        lines.append(words["about"].format(items="; ".join(about)))
    lines.append(words["trend"])
    if any(i.kind == "milestone" for i in catalog.indicators):
        lines.append(words["milestone"].format(**labels))
    lines.append(words["item"])
    return lines


def _tolerance(catalog: Catalog, ind, lang: str) -> str:
    """'T02 từ 9,18 % trở lên': the shown figure that meets an "about" target."""
    target = catalog.effective_target(ind)
    if target is None:
        return f"{ind.id} –"
    comparison, low, high = shown_bounds(ind, target)
    unit = catalog.unit_label(ind.unit, lang)

    def q(x: float) -> str:
        return f"{format_quantity(x, ind.unit, lang)} {unit}".strip()
    vi = lang != "en"
    if comparison == "ge":
        return f"{ind.id} {'từ' if vi else 'at least'} {q(low)}" + (" trở lên" if vi else "")
    if comparison == "le":
        return f"{ind.id} {'đến' if vi else 'at most'} {q(high)}"
    return f"{ind.id} {q(low)}–{q(high)}"


def status_rules_html(catalog: Catalog, lang: str = "vi") -> str:
    """The rule as a short block of the page."""
    words = RULES["en" if lang == "en" else "vi"]
    items = "".join(f"<li>{html.escape(x)}</li>" for x in status_rule_lines(catalog, lang))
    return (f'<section class="kpi-rules"><p><b>{html.escape(words["title"])}</b></p>'
            f"<ul>{items}</ul></section>")


def pace_text(ind, required: float | None, lang: str = "vi", unit: str = "",
              measure: str | None = None, months_left: float | None = None) -> str:
    """The monthly pace still required, toward the plan's own figure (a "khoảng" target's
    plan, not the edge of its tolerance); for a ceiling or a reduction it is a maximum
    ("tối đa 2 người"): keeping it meets the target (engine.assess._paces). `unit`: the
    label shown after it; `measure`: the unit whose precision it takes (the indicator's).

    A ceiling on a count is said as what is left over the remaining months ("tối đa 1 người
    trong 3 tháng còn lại", given `months_left`): a per-month figure rounded down to whole
    people would say 0 where one more still meets the target."""
    if required is None or not math.isfinite(required):
        return "–"
    measure = measure or ind.unit
    step = 10.0 ** quantity_decimals(measure, required)
    ceiling = meet_condition(ind, 1.0)[0] == "le"
    label = f" {unit}" if unit else ""
    if ceiling and measure.strip() in COUNT_UNITS and months_left and months_left > 0:
        left = round(months_left)
        label = label or f" {measure}"  # "tối đa 1 người …", never a bare number
        total = format_quantity(math.floor(required * months_left + 1e-9), measure, lang)
        if lang == "en":
            return f"at most {total}{label} in the {left} remaining month" + \
                ("s" if left > 1 else "")
        return f"tối đa {total}{label} trong {left} tháng còn lại"
    # Rounded the safe way: a maximum down, a minimum up, so the shown pace still meets it.
    shown = (math.floor(required * step + 1e-9) if ceiling else
             math.ceil(required * step - 1e-9)) / step
    text = format_quantity(shown, measure, lang) + label
    return ("tối đa " if lang != "en" else "at most ") + text if ceiling else text


def data_received_by(a) -> str:
    """The day the figures and opinions an assessment uses were received by (dd/mm/yyyy)."""
    day = data_received_on(a)
    return f"{day:%d/%m/%Y}" if day else "–"


def data_date_html(a, lang: str = "vi") -> str:
    """'Báo cáo ngày 15/10/2025. Số liệu … cập nhật đến ngày 15/10/2025.': the page says
    its date and what it could know (report_setup.date_note)."""
    text = setup_date_note(setup_for(a), data_received_on(a), lang)
    return f"<p><small>{html.escape(text)}</small></p>"


SCOPE = {
    "vi": {"area": "Phạm vi số liệu: địa bàn {area} như trong {plan} (trước sắp xếp đơn vị "
                   "hành chính ngày {day}); từ {day} địa bàn này gồm: {members}.",
           "outside": "{unit} (không tính phần {parts} từ ngoài địa bàn)",
           "unit": "Phạm vi số liệu: {unit} (thành lập ngày {day}, gồm: {members}); số liệu "
                   "trước ngày {day} là tổng số liệu của các đơn vị cũ này.",
           "issuer": "Cơ quan báo cáo: {issuer}{example}.", "example": " (ví dụ, chưa phải "
                   "cơ quan ban hành thực tế)", "none": "không có đơn vị nào"},
    "en": {"area": "Figures cover {area} as in {plan} (before the reorganisation of {day}); "
                   "from {day} this area is made up of: {members}.",
           "outside": "{unit} (not counting {parts}, from outside the area)",
           "unit": "Figures cover {unit} (formed on {day} from: {members}); figures before "
                   "{day} are the sum of those former units.",
           "issuer": "Reported by: {issuer}{example}.", "example": " (an example, not the "
                   "actual issuing body)", "none": "no unit"},
}


def reorganised_on(registry, codes: list[str]) -> date | None:
    """The day units of `codes` (or their members) were reorganised (the crosswalk's
    effective date), or None when the registry records none."""
    days = [link.effective for link in registry.links
            if link.to_unit in codes or link.from_unit in codes]
    return min(days) if days else None


def scope_text(a, day: date, lang: str = "vi") -> str:
    """Which area the figures cover, once the units it was made of have been reorganised
    (two-level local government from 1/7/2025): the plan's area and the new units it now
    lies in (naming any part that came from outside), or a unit's own report and the
    former units it was formed from. Empty before the reorganisation or without a
    registry. One text for the monthly page, its Word, and the reviews."""
    registry = a.dataset.registry
    if registry is None:
        return ""
    words = SCOPE["en" if lang == "en" else "vi"]
    area = a.catalog.default_unit
    unit = a.unit if a.unit and a.unit != area else None
    if unit:
        links = registry.predecessors(unit)
        changed = min((link.effective for link in links), default=None)
        if changed is None or day < changed:
            return ""
        return words["unit"].format(unit=registry.name(unit, lang), day=f"{changed:%d/%m/%Y}",
                                    members=", ".join(registry.name(link.from_unit, lang)
                                                      for link in links))
    members = registry.members_at(area, day.year, day.month)  # the units on the report's day
    changed = reorganised_on(registry, [u.code for u in members])
    if changed is None or day < changed:
        return ""
    names = []
    for u in members:
        outside = [registry.name(link.from_unit, lang) for link in registry.predecessors(u.code)
                   if link.from_unit in registry.units
                   and registry.units[link.from_unit].parent != area]
        names.append(words["outside"].format(unit=u.name(lang), parts=", ".join(outside))
                     if outside else u.name(lang))
    name = str(a.catalog.meta.get("area_en" if lang == "en" else "area_vi", area))
    return words["area"].format(
        area=name[:1].lower() + name[1:] if lang != "en" else name,  # "địa bàn huyện …"
        plan=a.catalog.meta.get("plan_en" if lang == "en" else "plan_vi", ""),
        day=f"{changed:%d/%m/%Y}", members=", ".join(names) or words["none"])


def issuer_text(setup, lang: str = "vi") -> str:
    """'Cơ quan báo cáo: UBND xã Bình Sơn (ví dụ, …).' — who issues the figures."""
    words = SCOPE["en" if lang == "en" else "vi"]
    return words["issuer"].format(issuer=setup.issuer.short,
                                  example=words["example"] if setup.issuer.example else "")


def scope_html(a, lang: str = "vi") -> str:
    """The issuer and the scope, under the page's title (dated as the report is)."""
    setup = setup_for(a)
    parts = [issuer_text(setup, lang), scope_text(a, setup.report_date, lang)]
    return "<p><small>" + " ".join(html.escape(p) for p in parts if p) + "</small></p>"
