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
    dataset = _dataset(paths, indicators, units)
    coded, value = _read_coded(dataset, test)
    if coded is None:  # nulls in a text column (not written by kpi): the general way
        table = dataset.to_table(columns=OBS_COLUMNS, filter=test, use_threads=False)
        return _general({c: _Coded.with_nulls(table.column(c)) for c in TEXT_COLUMNS},
                        table.column("value").to_numpy(), vintage, latest)
    if len(value) == 0:  # the frame pyarrow gives, its text columns categorical
        frame = dataset.schema.empty_table().select(OBS_COLUMNS).to_pandas()
        return frame.astype(dict.fromkeys(TEXT_COLUMNS, "category"))
    rows = _latest_rows(coded, vintage) if latest else None
    return pd.DataFrame({name: coded[name].categorical(rows) if name != "value"
                         else (value if rows is None else value[rows])
                         for name in OBS_COLUMNS})


def _read_coded(dataset: pads.Dataset, test) -> tuple[dict[str, _Coded] | None, np.ndarray]:
    """The rows `test` keeps, streamed a row group at a time: text columns straight into
    integer codes, values into one array; (None, values) when a text column holds nulls.

    Never the whole Arrow table at once: at 6 M rows that table and its copies were
    400 MB of the read's 900 MB peak, and on this machine every fresh page costs time
    too. One thread: pyarrow's thread pool cost 3-4x the CPU time on 2 busy cores."""
    bound = dataset.count_rows()  # from the footers; the filter keeps at most this many
    growing = {name: _Growing(bound) for name in TEXT_COLUMNS}
    value = np.empty(bound, dtype=np.float64)
    start = 0
    for batch in dataset.to_batches(columns=OBS_COLUMNS, filter=test, use_threads=False,
                                    batch_readahead=1, fragment_readahead=1):
        n = batch.num_rows
        for name in TEXT_COLUMNS:
            if not growing[name].add(batch.column(name), start):
                return None, value[:0]
        value[start:start + n] = batch.column("value").to_numpy(zero_copy_only=False)
        start += n
    value = value if start == bound else value[:start].copy()
    return {name: g.finish(start) for name, g in growing.items()}, value


class _Growing:
    """One text column's codes as row groups arrive: each row group's dictionary is mapped
    to one list of values (in the order first seen) and its indices written through that
    map into one array, whose integer type widens when the values outgrow it."""

    def __init__(self, bound: int) -> None:
        self.index: dict[str, int] = {}
        self.codes = np.empty(bound, dtype=np.int8)
        self.used: list[np.ndarray] = []  # ids used by each row group

    def add(self, array: pa.DictionaryArray, start: int) -> bool:
        if array.null_count:
            return False
        seen = self.index
        table = np.array([seen.setdefault(v, len(seen)) for v in array.dictionary.to_pylist()],
                         dtype=np.int64)
        if len(seen) > np.iinfo(self.codes.dtype).max:
            self.codes = self.codes.astype(_code_type(len(seen) + 1))
        indices = array.indices.to_numpy()
        np.take(table.astype(self.codes.dtype), indices,
                out=self.codes[start:start + len(array)])
        self.used.append(table[np.bincount(indices, minlength=len(table)) > 0])
        return True

    def finish(self, n: int) -> _Coded:
        codes = self.codes[:n]
        used = np.zeros(len(self.index), dtype=bool)
        for ids in self.used:
            used[ids] = True
        names, remap = _sorted_used(pd.Series(list(self.index), dtype="str"), used)
        if np.array_equal(remap, np.arange(len(remap))) and codes.dtype == remap.dtype:
            return _Coded(codes, names, False)  # seen in sorted order, all used: as they are
        return _Coded(remap[codes], names, False)


class _Coded:
    """A dictionary column as integer codes into the values its rows use, sorted as text
    (code point order), so the codes sort and compare as the text does."""

    def __init__(self, codes: np.ndarray, categories: pd.Index, has_nulls: bool) -> None:
        self.codes, self.categories, self.has_nulls = codes, categories, has_nulls

    @classmethod
    def with_nulls(cls, column: pa.ChunkedArray) -> _Coded:
        """From a column holding nulls (code -1), read whole: a store kpi did not write."""
        column = column.unify_dictionaries()
        names = column.chunks[0].dictionary.to_pandas()
        codes = np.concatenate([c.indices.fill_null(-1).to_numpy() for c in column.chunks])
        used = np.zeros(len(names) + 1, dtype=bool)
        used[codes] = True  # a null (-1) marks the extra last entry
        names, remap = _sorted_used(names, used[:-1])
        return cls(np.append(remap, -1).astype(remap.dtype)[codes], names, True)

    def categorical(self, rows: np.ndarray | None) -> pd.Categorical:
        codes = self.codes if rows is None else self.codes[rows]
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(self.categories),
                                         validate=False)


def _code_type(n: int) -> type:
    """The integer type pandas gives the codes of n categories."""
    return next(t for t in (np.int8, np.int16, np.int32, np.int64) if n < np.iinfo(t).max)


def _sorted_used(names: pd.Series, used: np.ndarray) -> tuple[pd.Index, np.ndarray]:
    """The used names sorted as text (code point order), and each name's code among them
    (-1 when unused), in the smallest integer type pandas would choose for the codes."""
    keep = np.flatnonzero(used)
    order = keep[np.argsort(np.asarray(names.to_numpy()[keep].astype(str), dtype=object),
                            kind="stable")]
    small = _code_type(len(order))
    remap = np.full(len(names), -1, dtype=small)
    remap[order] = np.arange(len(order), dtype=small)
    return pd.Index(names.to_numpy()[order], dtype=names.dtype), remap


DENSE = 4  # figures' key space at most this many times the rows: one slot per figure
BLOCK = 1 << 20  # rows whose keys are made at once (bounded temporaries)
WIDE = 2 ** 62  # figures' key space past one int64 (with room to spare)
FIGURE = ["indicator_id", "unit_code", "period", "value_type"]


def _latest_rows(coded: dict[str, _Coded], vintage: pd.Timestamp | None) -> np.ndarray:
    """Rows holding the latest report of each figure, ordered by figure.

    tidy.at_vintage's rule on integers: a figure is (indicator, unit, period, value_type);
    the latest reported_at wins (an unreadable date counts as the latest, as a sort puts
    NaT last), then the later row (ingest order). Each row gets one integer for its
    figure (from the sorted codes: it orders as the text does) and one for its priority
    (report, then row); never a Python object per row.
    """
    reported = coded["reported_at"]
    stamps = reported_timestamps(pd.Series(reported.categories, dtype=object))
    n = len(reported.codes)
    rows: np.ndarray | None = None  # all of them (taken in slices, not by index)
    if vintage is not None:  # the files' filter already did this; the text decides
        ok = (stamps <= vintage).to_numpy()[reported.codes]
        rows = None if ok.all() else np.flatnonzero(ok)
    n_rows = n if rows is None else len(rows)
    ticks = stamps.to_numpy().astype(np.int64)
    ticks[stamps.isna().to_numpy()] = np.iinfo(np.int64).max
    rank = np.unique(ticks, return_inverse=True)[1].reshape(-1)  # 0 = earliest report
    rank = rank.astype(_code_type(len(rank) + 1))
    sizes = [max(1, len(coded[c].categories)) for c in FIGURE]
    span = int(np.prod(sizes, dtype=object))

    def some(lo: int, hi: int) -> slice | np.ndarray:
        return slice(lo, min(hi, n)) if rows is None else rows[lo:hi]

    def priority(lo: int, hi: int) -> np.ndarray:
        """Report rank × n + row: the later report wins, then the later row."""
        at = some(lo, hi)
        out = rank[reported.codes[at]].astype(np.int64)
        out *= n
        out += np.arange(at.start, at.stop) if rows is None else at
        return out

    def figure(lo: int, hi: int) -> np.ndarray:
        """One integer per figure, ordered as (indicator, unit, period, value_type)."""
        at = some(lo, hi)
        out = np.zeros(at.stop - at.start if rows is None else len(at), dtype=np.int64)
        for name, size in zip(FIGURE, sizes, strict=True):
            out *= size
            out += coded[name].codes[at]
        return out

    if span <= DENSE * n_rows + BLOCK:
        # One slot per figure keeps its best priority (np.maximum.at, a block of rows at
        # a time); the filled slots, in slot order, are the figures in order. No sort.
        best = np.full(span, -1, dtype=np.int64)
        for lo in range(0, n_rows, BLOCK):
            np.maximum.at(best, figure(lo, lo + BLOCK), priority(lo, lo + BLOCK))
        won = best[best >= 0]
        del best
        if rank.max(initial=0) > 0:  # else the priority is the row itself
            np.remainder(won, n, out=won)
        return won
    # Sparse figures (few rows for the key space): sort by figure, then priority.
    if span < WIDE:
        key = figure(0, n_rows)
        order = np.lexsort([priority(0, n_rows), key])
        figures = [key[order]]
    else:  # a key space too wide for one integer: each column a sort key of its own
        columns = [coded[c].codes[some(0, n_rows)] for c in FIGURE]
        order = np.lexsort([priority(0, n_rows), *reversed(columns)])
        figures = [c[order] for c in columns]
    last = np.zeros(len(order), dtype=bool)
    last[-1:] = True
    for column in figures:
        last[:-1] |= column[1:] != column[:-1]
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
