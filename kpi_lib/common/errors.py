"""Errors that carry structured fields, so the CLI can print them without a traceback.

Every user-facing problem names where it is (file, sheet, row, column), what was seen,
and what to do about it. `KpiError` is the one exception type the CLI catches and prints;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located precisely enough to fix it."""

    message: str
    fix: str = ""
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: object = None
    severity: str = "error"  # "error" rejects the file; "note" reports a normalisation

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.value is not None and self.value != "":
            text += f" (value seen: {self.value!r})"
        if self.fix:
            text += f" -> {self.fix}"
        return text


class KpiError(Exception):
    """A user error: bad input, bad setting, bad parameter. Printed, never a traceback."""

    def __init__(self, message: str, fix: str = "", **where: object) -> None:
        self.problem = Problem(message=message, fix=fix, **where)  # type: ignore[arg-type]
        super().__init__(str(self.problem))


MAX_SHOWN = 20  # problem lines printed; the rest are counted ("… and 12,345 more")
COLLAPSE_FROM = 3  # one problem seen in this many rows or more is printed as one line
MAX_KEPT = 1000  # problems kept in memory per input; a reader stops when it is reached


def summarise(problems: list[Problem], extra: int = 0, limit: int = MAX_SHOWN) -> list[str]:
    """Problem lines for people: repeats of one problem (same message, column and fix in
    the same file) collapsed into one line naming the rows, and at most `limit` lines, then
    "… và 12.345 lỗi khác / and 12,345 more". A 50 MB file with a million bad cells must
    give a message someone reads, not 8 MB of text."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.file, p.sheet, p.column, p.message, p.fix), []).append(p)
    lines = []
    for same in groups.values():
        if len(same) < COLLAPSE_FROM:
            lines += [str(p) for p in same]
            continue
        rows = [str(p.row) for p in same if p.row is not None]
        shown = ", ".join(rows[:8]) + (f" … ({len(rows)} rows)" if len(rows) > 8 else "")
        values = {repr(p.value) for p in same}
        first = Problem(**{**same[0].__dict__, "row": None,
                           "value": same[0].value if len(values) == 1 else None})
        lines.append(f"{first} [{len(same)} times" + (f"; rows {shown}]" if rows else "]"))
    rest = len(lines) - limit + extra if len(lines) > limit else extra
    lines = lines[:limit]
    if rest > 0:
        vi = format(rest, ",").replace(",", ".")
        lines.append(f"… và {vi} lỗi khác / and {rest:,} more")
    return lines


class ValidationFailed(KpiError):
    """A file (or several) failed validation; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem], head: str | None = None, extra: int = 0) -> None:
        self.problems = [p for p in problems if p.severity == "error"]
        self.notes = [p for p in problems if p.severity != "error"]
        n = len(self.problems) + extra
        head = head or f"{n} problem{'s' if n != 1 else ''} found; nothing was written"
        body = "\n".join(f"  - {line}" for line in summarise(self.problems, extra))
        Exception.__init__(self, f"{head}\n{body}")
        self.problem = Problem(message=head)


@dataclass
class ProblemList:
    """Collects problems while a file is read, so validation reports all of them at once."""

    problems: list[Problem] = field(default_factory=list)
    dropped: int = 0  # errors counted but not kept, past MAX_KEPT
    limit: int = MAX_KEPT
    kept: int = 0

    def add(self, message: str, fix: str = "", **where: object) -> None:
        if self.full:
            self.dropped += 1
            return
        self.problems.append(Problem(message=message, fix=fix, **where))  # type: ignore[arg-type]
        self.kept += 1

    @property
    def full(self) -> bool:
        """Enough errors to reject the input: readers may stop reading (and say so)."""
        return self.kept >= self.limit

    def summary(self, limit: int = MAX_SHOWN) -> list[str]:
        return summarise(self.errors, self.dropped, limit)

    def note(self, message: str, **where: object) -> None:
        self.problems.append(Problem(message=message, severity="note", **where))  # type: ignore[arg-type]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def notes(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]
