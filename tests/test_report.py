"""The monthly run: papermill with other parameters, publishing, failures, the HTML."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from kpi_lib.common.errors import KpiError
from kpi_lib.common.paths import NOTEBOOKS_DIR
from kpi_lib.runner.monthly import RunFailed, run_month

from .conftest import FIXTURES, run_kpi, tree_checksum
from .synth import flow_rows, reading_rows

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One real run on the sample, published into a scratch reports folder."""
    out = tmp_path_factory.mktemp("reports")
    result = run_month(as_of="latest", out=out)
    return result


def test_run_publishes_everything(published):
    folder = published.folder
    assert folder.name == "2025-09"
    for name in ("monthly_report.ipynb", "monthly_report.html", "data_quality.html",
                 "summary.csv", "bao-cao-2025-09.xlsx"):
        assert (folder / name).is_file(), name
    summary = pd.read_csv(folder / "summary.csv")
    assert list(summary.columns[:6]) == ["id", "status", "estimate", "lo80", "hi80", "p_meet"]
    assert len(summary) == 32
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".tmp")]
    index = (folder.parent / "index.html").read_text(encoding="utf-8")
    assert 'href="2025-09/monthly_report.html"' in index and "status-history" in index


def test_html_is_self_contained_with_code_hidden(published):
    page = published.html.read_text(encoding="utf-8")
    assert "Bảng tổng hợp các chỉ số" in page and "Cần tập trung chỉ đạo" in page
    assert "DỮ LIỆU MẪU GIẢ LẬP" in page  # sample data says so
    assert "run_assessment(" not in page  # no code
    assert "injected-parameters" not in page
    assert 'src="http' not in page and "cdnjs" not in page  # opens offline
    assert page.count("data:image/png;base64") >= 4  # charts embedded
    assert '<nav class="kpi-toc">' in page and 'href="#summary"' in page
    assert "28.603,6" in page  # Vietnamese number format


def test_excel_table_matches_summary(published):
    from kpi_lib.outputs.excel import HEADER_ROW

    sheet = pd.read_excel(published.folder / "bao-cao-2025-09.xlsx", sheet_name="Số liệu",
                          header=HEADER_ROW - 1)
    summary = pd.read_csv(published.folder / "summary.csv")
    merged = sheet.rename(columns={"Mã": "id"}).merge(summary, on="id")
    assert len(merged) == len(summary) == 32
    assert (merged["Đánh giá"] == merged["label"]).all()  # the reader's label, row for row


def test_another_month_in_english(tmp_path):
    result = run_month(as_of="2025-06", lang="en", out=tmp_path)
    page = result.html.read_text(encoding="utf-8")
    assert result.period == "2025-06"
    assert "All indicators" in page and "data up to 6/2025" in page
    assert "SYNTHETIC SAMPLE DATA" in page and "Bảng tổng hợp" not in page
    assert "28,603.6" in page


def _other_data(tmp_path: Path) -> Path:
    from kpi_lib.inputs.store import Store
    from kpi_lib.inputs.tidy import OBS_COLUMNS
    rng = np.random.default_rng(4)
    rows = flow_rows("J1", "XATN", {y: 300.0 * 1.05 ** (y - 2021) for y in range(2021, 2027)}, rng,
                     0.05, (2026, 5))
    rows += flow_rows("R1", "XATN", {y: 45.0 for y in range(2021, 2027)}, rng, 0.05, (2026, 5))
    rows += reading_rows("H1", "XATN", {f"{y}-{m:02d}": 90 + y - 2021 + m * 0.1
                                         for y in range(2021, 2027) for m in range(1, 13)
                                         if (y, m) <= (2026, 5)})
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame(rows, columns=OBS_COLUMNS).to_csv(data / "observations.csv", index=False)
    assert len(Store(data).read()) == len(rows)
    return data


def test_another_catalog_and_data(tmp_path):
    data = _other_data(tmp_path)
    result = run_month(as_of="latest", data=str(data), catalog=str(FIXTURES / "catalog_other.yaml"),
                       out=tmp_path / "reports")
    page = result.html.read_text(encoding="utf-8")
    assert result.period == "2026-05"
    assert "Xã Thử Nghiệm" in page and "Việc làm mới" in page and "Tổng giá trị sản xuất" not in page
    assert "DỮ LIỆU MẪU GIẢ LẬP" not in page  # not the sample: no synthetic banner
    summary = pd.read_csv(result.folder / "summary.csv")
    assert set(summary["id"]) == {"R1", "J1", "H1", "G1"}


def test_bad_parameters_fail_before_any_notebook(tmp_path):
    for kwargs, words in (({"as_of": "2025-13"}, "--as-of"), ({"lang": "fr"}, "language"),
                          ({"unit": "../../etc"}, "unit code"), ({"as_of": "2025-01", "unit": "XX"},
                                                                 "unknown unit code")):
        with pytest.raises(KpiError, match=words):
            run_month(out=tmp_path, **kwargs)
    assert not list(tmp_path.iterdir())


def test_failure_midway_keeps_the_last_good_report(tmp_path, monkeypatch):
    good = run_month(as_of="2025-09", out=tmp_path, notebooks=("monthly_report",))
    before = tree_checksum(good.folder)
    index_before = (tmp_path / "index.html").read_bytes()
    import kpi_lib.common.paths
    monkeypatch.setattr(kpi_lib.common.paths, "NOTEBOOKS_DIR", FIXTURES / "notebooks")
    with pytest.raises(RunFailed) as err:
        run_month(as_of="2025-09", out=tmp_path, notebooks=("fails_midway",))
    # cell 3 of the executed notebook: papermill inserted the injected-parameters cell
    assert err.value.cell == 3 and "RuntimeError" in str(err.value)
    assert "số liệu hỏng giữa chừng" in str(err.value)
    assert tree_checksum(good.folder) == before
    assert (tmp_path / "index.html").read_bytes() == index_before
    kept = list((tmp_path / "_failed").iterdir())
    assert len(kept) == 1 and (kept[0] / "fails_midway.ipynb").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]
    monkeypatch.undo()
    again = run_month(as_of="2025-09", out=tmp_path, notebooks=("monthly_report",))
    assert again.html.is_file()  # the next run needs no clean-up


def test_corrupt_data_file_fails_cleanly_and_keeps_the_report(tmp_path):
    good = run_month(as_of="2025-09", out=tmp_path / "reports", notebooks=("monthly_report",))
    before = tree_checksum(tmp_path / "reports")
    data = tmp_path / "data"
    shutil.copytree(Path(__file__).parents[1] / "data" / "sample", data)
    with open(data / "observations.csv", "a", encoding="utf-8") as fh:
        fh.write("T99,BINHSON,2025-09,1,month,2025-10-01,x,y\n")
    result = run_kpi("run", "--data", data, "--out", tmp_path / "reports")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "T99" in result.stderr
    assert tree_checksum(tmp_path / "reports") == before
    assert good.html.is_file()


def test_committed_notebooks_are_clean():
    """No stale outputs in git, except cells whose output nbval checks; kernel python3."""
    for path in NOTEBOOKS_DIR.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), path.name
        for cell in nb.cells:
            if cell.cell_type == "code" and "NBVAL_CHECK_OUTPUT" not in cell.source:
                assert not cell.outputs, f"{path.name}: stale output"
        assert len(json.dumps(nb)) < 100_000


def test_parameters_cells_are_introspectable():
    """papermill --help-notebook style: every parameter parsed, none lost to '=' in comments."""
    from papermill.inspection import inspect_notebook
    params = inspect_notebook(str(NOTEBOOKS_DIR / "monthly_report.ipynb"))
    assert {"as_of", "data_dir", "catalog", "unit", "lang", "vintage"} <= set(params)


def test_cli_run_prints_where_the_report_is(tmp_path):
    result = run_kpi("run", "--as-of", "2025-07", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"HTML report: {tmp_path / '2025-07' / 'monthly_report.html'}" in result.stdout
    assert "Traceback" not in result.stderr


def test_backfill_runs_months_in_parallel_and_builds_the_index(tmp_path):
    result = run_kpi("backfill", "--from", "2025-03", "--to", "2025-05", "--jobs", "2",
                     "--out", tmp_path, "--quiet")
    assert result.returncode == 0, result.stderr
    months = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("2025"))
    assert months == ["2025-03", "2025-04", "2025-05"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert index.index("2025-05/monthly_report.html") < index.index("2025-03/monthly_report.html")
    assert os.path.exists(tmp_path / "2025-04" / "summary.csv")


# ---------------------------------------------------------------- dates that hold together
def test_a_report_for_a_past_month_uses_what_was_received_by_its_date(catalog):
    """June's report, made when September's figures are in, is dated 05/07/2025: the
    correction received 20/08/2025 and the figures sent after its date are not in it; the
    current month's report uses everything; --vintage is the user's and wins."""
    from kpi_lib.common.paths import SAMPLE_DIR
    from kpi_lib.engine.pipeline import run_assessment
    from kpi_lib.inputs.data import load_dataset
    from kpi_lib.outputs.quality import revisions
    from kpi_lib.outputs.rules import data_received_by
    from kpi_lib.runner.monthly import report_cutoff

    day = report_cutoff(catalog, 6, None, None, latest=9)
    assert day == "2025-07-05"
    assert report_cutoff(catalog, 9, None, None, latest=9) is None  # the current month
    assert report_cutoff(catalog, 6, None, "2025-07-10", latest=9) == "2025-07-10"
    a = run_assessment(catalog, str(SAMPLE_DIR), "2025-06", vintage=day, use_ets=False)
    assert (pd.to_datetime(a.dataset.obs["reported_at"]) <= pd.Timestamp(day)).all()
    assert data_received_by(a) == "05/07/2025"
    # its figures are in time, so it keeps its planned date and says nothing more
    from kpi_lib.outputs.report_setup import setup_date_note, setup_for

    setup = setup_for(a)
    assert setup.report_date == setup.planned_date == pd.Timestamp(day).date()
    assert setup_date_note(setup, setup.report_date) == (
        "Báo cáo ngày 05/07/2025. Số liệu (kể cả số điều chỉnh và ý kiến chuyên viên) cập "
        "nhật đến ngày 05/07/2025.")
    # the data-quality page of `--as-of 2025-06 --vintage 2025-07-10` lists no August revision
    july = load_dataset(catalog, str(SAMPLE_DIR), vintage="2025-07-10")
    assert (pd.to_datetime(revisions(july)["reported_at"]) <= pd.Timestamp("2025-07-10")).all()
    assert (pd.to_datetime(revisions(load_dataset(catalog, str(SAMPLE_DIR)))["reported_at"])
            > pd.Timestamp("2025-07-10")).any()  # the check can fail: later ones exist


def test_the_index_names_months_as_the_report_does():
    from kpi_lib.outputs.index_page import month_words

    assert month_words("2025-09") == "9 tháng đầu năm 2025"  # the report's own title
    assert month_words("2025-01") == "Tháng 01 năm 2025" and month_words("2025-12") == "Năm 2025"
    assert month_words("2025-09", short=True) == "Tháng 9/2025"  # the history's column head
    assert month_words("2025-09_DONGSON") == "9 tháng đầu năm 2025 — DONGSON"
    assert month_words("2025-09", "en") == "January–September 2025"
    assert month_words("2025-09", "en", short=True) == "Sep 2025"


def test_a_document_takes_the_later_of_its_planned_day_and_its_figures(catalog):
    """The rule (report_setup.issue_date): the planned date when the figures are in time;
    else the day they run to (never the clock: a re-run is the same document), and the
    issuer is the one valid on that day."""
    from datetime import date

    from kpi_lib.outputs.report_setup import issue_date, report_setup, setup_date_note

    assert issue_date(date(2025, 10, 5), date(2025, 10, 3)) == date(2025, 10, 5)
    assert issue_date(date(2025, 10, 5), date(2025, 10, 15)) == date(2025, 10, 15)
    assert issue_date(date(2025, 10, 5), None) == date(2025, 10, 5)
    late = report_setup(catalog, 9, None, date(2025, 10, 15))
    assert (late.report_date, late.planned_date) == (date(2025, 10, 15), date(2025, 10, 5))
    assert setup_date_note(late, date(2025, 10, 15), "en").startswith(
        "Report dated 15/10/2025 (planned for 05/10/2025")


def test_the_report_says_up_to_which_day_its_figures_were_received(published):
    page = (published.folder / "monthly_report.html").read_text(encoding="utf-8")
    assert "cập nhật đến ngày 15/10/2025" in page
