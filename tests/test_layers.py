"""The library's stages import only from earlier stages, with no import circles inside one.

The contracts live in pyproject.toml ([tool.importlinter]); import-linter checks them.
A second test proves the check bites: a copy of the package with one backward import fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from kpi_lib.common.paths import PROJECT_ROOT

LINT = [sys.executable, "-c",
        "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"]


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*LINT, "--config", str(root / "pyproject.toml"), "--no-cache"],
                          check=False, cwd=root, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_stages_import_only_from_earlier_stages():
    result = _lint(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout, result.stdout


def test_a_backward_import_is_caught(tmp_path):
    shutil.copytree(PROJECT_ROOT / "kpi_lib", tmp_path / "kpi_lib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    catalog = tmp_path / "kpi_lib" / "plan" / "catalog.py"
    catalog.write_text(catalog.read_text() + "\nfrom ..runner import monthly  # noqa\n")
    narrative = tmp_path / "kpi_lib" / "outputs" / "narrative.py"
    narrative.write_text(narrative.read_text() + "\nfrom . import word  # noqa\n")
    word = tmp_path / "kpi_lib" / "outputs" / "word.py"
    word.write_text(word.read_text() + "\nfrom . import narrative  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "kpi_lib.plan.catalog -> kpi_lib.runner.monthly" in result.stdout, result.stdout
    assert "0 kept, 2 broken" in result.stdout, result.stdout
