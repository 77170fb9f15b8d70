"""Reading and writing numbers the Vietnamese way (28.603,61) and the plain way (28603.61).

Departments type figures as text in either convention. A cell is read only when its
meaning is certain: `1.600` with nothing else to go on is Vietnamese (one thousand six
hundred, the office's convention), but `1,600` could be 1.6 or 1600, so it is an error
unless other cells in the same file settle which convention the file uses.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_DIGITS = re.compile(r"^[+-]?\d+$")


class NumberError(ValueError):
    """Text that is not a number, or a number whose meaning is ambiguous."""

    def __init__(self, text: str, reason: str, fix: str) -> None:
        self.text, self.reason, self.fix = text, reason, fix
        super().__init__(f"{reason}: {text!r}")


@dataclass(frozen=True)
class ParsedNumber:
    value: float
    percent_sign: bool = False
    convention: str | None = None  # "vi", "plain" or None when either reading agrees


def _grouped(int_part: str, sep: str) -> bool:
    """True when `int_part` is a valid thousands-grouped integer with separator `sep`."""
    groups = int_part.lstrip("+-").split(sep)
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 and g.isdigit() for g in groups[1:]) \
        and groups[0].isdigit()


def evidence(text: str) -> str | None:
    """Which convention a single text settles: 'vi', 'plain', or None if it settles none."""
    s = _SPACES.sub("", str(text)).rstrip("%")
    if "," in s and "." in s:
        return "vi" if s.rfind(",") > s.rfind(".") else "plain"
    for sep, conv_if_decimal, other in ((",", "vi", "plain"), (".", "plain", "vi")):
        if sep in s:
            tail = s.rpartition(sep)[2]
            if s.count(sep) > 1:
                return other if _grouped(s, sep) else None  # repeated: thousands
            if len(tail) != 3:
                return conv_if_decimal  # "85,5" is Vietnamese; "85.5" is plain
    return None


def parse_number(text: object, convention: str | None = None) -> ParsedNumber:
    """Parse one cell. `convention` is what the rest of the file settled ('vi'/'plain'/None)."""
    if isinstance(text, bool):
        raise NumberError(str(text), "a yes/no value where a number is expected",
                          "enter a number")
    if isinstance(text, (int, float)):
        if isinstance(text, float) and not math.isfinite(text):
            raise NumberError(str(text), "not a finite number", "enter a number")
        return ParsedNumber(float(text))
    raw = str(text)
    s = _SPACES.sub("", raw)  # "1 600" and "1 600" are grouped thousands
    percent = s.endswith("%")
    s = s.rstrip("%")
    if not s or not re.fullmatch(r"[+-]?[\d.,]+", s) or not any(c.isdigit() for c in s):
        raise NumberError(raw, "not a number",
                          "enter digits only, e.g. 28.603,61 or 28603.61 (no words or units)")
    seen = evidence(s)
    if convention and seen and seen != convention:
        raise NumberError(raw, f"written in the {seen} convention while the file uses {convention}",
                          "write every number in the file the same way")
    conv = seen or convention
    if "," in s and "." in s:
        dec, thou = (",", ".") if conv == "vi" else (".", ",")
        int_part, _, frac = s.rpartition(dec)
        if not _grouped(int_part, thou) or not frac.isdigit():
            raise NumberError(raw, "malformed digit grouping", "write e.g. 28.603,61")
        return ParsedNumber(float(int_part.replace(thou, "") + "." + frac), percent, conv)
    for sep in (",", "."):
        if sep not in s:
            continue
        if s.count(sep) > 1:
            if not _grouped(s, sep):
                raise NumberError(raw, "malformed digit grouping", "write e.g. 1.600.000")
            return ParsedNumber(float(s.replace(sep, "")), percent, conv)
        head, _, tail = s.partition(sep)
        if not head.lstrip("+-") or not tail.isdigit():
            raise NumberError(raw, "not a number", "enter e.g. 0,5 rather than ,5")
        is_decimal = (sep == "," and conv != "plain") or (sep == "." and conv == "plain")
        if len(tail) == 3 and conv is None:
            if sep == ",":
                raise NumberError(raw, "ambiguous: could be a decimal comma or a thousands comma",
                                  "write 1.600 for one thousand six hundred, 1,6 for one point six")
            is_decimal = False  # "1.600" is the office's convention for 1600
        if is_decimal:
            return ParsedNumber(float(head + "." + tail), percent, conv)
        if len(tail) != 3:
            raise NumberError(raw, "malformed digit grouping", "thousands come in groups of 3")
        return ParsedNumber(float(head + tail), percent, conv)
    if not _DIGITS.match(s):
        raise NumberError(raw, "not a number", "enter digits only")
    return ParsedNumber(float(s), percent, conv)


def file_convention(texts: list[str]) -> str | None:
    """The convention a file's text cells settle; raises when they contradict each other."""
    seen = {e for e in (evidence(t) for t in texts) if e}
    if len(seen) > 1:
        vi = next(t for t in texts if evidence(t) == "vi")
        pl = next(t for t in texts if evidence(t) == "plain")
        raise NumberError(f"{vi} / {pl}", "the file mixes Vietnamese (28.603,61) and plain "
                          "(28603.61) number formats", "write every number the same way")
    return seen.pop() if seen else None


def format_number(value: float | None, decimals: int = 2, lang: str = "vi",
                  missing: str = "–") -> str:
    """28603.61 -> '28.603,61' (vi) or '28,603.61' (en). None/NaN -> `missing`."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return missing
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return text


COUNT_UNITS = {"người", "vụ", "giấy", "xã", "trường", "đạt/không"}


def quantity_decimals(unit: str, value: float) -> int:
    """Counts are whole; large amounts get one decimal, the rest two."""
    if unit.strip() in COUNT_UNITS:
        return 0
    return 1 if abs(value) >= 1000 else 2


def format_quantity(value: float | None, unit: str, lang: str = "vi") -> str:
    """A figure in its unit's usual precision: 22 vụ, 2.455,2 tỷ đồng, 81,69 %."""
    if value is None or not math.isfinite(value):
        return "–"
    return format_number(value, quantity_decimals(unit, value), lang)


def format_plan(value: float | None, unit: str, lang: str = "vi") -> str:
    """A plan figure with at least the precision the plan gives it: 28603.61 tỷ đồng stays
    '28.603,61' (format_quantity would print 28.603,6, not the figure the plan sets)."""
    if value is None or not math.isfinite(value):
        return "–"
    given = repr(float(value)).split(".")[1].rstrip("0") if "e" not in repr(float(value)) \
        else ""
    return format_number(value, max(quantity_decimals(unit, value), min(len(given), 4)), lang)


def shown_quantity(value: float | None, unit: str) -> float:
    """The figure as format_quantity prints it (1.373,6 giấy -> 1374): a percentage
    computed from it agrees with the reader's own division of the printed figures."""
    if value is None or not math.isfinite(value):
        return math.nan
    return float(f"{value:.{quantity_decimals(unit, value)}f}")
