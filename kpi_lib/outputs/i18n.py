"""Words reviewers read, in Vietnamese (default) and English."""

from __future__ import annotations

TEXT = {
    "vi": {
        "title": "Báo cáo tình hình thực hiện chỉ tiêu kế hoạch phát triển kinh tế - xã hội",
        "as_of": "Số liệu đến tháng {month}/{year}",
        "synthetic": "DỮ LIỆU MẪU GIẢ LẬP — đây không phải số liệu thật; chỉ dùng để minh họa.",
        "toc": "Mục lục",
        "summary": "1. Tóm tắt",
        "focus": "2. Cần tập trung chỉ đạo",
        "items": "3. Kết quả theo chỉ tiêu của kế hoạch",
        "overview": "4. Đánh giá chung",
        "table": "5. Bảng tổng hợp các chỉ số",
        "charts": "6. Biểu đồ theo nhóm",
        "gaps": "7. Số liệu còn thiếu, gửi chậm",
        "provenance": "8. Nguồn số liệu và thông tin lần chạy",
        "period_months": "{n} tháng đầu năm {year}", "period_one": "tháng 01 năm {year}",
        "period_year": "năm {year}", "data_to": "số liệu đến tháng {month}/{year}",
        "items_count": "{items} chỉ tiêu ({indicators} chỉ số)",
        "provisional": "tạm đánh giá theo xu hướng",
        "provisional_cards": "Tạm đánh giá theo xu hướng (chưa có số liệu trong năm)",
        "item_no": "TT", "item_name": "Chỉ tiêu kế hoạch", "item_indicators": "Các chỉ số",
        "scheduled_yes": "Đạt nếu được công nhận đúng kế hoạch",
        "office_reading": "Cách hiểu của phòng",
        "param_as_of": "Tháng báo cáo", "param_lang": "Ngôn ngữ", "param_unit": "Đơn vị",
        "param_methods": "Phương pháp ước tính",
        "methods_with_ets": "chỉ tiêu cộng dồn theo tháng được ước bằng bình quân có trọng số (trung bình nhân) của hai cách ước: theo tỷ trọng mùa vụ các năm trước và theo mô hình san bằng mũ Holt-Winters; cách có sai số nhỏ hơn khi chạy lại trên số liệu các năm trước được trọng số lớn hơn (không chọn riêng một cách)",
        "methods_no_ets": "chỉ tiêu cộng dồn theo tháng được ước theo tỷ trọng mùa vụ các năm trước (lần chạy này không dùng mô hình san bằng mũ)",
        "area_unit": "toàn địa bàn",
        "gross_output": "ước theo giá trị sản xuất, chưa có số liệu giá trị tăng thêm",
        "departments": "Chỉ tiêu theo phòng, ban chủ trì", "department": "Phòng, ban chủ trì",
        "departments_note": "Phân công theo dõi là cách hiểu của cơ quan tham mưu (tệp phong "
                            "trào thi đua), không phải nội dung của Kế hoạch.",
        "quality": "Chất lượng số liệu: số liệu đã nhận, còn thiếu, gửi chậm, đã điều chỉnh",
        "revised_figures": "Số liệu đã điều chỉnh", "no_revised": "Không có số liệu nào được điều chỉnh.",
        "period_col": "Kỳ số liệu", "reported_at": "Ngày gửi", "value_col": "Giá trị",
        "source_col": "Nguồn", "years_tested": "Số năm kiểm định",
        "method_used": "Phương pháp được dùng",
        "backtest_intro": "Sai số bình quân (%) của từng phương pháp khi ước cả năm từ từng tháng, "
                          "kiểm định trên số liệu các năm trước.",
        "item": "Chỉ tiêu", "unit": "ĐVT", "plan": "Kế hoạch {year}", "month_value": "Thực hiện tháng",
        "ytd": "Lũy kế", "pct_plan": "% kế hoạch", "same_period": "Cùng kỳ {prev}",
        "pct_same": "% so cùng kỳ", "estimate": "Ước thực hiện cả năm (khoảng tin cậy 80%)",
        "p_meet": "Xác suất đạt kế hoạch", "status": "Đánh giá", "group": "Nhóm",
        "required_pace": "Cần đạt mỗi tháng còn lại", "observed_pace": "Bình quân tháng đã qua",
        "last_year_pace": "Cùng kỳ năm trước (các tháng còn lại)",
        "low_conf": "dự báo theo xu hướng các năm trước, chưa có số liệu trong năm",
        "missing_setting": "chưa có số tỉnh giao",
        "no_focus": "Không có chỉ tiêu nào có nguy cơ không đạt, khó đạt hoặc không đạt.",
        "no_gaps": "Không thiếu số liệu tháng nào.",
        "targets": "chỉ tiêu", "indicators": "chỉ số", "method": "Phương pháp ước tính",
        "reason": "Ghi chú",
        "indicator": "Chỉ tiêu", "missing_months": "Tháng thiếu số liệu", "late": "Gửi chậm",
        "target_line": "Kế hoạch", "actual": "Thực hiện lũy kế", "straight": "Tiến độ đều theo kế hoạch",
        "phased": "Tiến độ theo mùa vụ các năm trước", "forecast": "Ước cả năm",
        "band": "Khoảng tin cậy 80%",
        "month": "Tháng", "readings": "Số liệu", "year_word": "Năm",
        "yes": "Đạt", "no": "Chưa đạt", "reduce_vs": "Giảm so với {prev} ({value})",
        "run_at": "Thời gian chạy", "parameters": "Tham số", "files": "Tệp số liệu",
        "catalog": "Danh mục chỉ tiêu", "version": "Phiên bản chương trình", "data_source": "Nguồn dữ liệu",
        "technical": "Thông tin kỹ thuật (cho cán bộ kiểm tra)", "data_folder": "Thư mục số liệu",
        "vintage": "Số liệu tính đến ngày", "latest": "mới nhất (tất cả số liệu đã nhận)",
        "judgement": "Ý kiến chuyên viên (đánh giá chuyên môn)",
        "narrative": "Đánh giá chung",
        "analyst": "Khó khăn, nhiệm vụ và kiến nghị (chuyên viên viết)",
        "analyst_difficulties": "Khó khăn, vướng mắc và nguyên nhân",
        "analyst_tasks": "Nhiệm vụ, giải pháp thời gian tới", "analyst_proposals": "Kiến nghị",
        "analyst_missing": "Chuyên viên chưa viết phần này; viết vào tệp {file} (xem README).",
        "units": "Tình hình theo đơn vị cấp xã", "unit_word": "Đơn vị",
        "no_unit_target": "Không giao chỉ tiêu riêng",
        "units_intro": "Đánh giá từng xã đối với các chỉ tiêu xã có số liệu; chỉ tiêu giao cho "
                       "toàn địa bàn (số tuyệt đối) không đánh giá riêng cho xã.",
        "revised": "{id} – {name}: kế hoạch điều chỉnh từ {old} thành {new} {unit} theo {decision}, "
                   "áp dụng từ ngày {date}.",
        "revisions": "Chỉ tiêu được điều chỉnh trong năm",
        "rollup_notes": "Tổng hợp từ các đơn vị (theo danh mục đơn vị và bảng chuyển đổi)",
    },
    "en": {
        "title": "Socio-economic plan targets: progress report",
        "as_of": "Data up to {month}/{year}",
        "synthetic": "SYNTHETIC SAMPLE DATA — not real figures; for illustration only.",
        "toc": "Contents",
        "summary": "1. Summary",
        "focus": "2. Needing attention",
        "items": "3. The plan's targets",
        "overview": "4. Overview",
        "table": "5. All indicators",
        "charts": "6. Charts by group",
        "gaps": "7. Missing and late figures",
        "provenance": "8. Data sources and run information",
        "period_months": "January–{month_name} {year}", "period_one": "January {year}",
        "period_year": "the year {year}", "data_to": "data up to {month}/{year}",
        "items_count": "{items} targets ({indicators} indicators)",
        "provisional": "provisional, judged from the trend",
        "provisional_cards": "Provisional, judged from the trend (no figure this year yet)",
        "item_no": "No.", "item_name": "Plan target", "item_indicators": "Indicators",
        "scheduled_yes": "Met if recognised as scheduled",
        "office_reading": "The office's reading",
        "param_as_of": "Report month", "param_lang": "Language", "param_unit": "Unit",
        "param_methods": "Estimation methods",
        "methods_with_ets": "monthly flows are estimated by a weighted (geometric) mean of two estimates: the seasonal share of past years and Holt-Winters exponential smoothing; the one with the smaller error when replayed on past years weighs more (no single method is picked)",
        "methods_no_ets": "monthly flows are estimated from the seasonal share of past years (this run leaves out exponential smoothing)",
        "area_unit": "the whole area",
        "gross_output": "estimated from gross output; no value-added figures yet",
        "departments": "Targets by lead department", "department": "Lead department",
        "departments_note": "Who follows which target is the office's reading (the campaign "
                            "file), not the plan's words.",
        "quality": "Data quality: figures received, missing, late and revised",
        "revised_figures": "Revised figures", "no_revised": "No figure has been revised.",
        "period_col": "Period", "reported_at": "Reported on", "value_col": "Value",
        "source_col": "Source", "years_tested": "Years tested", "method_used": "Method used",
        "backtest_intro": "Mean error (%) of each method when estimating the year from each "
                          "month, tested on past years.",
        "item": "Indicator", "unit": "Unit", "plan": "Plan {year}", "month_value": "This month",
        "ytd": "Year to date", "pct_plan": "% of plan", "same_period": "Same period {prev}",
        "pct_same": "% of same period", "estimate": "Year-end estimate (80% confidence interval)",
        "p_meet": "Probability of meeting the plan", "status": "Assessment", "group": "Group",
        "required_pace": "Needed per remaining month", "observed_pace": "Average month so far",
        "last_year_pace": "Last year, same remaining months",
        "low_conf": "projection from past years; no figure in the year yet",
        "missing_setting": "province amount not set",
        "no_focus": "No target is at risk, off track or missed.",
        "no_gaps": "No monthly figure is missing.",
        "targets": "targets", "indicators": "indicators", "method": "Estimation method",
        "reason": "Note",
        "indicator": "Indicator", "missing_months": "Months missing", "late": "Late",
        "target_line": "Target", "actual": "Actual year to date", "straight": "Straight line to target",
        "phased": "Seasonal path to target", "forecast": "Year-end estimate",
        "band": "80% confidence interval",
        "month": "Month", "readings": "Readings", "year_word": "Year",
        "yes": "Achieved", "no": "Not yet", "reduce_vs": "Below {prev} ({value})",
        "run_at": "Run at", "parameters": "Parameters", "files": "Data files",
        "catalog": "Target catalog", "version": "Software version", "data_source": "Data source",
        "technical": "Technical details (for auditors)", "data_folder": "Data folder",
        "vintage": "Data as known on", "latest": "latest (all figures received)",
        "judgement": "Analyst's judgement",
        "narrative": "Overview",
        "analyst": "Difficulties, tasks and proposals (written by the analyst)",
        "analyst_difficulties": "Difficulties and causes",
        "analyst_tasks": "Tasks ahead", "analyst_proposals": "Proposals",
        "analyst_missing": "Not written yet; the analyst writes it in {file} (see README).",
        "units": "Communes at a glance", "unit_word": "Unit",
        "no_unit_target": "No target for the unit",
        "units_intro": "Each commune judged on the indicators it reports; targets set for the "
                       "whole area (absolute amounts) are not judged per commune.",
        "revised": "{id} – {name}: target revised from {old} to {new} {unit} by {decision}, "
                   "in force from {date}.",
        "revisions": "Targets revised during the year",
        "rollup_notes": "Built from units (per the unit registry and crosswalk)",
    },
}

METHOD_LABELS = {
    "vi": {"same_period": "so cùng kỳ", "seasonal_share": "tỷ trọng mùa vụ",
           "history": "xu hướng các năm", "ets": "mô hình san bằng mũ Holt-Winters",
           "theta": "mô hình Theta", "combined": "kết hợp các phương pháp",
           "run_rate": "bình quân tháng", "actual": "số thực hiện", "seasonal_change": "biến động mùa vụ",
           "damped_trend": "xu hướng tắt dần", "last_value": "số gần nhất",
           "annual_trend": "xu hướng các năm", "count": "đếm số đã đạt",
           "steady": "giữ mức các năm trước",
           "count_plus_scheduled": "đã đạt + theo kế hoạch"},
    "en": {"same_period": "same-period ratio", "seasonal_share": "seasonal share",
           "history": "history trend", "ets": "Holt-Winters exponential smoothing",
           "theta": "Theta model", "combined": "combination",
           "run_rate": "run-rate", "actual": "actual", "seasonal_change": "seasonal change",
           "damped_trend": "damped trend", "last_value": "last value",
           "annual_trend": "annual trend", "count": "count so far",
           "steady": "same as past years",
           "count_plus_scheduled": "count + scheduled"},
}


def t(key: str, lang: str = "vi", **values: object) -> str:
    text = TEXT["en" if lang == "en" else "vi"][key]
    return text.format(**values) if values else text




MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


def period_text(month: int, year: int, lang: str = "vi") -> str:
    """The report's period as the office writes it: "9 tháng đầu năm 2025", "năm 2025"."""
    if month >= 12:
        return t("period_year", lang, year=year)
    if month == 1:
        return t("period_one", lang, year=year)
    return t("period_months", lang, n=month, year=year, month_name=MONTHS_EN[month - 1])


def status_text(scale, status: str, provisional: bool, lang: str = "vi") -> str:
    """A status as every output writes it: the catalog's label, marked when it is only a
    trend-based (provisional) judgement. `scale` is the catalog's StatusScale."""
    label = scale.label(status, lang)
    return f"{label} ({t('provisional', lang)})" if provisional else label


def method_label(method: str, lang: str = "vi") -> str:
    """A method as a reader names it. "simulated from S_AGR, S_IND" names data codes a
    Vietnamese reader never meets: a plan's own code (T01) is kept, the rest are called
    "số liệu thành phần"."""
    import re

    if method.startswith("simulated from"):
        sources = [x.strip() for x in method.split("from ", 1)[1].split(",") if x.strip()]
        if lang == "en":
            return "simulated from " + ", ".join(sources)
        plan = [x for x in sources if re.fullmatch(r"T\d+[a-z]?", x)]
        return "mô phỏng từ " + ", ".join(
            plan + (["số liệu thành phần"] if len(plan) < len(sources) else []))
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
    # A reader is told what is missing, not the setting's English key (the analyst sees it
    # in the catalog check): "chưa có số được giao", as an official text says it.
    (r"setting '(.+)' is missing in the catalog",
     "chưa có số được giao làm căn cứ đánh giá (chưa nhập vào danh mục chỉ tiêu)"),
    (r"no (\d{4}) total to compare with", r"chưa có số cả năm \1 để so sánh"),
    (r"final figure misses", "số chính thức không đạt"),
    (r"final figure", "số chính thức"),
    (r"already past the target", "đã vượt kế hoạch"),
    (r"already above the ceiling; it cannot come back down this year",
     "đã vượt mức trần, không thể giảm lại trong năm"),
    (r"only (\d+) month\(s\) of figures this year", r"mới có \1 tháng số liệu"),
    (r"no figure in the year yet: provisional, judged from the trend",
     "chưa có số liệu trong năm: tạm đánh giá theo xu hướng"),
    (r"estimated from gross output: the data has no value-added series",
     "ước theo giá trị sản xuất: chưa có số liệu giá trị tăng thêm"),
    (r"provisional, judged from the trend: not scored",
     "tạm đánh giá theo xu hướng: không tính điểm"),
    (r"the reading meets the target and does not fall within the year",
     "số liệu đã đạt kế hoạch và không giảm trong năm"),
    (r"only (\d+) reading\(s\)", r"mới có \1 lần số liệu"),
    (r"scheduled, not yet obtained", "đã có kế hoạch, chưa được công nhận"),
    (r"no estimate, or too few past years to judge", "chưa đủ số liệu để ước tính"),
    (r"unlikely, but (\d+)% of the gap closed", r"khó đạt nhưng đã thực hiện \1% khoảng cách"),
    (r"in (\d+) past years, the rest came after month (\d+) in (\d+): \((\d+)\+1\)/\((\d+)\+2\)",
     r"trong \1 năm trước, có \3 năm đạt thêm sau tháng \2: xác suất (\3+1)/(\1+2)"),
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
