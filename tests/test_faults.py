"""Faults and hostile files (issue #14): nothing lost, nothing silently wrong.

Each test reproduces one reported failure; the numbers in the names follow the issue.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.common.errors import KpiError, ProblemList, ValidationFailed, summarise
from kpi_lib.inputs.ingest import check_file, ingest_files
from kpi_lib.inputs.readers import parse_date
from kpi_lib.inputs.rebuild import check_store, rebuild_store
from kpi_lib.inputs.store import Store, StoreDamaged
from kpi_lib.runner import publish
from kpi_lib.runner.publish import sweep_stale

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


# ---------------------------------------------------------------- 5. kills while publishing
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _report(folder: Path, text: str, owner_host: str | None = None, pid: int | None = None,
            complete: bool = False) -> Path:
    folder.mkdir(parents=True)
    (folder / "summary.csv").write_text(text, encoding="utf-8")
    if owner_host:
        (folder / publish.OWNER).write_text(json.dumps({"host": owner_host, "pid": pid}))
    if complete:
        (folder / publish.COMPLETE).write_text("")
    return folder


@pytest.mark.parametrize("complete, expected", [(True, "new"), (False, "old")])
def test_5_a_kill_between_the_two_renames_loses_no_month(tmp_path, complete, expected):
    pid = _dead_pid()
    _report(tmp_path / f".old-2025-09-{pid}-1", "old")  # the first rename happened
    _report(tmp_path / f".tmp-2025-09-{pid}-1", "new", publish.host(), pid, complete)
    sweep_stale(tmp_path)
    assert (tmp_path / "2025-09" / "summary.csv").read_text() == expected
    assert not list(tmp_path.glob(".old-*")) and not list(tmp_path.glob(".tmp-*"))
    assert not (tmp_path / "2025-09" / publish.COMPLETE).exists()


def test_5_sigint_or_sigterm_cannot_fall_between_the_renames(tmp_path, monkeypatch):
    _report(tmp_path / "2025-09", "old")
    new = _report(tmp_path / ".tmp-2025-09-1-1", "new")
    real = os.replace

    def signalled(src, dst):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C (the CLI maps SIGTERM to the same)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", signalled)
    with pytest.raises(KeyboardInterrupt):
        publish.swap_into_place(new, tmp_path / "2025-09")
    monkeypatch.undo()
    assert (tmp_path / "2025-09" / "summary.csv").read_text() == "new"


def test_5_a_kill_after_ingest_commit_keeps_the_raw_copy_and_the_log(tmp_path, store, catalog,
                                                                      monkeypatch):
    second = _csv(tmp_path / "second.csv", "T10,2025-02,120,month,2025-03-05\n")
    real = os.replace

    def killed(src, dst):
        if str(dst).endswith("second.csv"):  # the raw copy, renamed after the commit
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest_files([second], catalog, store)
    monkeypatch.undo()
    assert len(store.read(latest=False)) == 3  # committed
    again = ingest_files([second], catalog, store)
    assert again[0].skipped_duplicate_file
    raw = list((store.root / "raw").glob("*second.csv"))
    assert len(raw) == 1 and raw[0].read_bytes() == second.read_bytes()
    assert not list((store.root / "raw").glob("*.tmp"))
    assert len(pd.read_csv(store.root / "ingest_log.csv")) == 2
    assert check_store(store.root, catalog).ok


# ---------------------------------------------------------------- 6. one run, one snapshot
def test_6_a_run_reads_one_snapshot_even_when_an_ingest_lands_mid_run(tmp_path, catalog,
                                                                        monkeypatch):
    import shutil

    from kpi_lib.common.paths import SAMPLE_DIR
    from kpi_lib.runner import monthly

    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)
    seen = {}

    def execute(name, folder, parameters, kernel="python3"):  # an ingest lands mid-run
        late = _csv(tmp_path / "late.csv", "T10,2025-09,1,month,2025-10-20\n")
        assert ingest_files([late], catalog, Store(data))[0].added == 1
        snap = Path(parameters["data_dir"])
        seen["rows"] = len(Store(snap).read(latest=False))
        raise KpiError("stop here")

    monkeypatch.setattr(monthly, "execute", execute)
    before = len(Store(data).read(latest=False))
    with pytest.raises(KpiError, match="stop here"):
        monthly.run_month(as_of="2025-09", data=str(data), out=tmp_path / "out",
                          notebooks=("monthly_report",))
    assert seen["rows"] == before
    assert len(Store(data).read(latest=False)) == before + 1


def test_6_a_snapshot_names_what_it_is_a_copy_of(tmp_path, store):
    from kpi_lib.inputs.snapshot import take_snapshot
    from kpi_lib.inputs.store import DataSource

    snap = take_snapshot(DataSource(store.root, "store"), tmp_path / "snap")
    described = DataSource(snap, "given").describe()
    assert described.startswith(f"working store: {store.root} (snapshot ")


# ---------------------------------------------------------------- 7. shared reports folder
def test_7_another_hosts_live_run_is_never_swept(tmp_path):
    pid = _dead_pid()  # dead here, but it is another host's pid
    theirs = _report(tmp_path / f".tmp-2025-09-{pid}-1", "running", "another-host", pid)
    mine = _report(tmp_path / f".tmp-2025-08-{pid}-1", "killed", publish.host(), pid)
    sweep_stale(tmp_path)
    assert theirs.is_dir() and not mine.exists()
    assert any("killed" in p.name for p in (tmp_path / "_failed").iterdir())


def test_7_two_runs_of_one_month_publish_without_colliding(tmp_path):
    errors = []

    def publish_many(tag: str) -> None:
        try:
            for i in range(15):
                work = _report(tmp_path / f".tmp-2025-09-{tag}-{i}", f"{tag}{i}")
                publish.swap_into_place(work, tmp_path / "2025-09")
        except Exception as exc:  # noqa: BLE001 - the test reports any
            errors.append(exc)

    threads = [threading.Thread(target=publish_many, args=(t,)) for t in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert (tmp_path / "2025-09" / "summary.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".lock")) == [
        "2025-09"]


def test_7_publishing_locks_work_across_processes(tmp_path):
    """A second process cannot take a month's lock while this one holds it."""
    code = ("import sys, datetime; from pathlib import Path; from kpi_lib.runner import publish;"
            "publish.LOCK_TIMEOUT = datetime.timedelta(seconds=1);"
            "\ntry:\n with publish.locked(Path(sys.argv[1]), '2025-09'): print('got it')"
            "\nexcept Exception as e: print(type(e).__name__)")
    with publish.locked(tmp_path, "2025-09"):
        held = subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False,
                              capture_output=True,
                              text=True, timeout=60)
    free = subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False,
                              capture_output=True,
                          text=True, timeout=60)
    assert held.stdout.strip() == "KpiError" and free.stdout.strip() == "got it"
