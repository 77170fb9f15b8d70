"""The target catalog: which indicators a plan sets, with unit, kind, rule and target.

The catalog is data (a YAML file under data/catalog/); this module only loads and
validates it, so another district or another year is a new file, not new code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import KpiError, Problem, ValidationFailed

KINDS = ("flow", "level", "annual", "derived", "milestone")
RULES = ("about", "ge", "le", "gt", "reduce", "yes")
DIRECTIONS = ("higher", "lower", "band")
RULE_SYMBOL = {"about": "≈", "ge": "≥", "le": "≤", "gt": ">", "reduce": "<", "yes": "="}
DEFAULT_THRESHOLDS = {"on_track_p": 0.75, "off_track_p": 0.25, "off_track_gap": 0.95}
ID_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


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

    @property
    def is_percent(self) -> bool:
        return self.unit.strip().startswith("%") and self.target_of_setting is None

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

    @property
    def year(self) -> int:
        return int(self.meta["year"])

    @property
    def default_unit(self) -> str:
        return str(self.meta.get("default_unit", "ALL"))

    @property
    def thresholds(self) -> dict[str, float]:
        return {**DEFAULT_THRESHOLDS, **(self.settings.get("thresholds") or {})}

    @property
    def all_series(self) -> list[Indicator]:
        """Targets and components: everything that can appear in the data."""
        return [*self.indicators, *self.components]

    def get(self, indicator_id: str) -> Indicator:
        for ind in self.all_series:
            if ind.id == indicator_id:
                return ind
        raise KpiError(
            f"unknown indicator '{indicator_id}'",
            fix=f"use one of the ids in {self.path.name} (kpi catalog lists them)",
        )

    def ids(self) -> list[str]:
        return [i.id for i in self.all_series]

    def group_name(self, group_id: str, lang: str = "vi") -> str:
        for g in self.groups:
            if g["id"] == group_id:
                return g["name_en" if lang == "en" else "name_vi"]
        return group_id

    def setting(self, name: str) -> Any:
        return self.settings.get(name)

    def effective_target(self, ind: Indicator) -> float | None:
        """Target in the data's unit, or None when a setting it needs is missing."""
        if ind.target_of_setting:
            base = self.settings.get(ind.target_of_setting)
            if base is None or ind.target is None:
                return None
            return float(base) * float(ind.target) / 100.0
        return ind.target

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


def _num(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    raise ValueError(value)


def _parse_entry(raw: Any, where: str, problems: list[Problem], path: Path,
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
    return Indicator(
        id=iid, name_vi=str(raw.get("name_vi", "")), name_en=str(raw.get("name_en", iid)),
        unit=str(raw.get("unit", "")), kind=str(kind), group=str(raw.get("group", "")),
        item=int(item) if isinstance(item, int) else None, rule=rule, direction=direction,
        target=target, tolerance=tolerance, tolerance_type=ttype,
        frequency=str(raw.get("frequency", "monthly")), notes=str(raw.get("notes", "") or ""),
        data_unit=raw.get("data_unit"), target_of_setting=raw.get("target_of_setting"),
        derive=raw.get("derive"), is_component=component,
    )


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalog file; every problem in it is reported at once."""
    from .paths import DEFAULT_CATALOG

    path = Path(path) if path else DEFAULT_CATALOG
    if not path.is_file():
        raise KpiError(f"catalog file not found: {path}",
                       fix="pass --catalog with the path of a catalog YAML file")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise KpiError(f"catalog is not valid YAML: {exc}", fix="fix the YAML syntax",
                       file=str(path)) from None
    if not isinstance(doc, dict):
        raise KpiError("catalog is empty or not a mapping", file=str(path),
                       fix="start from data/catalog/binh_son_2025.yaml")
    problems: list[Problem] = []
    meta = doc.get("catalog") or {}
    if not isinstance(meta.get("year"), int):
        problems.append(Problem("catalog.year missing or not a whole number",
                                fix="add 'year: 2025' under 'catalog:'", file=str(path)))
    groups = doc.get("groups") or []
    group_ids = {g.get("id") for g in groups if isinstance(g, dict)}
    indicators, components = [], []
    for section, out, comp in (("indicators", indicators, False), ("components", components, True)):
        for n, raw in enumerate(doc.get(section) or [], start=1):
            ind = _parse_entry(raw, f"{section}[{n}]", problems, path, comp)
            if ind is not None:
                out.append(ind)
    if not indicators:
        problems.append(Problem("catalog has no indicators", fix="add an 'indicators:' list",
                                file=str(path)))
    seen: set[str] = set()
    known = {i.id for i in indicators + components}
    for ind in indicators + components:
        if ind.id in seen:
            problems.append(Problem(f"duplicate indicator id '{ind.id}'",
                                    fix="give every indicator its own id", file=str(path)))
        seen.add(ind.id)
        if groups and ind.group and ind.group not in group_ids:
            problems.append(Problem(f"indicator {ind.id}: unknown group '{ind.group}'",
                                    fix=f"use one of {sorted(group_ids)}", file=str(path)))
        refs = []
        if ind.derive:
            refs = [ind.derive.get("of"), ind.derive.get("part"), *(ind.derive.get("whole") or [])]
        for ref in filter(None, refs):
            if ref not in known:
                problems.append(Problem(f"indicator {ind.id} derives from unknown id '{ref}'",
                                        fix="add it to indicators or components", file=str(path)))
    settings = doc.get("settings") or {}
    for ind in indicators:
        if ind.target_of_setting and ind.target_of_setting not in settings:
            problems.append(Problem(
                f"indicator {ind.id} needs setting '{ind.target_of_setting}', which is not declared",
                fix=f"add '{ind.target_of_setting}: null' (or its value) under settings:",
                file=str(path)))
    if problems:
        raise ValidationFailed(problems)
    return Catalog(path=path, meta=meta, settings=settings, groups=groups,
                   indicators=indicators, components=components)
