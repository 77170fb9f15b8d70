"""When the Lunar New Year (Tết Nguyên Đán) falls: it moves production between January
and February, so seasonal shares for January are taken from years with Tết in the same
month.

Dates come from `lunardate` (a maintained Chinese-calendar converter, 1900–2099) instead
of a hand-kept table, so any plan year works. Vietnam's calendar is computed for UTC+7 and
China's for UTC+8; in 1900–2099 that moves Tết to another *month* only in 1985 (Vietnam
21 January, China 20 February), kept below as the one exception.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from lunardate import LunarDate

# Years where the Vietnamese Tết falls in another month than the Chinese New Year.
VIETNAM_DIFFERS = {1985: date(1985, 1, 21)}


@cache
def tet_date(year: int) -> date:
    """The first day of the lunar year that starts in Gregorian `year`, in Vietnam.

    Outside lunardate's range (1900–2099) the more common month, February, is assumed.
    """
    if year in VIETNAM_DIFFERS:
        return VIETNAM_DIFFERS[year]
    try:
        return LunarDate(year, 1, 1).to_solar_date()
    except ValueError:
        return date(year, 2, 1)


def tet_month(year: int) -> int:
    """1 or 2: the month Tết falls in."""
    return tet_date(year).month
