"""Figures for any unit or area, built from the units it is made of.

One operation serves both needs of a reorganisation year:
- an **area** (BINHSON) is the sum of its members while they existed: the 22 old
  communes until June, the 5 new ones from July;
- a **unit with predecessors** (Đông Sơn) is re-based: its history is the sum of the
  units that became it (times their crosswalk share), so its seasonal profile and its
  "same period last year" exist before it did.

How an indicator adds up is declared in the catalog (`rollup:`): flows and stocks are
summed, milestones counted, rates rebuilt from numerator ÷ denominator or weighted by a
weight series; `none` means it is never computed from units (only figures reported for
the area itself are used, and the report says so).

A member that took in territory from outside the area (Tịnh Hòa into Đông Sơn) counts
toward the area only for the part that was in it: that part is the in-area
predecessors' share of all predecessors' figures over the 12 months before the change
(flows) or at the last common reading (stocks). Without the outside unit's figures the
part is unknown, and the area's months after the change are left missing, not guessed.

A month is complete only when every unit that existed in it reported; an incomplete
month is left out (never a partial sum) and listed in the notes.

A unit's year-to-date counts from the later of 1 January and the day it came into
existence (a commune created on 1 July reports "lũy kế" from July).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..plan.catalog import Catalog, Indicator
from ..plan.units import Registry
from .tidy import OBS_COLUMNS, add_period_columns, ytd_table

FLOW_TYPES = ("month", "ytd")
READING_TYPES = ("level", "annual")


@dataclass(frozen=True)
class Source:
    """A unit contributing to another: its weight and the months (k = year*12+m-1) it counts."""

    code: str
    weight: float
    first: int
    last: int
    partial: bool = False  # weight also times the in-area part, worked out per indicator


def sources(registry: Registry, unit: str) -> list[Source]:
    """The units whose figures make up `unit`, with weights and month windows."""
    if registry.is_area(unit):
        out = []
        for member in registry.members(unit):
            first, last = member.month_index_range()
            partial = any(registry.units[link.from_unit].parent != unit
                          for link in registry.predecessors(member.code))
            out.append(Source(member.code, 1.0, first, last, partial))
        return out
    return _lineage(registry, unit, 1.0, 10**6)


def _lineage(registry: Registry, code: str, weight: float, before: int) -> list[Source]:
    first, last = registry.get(code).month_index_range()
    out = [Source(code, weight, first, min(last, before))]
    for link in registry.predecessors(code):
        k = link.effective.year * 12 + link.effective.month - 1 - 1  # month before the change
        out += _lineage(registry, link.from_unit, weight * link.share, k)
    return out


def unit_observations(obs: pd.DataFrame, catalog: Catalog, registry: Registry,
                      unit: str) -> tuple[pd.DataFrame, list[str]]:
    """The tidy observations of `unit` as if it had always existed, and notes on gaps."""
    direct = obs[obs["unit_code"] == unit]
    srcs = sources(registry, unit)
    is_area = registry.is_area(unit)
    notes: list[str] = []
    if not is_area and len(srcs) == 1:
        return _with_ratios(direct.reset_index(drop=True), catalog, unit), notes
    own = {s.code for s in srcs}
    codes = own | {link.from_unit for s in srcs if s.partial
                                      for link in registry.predecessors(s.code)}
    frame = add_period_columns(obs[obs["unit_code"].isin(codes)])
    frame["k"] = frame["year"] * 12 + frame["month"] - 1
    by_id = _by_indicator(frame, own)
    summed = [i.id for i in catalog.all_series if i.rollup in ("sum", "count")]
    flows = _Months(frame[frame["unit_code"].isin(own) & frame["indicator_id"].isin(summed)],
                    {s.code: s.first for s in srcs})
    before = _Before(frame)  # the predecessors' figures, for the in-area parts
    rolled = []
    for ind in catalog.all_series:
        rows = by_id.get(ind.id)
        if ind.rollup not in ("sum", "count", "weighted") or rows is None or rows.empty:
            continue
        weights = _weights(ind, srcs, before, registry, unit, notes)
        if ind.rollup == "weighted":
            part = _weighted(ind, rows, frame, srcs, weights, notes, registry)
        else:
            part = pd.concat([_sum_flows(ind, rows, flows, srcs, weights, notes, registry),
                              _sum_readings(ind, rows, srcs, weights, notes, registry)])
        rolled.append(part)
    rolled_frame = pd.concat(rolled) if rolled else direct.iloc[0:0]
    out = _prefer_direct(direct, rolled_frame, is_area)
    out = out.assign(unit_code=unit)[OBS_COLUMNS].reset_index(drop=True)
    return _with_ratios(out, catalog, unit), notes


def _by_indicator(frame: pd.DataFrame, own: set[str]) -> dict[str, pd.DataFrame]:
    """Each series' rows from the units in `own`, split in one pass (not a mask a series)."""
    mine = frame[frame["unit_code"].isin(own)]
    return dict(tuple(mine.groupby("indicator_id", sort=False)))


def _prefer_direct(direct: pd.DataFrame, rolled: pd.DataFrame, is_area: bool) -> pd.DataFrame:
    """Per indicator and year: an area's own figures win; a unit's rebased series wins."""
    if rolled.empty:
        return direct
    if direct.empty:
        return rolled
    d_year = direct["period"].astype(str).str.slice(0, 4)
    r_year = rolled["period"].astype(str).str.slice(0, 4)
    d_keys = pd.MultiIndex.from_arrays([direct["indicator_id"], d_year])
    r_keys = pd.MultiIndex.from_arrays([rolled["indicator_id"], r_year])
    if is_area:
        return pd.concat([direct, rolled[~r_keys.isin(d_keys)]])
    return pd.concat([direct[~d_keys.isin(r_keys)], rolled])


def _weights(ind: Indicator, srcs: list[Source], before: _Before, registry: Registry,
             area: str, notes: list[str]) -> dict[str, float]:
    """Each source's weight for this indicator; NaN where its in-area part is unknown."""
    out = {}
    for s in srcs:
        if not s.partial:
            out[s.code] = s.weight
            continue
        links = registry.predecessors(s.code)
        k_change = min(link.effective.year * 12 + link.effective.month - 1 for link in links)
        amounts = {}
        for link in links:
            amounts[link.from_unit] = before.amount(ind.id, link.from_unit, k_change)
        known = all(np.isfinite(v) for v in amounts.values())
        inside = sum(amounts[link.from_unit] * link.share for link in links
                     if registry.units[link.from_unit].parent == area)
        total = sum(amounts[link.from_unit] * link.share for link in links)
        if not known or total <= 0:
            outside = [link.from_unit for link in links
                       if registry.units[link.from_unit].parent != area]
            missing = [u for u, v in amounts.items() if not np.isfinite(v)]
            notes.append(f"{ind.id}: the part of {registry.name(s.code)} in "
                         f"{registry.name(area)} is unknown (no figures for "
                         f"{', '.join(registry.name(u) for u in missing or outside)} in the 12 "
                         f"months before the change); its months after the change are left out")
            out[s.code] = float("nan")
        else:
            out[s.code] = s.weight * inside / total
    return out


class _Before:
    """A predecessor's size before a change (12 months of a flow, or its last reading), for
    every indicator from one split of the frame and one monthly table: the roll-up asks for
    each (indicator, predecessor) pair, and filtering the whole frame per pair was most of
    an area's load."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._pairs: dict | None = None
        self._months: _Months | None = None

    def amount(self, iid: str, code: str, k_change: int) -> float:
        if self._pairs is None:
            self._pairs = dict(tuple(self.frame.groupby(["indicator_id", "unit_code"],
                                                        sort=False)))
        rows = self._pairs.get((iid, code))
        if rows is None:
            return np.nan
        rows = rows[rows["k"] < k_change]
        if rows["value_type"].isin(FLOW_TYPES).any():
            if self._months is None:  # no padding: a predecessor existed all along
                self._months = _Months(self.frame, {}, by_unit=True)
            monthly = self._months.of(iid, code)
            if monthly is None:
                return np.nan
            window = monthly[(monthly["k"] >= k_change - 12) & (monthly["k"] < k_change)]
            return float(window["value"].sum()) if window["value"].notna().sum() == 12 else np.nan
        readings = rows[rows["value_type"].isin(READING_TYPES)].sort_values("k")
        return float(readings["value"].iloc[-1]) if len(readings) else np.nan


class _Months:
    """The monthly amounts of every flow series in a frame (`_monthly_long`), made once on
    first use and split by indicator: one table instead of one per indicator and pair."""

    def __init__(self, frame: pd.DataFrame, first_month: dict[str, int],
                 by_unit: bool = False) -> None:
        self.frame, self.first_month = frame, first_month
        self.keys = ["indicator_id", "unit_code"] if by_unit else "indicator_id"
        self._split: dict | None = None

    def of(self, *key: str) -> pd.DataFrame | None:
        """The rows of one indicator (and unit, if split by unit), in the table's order."""
        if self._split is None:
            flows = self.frame[self.frame["value_type"].isin(FLOW_TYPES)]
            long = _monthly_long(flows, self.first_month)
            self._split = dict(tuple(long.groupby(self.keys, sort=False)))
        return self._split.get(key if len(key) > 1 else key[0])


def _monthly_long(rows: pd.DataFrame, first_month: dict[str, int]) -> pd.DataFrame:
    """Monthly amounts per series, long: indicator_id, unit_code, year, month, value, k,
    reported_at, period, value_type ("month").

    A unit created mid-year reports its year-to-date from its first month, so the months
    before it are zero for it (it did not exist), not missing.
    """
    rows = rows[rows["period"].astype(str).str.fullmatch(r"\d{4}-\d{2}")]
    starts = {c: k0 for c, k0 in first_month.items() if k0 % 12}  # mid-year creations
    late = rows[rows["unit_code"].isin(starts)]
    pads = []
    for iid, code, year in sorted(set(zip(late["indicator_id"], late["unit_code"],
                                          late["year"], strict=True))):
        k0 = starts[code]
        if k0 // 12 == year:
            pads += [{"indicator_id": iid, "unit_code": code, "period": f"{year}-{m:02d}",
                      "value": 0.0, "value_type": "month"} for m in range(1, k0 % 12 + 1)]
    table = pd.concat([rows, pd.DataFrame(pads)]) if pads else rows
    _, monthly = ytd_table(table)
    long = monthly.stack(future_stack=True).rename("value").reset_index()
    long.columns = ["indicator_id", "unit_code", "year", "month", "value"]
    long["k"] = long["year"] * 12 + long["month"] - 1
    keys = ["indicator_id", "unit_code", "k"]
    reported = _latest(rows, keys)
    long["reported_at"] = reported.reindex(pd.MultiIndex.from_frame(long[keys])).to_numpy()
    long["period"] = long["year"].astype(str) + "-" + long["month"].map("{:02d}".format)
    long["value_type"] = "month"
    return long


def _latest(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """`frame.groupby(keys)["reported_at"].max()`: sorted once and each group's last taken,
    because pandas takes the max of strings group by group in Python (most of a unit
    grid's time)."""
    ordered = frame.sort_values("reported_at", kind="stable", na_position="first")
    return ordered.groupby(keys, sort=True)["reported_at"].last()


def _complete_sum(long: pd.DataFrame, srcs: list[Source], weights: dict[str, float],
                  ind: Indicator, notes: list[str], registry: Registry,
                  require_all: bool = True) -> pd.DataFrame:
    """Weighted sum per period, kept only where every source existing then has a value."""
    if long.empty:
        return pd.DataFrame(columns=OBS_COLUMNS)
    firsts = np.array([s.first for s in srcs])
    lasts = np.array([s.last for s in srcs])
    by_code = {s.code: i for i, s in enumerate(srcs)}
    idx = long["unit_code"].map(by_code).to_numpy()
    k = long["k"].to_numpy()
    inside = (firsts[idx] <= k) & (k <= lasts[idx])
    long = long[inside].assign(w=lambda f: f["unit_code"].map(weights).astype(float))
    long = long.assign(wv=long["value"] * long["w"])
    ok = long[np.isfinite(long["wv"])]
    keys = ["period", "value_type"]
    grouped = ok.groupby(keys, sort=True)
    total = grouped["wv"].sum()
    if require_all and len(total):
        got = grouped["unit_code"].nunique()
        ks = grouped["k"].first().to_numpy()
        expected = ((firsts[:, None] <= ks) & (ks <= lasts[:, None])).sum(axis=0)
        complete = got.to_numpy() >= expected
        for key, kk in zip(total.index[~complete], ks[~complete], strict=True):
            present = set(ok.loc[(ok["period"] == key[0]) & (ok["value_type"] == key[1]),
                                 "unit_code"])
            missing = sorted(s.code for s in srcs if s.first <= kk <= s.last
                             and s.code not in present)
            notes.append(f"{ind.id} {key[0]}: left out, no usable figure from "
                         f"{', '.join(registry.name(m) for m in missing[:5])}"
                         + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
        total = total[complete]
    out = total.rename("value").reset_index()
    out["reported_at"] = _latest(ok, keys).reindex(total.index).to_numpy()
    out["indicator_id"] = ind.id
    out["source"] = f"tổng hợp từ đơn vị ({ind.rollup})"
    out["file_sha256"] = "rollup"
    out["unit_code"] = ""
    return out[OBS_COLUMNS]


def _sum_flows(ind: Indicator, rows: pd.DataFrame, months: _Months, srcs: list[Source],
               weights: dict[str, float], notes: list[str], registry: Registry) -> pd.DataFrame:
    flows = rows[rows["value_type"].isin(FLOW_TYPES)]
    if flows.empty:
        return flows[OBS_COLUMNS]
    long = months.of(ind.id)
    if long is None:  # no monthly period among them
        return pd.DataFrame(columns=OBS_COLUMNS)
    return _complete_sum(long, srcs, weights, ind, notes, registry,
                         require_all=ind.rollup == "sum")


def _sum_readings(ind: Indicator, rows: pd.DataFrame, srcs: list[Source],
                  weights: dict[str, float], notes: list[str], registry: Registry) -> pd.DataFrame:
    read = rows[rows["value_type"].isin((*READING_TYPES, "planned"))]
    return _complete_sum(read, srcs, weights, ind, notes, registry,
                         require_all=ind.rollup == "sum")


def _weighted(ind: Indicator, rows: pd.DataFrame, frame: pd.DataFrame, srcs: list[Source],
              weights: dict[str, float], notes: list[str], registry: Registry) -> pd.DataFrame:
    """Σ value × weight ÷ Σ weight, with the weight series read at the same period."""
    wid = ind.rollup_args["weight"]
    read = rows[rows["value_type"].isin(READING_TYPES)]
    w = frame[(frame["indicator_id"] == wid) & frame["value_type"].isin(READING_TYPES)]
    both = read.merge(w[["unit_code", "period", "value"]], on=["unit_code", "period"],
                      suffixes=("", "_w"))
    num = both.assign(value=both["value"] * both["value_w"])
    den = both.assign(value=both["value_w"])
    total = _complete_sum(num, srcs, weights, ind, notes, registry)
    base = _complete_sum(den, srcs, weights, ind, notes, registry)
    merged = total.merge(base[["period", "value_type", "value"]], on=["period", "value_type"],
                         suffixes=("", "_den"))
    merged["value"] = merged["value"] / merged["value_den"]
    return merged[OBS_COLUMNS]


def _with_ratios(obs: pd.DataFrame, catalog: Catalog, unit: str) -> pd.DataFrame:
    """Add rates rebuilt from their parts (numerator ÷ denominator) where not reported."""
    extra = []
    for ind in catalog.all_series:
        if ind.rollup != "ratio":
            continue
        num_id, den_id = ind.rollup_args["numerator"], ind.rollup_args["denominator"]
        num = obs[(obs["indicator_id"] == num_id) & obs["value_type"].isin(READING_TYPES)]
        den = obs[(obs["indicator_id"] == den_id) & obs["value_type"].isin(READING_TYPES)]
        if num.empty or den.empty:
            continue
        both = num.merge(den[["period", "value_type", "value", "reported_at"]],
                         on=["period", "value_type"], suffixes=("", "_den"))
        both = both[both["value_den"] > 0]
        have = set(obs.loc[obs["indicator_id"] == ind.id, "period"].astype(str).str.slice(0, 4))
        both = both[~both["period"].astype(str).str.slice(0, 4).isin(have)]
        if both.empty:
            continue
        both["value"] = ind.rollup_args["scale"] * both["value"] / both["value_den"]
        both["reported_at"] = np.maximum(both["reported_at"].astype(str),
                                         both["reported_at_den"].astype(str))
        both["indicator_id"] = ind.id
        both["source"] = f"{num_id} ÷ {den_id}"
        both["file_sha256"] = "rollup"
        both["unit_code"] = unit
        extra.append(both[OBS_COLUMNS])
    return pd.concat([obs, *extra], ignore_index=True) if extra else obs
