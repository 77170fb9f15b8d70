"""Words reviewers read, in Vietnamese (default) and English."""

from __future__ import annotations

TEXT = {
    "vi": {
        "title": "Báo cáo tình hình thực hiện chỉ tiêu kế hoạch phát triển kinh tế - xã hội",
        "as_of": "Số liệu đến tháng {month}/{year}",
        "synthetic": "DỮ LIỆU MẪU GIẢ LẬP — đây không phải số liệu thật; chỉ dùng để minh họa.",
        "toc": "Mục lục",
        "summary": "1. Tóm tắt",
        "table": "2. Bảng tổng hợp chỉ tiêu",
        "charts": "3. Biểu đồ theo nhóm",
        "focus": "4. Cần tập trung chỉ đạo",
        "gaps": "5. Số liệu còn thiếu, gửi chậm",
        "provenance": "6. Nguồn số liệu và thông tin lần chạy",
        "item": "Chỉ tiêu", "unit": "ĐVT", "plan": "Kế hoạch {year}", "month_value": "Thực hiện tháng",
        "ytd": "Lũy kế", "pct_plan": "% kế hoạch", "same_period": "Cùng kỳ {prev}",
        "pct_same": "% so cùng kỳ", "estimate": "Ước thực hiện cả năm (khoảng 80%)",
        "p_meet": "Khả năng đạt", "status": "Đánh giá", "group": "Nhóm",
        "required_pace": "Cần đạt mỗi tháng còn lại", "observed_pace": "Bình quân tháng đã qua",
        "last_year_pace": "Cùng kỳ năm trước (các tháng còn lại)",
        "low_conf": "dự báo theo xu hướng các năm trước, chưa có số liệu trong năm",
        "missing_setting": "chưa có số tỉnh giao",
        "no_focus": "Không có chỉ tiêu nào có nguy cơ không đạt hoặc khó đạt.",
        "no_gaps": "Không thiếu số liệu tháng nào.",
        "targets": "chỉ tiêu", "method": "Phương pháp ước tính", "reason": "Ghi chú",
        "indicator": "Chỉ tiêu", "missing_months": "Tháng thiếu số liệu", "late": "Gửi chậm",
        "target_line": "Kế hoạch", "actual": "Thực hiện lũy kế", "straight": "Tiến độ đều theo kế hoạch",
        "phased": "Tiến độ theo mùa vụ các năm trước", "forecast": "Ước cả năm", "band": "Khoảng 80%",
        "month": "Tháng", "readings": "Số liệu", "year_word": "Năm",
        "yes": "Đạt", "no": "Chưa đạt", "reduce_vs": "Giảm so với {prev} ({value})",
        "run_at": "Thời gian chạy", "parameters": "Tham số", "files": "Tệp số liệu",
        "catalog": "Danh mục chỉ tiêu", "version": "Phiên bản kpi_lib", "data_source": "Nguồn dữ liệu",
        "vintage": "Số liệu tính đến ngày", "latest": "mới nhất",
        "judgement": "Ý kiến chuyên viên (đánh giá chuyên môn)",
        "narrative": "Đánh giá chung",
        "units": "Tình hình theo đơn vị cấp xã", "unit_word": "Đơn vị",
        "no_unit_target": "Không giao chỉ tiêu riêng",
        "units_intro": "Đánh giá từng xã đối với các chỉ tiêu xã có số liệu; chỉ tiêu giao cho "
                       "toàn địa bàn (số tuyệt đối) không đánh giá riêng cho xã.",
        "revised": "{id} – {name}: kế hoạch điều chỉnh từ {old} thành {new} {unit} theo {decision}, "
                   "áp dụng từ ngày {date}.",
        "revisions": "Chỉ tiêu được điều chỉnh trong năm",
        "rollup_notes": "Tổng hợp từ các đơn vị (sau sắp xếp đơn vị hành chính 01/7/2025)",
    },
    "en": {
        "title": "Socio-economic plan targets: progress report",
        "as_of": "Data up to {month}/{year}",
        "synthetic": "SYNTHETIC SAMPLE DATA — not real figures; for illustration only.",
        "toc": "Contents",
        "summary": "1. Summary",
        "table": "2. Targets at a glance",
        "charts": "3. Charts by group",
        "focus": "4. Needing attention",
        "gaps": "5. Missing and late figures",
        "provenance": "6. Data sources and run information",
        "item": "Indicator", "unit": "Unit", "plan": "Plan {year}", "month_value": "This month",
        "ytd": "Year to date", "pct_plan": "% of plan", "same_period": "Same period {prev}",
        "pct_same": "% of same period", "estimate": "Year-end estimate (80% range)",
        "p_meet": "Chance of meeting", "status": "Assessment", "group": "Group",
        "required_pace": "Needed per remaining month", "observed_pace": "Average month so far",
        "last_year_pace": "Last year, same remaining months",
        "low_conf": "projection from past years; no figure in the year yet",
        "missing_setting": "province amount not set",
        "no_focus": "No target is at risk or off track.",
        "no_gaps": "No monthly figure is missing.",
        "targets": "targets", "method": "Estimation method", "reason": "Note",
        "indicator": "Indicator", "missing_months": "Months missing", "late": "Late",
        "target_line": "Target", "actual": "Actual year to date", "straight": "Straight line to target",
        "phased": "Seasonal path to target", "forecast": "Year-end estimate", "band": "80% range",
        "month": "Month", "readings": "Readings", "year_word": "Year",
        "yes": "Achieved", "no": "Not yet", "reduce_vs": "Below {prev} ({value})",
        "run_at": "Run at", "parameters": "Parameters", "files": "Data files",
        "catalog": "Target catalog", "version": "kpi_lib version", "data_source": "Data source",
        "vintage": "Data as known on", "latest": "latest",
        "judgement": "Analyst's judgement",
        "narrative": "Overview",
        "units": "Communes at a glance", "unit_word": "Unit",
        "no_unit_target": "No target for the unit",
        "units_intro": "Each commune judged on the indicators it reports; targets set for the "
                       "whole area (absolute amounts) are not judged per commune.",
        "revised": "{id} – {name}: target revised from {old} to {new} {unit} by {decision}, "
                   "in force from {date}.",
        "revisions": "Targets revised during the year",
        "rollup_notes": "Built from units (after the 1 July 2025 reorganisation)",
    },
}

METHOD_LABELS = {
    "vi": {"same_period": "so cùng kỳ", "seasonal_share": "tỷ trọng mùa vụ",
           "history": "xu hướng các năm", "ets": "mô hình ETS", "theta": "mô hình Theta", "combined": "kết hợp các phương pháp",
           "run_rate": "bình quân tháng", "actual": "số thực hiện", "seasonal_change": "biến động mùa vụ",
           "damped_trend": "xu hướng tắt dần", "last_value": "số gần nhất",
           "annual_trend": "xu hướng các năm", "count": "đếm số đã đạt",
           "count_plus_scheduled": "đã đạt + theo kế hoạch"},
    "en": {"same_period": "same-period ratio", "seasonal_share": "seasonal share",
           "history": "history trend", "ets": "ETS model", "theta": "Theta model", "combined": "combination",
           "run_rate": "run-rate", "actual": "actual", "seasonal_change": "seasonal change",
           "damped_trend": "damped trend", "last_value": "last value",
           "annual_trend": "annual trend", "count": "count so far",
           "count_plus_scheduled": "count + scheduled"},
}


def t(key: str, lang: str = "vi", **values: object) -> str:
    text = TEXT["en" if lang == "en" else "vi"][key]
    return text.format(**values) if values else text




def method_label(method: str, lang: str = "vi") -> str:
    if method.startswith("simulated from"):
        return ("mô phỏng từ " if lang != "en" else "simulated from ") + method.split("from ", 1)[1]
    return METHOD_LABELS["en" if lang == "en" else "vi"].get(method, method)


def check_lang(lang: str) -> str:
    from ..common.errors import KpiError

    if lang not in ("vi", "en"):
        raise KpiError("unknown language", value=lang, fix="use --lang vi or --lang en")
    return lang


# The engine explains itself in English; reviewers read these in Vietnamese.
REASONS_VI = [
    ((r"(\S+): the part of (.+) in (.+) is unknown \(no figures for (.+) in the 12 months "
     r"before the change\); its months after the change are left out"),
     (r"\1: chưa xác định được phần của \2 thuộc \3 (thiếu số liệu của \4 trong 12 tháng "
     r"trước khi sắp xếp); các tháng sau sắp xếp chưa tổng hợp được")),
    (r"(\S+) (\S+): left out, no usable figure from (.+) and (\d+) more",
     r"\1 \2: chưa tổng hợp, thiếu số liệu của \3 và \4 đơn vị khác"),
    (r"(\S+) (\S+): left out, no usable figure from (.+)",
     r"\1 \2: chưa tổng hợp, thiếu số liệu của \3"),
    (r"the plan sets this target for the whole area, not for this unit",
     "kế hoạch giao chỉ tiêu này cho toàn địa bàn, không giao riêng cho đơn vị"),
    (r"setting '(.+)' is missing in the catalog", r"chưa nhập '\1' trong danh mục chỉ tiêu"),
    (r"no (\d{4}) total to compare with", r"chưa có số cả năm \1 để so sánh"),
    (r"final figure misses", "số chính thức không đạt"),
    (r"final figure", "số chính thức"),
    (r"already past the target", "đã vượt kế hoạch"),
    (r"already above the ceiling; it cannot come back down this year",
     "đã vượt mức trần, không thể giảm lại trong năm"),
    (r"only (\d+) month\(s\) of figures this year", r"mới có \1 tháng số liệu"),
    (r"no figure in the year yet; projection from past years shown",
     "chưa có số liệu trong năm; chỉ có dự báo theo xu hướng các năm trước"),
    (r"only (\d+) reading\(s\)", r"mới có \1 lần số liệu"),
    (r"scheduled, not yet obtained", "đã có kế hoạch, chưa được công nhận"),
    (r"no estimate, or too few past years to judge", "chưa đủ số liệu để ước tính"),
    (r"unlikely, but (\d+)% of the gap closed", r"khó đạt nhưng đã thực hiện \1% khoảng cách"),
    (r"in (\d+) past years, the rest came after month (\d+) in (\d+)",
     r"trong \1 năm trước, có \3 năm đạt thêm sau tháng \2"),
    (r"([\d.]+) scheduled later in the year \(not yet obtained\)",
     r"\1 dự kiến trong các tháng còn lại (chưa được công nhận)"),
    (r"no figure in the year yet \(chưa có số liệu trong năm\): projection from past years",
     "chưa có số liệu trong năm: dự báo theo các năm trước"),
    (r"history too short to backtest; .*", "lịch sử ngắn, khoảng ước tính theo biến động các tháng"),
    (r"too little history to backtest; .*", "lịch sử ngắn, khoảng ước tính theo biến động các kỳ"),
    (r"no figure this year", "chưa có số liệu năm nay"),
    (r"components have no estimate", "các thành phần chưa có ước tính"),
    (r"components have fewer than 3 months of figures", "các thành phần mới có dưới 3 tháng số liệu"),
]


def reason_text(text: str, lang: str = "vi") -> str:
    """A reason or note from the engine, in the reader's language."""
    import re

    if lang == "en" or not text:
        return text
    for pattern, replacement in REASONS_VI:
        if re.fullmatch(pattern, text):
            return re.sub(pattern, replacement, text)
    return text
