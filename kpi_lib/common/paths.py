"""Path constants in one place (cookiecutter-data-science style).

The project root is where `data/` and `notebooks/` live. It is found from the
environment variable KPI_HOME, else from the package's location (editable install),
else the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    env = os.environ.get("KPI_HOME")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parents[2]  # kpi_lib/common/paths.py -> project root
    if (here / "data" / "catalog").is_dir():
        return here
    return Path.cwd().resolve()


PROJECT_ROOT = _find_root()
DATA_DIR = PROJECT_ROOT / "data"
CATALOG_DIR = DATA_DIR / "catalog"
DEFAULT_CATALOG = CATALOG_DIR / "binh_son_2025.yaml"
SAMPLE_DIR = DATA_DIR / "sample"
NARRATIVE_TEMPLATES = DATA_DIR / "narrative" / "templates.yaml"
DEFAULT_STORE = DATA_DIR / "store"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
CACHE_DIR = Path(os.environ.get("KPI_CACHE", PROJECT_ROOT / ".cache"))
