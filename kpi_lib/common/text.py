"""Text from people, made safe to keep: one Unicode form, no control characters.

Vietnamese typed with a decomposed-Unicode keyboard setting (Unikey's "Unicode tổ hợp")
looks the same as the composed form but compares unequal, so 'Số tháng' would not match
'Số tháng'. Control characters (Word's soft line break, a terminal escape) cannot be
written into an xlsx cell and would break every later export. Both are normalised where
text enters the workbench, so nothing downstream has to think about them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from math import isnan

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\r\n\t\x0b\x0c\u2028\u2029]+")  # \x0b: Word's soft break


def nfc(value: object) -> object:
    """Text in composed form (NFC); anything else unchanged."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


@lru_cache(maxsize=4096)  # sources repeat on every row of a file
def clean_line(text: str) -> str:
    """One line of text: NFC, line breaks and tabs as spaces, control characters removed."""
    text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", text)).strip()


def control_characters(text: str) -> list[str]:
    """The control characters in `text` (as \\xNN escapes), to name them in a message."""
    return sorted({f"\\x{ord(c):02x}" for c in _CONTROL.findall(text)})


# What Excel and LibreOffice take for the start of a formula when they open a file
# (OWASP "CSV injection"): '=', '+', '-', '@', and a tab or carriage return before them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def no_formulas(book) -> None:
    """Text is text in a workbook we write: a name or reason that begins with '=' is kept as
    the text it is, never a live formula (nothing our workbooks hold is computed by Excel).
    openpyxl types any string starting with '=' as a formula; its other starts are
    already plain strings in .xlsx."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def csv_text(value: object) -> object:
    """A text field as written into a CSV a person may open in a spreadsheet: one that a
    spreadsheet would run as a formula gets a leading apostrophe (OWASP), and so does one
    that already starts with an apostrophe, so `csv_text_back` restores every text exactly."""
    if isinstance(value, str) and value.startswith((*FORMULA_START, "'")):
        return "'" + value
    return value


def csv_text_back(value: object) -> object:
    """The text `csv_text` was given (one leading apostrophe removed)."""
    return value[1:] if isinstance(value, str) and value.startswith("'") else value


def csv_safe(frame):
    """A copy of a table with every text cell passed through `csv_text`, to write as CSV."""
    out = frame.copy()
    for col in out.columns:
        column = out[col]
        if column.dtype.kind != "O":
            continue
        if column.dtype == "str":  # text or missing only: tested in one vectorised call
            risky = column.str.startswith((*FORMULA_START, "'"), na=False).to_numpy(bool)
            if risky.any():
                out[col] = column.where(~risky, "'" + column)
        else:  # object or pandas' string dtype: any value may be there
            out[col] = column.map(csv_text)
    return out


SIX_DIGITS = "%.6g"  # the figures of every CSV kpi writes


def write_csv_text(frame, target) -> None:
    """`frame` as the CSV every kpi command writes: texts through `csv_safe`, one line
    ending, figures to six significant digits (`to_csv(float_format=SIX_DIGITS)`'s very
    text, formatted here one column at a time: pandas spends several Python calls on each
    value, 0,6 s for a national forecast table of 79.000 rows)."""
    out = csv_safe(frame)
    for i, dtype in enumerate(out.dtypes):
        if dtype == "float64":
            out.isetitem(i, ["" if isnan(v) else SIX_DIGITS % v
                             for v in out.iloc[:, i].to_numpy().tolist()])
    out.to_csv(target, index=False, lineterminator="\n", float_format=SIX_DIGITS)


def csv_restored(frame):
    """A table read from a CSV written through `csv_safe`, with its texts as they were."""
    for col in frame.columns:
        if frame[col].dtype.kind == "O":
            frame[col] = frame[col].map(csv_text_back)
    return frame
