"""The store's immutable parts: one Parquet file per ingest, read with filters pushed down.

A part holds the tidy observations of one ingested file (OBS_COLUMNS), plus two columns
derived once at write time so that reads can skip what they do not need: `year` (from the
period) and `reported_ts` (reported_at as a timestamp, naive UTC). Parquet keeps min/max
statistics per row group, so a read for a vintage, a year range, some indicators or some
units skips whole row groups and never turns them into Python objects.

pyarrow.dataset is the query engine: measured against DuckDB once on the national
benchmark's size (6,2 M rows to pandas: 3,9–4,8 s against 14–22 s, README "Benchmarks"),
it is faster, needs no second engine, and gives categoricals directly (the engine's fast
path).
"""

from __future__ import annotations

import bisect
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from .tidy import OBS_COLUMNS, per_category

TEXT_COLUMNS = [c for c in OBS_COLUMNS if c != "value"]
SCHEMA = pa.schema([*((c, pa.dictionary(pa.int32(), pa.string())) if c != "value"
                      else (c, pa.float64()) for c in OBS_COLUMNS),
                    ("year", pa.int16()), ("reported_ts", pa.timestamp("us"))])
ROW_GROUP = 100_000  # rows: small enough to skip by statistics, large enough to read fast


def reported_timestamps(text: pd.Series) -> pd.Series:
    """reported_at text -> naive UTC timestamps, as at_vintage reads them."""
    stamps = pd.to_datetime(text.astype(str), errors="coerce", format="mixed", utc=True)
    return stamps.dt.tz_localize(None)


def to_table(rows: pd.DataFrame) -> pa.Table:
    """Observations (any dtypes) -> a part's table, text columns dictionary-encoded."""
    arrays = []
    for name in OBS_COLUMNS:
        column = rows[name]
        if name == "value":
            arrays.append(pa.array(column.to_numpy(dtype=float), pa.float64()))
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):  # codes as they are
            codes, names = column.cat.codes.to_numpy(), column.cat.categories.astype(str)
        else:
            codes, names = pd.factorize(column.astype(str), sort=False)
        arrays.append(pa.DictionaryArray.from_arrays(
            pa.array(codes.astype(np.int32)), pa.array(np.asarray(names, dtype=object),
                                                        pa.string())))
    year = per_category(rows["period"], lambda t: t.str.slice(0, 4).astype(int))
    arrays.append(pa.array(year.to_numpy(np.int16), pa.int16()))
    stamps = per_category(rows["reported_at"], reported_timestamps)
    arrays.append(pa.array(stamps.to_numpy("datetime64[us]"), pa.timestamp("us")))
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def by_unit(rows: pd.DataFrame) -> pd.DataFrame:
    """An ingested file's rows by unit, indicator and period, so that a part's row groups
    each hold a few units and a read of some units skips the others by their statistics.
    Within one file each figure occurs once, so this order changes no vintage."""
    keys = ["unit_code", "indicator_id", "period"]
    order = np.lexsort([_text_rank(rows[k]) for k in reversed(keys)])
    return rows.iloc[order].reset_index(drop=True)


def _text_rank(column: pd.Series) -> np.ndarray:
    """Integers that sort as the column's text does (via its categories when it has them)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        names = np.asarray(column.cat.categories.astype(str), dtype=object)
        rank = np.empty(len(names), dtype=np.int64)
        rank[np.argsort(names, kind="stable")] = np.arange(len(names))
        return rank[column.cat.codes.to_numpy()]
    return pd.factorize(column.astype(str), sort=True)[0]


def write_part(rows: pd.DataFrame, path: Path) -> tuple[str, int]:
    """Write `rows` to `path` (fsynced); returns (sha256 of the file, rows)."""
    table = to_table(rows)
    pq.write_table(table, path, row_group_size=ROW_GROUP, compression="zstd",
                   write_statistics=True)
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())
    return sha256_of(path), table.num_rows


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def part_rows(path: Path) -> int:
    """Rows of a part, from its footer (no data read)."""
    return pq.ParquetFile(path).metadata.num_rows


def read_parts(paths: list[Path], vintage: pd.Timestamp | None = None,
               years: tuple[int, int] | None = None, indicators: Iterable[str] | None = None,
               units: Iterable[str] | None = None, latest: bool = False) -> pd.DataFrame:
    """The observations of `paths` in that order (the order of ingest), filtered in the
    files: reported_ts <= vintage, year in [first, last], indicator and unit in the sets.
    With `latest`, only the latest report of each figure, ordered by figure: what
    tidy.at_vintage gives, computed on the dictionaries' integer codes.

    Text columns come back as categoricals (one dictionary for all parts, sorted, only
    the values the filtered rows use).
    """
    if not paths:
        return empty_frame()
    test = None
    for cond in _conditions(vintage, years, indicators, units):
        test = cond if test is None else test & cond
    # One thread: the parts are small and compressed; pyarrow's thread pool cost 3-4x the
    # CPU time on this 2-core machine under load (0,8-1,3 against 0,3 CPU-s at 6 M rows).
    table = _dataset(paths, indicators, units).to_table(columns=OBS_COLUMNS, filter=test,
                                                        use_threads=False)
    if table.num_rows == 0:  # the frame pyarrow gives, its text columns categorical
        frame = table.to_pandas()
        return frame.astype({c: "category" for c in TEXT_COLUMNS
                             if not isinstance(frame[c].dtype, pd.CategoricalDtype)})
    coded = {name: _Coded.of(table.column(name)) for name in TEXT_COLUMNS}
    value = table.column("value").to_numpy()
    del table
    if any(c.has_nulls for c in coded.values()):  # not written by kpi: the general way
        return _general(coded, value, vintage, latest)
    rows = _latest_rows(coded, vintage) if latest else None
    frame = pd.DataFrame({name: coded[name].categorical(rows) if name != "value"
                          else (value if rows is None else value[rows])
                          for name in OBS_COLUMNS})
    return frame


class _Coded:
    """A dictionary column as integer codes into the values its rows use, sorted as text
    (code point order), so the codes sort and compare as the text does."""

    def __init__(self, codes: np.ndarray, categories: pd.Index, has_nulls: bool) -> None:
        self.codes, self.categories, self.has_nulls = codes, categories, has_nulls

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> _Coded:
        """From a column whose chunks share one dictionary (a dataset's table does)."""
        column = column.unify_dictionaries() if column.num_chunks > 1 else column
        chunks = column.chunks
        names = chunks[0].dictionary.to_pandas()
        nulls = column.null_count > 0
        codes = np.concatenate([c.indices.fill_null(-1).to_numpy() if nulls
                                else c.indices.to_numpy() for c in chunks])
        used = np.zeros(len(names) + 1, dtype=bool)
        used[codes] = True  # (a null, -1, marks the extra last entry)
        keep = np.flatnonzero(used[:-1])
        order = keep[np.argsort(np.asarray(names.to_numpy()[keep].astype(str), dtype=object),
                                kind="stable")]
        small = next(t for t in (np.int8, np.int16, np.int32, np.int64)  # as pandas does
                     if len(order) < np.iinfo(t).max)
        remap = np.full(len(names) + 1, -1, dtype=small)  # -1 (a null) stays -1
        remap[order] = np.arange(len(order), dtype=small)
        return cls(remap[codes], pd.Index(names.to_numpy()[order], dtype=names.dtype), nulls)

    def categorical(self, rows: np.ndarray | None) -> pd.Categorical:
        codes = self.codes if rows is None else self.codes[rows]
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(self.categories),
                                         validate=False)


def _latest_rows(coded: dict[str, _Coded], vintage: pd.Timestamp | None) -> np.ndarray:
    """Rows holding the latest report of each figure, ordered by figure.

    tidy.at_vintage's rule on integers: a figure is (indicator, unit, period, value_type);
    the latest reported_at wins (an unreadable date counts as the latest, as a sort puts
    NaT last), then the later row (ingest order). One argsort of one int64 key when it
    fits, a lexsort otherwise; never a Python object per row.
    """
    reported = coded["reported_at"]
    stamps = reported_timestamps(pd.Series(reported.categories, dtype=object))
    n = len(reported.codes)
    rows = None  # all of them
    if vintage is not None:  # the files' filter already did this; the text decides
        ok = (stamps <= vintage).to_numpy()
        if not ok[reported.codes].all():
            rows = np.flatnonzero(ok[reported.codes])

    def codes(name: str) -> np.ndarray:
        return coded[name].codes if rows is None else coded[name].codes[rows]

    ticks = stamps.to_numpy().astype(np.int64)
    missing = stamps.isna().to_numpy()
    ticks[missing] = np.iinfo(np.int64).max
    rank = np.unique(ticks, return_inverse=True)[1].reshape(-1)  # 0 = earliest report
    n_ranks = int(rank.max()) + 1 if len(rank) else 1
    priority = rank[codes("reported_at")].astype(np.int64) * n
    priority += np.arange(n) if rows is None else rows
    names = ["indicator_id", "unit_code", "period", "value_type"]
    sizes = [max(1, len(coded[c].categories)) for c in names]
    span = int(np.prod(sizes, dtype=object))
    if span * n_ranks * n >= 2 ** 63:  # very large dictionaries: sort by each column
        order = np.lexsort([priority, *(codes(c) for c in reversed(names))])
        keys = np.stack([codes(c)[order] for c in names])
        last = np.ones(len(order), dtype=bool)
        last[:-1] = (keys[:, 1:] != keys[:, :-1]).any(axis=0)
    else:
        key = np.zeros(len(priority), dtype=np.int64)
        for name, size in zip(names, sizes, strict=True):
            key *= size
            key += codes(name)
        key *= n_ranks * n
        key += priority
        order = np.argsort(key)  # keys are unique (the row is part of them)
        figure = key[order]
        figure //= n_ranks * n
        last = np.ones(len(order), dtype=bool)
        np.not_equal(figure[1:], figure[:-1], out=last[:-1])
    return order[last] if rows is None else rows[order[last]]


def _general(coded: dict[str, _Coded], value: np.ndarray, vintage, latest) -> pd.DataFrame:
    """Parts holding nulls (not written by kpi): pandas' at_vintage does the selection."""
    from .tidy import at_vintage

    frame = pd.DataFrame({name: coded[name].categorical(None) if name != "value" else value
                          for name in OBS_COLUMNS})
    return at_vintage(frame, vintage) if latest else frame


def distinct(paths: list[Path], column: str) -> set[str]:
    """The distinct values of one text column over all parts, from their dictionaries
    (no other column read, no row turned into a Python object)."""
    found: set[str] = set()
    for path in paths:
        data = pq.read_table(path, columns=[column]).column(0)
        for chunk in data.chunks:
            found.update(chunk.dictionary.to_pylist())
    return found


def _dataset(paths: list[Path], indicators: Iterable[str] | None,
             units: Iterable[str] | None) -> pads.Dataset:
    """The parts as one dataset, each holding only the row groups whose statistics admit
    the wanted indicators and units: pyarrow skips row groups by the statistics of plain
    columns (year, reported_ts) but not of dictionary columns, so those are done here."""
    wanted = {c: sorted(map(str, v)) for c, v in (("indicator_id", indicators),
                                                  ("unit_code", units)) if v is not None}
    if not wanted:
        return pads.dataset([str(p) for p in paths], schema=SCHEMA, format="parquet")
    fmt, local = pads.ParquetFileFormat(), pafs.LocalFileSystem()
    fragments = []
    for path in paths:
        meta = pq.ParquetFile(path).metadata
        where = {meta.schema.column(i).name: i for i in range(meta.num_columns)}
        groups = [g for g in range(meta.num_row_groups)
                  if all(_may_hold(meta.row_group(g).column(where[c]).statistics, values)
                         for c, values in wanted.items())]
        if groups:  # (no row groups given would mean all of them)
            fragments.append(fmt.make_fragment(str(path), local, row_groups=groups))
    return pads.FileSystemDataset(fragments, SCHEMA, fmt, local)


def _may_hold(stats, values: list[str]) -> bool:
    """Whether a row group whose column has these statistics may hold one of `values`
    (sorted); parquet orders strings by their UTF-8 bytes, i.e. as Python does."""
    if stats is None or not stats.has_min_max:
        return True
    low = bisect.bisect_left(values, stats.min)
    return low < len(values) and values[low] <= stats.max


def _conditions(vintage, years, indicators, units) -> list[pc.Expression]:
    out = []
    if vintage is not None:
        out.append(pc.field("reported_ts") <= pa.scalar(vintage.to_datetime64(),
                                                        pa.timestamp("us")))
    if years is not None:
        out += [pc.field("year") >= years[0], pc.field("year") <= years[1]]
    for column, values in (("indicator_id", indicators), ("unit_code", units)):
        if values is not None:
            out.append(pc.field(column).isin(pa.array(sorted(map(str, values)), pa.string())))
    return out


def empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="category") for c in OBS_COLUMNS})
    frame["value"] = frame["value"].astype(float)
    return frame
