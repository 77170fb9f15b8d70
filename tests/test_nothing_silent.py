"""Nothing silently wrong: dates read day first, text that stays text in every file we
write, writes that keep a file whole and its mode, locks of dead runs broken at once,
English published beside Vietnamese, warnings kept out of pages."""

from __future__ import annotations

import errno
import io
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_lib.common.dates import parse_day
from kpi_lib.common.errors import KpiError
from kpi_lib.common.text import (
    FORMULA_START,
    SIX_DIGITS,
    csv_restored,
    csv_safe,
    csv_text,
    csv_text_back,
    write_csv_text,
)

from .conftest import edited_catalog, entry, run_kpi

# --- dates ------------------------------------------------------------------------------

def test_vintage_is_read_day_first_on_the_command_line():
    shown = run_kpi("load", "--vintage", "10/07/2025")
    assert shown.returncode == 0, shown.stderr
    assert "vintage: 2025-07-10" in shown.stdout


@pytest.mark.parametrize("text", ["", " ", "2025-13-01", "31/02/2025", "07/10", "10.07.2025",
                                  "yesterday"])
def test_a_vintage_that_is_not_a_date_is_a_clear_error_not_a_traceback(text):
    shown = run_kpi("load", "--vintage", text)
    assert shown.returncode == 2 and "Traceback" not in shown.stderr
    assert "--vintage is not a date" in shown.stderr and "DD/MM/YYYY" in shown.stderr


def test_every_day_reads_the_same_day_first_or_iso():
    """The property: for any day, DD/MM/YYYY (padded or not) and YYYY-MM-DD give that day;
    the day never swaps with the month."""
    rng = random.Random(3)
    for _ in range(500):
        d = date.fromordinal(rng.randint(date(2000, 1, 1).toordinal(),
                                         date(2040, 12, 31).toordinal()))
        assert parse_day(f"{d.day:02d}/{d.month:02d}/{d.year}") == d
        assert parse_day(f"{d.day}/{d.month}/{d.year}") == d
        assert parse_day(d.isoformat()) == d


# --- text stays text --------------------------------------------------------------------

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
           "'=quoted", "'plain"]


def test_csv_text_round_trips_and_never_starts_a_formula():
    rng = random.Random(5)
    alphabet = "=+-@'\t\r aĐ,\"1"
    texts = HOSTILE + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
                       for _ in range(2000)]
    for text in texts:
        written = csv_text(text)
        assert not str(written).startswith(FORMULA_START), text
        assert csv_text_back(written) == text
    texts = [t for t in texts if "\r" not in t]  # a bare CR inside a field: pandas' own limit
    frame = pd.DataFrame({"name": texts, "n": range(len(texts))})
    text = csv_safe(frame).to_csv(index=False)
    back = csv_restored(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))
    assert list(back["name"]) == texts


def test_csv_written_a_column_at_a_time_is_what_each_cell_gives():
    """write_csv_text tests texts and formats figures a column at a time (a national
    forecast table has 79.000 rows): the bytes must be those of csv_text on each cell and
    of to_csv's float_format, missing values and odd figures included."""
    rng = np.random.default_rng(3)
    n = 3000
    texts = [*HOSTILE, "ok", "", "Đà, \"q\"", "-5", "'"]
    frame = pd.DataFrame({
        "figure": rng.choice([np.nan, np.inf, -np.inf, -0.0, 1e-5, 1.2345678e-7, 123456789.0,
                              999999.5, 0.1 + 0.2, -2.5], n),
        "text": pd.Series(rng.choice(texts, n), dtype="str"),
        "some": pd.Series(rng.choice(["x", "=y", None], n), dtype="str"),
        "mixed": pd.Series(rng.choice(["=a", "b", 3, None, 2.5], n), dtype=object),
        "count": rng.integers(-3, 3, n), "single": rng.random(n).astype(np.float32)})
    cells = frame.copy()
    for col in ("text", "some", "mixed"):
        cells[col] = cells[col].astype(object).map(csv_text)
    want = cells.to_csv(index=False, lineterminator="\n", float_format=SIX_DIGITS)
    got = io.StringIO()
    write_csv_text(frame, got)
    assert got.getvalue() == want and "'+1+1" in want and "\ninf," in want


@pytest.mark.parametrize("name", HOSTILE[:6])
def test_a_name_starting_a_formula_is_text_in_the_excel_form(tmp_path, name):
    from openpyxl import load_workbook

    from kpi_lib.inputs.template import FIRST_ROW, write_template
    from kpi_lib.plan.catalog import load_catalog

    cat = load_catalog(edited_catalog(tmp_path, lambda d: entry(d, "T01").update(
        name_vi=name.replace("\r", ""))))
    out = write_template(cat, 2025, tmp_path / "form.xlsx")
    cell = load_workbook(out).active.cell(row=FIRST_ROW, column=2)
    assert cell.data_type == "s" and cell.value == name.replace("\r", "")


def test_kpi_catalog_csv_writes_names_as_text(tmp_path):
    path = edited_catalog(tmp_path, lambda d: entry(d, "T01").update(name_vi="=1+1"))
    shown = run_kpi("catalog", "--catalog", path, "--format", "csv")
    assert shown.returncode == 0, shown.stderr
    line = next(t for t in shown.stdout.splitlines() if t.startswith("T01,"))
    assert ",'=1+1," in line


def test_the_published_summary_csv_and_index_keep_names_as_text(tmp_path, sample_report):
    """summary.csv goes through csv_safe, and the index reads the names back exactly."""
    from kpi_lib.runner.monthly import build_index

    out = tmp_path / "reports"
    month = out / sample_report.folder.name
    shutil.copytree(sample_report.folder, month)
    summary = pd.read_csv(month / "summary.csv", dtype={"id": str})
    summary.loc[0, "name"] = "=HYPERLINK(\"http://x\")"
    csv_safe(summary).to_csv(month / "summary.csv", index=False)
    assert "'=HYPERLINK" in (month / "summary.csv").read_text(encoding="utf-8")
    page = build_index(out).read_text(encoding="utf-8")
    assert "=HYPERLINK(&quot;http://x&quot;)" in page and "&#x27;=HYPERLINK" not in page


# --- writes keep the file whole and its mode ---------------------------------------------

def _override(folder, catalog, reason="lý do"):
    from kpi_lib.inputs.overrides import add_override

    return add_override(folder, catalog, "T08d", "2025-09", "on_track", reason, "Nguyễn Văn A")


@pytest.mark.parametrize("mode", [0o664, 0o640, 0o600, 0o666])
def test_every_write_keeps_the_files_mode(tmp_path, catalog, mode):
    """overrides.csv, index.html and a form replaced with --force keep the mode they had
    (a group-writable file shared by the office stays group-writable)."""
    from kpi_lib.inputs.template import write_template
    from kpi_lib.runner.monthly import build_index

    _override(tmp_path, catalog)
    build_index(tmp_path)
    write_template(catalog, 2025, tmp_path / "form.xlsx")
    files = [tmp_path / "overrides.csv", tmp_path / "index.html", tmp_path / "form.xlsx"]
    for path in files:
        path.chmod(mode)
    _override(tmp_path, catalog, "lý do khác")
    build_index(tmp_path)
    write_template(catalog, 2025, tmp_path / "form.xlsx")
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == mode, path.name
    assert len((tmp_path / "overrides.csv").read_text(encoding="utf-8").splitlines()) == 3


def test_a_new_file_gets_the_usual_mode_not_owner_only(tmp_path, catalog):
    _override(tmp_path, catalog)
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "overrides.csv").stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("where, code", [("tempfile.mkstemp", errno.EROFS),
                                         ("os.fsync", errno.ENOSPC),
                                         ("os.replace", errno.ENOSPC)])
def test_an_override_on_a_full_disk_or_read_only_folder_is_a_clear_error_and_changes_nothing(
        tmp_path, catalog, monkeypatch, where, code):
    """Root ignores file modes, so the disk is made full or read-only where the write
    happens."""
    from kpi_lib.common import files

    _override(tmp_path, catalog)
    before = (tmp_path / "overrides.csv").read_bytes()
    module, name = where.split(".")

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(tmp_path / "x"))
    monkeypatch.setattr(getattr(files, module), name, fail)
    with pytest.raises(KpiError) as info:
        _override(tmp_path, catalog, "lý do khác")
    monkeypatch.undo()
    assert f"cannot write in {tmp_path}" in str(info.value)
    assert ("full" if code == errno.ENOSPC else "read-only") in str(info.value)
    assert (tmp_path / "overrides.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".overrides")) == []


@pytest.fixture
def sigterm_kept():
    """cli.main turns SIGTERM into KeyboardInterrupt for its process: not for pytest's."""
    handler = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, handler)


def test_kpi_override_into_a_read_only_folder_is_a_clear_error(tmp_path, monkeypatch, capsys,
                                                                 sigterm_kept):
    from kpi_lib.cli import main
    from kpi_lib.common import files
    from kpi_lib.common.paths import SAMPLE_DIR

    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)
    before = (data / "overrides.csv").read_bytes()

    def fail(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(data))
    monkeypatch.setattr(files.tempfile, "mkstemp", fail)
    code = main(["override", "T08d", "--month", "2025-09", "--status", "on_track",
                 "--reason", "x", "--by", "A", "--data", str(data)])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot write in {data}" in err and "read-only" in err
    assert (data / "overrides.csv").read_bytes() == before


def test_kpi_run_on_a_full_disk_names_the_folder_and_leaves_nothing_half_written(
        tmp_path, monkeypatch, capsys, sigterm_kept):
    from kpi_lib.cli import main
    from kpi_lib.runner import monthly

    out = tmp_path / "reports"

    def full(source, dest):
        Path(dest).mkdir(parents=True)
        (Path(dest) / "observations.csv").write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dest / "observations.csv"))
    monkeypatch.setattr(monthly, "take_snapshot", full)
    code = main(["run", "--as-of", "2025-09", "--out", str(out), "--fresh-kernels"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write in" in err and "the disk is full" in err
    assert str(out) in err and "Traceback" not in err
    assert [p.name for p in out.iterdir()] == [] or all(
        p.name.startswith(".lock") for p in out.iterdir())


def test_the_index_on_a_full_disk_is_left_as_it_was(tmp_path, monkeypatch):
    from kpi_lib.common import files
    from kpi_lib.runner.monthly import build_index

    build_index(tmp_path)
    before = (tmp_path / "index.html").read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(KpiError, match="the disk is full"):
        build_index(tmp_path)
    monkeypatch.undo()
    assert (tmp_path / "index.html").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".lock")] == \
        ["index.html"]


def test_a_half_written_index_left_by_a_killed_run_is_cleared_by_the_next(tmp_path):
    from kpi_lib.runner.monthly import build_index

    (tmp_path / ".index.html.k1ll3d.tmp").write_text("<html><body>half")
    build_index(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".lock")) == \
        ["index.html"]


# --- locks, sweeps and interrupted runs ---------------------------------------------------

HOLD = ("import sys, time; from flufl.lock import Lock; "
        "lock = Lock(sys.argv[1], lifetime=300); lock.lock(); print('held', flush=True); "
        "time.sleep(600)")


def _held(lockfile: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(lockfile)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_lock_left_by_a_killed_run_is_broken_at_once_with_a_message(tmp_path, monkeypatch,
                                                                        capsys):
    from datetime import timedelta

    from kpi_lib.runner import publish

    holder = _held(tmp_path / ".lock-2025-09")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    monkeypatch.setattr(publish, "LOCK_TIMEOUT", timedelta(seconds=20))  # not 5 minutes
    with publish.locked(tmp_path, "2025-09"):
        pass
    err = capsys.readouterr().err
    assert f"process {holder.pid} of this host, which is no longer running" in err


def test_a_lock_of_a_live_run_is_not_broken(tmp_path, monkeypatch):
    from datetime import timedelta

    from kpi_lib.runner import publish

    holder = _held(tmp_path / ".lock-2025-09")
    try:
        monkeypatch.setattr(publish, "LOCK_TIMEOUT", timedelta(seconds=2))
        with pytest.raises(KpiError, match="another run has held the lock"), \
                publish.locked(tmp_path, "2025-09"):
            pass
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("name", ["review-2025-06", "review-2025-06-en", "2025-06",
                                  "2025-06_BINHTRI", "2025-06_X-1"])
def test_a_month_or_review_set_aside_by_a_killed_run_is_put_back_under_its_own_name(
        tmp_path, name):
    from kpi_lib.runner import publish

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    for aside in (f".old-{name}.{pid}.1",  # this version
                  f".old-{name}-{pid}-1"):  # the version before (monthly)
        (tmp_path / aside).mkdir()
        (tmp_path / aside / "summary.csv").write_text("x")
        assert publish.sweep_stale(tmp_path) == [name]
        assert (tmp_path / name / "summary.csv").is_file(), aside
        assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".lock")] == [name]
        shutil.rmtree(tmp_path / name)
    if name.startswith("review"):  # the review's own older form had only the pid
        (tmp_path / f".old-{name}-{pid}").mkdir()
        assert publish.sweep_stale(tmp_path) == [name]


def test_reviews_are_published_under_the_lock_of_their_name():
    import inspect

    from kpi_lib.runner import review

    source = inspect.getsource(review.run_review)
    assert "swap_into_place(" in source and "os.replace" not in source


def test_backfill_stopped_by_sigterm_lists_the_months_already_published(tmp_path, monkeypatch,
                                                                        sample_report):
    from kpi_lib.runner import monthly

    out = tmp_path / "reports"
    out.mkdir()
    calls = []

    def task(t, kwargs, bar=None):
        calls.append(t)
        if len(calls) == 1:
            shutil.copytree(sample_report.folder, out / t[0])
            return True, None
        raise KeyboardInterrupt  # what SIGTERM becomes (cli._on_sigterm)
    monkeypatch.setattr(monthly, "_report_task", task)
    monkeypatch.setattr(monthly, "report_tasks", lambda months, units, cat: [(m, None)
                                                                               for m in months])
    with pytest.raises(KeyboardInterrupt):
        monthly.backfill(["2025-08", "2025-09"], progress=False, out=out, fresh_kernels=True)
    assert 'href="2025-08/monthly_report.html"' in (out / "index.html").read_text(
        encoding="utf-8")


# --- a kernel killed while starting -----------------------------------------------------

def test_a_kernel_killed_while_it_starts_is_given_up_at_once(monkeypatch):
    from kpi_lib.runner import kernels

    real = kernels.WarmKernel.call

    def call(self, code, timeout):
        if code == kernels.WARM_UP:
            self.km.provisioner.process.kill()
        return real(self, code, timeout)
    monkeypatch.setattr(kernels.WarmKernel, "call", call)
    pool = kernels.KernelPool()
    with pytest.raises(kernels.KernelBroken, match="died before it answered"):
        pool.start()  # before: "did not answer in 120 s", after waiting all of it
    pool.shutdown()


# --- English beside Vietnamese ----------------------------------------------------------

def test_an_english_run_is_published_beside_the_vietnamese_report(tmp_path, sample_report):
    from kpi_lib.runner.monthly import build_index, run_month

    out = tmp_path / "reports"
    shutil.copytree(sample_report.folder, out / sample_report.folder.name)
    build_index(out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()
              and not p.name.startswith(".lock")}
    english = run_month(as_of="2025-09", out=out, lang="en", notebooks=("monthly_report",),
                        fresh_kernels=True)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()
             and p.relative_to(out) in before}
    assert after == before  # the Vietnamese report and index.html untouched
    assert english.folder == out / "en" / "2025-09"
    assert 'lang="en"' in english.html.read_text(encoding="utf-8")
    assert (out / "en" / "index.html").is_file()


# --- warnings stay out of pages -----------------------------------------------------------

def test_what_a_cell_writes_to_stderr_goes_to_a_log_not_the_page(tmp_path):
    import nbformat

    from kpi_lib.runner.html import export_html

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr",
                                           text="/srv/kpi/.venv/lib/x.py:3: RuntimeWarning: y\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="kept\n")]
    nb.cells.append(cell)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    page = export_html(path, tmp_path / "nb.html", "vi").read_text(encoding="utf-8")
    assert "RuntimeWarning" not in page and "/srv/kpi" not in page and "kept" in page
    assert "RuntimeWarning" in (tmp_path / "warnings.log").read_text(encoding="utf-8")


def test_the_published_pages_show_no_warning_or_code_path(sample_report):
    """(The data folder's path is shown on purpose: it is the figures' provenance.)"""
    import re

    for page in sample_report.folder.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "Warning" not in text and "site-packages" not in text, page.name
        assert not re.search(r"\.py:\d+", text), page.name


# --- decomposed Unicode in the form's month headers -------------------------------------

def test_month_headers_typed_in_decomposed_unicode_are_read(tmp_path, catalog):
    import unicodedata

    from openpyxl import load_workbook

    from kpi_lib.inputs.ingest import validate_files
    from kpi_lib.inputs.template import FIRST_ROW, HEADER_ROW, MONTH_COL, YEAR_COL, write_template

    form = write_template(catalog, 2025, tmp_path / "form.xlsx")
    wb = load_workbook(form)
    ws = wb.active
    for col in range(MONTH_COL, YEAR_COL + 1):
        cell = ws.cell(row=HEADER_ROW, column=col)
        cell.value = unicodedata.normalize("NFD", cell.value)
    ws.cell(row=FIRST_ROW, column=MONTH_COL).value = 100
    wb.save(form)
    (result,) = validate_files([form], catalog)
    assert result.ok, result.problems.summary()
