"""Data quality: coverage by indicator and month, missing and late figures, revisions."""

from __future__ import annotations

import pandas as pd

from ..inputs.data import Dataset
from ..inputs.store import Store, has_data
from ..inputs.tidy import add_period_columns

EXPECTED = {"monthly": range(1, 13), "quarterly": (3, 6, 9, 12)}
LATE_AFTER_DAYS = 15  # a figure reported more than this after its period ended is late


def coverage(ds: Dataset, unit: str | None = None, as_of: int = 12) -> pd.DataFrame:
    """Indicator × month of the plan year: 1 where a figure exists, 0 where expected and
    missing, NaN where none is expected (annual or event-driven indicators, and months
    after `as_of`, not yet due)."""
    frame = add_period_columns(ds.obs)
    frame = frame[frame["year"] == ds.year]
    if unit:
        frame = frame[frame["unit_code"] == unit]
    rows = {}
    for ind in ds.catalog.all_series:
        if not ind.entered:
            continue
        months = set(frame[frame["indicator_id"] == ind.id]["month"])
        expected = {m for m in EXPECTED.get(ind.frequency, ()) if m <= as_of}
        rows[ind.id] = {m: 1.0 if m in months else (0.0 if m in expected else float("nan"))
                        for m in range(1, 13)}
    return pd.DataFrame.from_dict(rows, orient="index")


def missing_figures(ds: Dataset, as_of: int, unit: str | None = None) -> pd.DataFrame:
    """Indicators whose expected monthly/quarterly figures up to `as_of` are missing."""
    cov = coverage(ds, unit, as_of)
    out = []
    for iid, row in cov.iterrows():
        gaps = [m for m in range(1, as_of + 1) if row[m] == 0.0]
        if gaps:
            out.append({"id": iid, "months": gaps})
    return pd.DataFrame(out, columns=["id", "months"])


def _store_start(path) -> pd.Timestamp | None:
    """When the store received its first file (ingest_log.csv), or None."""
    log = path / "ingest_log.csv"
    if not log.is_file():
        return None
    times = pd.read_csv(log, usecols=["ingested_at"], dtype=str)["ingested_at"]
    if times.empty:
        return None
    return pd.to_datetime(times, format="mixed", utc=True).min().tz_localize(None)


def late_figures(ds: Dataset, unit: str | None = None, days: int = LATE_AFTER_DAYS) -> pd.DataFrame:
    """First reports of this year's figures that came more than `days` after the period."""
    frame = add_period_columns(Store(ds.source.path).read(latest=False)) \
        if has_data(ds.source.path) else add_period_columns(ds.obs)
    frame = frame[(frame["year"] == ds.year) & frame["period"].str.match(r"^\d{4}-(\d{2}|Q\d)$")]
    if unit:
        frame = frame[frame["unit_code"] == unit]
    if frame.empty:
        return pd.DataFrame(columns=["id", "period", "days_late"])
    frame = frame.assign(reported=pd.to_datetime(frame["reported_at"], format="mixed", utc=True)
                         .dt.tz_localize(None))
    first = frame.sort_values("reported").drop_duplicates(["indicator_id", "unit_code", "period"])
    end = pd.to_datetime(first["year"].astype(str) + "-" + first["month"].astype(str) + "-01") \
        + pd.offsets.MonthEnd(0)
    start = _store_start(ds.source.path)
    if start is not None:
        # Back-fill: a period that had ended before the store started, sent after it (a
        # history load, stamped with the ingest date) was never late to anyone.
        backfill = (end.to_numpy() < start) & (first["reported"].to_numpy() >= start)
        first, end = first[~backfill], end[~backfill]
    lag = (first["reported"] - end).dt.days
    late = first[lag > days].assign(days_late=lag[lag > days] - days)
    return late.rename(columns={"indicator_id": "id"})[["id", "period", "days_late"]]


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
