"""Faults and hostile files (issue #14): nothing lost, nothing silently wrong.

Each test reproduces one reported failure; the numbers in the names follow the issue.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.common.errors import KpiError, ProblemList, ValidationFailed, summarise
from kpi_lib.inputs.ingest import check_file, ingest_files
from kpi_lib.inputs.readers import parse_date
from kpi_lib.inputs.rebuild import check_store, rebuild_store
from kpi_lib.inputs.store import Store, StoreDamaged

from .conftest import run_kpi

TODAY = date(2026, 1, 15)
HEAD = "indicator_id,period,value,value_type,reported_at\n"


def _csv(path: Path, body: str, head: str = HEAD) -> Path:
    path.write_text(head + body, encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path, catalog) -> Store:
    st = Store(tmp_path / "store")
    first = _csv(tmp_path / "first.csv", "T10,2025-01,100,month,2025-02-05\n"
                                         "T21,2025-01,50.98,ytd,2025-02-05\n")
    assert all(r.ok for r in ingest_files([first], catalog, st))
    return st


# ---------------------------------------------------------------- 1. no final newline
def test_1_store_without_final_newline_is_not_corrupted_by_the_next_ingest(tmp_path, store,
                                                                           catalog):
    obs = store.observations_path
    obs.write_bytes(obs.read_bytes().rstrip(b"\n"))  # as a text editor may save it
    assert len(store.read(latest=False)) == 2
    second = _csv(tmp_path / "second.csv", "T10,2025-02,120,month,2025-03-05\n")
    results = ingest_files([second], catalog, store)
    assert results[0].ok and results[0].added == 1
    frame = store.read(latest=False)
    assert frame["value"].tolist() == [100, 50.98, 120]
    assert check_store(store.root, catalog).ok


# ---------------------------------------------------------------- 2. day-first dates
@pytest.mark.parametrize("text, iso", [("01/11/25", "2025-11-01"),
                                       ("01/11/2025 08:30", "2025-11-01T08:30:00"),
                                       ("01-11-2025 08:30:15", "2025-11-01T08:30:15"),
                                       ("01.11.25", "2025-11-01"),
                                       ("01/11/2025", "2025-11-01"),
                                       ("2025-11-01", "2025-11-01T00:00:00")])
def test_2_dates_are_read_day_first_in_every_form(text, iso):
    assert parse_date(text) == iso


def test_2_a_day_first_date_that_is_not_a_date_is_refused_not_guessed():
    assert parse_date("31/02/2025") is None
    assert parse_date("13/25/2025") is None


def test_2_a_correction_sent_on_1_november_beats_the_original(tmp_path, catalog):
    st = Store(tmp_path / "s")
    a = _csv(tmp_path / "a.csv", "T10,2025-09,100,month,15/10/2025\n")
    b = _csv(tmp_path / "b.csv", "T10,2025-09,90,month,01/11/25\n")
    assert all(r.ok for r in ingest_files([a, b], catalog, st))
    assert st.read()["value"].tolist() == [90]


# ---------------------------------------------------------------- 3. future or early dates
@pytest.mark.parametrize("reported", ["2099-01-01", "31/12/9999", "01/01/1500"])
def test_3_a_reported_at_in_the_future_or_absurd_is_refused(tmp_path, catalog, reported):
    path = _csv(tmp_path / "f.csv", f"T10,2025-09,100,month,{reported}\n")
    result = check_file(path, catalog, today=TODAY)
    assert not result.ok
    assert result.problems.errors[0].column == "reported_at"


def test_3_tomorrow_is_tolerated_and_before_the_period_is_refused(tmp_path, catalog):
    ok = _csv(tmp_path / "ok.csv", "T10,2025-09,100,month,2026-01-16\n")
    assert check_file(ok, catalog, today=TODAY).ok
    early = _csv(tmp_path / "e.csv", "T10,2025-Q3,100,ytd,2025-06-30\n")
    result = check_file(early, catalog, today=TODAY)
    assert not result.ok and "before the period" in str(result.problems.errors[0])


# ---------------------------------------------------------------- 4. the store is checked
def _damage(store: Store, text: bytes) -> None:
    store.observations_path.write_bytes(text)


@pytest.mark.parametrize("edit, where", [
    (lambda b: b[:b.rindex(b"50.98") + 2], "row 3"),                   # truncated last line
    (lambda b: b.replace(b",100.0,", b",abc,"), "row 2, column value"),
    (lambda b: b.replace(b"2025-01,100.0", b"2025-13,100.0"), "row 2, column period"),
    (lambda b: b.replace(b",month,", b",monthly,"), "row 2, column value_type"),
    (lambda b: b + b"T10,BINHSON,2025-03,1,month,2025-04-01,x,,extra\n", "row 4"),
    (lambda b: b + b"garbage\n", "row 4"),
    (lambda b: b"", "empty"),
    (lambda b: b"\x00\x01\x02binary" + b, "binary"),
    (lambda b: b.replace(b"2025-02-05", b"yesterday", 1), "row 2, column reported_at"),
])
def test_4_a_damaged_store_is_refused_with_the_line(store, catalog, edit, where):
    _damage(store, edit(store.observations_path.read_bytes()))
    with pytest.raises(StoreDamaged) as info:
        store.read()
    assert where in str(info.value)
    assert "kpi store rebuild" in str(info.value)
    assert not check_store(store.root, catalog).ok


def test_4_an_unknown_unit_in_the_store_is_named_with_its_line(store, catalog):
    from kpi_lib.inputs.data import load_dataset

    text = store.observations_path.read_text(encoding="utf-8")
    store.observations_path.write_text(text.replace("T10,BINHSON", "T10,NOSUCH"),
                                       encoding="utf-8")
    with pytest.raises(StoreDamaged) as info:
        load_dataset(catalog, str(store.root))
    assert "row 2, column unit_code: a unit the registry does not know" in str(info.value)


def test_4_store_rebuild_restores_the_store_from_raw_copies(tmp_path, store, catalog):
    second = _csv(tmp_path / "second.csv", "T10,2025-02,120,month\n",  # reported_at: default
                  head="indicator_id,period,value,value_type\n")
    assert ingest_files([second], catalog, store)[0].ok
    before = store.read(latest=False)
    _damage(store, store.observations_path.read_bytes()[:-30])
    with pytest.raises(StoreDamaged):
        store.read()
    kept, files, rows = rebuild_store(store.root, catalog)
    assert (files, rows) == (2, 3) and kept is not None and kept.is_file()
    pd.testing.assert_frame_equal(store.read(latest=False), before)
    assert check_store(store.root, catalog).ok


def test_4_cli_store_check_and_rebuild(tmp_path, store):
    assert run_kpi("store", "check", "--data", store.root).returncode == 0
    _damage(store, store.observations_path.read_bytes().replace(b",100.0,", b",abc,"))
    load = run_kpi("load", "--data", store.root)
    assert load.returncode == 2 and "Traceback" not in load.stderr
    assert "row 2, column value" in load.stderr
    check = run_kpi("store", "check", "--data", store.root)
    assert check.returncode == 1 and "row 2, column value" in check.stderr
    rebuilt = run_kpi("store", "rebuild", "--data", store.root)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert run_kpi("store", "check", "--data", store.root).returncode == 0


# ---------------------------------------------------------------- problem lists
def test_repeated_problems_collapse_and_the_list_stops_with_a_count():
    problems = ProblemList(limit=50)
    for row in range(2, 2000):
        problems.add("not a number", file="big.csv", row=row, column="value", value="x",
                     fix="enter a number")
    assert problems.full and problems.dropped == 1998 - 50
    lines = problems.summary()
    assert len(lines) == 2
    assert "[50 times; rows 2, 3" in lines[0]
    assert lines[1] == "… và 1.948 lỗi khác / and 1,948 more"
    many = [KpiError(f"problem {i}").problem for i in range(30)]
    text = summarise(many, limit=20)
    assert len(text) == 21 and text[-1].startswith("… và 10 lỗi khác")
    assert str(ValidationFailed(many)).count("\n") == 21
