"""Who issues the Word report, under which number, where and when: `settings.report`.

These are the office's facts, not the run's, so they are data in the catalog:

- `issuers`: a list of issuing bodies, each valid from/to a date. A body can cease to exist
  (the district level was abolished on 1 July 2025), so the issuer is the one valid on the
  report's date, never "the district" by default. An entry marked `example: true` is a
  placeholder and the document says so.
- `dates`: the report's planned date is a setting, not the day the job ran (a re-run in
  December must not redate September's report). `dates` maps a month ("2025-09") to its
  date; months not listed get day `day_of_next_month` of the following month. A document
  is never dated before the figures and opinions it uses (README "Dates that hold
  together"): when they were received after the planned date, it carries the day they run
  to instead (`issue_date`), and says so (`date_note`).
- `number` (blank until the clerk registers it), `place`, `basis` (the căn cứ: the plan's
  number, date and issuer) and `recipients` (one per line in "Nơi nhận").

Any mistake is a KpiError naming the catalog and the key, raised before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..common.errors import KpiError

FIX_ISSUERS = ("add under settings.report: issuers: [{valid_from: 2025-07-01, valid_to: null, "
               "name: 'ỦY BAN NHÂN DÂN XÃ …', short: 'UBND xã …', code: UBND}]")

# With no `issuers` configured the report still builds, visibly unfinished: guessing "UBND
# <area>" would name a body that may no longer exist (districts were abolished on 1/7/2025).
PLACEHOLDER = {"name": "[CƠ QUAN BAN HÀNH]", "short": "[cơ quan ban hành]", "example": True}


@dataclass(frozen=True)
class Issuer:
    """One issuing body for a span of dates, with how its reports are signed."""

    name: str  # in capitals, as printed: "ỦY BAN NHÂN DÂN HUYỆN BÌNH SƠN"
    short: str  # in running text: "UBND huyện Bình Sơn"
    code: str  # the body's abbreviation in the number: …/BC-UBND
    parent: str = ""  # the superior body, if any, in capitals
    valid_from: date = date.min
    valid_to: date = date.max
    on_behalf: str = ""  # "TM. ỦY BAN NHÂN DÂN"
    deputy: str = ""  # "KT. CHỦ TỊCH" when a deputy signs
    signer_title: str = ""  # "PHÓ CHỦ TỊCH"
    signer: str = ""  # the signer's full name
    example: bool = False  # a placeholder: the report says so
    units: tuple[str, ...] = ()  # the units whose own reports it issues; () = the area's


@dataclass(frozen=True)
class ReportSetup:
    """Everything of settings.report resolved for one month's report."""

    issuer: Issuer
    report_date: date  # the date printed: never before the figures it uses
    number: str  # "Số: …" as printed
    place: str
    basis: str  # căn cứ: the plan reported on
    recipients: list[str]
    planned_date: date | None = None  # settings.report's date (earlier when data moved it)


def issue_date(planned: date, data_until: date | None) -> date:
    """The date a document carries: its planned date, or the day the figures and opinions
    it uses run to when that is later (a re-run gives the same date: no clock involved)."""
    return max(planned, data_until) if data_until else planned


def data_received_on(a) -> date | None:
    """The day the figures and opinions an assessment uses were received by."""
    return received_by(a.dataset, a.overrides)


def received_by(dataset, overrides=None) -> date | None:
    """A dataset's vintage, else the latest day anything read from it (figures,
    corrections, analysts' opinions) was received: no document is dated before it."""
    import pandas as pd

    if dataset.vintage:
        return pd.Timestamp(dataset.vintage).date()
    days = pd.to_datetime(dataset.obs["reported_at"], errors="coerce").dropna()
    if overrides is not None and len(overrides):
        days = pd.concat([days, pd.to_datetime(overrides["date"], dayfirst=True)])
    return days.max().date() if len(days) else None


def setup_for(a) -> ReportSetup:
    """settings.report resolved for an assessment's document, dated not before its data."""
    return report_setup(a.catalog, a.as_of, a.unit, data_received_on(a))


DATE_NOTE = {
    "vi": {"dated": "Báo cáo ngày {issued}{moved}.",
           "data": "Số liệu (kể cả số điều chỉnh và ý kiến chuyên viên) cập nhật đến ngày "
                   "{data}{moved}.",
           "moved": " (dự kiến ngày {planned}, lùi lại vì có số liệu nhận sau ngày dự kiến)",
           "moved_data": " (báo cáo dự kiến ngày {planned}, lùi lại vì có số liệu nhận sau "
                         "ngày dự kiến)"},
    "en": {"dated": "Report dated {issued}{moved}.",
           "data": "Figures (corrections and analyst opinions included) as received by "
                   "{data}{moved}.",
           "moved": " (planned for {planned}, later because figures came after that day)",
           "moved_data": " (the report was planned for {planned}, later because figures "
                         "came after that day)"},
}


def date_note(issued: date, planned: date | None, data_until: date | None,
              lang: str = "vi", dated: bool = True) -> str:
    """'Báo cáo ngày 15/10/2025 (dự kiến ngày 05/10/2025, lùi lại vì …). Số liệu … cập nhật
    đến ngày 15/10/2025.': one text for the HTML, Word, Excel and index. `dated=False` where
    the document prints its date already (the Word title block)."""
    words = DATE_NOTE["en" if lang == "en" else "vi"]
    moved = planned is not None and planned != issued
    dates = {"issued": f"{issued:%d/%m/%Y}", "planned": f"{(planned or issued):%d/%m/%Y}"}
    data = f"{data_until:%d/%m/%Y}" if data_until else "–"
    if not dated:
        return words["data"].format(data=data, moved=words["moved_data"].format(**dates)
                                    if moved else "")
    return " ".join((words["dated"].format(**dates, moved=words["moved"].format(**dates)
                                           if moved else ""),
                     words["data"].format(data=data, moved="")))


def setup_date_note(setup: ReportSetup, data_until: date | None, lang: str = "vi",
                    dated: bool = True) -> str:
    """date_note for a resolved setup."""
    return date_note(setup.report_date, setup.planned_date, data_until, lang, dated)


def _date(value: Any, key: str, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise KpiError(f"settings.report.{key} is not a date", file=where, value=value,
                       fix="write it as YYYY-MM-DD, e.g. 2025-10-05") from None


def _issuer(entry: Any, n: int, where: str) -> Issuer:
    key = f"issuers[{n}]"
    if not isinstance(entry, dict) or not entry.get("name"):
        raise KpiError(f"settings.report.{key} needs at least a name", file=where,
                       value=entry, fix=FIX_ISSUERS)
    known = {"name", "short", "code", "parent", "valid_from", "valid_to", "on_behalf",
             "deputy", "signer_title", "signer", "example", "units"}
    unknown = set(entry) - known
    if unknown:
        raise KpiError(f"settings.report.{key}: unknown key(s) {', '.join(sorted(unknown))}",
                       file=where, fix=f"use only {', '.join(sorted(known))}")
    start = _date(entry.get("valid_from"), f"{key}.valid_from", where) or date.min
    end = _date(entry.get("valid_to"), f"{key}.valid_to", where) or date.max
    if end < start:
        raise KpiError(f"settings.report.{key}: valid_to is before valid_from", file=where,
                       value=f"{start} – {end}", fix="swap the dates or correct one of them")
    name = str(entry["name"])
    return Issuer(name=name.upper(), short=str(entry.get("short") or name),
                  code=str(entry.get("code") or "UBND"), parent=str(entry.get("parent") or "").upper(),
                  valid_from=start, valid_to=end, on_behalf=str(entry.get("on_behalf") or ""),
                  deputy=str(entry.get("deputy") or ""),
                  signer_title=str(entry.get("signer_title") or ""),
                  signer=str(entry.get("signer") or ""), example=bool(entry.get("example")),
                  units=tuple(str(u) for u in (entry.get("units") or ())))


def report_date(given: dict, year: int, month: int, where: str) -> date:
    """The date printed on the report for `month`: `dates[YYYY-MM]`, else day
    `day_of_next_month` (default 5) of the next month; never on or before the month's end."""
    period = f"{year}-{month:02d}"
    month_end = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))
    dates = given.get("dates") or {}
    if not isinstance(dates, dict):
        raise KpiError("settings.report.dates must map a month to a date", file=where,
                       value=dates, fix='e.g. dates: {"2025-09": 2025-10-05}')
    if "date" in given:  # one date for every month would redate a whole backfill
        raise KpiError("settings.report.date: give each month's date under `dates`",
                       file=where, value=given["date"],
                       fix=f'write dates: {{"{period}": YYYY-MM-DD}} (others: day_of_next_month)')
    chosen = _date(dates.get(period), f"dates.{period}", where)
    if chosen is None:
        day = given.get("day_of_next_month", 5)
        if not isinstance(day, int) or not 1 <= day <= 28:
            raise KpiError("settings.report.day_of_next_month must be a day 1–28", file=where,
                           value=day, fix="e.g. day_of_next_month: 5")
        chosen = month_end + timedelta(days=day)
    if chosen <= month_end:
        raise KpiError(f"settings.report: the report on {period} is dated {chosen:%d/%m/%Y}, "
                       "before the month has ended", file=where, value=str(chosen),
                       fix=f"date it after {month_end:%d/%m/%Y} (settings.report.dates)")
    return chosen


def is_unit_report(catalog, unit: str | None) -> bool:
    """A unit's own report (`kpi run --unit X`), not the plan's area's."""
    return bool(unit) and unit != getattr(catalog, "default_unit", None)


def unit_issuer_missing(catalog, unit: str | None) -> str:
    """What to tell the person running a unit's report when no issuer lists the unit: the
    report shows [CƠ QUAN BAN HÀNH] rather than the area's issuer (another body's name and
    signature on this unit's report would be a guess). '' when one does, or for the area."""
    if not is_unit_report(catalog, unit):
        return ""
    given = catalog.settings.get("report") or {}
    entries = given.get("issuers") if isinstance(given, dict) else None
    if isinstance(entries, list) and any(isinstance(e, dict) and unit in (e.get("units") or ())
                                         for e in entries):
        return ""
    return (f"{Path(str(catalog.path)).name}: no issuer in settings.report.issuers lists "
            f"{unit} under `units`; its report shows {PLACEHOLDER['name']} instead of an "
            f"issuing body -> add an issuer with units: [{unit}] (name, short, code, "
            "valid_from, on_behalf, signer_title, signer)")


UNIT_SCOPE = {
    "vi": {"inside": "thuộc phạm vi số liệu của {area}",
           "partly": "chỉ một phần thuộc phạm vi số liệu của {area}; số liệu trong báo cáo "
                     "này là của cả {unit}, gồm cả {outside} (trước {day} thuộc {parent})"},
    "en": {"inside": "within the figures' scope of {area}",
           "partly": "only partly within the figures' scope of {area}; the figures in this "
                     "report are for the whole of {unit}, {outside} included (before {day} "
                     "part of {parent})"},
}


def outside_links(registry, unit: str, area_code: str) -> list:
    """The predecessors of `unit` that were never part of the area (Tịnh Hòa, of Quảng
    Ngãi city, into Đông Sơn): the unit's own figures cover more than the area's part."""
    return [link for link in registry.predecessors(unit) if link.from_unit in registry.units
            and registry.units[link.from_unit].parent not in ("", area_code)]


def unit_scope(catalog, registry, unit: str | None, lang: str = "vi") -> tuple[str, str]:
    """A unit report's heading: (the unit's name, how it stands to the plan's area). A unit
    that took in territory from outside the area (Tịnh Hòa, from Quảng Ngãi city, into Đông
    Sơn) is not "the district's" commune: its figures cover more than the area's part, and
    the heading says so instead of "Huyện Bình Sơn – Xã Đông Sơn". ('', '') for the area."""
    if not is_unit_report(catalog, unit):
        return "", ""
    words = UNIT_SCOPE["en" if lang == "en" else "vi"]
    area_code = getattr(catalog, "default_unit", "")
    if registry is None:
        return unit or "", ""

    def lower(name: str) -> str:  # "Địa bàn huyện …", "Xã Tịnh Hòa" inside a sentence
        return name if lang == "en" else name[:1].lower() + name[1:]

    area = lower(registry.name(area_code, lang)) if area_code in registry.units else \
        str(catalog.meta.get("area_en" if lang == "en" else "area_vi", area_code))
    name = registry.name(unit, lang)
    outside = outside_links(registry, unit, area_code)
    if not outside:
        return name, words["inside"].format(area=area)
    first = outside[0]
    parent = registry.units[first.from_unit].parent
    return name, words["partly"].format(
        area=area, unit=lower(name), day=f"{first.effective.day:02d}/{month_vi(first.effective.month)}/{first.effective.year}",
        outside=", ".join(lower(registry.name(link.from_unit, lang)) for link in outside),
        parent=lower(registry.name(parent, lang)))


def report_setup(catalog, month: int, unit: str | None = None,
                 data_until: date | None = None) -> ReportSetup:
    """settings.report resolved for the report on `month` of the catalog's year. A unit's
    own report (`kpi run --unit X`) is issued only by an issuer listing X in `units`: with
    none, it carries the visible placeholder [CƠ QUAN BAN HÀNH], never the area's issuer
    (see unit_issuer_missing). `data_until`: the day the figures it uses run to; a later
    day than planned becomes the report's date (and picks the issuer valid then)."""
    where = str(catalog.path)
    given = catalog.settings.get("report") or {}
    if not isinstance(given, dict):
        raise KpiError("settings.report must be a mapping", file=where, value=given,
                       fix="see README 'The report's prose, Word report and analyst judgement'")
    planned = report_date(given, catalog.year, month, where)
    when = issue_date(planned, data_until)
    entries = given.get("issuers")
    if entries is None:
        entries = [PLACEHOLDER]  # not configured: a visible placeholder, never a guess
    if not isinstance(entries, list) or not entries:
        raise KpiError("settings.report.issuers must be a list: who issues the report depends "
                       "on its date", file=where, value=entries, fix=FIX_ISSUERS)
    issuers = [_issuer(e, n, where) for n, e in enumerate(entries)]
    if is_unit_report(catalog, unit):
        issuers = [i for i in issuers if unit in i.units] or [_issuer(PLACEHOLDER, 0, where)]
    else:
        issuers = [i for i in issuers if not i.units]
    valid = [i for i in issuers if i.valid_from <= when <= i.valid_to]
    if len(valid) != 1:
        what = "no issuer is" if not valid else f"{len(valid)} issuers are"
        raise KpiError(f"settings.report.issuers: {what} valid on the report date "
                       f"{when:%d/%m/%Y}", file=where,
                       value=", ".join(i.short for i in valid) or None,
                       fix="give exactly one issuer a valid_from/valid_to span covering it")
    issuer = valid[0]
    number = str(given.get("number") or "").strip()
    recipients = given.get("recipients") or []
    if isinstance(recipients, str) or not all(isinstance(r, str) for r in recipients):
        raise KpiError("settings.report.recipients must be a list, one recipient per line",
                       file=where, value=recipients,
                       fix="recipients: ['UBND tỉnh Quảng Ngãi (b/c)', 'Lưu: VT, TCKH']")
    area = str(catalog.meta.get("area_vi", ""))
    return ReportSetup(
        issuer=issuer, report_date=when,
        number=f"Số: {number}" if number else f"Số:        /BC-{issuer.code}",
        place=str(given.get("place") or area.split(" ", 1)[-1]),
        basis=str(given.get("basis") or catalog.meta.get("plan_vi", "")),
        recipients=[r.strip().rstrip(";.") for r in recipients if r.strip()],
        planned_date=planned)


def vi_date(d: date) -> str:
    """'ngày 05 tháng 10 năm 2025' (Nghị định 30/2020: days under 10 and months 1–2 take a
    leading zero, other months do not)."""
    return f"ngày {d.day:02d} tháng {month_vi(d.month)} năm {d.year}"


def month_vi(month: int) -> str:
    """'01', '02', '3' … '12': how a month is written in an administrative document."""
    return f"{month:02d}" if month <= 2 else str(month)


def analyst_text_path(data_dir: Path, period: str, unit: str | None, default_unit: str) -> Path:
    """Where the analyst writes the prose the numbers cannot give (see analyst_text)."""
    name = period if not unit or unit == default_unit else f"{period}-{unit}"
    return Path(data_dir) / "report_text" / f"{name}.md"
