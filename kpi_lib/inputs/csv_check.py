"""A tidy CSV checked as a stream, column-wise: a million rows in seconds, in bounded memory.

Checking cell by cell in Python (ingest._check_cell) costs ~70 µs a figure and holds
every cell as objects. Here a file is read twice in chunks: once for what settles the
whole file (its number convention, how many figures it holds, the problems of its rows'
shape), then to check each chunk with vectorised operations. A plain file (every row
with the header's fields, no blank line) is read by pyarrow's CSV reader in blocks;
anything else by readers.csv_chunks, row by row, which names each bad row. The columns
that repeat (indicator, unit, period, value type, report date, source) are checked once
per distinct text; the values by regular expressions (RE2) and array tests.

A row is accepted here only when it is plainly valid: every other row (an error, or
something read with a note, such as `85%` or ` t10 `) goes through _check_cell itself,
in row order, so every message is the cell-by-cell one, word for word.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pandas.api.types import union_categoricals

from ..common.errors import ProblemList
from ..common.numbers import evidence
from ..common.text import clean_line
from ..plan.catalog import Catalog
from .cells import (
    ALLOWED_TYPES,
    COUNT_UNITS,
    DEFAULT_TYPE,
    FUTURE_TOLERANCE_DAYS,
    _check_cell,
    _rows_frame,
    _settle_convention,
    _stopped,
)
from .readers import MAX_ROWS, TIDY_FIELDS, Cell, csv_chunks, parse_date
from .store_check import MAX_VALUE
from .tidy import VALUE_TYPES, parse_period

_INT = r"[+-]?\d+"
_DOT, _COMMA = r"[+-]?\d+\.\d+", r"[+-]?\d+,\d+"
_TAIL3 = r"[+-]?\d+[.,]\d{3}"


def stream_check(path: Path, catalog: Catalog, units: dict[str, tuple[int, int]],
                 problems: ProblemList, today: date, stamp: str) -> pd.DataFrame:
    """The checked rows of a tidy CSV (columns of _check_cell's dicts plus _row)."""
    for source in (_ArrowCsv.open(path), _RowsCsv(path)):
        if source is None:
            continue
        header, total, first = None, 0, {"vi": None, "plain": None}
        for rows, columns in source.chunks(problems):  # pass 1: shape, count, convention
            for conv in ("vi", "plain"):
                if first[conv] is None:
                    first[conv] = _first_with_evidence(columns["value"], conv)
            total += len(rows)
        header = source.header
        if total:  # no figure at all: the row-by-row reader says why
            break
    if header is None:
        return _rows_frame([], stamp)
    convention = _settle_convention([t for t in first.values() if t is not None], path,
                                    problems)
    frames, slow_rows, index = [], [], 0
    if problems.full:
        _stopped(problems, path, total)
        return _rows_frame([], stamp)
    for rows, columns in source.chunks(ProblemList()):  # pass 2: its shape is known
        take = min(len(rows), total - index)
        if take <= 0:
            break
        rows, columns = rows[:take], {k: v[:take] for k, v in columns.items()}
        fast, slow = _check_chunk(rows, columns, catalog, units, convention, today, stamp,
                                  path)
        stop = None
        for pos in np.flatnonzero(slow):
            raw = {name: columns[name][pos].as_py() for name in TIDY_FIELDS}
            cell = Cell(*(raw[name] for name in TIDY_FIELDS[:6]),
                        source=_source(raw["source"], path), sheet=None, row=int(rows[pos]),
                        column="value")
            if (r := _check_cell(cell, catalog, convention, units, problems, path,
                                 today)) is not None:
                slow_rows.append(r)
            if problems.full:
                _stopped(problems, path, total - (index + pos + 1))
                stop = int(rows[pos])
                break
        frames.append(fast if stop is None else fast[fast["_row"] <= stop])
        index += take
        if stop is not None:
            break
    frames.append(_rows_frame(slow_rows, stamp))
    kept = [f for f in frames if not f.empty]
    if not kept:
        return _rows_frame([], stamp)
    frame = pd.concat(kept, ignore_index=True)
    for name in ("indicator_id", "unit_code", "period", "value_type", "reported_at",
                 "source"):  # one dictionary for the file: a million rows stay small
        frame[name] = union_categoricals([f[name].astype("category") for f in kept],
                                         ignore_order=True)
    if not frame["_row"].is_monotonic_increasing:
        frame = frame.sort_values("_row", kind="stable").reset_index(drop=True)
    return frame


class _RowsCsv:
    """Any CSV, row by row (readers.csv_chunks): every bad row is named."""

    def __init__(self, path: Path) -> None:
        self.path, self.header = path, None

    def chunks(self, problems: ProblemList):
        for chunk in csv_chunks(self.path, problems):
            if chunk[0][0] == 0:
                self.header, chunk = chunk[0][1], chunk[1:]
            if not chunk:
                continue
            rows = np.array([n for n, _ in chunk], dtype=np.int64)
            columns = {}
            for name in TIDY_FIELDS:
                i = self.header.get(name)
                columns[name] = pc.utf8_normalize(pa.array(
                    [r[i] for _, r in chunk] if i is not None else [None] * len(chunk),
                    pa.string()), "NFC")
            yield rows, columns


class _ArrowCsv:
    """A plain CSV read by pyarrow in blocks: line n is row n (no blank line, no row
    whose fields differ from the header's, no more rows than allowed), so a row's number
    is its position. `open` says whether a file is plain, reading it once."""

    def __init__(self, path: Path, header: dict[str, int], delimiter: str) -> None:
        self.path, self.header, self.delimiter = path, header, delimiter

    @classmethod
    def open(cls, path: Path) -> _ArrowCsv | None:
        probe = ProblemList()
        head = next(iter(csv_chunks(path, probe, chunk_rows=1)), None)
        if probe.problems or head is None or head[0][0] != 0:
            return None
        header = head[0][1]
        with open(path, "rb") as fh:
            first = fh.readline()
            if b"\r" in first.rstrip(b"\r\n") or first.count(b'"') % 2:
                return None  # a header spanning lines
            delimiter = ";" if first.count(b";") > first.count(b",") else ","
            tail, n = b"", 0
            for block in iter(lambda: fh.read(1 << 22), b""):
                both = tail + block
                if b"\n\n" in both or b"\n\r\n" in both:
                    return None  # a blank line: csv.reader counts it, pyarrow does not
                tail = both[-2:]
                n += block.count(b"\n")
        if n > MAX_ROWS:
            return None
        reader = cls(path, header, delimiter)
        try:
            for _ in reader._batches(["value"]):
                pass
        except _NotPlain:
            return None
        return reader

    def _batches(self, include: list[str]):
        names = [f"c{i}" for i in range(len(self.header))]
        wanted = [f"c{self.header[n]}" for n in include if n in self.header]
        bad: list[object] = []

        def invalid(row) -> str:
            bad.append(row)
            return "skip"

        reader = pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           block_size=4 << 20),
            parse_options=pacsv.ParseOptions(delimiter=self.delimiter,
                                             invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), include_columns=wanted,
                strings_can_be_null=False, quoted_strings_can_be_null=False))
        for batch in reader:
            if bad:
                raise _NotPlain
            yield batch
        if bad:
            raise _NotPlain

    def chunks(self, problems: ProblemList):
        start = 2
        for batch in self._batches(list(self.header)):
            n = batch.num_rows
            rows = np.arange(start, start + n, dtype=np.int64)
            start += n
            blank = np.ones(n, dtype=bool)  # csv.reader's blank row: every field empty
            for column in batch.columns:
                blank &= _is_blank(column)
            columns = {name: pc.utf8_normalize(batch.column(f"c{self.header[name]}"), "NFC")
                       if name in self.header else pa.nulls(n, pa.string())
                       for name in TIDY_FIELDS}
            if blank.any():
                rows = rows[~blank]
                columns = {k: v.filter(pa.array(~blank)) for k, v in columns.items()}
            if len(rows):
                yield rows, columns


class _NotPlain(Exception):
    """A row pyarrow could not read as the header says: the row-by-row reader names it."""


def _is_blank(column: pa.Array) -> np.ndarray:
    text = pc.utf8_trim_whitespace(column.fill_null(""))
    return pc.equal(text, "").to_numpy(zero_copy_only=False)


def _source(raw: object, path: Path) -> str:
    return clean_line(str(raw or path.name))


def _per_value(column: pa.Array, fn: Callable[[object], object]) -> tuple[np.ndarray, list]:
    """fn of each distinct text once: (codes per row, results per distinct text)."""
    encoded = column.dictionary_encode(null_encoding="encode")
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    return codes, [fn(u) for u in encoded.dictionary.to_pylist()]


def _matches(column: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(column.fill_null(""), f"^(?:{pattern})$").to_numpy(
        zero_copy_only=False)


def _first_with_evidence(values: pa.Array, conv: str) -> str | None:
    """The first value (in row order) whose form settles the convention `conv`."""
    simple_none = _matches(values, _INT) | _matches(values, _TAIL3)
    seen = np.full(len(values), None, dtype=object)
    seen[_matches(values, _DOT) & ~simple_none] = "plain"
    seen[_matches(values, _COMMA) & ~simple_none] = "vi"
    for i in np.flatnonzero(~simple_none & (seen == None)):
        seen[i] = evidence(values[i].as_py() or "")
    hit = np.flatnonzero(seen == conv)
    return values[int(hit[0])].as_py() if len(hit) else None


def _check_chunk(rows: np.ndarray, columns: dict[str, pa.Array], catalog: Catalog, units,
                 convention: str | None, today: date, stamp: str,
                 path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """(the plainly valid rows as a frame, a mask of the rows _check_cell must see)."""
    ok = np.ones(len(rows), dtype=bool)

    # indicator: exactly a catalog id that is entered
    ind_codes, inds = _per_value(columns["indicator_id"], lambda t: _indicator(t, catalog))
    ok &= np.array([i is not None for i in inds], dtype=bool)[ind_codes]
    attr = _indicator_attributes(inds, catalog)
    a = {k: v[ind_codes] for k, v in attr.items()}

    # unit: empty = the catalog's unit; else exactly a registry code
    unit_codes, unit_names = _per_value(columns["unit_code"],
                                        lambda t: catalog.default_unit if t in (None, "")
                                        else str(t).strip())
    unit_ok = np.array([u in units for u in unit_names], dtype=bool)
    span = np.array([units.get(u, (0, -1)) for u in unit_names], dtype=np.int64).reshape(-1, 2)
    ok &= unit_ok[unit_codes]
    first_k, last_k = span[unit_codes, 0], span[unit_codes, 1]

    # period
    per_codes, periods = _per_value(columns["period"], _period)
    p_ok = np.array([p is not None for p in periods], dtype=bool)
    p_num = np.array([p[1:4] if p else (0, 1, 1) for p in periods], dtype=np.int64)
    ok &= p_ok[per_codes]
    year, month, first_month = (p_num[per_codes, i] for i in range(3))
    k = year * 12 + month - 1
    ok &= (first_k <= k) & (k <= last_k) & (year <= catalog.year)

    # report date: empty, or a date that is plausible and not in the future
    rep_codes, reps = _per_value(columns["reported_at"], lambda t: _reported(t, today))
    rep_ok = np.array([r is not False for r in reps], dtype=bool)
    ok &= rep_ok[rep_codes]
    rep_text = np.array([r if isinstance(r, str) else None for r in reps], dtype=object)
    rep_ts = pd.to_datetime(pd.Series(rep_text, dtype=object), errors="coerce",
                            format="ISO8601").to_numpy("datetime64[s]")[rep_codes]
    has_rep = ~np.isnat(rep_ts)

    # value type: given (known), or the indicator kind's default
    vt_codes, vts = _per_value(columns["value_type"],
                               lambda t: str(t or "").strip().lower())
    vtype = np.array(vts, dtype=object)[vt_codes]
    vtype = np.where(vtype == "", a["default"], vtype)
    ok &= np.array([v in VALUE_TYPES for v in vtype], dtype=bool)
    ok &= np.array([v in allowed for v, allowed in zip(vtype, a["allowed"], strict=True)],
                   dtype=bool)
    planned = vtype == "planned"

    # dates against the period
    start = _month_start(year, first_month)
    ok &= ~(has_rep & ~planned & (rep_ts.astype("datetime64[D]") < start))
    end = _month_start(year, month + 1) - np.timedelta64(1, "D")  # last day of the period
    limit = np.datetime64(today + timedelta(days=31), "D")
    ok &= ~(end > limit)
    ok &= ~(has_rep & (end.astype("datetime64[s]") > rep_ts + np.timedelta64(31, "D")))

    # value
    value = _values(columns["value"], convention)
    ok &= ~np.isnan(value)
    ok &= np.abs(np.nan_to_num(value)) <= MAX_VALUE
    low = np.where(a["signed"], -100.0, 0.0)
    ok &= ~(a["percent"] & (value > 0) & (value <= 1) & (a["target"] > 5))
    ok &= ~(a["percent"] & ((value < low) | (value > 100)))
    ok &= ~((value < 0) & a["no_negative"])
    ok &= ~(a["yes"] & (value != 0) & (value != 1))

    src_codes, sources = _per_value(columns["source"], lambda t: _source(t, path))
    fast = pd.DataFrame({
        "indicator_id": pd.Categorical(a["id"][ok]),
        "unit_code": pd.Categorical(np.array(unit_names, dtype=object)[unit_codes][ok]),
        "period": pd.Categorical(np.array([p[0] if p else "" for p in periods],
                                          dtype=object)[per_codes][ok]),
        "value": value[ok],
        "value_type": pd.Categorical(vtype[ok]),
        "reported_at": pd.Categorical(np.where(has_rep, rep_text[rep_codes], stamp)[ok]),
        "source": pd.Categorical(np.array(sources, dtype=object)[src_codes][ok]),
        "_row": rows[ok], "_sheet": None})
    return fast, ~ok


def _indicator(text: object, catalog: Catalog):
    if text is None or text not in set(catalog.ids()):
        return None
    ind = catalog.get(text)
    return ind if ind.entered else None


def _indicator_attributes(inds: list, catalog: Catalog) -> dict[str, np.ndarray]:
    signed = set(catalog.settings.get("signed_rates") or [])
    def pick(fn, dtype=object):
        return np.array([fn(i) if i is not None else None for i in inds], dtype=dtype)
    out = {
        "id": pick(lambda i: i.id),
        "default": pick(lambda i: DEFAULT_TYPE[i.kind]),
        "allowed": pick(lambda i: ALLOWED_TYPES[i.kind]),
        "percent": pick(lambda i: bool(i.is_percent)).astype(bool),
        "target": pick(lambda i: float(i.target) if i.target else 0.0).astype(float),
        "signed": pick(lambda i: i.id in signed).astype(bool),
        "yes": pick(lambda i: i.rule == "yes").astype(bool),
        "no_negative": pick(lambda i: i.kind in ("flow", "milestone")
                            or i.entry_unit in COUNT_UNITS).astype(bool),
    }
    out["allowed"] = np.array([a if a is not None else set() for a in out["allowed"]],
                              dtype=object)
    return out


def _period(text: object) -> tuple[str, int, int, int] | None:
    """(text as stored, year, last month, first month) or None."""
    try:
        year, month, kind = parse_period(str(text))
    except ValueError:
        return None
    first = {"M": month, "Q": month - 2, "Y": 1}[kind]
    return str(text).strip(), year, month, first


def _reported(text: object, today: date) -> str | None | bool:
    """The ISO report date, None when empty, False when _check_cell must see it."""
    if text in (None, ""):
        return None
    iso = parse_date(text)
    if iso is None:
        return False
    when = date.fromisoformat(iso[:10])
    if when.year < 1990 or when > today + timedelta(days=FUTURE_TOLERANCE_DAYS):
        return False
    return iso


def _month_start(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """First day of (year, month), month may be 13 (January of the next year)."""
    months = (year - 1970) * 12 + (month - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]")


def _values(column: pa.Array, convention: str | None) -> np.ndarray:
    """Values in the plain forms, read as parse_number reads them under `convention`;
    NaN for anything else (an empty cell, a percent sign, spaces, grouped thousands…)."""
    text = column.fill_null("")
    out = np.full(len(text), np.nan)
    plain_int = _matches(text, _INT)
    dot, comma, tail3 = _matches(text, _DOT), _matches(text, _COMMA), _matches(text, _TAIL3)

    def put(mask: np.ndarray, drop: str = "", decimal: str = "") -> None:
        if not mask.any():
            return
        part = text.filter(pa.array(mask))
        if drop:
            part = pc.replace_substring(part, drop, "")
        if decimal:
            part = pc.replace_substring(part, decimal, ".")
        out[mask] = pc.cast(part, pa.float64()).to_numpy(zero_copy_only=False)

    put(plain_int)
    if convention != "vi":
        put(dot & ~tail3)
    if convention != "plain":
        put(comma & ~tail3, decimal=",")
    if convention == "plain":
        put(dot & tail3)
        put(comma & tail3, drop=",")
    else:
        put(dot & tail3, drop=".")
        if convention == "vi":
            put(comma & tail3, decimal=",")
    return out
