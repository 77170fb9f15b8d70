"""Faults: the last good state survives kernel deaths, signals, interrupted and concurrent
ingests; reruns are idempotent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from kpi_lib.inputs.ingest import check_file, ingest_files
from kpi_lib.inputs.store import Store
from kpi_lib.runner.monthly import RunFailed, run_month

from .conftest import FIXTURES, tree_checksum

pytestmark = pytest.mark.notebook


@pytest.fixture
def published(tmp_path):
    return run_month(as_of="2025-09", out=tmp_path, notebooks=("monthly_report",))


def test_kernel_killed_midway_keeps_the_last_report(tmp_path, published, monkeypatch):
    before = tree_checksum(tmp_path)
    import kpi_lib.common.paths
    monkeypatch.setattr(kpi_lib.common.paths, "NOTEBOOKS_DIR", FIXTURES / "notebooks")
    with pytest.raises(RunFailed) as err:
        run_month(as_of="2025-09", out=tmp_path, notebooks=("kernel_dies",))
    assert "DeadKernel" in str(err.value) or "died" in str(err.value).lower()
    failed = tmp_path / "_failed"
    assert failed.is_dir()
    monkeypatch.undo()
    keep = {p: p.read_bytes() for p in published.folder.iterdir()}
    assert all(p.read_bytes() == b for p, b in keep.items())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]
    assert tree_checksum(tmp_path, skip="_failed") == before


def test_sigterm_during_a_run_keeps_the_last_report(tmp_path, published):
    before = tree_checksum(tmp_path)
    env = {**os.environ, "KPI_NOTEBOOKS": str(FIXTURES / "notebooks")}
    code = ("import sys; from kpi_lib.cli import main; import kpi_lib.common.paths as p, pathlib, os; "
            "p.NOTEBOOKS_DIR = pathlib.Path(os.environ['KPI_NOTEBOOKS']); "
            "import kpi_lib.runner.monthly as r; r.PUBLISHED = ('slow',); "
            f"sys.exit(main(['run', '--as-of', '2025-09', '--out', r'{tmp_path}']))")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".tmp-*/slow.ipynb")):
        time.sleep(0.2)
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "Traceback" not in err
    assert tree_checksum(tmp_path, skip="_failed") == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]
    again = run_month(as_of="2025-09", out=tmp_path, notebooks=("monthly_report",))
    assert again.html.is_file()


def test_stale_work_folder_of_a_killed_run_is_cleared(tmp_path, published):
    stale = tmp_path / ".tmp-2025-09-999999-1"
    stale.mkdir()
    (stale / "half.html").write_text("half")
    run_month(as_of="2025-08", out=tmp_path, notebooks=("monthly_report",))
    assert not stale.exists()
    assert any("killed" in p.name for p in (tmp_path / "_failed").iterdir())


def test_unwritable_output_folder_is_a_clear_error(tmp_path):
    """Even as root (CI), a folder under a regular file cannot be written."""
    from kpi_lib.common.errors import KpiError
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(KpiError, match="cannot write to the output folder"):
        run_month(as_of="2025-09", out=blocker / "reports")
    from .conftest import run_kpi
    result = run_kpi("run", "--out", blocker / "reports")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--out" in result.stderr


def test_rerun_of_the_same_month_is_idempotent(tmp_path, published):
    first = pd.read_csv(published.folder / "summary.csv")
    second = run_month(as_of="2025-09", out=tmp_path, notebooks=("monthly_report",))
    pd.testing.assert_frame_equal(first, pd.read_csv(second.folder / "summary.csv"))


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text("indicator_id,period,value,reported_at\n" + "\n".join(rows) + "\n")
    return path


def test_interrupted_ingest_leaves_the_store_as_it_was(tmp_path, catalog, monkeypatch):
    store = Store(tmp_path / "s")
    ingest_files([_csv(tmp_path / "a.csv", ["T10,2025-01,5,2025-02-05"])], catalog, store)
    before = tree_checksum(store.root)
    real_replace = os.replace

    def crash(src, dst):
        if str(dst).endswith(".parquet"):
            raise KeyboardInterrupt  # power cut between writing the part and publishing it
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest_files([_csv(tmp_path / "b.csv", ["T10,2025-02,6,2025-03-05"])], catalog, store)
    monkeypatch.undo()
    assert tree_checksum(store.root, ignore_suffix=".tmp") == before
    assert store.read()["value"].tolist() == [5]


def test_two_ingests_at_once_both_land_exactly_once(tmp_path):
    data = tmp_path / "s"
    files = []
    for k in range(2):
        rows = [f"T10,2025-{m:02d},{k * 100 + m},2025-{m:02d}-28" if k == 0 else
                f"T21,2025-{m:02d},{k * 100 + m},2025-{m:02d}-28" for m in range(1, 10)]
        files.append(_csv(tmp_path / f"f{k}.csv", rows))
    procs = [subprocess.Popen([sys.executable, "-m", "kpi_lib.cli", "ingest", str(f), "--data",
                               str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for f in files]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    obs = Store(data).read(latest=False)
    assert len(obs) == 18
    assert sorted(obs["indicator_id"].value_counts().tolist()) == [9, 9]


def test_fraction_for_a_percentage_is_refused(tmp_path, catalog):
    from datetime import date
    path = tmp_path / "p.csv"
    path.write_text("indicator_id,period,value,value_type\nT16,2025-01,\"0,94\",level\n"
                    "T13,2025,\"0,8\",annual\n")
    result = check_file(path, catalog, today=date(2026, 2, 1))
    text = " ".join(str(p) for p in result.problems.errors)
    assert "fraction" in text and "row 2" in text and "row 3" not in text
