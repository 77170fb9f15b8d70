"""A tidy CSV checked as a stream, column-wise: a million rows in seconds, in bounded memory.

Checking cell by cell in Python (ingest._check_cell) costs ~70 µs a figure and holds
every cell as objects. Here a file is read twice in chunks (readers.csv_chunks): once
for what settles the whole file (its number convention, how many figures it holds, the
problems of its rows' shape), then to check each chunk with vectorised operations. The
columns that repeat (indicator, unit, period, value type, report date, source) are
checked once per distinct text; the values by regular expressions and array tests.

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

from ..common.errors import ProblemList
from ..common.numbers import evidence
from ..common.text import clean_line, nfc
from ..plan.catalog import Catalog
from .ingest import (ALLOWED_TYPES, COUNT_UNITS, DEFAULT_TYPE, FUTURE_TOLERANCE_DAYS,
                     _check_cell, _rows_frame, _settle_convention, _stopped)
from .readers import TIDY_FIELDS, Cell, csv_chunks, parse_date
from .store_check import MAX_VALUE
from .tidy import VALUE_TYPES, parse_period

_INT = r"[+-]?\d+"
_DOT, _COMMA = r"[+-]?\d+\.\d+", r"[+-]?\d+,\d+"
_TAIL3 = r"[+-]?\d+[.,]\d{3}"


def stream_check(path: Path, catalog: Catalog, units: dict[str, tuple[int, int]],
                 problems: ProblemList, today: date, stamp: str) -> pd.DataFrame:
    """The checked rows of a tidy CSV (columns of _check_cell's dicts plus _row)."""
    header, total, first = None, 0, {"vi": None, "plain": None}
    for chunk in csv_chunks(path, problems):  # pass 1: shape problems, count, convention
        if chunk[0][0] == 0:
            header, chunk = chunk[0][1], chunk[1:]
        values = _column(chunk, header, "value")
        for conv in ("vi", "plain"):
            if first[conv] is None:
                first[conv] = _first_with_evidence(values, conv)
        total += len(chunk)
    if header is None:
        return _rows_frame([], stamp)
    convention = _settle_convention([t for t in first.values() if t is not None], path,
                                    problems)
    frames, slow_rows, index = [], [], 0
    if problems.full:
        _stopped(problems, path, total)
        return _rows_frame([], stamp)
    for chunk in csv_chunks(path, ProblemList()):  # pass 2: its shape problems are known
        if chunk[0][0] == 0:
            chunk = chunk[1:]
        chunk = chunk[:total - index]
        if not chunk:
            break
        fast, slow = _check_chunk(chunk, header, catalog, units, convention, today, stamp,
                                  path)
        stop = None
        for pos in np.flatnonzero(slow):
            n, row = chunk[pos]
            cell = Cell(*(_get(row, header, name) for name in TIDY_FIELDS[:6]),
                        source=_source(_get(row, header, "source"), path), sheet=None,
                        row=n, column="value")
            if (r := _check_cell(cell, catalog, convention, units, problems, path,
                                 today)) is not None:
                slow_rows.append(r)
            if problems.full:
                _stopped(problems, path, total - (index + pos + 1))
                stop = n
                break
        frames.append(fast if stop is None else fast[fast["_row"] <= stop])
        index += len(chunk)
        if stop is not None:
            break
    frames.append(_rows_frame(slow_rows, stamp))
    frame = pd.concat([f for f in frames if not f.empty], ignore_index=True) \
        if any(not f.empty for f in frames) else _rows_frame([], stamp)
    return frame.sort_values("_row", kind="stable").reset_index(drop=True)


def _get(row: list[str], header: dict[str, int], name: str) -> object:
    i = header.get(name)
    return nfc(row[i]) if i is not None and i < len(row) else None


def _source(raw: object, path: Path) -> str:
    return clean_line(str(raw or path.name))


def _column(chunk: list[tuple[int, list[str]]], header: dict[str, int],
            name: str) -> np.ndarray:
    i = header.get(name)
    if i is None:
        return np.full(len(chunk), None, dtype=object)
    return np.array([row[i] for _, row in chunk], dtype=object)


def _per_value(column: np.ndarray, fn: Callable[[object], object]) -> tuple[np.ndarray, list]:
    """fn of each distinct text (NFC) once: (codes per row, results per distinct text)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    return codes, [fn(nfc(u)) for u in uniques]


def _first_with_evidence(values: np.ndarray, conv: str) -> str | None:
    """The first value (in row order) whose form settles the convention `conv`."""
    text = pd.Series(values, dtype=object).fillna("")
    plain = text.str.fullmatch(_INT) | text.str.fullmatch(_TAIL3)
    seen = np.full(len(text), None, dtype=object)
    seen[text.str.fullmatch(_DOT).to_numpy() & ~plain.to_numpy()] = "plain"
    seen[text.str.fullmatch(_COMMA).to_numpy() & ~plain.to_numpy()] = "vi"
    simple = plain.to_numpy() | (seen != None)  # noqa: E711 - element-wise
    for i in np.flatnonzero(~simple):
        seen[i] = evidence(nfc(text.iat[i]))
    hit = np.flatnonzero(seen == conv)
    return nfc(text.iat[hit[0]]) if len(hit) else None


def _check_chunk(chunk, header, catalog: Catalog, units, convention: str | None,
                 today: date, stamp: str, path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """(the plainly valid rows as a frame, a mask of the rows _check_cell must see)."""
    rows = np.array([n for n, _ in chunk], dtype=np.int64)
    ok = np.ones(len(chunk), dtype=bool)

    # indicator: exactly a catalog id that is entered
    ind_codes, inds = _per_value(_column(chunk, header, "indicator_id"),
                                 lambda t: _indicator(t, catalog))
    ok &= np.array([i is not None for i in inds], dtype=bool)[ind_codes]
    attr = _indicator_attributes(inds, catalog)
    a = {k: v[ind_codes] for k, v in attr.items()}

    # unit: empty = the catalog's unit; else exactly a registry code
    unit_codes, unit_names = _per_value(_column(chunk, header, "unit_code"),
                                        lambda t: catalog.default_unit if t in (None, "")
                                        else str(t).strip())
    unit_ok = np.array([u in units for u in unit_names], dtype=bool)
    span = np.array([units.get(u, (0, -1)) for u in unit_names], dtype=np.int64).reshape(-1, 2)
    ok &= unit_ok[unit_codes]
    first_k, last_k = span[unit_codes, 0], span[unit_codes, 1]

    # period
    per_codes, periods = _per_value(_column(chunk, header, "period"), _period)
    p_ok = np.array([p is not None for p in periods], dtype=bool)
    p_num = np.array([p[1:4] if p else (0, 1, 1) for p in periods], dtype=np.int64)
    ok &= p_ok[per_codes]
    year, month, first_month = (p_num[per_codes, i] for i in range(3))
    k = year * 12 + month - 1
    ok &= (first_k <= k) & (k <= last_k) & (year <= catalog.year)

    # report date: empty, or a date that is plausible and not in the future
    rep_codes, reps = _per_value(_column(chunk, header, "reported_at"),
                                 lambda t: _reported(t, today))
    rep_ok = np.array([r is not False for r in reps], dtype=bool)
    ok &= rep_ok[rep_codes]
    rep_text = np.array([r if isinstance(r, str) else None for r in reps], dtype=object)
    rep_ts = pd.to_datetime(pd.Series(rep_text, dtype=object), errors="coerce",
                            format="ISO8601").to_numpy("datetime64[s]")[rep_codes]
    has_rep = ~np.isnat(rep_ts)

    # value type: given (known), or the indicator kind's default
    vt_codes, vts = _per_value(_column(chunk, header, "value_type"),
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
    value = _values(_column(chunk, header, "value"), convention)
    ok &= ~np.isnan(value)
    ok &= np.abs(np.nan_to_num(value)) <= MAX_VALUE
    low = np.where(a["signed"], -100.0, 0.0)
    ok &= ~(a["percent"] & (value > 0) & (value <= 1) & (a["target"] > 5))
    ok &= ~(a["percent"] & ((value < low) | (value > 100)))
    ok &= ~((value < 0) & a["no_negative"])
    ok &= ~(a["yes"] & (value != 0) & (value != 1))

    src_codes, sources = _per_value(_column(chunk, header, "source"),
                                    lambda t: _source(t, path))
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


def _values(column: np.ndarray, convention: str | None) -> np.ndarray:
    """Values in the plain forms, read as parse_number reads them under `convention`;
    NaN for anything else (an empty cell, a percent sign, spaces, grouped thousands…)."""
    text = pd.Series(column, dtype=object).fillna("")
    out = np.full(len(text), np.nan)
    plain_int = text.str.fullmatch(_INT).to_numpy(dtype=bool)
    dot = text.str.fullmatch(_DOT).to_numpy(dtype=bool)
    comma = text.str.fullmatch(_COMMA).to_numpy(dtype=bool)
    tail3 = text.str.fullmatch(_TAIL3).to_numpy(dtype=bool)
    raw = text.to_numpy(dtype=object)

    def put(mask: np.ndarray, convert: Callable[[pd.Series], pd.Series]) -> None:
        if mask.any():
            out[mask] = pd.to_numeric(convert(pd.Series(raw[mask], dtype=object)),
                                      errors="coerce").to_numpy(dtype=float)

    put(plain_int, lambda s: s)
    if convention != "vi":
        put(dot & ~tail3, lambda s: s)
    if convention != "plain":
        put(comma & ~tail3, lambda s: s.str.replace(",", ".", regex=False))
    if convention == "plain":
        put(dot & tail3, lambda s: s)
        put(comma & tail3, lambda s: s.str.replace(",", "", regex=False))
    else:
        put(dot & tail3, lambda s: s.str.replace(".", "", regex=False))
        if convention == "vi":
            put(comma & tail3, lambda s: s.str.replace(",", ".", regex=False))
    return out
