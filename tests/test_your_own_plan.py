"""README "Your own plan", run exactly as written: a new user's first report for another
place and year, no unit registry, one indicator. Plus the same job with a unit registry."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kpi_lib.common.paths import PROJECT_ROOT
from kpi_lib.inputs.template import FIRST_ROW, MONTH_COL, SHEET


def readme_commands() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your own plan", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip()]


def fill(form: Path, out: Path, months: int, base: float) -> None:
    """What a department does: the figures of each month in the form's row."""
    wb = load_workbook(form)
    ws = wb[SHEET]
    assert ws.cell(row=FIRST_ROW, column=1).value == "T01"
    for m in range(1, months + 1):  # a weak month around Tết, a December push
        factor = 0.8 if m in (1, 2) else 1.3 if m == 12 else 1.0
        ws.cell(row=FIRST_ROW, column=MONTH_COL + m - 1, value=round(base * factor, 2))
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)


def run(line: str, cwd: Path) -> subprocess.CompletedProcess:
    kpi = f"{shlex.quote(sys.executable)} -m kpi_lib.cli"
    return subprocess.run(["bash", "-c", line.replace(".venv/bin/kpi", kpi)], cwd=cwd,
                          capture_output=True, text=True, timeout=600, check=False)


def test_readme_has_ten_commands_or_fewer():
    lines = readme_commands()
    assert 3 <= len(lines) <= 10 and all(x.startswith(".venv/bin/kpi ") for x in lines)


@pytest.mark.notebook
def test_your_own_plan_as_the_readme_says(tmp_path):
    for line in readme_commands():
        if " ingest " in line:  # departments fill in the forms before they are ingested
            fill(tmp_path / "an-phu" / "bieu-mau-2025.xlsx",
                 tmp_path / "an-phu" / "da-nhan" / "2025.xlsx", 12, 8.0)
            fill(tmp_path / "an-phu" / "bieu-mau-2026.xlsx",
                 tmp_path / "an-phu" / "da-nhan" / "2026.xlsx", 5, 8.8)
        result = run(line, tmp_path)
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr
    report = tmp_path / "an-phu" / "reports" / "2026-05" / "monthly_report.html"
    page = report.read_text(encoding="utf-8")
    assert "Xã An Phú" in page and "Thu ngân sách nhà nước trên địa bàn" in page
    assert "Bình Sơn" not in page
    summary = (report.parent / "summary.csv").read_text(encoding="utf-8")
    assert summary.count("\n") == 2 and "T01," in summary  # one indicator, assessed


REGISTRY = """\
code,name_vi,name_en,level,parent,valid_from,valid_to,note
KHU,Khu kinh tế thử,Test zone,area,,,,
XA1,Xã Một,Commune one,commune,KHU,,,
XA2,Xã Hai,Commune two,commune,KHU,,,
"""


@pytest.mark.notebook
def test_monthly_job_with_a_unit_registry_for_another_year(tmp_path):
    """The same job where figures come per commune and the report rolls them up."""
    from .conftest import run_kpi

    (tmp_path / "units.csv").write_text(REGISTRY, encoding="utf-8")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "catalog: {id: khu-2023, year: 2023, area_vi: Khu kinh tế thử, province_vi: Tỉnh Thử,"
        " default_unit: KHU, units_file: units.csv}\n"
        "indicators:\n"
        "  - {id: V1, name_vi: Vốn đầu tư, unit: tỷ đồng, kind: flow, rule: ge, target: 260}\n"
        "  - {id: L1, name_vi: Lao động mới, unit: người, kind: flow, rule: ge, target: 50}\n",
        encoding="utf-8")
    rows = ["indicator_id,unit_code,period,value"]
    for year in (2020, 2021, 2022, 2023):
        for m in range(1, 13 if year < 2023 else 7):
            for unit, size in (("XA1", 10.0), ("XA2", 8.0)):
                rows.append(f"V1,{unit},{year}-{m:02d},{size * (1 + (m == 12)) * 1.05 ** (year - 2020):.2f}")
                rows.append(f"L1,{unit},{year}-{m:02d},{2 + (m % 3)}")
    data = tmp_path / "figures.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    store, out = tmp_path / "store", tmp_path / "reports"
    result = run_kpi("ingest", data, "--data", store, "--catalog", catalog)
    assert result.returncode == 0, result.stderr
    result = run_kpi("run", "--data", store, "--out", out)
    assert result.returncode == 0, result.stderr
    page = (out / "2023-06" / "monthly_report.html").read_text(encoding="utf-8")
    assert "Khu kinh tế thử" in page and "Xã Một" in page  # the area and its unit grid
    # No groups or items in the catalog: one group named after the plan, items numbered.
    assert "Chỉ tiêu kế hoạch" in page and "1. Vốn đầu tư" in page and "None." not in page
