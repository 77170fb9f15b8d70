"""The five-year plan's term targets: a term file the catalog names (`catalog.term_file`).

A term (nhiệm kỳ, e.g. 2021–2025 with base year 2020) holds targets over the whole term:
an average annual growth, a cumulative total, an end-of-term level, an average annual
reduction in points, a count reached by the end. Each is fed by an annual figure of a
catalog series. The file is checked like the catalog itself (schema first, then what spans
entries), and every problem names the file, the line and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..common.errors import KpiError, Problem, ValidationFailed
from ..common.yamlfile import locate, read_yaml
from .catalog import Catalog, Indicator, _schema_problem

KIND_VI = {"average_growth": "Tốc độ tăng bình quân/năm", "cumulative": "Tổng cộng dồn cả kỳ",
           "end_level": "Mức cuối kỳ", "reduction_points": "Mức giảm bình quân/năm",
           "count_by_end": "Số đạt đến cuối kỳ"}
RULE_SYMBOL = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "range": ""}


@dataclass(frozen=True)
class TermTarget:
    """One term target, resolved against the catalog (its feeding series is known)."""

    id: str
    term: str
    indicator: Indicator
    name_vi: str
    name_en: str
    kind: str
    rule: str
    target: float
    target_high: float | None
    unit: str
    plan_text_vi: str
    base_year: int | None
    annual_targets: dict[int, float]
    office_reading_vi: str
    example: bool

    @property
    def feed_is_rate(self) -> bool:
        """Whether the yearly figure is itself the yearly step: a growth rate in % for a
        growth target (GDP growth), a fall in points for a reduction target ('điểm %').
        Otherwise it is a value (a level, a year's total) and steps are computed from it."""
        unit = self.indicator.unit.strip()
        return (self.kind == "average_growth" and unit.startswith("%")) or \
            (self.kind == "reduction_points" and unit.startswith("điểm"))

    def plan_text(self) -> str:
        """The target as written: the plan's words, else rule and figure."""
        from ..common.numbers import format_number

        if self.plan_text_vi:
            return self.plan_text_vi
        if self.rule == "range":
            return f"{format_number(self.target, 2)}–{format_number(self.target_high, 2)} " \
                   f"{self.unit}".strip()
        return f"{RULE_SYMBOL[self.rule]} {format_number(self.target, 2)} {self.unit}".strip()


@dataclass(frozen=True)
class Term:
    id: str
    start: int
    end: int
    base_year: int | None
    plan_vi: str
    source_vi: str
    example: bool
    targets: tuple[TermTarget, ...] = field(default_factory=tuple)

    @property
    def years(self) -> list[int]:
        return list(range(self.start, self.end + 1))

    @property
    def label(self) -> str:
        return f"{self.start}–{self.end}"


def term_path(catalog: Catalog) -> Path | None:
    """catalog.term_file (relative to the catalog), or None when the catalog names none."""
    given = catalog.meta.get("term_file")
    return Path(catalog.path).parent / given if given else None


def load_terms(catalog: Catalog) -> list[Term]:
    """The catalog's terms, checked; [] when the catalog names no term file."""
    path = term_path(catalog)
    if path is None:
        return []
    if not path.is_file():
        raise KpiError(f"term file not found: {path}", file=str(catalog.path),
                       fix="correct catalog.term_file, or remove it")
    doc, lines = read_yaml(path, "term file")  # duplicate keys, aliases, .nan refused
    if not isinstance(doc, dict):
        raise KpiError("term file is empty or not a mapping", file=str(path),
                       fix="start from data/catalog/binh_son_2021_2025_term.yaml")
    from pydantic import ValidationError

    from .catalog_schema import TermFile

    try:
        TermFile.model_validate(doc)
    except ValidationError as exc:
        raise ValidationFailed([_schema_problem(e, doc, path, lines) for e in exc.errors()]
                               ) from None
    return _resolve(doc, catalog, path, lines)


def _resolve(doc: dict, catalog: Catalog, path: Path, lines: dict) -> list[Term]:
    """What the schema cannot say: years against the catalog's year, base years, feeds."""
    problems: list[Problem] = []

    def bad(loc: tuple, message: str, fix: str, value: object = None) -> None:
        problems.append(Problem(message, fix=fix, file=locate(path, lines, loc), value=value))

    series = {i.id: i for i in catalog.all_series}
    year = catalog.year
    terms = []
    for n, raw in enumerate(doc["terms"]):
        at = ("terms", n)
        start, end = raw["start"], raw["end"]
        name = f"terms[{n + 1}] ({raw['id']})"
        if end < start:
            bad((*at, "end"), f"{name}.end {end} is before start {start}",
                "write the term's first and last years, e.g. start: 2021, end: 2025")
        if start > year:
            bad((*at, "start"), f"{name}: the term starts after the catalog's year {year}",
                f"a catalog of {year} holds its own term and earlier ones; use the catalog "
                f"of {start} or later", start)
        base = raw.get("base_year")
        if base is not None and base != start - 1:
            bad((*at, "base_year"), f"{name}.base_year {base} is not the year before the term",
                f"write base_year: {start - 1}", base)
        targets = []
        for k, t in enumerate(raw["targets"]):
            tat = (*at, "targets", k)
            tname = f"{name}.targets[{k + 1}] ({t['id']})"
            ind = series.get(t["indicator"])
            if ind is None:
                bad((*tat, "indicator"), f"{tname}.indicator: unknown series "
                    f"'{t['indicator']}'", "use an id of the catalog's indicators or "
                    "components", t["indicator"])
                continue
            t_base = t.get("base_year", base)
            step_feed = ind.unit.startswith("điểm") and t["kind"] == "reduction_points"
            if t["kind"] in ("average_growth", "reduction_points") and t_base is None \
                    and not step_feed:
                bad((*tat, "kind"), f"{tname}: a {t['kind']} target needs its base year",
                    f"add base_year: {start - 1} to the term (or to the target)")
            rate = ind.unit.strip().startswith("%")
            if t["kind"] == "cumulative" and rate:
                bad((*tat, "indicator"), f"{tname}: a cumulative target cannot add up a rate "
                    f"({ind.id} is in '{ind.unit}')", "feed it with a series of amounts "
                    "(tỷ đồng, người), or use kind end_level / average_growth", ind.id)
            if t["kind"] == "reduction_points" and not (rate or ind.unit.startswith("điểm")):
                bad((*tat, "indicator"), f"{tname}: a reduction in points needs a rate in % "
                    f"or a yearly fall in 'điểm %' ({ind.id} is in '{ind.unit}')",
                    "feed it with a percentage series", ind.id)
            if t["rule"] == "range" and (t.get("target_high") is None
                                         or t["target_high"] < t["target"]):
                bad((*tat, "target_high"), f"{tname}: a range needs target_high ≥ target",
                    "write target: 6.5, target_high: 7 for '6,5–7%'", t.get("target_high"))
            annual = t.get("annual_targets") or {}
            if annual:
                missing = [y for y in range(start, end + 1) if y not in annual]
                extra = [y for y in annual if not start <= y <= end]
                if missing or extra:
                    bad((*tat, "annual_targets"), f"{tname}.annual_targets: "
                        + (f"year {', '.join(map(str, missing))} of the term is missing"
                           if missing else f"year {', '.join(map(str, extra))} is outside "
                           f"the term {start}–{end}"),
                        f"give one figure for each year {start}–{end}")
            unit = t.get("unit") or {"average_growth": "%", "reduction_points": "điểm %/năm"
                                     }.get(t["kind"], ind.unit)
            targets.append(TermTarget(
                id=t["id"], term=raw["id"], indicator=ind, name_vi=t["name_vi"],
                name_en=t.get("name_en", ""), kind=t["kind"], rule=t["rule"],
                target=float(t["target"]),
                target_high=None if t.get("target_high") is None else float(t["target_high"]),
                unit=unit, plan_text_vi=t.get("plan_text_vi", ""), base_year=t_base,
                annual_targets={int(y): float(v) for y, v in annual.items()},
                office_reading_vi=t.get("office_reading_vi", ""),
                example=bool(t.get("example") or raw.get("example"))))
        terms.append(Term(raw["id"], start, end, base, raw.get("plan_vi", ""),
                          raw.get("source_vi", ""), bool(raw.get("example")), tuple(targets)))
    if terms and not any(t.start <= year <= t.end for t in terms):
        bad(("terms",), f"no term holds the catalog's year {year} "
            f"({', '.join(t.label for t in terms)})",
            "add the term the catalog's year belongs to, or correct start/end")
    ids = [t.id for term in terms for t in term.targets]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        bad(("terms",), f"duplicate term target id '{dup}'", "give every target its own id")
    if problems:
        raise ValidationFailed(problems)
    return terms
