"""Loading a data directory into the validated tidy frame the engine works on.

files -> Store -> `Dataset` (one vintage, checked against the catalog) -> forecasts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..common.errors import KpiError
from ..plan.catalog import Catalog
from ..plan.units import Registry, registry_for
from .rollup import sources, unit_observations
from .store import DataSource, Store, StoreDamaged, resolve_data_dir
from .tidy import decreasing_ytd, distinct_values, period_year_month, readings, ytd_table


@dataclass
class Dataset:
    """Observations as known at one vintage, with the views the engine needs."""

    catalog: Catalog
    source: DataSource
    obs: pd.DataFrame
    vintage: str | None = None
    warnings: list[str] = field(default_factory=list)
    rollup_notes: list[str] = field(default_factory=list)
    registry: Registry | None = None
    # What is derived from `obs` alone (the year-to-date tables, readings), shared by the
    # copies dataclasses.replace makes (the pipeline narrows the catalog twice): a
    # national store's tables are built once. Each entry remembers the obs it was made
    # from, so a copy with other observations makes its own.
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def _derived(self, name: str, make):
        found = self.memo.get(name)
        if found is None or found[0] is not self.obs:
            found = self.memo[name] = (self.obs, make())
        return found[1]

    @property
    def _tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return self._derived("ytd_table", lambda: ytd_table(self.obs))

    @property
    def ytd(self) -> pd.DataFrame:
        """Year-to-date, wide: index (indicator_id, unit_code, year), columns months 1..12."""
        return self._tables[0]

    @property
    def monthly(self) -> pd.DataFrame:
        return self._tables[1]

    @property
    def readings(self) -> pd.DataFrame:
        return self._derived("readings", lambda: readings(self.obs))

    @property
    def annual_values(self) -> pd.DataFrame:
        """Whole-year values: `annual` figures, else complete Jan–Dec flow totals."""
        return self._derived("annual_values", self._annual_values)

    def _annual_values(self) -> pd.DataFrame:
        ann = self.readings[self.readings["value_type"] == "annual"]
        ann = ann.set_index(["indicator_id", "unit_code", "year"])["value"]
        full = self.ytd[12].dropna()
        return pd.concat([full[~full.index.isin(ann.index)], ann]).sort_index().rename("value")

    @property
    def units(self) -> list[str]:
        return self._derived("units", lambda: sorted(
            str(u) for u in distinct_values(self.obs["unit_code"])))

    @property
    def year(self) -> int:
        return self.catalog.year

    def latest_month(self, unit: str | None = None) -> int | None:
        """The latest month of the plan year with any monthly figure: the default as-of."""
        month = self._months_of_year(unit)
        return int(month.max()) if len(month) else None

    def _months_of_year(self, unit: str | None) -> np.ndarray:
        """The months of the plan year's monthly figures (of `unit` when given)."""
        year, month = self._derived("periods", lambda: period_year_month(self.obs["period"]))
        keep = (year == self.year) & self.obs["value_type"].isin(["month", "ytd", "level"]
                                                                 ).to_numpy()
        if unit:
            keep &= (self.obs["unit_code"] == unit).to_numpy()
        return month[keep]

    def first_month(self, unit: str | None = None) -> int | None:
        """The first month of the plan year with any monthly figure."""
        month = self._months_of_year(unit)
        return int(month.min()) if len(month) else None

    def summary(self) -> str:
        lines = [f"data: {self.source.describe()}"]
        if self.source.synthetic:
            lines.append("NOTE: this is SYNTHETIC sample data (số liệu mẫu giả lập), not real figures")
        lines.append(f"vintage: {self.vintage or 'latest'}; {len(self.obs)} figures, "
                     f"{len(distinct_values(self.obs['indicator_id']))} indicators, "
                     f"years {self._years()}")
        latest = self.latest_month()
        lines.append(f"latest month of {self.year}: "
                     f"{f'{self.year}-{latest:02d}' if latest else 'none'}")
        have = set(distinct_values(self.obs["indicator_id"]))
        missing = [i.id for i in self.catalog.all_series if i.entered and i.id not in have]
        if missing:
            lines.append(f"no figures at all for: {', '.join(missing)}")
        for name in self.catalog.missing_settings():
            lines.append(f"setting not filled in: {name} (catalog {self.catalog.path.name})")
        lines += [f"warning: {w}" for w in self.warnings]
        lines += [f"roll-up: {n}" for n in self.rollup_notes]
        return "\n".join(lines)

    def _years(self) -> str:
        if self.obs.empty:
            return "none"
        years = self._derived("periods", lambda: period_year_month(self.obs["period"]))[0]
        return f"{years.min()}–{years.max()}"


def _read(catalog: Catalog, data: str | None, vintage: str | None,
          units: set[str] | None = None) -> tuple[DataSource, pd.DataFrame]:
    """The figures known at `vintage` (of `units` only, when given), every one checked.

    Without a registry the text columns stay categorical: the engine's fast path, and
    what keeps a national store (millions of rows) within memory.
    """
    source = resolve_data_dir(data)
    source.meta  # noqa: B018 - a dataset.yaml that cannot be read is named before any figure
    if vintage is not None:
        try:
            pd.Timestamp(vintage)
        except ValueError:
            raise KpiError("vintage is not a date", value=vintage,
                           fix="write it as YYYY-MM-DD") from None
    known = set(catalog.ids())
    registered = set(registry_for(catalog).units) if catalog.has_registry else None
    try:
        obs = Store(source.path).read(vintage=vintage, known_ids=known, known_units=registered,
                                      units=units, categorical=not catalog.has_registry)
    except StoreDamaged as exc:
        unknown = {p for p in exc.problems if "catalog does not know" in p.message}
        if unknown and len(unknown) == len(exc.problems):  # a whole other catalog's data
            ids = sorted({str(p.value) for p in unknown})
            rows = [p.row for p in unknown if p.row]
            raise KpiError(f"the data holds indicators the catalog does not know: "
                           f"{', '.join(ids[:20])}"
                           + (f" (first at line {min(rows)})" if rows else ""),
                           file=str(exc.problems[0].file or source.path),
                           fix="use the catalog these figures were ingested with (--catalog)"
                           ) from None
        raise
    return source, obs


def needed_units(registry: Registry, unit: str) -> set[str]:
    """Every unit whose figures can count towards `unit`: itself, its members or
    predecessors, and their own predecessors (a member's in-area share). Reading only
    these is what lets a worker load one commune of a national store."""
    codes = {unit}
    for src in sources(registry, unit):
        codes.add(src.code)
        codes |= {link.from_unit for link in registry.predecessors(src.code)}
    return codes


def load_units(catalog: Catalog, units: list[str], data: str | None = None,
               vintage: str | None = None) -> Dataset:
    """Several units side by side (each rebuilt from its own units), for a unit grid."""
    source, obs = _read(catalog, data, vintage)
    registry = registry_for(catalog)
    frames, notes = [], []
    for code in units:
        registry.get(code)
        frame, found = unit_observations(obs, catalog, registry, code)
        frames.append(frame)
        notes += [f"{code}: {n}" for n in found]
    return Dataset(catalog, source, pd.concat(frames, ignore_index=True), vintage,
                   rollup_notes=notes, registry=registry)


def load_dataset(catalog: Catalog, data: str | None = None, vintage: str | None = None,
                 unit: str | None = None) -> Dataset:
    """Read a data directory at a vintage and check it against the catalog."""
    notes: list[str] = []
    registry = registry_for(catalog)
    if catalog.has_registry:
        # A registry: every report is about one unit or area, rebuilt from its units.
        unit = unit or catalog.default_unit
        registry.get(unit)
        source, obs = _read(catalog, data, vintage, needed_units(registry, unit))
        obs, notes = unit_observations(obs, catalog, registry, unit)
        if obs.empty:
            why = "; ".join(notes[:3])
            raise KpiError("no figures for this unit, directly or from its units"
                           + (f" ({why})" if why else ""), value=unit,
                           fix=f"ingest figures for {registry.name(unit)} or its communes")
    else:  # one unit's figures only, read from the files (a Dask worker's share)
        source, obs = _read(catalog, data, vintage, {unit} if unit is not None else None)
        if unit is not None and obs.empty:
            codes = set(_read(catalog, data, vintage)[1]["unit_code"])
            raise KpiError("no figures for this unit", value=unit,
                           fix=f"use one of: {', '.join(sorted(codes))}")
    ds = Dataset(catalog, source, obs, vintage, rollup_notes=notes, registry=registry)
    for (iid, u, year), month, before, after in decreasing_ytd(ds.ytd):
        ds.warnings.append(f"year-to-date for {iid} ({u}) goes down in {year}-{month:02d} "
                           f"({before:g} -> {after:g})")
    return ds
