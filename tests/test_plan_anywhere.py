"""Any plan, any place: history of any age, back-filled history not late, messages that say
how to name the plan's area."""

from __future__ import annotations

from pathlib import Path

from kpi_lib.inputs.data import load_dataset
from kpi_lib.inputs.ingest import check_file, ingest_files
from kpi_lib.inputs.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


def _csv(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_history_of_any_age_is_accepted_and_later_years_refused(other_catalog, tmp_path):
    rows = "".join(f"J1,{y}-01,{10 + y % 7}\n" for y in (1990, 2000, 2010, 2025))
    ok = check_file(_csv(tmp_path, "indicator_id,period,value\n" + rows), other_catalog)
    assert ok.ok, ok.problems.errors
    assert sorted(ok.rows["period"]) == ["1990-01", "2000-01", "2010-01", "2025-01"]
    later = check_file(_csv(tmp_path, "indicator_id,period,value\nJ1,2027-01,5\n", "g.csv"),
                       other_catalog)
    assert "after this catalog's year 2026" in str(later.problems.errors[0])


def test_backfilled_history_is_not_late(other_catalog, tmp_path):
    """Months sent without reported_at are stamped at ingest; a month that had ended before
    the store's first ingest is back-fill, not a late report."""
    from kpi_lib.outputs.quality import late_figures

    store = tmp_path / "store"
    rows = "".join(f"J1,2026-{m:02d},{20 + m}\n" for m in range(1, 4))
    dated = "J1,2026-04,30,month,2026-06-30\n"  # a real report date, 61 days after April
    ingest_files([_csv(tmp_path, "indicator_id,period,value\n" + rows)], other_catalog,
                 Store(store))
    ingest_files([_csv(tmp_path, "indicator_id,period,value,value_type,reported_at\n" + dated,
                       "late.csv")], other_catalog, Store(store))
    late = late_figures(load_dataset(other_catalog, str(store)))
    assert list(late["period"]) == ["2026-04"]
