"""When the Lunar New Year (Tết Nguyên Đán) falls: it moves production between January
and February, so seasonal shares for January are taken from years with Tết in the same
month. Dates are the first day of the lunar year in Vietnam (UTC+7)."""

from __future__ import annotations

from datetime import date

TET = {
    2005: date(2005, 2, 9), 2006: date(2006, 1, 29), 2007: date(2007, 2, 17),
    2008: date(2008, 2, 7), 2009: date(2009, 1, 26), 2010: date(2010, 2, 14),
    2011: date(2011, 2, 3), 2012: date(2012, 1, 23), 2013: date(2013, 2, 10),
    2014: date(2014, 1, 31), 2015: date(2015, 2, 19), 2016: date(2016, 2, 8),
    2017: date(2017, 1, 28), 2018: date(2018, 2, 16), 2019: date(2019, 2, 5),
    2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29),
    2026: date(2026, 2, 17), 2027: date(2027, 2, 6), 2028: date(2028, 1, 26),
    2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
}


def tet_month(year: int) -> int:
    """1 or 2; years outside the table count as February (the more common case)."""
    return TET[year].month if year in TET else 2
