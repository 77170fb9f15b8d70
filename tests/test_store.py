"""The columnar store (issue 22) and what its check must catch (issue 23's store part):
migration from the CSV store, part checksums, damaged or missing parts, vintage reads
pushed into the files, check against a rebuild, file modes, clear errors."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi_lib.common.errors import KpiError
from kpi_lib.common.paths import SAMPLE_DIR
from kpi_lib.inputs import parts as parts_module
from kpi_lib.inputs.data import load_dataset
from kpi_lib.inputs.ingest import ingest_files
from kpi_lib.inputs.rebuild import check_store, rebuild_store, rebuilt_rows
from kpi_lib.inputs.store import (
    DataSource,
    Store,
    StoreDamaged,
    read_log,
    remember_catalog,
    remembered_catalog,
)
from kpi_lib.inputs.tidy import OBS_COLUMNS

from .conftest import run_kpi
from .legacy import legacy_store

HEAD = "indicator_id,period,value,value_type,reported_at\n"


def _csv(path: Path, body: str) -> Path:
    path.write_text(HEAD + body, encoding="utf-8")
    return path


@pytest.fixture
def columnar(tmp_path, catalog) -> Store:
    st_ = Store(tmp_path / "store")
    files = [_csv(tmp_path / "a.csv", "T10,2025-01,100,month,2025-02-05\n"
                                      "T21,2025-01,121.6,ytd,2025-02-05\n"),
             _csv(tmp_path / "b.csv", "T10,2025-02,120,month,2025-03-05\n"
                                      "T10,2025-01,95,month,2025-03-06\n")]  # a correction
    assert all(r.ok for r in ingest_files(files, catalog, st_))
    return st_


def _parts(store: Store) -> list[Path]:
    return sorted((store.root / "parts").glob("*.parquet"))


# ---------------------------------------------------------------- migration
def test_a_csv_store_from_the_sample_migrates_with_identical_reports(tmp_path, catalog):
    from kpi_lib.engine.assess import assess
    from kpi_lib.engine.forecast import forecast_all

    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)

    def report() -> pd.DataFrame:
        ds = load_dataset(catalog, str(data), vintage="2025-10-20")
        return assess(forecast_all(ds, 9, use_ets=False, cache_dir=""), ds)

    before_rows = Store(data).read(latest=False)
    before = report()
    late = _csv(tmp_path / "late.csv", "T10,2025-09,1,month,2025-10-25\n")  # after the vintage
    assert ingest_files([late], catalog, Store(data))[0].added == 1
    assert Store(data).columnar and not (data / "observations.csv").exists()
    kept = list(data.glob("observations.csv.migrated-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == (SAMPLE_DIR / "observations.csv").read_bytes()
    after_rows = Store(data).read(latest=False)
    pd.testing.assert_frame_equal(after_rows.iloc[:len(before_rows)], before_rows)
    pd.testing.assert_frame_equal(report(), before)
    assert check_store(data, catalog).ok


def test_a_legacy_store_keeps_its_log_and_raw_copies_through_migration(tmp_path, catalog):
    root = legacy_store(tmp_path / "s", [_csv(tmp_path / "a.csv",
                                              "T10,2025-01,100,month,2025-02-05\n")], catalog)
    old_log = read_log(root)
    assert ingest_files([_csv(tmp_path / "b.csv", "T10,2025-02,1,month,2025-03-05\n")],
                        catalog, Store(root))[0].added == 1
    log = read_log(root)
    assert list(log["kind"]) == ["", "migration", "ingest"]
    assert list(log["file_sha256"][:1]) == list(old_log["file_sha256"])
    again = ingest_files([tmp_path / "a.csv"], catalog, Store(root))[0]
    assert again.skipped_duplicate_file  # a file of the legacy store is still known
    assert check_store(root, catalog).ok


# ---------------------------------------------------------------- parts and their checksums
def test_each_ingest_is_one_part_recorded_with_its_sha256_and_rows(columnar):
    log = read_log(columnar.root)
    assert len(_parts(columnar)) == 2 and list(log["rows"]) == ["2", "2"]
    for entry, part in zip(log.to_dict("records"), _parts(columnar), strict=True):
        assert entry["part"] == part.name
        assert entry["part_sha256"] == parts_module.sha256_of(part)


@pytest.mark.parametrize("damage", ["flip", "missing", "swap"])
def test_a_damaged_or_missing_part_is_refused_and_rebuilt(columnar, catalog, damage):
    before = columnar.read(latest=False)
    first, second = _parts(columnar)
    if damage == "flip":
        data = bytearray(first.read_bytes())
        data[len(data) // 2] ^= 0xFF
        first.write_bytes(bytes(data))
    elif damage == "missing":
        first.unlink()
    else:
        first.write_bytes(second.read_bytes())
    with pytest.raises(StoreDamaged) as info:
        columnar.read()
    assert "ingest_log.csv" in str(info.value) and "kpi store rebuild" in str(info.value)
    assert not check_store(columnar.root, catalog).ok
    kept, files, rows = rebuild_store(columnar.root, catalog)
    assert (files, rows) == (2, 4) and (kept / "ingest_log.csv").is_file()
    pd.testing.assert_frame_equal(columnar.read(latest=False), before)
    assert check_store(columnar.root, catalog).ok


def test_cli_check_rebuild_and_load_on_a_damaged_part(columnar):
    part = _parts(columnar)[0]
    part.write_bytes(part.read_bytes()[:-10])
    load = run_kpi("load", "--data", columnar.root)
    assert load.returncode != 0 and "Traceback" not in load.stderr
    assert "sha256" in load.stderr
    assert run_kpi("store", "check", "--data", columnar.root).returncode == 1
    assert run_kpi("store", "rebuild", "--data", columnar.root).returncode == 0
    assert run_kpi("store", "check", "--data", columnar.root).returncode == 0


# ---------------------------------------------------------------- vintages, pushed down
def test_vintage_reads_see_what_was_known_then(columnar):
    jan = columnar.read(vintage="2025-03-05", indicators={"T10"})
    assert jan.set_index("period")["value"].to_dict() == {"2025-01": 100, "2025-02": 120}
    latest = columnar.read(indicators={"T10"})
    assert latest.set_index("period")["value"].to_dict() == {"2025-01": 95, "2025-02": 120}
    assert columnar.read(vintage="2025-02-04").empty


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(vintage=st.sampled_from([None, "2025-02-05", "2025-03-05", "2025-03-06"]),
       years=st.sampled_from([None, (2024, 2025), (2026, 2027)]),
       indicators=st.sampled_from([None, {"T10"}, {"T21"}, {"T10", "T21"}, set()]),
       units=st.sampled_from([None, {"BINHSON"}, {"NOSUCH"}]))
def test_reads_pushed_into_the_parts_equal_filtering_everything(columnar, vintage, years,
                                                               indicators, units):
    everything = columnar.read(latest=False)
    keep = pd.Series(True, index=everything.index)
    if years:
        keep &= everything["period"].str.slice(0, 4).astype(int).between(*years)
    if indicators is not None:
        keep &= everything["indicator_id"].isin(indicators)
    if units is not None:
        keep &= everything["unit_code"].isin(units)
    from kpi_lib.inputs.tidy import at_vintage

    want = at_vintage(everything[keep].reset_index(drop=True), vintage)
    got = columnar.read(vintage=vintage, years=years, indicators=indicators, units=units)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True),
                                  check_dtype=False, check_categorical=False)


@pytest.fixture(scope="module")
def many_parts(tmp_path_factory) -> Store:
    """Five parts in row groups of 16 rows: corrections across parts, one report date in
    several parts (the later ingest wins), a date written four ways, unreadable as a
    date once, month, ytd and annual figures of one period, Vietnamese unit codes."""
    tmp_path = tmp_path_factory.mktemp("many")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parts_module, "ROW_GROUP", 16)
        return _many_parts(tmp_path)


def _many_parts(tmp_path: Path) -> Store:
    rng = np.random.default_rng(5)
    store = Store(tmp_path / "many")
    dates = ["2025-02-05", "2025-03-05", "2025-03-05T00:00:00", "2025-03-05 00:00:00+00:00",
             "2025-03-06T10:00:00+07:00", "2025-04-01", "không rõ"]
    for n in range(5):
        k = 80
        rows = pd.DataFrame({
            "indicator_id": rng.choice(["T10", "T21", "Z9", "A1"], k),
            "unit_code": rng.choice(["U1", "U2", "U10", "Đà", "Ấp"], k),
            "period": rng.choice(["2024-12", "2025-01", "2025-02", "2025", "2025-Q1"], k),
            "value": rng.integers(0, 5, k).astype(float),
            "value_type": rng.choice(["month", "ytd", "annual"], k),
            "reported_at": rng.choice(dates[:-1] if n != 3 else dates, k),
            "source": f"f{n}.csv"})
        rows = rows.drop_duplicates(["indicator_id", "unit_code", "period", "value_type"])
        source = tmp_path / f"f{n}.csv"
        rows.to_csv(source, index=False)
        store.append(rows, source, parts_module.sha256_of(source))
    return store


WAYS = {"one slot per figure": {}, "in blocks": {"BLOCK": 3},
        "sorted": {"DENSE": 0, "BLOCK": 0}, "wide keys": {"DENSE": 0, "BLOCK": 0, "WIDE": 0}}


@pytest.mark.parametrize("vintage", [None, "2025-03-05", "2025-03-06", "2025-02-01"])
@pytest.mark.parametrize("units,indicators", [(None, None), ({"U1", "Đà"}, {"A1", "Z9"}),
                                              ({"U3"}, None)])
def test_latest_reports_chosen_in_the_parts_are_exactly_at_vintage(
        many_parts, vintage, units, indicators, monkeypatch):
    """The read picks each figure's latest report on integer codes (one slot per figure,
    or a sort when the figures are sparse); it must give the very frame (rows, order,
    dtypes, categories) that tidy.at_vintage gives on every row read, every way."""
    everything = many_parts.read(latest=False, categorical=True)
    for way, settings_ in WAYS.items():
        for categorical in (True, False):
            with monkeypatch.context() as patch:
                for name, value in settings_.items():
                    patch.setattr(parts_module, name, value)
                _latest_is_at_vintage(many_parts, everything, vintage, categorical, units,
                                      indicators, f"{way}, categorical={categorical}")


def _latest_is_at_vintage(many_parts, everything, vintage, categorical, units, indicators,
                          way):
    from kpi_lib.inputs.store import vintage_cutoff
    from kpi_lib.inputs.tidy import at_vintage

    cutoff = vintage_cutoff(vintage)
    keep = pd.Series(True, index=everything.index)
    if cutoff is not None:
        keep &= parts_module.reported_timestamps(everything["reported_at"]) <= cutoff
    if units is not None:
        keep &= everything["unit_code"].isin(units)
    if indicators is not None:
        keep &= everything["indicator_id"].isin(indicators)
    read = everything[keep].reset_index(drop=True)
    read = read.astype({c: "category" for c in OBS_COLUMNS if c != "value"})
    for column in read.columns.drop("value"):  # a read's categories: the values it holds
        read[column] = read[column].cat.remove_unused_categories()
    want = at_vintage(read, cutoff) if len(read) else read
    want = want.astype({c: "category" if categorical else str
                        for c in OBS_COLUMNS if c != "value"})
    got = many_parts.read(vintage=vintage, units=units, indicators=indicators,
                          categorical=categorical)
    if want.empty:
        assert got.empty and list(got.columns) == OBS_COLUMNS, way
        return
    assert got["reported_at"].nunique() > 1 or vintage == "2025-03-05", way
    pd.testing.assert_frame_equal(got, want, check_exact=True, obj=way)


def test_a_read_of_some_units_skips_the_other_row_groups(many_parts):
    paths = [many_parts.root / "parts" / str(e["part"]) for _, e in many_parts.parts()]
    every = sum(len(f.row_groups) for f in parts_module._dataset(paths, None, None)
                .get_fragments())
    some = sum(len(f.row_groups) for f in parts_module._dataset(paths, None, {"U2"})
               .get_fragments())
    none = list(parts_module._dataset(paths, {"ZZ"}, None).get_fragments())
    assert every >= 5 * 3 and 0 < some < every / 2 and none == []


# ---------------------------------------------------------------- check = rebuild
def _rebuilt(root: Path, catalog, work: Path) -> pd.DataFrame:
    log = read_log(root)
    expected, problems = rebuilt_rows(root, catalog, log, work)
    assert not problems
    return pd.concat([e["rows"] for e in expected], ignore_index=True)


def _same_as_rebuild(store: Store, catalog, work: Path) -> bool:
    try:
        mine = store.read(latest=False)
    except (StoreDamaged, KpiError):
        return False
    want = _rebuilt(store.root, catalog, work)
    from kpi_lib.inputs.rebuild import _same

    return _same(mine, want)


LEGACY_DAMAGE = {
    "last lines lost at a line end": lambda b: b[:b.rstrip(b"\n").rindex(b"\n") + 1],
    "one value edited": lambda b: b.replace(b",121.6,", b",12.16,"),
    "one line deleted": lambda b: b.replace(b"T10,BINHSON,2025-01,100.0", b"", 1).replace(
        b"\n\n", b"\n"),
    "an altered line appended": lambda b: b + b.splitlines(keepends=True)[1].replace(
        b",100.0,", b",1000.0,"),
}


@pytest.mark.parametrize("damage", sorted(LEGACY_DAMAGE))
def test_check_fails_on_a_legacy_store_whose_report_would_differ(tmp_path, catalog, damage):
    root = legacy_store(tmp_path / "s", [
        _csv(tmp_path / "a.csv", "T10,2025-01,100,month,2025-02-05\n"
                                 "T21,2025-01,121.6,ytd,2025-02-05\n"),
        _csv(tmp_path / "b.csv", "T10,2025-02,120,month,2025-03-05\n")], catalog)
    assert check_store(root, catalog).ok
    obs = root / "observations.csv"
    obs.write_bytes(LEGACY_DAMAGE[damage](obs.read_bytes()))
    assert not check_store(root, catalog).ok
    rebuild_store(root, catalog)
    assert check_store(root, catalog).ok


def _damage_columnar(root: Path, kind: str, pick: int) -> None:
    parts = sorted((root / "parts").glob("*.parquet"))
    log = root / "ingest_log.csv"
    raws = sorted((root / "raw").iterdir())
    if kind == "part byte":
        path = parts[pick % len(parts)]
        data = bytearray(path.read_bytes())
        data[pick % len(data)] ^= 0x01
        path.write_bytes(bytes(data))
    elif kind == "part removed":
        parts[pick % len(parts)].unlink()
    elif kind == "log line removed":
        lines = log.read_text().splitlines(keepends=True)
        del lines[1 + pick % (len(lines) - 1)]
        log.write_text("".join(lines))
    elif kind == "log cut":
        log.write_bytes(log.read_bytes()[:-(1 + pick % 80)])
    elif kind == "log rows edited":
        log.write_text(log.read_text().replace(",2,", ",3,", 1))
    elif kind == "raw copy edited":
        path = raws[pick % len(raws)]
        path.write_bytes(path.read_bytes().replace(b"120", b"121"))
    elif kind == "part replaced by another file's":
        parts[0].write_bytes(parts[-1].read_bytes())


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["part byte", "part removed", "log line removed", "log cut",
                             "log rows edited", "raw copy edited",
                             "part replaced by another file's", "none"]),
       pick=st.integers(0, 10_000))
def test_check_fails_whenever_the_store_differs_from_a_rebuild(columnar, catalog, tmp_path,
                                                               kind, pick):
    work = tmp_path / f"w-{kind}-{pick}".replace(" ", "_")
    shutil.copytree(columnar.root, work / "s")
    store = Store(work / "s")
    _damage_columnar(store.root, kind, pick)
    report = check_store(store.root, catalog)
    raw_ok = all(parts_module.sha256_of(store.root / "raw" / e["raw_copy"]) == e["file_sha256"]
                 for e in read_log(store.root).to_dict("records"))
    if raw_ok:
        (work / "r").mkdir()
        differs = not _same_as_rebuild(store, catalog, work / "r")
        assert not (differs and report.ok), (kind, pick)
    else:
        assert not report.ok  # no rebuild to compare with: the check says so
    if kind == "none":
        assert report.ok


def test_a_part_whose_log_line_was_lost_is_kept_and_named(columnar, catalog, tmp_path):
    log = columnar.root / "ingest_log.csv"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text(lines[0] + lines[2])  # the first file's line is lost
    orphan = _parts(columnar)[0]
    assert not check_store(columnar.root, catalog).ok
    ingest_files([_csv(tmp_path / "c.csv", "T10,2025-03,1,month,2025-04-05\n")], catalog,
                 columnar)
    assert orphan.is_file()  # not taken for a killed ingest's leftover
    assert any("no log line" in p.message for p in check_store(columnar.root, catalog).problems)


# ---------------------------------------------------------------- files, modes, errors
def test_every_write_keeps_the_file_modes_of_a_shared_store(columnar, catalog, tmp_path):
    shared = stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IWGRP  # 0o660
    for path in [columnar.root / "ingest_log.csv", columnar.root / "dataset.yaml",
                 *_parts(columnar), *(columnar.root / "raw").iterdir()]:
        os.chmod(path, shared)
    os.chmod(columnar.root, 0o2770)
    assert ingest_files([_csv(tmp_path / "c.csv", "T10,2025-03,1,month,2025-04-05\n")],
                        catalog, columnar)[0].added == 1
    remember_catalog(columnar.root, catalog.path)
    for path in [columnar.root / "ingest_log.csv", columnar.root / "dataset.yaml",
                 *_parts(columnar), *(columnar.root / "raw").iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == shared, path


def test_a_store_that_cannot_be_written_is_a_clear_error(columnar, catalog, tmp_path,
                                                         monkeypatch):
    before = columnar.read(latest=False)

    def denied(rows, path):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr("kpi_lib.inputs.store.write_part", denied)
    result = ingest_files([_csv(tmp_path / "c.csv", "T10,2025-03,1,month,2025-04-05\n")],
                          catalog, columnar)[0]
    assert not result.ok and "permission denied" in str(result.problems.errors[0])
    assert "group-writable" in str(result.problems.errors[0])
    monkeypatch.undo()
    pd.testing.assert_frame_equal(columnar.read(latest=False), before)
    assert not list(columnar.root.rglob("*.tmp"))


def test_rebuild_on_a_full_disk_leaves_nothing_behind(columnar, catalog, monkeypatch):
    before = columnar.read(latest=False)
    listing = sorted(p.relative_to(columnar.root) for p in columnar.root.rglob("*"))

    def full(rows, path):
        Path(path).write_bytes(b"PAR1")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("kpi_lib.inputs.rebuild.write_part", full)
    with pytest.raises(KpiError, match="No space left"):
        rebuild_store(columnar.root, catalog)
    monkeypatch.undo()
    assert sorted(p.relative_to(columnar.root) for p in columnar.root.rglob("*")) == listing
    assert not list(columnar.root.glob("damaged-*"))
    pd.testing.assert_frame_equal(columnar.read(latest=False), before)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_a_dataset_yaml_that_is_not_a_mapping_is_a_clear_error(columnar, catalog, text):
    (columnar.root / "dataset.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KpiError, match="dataset.yaml"):
        load_dataset(catalog, str(columnar.root))
    for command in (["store", "check"], ["load"], ["forecast", "--no-ets"]):
        result = run_kpi(*command, "--data", columnar.root, "--catalog", catalog.path)
        assert result.returncode != 0 and "Traceback" not in result.stderr, command
        assert "dataset.yaml" in result.stderr, command


def test_a_moved_store_still_finds_its_catalog(tmp_path, catalog):
    shutil.copy(catalog.path, tmp_path / "plan.yaml")
    store = tmp_path / "office" / "store"
    store.mkdir(parents=True)
    remember_catalog(store, tmp_path / "plan.yaml")
    both = tmp_path.parent / f"{tmp_path.name}-copy"
    shutil.copytree(tmp_path, both)  # store and catalog moved together: the relative path
    moved = tmp_path / "elsewhere" / "deeper" / "store"
    moved.parent.mkdir(parents=True)
    shutil.move(store, moved)  # the store alone: the absolute path
    assert remembered_catalog(moved) == (tmp_path / "plan.yaml").resolve()
    (tmp_path / "plan.yaml").unlink()
    found = DataSource(both / "office" / "store", "given").catalog
    assert found == (both / "plan.yaml").resolve()


# ---------------------------------------------------------------- export
def test_export_writes_every_vintage_as_csv_and_xlsx(columnar, tmp_path):
    from openpyxl import load_workbook

    assert run_kpi("store", "export", "--data", columnar.root, "--out",
                   tmp_path / "t.csv").returncode == 0
    table = pd.read_csv(tmp_path / "t.csv", dtype={"period": str})
    assert list(table.columns) == OBS_COLUMNS and len(table) == 4
    assert run_kpi("store", "export", "--data", columnar.root, "--format", "xlsx", "--out",
                   tmp_path / "t.xlsx", "--vintage", "2025-03-05").returncode == 0
    ws = load_workbook(tmp_path / "t.xlsx").active
    assert ws.auto_filter.ref == "A1:H4" and ws.max_row == 4
    values = [ws.cell(row=r, column=4).value for r in range(2, 5)]
    assert all(isinstance(v, (int, float)) for v in values) and 121.6 in values


@pytest.mark.parametrize("fmt", ["columnar", "legacy"])
def test_every_vintage_of_a_figure_known_by_a_date_is_read_the_same_in_both_formats(
        tmp_path, catalog, fmt):
    """`read(vintage, latest=False)` lists every report of a figure received by the vintage
    (end of that day, or the instant given) and none after, whatever the store's format:
    the data-quality page's list of corrections reads it so."""
    from kpi_lib.outputs.quality import revisions

    files = [_csv(tmp_path / "a.csv", "T10,2025-05,100,month,2025-06-05\n"),
             _csv(tmp_path / "b.csv", "T10,2025-05,95,month,2025-08-20T10:00:00\n"),
             _csv(tmp_path / "c.csv", "T10,2025-05,96,month,2025-09-01\n")]
    root = tmp_path / "s"
    if fmt == "legacy":
        legacy_store(root, files, catalog)
    else:
        ingest_files(files, catalog, Store(root))
    st = Store(root)
    assert st.columnar == (fmt == "columnar")
    for vintage, values in [("2025-06-04", []), ("2025-06-05", [100]),
                            ("2025-08-20T09:59:59", [100]), ("2025-08-20", [100, 95]),
                            ("2025-08-31", [100, 95]), (None, [100, 95, 96])]:
        rows = st.read(vintage, latest=False).sort_values("reported_at")
        assert rows["value"].tolist() == values, vintage
        ds = load_dataset(catalog, str(root), vintage=vintage) if values else None
        if ds is not None:  # corrections listed as known on the report's date
            listed = revisions(ds)["value"].tolist()
            assert listed == (values if len(values) > 1 else []), vintage


def test_copies_of_a_dataset_share_its_tables_but_not_other_observations(catalog):
    """The pipeline narrows the catalog with dataclasses.replace: the year-to-date tables of
    a national store are built once, and a copy with other figures builds its own."""
    from dataclasses import replace

    ds = load_dataset(catalog)
    narrowed = replace(ds, catalog=catalog)
    assert narrowed.ytd is ds.ytd and narrowed.readings is ds.readings
    fewer = replace(ds, obs=ds.obs.iloc[: len(ds.obs) // 2])
    assert fewer.ytd is not ds.ytd and len(fewer.ytd) < len(ds.ytd)
    assert ds.first_month() <= ds.latest_month()


def test_a_part_with_missing_text_is_read_the_general_way(tmp_path):
    """kpi never writes a null text cell, but a part written by another tool may hold one:
    the read then takes pandas' way (tidy.at_vintage) instead of failing."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from kpi_lib.inputs.tidy import at_vintage

    rows = pd.DataFrame({"indicator_id": ["T10", "T10", "T21"], "unit_code": ["U", "U", "U"],
                         "period": ["2025-01", "2025-01", "2025-01"], "value": [1.0, 2.0, 3.0],
                         "value_type": ["month"] * 3,
                         "reported_at": ["2025-02-01", "2025-03-01", "2025-02-01"],
                         "source": ["a", "b", "c"], "file_sha256": ["x"] * 3})
    table = parts_module.to_table(rows)
    source = table.column("source").combine_chunks()
    nulled = pa.DictionaryArray.from_arrays(pa.array([0, None, 2], pa.int32()),
                                            source.dictionary)
    table = table.set_column(table.schema.get_field_index("source"), "source", nulled)
    pq.write_table(table, tmp_path / "p.parquet")
    everything = parts_module.read_parts([tmp_path / "p.parquet"])
    latest = parts_module.read_parts([tmp_path / "p.parquet"], latest=True)
    assert everything["source"].isna().sum() == 1
    pd.testing.assert_frame_equal(latest, at_vintage(everything))
    assert latest["value"].tolist() == [2.0, 3.0]
