"""Shared fixtures: the real catalog, a scratch store, and a runner for the `kpi` command."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kpi_lib.common.paths import DEFAULT_CATALOG, PROJECT_ROOT
from kpi_lib.plan.catalog import load_catalog

FIXTURES = Path(__file__).parent / "fixtures"

# Notebooks executed by tests (nbval, papermill) read the shipped sample even on a machine
# that has a working store: their expected outputs are the sample's.
os.environ.setdefault("KPI_DATA", str(PROJECT_ROOT / "data" / "sample"))


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory):
    """One real monthly run on the sample (2025-09), shared by the tests that read what it
    published (invariants, browser): a run costs most of a minute."""
    from kpi_lib.runner.monthly import run_month

    return run_month(as_of="2025-09", out=tmp_path_factory.mktemp("sample-report"))


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture(scope="session")
def other_catalog():
    return load_catalog(FIXTURES / "catalog_other.yaml")


def edited_catalog(tmp_path: Path, edit, name: str = "catalog.yaml") -> Path:
    """The shipped catalog changed by `edit(doc)`, written under tmp_path (its registry paths
    made absolute, so the copy loads from anywhere)."""
    doc = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    for key in ("units_file", "crosswalk_file", "campaign_file", "term_file"):
        if doc["catalog"].get(key):
            doc["catalog"][key] = str((DEFAULT_CATALOG.parent / doc["catalog"][key]).resolve())
    edit(doc)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def entry(doc: dict, indicator_id: str) -> dict:
    """One indicator's mapping in a catalog document, to edit it."""
    return next(i for i in doc["indicators"] if i["id"] == indicator_id)


def tree_checksum(root: Path, skip: str | None = None, ignore_suffix: str | None = None) -> str:
    """One sha256 over every file's path and bytes under `root` (missing root -> fixed value).
    `skip` leaves out a top-level folder; `ignore_suffix` files ending so (abandoned temps)."""
    digest = hashlib.sha256()
    if not root.exists():
        return "absent"
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != ".lock"):
        rel = path.relative_to(root)
        if (skip and rel.parts[0] == skip) or (ignore_suffix and path.name.endswith(ignore_suffix)):
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_kpi(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real `kpi` command line in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "kpi_lib.cli", *map(str, args)],
                          check=False, capture_output=True, text=True, cwd=cwd or PROJECT_ROOT, timeout=600)
