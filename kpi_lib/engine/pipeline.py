"""files -> Dataset -> forecasts -> assessment: the one flow every command and notebook uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import pandas as pd

from ..common.errors import KpiError
from ..inputs.data import Dataset, load_dataset, load_units
from ..inputs.overrides import in_force, read_overrides
from ..plan.catalog import Catalog, load_catalog
from .assess import assess
from .forecast import ForecastResult, forecast_all

MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
FORECAST_COLUMNS = ["id", "unit_code", "as_of", "actual_to_date", "estimate", "lo80", "hi80",
                    "lo95", "hi95", "p_meet", "status", "method", "required_pace",
                    "observed_pace", "target", "data_month", "interval_source", "reason"]


@dataclass
class Assessment:
    """Everything a report needs for one unit and month."""

    catalog: Catalog
    dataset: Dataset
    as_of: int
    unit: str | None
    forecast: ForecastResult
    table: pd.DataFrame
    overrides: pd.DataFrame = field(default_factory=pd.DataFrame)
    use_ets: bool = True  # the forecasting settings: the unit grid is judged with the same
    # The member units' judgements, computed once (unit_grid) and shared by every copy of
    # this assessment, so the report's commune table and the review's scoreboard agree.
    units_memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def period(self) -> str:
        return f"{self.catalog.year}-{self.as_of:02d}"


def parse_as_of(text: str | int | None, ds: Dataset, unit: str | None = None) -> int:
    """'2025-06' -> 6; 'latest' -> the latest month with data. Validated before any work."""
    year = ds.catalog.year
    if text in (None, "", "latest"):
        latest = ds.latest_month(unit)
        if latest is None:
            raise KpiError(f"no figures for {year} in the data, so there is no latest month",
                           fix="ingest this year's figures or pass --as-of YYYY-MM")
        return latest
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise KpiError("--as-of must be a month YYYY-MM (01–12) or 'latest'", value=text,
                       fix=f"e.g. --as-of {year}-06")
    if int(m.group(1)) != year:
        raise KpiError(f"--as-of {text} is outside the catalog's year {year}", value=text,
                       fix="pass a month of the catalog's year, or another --catalog")
    month = int(m.group(2))
    first = ds.first_month(unit)
    if first is None or month < first:
        raise KpiError(f"--as-of {text} is before any figure of {year}", value=text,
                       fix=f"the first month with figures is {year}-{first:02d}" if first
                       else "ingest this year's figures first")
    return month


def run_assessment(catalog: str | Catalog | None = None, data: str | None = None,
                   as_of: str | int | None = "latest", unit: str | None = None,
                   vintage: str | None = None, use_ets: bool = True) -> Assessment:
    if catalog is None:  # the catalog the data directory was built with, if it says
        from ..inputs.store import remembered_catalog

        catalog = remembered_catalog(data)
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    return assess_dataset(load_dataset(cat, data, vintage=vintage, unit=unit), as_of, unit,
                          vintage, use_ets)


def assess_dataset(ds: Dataset, as_of: str | int | None, unit: str | None,
                   vintage: str | None, use_ets: bool = True) -> Assessment:
    """The assessment of a loaded dataset (as read by load_dataset, not changed since)."""
    cat = ds.catalog
    month = as_of if isinstance(as_of, int) else parse_as_of(as_of, ds, unit)
    ds = targets_in_force(only_reported(ds, unit), month)
    members = _siblings(ds, unit, month)
    if members:  # a member unit: its row of the area's grid, the one judgement of it
        result, table = _member_judgement(cat, ds, unit, members, month, use_ets)
    else:
        result = forecast_all(ds, month, unit=ds_unit(ds, unit), use_ets=use_ets)
        table = assess(result, ds)
    judged = in_force(read_overrides(ds.source.path, cat), f"{cat.year}-{month:02d}",
                      "" if unit in (None, cat.default_unit) else unit, vintage)
    return Assessment(ds.catalog, ds, month, unit, result, table, judged, use_ets=use_ets)


def _siblings(ds: Dataset, unit: str | None, month: int) -> list[str]:
    """The members of the area whose grid holds `unit` at that month ([] for an area, a
    unit outside any area's grid, or a unit that did not exist at the month's end)."""
    registry = ds.registry
    if not ds.catalog.has_registry or registry is None or unit in (None, ds.catalog.default_unit) \
            or registry.is_area(unit):
        return []
    parent = registry.get(unit).parent
    if not parent:
        return []
    members = [u.code for u in registry.members_at(parent, ds.catalog.year, month)]
    return members if unit in members else []


def _judge_members(cat: Catalog, members: list[str], data: str, vintage: str | None,
                   month: int, use_ets: bool) -> tuple[Dataset, ForecastResult, pd.DataFrame]:
    """Every member unit judged together, as the area's grid is: backtest errors are pooled
    across the units of an indicator, so a unit judged alone would get other intervals and
    probabilities. Only what the units report (the rest would say "no data" 30 times).
    Kept for the last few months in this process (MEMBERS: every commune's report of a month
    shares it); the result is read-only for callers."""
    import hashlib

    key = (hashlib.sha256(repr(cat).encode()).hexdigest(), _files_key(data), vintage, month,
           bool(use_ets), tuple(members))
    done = MEMBERS.get(key, False)
    if done is None:
        ds = load_units(cat, members, data, vintage)
        ds = targets_in_force(only_reported(ds, members[0]), month)
        result = forecast_all(ds, month, use_ets=use_ets)
        done = (ds, result, assess(result, ds))
        MEMBERS.put(key, done)
    return done


def _member_judgement(cat: Catalog, ds: Dataset, unit: str, members: list[str], month: int,
                      use_ets: bool) -> tuple[ForecastResult, pd.DataFrame]:
    """A member unit's own report: its rows of the grid (same data, vintage, methods,
    pooling), limited to what the unit reports; the forecast keeps the grid's cube, whose
    series are looked up by (indicator, unit)."""
    _, whole, table = _judge_members(cat, members, str(ds.source.path), ds.vintage, month,
                                     use_ets)
    own = {i.id for i in ds.catalog.all_series}
    keep = (table["unit_code"] == unit) & table["indicator_id"].isin(own)
    table = table[keep].reset_index(drop=True)
    rows = whole.table[(whole.table["unit_code"] == unit)
                       & whole.table["indicator_id"].isin(own)].reset_index(drop=True)
    samples = {k: v for k, v in whole.samples.items() if k[1] == unit}
    return replace(whole, table=rows, samples=samples), table


def only_reported(ds: Dataset, unit: str | None) -> Dataset:
    """A commune's report covers what the commune reports (the area's covers all 32)."""
    if not ds.catalog.has_registry or unit in (None, ds.catalog.default_unit) \
            or ds.registry.is_area(unit):
        return ds
    have = set(ds.obs["indicator_id"])

    def reported(ind) -> bool:
        return all(r in have for r in ind.derive_refs) if ind.derive else ind.id in have

    cat = replace(ds.catalog, indicators=[i for i in ds.catalog.indicators if reported(i)],
                  components=[i for i in ds.catalog.components if i.id in have])
    return replace(ds, catalog=cat)


def targets_in_force(ds: Dataset, month: int) -> Dataset:
    """The dataset judged against the targets in force at the end of the as-of month.

    Revisions recorded after the vintage are ignored, so a past report is reproduced.
    """
    end = (pd.Timestamp(year=ds.year, month=month, day=1) + pd.offsets.MonthEnd(0)).date()
    vintage = pd.Timestamp(ds.vintage).date() if ds.vintage else None
    return replace(ds, catalog=ds.catalog.in_force(end, vintage))


def ds_unit(ds: Dataset, unit: str | None) -> str | None:
    """The unit code rows carry: with a registry, always one (the area by default)."""
    if ds.catalog.has_registry:
        return unit or ds.catalog.default_unit
    return unit


def forecast_table(a: Assessment) -> pd.DataFrame:
    """The `kpi forecast` output: one row per indicator (and unit)."""
    t = a.table.rename(columns={"indicator_id": "id", "target_value": "target"}).copy()
    t["as_of"] = a.period
    order = {i.id: n for n, i in enumerate(a.catalog.indicators)}
    t = t.sort_values(["unit_code", "id"], key=lambda c: c.map(order) if c.name == "id" else c)
    return t[FORECAST_COLUMNS].reset_index(drop=True)


UNIT_COLUMNS = ["unit_code", "indicator_id", "actual_to_date", "estimate", "lo80", "hi80",
                "p_meet", "target_value", "status", "provisional", "reason", "method"]


def unit_grid(a: Assessment) -> pd.DataFrame:
    """The judgement of every member unit of the area at the as-of month: unit × indicator.

    Computed once per assessment, with the assessment's own data, vintage and forecasting
    settings: the monthly report's commune table (units.csv) and the review's scoreboard
    read this same frame, and a commune's own report (`kpi run --unit`) is computed the same
    way (_judge_members), so a commune never has two judgements for one month.
    Only indicators some unit has figures for; a unit is judged only against targets that
    apply to it (Catalog.unit_target). Empty when the report's unit has no member units.
    """
    if "grid" not in a.units_memo:
        a.units_memo["grid"] = _unit_grid(a)
    return a.units_memo["grid"].copy()


def _unit_grid(a: Assessment) -> pd.DataFrame:
    registry = a.dataset.registry
    area = ds_unit(a.dataset, a.unit)
    if registry is None or area is None or not registry.is_area(area):
        return pd.DataFrame(columns=UNIT_COLUMNS)
    members = [u.code for u in registry.members_at(area, a.catalog.year, a.as_of)]
    if not members:
        return pd.DataFrame(columns=UNIT_COLUMNS)
    table = _judge_members(a.catalog, members, str(a.dataset.source.path),
                           a.dataset.vintage, a.as_of, a.use_ets)[2]
    return table[UNIT_COLUMNS].reset_index(drop=True)


class _Memo:
    """The last few assessments of this process, by what they were computed from.

    A report's notebooks run one after another in one warm kernel (runner/kernels.py): the
    monthly report computes the assessment and the data-quality page reuses it (same
    snapshot, same month) instead of loading and forecasting again. Not a dict on purpose:
    a warm kernel's reset restores plain module-level dicts, and this cache is keyed by its
    inputs, so it cannot carry one notebook's choices into another.
    """

    def __init__(self, size: int = 2) -> None:
        import threading

        self.size, self.items, self.lock = size, [], threading.Lock()
        self.hits = 0

    def get(self, key: tuple, any_methods: bool):
        with self.lock:
            for k, value in reversed(self.items):
                if k == key or (any_methods and k[:-1] == key[:-1]):
                    self.hits += 1
                    return value
        return None

    def put(self, key: tuple, value) -> None:
        with self.lock:
            self.items = [(k, v) for k, v in self.items if k != key][-(self.size - 1):]
            self.items.append((key, value))


ASSESSMENTS = _Memo()
DATASETS = _Memo()
MEMBERS = _Memo()


def _files_key(folder) -> tuple:
    """Name, size and modification time of a folder's files (not its subfolders), or of
    the file itself."""
    from pathlib import Path

    folder = Path(folder)
    if folder.is_file():  # a snapshot file: its own size and time
        s = folder.stat()
        return (str(folder.resolve()), s.st_size, s.st_mtime_ns)
    try:
        return (str(folder.resolve()),) + tuple(
            (p.name, s.st_size, s.st_mtime_ns) for p in sorted(folder.iterdir())
            if p.is_file() and (s := p.stat()))
    except OSError:
        return (str(folder),)


def _inputs_key(catalog, data) -> tuple[str | None, tuple]:
    """(catalog path or None, key of the data's and the catalog's files)."""
    from pathlib import Path

    from ..common.paths import DEFAULT_CATALOG
    from ..inputs.store import remembered_catalog, resolve_data_dir

    if catalog is None:
        catalog = remembered_catalog(data)
    path = (Path(catalog) if catalog else DEFAULT_CATALOG).resolve()
    return (str(catalog) if catalog else None,
            (_files_key(resolve_data_dir(data).path), str(path), _files_key(path.parent)))


def shared_dataset(catalog: str | None = None, data: str | None = None,
                   vintage: str | None = None, unit: str | None = None) -> Dataset:
    """load_dataset, read once per data, catalog, vintage and unit in this process (the
    report's notebooks share it; treat it as read-only). `catalog`: a path or None (the data
    directory's own, else Bình Sơn's)."""
    catalog, inputs = _inputs_key(catalog, data)
    key = (inputs, vintage, unit)
    ds = DATASETS.get(key, False)
    if ds is None:
        ds = load_dataset(load_catalog(catalog), data, vintage=vintage, unit=unit)
        DATASETS.put(key, ds)
    return ds


def shared_assessment(catalog: str | Catalog | None = None, data: str | None = None,
                      as_of: str | int | None = "latest", unit: str | None = None,
                      vintage: str | None = None, use_ets: bool = True,
                      any_methods: bool = False) -> Assessment:
    """run_assessment, computed once per data, catalog, month, unit and vintage in this
    process: the notebooks of one report share it (and its load, see shared_dataset).

    `any_methods`: the caller reads only the dataset and the month (the data-quality page),
    so an assessment made with other forecasting options serves as well. The key is the
    data folder's and the catalog folder's file names, sizes and times: an edited file is a
    new key. Returns a copy whose table the caller may change.
    """
    if isinstance(catalog, Catalog):
        return run_assessment(catalog, data, as_of, unit, vintage, use_ets)
    _, inputs = _inputs_key(catalog, data)
    key = (inputs, str(as_of), unit, vintage, bool(use_ets))
    a = ASSESSMENTS.get(key, any_methods)
    if a is None:
        a = assess_dataset(shared_dataset(catalog, data, vintage, unit), as_of, unit, vintage,
                           use_ets)
        ASSESSMENTS.put(key, a)
    return replace(a, table=a.table.copy())
