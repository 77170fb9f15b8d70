"""Student t CDF and quantiles (scipy.special.stdtr, stdtrit), remembered on disk.

Why: importing scipy.special costs ~0,17 s CPU (scipy 1.17's array-API layer parses the
docstrings of hundreds of functions at import), a sixth of a warm `kpi forecast`, whose
model fits all come from the cache and which needs scipy for nothing else. The values
are a pure function of the input arrays and scipy's version, so a run whose inputs were
seen before reads the very values scipy returned then, bit for bit, and never imports it.
Any other input (new data, another month, another scipy) is computed by scipy and kept.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np

from ..common.files import read_memo, write_whole

VERSION = 1
MAX_ENTRIES = 2048
MAX_ELEMENTS = 20_000  # a national store's arrays are computed, not kept (the import is
# then a small part of the run)

_MEMO: dict[bytes, np.ndarray] = {}
_STATE = {"loaded": None, "dirty": False}


def stdtr(df: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(T ≤ x) for Student's t with `df` degrees of freedom (scipy.special.stdtr)."""
    return _call("stdtr", df, x)


def stdtrit(df: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The p-quantile of Student's t with `df` degrees of freedom (scipy.special.stdtrit)."""
    return _call("stdtrit", df, p)


def _call(name: str, df: np.ndarray, x: np.ndarray) -> np.ndarray:
    df, x = np.broadcast_arrays(np.asarray(df, dtype=float), np.asarray(x, dtype=float))
    if df.size > MAX_ELEMENTS:
        return _scipy(name, df, x)
    path = _memo_path()
    key = hashlib.sha256(b"|".join([_scipy_version(), name.encode(), str(df.shape).encode(),
                                    np.ascontiguousarray(df).tobytes(),
                                    np.ascontiguousarray(x).tobytes()])).digest()
    _load(path)
    if key in _MEMO:
        return _MEMO[key].copy()
    out = _scipy(name, df, x)
    if len(_MEMO) >= MAX_ENTRIES:
        del _MEMO[next(iter(_MEMO))]  # the oldest
    _MEMO[key] = np.array(out, dtype=float)
    _STATE["dirty"] = True
    return out


def _scipy(name: str, df: np.ndarray, x: np.ndarray) -> np.ndarray:
    from scipy import special

    return getattr(special, name)(df, x)


def save() -> None:
    """Keep the values computed in this process for later runs (atomic replace; a
    read-only cache only costs time)."""
    path = _memo_path()
    if path is None or not _STATE["dirty"]:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        memo = dict(_MEMO)
        write_whole(path, lambda fh: pickle.dump(memo, fh))
        _STATE["dirty"] = False
    except OSError:
        pass


def _memo_path() -> Path | None:
    from ..common.paths import CACHE_DIR  # read at call time: tests and runs set KPI_CACHE

    return Path(CACHE_DIR) / f"tdist-v{VERSION}.pkl" if CACHE_DIR else None


def _load(path: Path | None) -> None:
    """The file's values, read once per cache folder in this process."""
    if path is None or _STATE["loaded"] == path:
        return
    _STATE["loaded"] = path
    for k, v in read_memo(path).items():
        _MEMO.setdefault(k, v)


_VERSION_TEXT: list[bytes] = []


def _scipy_version() -> bytes:
    """scipy's version file (version and git revision), read without importing scipy."""
    if not _VERSION_TEXT:
        from importlib.util import find_spec

        spec = find_spec("scipy")
        try:
            text = (Path(spec.origin).parent / "version.py").read_bytes()
        except (AttributeError, TypeError, OSError):
            import scipy  # no version file where expected: ask scipy itself

            text = scipy.__version__.encode()
        _VERSION_TEXT.append(hashlib.sha256(text).digest())
    return _VERSION_TEXT[0]
