"""Any plan, any place: history of any age, back-filled history not late, messages that say
how to name the plan's area."""

from __future__ import annotations

from pathlib import Path

from kpi_lib.common.paths import PROJECT_ROOT
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


def test_store_remembers_its_catalog(other_catalog, tmp_path):
    from .conftest import run_kpi

    store = tmp_path / "store"
    rows = "".join(f"J1,{y}-{m:02d},{20 + m}\n" for y in (2025, 2026) for m in range(1, 13)
                   if (y, m) < (2026, 6))
    src = _csv(tmp_path, "indicator_id,period,value\n" + rows)
    result = run_kpi("ingest", src, "--data", store, "--catalog", FIXTURES / "catalog_other.yaml")
    assert result.returncode == 0, result.stderr
    # No --catalog: the store's own, not Bình Sơn's (which would not know J1).
    result = run_kpi("load", "--data", store)
    assert result.returncode == 0, result.stderr
    assert "2026-05" in result.stdout
    # Ingesting with another catalog into it is refused, saying which one it holds.
    result = run_kpi("ingest", src, "--data", store, "--catalog",
                     PROJECT_ROOT / "data" / "catalog" / "binh_son_2025.yaml")
    assert result.returncode == 2 and "catalog_other.yaml" in result.stderr


def test_unknown_unit_says_how_to_name_the_area(tmp_path):
    from kpi_lib.plan.catalog import load_catalog

    path = tmp_path / "c.yaml"
    path.write_text("catalog: {id: x, year: 2030}\nindicators:\n  - {id: A, name_vi: A, "
                    "unit: người, kind: flow, rule: ge, target: 5}\n", encoding="utf-8")
    res = check_file(_csv(tmp_path, "indicator_id,unit_code,period,value\nA,XA1,2030-01,5\n"),
                     load_catalog(path))
    assert "use one of: ALL; to name the plan's area, set 'default_unit: CODE'" in str(
        res.problems.errors[0])


def test_notebook_defaults_name_no_catalog_specific_indicator(other_catalog):
    """A default like indicator_id = "T21" fails on any catalog but Bình Sơn's."""
    import json
    import re

    for path in (PROJECT_ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        params = "".join(next(("".join(c["source"]) for c in cells
                               if "parameters" in c.get("metadata", {}).get("tags", [])), ""))
        assert not re.search(r"indicator_id = \"", params), path.name
    assert other_catalog.get(None).id == "R1"  # None: the catalog's first target


def test_a_tidy_table_copied_in_as_the_store_says_how_to_bring_it_in(tmp_path):
    """data/README calls observations.csv 'the tidy table'; a user who copies a tidy CSV there
    is told to use kpi ingest, not to 'restore from backup'."""
    from .conftest import run_kpi

    store = tmp_path / "store"
    store.mkdir()
    (store / "observations.csv").write_text(
        "indicator_id,unit_code,period,value,value_type,reported_at,source\n"
        "T10,BINHSON,2025-01,120,month,2025-02-05,Phòng Nội vụ\n", encoding="utf-8")
    result = run_kpi("load", "--data", store)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "tidy table" in result.stderr and "kpi ingest" in result.stderr
