"""The catalog file's schema, written once as pydantic models.

These models are the one machine-readable description of a catalog: `load_catalog`
validates every file against them (errors name the file, the line and the field), and
the reference page `docs/catalog.md` and the JSON Schema `docs/catalog.schema.json` are
generated from them (`python -m kpi_lib.plan.catalog_schema [--json]`; a test keeps both
current).
Checks that span several entries (ids referred to, settings a target needs) stay in
`catalog.py`.

Adding a key: add a field here with a `description`, regenerate docs/catalog.md. Unknown
keys are refused (a misspelt key would otherwise be silently ignored), so a new key is
documented the moment it exists.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

Kind = Literal["flow", "level", "annual", "derived", "milestone"]
Rule = Literal["about", "ge", "le", "gt", "reduce", "yes"]
Direction = Literal["higher", "lower", "band"]
RollupMethod = Literal["sum", "count", "ratio", "weighted", "none"]
# A number typed in the file: `true` is not 1, and "12" (quoted) is text, not a number.
Number = Annotated[float, Strict()]
Whole = Annotated[int, Strict()]
Id = Field(pattern=r"^[A-Za-z0-9_-]+$", description="Letters, digits, '_' or '-' (e.g. T01).")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanMeta(_Strict):
    """`catalog:` — which plan, which year, which place."""

    id: str = Field(description="Short name of the catalog; printed in every Excel form, "
                    "so a form filled for another catalog is refused.")
    year: Whole = Field(description="The plan year. Figures of earlier years are history "
                      "(any number of years); figures after it are refused.")
    area_vi: str = Field("", description="The place, in Vietnamese (e.g. 'Huyện Bình Sơn'): "
                         "report titles and the Word header. Missing: a warning.")
    area_en: str = Field("", description="The place in English reports.")
    province_vi: str = Field("", description="The level above (e.g. 'Tỉnh Quảng Ngãi'), "
                             "first line of the Word header.")
    plan_vi: str = Field("", description="The plan's title in Vietnamese (e.g. 'Kế hoạch "
                         "21/KH-UBND …'), shown in reports and forms.")
    plan_en: str = Field("", description="The plan's title in English.")
    default_unit: str = Field("ALL", pattern=r"^[A-Za-z0-9_-]+$",
                              description="The code of the plan's area: figures without a "
                              "unit code count for it, and reports are about it. Without a "
                              "unit registry, together with `units` it lists the unit codes "
                              "files may use.")
    units: list[str] = Field(default_factory=list, description="Without a registry: further "
                             "unit codes (e.g. communes) files may use besides default_unit.")
    units_file: str | None = Field(None, description="Unit registry CSV (relative to the "
                                   "catalog): units with validity dates and the area each "
                                   "counts toward. Then reports roll units up to the area.")
    crosswalk_file: str | None = Field(None, description="Crosswalk CSV of a reorganisation "
                                       "(old unit -> new unit, from a date, with a share).")
    narrative_file: str | None = Field(None, description="The narrative's sentence templates "
                                       "(relative to the catalog); default: the shipped ones.")
    campaign_file: str | None = Field(None, description="Optional path (relative to the "
                                      "catalog) to a separate YAML of departments, clusters "
                                      "and scoring for an emulation campaign.")
    term_file: str | None = Field(None, description="Optional path (relative to the catalog) "
                                  "to the five-year plan's term targets (a term file, see "
                                  "`terms[]`): assessed by `kpi term` and in the monthly "
                                  "report's section 'Chỉ tiêu kế hoạch 5 năm'.")


class StatusLabel(_Strict):
    vi: str = Field("", description="Label in Vietnamese reports.")
    en: str = Field("", description="Label in English reports.")
    color: str = Field("", description="Colour, e.g. '#4caf50'.")
    phrase_vi: str | None = Field(None, description="What the narrative says (default "
                                  "from the label).")
    phrase_en: str | None = Field(None, description="The same in English.")


class Thresholds(_Strict):
    on_track_p: Number = Field(0.75, ge=0, le=1, description="P(meet) at or above which a "
                               "target is 'on track'.")
    off_track_p: Number = Field(0.25, ge=0, le=1, description="P(meet) below which it is "
                                "'off track'; not above on_track_p.")
    off_track_gap: Number = Field(0.95, ge=0, description="Share of the gap closed above "
                                  "which an unlikely target is only 'at risk'.")

    @model_validator(mode="after")
    def _in_order(self) -> Thresholds:
        if self.off_track_p > self.on_track_p:
            raise ValueError(f"off_track_p ({self.off_track_p}) is above on_track_p "
                             f"({self.on_track_p}): the thresholds are inverted")
        return self


class Issuer(_Strict):
    """`settings.report.issuers[]` — a body that issues the report, for a span of dates."""

    name: str = Field(min_length=1, description="In capitals as printed; '\\n' breaks the "
                      "line ('ỦY BAN NHÂN DÂN\\nXÃ BÌNH SƠN').")
    short: str = Field("", description="In running text ('UBND xã Bình Sơn').")
    code: str = Field("", description="Abbreviation in the number (…/BC-UBND).")
    parent: str = Field("", description="The superior body, in capitals, if printed.")
    valid_from: dt.date | None = Field(None, description="First day it issues reports.")
    valid_to: dt.date | None = Field(None, description="Last day (null: still in office).")
    on_behalf: str = Field("", description="'TM. ỦY BAN NHÂN DÂN'.")
    deputy: str = Field("", description="'KT. CHỦ TỊCH' when a deputy signs.")
    signer_title: str = Field("", description="'PHÓ CHỦ TỊCH'.")
    signer: str = Field("", description="The signer's full name.")
    example: bool = Field(False, description="A placeholder: the report says so on its face.")


class ReportHeader(_Strict):
    """`settings.report` — the Word report's facts (Nghị định 30/2020/NĐ-CP): who issues
    it, its number, place and date (a setting, not the run's date), the căn cứ and recipients."""

    issuers: list[Issuer] = Field(default_factory=list, description="Issuing bodies by date; "
                                  "the one valid on the report's date issues it.")
    issuer_parent: str = Field("", description="Older single-issuer form: first line.")
    issuer: str = Field("", description="Older single-issuer form: the issuing office.")
    number: str | None = Field(None, description="Document number line; blank until the "
                               "clerk registers it.")
    place: str = Field("", description="Place in the date line (default: catalog.area_vi).")
    date: dt.date | None = Field(None, description="The report's date, for every month.")
    dates: dict[str, dt.date] = Field(default_factory=dict, description="The report's date by "
                                      "month ('2025-09': 2025-10-05).")
    day_of_next_month: Whole | None = Field(None, description="Months not in `dates`: this day "
                                          "of the following month.")
    basis: str = Field("", description="The căn cứ: the plan reported on (number, date, issuer).")
    recipients: list[str] | str = Field(default_factory=list, description="'Nơi nhận', one "
                                        "recipient per line; the last is the archive.")


class Settings(BaseModel):
    """`settings:` — choices the plan leaves open, and named values targets refer to.

    Besides the keys below, any name may hold a number or null (not set yet), for an
    indicator's `target_of_setting` (e.g. `province_assigned_budget_revenue: null`).
    """

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Number | None] = Field(init=False)

    thresholds: Thresholds | None = Field(None, description="Status thresholds.")
    status_labels: dict[Literal["achieved", "on_track", "at_risk", "off_track", "missed",
                                "no_data"],
                        StatusLabel] | None = Field(
        None, description="Wording, colour and phrase of each status.")
    unit_names_en: dict[str, str] | None = Field(None, description="Units of measure as "
                                                 "English reports name them.")
    report: ReportHeader | None = Field(None, description="The Word report's title block.")
    signed_rates: list[str] | None = Field(None, description="Ids of percentages that are "
                                           "rates of change and may be below zero (natural "
                                           "population growth).")


class Group(_Strict):
    id: str = Id
    name_vi: str = Field(description="Group name in Vietnamese (a paragraph of the narrative).")
    name_en: str = Field("", description="Group name in English.")


class Derive(_Strict):
    type: Literal["growth", "share"] = Field(description="growth: year-end `of` over last "
                                             "year's, minus 1; share: `part` over the sum of "
                                             "`whole`, in %.")
    of: str | None = Field(None, description="growth: the indicator it is the growth of.")
    value_added: str | None = Field(None, description="growth: a value-added series (a "
                                    "component) to use when the data has it; otherwise `of` "
                                    "(gross output) is used and the estimate says so.")
    part: str | None = Field(None, description="share: the part.")
    whole: list[str] | None = Field(None, description="share: the parts that make the whole.")


class Rollup(_Strict):
    method: RollupMethod = Field(description="How unit figures make the area's.")
    numerator: str | None = Field(None, description="ratio: id of the numerator series.")
    denominator: str | None = Field(None, description="ratio: id of the denominator series.")
    scale: Number | None = Field(None, gt=0, description="ratio: multiplier (100 for a percentage).")
    weight: str | None = Field(None, description="weighted: id of the weight series.")


class Revision(_Strict):
    effective: dt.date = Field(description="From when the new target applies (YYYY-MM-DD).")
    target: Number = Field(description="The new target.")
    decision: str = Field(min_length=1, description="The decision that changed it.")
    recorded: dt.date | None = Field(None, description="When the office entered it; a report "
                                     "for an earlier vintage ignores the revision.")


class Series(_Strict):
    """What targets and components share: a series figures are entered (or derived) for."""

    id: str = Id
    name_vi: str = Field(min_length=1, description="Name in Vietnamese, as the plan words it.")
    name_en: str = Field("", description="Name in English (default: the id).")
    unit: str = Field(min_length=1, description="Unit of measure as reviewers read it "
                      "('tỷ đồng', '%', 'người'); a unit starting with '%' is a percentage.")
    kind: Kind = Field(description="flow: amounts that add up over the year; level: a rate "
                       "read at a time; annual: one figure a year; derived: computed from "
                       "other series (see derive); milestone: recognitions counted.")
    group: str = Field("", description="Id of its group (see groups); the narrative and "
                       "tables are grouped by it. Default: one group for all.")
    frequency: str = Field("monthly", description="How often figures usually arrive "
                           "(monthly, quarterly, annual, event); informative.")
    notes: str | None = Field("", description="Free text shown with the indicator.")
    data_unit: str | None = Field(None, description="Unit figures are entered in when it "
                                  "differs from `unit` (with target_of_setting).")
    rollup: RollupMethod | Rollup | None = Field(None, description="How unit figures add up "
                                                 "to the area: sum, count, none, or {method: "
                                                 "ratio|weighted, …}. Default: sum for flows, "
                                                 "count for milestones, none otherwise.")
    scope: Literal["area", "any"] | None = Field(None, description="area: judged for the "
                                                 "plan's area only; any: also for each unit "
                                                 "(rates). Default: any for percentages and "
                                                 "'reduce', else area.")


class Target(Series):
    """`indicators:` — one target of the plan."""

    item: Whole | None = Field(None, description="The plan's numbered item (several indicators "
                             "may share one; it takes the worst status of them).")
    rule: Rule = Field(description="about (≈, with tolerance), ge (≥), le (≤), gt (>), "
                       "reduce (< last year's total, from the data), yes (done/not done).")
    direction: Direction = Field("higher", description="higher or lower is better, or band "
                                 "(about: either side).")
    target: Number | None = Field(None, description="The target in `unit` (none for reduce). "
                                 "With target_of_setting: a percentage of that setting.")
    tolerance: Number | None = Field(None, ge=0, description="The band an 'about' target "
                                     "allows (not negative).")
    tolerance_type: Literal["absolute", "relative"] = Field("absolute", description="Whether "
                                                            "tolerance is in units or a share.")
    target_of_setting: str | None = Field(None, description="Name of a setting the target is "
                                          "a percentage of (e.g. a budget the province assigns).")
    derive: Derive | None = Field(None, description="For kind: derived.")
    revisions: list[Revision] | None = Field(None, description="Target changes during the year.")
    short_name_vi: str = Field("", description="A name for sentences when `name_vi` holds the "
                               "target itself (e.g. 'Thu ngân sách nhà nước trên địa bàn').")
    short_name_en: str = Field("", description="The same in English.")
    plan_text_vi: str = Field("", description="The target as the plan writes it ('01 xã', "
                              "'60 triệu đồng/người/năm', 'khoảng 9,48%'); shown instead of a "
                              "number built from `target`.")
    plan_text_en: str = Field("", description="The same in English.")
    basis_vi: str = Field("", description="The basis of the figures where it matters "
                          "('giá so sánh 2010'); shown beside the name.")
    basis_en: str = Field("", description="The same in English.")
    office_reading_vi: str = Field("", description="Where the catalog reads more than the plan "
                                   "says (a bare figure read as a ceiling): shown as the "
                                   "office's reading, not the plan's words.")
    office_reading_en: str = Field("", description="The same in English.")
    holds_once_met: bool = Field(False, description="A level that cannot fall within the year "
                                 "once reached (a recognised school keeps its standard): a "
                                 "reading at the target is final. The office's reading.")


class Item(_Strict):
    """`items[]` — the plan's numbered targets, as reviewers count them ("22 chỉ tiêu")."""

    number: Whole = Field(description="The item's number in the plan (indicators name it in "
                        "`item`).")
    name_vi: str = Field(min_length=1, description="The item as the plan words it.")
    name_en: str = Field("", description="The same in English.")


class Component(Series):
    """`components:` — a series entered to compute targets (shares, ratios), not judged."""


class CatalogFile(_Strict):
    """A catalog file: the plan's targets as data (YAML)."""

    catalog: PlanMeta = Field(description="Which plan, year and place.")
    settings: Settings = Field(default_factory=Settings, description="Open choices and named "
                               "values.")
    groups: list[Group] = Field(default_factory=list, description="Groups of the plan (Kinh "
                                "tế, Xã hội, …). Left out: one group named after the plan.")
    items: list[Item] = Field(default_factory=list, description="The plan's numbered targets; "
                              "left out, each item is named by its indicators.")
    indicators: list[Target] = Field(min_length=1, description="The targets.")
    components: list[Component] = Field(default_factory=list, description="Series entered "
                                        "only to compute targets.")
    unit_targets: dict[str, dict[str, Number]] = Field(default_factory=dict, description=
                                                      "{UNIT: {ID: target}}: targets assigned "
                                                      "to units below the area.")


TermKind = Literal["average_growth", "cumulative", "end_level", "reduction_points",
                   "count_by_end"]


class TermTarget(_Strict):
    """`terms[].targets[]` — one target of a five-year plan, fed by an annual indicator."""

    id: str = Id
    indicator: str = Field(description="Id of the catalog series whose yearly figure feeds it "
                           "(a target or a component). A unit starting with '%' is a rate: "
                           "for average_growth, each year's growth in %; otherwise the "
                           "year's value (a level, or a flow's year total).")
    name_vi: str = Field(min_length=1, description="The target as the plan names it.")
    name_en: str = Field("", description="The same in English.")
    kind: TermKind = Field(description="average_growth: the term's average annual growth, "
                           "geometric, chain-linked from the base year; cumulative: the sum "
                           "of the term's yearly totals; end_level: the value in the term's "
                           "last year; reduction_points: the average fall per year in "
                           "points (base year to last year); count_by_end: a count reached "
                           "by the last year.")
    rule: Literal["ge", "gt", "le", "lt", "range"] = Field(description="ge (≥, 'trở lên'), "
                                                           "gt ('trên'), le (≤), lt "
                                                           "('dưới'), range ('6,5–7%': met "
                                                           "at or above the lower bound).")
    target: float = Field(description="The target in the plan's unit (%, points/year, the "
                          "indicator's unit); for a range, its lower bound.")
    target_high: float | None = Field(None, description="range: the upper bound.")
    unit: str = Field("", description="Unit of the target as written (default: % for growth, "
                      "'điểm %/năm' for reductions, else the indicator's unit).")
    plan_text_vi: str = Field("", description="The target as the plan writes it ('bình quân "
                              "6,5–7%/năm').")
    base_year: int | None = Field(None, description="Overrides the term's base_year.")
    annual_targets: dict[int, float] | None = Field(None, description="Each year's own plan "
                                                    "figure, if given: every year of the "
                                                    "term, shown beside its result.")
    office_reading_vi: str = Field("", description="Where the term file reads more than the "
                                   "plan says; shown as the office's reading.")
    example: bool = Field(False, description="A figure the office has not adopted (an "
                          "example of its reading): every page says so.")


class Term(_Strict):
    """`terms[]` — a five-year plan (nhiệm kỳ), its base year and targets."""

    id: str = Field(pattern=r"^[0-9A-Za-z_-]+$", description="E.g. '2021-2025'.")
    start: int = Field(description="First year of the term.")
    end: int = Field(description="Last year of the term.")
    base_year: int | None = Field(None, description="The year growth is chain-linked from "
                                  "(normally start - 1); growth and reduction targets need it.")
    plan_vi: str = Field("", description="The resolution or plan that set the targets.")
    source_vi: str = Field("", description="Where the targets come from (shown on the page).")
    example: bool = Field(False, description="Every target of the term is an example.")
    targets: list[TermTarget] = Field(min_length=1, description="The term's targets.")


class TermFile(_Strict):
    """A term file (named by `catalog.term_file`): the five-year plans' targets as data."""

    terms: list[Term] = Field(min_length=1, description="The terms: the current one (it "
                              "holds the catalog's year) and earlier ones, kept for review "
                              "and comparison.")


# ---------------------------------------------------------------- reference page
SECTIONS = [("catalog", PlanMeta), ("settings", Settings), ("settings.thresholds", Thresholds),
            ("settings.report", ReportHeader), ("settings.report.issuers[]", Issuer), ("settings.status_labels.STATUS", StatusLabel),
            ("groups[]", Group), ("items[]", Item), ("indicators[]", Target), ("indicators[].derive", Derive),
            ("indicators[].revisions[]", Revision), ("rollup (as a mapping)", Rollup),
            ("components[]", Component), ("top level", CatalogFile),
            ("term file: terms[]", Term), ("term file: terms[].targets[]", TermTarget),
            ("term file: top level", TermFile)]


def _type_text(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    if "anyOf" in schema:
        return " or ".join(_type_text(s) for s in schema["anyOf"] if s.get("type") != "null")
    if "$ref" in schema:
        return "mapping (" + schema["$ref"].rsplit("/", 1)[-1] + ")"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type_text(schema.get('items', {}))}"
    if kind == "object":
        return "mapping"
    return {"string": "text", "integer": "whole number", "number": "number",
            "boolean": "true/false"}.get(kind, kind) + (
        " (YYYY-MM-DD)" if schema.get("format") == "date" else "")


def reference_markdown() -> str:
    """The reference page, generated from the models (docs/catalog.md)."""
    lines = ["# Catalog schema", "",
             ("<!-- generated by `python -m kpi_lib.plan.catalog_schema > docs/catalog.md`; "
             "do not edit by hand -->"), "",
             ("A catalog is a YAML file: the plan's targets as data. `kpi check-catalog FILE` "
             "checks one against this schema and prints each problem with its file, line and "
             "field. `kpi new-plan` writes a commented starting point. Examples: "
             "`data/catalog/binh_son_2025.yaml` (a district, with a unit registry) and "
             "`data/examples/gso_2024/catalog.yaml` (three national series, no registry)."), ""]
    for name, model in SECTIONS:
        schema = model.model_json_schema()
        doc = (model.__doc__ or "").strip()
        lines += [f"## `{name}`", ""]
        if doc:
            lines += [" ".join(doc.split()), ""]
        lines += ["| key | type | required | default | meaning |", "|---|---|---|---|---|"]
        required = set(schema.get("required", []))
        for key, prop in schema.get("properties", {}).items():
            default = prop.get("default", "")
            default = "" if key in required or default in (None, "", [], {}) else \
                f"`{json.dumps(default, ensure_ascii=False)}`"
            desc = " ".join(str(prop.get("description", "")).split()).replace("|", "\\|")
            lines.append(f"| `{key}` | {_type_text(prop)} | {'yes' if key in required else ''}"
                         f" | {default} | {desc} |")
        lines.append("")
    return "\n".join(lines)


def json_schema() -> str:
    """The schema as JSON Schema (docs/catalog.schema.json), for editors that check YAML
    as it is typed (e.g. a `# yaml-language-server: $schema=` line)."""
    return json.dumps(CatalogFile.model_json_schema(), ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    sys.stdout.write(json_schema() if "--json" in sys.argv else reference_markdown())
