"""`kpi term`: the five-year plan's targets assessed as of a month, written as CSV, HTML
and Word (the term review), and the monthly report's section from the same results.

The year in progress takes the monthly engine's own estimate and interval (one assessment
of record); only when the as-of year is not the catalog's year (a past year of a term
reviewed later) is there no monthly estimate, and that year is then treated as not yet
known unless its figure was published by the vintage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..common.errors import KpiError
from ..common.files import replace_text
from ..engine.pipeline import assess_dataset
from ..engine.term import TermResult, assess_terms
from ..inputs.data import Dataset, load_dataset
from ..outputs.report_setup import received_by
from ..outputs.term_review import source_text, term_frame, term_html, write_term_docx
from ..plan.catalog import Catalog, load_catalog
from ..plan.term import load_terms
from .export import write_csv


@dataclass
class TermRun:
    catalog: Catalog
    dataset: Dataset
    as_of: str
    results: list[TermResult]

    @property
    def frame(self) -> pd.DataFrame:
        return term_frame(self.results)


def _month_end(as_of: str) -> str:
    return (pd.Period(as_of, "M").end_time).date().isoformat()


def assess_term(catalog: str | Catalog | None = None, data: str | None = None,
                as_of: str = "", vintage: str | None = None, use_ets: bool = True) -> TermRun:
    """The term targets as of `as_of` (YYYY-MM), with what was published by `vintage`
    (default: everything for a month of the catalog's year, as `kpi run`; the end of the
    month for an earlier one). The year in progress is `kpi run`'s own assessment, with the
    same methods (ETS on unless `use_ets` is False, as `kpi run --no-ets`)."""
    m = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", str(as_of or "").strip())
    if not m:
        raise KpiError("--as-of must be a month YYYY-MM", value=as_of, fix="e.g. --as-of 2025-09")
    if catalog is None:
        from ..inputs.store import remembered_catalog

        catalog = remembered_catalog(data)
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    terms = load_terms(cat)
    if not terms:
        raise KpiError("the catalog names no term file", file=str(cat.path),
                       fix="add 'term_file: FILE.yaml' under 'catalog:' (see docs/catalog.md)")
    year = int(m.group(1))
    if year > cat.year:
        raise KpiError(f"--as-of {as_of} is after the catalog's year {cat.year}", value=as_of,
                       fix="pass a month of the catalog's year or earlier")
    # Like `kpi run`: a month of the catalog's year sees the whole store (the monthly report
    # of that month says the same); an earlier month sees what was published by its end.
    if vintage is None and year < cat.year:
        vintage = _month_end(as_of)
    ds = load_dataset(cat, data, vintage=vintage)
    current = None
    if year == cat.year:
        try:
            current = assess_dataset(ds, as_of, None, vintage, use_ets).table
        except KpiError:
            current = None  # no figure of the year yet: the year counts as not yet known
    return TermRun(cat, ds, as_of, assess_terms(terms, cat, ds, year, as_of, current))


def write_term(run: TermRun, out: str | Path, fmt: str = "csv") -> list[Path]:
    """term_YYYY-MM.csv, or the review as .html and .docx; returns the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"term_{run.as_of}"
    if fmt == "csv":
        path = stem.with_suffix(".csv")
        write_csv(run.frame, path)
        return [path]
    if fmt != "html":
        raise KpiError("--format must be csv or html", value=fmt, fix="--format html")
    synthetic = bool(run.dataset.source.synthetic)
    source = source_text(run.dataset.source)  # the folder's name, never a server path
    received = received_by(run.dataset)  # both documents dated not before it
    page = stem.with_suffix(".html")
    replace_text(page, term_html(run.results, run.catalog, run.as_of, synthetic, source,
                                 received))
    doc = write_term_docx(run.results, run.catalog, run.as_of, synthetic,
                          stem.with_suffix(".docx"), received)
    return [page, doc]
