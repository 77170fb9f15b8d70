"""Untrusted values never reach eval, exec or a shell; parameters are checked first."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import run_kpi

LIB = Path(__file__).resolve().parents[1] / "kpi_lib"
FORBIDDEN = re.compile(r"\b(eval|exec)\s*\(|os\.system|os\.popen|subprocess|shell\s*=\s*True|"
                       r"pickle\.loads?\(.*(request|input)")


def test_library_has_no_eval_exec_or_shell():
    hits = [f"{p.name}:{n}: {line.strip()}" for p in LIB.rglob("*.py")
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if FORBIDDEN.search(line)]
    assert hits == []


def test_as_of_before_any_figure_is_a_clear_error(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "observations.csv").write_text(
        "indicator_id,unit_code,period,value,value_type,reported_at,source,file_sha256\n"
        "T10,BINHSON,2025-03,5,month,2025-04-05,x,y\nT10,BINHSON,2025-04,6,month,2025-05-05,x,y\n")
    result = run_kpi("forecast", "--as-of", "2025-02", "--data", data)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "before any figure" in result.stderr and "2025-03" in result.stderr


def test_unit_code_cannot_name_a_path(tmp_path):
    result = run_kpi("run", "--unit", "../../etc", "--out", tmp_path)
    assert result.returncode == 2 and "unit code" in result.stderr
    assert not any(tmp_path.iterdir())
