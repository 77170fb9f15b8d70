"""The target catalog: which indicators a plan sets, with unit, kind, rule and target.

The catalog is data (a YAML file under data/catalog/); this module only loads and
validates it, so another district or another year is a new file, not new code.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from ..common.errors import KpiError, Problem, ValidationFailed
from ..common.yamlfile import Lines, locate, read_yaml

KINDS = ("flow", "level", "annual", "derived", "milestone")
RULES = ("about", "ge", "le", "gt", "reduce", "yes")
DIRECTIONS = ("higher", "lower", "band")
RULE_SYMBOL = {"about": "≈", "ge": "≥", "le": "≤", "gt": ">", "reduce": "<", "yes": "="}
ROLLUPS = ("sum", "count", "ratio", "weighted", "none")
# How an indicator adds up over units when the catalog does not say: flows add, milestones
# count; a level or annual figure (a rate, a reading) is never averaged unless told how.
DEFAULT_ROLLUP = {"flow": "sum", "milestone": "count", "level": "none", "annual": "none",
                  "derived": "none"}
SCOPES = ("area", "any")
DEFAULT_THRESHOLDS = {"on_track_p": 0.75, "off_track_p": 0.25, "off_track_gap": 0.95}
ID_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class Revision:
    """A target changed during the year: in force from `effective`, by `decision`.

    `recorded` is when the office entered it; a report for an earlier vintage ignores it,
    so a past report is reproduced as it was published.
    """

    effective: date
    target: float
    decision: str
    recorded: date | None = None


@dataclass(frozen=True)
class Indicator:
    """One row of the catalog. `target` is None for `reduce` rules (the baseline is data)."""

    id: str
    name_vi: str
    name_en: str
    unit: str
    kind: str
    group: str = ""
    item: int | None = None
    rule: str | None = None
    direction: str = "higher"
    target: float | None = None
    tolerance: float = 0.0
    tolerance_type: str = "absolute"
    frequency: str = "monthly"
    notes: str = ""
    data_unit: str | None = None
    target_of_setting: str | None = None
    derive: dict[str, Any] | None = None
    is_component: bool = False
    rollup: str = "none"
    rollup_args: dict[str, Any] = field(default_factory=dict)
    scope: str = "area"
    revisions: tuple[Revision, ...] = ()
    original_target: float | None = None
    # How reviewers read it: a name for sentences when `name_vi` contains the target
    # (T04), the target as the plan writes it ("01 xã", "60 triệu đồng"), the basis of a
    # value (T01: giá so sánh 2010), and where the catalog reads more than the plan says.
    short_name_vi: str = ""
    short_name_en: str = ""
    plan_text_vi: str = ""
    plan_text_en: str = ""
    basis_vi: str = ""
    basis_en: str = ""
    office_reading_vi: str = ""
    office_reading_en: str = ""
    # A level that cannot fall within the year once reached (a school keeps its
    # recognition): a reading at the target is final for the year. The office's reading.
    holds_once_met: bool = False

    def short_name(self, lang: str = "vi") -> str:
        if lang == "en":
            return self.short_name_en or self.name_en
        return self.short_name_vi or self.name_vi

    @property
    def is_percent(self) -> bool:
        return self.unit.strip().startswith("%") and self.target_of_setting is None

    @property
    def derive_refs(self) -> list[str]:
        """The ids a derived indicator is computed from (none for others)."""
        d = self.derive or {}
        return [r for r in (d.get("of"), d.get("part"), *(d.get("whole") or [])) if r]

    @property
    def entry_unit(self) -> str:
        """The unit figures are entered in (T04 is entered in tỷ đồng, judged in %)."""
        return self.data_unit or self.unit

    @property
    def entered(self) -> bool:
        """Whether departments enter figures for it (derived ones are computed)."""
        return self.kind != "derived"

    def name(self, lang: str = "vi") -> str:
        return self.name_en if lang == "en" else self.name_vi


@dataclass
class Catalog:
    """A validated catalog: plan metadata, settings, groups, targets and components."""

    path: Path
    meta: dict[str, Any]
    settings: dict[str, Any]
    groups: list[dict[str, str]]
    indicators: list[Indicator]
    components: list[Indicator] = field(default_factory=list)
    unit_targets: dict[str, dict[str, float]] = field(default_factory=dict)
    revision_notes: dict[str, Revision] = field(default_factory=dict)
    # The plan's numbered targets ("22 chỉ tiêu"): [{number, name_vi, name_en}]; each
    # indicator names its item. Without the list, each item is named by its indicators.
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def year(self) -> int:
        return int(self.meta["year"])

    @property
    def default_unit(self) -> str:
        return str(self.meta.get("default_unit", "ALL"))

    @property
    def has_registry(self) -> bool:
        """Whether units come from a registry file (then every report is of one unit/area)."""
        return bool(self.meta.get("units_file"))

    @property
    def narrative_path(self) -> Path | None:
        """catalog.narrative_file (relative to the catalog), else the shipped templates."""
        given = self.meta.get("narrative_file")
        return Path(self.path).parent / given if given else None

    @property
    def campaign_path(self) -> Path | None:
        """catalog.campaign_file (relative to the catalog): the emulation campaign, if any."""
        given = self.meta.get("campaign_file")
        return Path(self.path).parent / given if given else None

    @cached_property
    def statuses(self):
        """Labels, colours and phrases of the statuses (settings.status_labels)."""
        from .statuses import status_scale

        return status_scale(self.settings, str(self.path))

    @property
    def thresholds(self) -> dict[str, float]:
        return {**DEFAULT_THRESHOLDS, **(self.settings.get("thresholds") or {})}

    @property
    def all_series(self) -> list[Indicator]:
        """Targets and components: everything that can appear in the data."""
        return [*self.indicators, *self.components]

    def get(self, indicator_id: str | None) -> Indicator:
        """The indicator with that id; None: the first target (a notebook's default, so no
        notebook names an id that only one catalog has)."""
        if indicator_id is None:
            return self.indicators[0]
        for ind in self.all_series:
            if ind.id == indicator_id:
                return ind
        raise KpiError(
            f"unknown indicator '{indicator_id}'",
            fix=f"use one of the ids in {self.path.name} (kpi catalog lists them)",
        )

    def ids(self) -> list[str]:
        return [i.id for i in self.all_series]

    def unit_label(self, unit: str, lang: str = "vi") -> str:
        """A unit of measure as the reader reads it (settings.unit_names_en for English)."""
        if lang != "en":
            return unit
        return str((self.settings.get("unit_names_en") or {}).get(unit, unit))

    def group_name(self, group_id: str, lang: str = "vi") -> str:
        for g in self.groups:
            if g["id"] == group_id:
                return g["name_en" if lang == "en" else "name_vi"]
        return group_id

    def setting(self, name: str) -> Any:
        return self.settings.get(name)

    def item_numbers(self) -> list[int]:
        """The plan's numbered items that hold at least one indicator, in order."""
        return sorted({i.item for i in self.indicators if i.item is not None})

    def item_name(self, no: int, lang: str = "vi") -> str:
        for it in self.items:
            if it.get("number") == no:
                return str(it.get("name_en" if lang == "en" else "name_vi")
                           or it.get("name_vi", ""))
        members = [i for i in self.indicators if i.item == no]
        return "; ".join(i.short_name(lang) for i in members)

    def effective_target(self, ind: Indicator) -> float | None:
        """Target in the data's unit, or None when a setting it needs is missing."""
        if ind.target_of_setting:
            base = self.settings.get(ind.target_of_setting)
            if base is None or ind.target is None:
                return None
            return float(base) * float(ind.target) / 100.0
        return ind.target

    def unit_target(self, ind: Indicator, unit: str) -> float | None:
        """The target a unit is judged against, or None when it has none.

        The plan's area has the catalog's targets; another unit has them only where the
        target does not depend on the unit's size (`scope: any`, e.g. a rate), or where
        `unit_targets` assigns it one.
        """
        assigned = self.unit_targets.get(unit, {}).get(ind.id)
        if assigned is not None:
            return float(assigned)
        if unit == self.default_unit or ind.scope == "any":
            return self.effective_target(ind)
        return None

    def in_force(self, as_of: date, vintage: date | None = None) -> Catalog:
        """The catalog with each target as in force on `as_of`, known by `vintage`."""
        changed, notes = [], {}
        for ind in self.indicators:
            latest = None
            for rev in ind.revisions:
                if rev.effective <= as_of and (vintage is None or rev.recorded is None
                                               or rev.recorded <= vintage):
                    latest = rev
            if latest is not None:
                notes[ind.id] = latest
                ind = replace(ind, target=latest.target)
            changed.append(ind)
        return replace(self, indicators=changed, revision_notes=notes)

    def missing_settings(self) -> list[str]:
        return sorted({
            i.target_of_setting for i in self.indicators
            if i.target_of_setting and self.settings.get(i.target_of_setting) is None
        })

    def to_frame(self, lang: str = "vi"):
        import pandas as pd

        rows = [{
            "id": i.id, "item": i.item, "group": i.group, "name_vi": i.name_vi,
            "name_en": i.name_en, "unit": i.unit, "kind": i.kind, "rule": i.rule,
            "target": self.effective_target(i) if i.target_of_setting else i.target,
            "tolerance": i.tolerance, "frequency": i.frequency, "notes": i.notes,
        } for i in self.indicators]
        return pd.DataFrame(rows)


TEXT_FIELDS = ("short_name_vi", "short_name_en", "plan_text_vi", "plan_text_en", "basis_vi",
               "basis_en", "office_reading_vi", "office_reading_en")


def _num(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    raise ValueError(value)


def _parse_entry(raw: Any, where: str, problems: list[Problem], path: str | Path,
                 component: bool) -> Indicator | None:
    def bad(msg: str, fix: str, value: object = None) -> None:
        problems.append(Problem(msg, fix=fix, file=str(path), column=where, value=value))

    if not isinstance(raw, dict):
        bad("entry is not a mapping", "write each indicator as 'key: value' lines", raw)
        return None
    iid = str(raw.get("id", "")).strip()
    where = f"{where} ({iid})" if iid else where
    if not iid or not set(iid) <= ID_CHARS:
        bad("missing or invalid id", "use letters, digits, '_' or '-' (e.g. T01)", raw.get("id"))
        return None
    for key in ("name_vi", "unit", "kind"):
        if not raw.get(key):
            bad(f"missing '{key}'", f"add '{key}:' to indicator {iid}")
    kind = raw.get("kind")
    if kind and kind not in KINDS:
        bad(f"unknown kind '{kind}'", f"use one of {', '.join(KINDS)}", kind)
    rule = raw.get("rule")
    direction = raw.get("direction", "higher")
    target = None
    if not component:
        if rule not in RULES:
            bad(f"unknown or missing rule '{rule}'", f"use one of {', '.join(RULES)}", rule)
        if direction not in DIRECTIONS:
            bad(f"unknown direction '{direction}'", f"use one of {', '.join(DIRECTIONS)}", direction)
        try:
            target = _num(raw.get("target"))
        except ValueError:
            bad("target is not a number", "write the target as a plain number, e.g. 28603.61",
                raw.get("target"))
        if target is None and rule not in ("reduce",):
            bad("missing target", f"add 'target:' to indicator {iid} (rule {rule} needs one)")
    if kind == "derived":
        derive = raw.get("derive") or {}
        if derive.get("type") not in ("growth", "share"):
            bad("derived indicator without a valid 'derive'",
                "add derive: {type: growth, of: ID} or {type: share, part: ID, whole: [IDs]}")
    try:
        tolerance = _num(raw.get("tolerance")) or 0.0
    except ValueError:
        bad("tolerance is not a number", "write e.g. tolerance: 0.01", raw.get("tolerance"))
        tolerance = 0.0
    ttype = raw.get("tolerance_type", "absolute")
    if ttype not in ("absolute", "relative"):
        bad(f"unknown tolerance_type '{ttype}'", "use absolute or relative", ttype)
    item = raw.get("item")
    rollup, rollup_args = _parse_rollup(raw, str(kind), bad)
    # A rate, or "fewer than last year", applies to a commune as to the area; an amount
    # (tỷ đồng, người) was set for the area and needs unit_targets to apply below it.
    size_free = (str(raw.get("unit", "")).startswith("%") and not raw.get("target_of_setting")
                 or rule == "reduce")
    scope = raw.get("scope") or ("any" if size_free else "area")
    if scope not in SCOPES:
        bad(f"unknown scope '{scope}'", "use area (the plan's area only) or any (every unit)",
            scope)
    revisions = _parse_revisions(raw.get("revisions"), bad) if not component else ()
    return Indicator(
        id=iid, name_vi=str(raw.get("name_vi", "")), name_en=str(raw.get("name_en", iid)),
        unit=str(raw.get("unit", "")), kind=str(kind), group=str(raw.get("group", "")),
        item=int(item) if isinstance(item, int) else None, rule=rule, direction=direction,
        target=target, tolerance=tolerance, tolerance_type=ttype,
        frequency=str(raw.get("frequency", "monthly")), notes=str(raw.get("notes", "") or ""),
        data_unit=raw.get("data_unit"), target_of_setting=raw.get("target_of_setting"),
        derive=raw.get("derive"), is_component=component, rollup=rollup,
        rollup_args=rollup_args, scope=scope, revisions=revisions, original_target=target,
        holds_once_met=bool(raw.get("holds_once_met", False)),
        **{k: str(raw.get(k) or "") for k in TEXT_FIELDS},
    )


def _parse_rollup(raw: dict, kind: str, bad) -> tuple[str, dict[str, Any]]:
    spec = raw.get("rollup", DEFAULT_ROLLUP.get(kind, "none"))
    args: dict[str, Any] = {}
    if isinstance(spec, dict):
        args = {k: v for k, v in spec.items() if k != "method"}
        spec = spec.get("method")
    if spec not in ROLLUPS:
        bad(f"unknown rollup '{spec}'", f"use one of {', '.join(ROLLUPS)}", spec)
        return "none", {}
    needs = {"ratio": ("numerator", "denominator"), "weighted": ("weight",)}.get(spec, ())
    for key in needs:
        if not args.get(key):
            bad(f"rollup {spec} needs '{key}'",
                f"write rollup: {{method: {spec}, {', '.join(f'{k}: ID' for k in needs)}}}")
            return "none", {}
    if spec == "ratio":
        try:
            args["scale"] = float(args.get("scale", 100))
        except (TypeError, ValueError):
            bad("rollup scale is not a number", "e.g. scale: 100 for a percentage",
                args.get("scale"))
            return "none", {}
    if spec in ("sum", "count") and kind in ("level", "annual") and raw.get("unit", "").startswith("%"):
        bad(f"a percentage cannot be rolled up by {spec}",
            "use rollup: {method: ratio, numerator: ID, denominator: ID} or weighted", spec)
    return spec, args


def _parse_revisions(raw: Any, bad) -> tuple[Revision, ...]:
    if raw in (None, []):
        return ()
    if not isinstance(raw, list):
        bad("revisions must be a list", "write revisions: [{effective: 2025-07-15, target: ..., "
            "decision: ...}]", raw)
        return ()
    out = []
    for rev in raw:
        try:
            effective = _as_date(rev["effective"])
            recorded = _as_date(rev["recorded"]) if rev.get("recorded") else None
            target = _num(rev["target"])
            decision = str(rev.get("decision") or "").strip()
        except (KeyError, TypeError, ValueError):
            bad("a revision needs effective (YYYY-MM-DD), target (a number) and decision",
                "e.g. {effective: 2025-07-15, target: 1870, decision: 'Nghị quyết số …'}", rev)
            continue
        if not decision:
            bad("a revision must name the decision that revised the target",
                "add decision: 'Nghị quyết/Quyết định số …'", rev)
            continue
        out.append(Revision(effective, float(target), decision, recorded))
    return tuple(sorted(out, key=lambda r: r.effective))


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def load_catalog(path: str | Path | None = None, warn: bool = False) -> Catalog:
    """Load and validate a catalog file; every problem in it is reported at once.

    The file is checked against the schema (catalog_schema.py) first, then for what spans
    entries (ids referred to, settings needed). Each problem names the file, line and field.
    `warn=True` also prints what is allowed but probably unintended (no place name).
    """
    from ..common.paths import DEFAULT_CATALOG

    path = Path(path) if path else DEFAULT_CATALOG
    if not path.is_file():
        raise KpiError(f"catalog file not found: {path}",
                       fix="pass --catalog with the path of a catalog YAML file, or write one "
                           "with 'kpi new-plan'")
    doc, lines = read_yaml(path, "catalog")
    if not isinstance(doc, dict):
        raise KpiError("catalog is empty or not a mapping", file=str(path),
                       fix="start from 'kpi new-plan' or data/catalog/binh_son_2025.yaml")
    schema_problems = _schema_problems(doc, path, lines)
    if schema_problems:
        raise ValidationFailed(schema_problems)
    catalog = _check_entries(doc, path, lines)
    if warn:
        for message in catalog_warnings(catalog):
            print(f"warning: {message}", file=sys.stderr)
    return catalog


def catalog_warnings(catalog: Catalog) -> list[str]:
    """What a catalog allows but a reader would miss: a report with no place in its header."""
    out = []
    for key in ("area_vi", "province_vi"):
        if not str(catalog.meta.get(key) or "").strip():
            out.append(f"{catalog.path.name}: catalog.{key} is not set; report headers will "
                       f"not name the place -> add '{key}: ...' under 'catalog:'")
    if not catalog.settings.get("report"):
        out.append(f"{catalog.path.name}: settings.report is not set; the Word report's title "
                   "block is built from catalog.area_vi/province_vi -> see docs/catalog.md")
    return out


def _field_name(doc: dict, loc: tuple) -> str:
    """indicators[3] (T05).target: a field as a reader finds it in the file."""
    out, node = "", doc
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and node.get("id"):
                out += f" ({node['id']})"
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _schema_problems(doc: dict, path: Path, lines: dict[tuple, int]) -> list[Problem]:
    stamp = _passed_stamp(path)
    if stamp is not None and stamp.is_file():
        return []
    from pydantic import ValidationError

    from .catalog_schema import CatalogFile

    try:
        CatalogFile.model_validate(doc)
    except ValidationError as exc:
        seen, out = set(), []
        for err in exc.errors():
            loc = _clean_loc(err["loc"])
            if loc not in seen:  # a value failing every branch of a union: say it once
                seen.add(loc)
                out.append(_schema_problem(err, doc, path, lines))
        return out
    if stamp is not None:
        try:
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.touch()
        except OSError:
            pass  # a read-only cache only costs time
    return []


def _passed_stamp(path: Path) -> Path | None:
    """A file in the cache that says these very catalog bytes passed this very schema.

    Building the schema's pydantic models costs ~0,08 s CPU a process, a twelfth of a warm
    `kpi forecast`; the check is a pure function of the file's bytes, the schema's source
    and pydantic's version, so the stamp is named by their checksum (any edit to either is
    a new name, checked again). Only a pass is remembered: a failing file is always checked.
    """
    import hashlib
    from importlib.util import find_spec

    from ..common.paths import CACHE_DIR

    if not CACHE_DIR:
        return None
    try:
        spec = find_spec("pydantic")
        parts = [path.read_bytes(), (Path(__file__).parent / "catalog_schema.py").read_bytes(),
                 (Path(spec.origin).parent / "version.py").read_bytes()]
    except (OSError, AttributeError, TypeError):
        return None
    digest = hashlib.sha256(b"\0".join(parts)).hexdigest()[:32]
    return Path(CACHE_DIR) / "checked" / f"catalog-{digest}"


def _clean_loc(loc: tuple) -> tuple:
    """Drop pydantic's union-branch labels ('Rollup', "literal['sum',…]") from an error path."""
    from . import catalog_schema

    models = {n for n, v in vars(catalog_schema).items() if isinstance(v, type)}
    return tuple(p for p in loc if isinstance(p, int) or (p not in models and "[" not in p))


def _schema_problem(err: dict, doc: dict, path: Path, lines: dict[tuple, int]) -> Problem:
    # Drop pydantic's union branch names (e.g. 'function-after[...]', 'Rollup') from the path.
    loc = _clean_loc(err["loc"])
    name = _field_name(doc, loc)
    key = str(loc[-1]) if loc else ""
    kind, ctx = err["type"], err.get("ctx") or {}
    parent = _field_name(doc, loc[:-1]) or "top level"
    if kind == "missing":
        message, fix = f"{parent}: missing '{key}'", f"add '{key}:' (see docs/catalog.md)"
    elif kind == "extra_forbidden":
        message, fix = (f"{parent}: unknown key '{key}'",
                        "check the spelling; the keys are listed in docs/catalog.md")
    elif kind in ("literal_error", "enum"):
        message, fix = f"{name}: unknown {key} {err.get('input')!r}", f"use {ctx.get('expected')}"
    else:
        message, fix = f"{name}: {err['msg'][:1].lower() + err['msg'][1:]}", \
            "see docs/catalog.md for what this key takes"
    value = None if kind in ("missing", "extra_forbidden") else err.get("input")
    if isinstance(value, (dict, list)):
        value = None
    return Problem(message, fix=fix, file=locate(path, lines, loc), value=value)


def _check_entries(doc: dict, path: Path, lines: dict[tuple, int]) -> Catalog:
    """What the schema cannot say: references between entries, settings a target needs."""
    problems: list[Problem] = []
    meta = doc.get("catalog") or {}
    if not isinstance(meta.get("year"), int) or isinstance(meta.get("year"), bool):
        problems.append(Problem("catalog.year missing or not a whole number",
                                fix="add 'year: 2025' under 'catalog:'",
                                file=locate(path, lines, ("catalog", "year"))))
    problems += _missing_files(meta, path, lines)
    groups = doc.get("groups") or []
    group_ids = {g.get("id") for g in groups if isinstance(g, dict)}
    indicators, components = [], []
    pos: dict[str, tuple] = {}  # id -> its place in the file, to give each problem a line
    for section, out, comp in (("indicators", indicators, False), ("components", components, True)):
        for n, raw in enumerate(doc.get(section) or [], start=1):
            ind = _parse_entry(raw, f"{section}[{n}]", problems,
                               locate(path, lines, (section, n - 1)), comp)
            if ind is not None:
                out.append(ind)
                pos.setdefault(ind.id, (section, n - 1))

    def at(ind: Indicator, key: str = "") -> str:
        where = pos.get(ind.id, ())
        return locate(path, lines, (*where, key) if key else where)
    if not indicators:
        problems.append(Problem("catalog has no indicators", fix="add an 'indicators:' list",
                                file=locate(path, lines, ("indicators",))))
    seen: set[str] = set()
    known = {i.id for i in indicators + components}
    for ind in indicators + components:
        if ind.id in seen:
            problems.append(Problem(f"duplicate indicator id '{ind.id}'",
                                    fix="give every indicator its own id", file=at(ind)))
        seen.add(ind.id)
        if groups and ind.group and ind.group not in group_ids:
            problems.append(Problem(f"indicator {ind.id}: unknown group '{ind.group}'",
                                    fix=f"use one of {sorted(group_ids)}", file=at(ind, "group")))
        for ref in [*ind.derive_refs, *filter(None, [(ind.derive or {}).get("value_added")])]:
            if ref not in known:
                problems.append(Problem(f"indicator {ind.id} derives from unknown id '{ref}'",
                                        fix="add it to indicators or components",
                                        file=at(ind, "derive")))
    settings = doc.get("settings") or {}
    for ind in indicators:
        if ind.target_of_setting and ind.target_of_setting not in settings:
            problems.append(Problem(
                f"indicator {ind.id} needs setting '{ind.target_of_setting}', which is not declared",
                fix=f"add '{ind.target_of_setting}: null' (or its value) under settings:",
                file=at(ind, "target_of_setting")))
    from .statuses import status_scale

    try:
        status_scale(settings, locate(path, lines, ("settings", "status_labels")))
    except KpiError as exc:
        problems.append(exc.problem)
    unit_targets = _parse_unit_targets(doc.get("unit_targets"), known, path, lines, problems)
    items = doc.get("items") or []  # shape checked by the schema
    item_nos = {it.get("number") for it in items if isinstance(it, dict)}
    for ind in indicators:
        if items and ind.item is not None and ind.item not in item_nos:
            problems.append(Problem(f"indicator {ind.id}: item {ind.item} is not in 'items'",
                                    file=at(ind, "item"), fix="add it to items: or correct item:"))
    for ind in indicators + components:
        for key in ("numerator", "denominator", "weight"):
            ref = ind.rollup_args.get(key)
            if ref and ref not in known:
                problems.append(Problem(f"indicator {ind.id} rolls up through unknown id '{ref}'",
                                        fix="add it to components", file=at(ind, "rollup")))
    if problems:
        raise ValidationFailed(problems)
    groups, indicators = _default_groups(groups, indicators, meta)
    return Catalog(path=path, meta=meta, settings=settings, groups=groups,
                   indicators=indicators, components=components, unit_targets=unit_targets,
                   items=items)


FILE_KEYS = ("units_file", "crosswalk_file", "campaign_file", "narrative_file")


def _missing_files(meta: dict, path: Path, lines: Lines) -> list[Problem]:
    """The files a catalog names (relative to it) that are not there: said now by
    check-catalog, not at run time inside a notebook."""
    out = []
    for key in FILE_KEYS:
        given = meta.get(key)
        if isinstance(given, str) and given and not (path.parent / given).is_file():
            out.append(Problem(f"catalog.{key}: file not found: {path.parent / given}",
                               file=locate(path, lines, ("catalog", key)),
                               fix=f"correct {key} (a path relative to the catalog) or put "
                                   "the file there"))
    return out


def _default_groups(groups: list[dict], indicators: list[Indicator],
                    meta: dict) -> tuple[list[dict], list[Indicator]]:
    """Groups and item numbers a catalog left out, so a report never has an empty table.

    No `groups:`: one group named after the plan. An indicator without `group:`: that group
    (or "Chỉ tiêu khác" beside declared ones). Without `item:`: numbered after the others.
    """
    groups = [dict(g) for g in groups]
    if any(not i.group for i in indicators):
        if groups:
            groups.append({"id": "other", "name_vi": "Chỉ tiêu khác", "name_en": "Other targets"})
        else:
            groups = [{"id": "all", "name_vi": str(meta.get("plan_vi") or "Chỉ tiêu kế hoạch"),
                       "name_en": str(meta.get("plan_en") or "Targets")}]
    fallback = groups[-1]["id"] if groups else "all"
    for g in groups:
        g.setdefault("name_en", g.get("name_vi", g["id"]))
    next_item = max([i.item for i in indicators if i.item is not None], default=0)
    out = []
    for ind in indicators:
        if ind.item is None:
            next_item += 1
            ind = replace(ind, item=next_item)
        out.append(replace(ind, group=ind.group or fallback))
    return groups, out


def _parse_unit_targets(raw: Any, known: set[str], path: Path, lines: Lines,
                        problems: list[Problem]) -> dict[str, dict[str, float]]:
    """unit_targets: {UNIT: {ID: target}}, the targets assigned to units below the area."""
    out: dict[str, dict[str, float]] = {}
    for unit, targets in (raw or {}).items():
        if not isinstance(targets, dict):
            problems.append(Problem(f"unit_targets.{unit} is not a mapping",
                                    file=locate(path, lines, ("unit_targets", unit)),
                                    fix="write unit_targets: {UNIT: {ID: target}}"))
            continue
        for iid, value in targets.items():
            where = locate(path, lines, ("unit_targets", unit, iid))
            if iid not in known:
                problems.append(Problem(f"unit_targets.{unit}: unknown indicator '{iid}'",
                                        file=where, fix="use an id from indicators"))
            elif not isinstance(value, (int, float)) or isinstance(value, bool):
                problems.append(Problem(f"unit_targets.{unit}.{iid} is not a number",
                                        file=where, value=value, fix="write a plain number"))
            else:
                out.setdefault(str(unit), {})[iid] = float(value)
    return out
