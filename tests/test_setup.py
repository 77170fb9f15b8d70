"""The setup contract: pyproject and environment.yml agree; the layout is all there."""

from __future__ import annotations

import re
import tomllib

import yaml

from kpi_lib.common.paths import PROJECT_ROOT


def _name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(d) for d in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(d) for d in extra}
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    listed = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert listed == wanted, f"only in pyproject: {wanted - listed}; only in environment.yml: {listed - wanted}"


def test_required_layout_exists():
    for name in ("kpi_lib", "notebooks", "data", "tests", "benchmarks", "environment.yml",
                 "pyproject.toml", "Makefile", "README.md", ".ci/run"):
        assert (PROJECT_ROOT / name).exists(), name


def test_ci_runs_make_test_and_fails_on_no_tests():
    text = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "make test" in text and "set -euo pipefail" in text and '"$rc" -eq 5' in text
