"""Dates as Vietnamese offices write them, in Vietnam's time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")  # Vietnam: UTC+7, no daylight saving


def now_vn() -> datetime:
    return datetime.now(VN_TZ)


def short_date(d: date | datetime) -> str:
    """29/11/2026."""
    return d.strftime("%d/%m/%Y")


def admin_date(d: date, lang: str = "vi") -> str:
    """The date line of an administrative document (Nghị định 30/2020/NĐ-CP): day below 10
    and months 1–2 zero-padded, others not: "ngày 05 tháng 10 năm 2025"."""
    if lang == "en":
        return d.strftime("%d %B %Y").lstrip("0")
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


_DAY_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")  # day-first as offices write it, or ISO


def parse_day(text: str | None, what: str = "date") -> date:
    """A date typed by a person: DD/MM/YYYY (day first, as the README promises everywhere)
    or YYYY-MM-DD; anything else is refused, never guessed (10/07/2025 is 10 July)."""
    from .errors import KpiError

    given = (text or "").strip()
    for fmt in _DAY_FORMATS:
        try:
            return datetime.strptime(given, fmt).date()
        except ValueError:
            continue
    raise KpiError(f"{what} is not a date", value=text,
                   fix="write it day first, DD/MM/YYYY (10/07/2025 is 10 July 2025), "
                       "or as YYYY-MM-DD")
