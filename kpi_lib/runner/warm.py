"""Kernel side of a warm kernel (see kernels.py): imported *inside* the Jupyter kernel.

`warm_up()` pays the heavy imports once and records the state a fresh kernel has;
`reset()` puts that state back before the next notebook, so nothing one notebook did is
seen by the next. What is reset:

- the IPython namespace (`%reset -f`: every name, In/Out history) and the execution count
  (a new history session);
- the working directory, os.environ, sys.argv, sys.path;
- warnings filters (and the "already warned" registries), the root logger's level and
  handlers;
- matplotlib: every figure closed, rcParams restored;
- pandas options;
- every `kpi_lib` module: names rebound to the objects they held after warm-up, names added
  since deleted, and plain dict/list/set values restored in place to their warm-up content
  (so `from x import TABLE` aliases see the restore too); kpi_lib modules first imported by
  a notebook are dropped from sys.modules and imported again when next needed. Exempt:
  content-keyed caches (names ending `_MEMO`, `_CACHE`, `_MEMO_SAVED`, `_MEMO_LIMIT`), whose
  keys are their inputs, so they cannot carry one notebook's choices into another;
- the global random generators of `random` and numpy are reseeded from the OS, as in a fresh
  kernel.

Not reset (a fresh kernel per notebook remains available: `kpi run --fresh-kernels`):
state of third-party modules other than the above, IPython event callbacks or `%config`
a notebook registers, threads it leaves running, and memory the allocator keeps.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import logging
import os
import sys
import warnings

# What the report notebooks import (and the statsmodels models the engine fits lazily):
# a warm kernel pays for them once instead of once per notebook.
WARM_IMPORTS = (
    "numpy", "pandas", "matplotlib", "matplotlib.pyplot", "IPython.display",
    "scipy.stats", "scipy.special",
    "statsmodels.tsa.holtwinters",
    "kpi_lib.engine.pipeline", "kpi_lib.engine.track_record", "kpi_lib.engine.flows",
    "kpi_lib.inputs.data", "kpi_lib.plan.catalog",
    "kpi_lib.outputs.charts", "kpi_lib.outputs.quality", "kpi_lib.outputs.render",
    "kpi_lib.outputs.report_table", "kpi_lib.outputs.i18n", "kpi_lib.outputs.narrative",
    "kpi_lib.outputs.track_record", "kpi_lib.runner.export",
)
KEEP_SUFFIXES = ("_MEMO", "_CACHE", "_MEMO_SAVED", "_MEMO_LIMIT")
_SAVED: dict = {}


def _ours(name: str) -> bool:
    """A kpi_lib module whose state is restored (not this one: it holds the record)."""
    return (name == "kpi_lib" or name.startswith("kpi_lib.")) and name != __name__


def _plain(value) -> bool:
    return type(value) in (dict, list, set)


def _snapshot_modules() -> dict:
    state = {}
    for name, module in list(sys.modules.items()):
        if not _ours(name) or module is None:
            continue
        names = dict(vars(module))
        content = {}
        for key, value in names.items():
            if key.startswith("__") or key.endswith(KEEP_SUFFIXES) or not _plain(value):
                continue
            with contextlib.suppress(Exception):  # not copyable: its binding is still restored
                content[key] = copy.deepcopy(value)
        state[name] = (names, content)
    return state


def warm_up(imports: tuple[str, ...] = WARM_IMPORTS) -> None:
    """Import the heavy modules, then record the state `reset()` returns to."""
    for name in imports:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    import matplotlib

    _SAVED.update(
        cwd=os.getcwd(), environ=dict(os.environ), argv=list(sys.argv), path=list(sys.path),
        filters=list(warnings.filters), showwarning=warnings.showwarning,
        rc=dict(matplotlib.rcParams), modules=_snapshot_modules(),
        log_level=logging.root.level, log_handlers=list(logging.root.handlers),
        pandas=_pandas_options(),
    )


def _pandas_options():
    try:
        from pandas._config import config

        return copy.deepcopy(config._global_config)
    except Exception:  # noqa: BLE001 - private API moved: options then go unrestored
        return None


def _restore_in_place(obj, saved) -> None:
    with contextlib.suppress(Exception):  # e.g. arrays inside: restore anyway
        if bool(obj == saved):
            return
    fresh = copy.deepcopy(saved)
    if isinstance(obj, dict):
        obj.clear()
        obj.update(fresh)
    elif isinstance(obj, list):
        obj[:] = fresh
    else:
        obj.clear()
        obj.update(fresh)


def _restore_modules(state: dict) -> None:
    for name in [n for n in sys.modules if _ours(n) and n not in state]:
        del sys.modules[name]  # first imported by the last notebook: import afresh
    for name, (names, content) in state.items():
        module = sys.modules.get(name)
        if module is None:
            continue
        space = vars(module)
        for key in [k for k in space if k not in names and not k.startswith("__")]:
            del space[key]
        for key, value in names.items():
            if key.startswith("__") or key.endswith(KEEP_SUFFIXES):
                continue
            if space.get(key, _MISSING) is not value:
                space[key] = value
            if key in content:
                _restore_in_place(value, content[key])


_MISSING = object()


def reset() -> None:
    """Return the kernel to the state warm_up() recorded (see the module docstring)."""
    import random

    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np

    ip = get_ipython()  # type: ignore[name-defined]  # noqa: F821 - IPython's builtin
    ip.reset(new_session=True)  # counts from 1 again, in a new history session
    os.chdir(_SAVED["cwd"])
    os.environ.clear()
    os.environ.update(_SAVED["environ"])
    sys.argv[:] = _SAVED["argv"]
    sys.path[:] = _SAVED["path"]
    warnings.filters[:] = _SAVED["filters"]
    warnings.showwarning = _SAVED["showwarning"]
    getattr(warnings, "_filters_mutated", lambda: None)()  # forget "already warned once"
    logging.root.setLevel(_SAVED["log_level"])
    logging.root.handlers[:] = _SAVED["log_handlers"]
    plt.close("all")
    dict.update(matplotlib.rcParams, _SAVED["rc"])  # raw: the values were validated
    if _SAVED["pandas"] is not None:
        from pandas._config import config

        _restore_in_place(config._global_config, _SAVED["pandas"])
    _restore_modules(_SAVED["modules"])
    random.seed()
    np.random.seed()
