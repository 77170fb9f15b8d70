"""Warm kernels (kpi_lib/runner/kernels.py): reused, reset between notebooks so no state
leaks, papermill's record kept, and a dead or hung kernel replaced, never reused."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from papermill.exceptions import PapermillExecutionError

from kpi_lib.runner import kernels
from kpi_lib.runner.monthly import RunFailed, run_month

from .conftest import FIXTURES

pytestmark = pytest.mark.notebook
NOTEBOOKS = FIXTURES / "notebooks"


def _run(lease, name: str, out: Path, timeout: float = 60, **parameters) -> dict:
    target = out / f"{name}.ipynb"
    kernels.execute_warm(str(NOTEBOOKS / f"{name}.ipynb"), str(target),
                         {"as_of": "2025-09", **parameters}, lease, timeout)
    return json.loads(target.read_text(encoding="utf-8"))


def _printed_pid(nb: dict) -> int:
    text = "".join("".join(o["text"]) for c in nb["cells"] for o in c.get("outputs", [])
                   if o.get("name") == "stdout")
    return int(text.split()[0])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in \
        Path(f"/proc/{pid}/status").read_text().lower()


def test_no_state_leaks_between_notebooks_in_one_warm_kernel(tmp_path):
    lease = kernels.POOL.lease()
    try:
        first = _run(lease, "leak_set", tmp_path, unit="A")
        second = _run(lease, "leak_check", tmp_path, unit="B")  # raises if anything leaked
    finally:
        lease.release()
    # the same kernel ran both: reuse happened, the reset was what kept them apart
    assert _printed_pid(first) == _printed_pid(second) == lease.pids[0] == lease.pids[1]
    # papermill's record is kept: the injected parameters, its metadata, counts from 1
    injected = [c for c in second["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and 'unit = "B"' in "".join(injected[0]["source"])
    assert second["metadata"]["papermill"]["parameters"]["unit"] == "B"
    counts = [c["execution_count"] for c in second["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1))


def test_without_the_reset_the_leak_check_does_see_the_leaks(tmp_path):
    """The control for the test above: the check notebook is able to fail."""
    lease = kernels.POOL.lease(reset=False)
    try:
        _run(lease, "leak_set", tmp_path)
        with pytest.raises(PapermillExecutionError) as err:
            _run(lease, "leak_check", tmp_path)
    finally:
        lease.release()
    for leak in ("global", "rebound default", "list in place", "dict in place", "added name",
                 "module imported by A", "rcParams", "pandas option", "warnings filter",
                 "environ", "argv", "sys.path", "cwd"):
        assert f"'{leak}'" in err.value.evalue


def test_a_cell_error_is_recorded_and_the_kernel_is_reused(tmp_path):
    lease = kernels.POOL.lease()
    try:
        with pytest.raises(PapermillExecutionError) as err:
            _run(lease, "fails_midway", tmp_path)
        after = _run(lease, "pid", tmp_path)
    finally:
        lease.release()
    # cell 3: after the parameters, the injected-parameters cell and `x = 1`
    assert err.value.cell_index == 3 and err.value.ename == "RuntimeError"
    kept = (tmp_path / "fails_midway.ipynb").read_text(encoding="utf-8")
    assert "papermill-error-cell-tag" in kept  # the banner in the kept notebook
    assert _printed_pid(after) == lease.pids[0]


def test_a_killed_kernel_fails_the_run_and_the_next_run_gets_a_fresh_one(tmp_path,
                                                                          monkeypatch):
    import kpi_lib.common.paths

    monkeypatch.setattr(kpi_lib.common.paths, "NOTEBOOKS_DIR", NOTEBOOKS)
    before = run_month(as_of="2025-09", out=tmp_path, notebooks=("pid",), update_index=False)
    old = _printed_pid(json.loads((before.folder / "pid.ipynb").read_text(encoding="utf-8")))
    with pytest.raises(RunFailed) as err:
        run_month(as_of="2025-09", out=tmp_path, notebooks=("kernel_dies",))
    assert "the kernel died" in str(err.value) and "kept in" in str(err.value)
    assert not _alive(old)
    after = run_month(as_of="2025-09", out=tmp_path, notebooks=("pid",), update_index=False)
    new = _printed_pid(json.loads((after.folder / "pid.ipynb").read_text(encoding="utf-8")))
    assert new != old and _alive(new)


def test_a_cell_over_the_timeout_fails_and_its_kernel_is_replaced(tmp_path, monkeypatch):
    import kpi_lib.common.paths
    from kpi_lib.runner import monthly

    monkeypatch.setattr(kpi_lib.common.paths, "NOTEBOOKS_DIR", NOTEBOOKS)
    monkeypatch.setattr(monthly, "EXECUTION_TIMEOUT", 3)
    lease = kernels.POOL.lease()
    hung = lease.kernel().pid
    lease.release()  # back in the pool: the run below takes this one
    with pytest.raises(RunFailed) as err:
        run_month(as_of="2025-09", out=tmp_path, notebooks=("slow",))
    assert "Timeout" in str(err.value) and (tmp_path / "_failed").is_dir()
    assert not _alive(hung)  # killed (it was still sleeping), not put back
    again = run_month(as_of="2025-09", out=tmp_path, notebooks=("pid",), update_index=False)
    pid = _printed_pid(json.loads((again.folder / "pid.ipynb").read_text(encoding="utf-8")))
    assert pid != hung


def test_a_changed_environment_gets_its_own_kernel(tmp_path, monkeypatch):
    """A fresh kernel inherits the environment (KPI_CACHE, KPI_DATA...): a warm one started
    before a change is not used after it."""
    lease = kernels.POOL.lease()
    try:
        first = _printed_pid(_run(lease, "pid", tmp_path))
    finally:
        lease.release()
    monkeypatch.setenv("KPI_WARM_TEST", "changed")
    lease = kernels.POOL.lease()
    try:
        second = _printed_pid(_run(lease, "pid", tmp_path))
    finally:
        lease.release()
    assert first != second


def test_the_report_notebooks_share_one_assessment(tmp_path):
    from kpi_lib.common.paths import SAMPLE_DIR
    from kpi_lib.engine import pipeline

    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)
    hits = pipeline.ASSESSMENTS.hits
    report = pipeline.shared_assessment(None, str(data), "2025-09", None, None, use_ets=False)
    quality = pipeline.shared_assessment(None, str(data), "2025-09", None, None, use_ets=True,
                                         any_methods=True)
    assert pipeline.ASSESSMENTS.hits == hits + 1
    assert quality.dataset is report.dataset and quality.table is not report.table
    other_month = pipeline.shared_assessment(None, str(data), "2025-08", None, None,
                                             use_ets=False)
    assert other_month.as_of == 8 and pipeline.ASSESSMENTS.hits == hits + 1
    obs = data / "observations.csv"
    stat = obs.stat()
    os.utime(obs, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # saved again: an edit
    again = pipeline.shared_assessment(None, str(data), "2025-09", None, None, use_ets=False)
    assert pipeline.ASSESSMENTS.hits == hits + 1 and again.dataset is not report.dataset


def test_a_reused_html_exporter_gives_the_same_page(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from kpi_lib.runner import html

    nb = new_notebook(cells=[
        new_code_cell("x = 1", metadata={"tags": ["injected-parameters"]}),
        new_markdown_cell("# Báo cáo"),
        new_code_cell("display(HTML(...))", outputs=[new_output(
            "display_data", data={"text/html": "<b>28.603,61</b>", "text/plain": "x"})]),
    ])
    source = tmp_path / "nb.ipynb"
    nbformat.write(nb, source)
    fresh, _ = html._new_exporter("vi").from_notebook_node(nb)
    pages = [html.export_html(source, tmp_path / f"{i}.html", "vi").read_text(encoding="utf-8")
             for i in range(2)]  # the second one with the exporter the first gave back
    assert pages[0] == pages[1] == fresh
    assert "28.603,61" in fresh and "x = 1" not in fresh


def test_the_kpi_command_skips_the_slow_iri_checker_and_still_validates_notebooks():
    """`kpi` keeps jsonschema's rfc3987_syntax (2 s of grammar compiling) out of its own
    process; nbformat must still validate notebooks there, and bad ones still fail."""
    import subprocess
    import sys

    code = """
import sys
from kpi_lib.cli import skip_slow_iri_checker
skip_slow_iri_checker()
import nbformat
assert sys.modules["rfc3987_syntax"] is None
nb = nbformat.read("notebooks/monthly_report.ipynb", as_version=4)
nbformat.validate(nb)
nb.cells[0]["cell_type"] = "not-a-cell"
try:
    nbformat.validate(nb)
except nbformat.ValidationError:
    print("still validates")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], check=False)
    assert done.returncode == 0, done.stderr
    assert "still validates" in done.stdout


def test_the_kpi_command_leaves_formulaic_out_and_statsmodels_still_works():
    """`kpi` keeps statsmodels' unused formulaic engine out of its process (0,13 s of a
    cold forecast); Holt-Winters and formulas (patsy) must still work, and a user who asks
    for formulaic (SM_FORMULA_ENGINE) gets it."""
    import os
    import subprocess
    import sys

    code = """
import os, sys
import numpy as np, pandas as pd
from kpi_lib.cli import skip_unused_formula_engine
skip_unused_formula_engine()
from statsmodels.tsa.holtwinters import ExponentialSmoothing
import statsmodels.formula.api as smf
y = 100 + 10 * np.sin(np.arange(48) * np.pi / 6) + np.arange(48)
fit = ExponentialSmoothing(y, trend="add", seasonal="add", seasonal_periods=12).fit()
assert np.isfinite(fit.forecast(3)).all()
assert smf.ols("y ~ x", pd.DataFrame({"y": y, "x": np.arange(48.0)})).fit().params["x"] > 0
print("formulaic", "absent" if sys.modules.get("formulaic") is None else "loaded")
"""
    root = Path(__file__).resolve().parents[1]
    for engine, expect in ((None, "formulaic absent"), ("formulaic", "formulaic loaded")):
        env = {k: v for k, v in os.environ.items() if k != "SM_FORMULA_ENGINE"}
        if engine:
            env["SM_FORMULA_ENGINE"] = engine
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              cwd=root, env=env, check=False)
        assert done.returncode == 0, done.stderr
        assert expect in done.stdout
