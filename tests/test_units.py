"""Units, roll-ups, the July 2025 reorganisation and revised targets (issue #6)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_lib.common.errors import KpiError, ValidationFailed
from kpi_lib.common.paths import DATA_DIR, SAMPLE_DIR
from kpi_lib.engine.pipeline import run_assessment, unit_grid
from kpi_lib.inputs.data import load_dataset
from kpi_lib.inputs.ingest import check_file
from kpi_lib.inputs.sample import generate
from kpi_lib.inputs.tidy import at_vintage, ytd_table
from kpi_lib.plan.catalog import load_catalog
from kpi_lib.plan.units import load_registry

from .conftest import edited_catalog, entry, run_kpi

UNITS = DATA_DIR / "units"
OLD = ["CHAUO", "BINHTHANH_A", "BINHCHANH", "BINHDUONG", "BINHNGUYEN", "BINHTRUNG", "BINHLONG",
       "BINHTHUAN", "BINHDONG", "BINHTRI", "BINHHAI", "BINHHOA", "BINHPHUOC", "BINHHIEP",
       "BINHTHANH_B", "BINHTANPHU", "BINHCHAU", "BINHMY", "BINHCHUONG_OLD", "BINHKHUONG",
       "BINHAN", "BINHMINH_OLD"]
NEW = ["BINHSON_X", "VANTUONG", "DONGSON", "BINHCHUONG", "BINHMINH"]


@pytest.fixture(scope="module")
def area(catalog):
    return load_dataset(catalog, str(SAMPLE_DIR))


@pytest.fixture(scope="module")
def truth():
    """The district series the synthetic communes were split from."""
    ytd, monthly = ytd_table(at_vintage(generate(communes=False)))
    return ytd, monthly


@pytest.fixture(scope="module")
def raw():
    return at_vintage(pd.read_csv(SAMPLE_DIR / "observations.csv", dtype={"period": str}))


# ---------------------------------------------------------------- registry
def test_real_registry_matches_the_resolution():
    """22 old units -> 5 communes, as Nghị quyết 1677/NQ-UBTVQH15 says; Tịnh Hòa from outside."""
    reg = load_registry(UNITS / "binh_son_2025_units.csv", UNITS / "binh_son_2025_crosswalk.csv")
    assert sorted(u.code for u in reg.members_at("BINHSON", 2025, 6)) == sorted(OLD)
    assert sorted(u.code for u in reg.members_at("BINHSON", 2025, 7)) == sorted(NEW)
    groups = {new: sorted(link.from_unit for link in reg.predecessors(new)) for new in NEW}
    assert [len(groups[n]) for n in NEW] == [7, 6, 5, 2, 3]
    assert "TINHHOA" in groups["DONGSON"] and reg.units["TINHHOA"].parent != "BINHSON"
    assert all(link.effective == date(2025, 7, 1) for link in reg.links)
    mapping = pd.read_csv(Path(__file__).parents[2] / "shared" / "realdata"
                          / "binh_son_2025_commune_mapping.csv") \
        if (Path(__file__).parents[2] / "shared" / "realdata").is_dir() else None
    if mapping is not None:  # the shared copy of the real mapping, when present
        assert mapping["n_old_units_from_binh_son_district"].tolist() == [7, 6, 4, 2, 3]


@pytest.mark.parametrize(("units", "cross", "words"), [
    (("code,name_vi,name_en,level,parent,valid_from,valid_to,note\nA,Xã A,,commune,,,,\n"
     "A,Xã A,,commune,,,,\n"), None, "duplicate unit code"),
    ("code,name_vi,name_en,level,parent,valid_from,valid_to,note\nA,Xã A,,village,,,,\n",
     None, "unknown level"),
    ("code,name_vi,name_en,level,parent,valid_from,valid_to,note\nA,Xã A,,commune,ZZ,,,\n",
     None, "parent 'ZZ'"),
    ("code,name_vi,name_en,level,parent,valid_from,valid_to,note\nA,Xã A,,commune,,,30/06/2025,\n",
     None, "not a date"),
    (("code,name_vi,name_en,level,parent,valid_from,valid_to,note\nA,Xã A,,commune,,,2025-06-30,\n"
     "B,Xã B,,commune,,2025-07-01,,\n"),
     "from_unit,to_unit,effective,share,basis\nA,B,2025-07-01,0.7,x\nA,C,2025-07-01,0.6,x\n",
     "unit not in the registry"),
    (("code,name_vi,name_en,level,parent,valid_from,valid_to,note\nA,Xã A,,commune,,,2025-06-30,\n"
     "B,Xã B,,commune,,2025-07-01,,\nC,Xã C,,commune,,2025-07-01,,\n"),
     "from_unit,to_unit,effective,share,basis\nA,B,2025-07-01,0.7,x\nA,C,2025-07-01,0.6,x\n",
     "add up to 1.3"),
    (("code,name_vi,name_en,level,parent,valid_from,valid_to,note\nA,Xã A,,commune,,,2025-06-30,\n"
     "B,Xã B,,commune,,2025-07-01,,\n"),
     "from_unit,to_unit,effective,share,basis\nA,B,2025-08-01,1,x\n", "the day after valid_to"),
])
def test_bad_registry_files_name_file_row_and_fix(tmp_path, units, cross, words):
    (tmp_path / "u.csv").write_text(units, encoding="utf-8")
    if cross:
        (tmp_path / "c.csv").write_text(cross, encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        load_registry(tmp_path / "u.csv", tmp_path / "c.csv" if cross else None)
    text = str(err.value)
    assert words in text and ".csv" in text and "->" in text


def test_ingest_refuses_a_unit_outside_its_lifetime(tmp_path, catalog):
    path = tmp_path / "communes.csv"
    path.write_text("indicator_id,unit_code,period,value,value_type\n"
                    "T21,DONGSON,2025-05,10,month\nT21,CHAUO,2025-08,4,month\n"
                    "T21,DONGSON,2025-08,12,month\nT21,NOWHERE,2025-08,1,month\n",
                    encoding="utf-8")
    result = check_file(path, catalog, today=date(2025, 10, 1))
    errors = {p.row: str(p) for p in result.problems.errors}
    assert set(errors) == {2, 3, 5}
    assert "DONGSON did not exist in 2025-05" in errors[2] and "crosswalk" in errors[2]
    assert "CHAUO did not exist in 2025-08" in errors[3]
    assert "unknown unit code" in errors[5]


# ---------------------------------------------------------------- roll-up rules
def test_district_totals_equal_the_sum_of_communes_for_flows(area, truth, raw):
    """Before the change the area is exactly the sum of the 22 old units, to the unit."""
    _, true_monthly = truth
    for iid in ("T21", "T19a"):
        rows = raw[(raw["indicator_id"] == iid) & raw["unit_code"].isin(OLD)]
        _, commune_monthly = ytd_table(rows)
        by_year = commune_monthly.groupby(level="year").sum(min_count=1)
        for year in range(2020, 2026):
            months = range(1, 13) if year < 2025 else range(1, 7)
            got = area.monthly.loc[(iid, "BINHSON", year), list(months)].to_numpy()
            summed = by_year.loc[year, list(months)].to_numpy()
            expected = true_monthly.loc[(iid, "BINHSON", year), list(months)].to_numpy()
            np.testing.assert_allclose(got, summed, atol=1e-9)
            np.testing.assert_allclose(got, expected, atol=1e-9)


def test_rate_rolls_up_through_numerator_and_denominator(area, raw):
    """T16 for the area is insured ÷ population, not the mean of the communes' rates."""
    june = raw[(raw["period"] == "2025-06") & raw["unit_code"].isin(OLD)]
    insured = june[june["indicator_id"] == "P_INSURED"].set_index("unit_code")["value"]
    pop = june[june["indicator_id"] == "P_POP"].set_index("unit_code")["value"]
    rates = 100 * insured / pop
    area_rate = area.readings.query("indicator_id == 'T16' and year == 2025 and month == 6")
    value = float(area_rate["value"].iloc[0])
    assert value == pytest.approx(100 * insured.sum() / pop.sum(), abs=1e-9)
    assert abs(value - rates.mean()) > 0.3  # populations differ, so the naive mean is off
    assert pop.max() / pop.min() > 2


def test_percentages_cannot_be_summed_and_ratio_needs_its_parts(tmp_path):
    def edit(doc):
        entry(doc, "T16")["rollup"] = "sum"
        entry(doc, "T20")["rollup"] = {"method": "ratio", "numerator": "X_NUM"}

    path = edited_catalog(tmp_path, edit)
    with pytest.raises(ValidationFailed) as err:
        load_catalog(path)
    text = str(err.value)
    assert "a percentage cannot be rolled up by sum" in text
    assert "rollup ratio needs 'denominator'" in text


def test_indicator_that_cannot_roll_up_uses_only_the_areas_own_figures(area, raw):
    """T20 (rollup: none) for the area is exactly what was reported for the area."""
    own = raw[(raw["indicator_id"] == "T20") & (raw["unit_code"] == "BINHSON")]
    got = area.obs[area.obs["indicator_id"] == "T20"]
    assert sorted(got["value"]) == sorted(own["value"])


def test_weighted_rollup_uses_weights_from_the_data(tmp_path):
    """A rate with no numerator is averaged with the weights the data gives, not plainly."""
    def weighted(doc):
        entry(doc, "T20")["rollup"] = {"method": "weighted", "weight": "P_POP"}

    cat = load_catalog(edited_catalog(tmp_path, weighted))
    rows = [("T20", "CHAUO", 90.0, 30000), ("T20", "BINHAN", 60.0, 10000)]
    data = tmp_path / "d"
    data.mkdir()
    frame = pd.DataFrame([
        *[{"indicator_id": i, "unit_code": u, "period": "2024-03", "value": v,
           "value_type": "level", "reported_at": "2024-04-05", "source": "t", "file_sha256": ""}
          for i, u, v, _ in rows],
        *[{"indicator_id": "P_POP", "unit_code": u, "period": "2024-03", "value": w,
           "value_type": "level", "reported_at": "2024-04-05", "source": "t", "file_sha256": ""}
          for _, u, _, w in rows]])
    # Only two units report: the month is incomplete for the 22-unit area...
    frame.to_csv(data / "observations.csv", index=False)
    with pytest.raises(KpiError, match="T20 2024-03: left out, no usable figure from"):
        load_dataset(cat, str(data))
    # ...but for an area of exactly those two, the weighted mean is 82.5, not 75.
    units = tmp_path / "u.csv"
    units.write_text("code,name_vi,name_en,level,parent,valid_from,valid_to,note\n"
                     "AREA,Vùng,,area,,,,\nCHAUO,Châu Ổ,,town,AREA,,,\nBINHAN,Bình An,,commune,AREA,,,\n",
                     encoding="utf-8")
    def two_units(doc):
        weighted(doc)
        doc["catalog"].update(units_file=str(units), default_unit="AREA")
        doc["catalog"].pop("crosswalk_file")

    ds = load_dataset(load_catalog(edited_catalog(tmp_path, two_units)), str(data))
    value = ds.obs.loc[ds.obs["indicator_id"] == "T20", "value"]
    assert value.tolist() == [pytest.approx(82.5)]


# ---------------------------------------------------------------- the reorganisation
def test_ytd_crossing_1_july_2025_is_continuous(area, truth, raw):
    """Old units' January–June plus the new communes' July on, minus Tịnh Hòa's part."""
    _true_ytd, true_monthly = truth
    for iid in ("T21", "T19a"):
        ytd = area.ytd.loc[(iid, "BINHSON", 2025), list(range(1, 10))].to_numpy()
        assert np.all(np.isfinite(ytd)) and np.all(np.diff(ytd) >= 0)
        got = area.monthly.loc[(iid, "BINHSON", 2025), [7, 8, 9]].to_numpy()
        want = true_monthly.loc[(iid, "BINHSON", 2025), [7, 8, 9]].to_numpy()
        # Naively adding the new communes counts Tịnh Hòa, which was never the district's.
        new = raw[(raw["indicator_id"] == iid) & raw["unit_code"].isin(NEW)]
        _, new_monthly = ytd_table(new)
        naive = new_monthly.groupby(level="year").sum().loc[2025, [7, 8, 9]].to_numpy()
        assert abs(got.sum() - want.sum()) < abs(naive.sum() - want.sum())
        assert abs(got.sum() - want.sum()) <= 0.05 * want.sum() + 2


def test_new_commune_history_is_rebased_on_its_predecessors(catalog, raw):
    """Đông Sơn's 2024 = its 5 predecessors' 2024 (Tịnh Hòa included: it is Đông Sơn now)."""
    ds = load_dataset(catalog, str(SAMPLE_DIR), unit="DONGSON")
    preds = ["BINHHIEP", "BINHTHANH_B", "BINHTANPHU", "BINHCHAU", "TINHHOA"]
    rows = raw[(raw["indicator_id"] == "T21") & raw["unit_code"].isin(preds)]
    ytd, _ = ytd_table(rows)
    assert ds.ytd.loc[("T21", "DONGSON", 2024), 12] == pytest.approx(
        ytd.xs(2024, level="year")[12].sum())
    months = ds.ytd.loc[("T21", "DONGSON", 2025), list(range(1, 10))].to_numpy()
    assert np.all(np.isfinite(months)) and np.all(np.diff(months) >= 0)


def test_outside_part_unknown_leaves_months_out_and_says_why(tmp_path, catalog):
    data = tmp_path / "d"
    shutil.copytree(SAMPLE_DIR, data)
    obs = pd.read_csv(data / "observations.csv", dtype={"period": str})
    obs[obs["unit_code"] != "TINHHOA"].to_csv(data / "observations.csv", index=False)
    ds = load_dataset(catalog, str(data))
    assert np.isnan(ds.monthly.loc[("T21", "BINHSON", 2025), 7])
    assert ds.monthly.loc[("T21", "BINHSON", 2025), 6] > 0
    assert any("part of Xã Đông Sơn" in n and "Tịnh Hòa" in n for n in ds.rollup_notes)


def test_unit_grid_judges_units_only_against_targets_that_apply(catalog):
    a = run_assessment(catalog, str(SAMPLE_DIR), "2025-09", use_ets=False)
    grid = unit_grid(a)
    assert sorted(set(grid["unit_code"])) == sorted(NEW)
    t21 = grid[grid["indicator_id"] == "T21"]
    assert (t21["status"] == "no_data").all() and t21["estimate"].notna().all()
    t16 = grid[grid["indicator_id"] == "T16"]
    assert (t16["target_value"] == 96).all() and t16["status"].ne("no_data").all()
    june = unit_grid(run_assessment(catalog, str(SAMPLE_DIR), "2025-06", use_ets=False))
    assert sorted(set(june["unit_code"])) == sorted(OLD)


# ---------------------------------------------------------------- revised targets
def _revised_catalog(tmp_path: Path, recorded: str | None = "2025-08-05") -> Path:
    revision = {"effective": "2025-08-01", "target": 1300,
                "decision": "Nghị quyết số 99/NQ-HĐND (ví dụ kiểm thử)"}
    if recorded:
        revision["recorded"] = recorded
    return edited_catalog(tmp_path, lambda doc: entry(doc, "T21").update(revisions=[revision]),
                          "revised.yaml")


def _row(a, iid):
    return a.table.set_index("indicator_id").loc[iid]


def test_revised_target_changes_status_only_from_its_effective_date(tmp_path, catalog):
    revised = load_catalog(_revised_catalog(tmp_path))
    for month, changed in (("2025-07", False), ("2025-08", True), ("2025-09", True)):
        before = _row(run_assessment(catalog, str(SAMPLE_DIR), month, use_ets=False), "T21")
        after = run_assessment(revised, str(SAMPLE_DIR), month, use_ets=False)
        row = _row(after, "T21")
        assert row["target_value"] == (1300 if changed else 1740)
        assert (row["status"] != before["status"]) == changed, month
        assert ("T21" in after.catalog.revision_notes) == changed
    from kpi_lib.outputs import render

    text = render.revisions_html(after, "vi")
    assert "từ 1.740 thành 1.300 giấy" in text and "99/NQ-HĐND" in text and "01/08/2025" in text


def test_past_report_is_reproduced_for_an_earlier_vintage(tmp_path, catalog):
    """Same vintage, same table, even after new figures and a later-recorded revision."""
    data = tmp_path / "d"
    shutil.copytree(SAMPLE_DIR, data)
    first = run_assessment(catalog, str(data), "2025-08", vintage="2025-08-31", use_ets=False)
    # Later: July figures corrected, September arrives, the target is revised (recorded 10/09).
    obs = pd.read_csv(data / "observations.csv", dtype={"period": str})
    late = obs[(obs["indicator_id"] == "T21") & (obs["period"] == "2025-08")].copy()
    late["value"] = late["value"] + 40
    late["reported_at"] = "2025-09-10"
    pd.concat([obs, late]).to_csv(data / "observations.csv", index=False)
    revised = load_catalog(_revised_catalog(tmp_path, recorded="2025-09-10"))
    again = run_assessment(revised, str(data), "2025-08", vintage="2025-08-31", use_ets=False)
    cols = ["indicator_id", "estimate", "lo80", "hi80", "p_meet", "status", "target_value"]
    pd.testing.assert_frame_equal(first.table[cols], again.table[cols])
    now = run_assessment(revised, str(data), "2025-08", use_ets=False)
    assert _row(now, "T21")["target_value"] == 1300
    assert _row(now, "T21")["actual_to_date"] != _row(first, "T21")["actual_to_date"]


def test_bad_revision_is_refused(tmp_path):
    path = edited_catalog(tmp_path, lambda doc: entry(doc, "T21").update(
        revisions=[{"effective": "2025-08-01", "target": 1300}]))
    with pytest.raises(ValidationFailed, match=r"revisions\[1\]: missing .decision."):
        load_catalog(path)


# ---------------------------------------------------------------- runs per unit, local and Dask
def test_unknown_unit_is_a_clear_error(catalog):
    with pytest.raises(KpiError, match="unknown unit code"):
        load_dataset(catalog, str(SAMPLE_DIR), unit="HANOI")


def test_dask_path_produces_the_same_reports_as_the_local_one(tmp_path):
    distributed = pytest.importorskip("distributed")
    args = ["backfill", "--from", "2025-09", "--to", "2025-09", "--units", "DONGSON,BINHSON",
            "--quiet", "--data", str(SAMPLE_DIR)]
    local = run_kpi(*args, "--out", tmp_path / "local", "--jobs", "2")
    assert local.returncode == 0, local.stderr
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = run_kpi(*args, "--out", tmp_path / "dask", "--executor", "dask",
                         "--scheduler", cluster.scheduler_address)
    assert remote.returncode == 0, remote.stderr
    assert "per minute" in remote.stdout
    for name in ("2025-09_DONGSON", "2025-09"):  # the area is published as the month
        a = pd.read_csv(tmp_path / "local" / name / "summary.csv")
        b = pd.read_csv(tmp_path / "dask" / name / "summary.csv")
        pd.testing.assert_frame_equal(a, b)
        assert (tmp_path / "dask" / name / "monthly_report.html").stat().st_size > 10_000
    assert "Xã Đông Sơn" in (tmp_path / "dask" / "2025-09_DONGSON" / "monthly_report.html"
                             ).read_text(encoding="utf-8")
    index = (tmp_path / "dask" / "index.html").read_text(encoding="utf-8")
    assert 'href="2025-09_DONGSON/monthly_report.html"' in index  # listed under its month
    assert "1 báo cáo theo đơn vị" in index


def test_dask_without_a_reachable_scheduler_is_a_clear_error(tmp_path):
    result = run_kpi("backfill", "--from", "2025-09", "--to", "2025-09", "--executor", "dask",
                     "--scheduler", "tcp://127.0.0.1:1", "--out", tmp_path / "r", "--quiet")
    assert result.returncode == 2
    assert "cannot reach the Dask scheduler" in result.stderr and "Traceback" not in result.stderr


def test_a_split_unit_is_rebased_by_its_shares(tmp_path):
    """X split 60/40 into Y and Z on 1 July: Y's history is 0.6 × X; the area stays whole."""
    (tmp_path / "u.csv").write_text(
        "code,name_vi,name_en,level,parent,valid_from,valid_to,note\n"
        "A,Vùng A,,area,,,,\nX,Xã X,,commune,A,,2025-06-30,\n"
        "Y,Xã Y,,commune,A,2025-07-01,,\nZ,Xã Z,,commune,A,2025-07-01,,\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text(
        "from_unit,to_unit,effective,share,basis\nX,Y,2025-07-01,0.6,test\n"
        "X,Z,2025-07-01,0.4,test\n", encoding="utf-8")
    cat = load_catalog(edited_catalog(tmp_path, lambda doc: doc["catalog"].update(
        units_file=str(tmp_path / "u.csv"), crosswalk_file=str(tmp_path / "c.csv"),
        default_unit="A")))
    rows = [("X", f"{y}-{m:02d}", 10.0 * m) for y in (2024, 2025) for m in range(1, 13)
            if (y, m) <= (2025, 6)]
    rows += [("Y", f"2025-{m:02d}", 7.0 * m) for m in (7, 8, 9)]
    rows += [("Z", f"2025-{m:02d}", 3.0 * m) for m in (7, 8, 9)]
    data = tmp_path / "d"
    data.mkdir()
    pd.DataFrame([{"indicator_id": "T21", "unit_code": u, "period": p, "value": v,
                   "value_type": "month", "reported_at": "2025-10-05", "source": "t",
                   "file_sha256": ""} for u, p, v in rows]).to_csv(data / "observations.csv",
                                                                   index=False)
    y = load_dataset(cat, str(data), unit="Y")
    assert y.monthly.loc[("T21", "Y", 2024)].tolist() == pytest.approx([6.0 * m for m in
                                                                        range(1, 13)])
    assert y.monthly.loc[("T21", "Y", 2025), [6, 7]].tolist() == pytest.approx([36.0, 49.0])
    whole = load_dataset(cat, str(data))
    assert whole.monthly.loc[("T21", "A", 2025), [6, 7, 8, 9]].tolist() == pytest.approx(
        [60.0, 70.0, 80.0, 90.0])


# ---------------------------------------------------------------- a unit's report: who and what
@pytest.mark.parametrize("unit", OLD + NEW)
def test_a_units_heading_says_how_it_stands_to_the_plans_area(catalog, unit):
    """Never "Huyện Bình Sơn – Xã Đông Sơn": Đông Sơn took in Tịnh Hòa, never part of the
    district, so its heading says its figures cover more than the area's part; every other
    unit is said to lie within the area's figures."""
    from kpi_lib.outputs.report_setup import report_setup, unit_issuer_missing, unit_scope
    from kpi_lib.plan.units import registry_for

    registry = registry_for(catalog)
    name, scope = unit_scope(catalog, registry, unit)
    assert name == registry.name(unit) and "Huyện Bình Sơn" not in scope
    if unit == "DONGSON":
        assert scope.startswith("chỉ một phần thuộc phạm vi số liệu của địa bàn huyện Bình Sơn")
        assert "xã Tịnh Hòa (trước 01/7/2025 thuộc thành phố Quảng Ngãi)" in scope
    else:
        assert scope == "thuộc phạm vi số liệu của địa bàn huyện Bình Sơn (cũ)"
    assert unit_scope(catalog, registry, catalog.default_unit) == ("", "")
    # The shipped catalog has no issuer of its own for any unit: placeholder, and a hint.
    for month in range(1, 13):
        assert report_setup(catalog, month, unit).issuer.name == "[CƠ QUAN BAN HÀNH]"
    assert f"units: [{unit}]" in unit_issuer_missing(catalog, unit)


def test_a_unit_run_warns_how_to_set_its_issuer_and_the_page_names_the_unit(tmp_path):
    """`kpi run --unit DONGSON`: the run says which issuer is missing and how to add it; the
    page and the Word are headed by the unit with its scope, issued by the placeholder."""
    from docx import Document

    result = run_kpi("run", "--as-of", "2025-09", "--unit", "DONGSON", "--data", SAMPLE_DIR,
                     "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issuer in settings.report.issuers lists DONGSON" in result.stderr
    assert "units: [DONGSON]" in result.stderr
    page = (tmp_path / "2025-09_DONGSON" / "monthly_report.html").read_text(encoding="utf-8")
    assert "<b>Xã Đông Sơn</b> (chỉ một phần thuộc phạm vi số liệu" in page
    assert "Huyện Bình Sơn</b> – Xã Đông Sơn" not in page
    docx = next((tmp_path / "2025-09_DONGSON").glob("*.docx"))
    text = "\n".join(p.text for p in Document(docx).paragraphs)
    cells = "\n".join(c.text for t in Document(docx).tables for r in t.rows for c in r.cells)
    assert "[CƠ QUAN BAN HÀNH]" in cells and "BÌNH SƠN" not in cells
    assert "xã Bình Sơn" not in text and "TM. ỦY BAN NHÂN DÂN" not in cells
    assert "[cơ quan ban hành] báo cáo" in text
    assert "[THẨM QUYỀN KÝ]" in cells and "[Họ và tên người ký]" in cells  # where to sign
