"""Data quality: which figures arrived on time, late or not at all, and which were revised.

A figure of month m (a quarter: its last month) is due on the planned date of month m's
report (settings.report: `dates`, else day `day_of_next_month` of the next month; README
"Dates that hold together"). Received by then: on time. Received after it: late ("gửi
chậm") — used in the report when it came by the report's own cutoff, otherwise left out of
it and said so. Never received: missing ("thiếu"). A scheduled event (`planned`) is a plan,
not a figure received, and counts for nothing here.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..inputs.data import Dataset
from ..inputs.store import Store, has_data, vintage_cutoff
from ..inputs.tidy import add_period_columns
from .report_setup import report_date

EXPECTED = {"monthly": range(1, 13), "quarterly": (3, 6, 9, 12)}
ON_TIME, LATE, MISSING = 1.0, 0.5, 0.0  # coverage's cell values
LATE_COLUMNS = ["id", "period", "received", "due", "days_late", "in_report"]


def due_date(catalog, month: int) -> date:
    """When figures of `month` are due: the planned date of that month's report."""
    given = catalog.settings.get("report") or {}
    return report_date(given if isinstance(given, dict) else {}, catalog.year, month,
                       str(catalog.path))


def _store_start(path) -> pd.Timestamp | None:
    """When the store received its first file (ingest_log.csv), or None."""
    log = path / "ingest_log.csv"
    if not log.is_file():
        return None
    times = pd.read_csv(log, usecols=["ingested_at"], dtype=str)["ingested_at"]
    if times.empty:
        return None
    return pd.to_datetime(times, format="mixed", utc=True).min().tz_localize(None)


def arrivals(ds: Dataset, unit: str | None = None, as_of: int = 12) -> pd.DataFrame:
    """Each figure of the plan year up to `as_of` (monthly and quarterly periods) with the
    day it was received in full: the first report of each part (a later correction does not
    make a figure late), the latest of the parts an area or unit is made of, and for a ratio
    (T16 = P_INSURED ÷ P_POP) the later of its two terms. Read from everything the data
    folder holds, so a figure received after the report's cutoff is late, not missing;
    scheduled events (`planned`) left out. Columns: id, period, month, received."""
    frames = [ds.obs]
    if has_data(ds.source.path):
        from ..inputs.data import needed_units

        registry = ds.registry
        area = unit or ds.catalog.default_unit
        units = needed_units(registry, area) if registry is not None and area else None
        frames.append(Store(ds.source.path).read(latest=False, units=units))
    frame = add_period_columns(pd.concat(frames, ignore_index=True))
    frame = frame[(frame["year"] == ds.year) & (frame["month"] <= as_of)
                  & (frame["value_type"] != "planned")
                  & frame["period"].astype(str).str.match(r"^\d{4}-(\d{2}|Q\d)$")]
    if frame.empty:
        return pd.DataFrame(columns=["id", "period", "month", "received"])
    frame = frame.assign(received=pd.to_datetime(frame["reported_at"], format="mixed", utc=True)
                         .dt.tz_localize(None), period=frame["period"].astype(str),
                         indicator_id=frame["indicator_id"].astype(str))
    first = frame.groupby(["indicator_id", "unit_code", "period", "month"],
                          observed=True)["received"].min().reset_index()
    whole = first.groupby(["indicator_id", "period", "month"], observed=True)["received"].max()
    for ind in ds.catalog.all_series:  # a ratio is in when both its terms are
        if ind.rollup != "ratio":
            continue
        terms = [whole.xs(ind.rollup_args.get(k), level=0) for k in ("numerator", "denominator")
                 if ind.rollup_args.get(k) in whole.index.get_level_values(0)]
        if len(terms) == 2:
            both = pd.concat(terms, axis=1).dropna().max(axis=1)
            own = whole.xs(ind.id, level=0) if ind.id in whole.index.get_level_values(0) \
                else pd.Series(dtype="datetime64[ns]")
            merged = pd.concat([own, both], axis=1).min(axis=1)
            merged = pd.concat({ind.id: merged}, names=["indicator_id"])
            merged.index.names = whole.index.names
            whole = pd.concat([whole.drop(ind.id, level=0, errors="ignore"), merged])
    return whole.rename("received").reset_index().rename(columns={"indicator_id": "id"})


def late_figures(ds: Dataset, unit: str | None = None, as_of: int = 12,
                 got: pd.DataFrame | None = None) -> pd.DataFrame:
    """Figures received after their due date (due_date), with the day received, the due
    day, days late, and whether they came by the report's cutoff (`in_report`). `got`:
    arrivals() when the caller has them already."""
    got = arrivals(ds, unit, as_of) if got is None else got
    if got.empty:
        return pd.DataFrame(columns=LATE_COLUMNS)
    dues = {m: pd.Timestamp(due_date(ds.catalog, m)) for m in set(got["month"])}
    due = got["month"].map(dues)
    start = _store_start(ds.source.path)
    late = got["received"].dt.normalize() > due
    if start is not None:
        # A history load: a figure due before the store started, sent after it, was
        # never late to anyone.
        late &= ~((due < start) & (got["received"] >= start))
    cutoff = vintage_cutoff(ds.vintage)
    out = got[late].assign(
        due=due[late], days_late=(got["received"].dt.normalize() - due)[late].dt.days,
        in_report=True if cutoff is None else got["received"][late] <= cutoff)
    return out.sort_values(["month", "id"])[LATE_COLUMNS].reset_index(drop=True)


def coverage(ds: Dataset, unit: str | None = None, as_of: int = 12) -> pd.DataFrame:
    """Indicator × month of the plan year up to `as_of`: ON_TIME where a figure came by its
    due date, LATE where it came after, MISSING where expected and never received, NaN
    where none is expected (annual or event-driven indicators without a figure that month,
    and months after `as_of`, not yet due)."""
    got = arrivals(ds, unit, as_of)
    late = late_figures(ds, unit, as_of, got)
    received = set(zip(got["id"], got["month"], strict=True))
    was_late = set(zip(late["id"], [int(p[-1]) * 3 if "Q" in p else int(p[5:])
                                    for p in late["period"]], strict=True))
    rows = {}
    for ind in ds.catalog.all_series:
        if not ind.entered:
            continue
        expected = {m for m in EXPECTED.get(ind.frequency, ()) if m <= as_of}
        row = {}
        for m in range(1, 13):
            if (ind.id, m) in received:
                row[m] = LATE if (ind.id, m) in was_late else ON_TIME
            else:
                row[m] = MISSING if m in expected else np.nan
        rows[ind.id] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def missing_figures(ds: Dataset, as_of: int, unit: str | None = None) -> pd.DataFrame:
    """Indicators whose expected monthly/quarterly figures up to `as_of` never came."""
    cov = coverage(ds, unit, as_of)
    out = []
    for iid, row in cov.iterrows():
        gaps = [m for m in range(1, as_of + 1) if row[m] == MISSING]
        if gaps:
            out.append({"id": iid, "months": gaps})
    return pd.DataFrame(out, columns=["id", "months"])


def revisions(ds: Dataset, unit: str | None = None) -> pd.DataFrame:
    """Figures reported more than once, with every vintage's value (what changed, when),
    as known at the dataset's vintage."""
    if not has_data(ds.source.path):
        return pd.DataFrame(columns=["id", "period", "reported_at", "value", "source"])
    # What was known on the report's date (the store's own vintage rule): no later
    # correction listed.
    allrows = Store(ds.source.path).read(vintage=ds.vintage, latest=False,
                                         units={unit} if unit else None)
    keys = ["indicator_id", "unit_code", "period", "value_type"]
    many = allrows[allrows.duplicated(keys, keep=False)]
    many = many.sort_values([*keys, "reported_at"])
    return many.rename(columns={"indicator_id": "id"})[["id", "period", "reported_at", "value",
                                                        "source"]]
