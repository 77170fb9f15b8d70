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
from .legacy import legacy_store

TODAY = date(2026, 1, 15)
HEAD = "indicator_id,period,value,value_type,reported_at\n"


def _csv(path: Path, body: str, head: str = HEAD) -> Path:
    path.write_text(head + body, encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path, catalog) -> Store:
    """A store in the legacy CSV format: its lines are what these tests damage (the
    columnar store's parts are tested in test_store.py)."""
    first = _csv(tmp_path / "first.csv", "T10,2025-01,100,month,2025-02-05\n"
                                         "T21,2025-01,50.98,ytd,2025-02-05\n")
    return Store(legacy_store(tmp_path / "store", [first], catalog))


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
    legacy_store(store.root, [second], catalog)
    before = store.read(latest=False)
    _damage(store, store.observations_path.read_bytes()[:-30])
    with pytest.raises(StoreDamaged):
        store.read()
    kept, files, rows = rebuild_store(store.root, catalog)
    assert (files, rows) == (2, 3) and (kept / "observations.csv").is_file()
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
        # Ctrl-C (the CLI maps SIGTERM to the same), sent to the main thread itself: sent to
        # the process, the kernel may hand it to another thread (pyarrow's, a kernel
        # client's) whose C handler runs only when that thread is next scheduled — on a
        # loaded machine after the swap has finished, and the test saw no interrupt.
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", signalled)
    with pytest.raises(KeyboardInterrupt):
        publish.swap_into_place(new, tmp_path / "2025-09")
    monkeypatch.undo()
    assert (tmp_path / "2025-09" / "summary.csv").read_text() == "new"


def test_5_a_kill_before_the_log_line_leaves_the_store_as_it_was(tmp_path, store, catalog,
                                                                 monkeypatch):
    second = _csv(tmp_path / "second.csv", "T10,2025-02,120,month,2025-03-05\n")
    ingest_files([_csv(tmp_path / "x.csv", "T10,2025-03,1,month,2025-04-05\n")], catalog,
                 store)  # migrated: a columnar store
    before = store.read(latest=False)

    def killed(self, fields):  # the part and the raw copy are written; the commit is not
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "_log", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest_files([second], catalog, store)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(store.read(latest=False), before)
    again = ingest_files([second], catalog, store)
    assert again[0].added == 1
    raw = list((store.root / "raw").glob("*second.csv"))
    assert len(raw) == 1 and raw[0].read_bytes() == second.read_bytes()
    assert not list(store.root.rglob("*.tmp"))
    assert len(list((store.root / "parts").glob("*.parquet"))) == 3
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


# ---------------------------------------------------------------- 8. bounded reading
def test_8_an_xlsx_zip_bomb_is_refused_at_once(tmp_path, catalog):
    import time
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<row>" + b" " * (80 * 2**20) + b"</row>")
    assert bomb.stat().st_size < 2**20
    start = time.perf_counter()
    result = check_file(bomb, catalog, today=TODAY)
    assert time.perf_counter() - start < 1.0
    assert not result.ok and "would inflate to 80 MiB" in str(result.problems.errors[0])


def test_8_a_big_bad_csv_stops_after_n_problems_with_a_short_message(tmp_path):
    big = tmp_path / "big.csv"
    big.write_text(HEAD + "T10,2025-01,x,month,2025-02-05\n" * 100_000, encoding="utf-8")
    result = run_kpi("validate", big, "--data", tmp_path / "none")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr) < 5_000
    assert "[1000 times; rows 2, 3" in result.stderr
    assert "stopped checking after 1,000 problems; 99,000 figure(s) not checked" in result.stdout
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(HEAD + "T10,2025-01,5\n" * 3000, encoding="utf-8")
    result = run_kpi("validate", ragged, "--data", tmp_path / "none")
    assert "3 fields where the header has 5" in result.stderr
    assert "lỗi khác / and 2,000 more" in result.stderr


# ---------------------------------------------------------------- 9. override text
def test_9_control_characters_are_cleaned_at_entry_and_refused_in_the_file(tmp_path, catalog):
    from kpi_lib.inputs.overrides import add_override, read_overrides

    row = add_override(tmp_path, catalog, "T08d", "2025-09", "on_track",
                       "Hồ sơ\x0bđã trình\x1b[0m tỉnh", "Nguyễn Văn A")
    assert row["reason"] == "Hồ sơ đã trình[0m tỉnh"
    path = tmp_path / "overrides.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("đã trình", "đã\x0btrình"),
                    encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"row 2, column reason: 'reason' holds control"):
        read_overrides(tmp_path, catalog)


def test_9_a_reason_starting_with_equals_is_refused_and_never_a_live_formula(tmp_path, catalog):
    from openpyxl import Workbook, load_workbook

    from kpi_lib.common.text import no_formulas
    from kpi_lib.inputs.overrides import add_override

    with pytest.raises(ValidationFailed, match="formula"):
        add_override(tmp_path, catalog, "T08d", "2025-09", "on_track", "=HYPERLINK(\"x\")",
                     "A")
    with pytest.raises(ValidationFailed, match="formula"):
        add_override(tmp_path, catalog, "T08d", "2025-09", "on_track", "ok", "=1+1")
    wb = Workbook()
    wb.active["A1"] = "=1+1"  # what pandas writes for such a text
    no_formulas(wb)
    wb.save(tmp_path / "x.xlsx")
    cell = load_workbook(tmp_path / "x.xlsx").active["A1"]
    assert cell.data_type == "s" and cell.value == "=1+1"


# ---------------------------------------------------------------- 10. NFD Vietnamese
def test_10_decomposed_vietnamese_is_read_like_composed(tmp_path, catalog, form):
    import unicodedata

    from openpyxl import load_workbook

    from kpi_lib.inputs.template import FIRST_ROW, MONTH_COL, SHEET

    nfd = lambda s: unicodedata.normalize("NFD", s)
    assert nfd("Số tháng") != "Số tháng"
    wb = load_workbook(form)
    ws = wb[SHEET]
    ws["C6"] = "05/10/2025"
    ws["C7"] = nfd("Số tháng")
    for r in range(FIRST_ROW, ws.max_row + 1):
        if ws.cell(r, 1).value == "T08d":
            ws.cell(r, MONTH_COL + 8).value = nfd("đạt")
    wb.save(form)
    result = check_file(form, catalog, today=TODAY)
    assert result.ok, result.problems.errors
    assert result.rows["value"].tolist() == [1.0]


@pytest.fixture
def form(tmp_path, catalog):
    from kpi_lib.inputs.template import write_template

    return write_template(catalog, 2025, tmp_path / "form.xlsx")


# ---------------------------------------------------------------- 11. malformed xlsx parts
def _rezip(form: Path, out: Path, change) -> Path:
    import zipfile

    with zipfile.ZipFile(form) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = change(item.filename, src.read(item.filename))
            if data is not None:
                dst.writestr(item, data)
    return out


@pytest.mark.parametrize("change", [
    lambda name, data: data[: len(data) // 2] if name.endswith("sheet1.xml") else data,
    lambda name, data: None if name.endswith("sheet1.xml") else data,
], ids=["broken-sheet-xml", "missing-sheet-part"])
def test_11_malformed_xlsx_parts_are_reported_and_the_batch_says_what_went_in(
        tmp_path, catalog, form, change):
    bad = _rezip(form, tmp_path / "bad.xlsx", change)
    good = _csv(tmp_path / "good.csv", "T10,2025-01,5,month,2025-02-05\n")
    st = Store(tmp_path / "s")
    results = ingest_files([bad, good], catalog, st)
    assert [r.ok for r in results] == [False, True] and results[1].added == 1
    message = str(results[0].problems.errors[0])
    assert message.startswith("bad.xlsx") and ("not a readable .xlsx workbook" in message
                                               or "sheet 'BaoCao' is missing" in message)


# ---------------------------------------------------------------- 12. disk full, read-only
def test_12_a_full_disk_is_a_clear_error_and_leaves_no_temporary_files(tmp_path, store,
                                                                       catalog, monkeypatch):
    import errno

    from .conftest import tree_checksum

    before = tree_checksum(store.root)
    real = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    a = _csv(tmp_path / "a.csv", "T10,2025-02,1,month,2025-03-05\n")
    b = _csv(tmp_path / "b.csv", "T10,2025-03,1,month,2025-04-05\n")
    results = ingest_files([a, b], catalog, store)
    monkeypatch.setattr(os, "fsync", real)
    assert "No space left on device" in str(results[0].problems.errors[0])
    assert "the batch stopped" in str(results[1].problems.errors[0])
    assert tree_checksum(store.root) == before
    assert not [p for p in store.root.rglob("*") if p.name.endswith(".tmp")]


def test_12_a_read_only_store_is_a_clear_error(tmp_path, catalog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    a = _csv(tmp_path / "a.csv", "T10,2025-02,1,month,2025-03-05\n")
    result = run_kpi("ingest", a, "--data", blocker / "store")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cannot write to the store" in result.stderr


# ---------------------------------------------------------------- 13. hand-edited overrides
def test_13_a_hand_edited_overrides_file_is_named_with_its_line(tmp_path, catalog):
    from kpi_lib.inputs.overrides import read_overrides

    (tmp_path / "overrides.csv").write_text(
        "indicator_id,month,unit_code,status,reason,by,recorded_at\n"
        "T08d,2025-09,,on_track,ok,A,2025-10-05T09:30:00+00:00\n"
        "T08d,2025-09,,at_risk,hồ sơ chậm, chưa trình,A,2025-10-06T09:30:00+00:00\n",
        encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        read_overrides(tmp_path, catalog)
    assert "overrides.csv, row 3: 8 fields where the header has 7" in str(info.value)
    (tmp_path / "observations.csv").write_text("x")
    listed = run_kpi("override", "--list", "--data", tmp_path)
    assert listed.returncode == 2 and "Traceback" not in listed.stderr
    assert "row 3" in listed.stderr


# ---------------------------------------------------------------- 14. smaller ones
def test_14_ragged_rows_and_absurd_magnitudes_are_refused(tmp_path, catalog):
    ragged = _csv(tmp_path / "r.csv", "T10,2025-01,5,month\n")
    assert "4 fields where the header has 5" in str(check_file(ragged, catalog,
                                                               today=TODAY).problems.errors[0])
    for value in ("9" * 309, "1.000.000.000.000.000.000"):
        huge = _csv(tmp_path / "h.csv", f"T10,2025-01,{value},month,2025-02-05\n")
        result = check_file(huge, catalog, today=TODAY)
        assert not result.ok and "absurd magnitude" in str(result.problems.errors[0])
    huge = _csv(tmp_path / "h.csv", "T10,2025-01,1e308,month,2025-02-05\n")
    assert not check_file(huge, catalog, today=TODAY).ok


def test_14_conflicting_january_month_and_ytd_are_refused(tmp_path, catalog):
    both = _csv(tmp_path / "j.csv", "T10,2025-01,5,month,2025-02-05\n"
                                    "T10,2025-01,7,ytd,2025-02-05\n")
    result = check_file(both, catalog, today=TODAY)
    assert not result.ok and "January's own amount and year-to-date" in str(
        result.problems.errors[0])
    same = _csv(tmp_path / "s.csv", "T10,2025-01,5,month,2025-02-05\n"
                                    "T10,2025-01,5,ytd,2025-02-05\n")
    assert check_file(same, catalog, today=TODAY).ok


def test_14_a_negative_natural_growth_rate_is_accepted(tmp_path, catalog):
    t13 = _csv(tmp_path / "t13.csv", "T13,2024,-0.12,annual,2025-02-05\n")
    assert check_file(t13, catalog, today=TODAY).ok
    share = _csv(tmp_path / "t16.csv", "T16,2025-06,-5,level,2025-07-05\n")
    assert "outside 0–100" in str(check_file(share, catalog, today=TODAY).problems.errors[0])


def test_14_unit_codes_fold_case_and_a_wrong_one_suggests_and_blames_c3(tmp_path, catalog, form):
    from openpyxl import load_workbook

    from kpi_lib.inputs.template import SHEET

    lower = _csv(tmp_path / "u.csv", "T10,2025-01,5,month,2025-02-05,binhson\n",
                 head=HEAD.strip() + ",unit_code\n")
    result = check_file(lower, catalog, today=TODAY)
    assert result.ok and result.rows["unit_code"].tolist() == ["BINHSON"]
    wb = load_workbook(form)
    wb[SHEET]["C3"] = "BINHSOM"
    wb[SHEET]["C6"] = "05/02/2025"
    wb[SHEET]["E22"] = 5
    wb.save(form)
    problem = check_file(form, catalog, today=TODAY).problems.errors[0]
    assert (problem.row, problem.column) == (3, "C")
    assert "did you mean BINHSON?" in problem.fix


def test_14_override_for_an_unknown_unit_is_refused(tmp_path, catalog):
    from kpi_lib.inputs.overrides import add_override

    with pytest.raises(ValidationFailed, match="unknown unit code"):
        add_override(tmp_path, catalog, "T08d", "2025-09", "on_track", "ok", "A",
                     unit="NOSUCHUNIT")


def test_14_ingest_never_writes_into_the_shipped_sample(tmp_path):
    from kpi_lib.common.paths import SAMPLE_DIR

    from .conftest import tree_checksum

    before = tree_checksum(SAMPLE_DIR)
    a = _csv(tmp_path / "a.csv", "T10,2025-02,1,month,2025-03-05\n")
    result = run_kpi("ingest", a, "--data", SAMPLE_DIR)
    assert result.returncode == 2 and "read-only" in result.stderr
    result = run_kpi("override", "T08d", "--month", "2025-09", "--status", "on_track",
                     "--reason", "x", "--by", "y", "--data", SAMPLE_DIR)
    assert result.returncode == 2 and "read-only" in result.stderr
    assert tree_checksum(SAMPLE_DIR) == before


def test_14_template_does_not_overwrite_a_filled_form(tmp_path):
    out = tmp_path / "filled.xlsx"
    out.write_bytes(b"filled")
    result = run_kpi("template", "--year", "2025", "--out", out)
    assert result.returncode == 2 and "already exists" in result.stderr
    assert out.read_bytes() == b"filled"
    assert run_kpi("template", "--year", "2025", "--out", out, "--force").returncode == 0


def test_14_a_kernel_killed_mid_run_is_not_called_start_up():
    from kpi_lib.runner.monthly import RunFailed

    died = RunFailed("monthly_report.ipynb", Path("kept"), None, "DeadKernelError",
                     "Kernel died")
    assert "start-up" not in str(died) and "kernel died" in str(died)


def test_14_as_of_beyond_the_data_is_refused(tmp_path):
    from kpi_lib.runner.monthly import run_month

    with pytest.raises(KpiError, match="latest month with figures is 2025-09"):
        run_month(as_of="2025-12", out=tmp_path)
    assert not (tmp_path / "2025-12").exists()


def test_5_a_swap_cut_in_a_worker_thread_is_finished_at_once(tmp_path, monkeypatch):
    _report(tmp_path / "2025-09", "old")
    new = _report(tmp_path / ".tmp-2025-09-1-1", "new")
    real, calls, seen = os.replace, [], []

    def cut_once(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the second rename: the old folder is already aside
            raise KeyboardInterrupt
        return real(src, dst)

    def swap() -> None:
        try:
            publish.swap_into_place(new, tmp_path / "2025-09")
        except KeyboardInterrupt:
            seen.append("interrupted")

    monkeypatch.setattr(os, "replace", cut_once)
    worker = threading.Thread(target=swap)
    worker.start()
    worker.join()
    monkeypatch.undo()
    assert seen == ["interrupted"]
    assert (tmp_path / "2025-09" / "summary.csv").read_text() == "new"


def test_4_rebuild_refuses_to_drop_figures_no_log_accounts_for(tmp_path, catalog):
    import shutil

    from kpi_lib.common.paths import SAMPLE_DIR

    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)
    (data / "ingest_log.csv").write_text("file_sha256,file_name,ingested_at,rows,raw_copy\n")
    before = (data / "observations.csv").read_bytes()
    with pytest.raises(KpiError):  # a legacy file: the sample's rows come from no raw copy
        rebuild_store(data, catalog)
    assert (data / "observations.csv").read_bytes() == before
    (data / "ingest_log.csv").unlink()
    late = _csv(tmp_path / "late.csv", "T10,2025-09,1,month,2025-10-20\n")
    assert ingest_files([late], catalog, Store(data))[0].added == 1  # migrated
    assert check_store(data, catalog).ok  # the sample's rows are not "missing from the log"
    rows = Store(data).read(latest=False)
    rebuild_store(data, catalog)  # the legacy file's raw copy gives them back
    pd.testing.assert_frame_equal(Store(data).read(latest=False), rows)


def test_6_a_run_on_the_sample_writes_nothing_into_it(tmp_path, monkeypatch):
    import shutil

    from kpi_lib.common import paths
    from kpi_lib.inputs.snapshot import take_snapshot
    from kpi_lib.inputs.store import DataSource

    sample = tmp_path / "sample"
    shutil.copytree(paths.SAMPLE_DIR, sample)
    monkeypatch.setattr(paths, "SAMPLE_DIR", sample)
    take_snapshot(DataSource(sample, "given"), tmp_path / "snap")  # as with KPI_DATA=sample
    assert not (sample / ".lock").exists()
