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

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
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
               units: Iterable[str] | None = None) -> pd.DataFrame:
    """The observations of `paths` in that order (the order of ingest), filtered in the
    files: reported_ts <= vintage, year in [first, last], indicator and unit in the sets.

    Text columns come back as categoricals (one dictionary for all parts).
    """
    if not paths:
        return empty_frame()
    test = None
    for cond in _conditions(vintage, years, indicators, units):
        test = cond if test is None else test & cond
    dataset = pads.dataset([str(p) for p in paths], schema=SCHEMA, format="parquet")
    table = dataset.to_table(columns=OBS_COLUMNS, filter=test)  # keeps the files' order
    table = table.unify_dictionaries()
    frame = table.to_pandas(self_destruct=True, split_blocks=True)
    for name in TEXT_COLUMNS:
        frame[name] = _plain_categorical(frame[name])
    return frame


def distinct(paths: list[Path], column: str) -> set[str]:
    """The distinct values of one text column over all parts, from their dictionaries
    (no other column read, no row turned into a Python object)."""
    found: set[str] = set()
    for path in paths:
        data = pq.read_table(path, columns=[column]).column(0)
        for chunk in data.chunks:
            found.update(chunk.dictionary.to_pylist())
    return found


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


def _plain_categorical(column: pd.Series) -> pd.Series:
    """Unordered categorical with sorted categories, only those used (tidy._factorize's
    fast path); O(rows), no sort of the rows."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("category")
    cats, codes = column.cat.categories, column.cat.codes.to_numpy()
    keep = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(cats)) > 0)
    order = keep[np.argsort(np.asarray(cats[keep].astype(str), dtype=object), kind="stable")]
    remap = np.full(len(cats) + 1, -1, dtype=np.int64)
    remap[order] = np.arange(len(order))
    return pd.Series(pd.Categorical.from_codes(remap[codes], cats[order]), index=column.index,
                     name=column.name)


def empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="category") for c in OBS_COLUMNS})
    frame["value"] = frame["value"].astype(float)
    return frame
