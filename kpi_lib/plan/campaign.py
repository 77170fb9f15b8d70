"""The emulation campaign (phong trào thi đua) as data: who answers, clusters, scoring rule.

The plan launches a campaign among communes and departments, judged in emulation clusters
(cụm thi đua, of communes) and blocks (khối thi đua, of departments) by the Emulation and
Awards Council. Who leads each target, the cluster lists and the scoring weights are the
office's decisions, so they live in a YAML file (`campaign_file:` in the catalog), checked
here against the catalog and the unit registry: a member that did not exist for the whole
of its cluster's period, an unknown indicator or a missing assignment is refused, naming
the file, the line, the field and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from ..common.errors import KpiError, Problem, ValidationFailed
from ..common.yamlfile import read_yaml
from .catalog import Catalog
from .units import Registry

KINDS = ("commune", "department")
SCORED = ("achieved", "on_track", "at_risk", "off_track", "missed")
SPECIAL_UNITS = ("area", "communes")


@dataclass(frozen=True)
class Department:
    code: str
    name_vi: str
    name_en: str = ""

    def name(self, lang: str = "vi") -> str:
        return self.name_en or self.name_vi if lang == "en" else self.name_vi


@dataclass(frozen=True)
class Assignment:
    """A target's lead department and the units it is assigned to ('area', 'communes' or codes)."""

    indicator: str
    lead: str
    units: str | tuple[str, ...]

    def covers(self, unit: str, area: str) -> bool:
        if self.units == "area":
            return unit == area
        if self.units == "communes":
            return unit != area
        return unit in self.units


@dataclass(frozen=True)
class Cluster:
    """A cụm (communes) or khối (departments), in force from `valid_from` to `valid_to`."""

    code: str
    kind: str
    name_vi: str
    name_en: str
    valid_from: date
    valid_to: date
    members: tuple[str, ...]

    def name(self, lang: str = "vi") -> str:
        return self.name_en or self.name_vi if lang == "en" else self.name_vi

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class ScoringRule:
    """score = Σ weight × points(status) ÷ Σ weight over the judged targets that apply."""

    points: dict[str, float]
    weights: dict[str, float] = field(default_factory=dict)
    default_weight: float = 1.0
    min_judged: int = 1
    commend_min_score: float = 0.75
    action_below: float = 0.5

    def weight(self, indicator: str) -> float:
        return float(self.weights.get(indicator, self.default_weight))


@dataclass
class Campaign:
    path: Path
    meta: dict[str, Any]
    departments: dict[str, Department]
    assignments: dict[str, Assignment]
    clusters: list[Cluster]
    rule: ScoringRule

    def led_by(self, department: str) -> list[str]:
        """The indicators a department leads, in the file's order."""
        return [a.indicator for a in self.assignments.values() if a.lead == department]

    def clusters_at(self, day: date) -> list[Cluster]:
        return [c for c in self.clusters if c.in_force(day)]

    def reading(self, lang: str = "vi") -> str:
        return str(self.meta.get("reading_en" if lang == "en" else "reading_vi", "")).strip()


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that keeps each mapping's line, so a problem can name it."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def load_campaign(path: str | Path, catalog: Catalog, registry: Registry | None) -> Campaign:
    """Read and check a campaign file; every problem is reported at once."""
    path = Path(path)
    if not path.is_file():
        raise KpiError(f"campaign file not found: {path}", file=str(catalog.path),
                       column="catalog.campaign_file",
                       fix="correct campaign_file in the catalog (a path relative to it)")
    doc, lines = read_yaml(path, "campaign file", loader=_LineLoader)  # a SafeLoader
    if not isinstance(doc, dict):
        raise KpiError("campaign file is empty or not a mapping", file=str(path),
                       fix="start from data/campaign/binh_son_2025.yaml")
    problems: list[Problem] = []

    def bad(entry: Any, fld: str, message: str, fix: str, value: object = None) -> None:
        line = entry.get("__line__") if isinstance(entry, dict) else None
        if line is None:  # a problem of a whole section: the section's line
            line = lines.get((fld.split(".")[0].split("[")[0],))
        problems.append(Problem(message, fix=fix, file=str(path), row=line, column=fld,
                                value=value))

    departments = _departments(doc.get("departments"), bad)
    assignments = _assignments(doc.get("assignments"), catalog, registry, departments, bad)
    clusters = _clusters(doc.get("clusters"), registry, departments, bad)
    _everyone_in_a_cluster(clusters, catalog, registry, departments, bad)
    rule = _rule(doc.get("scoring") or {}, catalog, bad)
    if problems:
        raise ValidationFailed(problems)
    meta = {k: v for k, v in (doc.get("campaign") or {}).items() if k != "__line__"}
    return Campaign(path, meta, departments, assignments, clusters, rule)


def _departments(raw: Any, bad) -> dict[str, Department]:
    out: dict[str, Department] = {}
    for n, d in enumerate(raw or [], start=1):
        where = f"departments[{n}]"
        if not isinstance(d, dict) or not str(d.get("code", "")).strip():
            bad(d, f"{where}.code", "a department needs a code",
                "write {code: P_TCKH, name_vi: …, name_en: …}", d)
            continue
        code = str(d["code"]).strip()
        if code in out:
            bad(d, f"{where}.code", f"duplicate department code '{code}'",
                "give every department its own code", code)
        if not str(d.get("name_vi", "")).strip():
            bad(d, f"{where}.name_vi", f"department {code} has no Vietnamese name",
                "add name_vi: the department's official name")
        out[code] = Department(code, str(d.get("name_vi", "")), str(d.get("name_en", "")))
    if not out:
        bad(None, "departments", "no departments listed",
            "add departments: [{code, name_vi, name_en}, …]")
    return out


def _assignments(raw: Any, catalog: Catalog, registry: Registry | None,
                 departments: dict[str, Department], bad) -> dict[str, Assignment]:
    out: dict[str, Assignment] = {}
    known = {i.id for i in catalog.indicators}
    for n, a in enumerate(raw or [], start=1):
        where = f"assignments[{n}]"
        if not isinstance(a, dict):
            bad(a, where, "an assignment is not a mapping",
                "write {indicator: T01, lead: P_TCKH, units: area}", a)
            continue
        iid, lead, units = str(a.get("indicator", "")), str(a.get("lead", "")), a.get("units")
        if iid not in known:
            bad(a, f"{where}.indicator", f"unknown indicator '{iid}'",
                f"use a target id of {catalog.path.name} (kpi catalog lists them)", iid)
            continue
        if iid in out:
            bad(a, f"{where}.indicator", f"indicator {iid} is assigned twice",
                "keep one line per indicator", iid)
        if lead not in departments:
            bad(a, f"{where}.lead", f"lead '{lead}' of {iid} is not a listed department",
                f"use one of {', '.join(departments)} or add it under departments:", lead)
        if isinstance(units, list):
            units = tuple(str(u) for u in units)
            for code in units:
                if registry is not None and code not in registry.units:
                    bad(a, f"{where}.units", f"unit '{code}' of {iid} is not in the registry",
                        "use a code from the registry (data/units/)", code)
        elif units not in SPECIAL_UNITS:
            bad(a, f"{where}.units", f"units of {iid} must be area, communes or a list",
                "write units: communes (every commune), area, or [CODE, …]", units)
            continue
        out[iid] = Assignment(iid, lead, units)
    for iid in sorted(known - set(out)):
        bad(None, "assignments", f"target {iid} has no lead department",
            f"add {{indicator: {iid}, lead: CODE, units: area|communes}} under assignments:")
    return out


def _clusters(raw: Any, registry: Registry | None, departments: dict[str, Department],
              bad) -> list[Cluster]:
    out: list[Cluster] = []
    for n, c in enumerate(raw or [], start=1):
        where = f"clusters[{n}]"
        if not isinstance(c, dict) or not str(c.get("code", "")).strip():
            bad(c, f"{where}.code", "a cluster needs a code",
                "write {code, kind, name_vi, valid_from, valid_to, members}", c)
            continue
        code, kind = str(c["code"]), c.get("kind")
        if kind not in KINDS:
            bad(c, f"{where}.kind", f"cluster {code}: unknown kind '{kind}'",
                "use commune (cụm thi đua) or department (khối thi đua)", kind)
            continue
        start, end = _date(c.get("valid_from")), _date(c.get("valid_to"))
        if start is None or end is None or end < start:
            bad(c, f"{where}.valid_from/valid_to", f"cluster {code}: invalid validity dates",
                "write valid_from and valid_to as YYYY-MM-DD, the end not before the start",
                f"{c.get('valid_from')} – {c.get('valid_to')}")
            continue
        members = tuple(str(m) for m in c.get("members") or [])
        if len(members) < 2:
            bad(c, f"{where}.members", f"cluster {code} has fewer than two members",
                "a ranking needs at least two units", list(members))
        for m in members:
            _check_member(c, where, code, kind, m, start, end, registry, departments, bad)
        out.append(Cluster(code, kind, str(c.get("name_vi", code)), str(c.get("name_en", "")),
                           start, end, members))
    seen: dict[str, list[Cluster]] = {}
    for cl in out:
        for m in cl.members:
            for other in seen.get(m, []):
                if cl.valid_from <= other.valid_to and other.valid_from <= cl.valid_to:
                    bad(None, "clusters", f"{m} is in {other.code} and {cl.code} at the same time",
                        "a unit belongs to one cluster at a time; fix the lists or the dates", m)
            seen.setdefault(m, []).append(cl)
    return out


def _everyone_in_a_cluster(clusters: list[Cluster], catalog: Catalog, registry: Registry | None,
                           departments: dict[str, Department], bad) -> None:
    """A unit left out of every cluster would silently never be ranked: refuse it."""
    first, last = date(catalog.year, 1, 1), date(catalog.year, 12, 31)
    units: list[tuple[str, str, date, date]] = [(d, "department", first, last)
                                                for d in departments]
    if registry is not None and registry.is_area(catalog.default_unit):
        for u in registry.members(catalog.default_unit):
            start, end = max(u.valid_from or first, first), min(u.valid_to or last, last)
            if start <= end:
                units.append((u.code, "commune", start, end))
    for code, kind, start, end in units:
        spans = [(c.valid_from, c.valid_to) for c in clusters
                 if c.kind == kind and code in c.members]
        day = first_uncovered(spans, start, end)
        if day is not None:
            name = registry.name(code) if kind == "commune" and registry else code
            bad(None, "clusters", f"{name} is in no {'cụm' if kind == 'commune' else 'khối'}"
                f" thi đua on {day:%d/%m/%Y}, so it would not be ranked then",
                "add it to the members of a cluster in force that day (every day of the "
                "year it exists belongs to one cluster)", code)


def first_uncovered(spans: list[tuple[date, date]], start: date, end: date) -> date | None:
    """The first day from `start` to `end` in none of the (from, to) spans, else None."""
    day = start
    for lo, hi in sorted(spans):
        if lo > day:
            break
        day = max(day, hi + timedelta(days=1))
        if day > end:
            return None
    return day if day <= end else None


def _check_member(c, where, code, kind, member, start, end, registry, departments, bad) -> None:
    if kind == "department":
        if member not in departments:
            bad(c, f"{where}.members", f"{member} in block {code} is not a listed department",
                "add it under departments: or correct the code", member)
        return
    if registry is None:
        return
    unit = registry.units.get(member)
    if unit is None:
        bad(c, f"{where}.members", f"{member} in cluster {code} is not in the unit registry",
            "use a commune code from data/units/", member)
        return
    if (unit.valid_from and unit.valid_from > start) or (unit.valid_to and unit.valid_to < end):
        bad(c, f"{where}.members",
            f"{registry.name(member)} did not exist for the whole of {code} "
            f"({start} – {end}; the unit {unit.valid_from or '…'} – {unit.valid_to or '…'})",
            "put it in a cluster valid while it existed (the 1 July 2025 reorganisation "
            "needs one list before and one after)", member)


def _rule(raw: dict, catalog: Catalog, bad) -> ScoringRule:
    points = {k: v for k, v in (raw.get("points") or {}).items() if k != "__line__"}
    for status in SCORED:
        value = points.get(status)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
            bad(raw, f"scoring.points.{status}", f"points for '{status}' missing or not in 0–1",
                "write e.g. points: {achieved: 1, on_track: 1, at_risk: 0.5, off_track: 0, "
                "missed: 0}",
                value)
    for status in set(points) - set(SCORED):
        bad(raw, f"scoring.points.{status}", f"unknown status '{status}'",
            f"use {', '.join(SCORED)} (no_data is never scored: it is listed)", status)
    known = {i.id for i in catalog.indicators}
    weights = {k: v for k, v in (raw.get("weights") or {}).items() if k != "__line__"}
    for iid, w in weights.items():
        if iid not in known:
            bad(raw, f"scoring.weights.{iid}", f"weight for unknown indicator '{iid}'",
                "use a target id of the catalog", iid)
        elif not isinstance(w, (int, float)) or isinstance(w, bool) or w <= 0:
            bad(raw, f"scoring.weights.{iid}", "a weight must be a positive number",
                "write e.g. T04: 2 (twice the default)", w)
    numbers = {}
    for key, default in (("default_weight", 1.0), ("min_judged", 1), ("commend_min_score", 0.75),
                         ("action_below", 0.5)):
        value = raw.get(key, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            bad(raw, f"scoring.{key}", f"scoring.{key} must be a non-negative number",
                f"write e.g. {key}: {default}", value)
            value = default
        numbers[key] = value
    return ScoringRule({k: float(v) for k, v in points.items() if isinstance(v, (int, float))},
                       {k: float(v) for k, v in weights.items() if isinstance(v, (int, float))},
                       float(numbers["default_weight"]), int(numbers["min_judged"]),
                       float(numbers["commend_min_score"]), float(numbers["action_below"]))


def campaign_for(catalog: Catalog, registry: Registry | None) -> Campaign:
    """The catalog's campaign (catalog.campaign_file), or a clear error if it has none."""
    given = catalog.campaign_path
    if given is None:
        raise KpiError("the catalog names no campaign file", file=str(catalog.path),
                       column="catalog.campaign_file",
                       fix="add campaign_file: ../campaign/<file>.yaml under catalog:")
    return load_campaign(given, catalog, registry)
