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


class ValidationFailed(KpiError):
    """A file (or several) failed validation; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = [p for p in problems if p.severity == "error"]
        self.notes = [p for p in problems if p.severity != "error"]
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found; nothing was written"
        body = "\n".join(f"  - {p}" for p in self.problems)
        Exception.__init__(self, f"{head}\n{body}")
        self.problem = Problem(message=head)


@dataclass
class ProblemList:
    """Collects problems while a file is read, so validation reports all of them at once."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, fix: str = "", **where: object) -> None:
        self.problems.append(Problem(message=message, fix=fix, **where))  # type: ignore[arg-type]

    def note(self, message: str, **where: object) -> None:
        self.problems.append(Problem(message=message, severity="note", **where))  # type: ignore[arg-type]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def notes(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]
