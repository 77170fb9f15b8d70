"""Checking the store file when it is read: a damaged store is named, never half-read.

`observations.csv` is written only by kpi, but it lives on a disk where a crash, a full
disk or a hand edit can cut or garble it. Reading such a file with a lenient CSV parser
drops or mangles rows silently (a truncated "50.98" becomes 50 with no type or date), and
the report is then published from wrong data. So every read verifies every line, and a
problem names the line and says how to recover (`kpi store check`, `kpi store rebuild`).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.errors import Problem
from .tidy import OBS_COLUMNS, VALUE_TYPES

_PERIOD = r"^\d{4}(?:-(?:0[1-9]|1[0-2]|Q[1-4]))?$"
_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
MAX_VALUE = 1e15  # no planning figure comes near; beyond it a value is garbage, not data


def read_checked(path: Path, known_ids: set[str] | None = None,
                 known_units: set[str] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Every row of the store as text (value as float), and what is wrong with which line.

    A line number is the line in the file (the header is line 1). When the problems list is
    not empty the frame must not be used.
    """
    where = {"file": str(path)}
    raw = path.read_bytes()
    if not raw.strip():
        return pd.DataFrame(columns=OBS_COLUMNS), [Problem(
            "the store file is empty (not even a header)", **where)]
    nul = raw.find(b"\x00")
    if nul >= 0:
        return pd.DataFrame(columns=OBS_COLUMNS), [Problem(
            f"the store file holds binary content (byte {nul})", **where)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return pd.DataFrame(columns=OBS_COLUMNS), [Problem(
            f"the store file is not UTF-8 text (byte {exc.start})", **where)]
    header = text.split("\n", 1)[0].rstrip("\r").lstrip("\ufeff")
    if header.split(",") != OBS_COLUMNS:
        columns = [c.strip() for c in header.split(",")]
        if {"indicator_id", "period", "value"} <= set(columns) and "file_sha256" not in columns:
            # The documented tidy table, copied in by hand: say how it comes in.
            return pd.DataFrame(columns=OBS_COLUMNS), [Problem(
                "this is a tidy table, not a store file: the store also records which file "
                "each figure came from (file_sha256), so figures come in through kpi ingest",
                row=1, value=header[:200], **where,
                fix=f"move it out of {path.parent.name}/, then 'kpi ingest FILE.csv --data "
                    f"{path.parent}' (it is checked and kept in raw/)")]
        return pd.DataFrame(columns=OBS_COLUMNS), [Problem(
            "the store file's header is not the store's", row=1, value=header[:200], **where)]
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            encoding="utf-8", skip_blank_lines=False)
    except pd.errors.ParserError as exc:
        m = _FIELDS.search(str(exc))
        if m:
            return pd.DataFrame(columns=OBS_COLUMNS), [Problem(
                f"{m.group(3)} fields where the store has {m.group(1)}", row=int(m.group(2)),
                **where)]
        return pd.DataFrame(columns=OBS_COLUMNS), [Problem(
            f"the store file cannot be parsed ({str(exc).strip()[:200]})", **where)]
    problems: list[Problem] = []
    line = np.arange(len(frame)) + 2  # header is line 1; kpi writes no newline inside fields

    def bad(mask: np.ndarray | pd.Series, message: str, column: str | None = None) -> None:
        for i in np.flatnonzero(np.asarray(mask)):
            value = frame.iat[i, OBS_COLUMNS.index(column)] if column else None
            problems.append(Problem(message, row=int(line[i]), column=column, value=value,
                                    **where))

    short = frame.isna().any(axis=1).to_numpy()
    bad(short, "the line has fewer fields than the store's "
        f"{len(OBS_COLUMNS)} (cut short?)")
    frame = frame.fillna("")
    ok = ~short
    bad(ok & (frame["indicator_id"].str.strip() == ""), "no indicator id", "indicator_id")
    bad(ok & (frame["unit_code"].str.strip() == ""), "no unit code", "unit_code")
    bad(ok & ~frame["period"].str.match(_PERIOD), "not a period", "period")
    value = pd.to_numeric(frame["value"], errors="coerce")
    bad(ok & ~(value.abs() <= MAX_VALUE), "not a number (or an absurd magnitude)", "value")
    bad(ok & ~frame["value_type"].isin(VALUE_TYPES), "not a value type", "value_type")
    reported = pd.to_datetime(frame["reported_at"], errors="coerce", format="ISO8601")
    bad(ok & reported.isna().to_numpy(), "reported_at is not a date", "reported_at")
    # a sha256, empty, or a label such as the sample's "sample" (never a cut-off hash)
    bad(ok & ~frame["file_sha256"].str.fullmatch(r"(?:[0-9a-f]{64}|(?![0-9a-f]+$)[A-Za-z_][\w.-]*)?"),
        "not a file checksum (the line may have been cut short)", "file_sha256")
    if known_ids is not None:
        unknown = ok & ~frame["indicator_id"].isin(known_ids) & (frame["indicator_id"] != "")
        bad(unknown, "an indicator the catalog does not know", "indicator_id")
    if known_units is not None:
        unknown = ok & ~frame["unit_code"].isin(known_units) & (frame["unit_code"] != "")
        bad(unknown, "a unit the registry does not know", "unit_code")
    frame["value"] = value
    return frame, problems


def ends_cleanly(path: Path) -> bool:
    """Whether the file ends with a line end (a file cut mid-line does not)."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            return True
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"
