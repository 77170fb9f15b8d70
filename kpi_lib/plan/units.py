"""The unit registry: which administrative units exist, when, and what became of them.

Two CSV files (data, not code; an office keeps them in Excel):
    units      code, name_vi, name_en, level, parent, valid_from, valid_to, note
    crosswalk  from_unit, to_unit, effective, share, basis

`parent` is the area a unit's figures count toward (Bình Sơn's old communes and the new
communes both count toward BINHSON, the plan's area). A crosswalk row says that from
`effective` on, `share` of `from_unit` is part of `to_unit` (1 for a whole unit merged).
A unit whose predecessors include units of another parent (Tịnh Hòa joining Đông Sơn)
counts toward its parent only in part; `rollup` works that part out from the data.

A catalog names its registry in `catalog.units_file` / `catalog.crosswalk_file`
(paths relative to the catalog). Without one, the registry is the catalog's
`default_unit` plus its `units:` list, with no history.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..common.errors import KpiError, Problem, ValidationFailed

UNIT_COLUMNS = ["code", "name_vi", "name_en", "level", "parent", "valid_from", "valid_to", "note"]
CROSSWALK_COLUMNS = ["from_unit", "to_unit", "effective", "share", "basis"]
SAFE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
LEVELS = ("area", "province", "district", "town", "commune", "ward")


@dataclass(frozen=True)
class Unit:
    code: str
    name_vi: str
    name_en: str = ""
    level: str = "commune"
    parent: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    note: str = ""

    def name(self, lang: str = "vi") -> str:
        return (self.name_en or self.name_vi) if lang == "en" else self.name_vi

    def month_index_range(self) -> tuple[int, int]:
        """First and last month (as year*12 + month-1) in which the unit existed.

        A unit counts for a month when it existed at the month's end, so a unit ending
        on 30/06 holds June and one starting on 01/07 holds July.
        """
        first = -10**6 if self.valid_from is None else (
            self.valid_from.year * 12 + self.valid_from.month - 1
            + (0 if self.valid_from.day == 1 else 1))
        last = 10**6 if self.valid_to is None else (
            self.valid_to.year * 12 + self.valid_to.month - 1
            - (0 if _is_month_end(self.valid_to) else 1))
        return first, last


@dataclass(frozen=True)
class Link:
    from_unit: str
    to_unit: str
    effective: date
    share: float = 1.0
    basis: str = ""


@dataclass
class Registry:
    units: dict[str, Unit]
    links: list[Link] = field(default_factory=list)
    path: Path | None = None

    def codes(self) -> set[str]:
        return set(self.units)

    def get(self, code: str) -> Unit:
        if code not in self.units:
            raise KpiError("unknown unit code", value=code,
                           fix=f"use one of: {', '.join(sorted(self.units))}"
                           + (f" (registry {self.path.name})" if self.path else ""))
        return self.units[code]

    def members(self, area: str) -> list[Unit]:
        return [u for u in self.units.values() if u.parent == area]

    def is_area(self, code: str) -> bool:
        return any(u.parent == code for u in self.units.values())

    def members_at(self, area: str, year: int, month: int) -> list[Unit]:
        """Members that existed at the end of that month (the units a report can show)."""
        k = year * 12 + month - 1
        return [u for u in self.members(area) if u.month_index_range()[0] <= k
                <= u.month_index_range()[1]]

    def predecessors(self, code: str) -> list[Link]:
        return [link for link in self.links if link.to_unit == code]

    def name(self, code: str, lang: str = "vi") -> str:
        unit = self.units.get(code)
        return unit.name(lang) if unit else code


def _is_month_end(d: date) -> bool:
    return date.fromordinal(d.toordinal() + 1).day == 1


def _date(text: str, problems: list[Problem], path: Path, row: int, column: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem("not a date", fix="write dates as YYYY-MM-DD", file=str(path),
                                row=row, column=column, value=text))
        return None


def _read_rows(path: Path, columns: list[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise KpiError("unit registry file not found", file=str(path),
                       fix="check catalog.units_file / catalog.crosswalk_file in the catalog")
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise KpiError(f"missing column(s) {', '.join(missing)}", file=str(path),
                               fix=f"the header must be: {','.join(columns)}")
            return list(reader)
    except UnicodeDecodeError:
        raise KpiError("not UTF-8 text", file=str(path), fix="save the file as CSV UTF-8") from None


def load_registry(units_path: str | Path, crosswalk_path: str | Path | None = None) -> Registry:
    """Read and check both files; every problem is reported at once."""
    units_path = Path(units_path)
    problems: list[Problem] = []
    units: dict[str, Unit] = {}
    for n, row in enumerate(_read_rows(units_path, UNIT_COLUMNS), start=2):
        code = (row["code"] or "").strip()
        where = {"file": str(units_path), "row": n}
        if not SAFE_CODE.match(code):
            problems.append(Problem("invalid unit code", value=code, column="code",
                                    fix="use letters, digits, '-' or '_'", **where))
            continue
        if code in units:
            problems.append(Problem("duplicate unit code", value=code, column="code",
                                    fix="give every unit its own code", **where))
        level = (row["level"] or "").strip()
        if level not in LEVELS:
            problems.append(Problem(f"unknown level '{level}'", column="level",
                                    fix=f"use one of {', '.join(LEVELS)}", **where))
        start = _date(row["valid_from"], problems, units_path, n, "valid_from")
        end = _date(row["valid_to"], problems, units_path, n, "valid_to")
        if start and end and end < start:
            problems.append(Problem("valid_to is before valid_from", column="valid_to",
                                    fix="swap the dates", **where))
        if not (row["name_vi"] or "").strip():
            problems.append(Problem("missing Vietnamese name", column="name_vi",
                                    fix="add the unit's official name", **where))
        units[code] = Unit(code, row["name_vi"].strip(), (row["name_en"] or "").strip(), level,
                           (row["parent"] or "").strip(), start, end, (row["note"] or "").strip())
    for n, unit in enumerate(units.values(), start=2):
        if unit.parent and unit.parent not in units:
            problems.append(Problem(f"parent '{unit.parent}' of {unit.code} is not a unit",
                                    file=str(units_path), column="parent",
                                    fix="add the parent as a row, or leave parent empty"))
    links = _load_links(Path(crosswalk_path), units, problems) if crosswalk_path else []
    if problems:
        raise ValidationFailed(problems)
    return Registry(units, links, units_path)


def _load_links(path: Path, units: dict[str, Unit], problems: list[Problem]) -> list[Link]:
    links: list[Link] = []
    given: dict[str, float] = {}
    for n, row in enumerate(_read_rows(path, CROSSWALK_COLUMNS), start=2):
        where = {"file": str(path), "row": n}
        a, b = (row["from_unit"] or "").strip(), (row["to_unit"] or "").strip()
        for col, code in (("from_unit", a), ("to_unit", b)):
            if code not in units:
                problems.append(Problem("unit not in the registry", column=col, value=code,
                                        fix="add it to the units file first", **where))
        effective = _date(row["effective"], problems, path, n, "effective")
        if effective is None:
            problems.append(Problem("missing effective date", column="effective",
                                    fix="write the date the change took effect", **where))
            continue
        try:
            share = float(row["share"] or 1)
        except ValueError:
            share = float("nan")
        if not 0 < share <= 1:
            problems.append(Problem("share must be in (0, 1]", column="share", value=row["share"],
                                    fix="write the part of from_unit that moved, e.g. 0.4", **where))
            continue
        given[a] = given.get(a, 0.0) + share
        old = units.get(a)
        if old and old.valid_to and (effective - old.valid_to).days != 1:
            problems.append(Problem(f"{a} ends on {old.valid_to} but the change is effective "
                                    f"{effective}", column="effective",
                                    fix="the effective date is the day after valid_to", **where))
        new = units.get(b)
        if new and new.valid_from and new.valid_from != effective:
            problems.append(Problem(f"{b} starts on {new.valid_from} but the change is "
                                    f"effective {effective}", column="effective",
                                    fix="make valid_from of the new unit the effective date",
                                    **where))
        links.append(Link(a, b, effective, share, (row["basis"] or "").strip()))
    for code, total in given.items():
        if total > 1 + 1e-9:
            problems.append(Problem(f"the shares of {code} add up to {total:g}, more than 1",
                                    file=str(path), column="share",
                                    fix="a unit cannot give away more than all of itself"))
    return links


def registry_for(catalog) -> Registry:
    """The catalog's registry, or a flat one made of its declared unit codes."""
    meta = catalog.meta
    if meta.get("units_file"):
        base = Path(catalog.path).parent
        cross = meta.get("crosswalk_file")
        return load_registry(base / meta["units_file"], base / cross if cross else None)
    codes = {str(u) for u in meta.get("units") or []} | {catalog.default_unit}
    return Registry({c: Unit(c, c, c, "area" if c == catalog.default_unit else "commune")
                     for c in sorted(codes)})
