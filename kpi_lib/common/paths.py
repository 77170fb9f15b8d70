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


def shown_path(path: str | Path, base: str | Path | None = None) -> str:
    """A path as a reader of a published page may see it: relative to the project (or to
    the current folder) when inside it; else from the folder `base` on, named
    ("so-lieu/report_text/2025-09.md"), or the path's folder and name. A page never prints
    a server's absolute path (it means nothing to the reader and tells a stranger too
    much)."""
    path = Path(path)
    resolved = path.resolve() if path.is_absolute() or path.exists() else path
    for root in (PROJECT_ROOT, Path.cwd().resolve()):
        try:
            return resolved.relative_to(root).as_posix() or "."
        except ValueError:
            continue
    if not path.is_absolute():
        return path.as_posix()
    if base is not None:
        base = Path(base).resolve()
        try:
            return (Path(base.name) / resolved.relative_to(base)).as_posix()
        except ValueError:
            pass
    return Path(*resolved.parts[-2:]).as_posix() if len(resolved.parts) > 2 else resolved.name
