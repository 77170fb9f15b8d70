"""Year-end estimates for flows, vectorised across series, with rolling-origin backtests.

A flow's year-end value is the sum of its months. Every method here is arithmetic over a
cube YTD[series, year, month], so 80,000 series cost milliseconds:

- same_period    YTD × (last year's total ÷ last year's YTD at the same month): the
                 "so cùng kỳ" estimate Vietnamese offices use.
- seasonal_share YTD ÷ the average share of the year done by this month in past years.
- history        last year's total × recent growth (ignores this year's figures).
- ets            Holt-Winters (statsmodels, damped trend) on the monthly series: actual
                 Jan..m plus forecast m+1..12. Per series, so only for a district's few.
- combined       the geometric mean of seasonal_share and ets, weighted by 1 / their
                 backtest mean squared error shrunk towards equal weights (see
                 combination_weights): the estimate used whenever it can be backtested.
- run_rate       YTD × 12 / m, the naive reference (used only with no past year).

For January the Lunar New Year matters: shares and ratios for month 1 come from years
whose Tết fell in the same month as this year's (from February on, Jan+Feb are both in
the YTD and the shift cancels out).

Backtests re-run each method on past years as if it were month m then, giving the error
log(actual total ÷ estimate) per series, year and month. Every method is backtested on
the same origins (the last BACKTEST_YEARS complete years, at the same months), so their
errors are compared like with like. Errors are pooled across units of the same indicator.

Why a combination rather than the best method: with a handful of backtest years per
month, picking the method with the smallest error mostly picks noise (measured on real
GSO series: the picked method did worse than Holt-Winters alone), while simple
combinations of ETS and seasonal methods are hard to beat (M4 competition). The
combination's own backtest errors give the interval and the probability of meeting the
target. When the combination cannot be backtested (short history) it is still used, with
equal weights, and its interval borrows its members' backtest errors: falling back to the
method with the smallest backtest error (mostly the annual trend `history`) erred 1,2–1,7 ×
Holt-Winters on those cases of the real series.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import warnings
from dataclasses import dataclass

import numpy as np

from ..common.files import read_memo, write_whole
from .lunar import tet_month

BASE_METHODS = ("same_period", "seasonal_share", "history")
# The per-series models fitted at every origin. The Theta method (statsmodels ThetaModel,
# deseasonalised) was measured beside ETS and dropped: in the combination it made the
# year-end estimate worse on the real series at every month (benchmarks/realdata.py, 6 series, 163 origins, equal-weight combinations with the
# heuristic ETS: error ÷ Holt-Winters 0,95 / 1,12 / 0,92 at months 3 / 6 / 9 with it,
# 0,94 / 1,07 / 0,91 without; leaving out any one series, the other five still preferred it
# out), and it doubled the cold fitting time.
MODEL_METHODS = ("ets",)
CANDIDATES = ("same_period", "seasonal_share", "history", "ets", "combined")
# What the combination averages: ETS and a seasonal method (M4: simple combinations of ETS
# and seasonal methods are hard to beat).
COMBINED_OF = ("seasonal_share", "ets")
# Weight of equal weights against 1/MSE weights is SHRINK / (SHRINK + n backtest errors):
# with 5 errors, half and half; measured on real series, more shrinkage did no worse.
SHRINK = 5.0
SHARE_YEARS = 5
GROWTH_YEARS = 3
# Past years every method is backtested on: deeper cost time and gained nothing measurable
# on the GSO series (benchmarks/realdata.py), since errors are pooled per indicator.
BACKTEST_YEARS = 6
# Fits spread over processes from this many origins on. With one BLAS thread an origin
# (ETS + Theta) takes ~15–25 ms; a pool of forked workers costs 0.2–0.4 s to start and feed
# on a busy 2-core machine, so below ~40 origins a cold run was no faster with it
# (the sample's 30: 0.45–0.85 s pooled, 0.52–0.60 s in one process).
MIN_PARALLEL_FITS = 40
CACHE_VERSION = 7


@dataclass
class Cube:
    """YTD[series, year, month] with the series keys and the calendar years."""

    keys: list[tuple[str, str]]  # (indicator_id, unit_code)
    years: np.ndarray
    ytd: np.ndarray

    @property
    def totals(self) -> np.ndarray:
        return self.ytd[:, :, 11]

    def digest(self) -> str:
        h = hashlib.sha256()
        h.update(repr((self.keys, self.years.tolist())).encode())
        h.update(np.ascontiguousarray(self.ytd).tobytes())
        return h.hexdigest()


def cube_from_ytd(ytd_wide, keys: list[tuple[str, str]] | None = None) -> Cube:
    """Build the cube from Dataset.ytd (index indicator_id, unit_code, year; columns 1..12)."""
    import pandas as pd

    frame = ytd_wide
    pairs = pd.MultiIndex.from_arrays([frame.index.get_level_values(0),
                                       frame.index.get_level_values(1)])
    series = list(keys) if keys is not None else sorted(set(pairs))
    s_idx = pd.MultiIndex.from_tuples(series).get_indexer(pairs) if series else \
        np.full(len(pairs), -1)
    keep = s_idx >= 0
    if not keep.any():
        return Cube(series, np.array([], dtype=int), np.zeros((len(series), 0, 12)))
    year_level = frame.index.get_level_values(2).to_numpy()[keep]
    years = np.arange(year_level.min(), year_level.max() + 1)
    cube = np.full((len(series), len(years), 12), np.nan)
    cube[s_idx[keep], year_level - years[0], :] = frame.to_numpy(dtype=float)[keep]
    return Cube(series, years, cube)


def _ref_years(years: np.ndarray, ti: int, m: int, limit: int) -> list[int]:
    """Indices of the past years to learn from for target year index ti at month m."""
    past = list(range(max(0, ti - limit), ti))
    if m == 1:
        same = [j for j in range(ti) if tet_month(int(years[j])) == tet_month(int(years[ti]))]
        if same:
            return same[-limit:]
    return past


def base_estimates(cube: Cube, ti: int, m: int) -> dict[str, np.ndarray]:
    """Every vectorised method's estimate for year index ti as of month m (1..12)."""
    ytd = cube.ytd[:, ti, m - 1]
    totals = cube.totals
    with np.errstate(divide="ignore", invalid="ignore"):
        refs = _ref_years(cube.years, ti, m, SHARE_YEARS)
        share = cube.ytd[:, refs, m - 1] / totals[:, refs] if refs else np.full((len(ytd), 1), np.nan)
        share = np.where(share > 0, share, np.nan)
        # same period: the most recent reference year with both figures
        same_period = np.full_like(ytd, np.nan)
        for j in refs:  # later years overwrite earlier ones
            ratio = totals[:, j] / cube.ytd[:, j, m - 1]
            same_period = np.where(np.isfinite(ratio) & (ratio > 0), ytd * ratio, same_period)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            seasonal = ytd / np.nanmean(share, axis=1)
        history = np.full_like(ytd, np.nan)
        last = totals[:, ti - 1] if ti >= 1 else np.full_like(ytd, np.nan)
        for k in range(1, GROWTH_YEARS + 1):  # the longest span available wins (later k)
            if ti - 1 - k < 0:
                break
            growth = (last / totals[:, ti - 1 - k]) ** (1.0 / k)
            history = np.where(np.isfinite(growth) & (growth > 0), last * growth, history)
        history = np.where(np.isnan(history), last, history)
        run_rate = ytd * 12.0 / m
    return {"same_period": same_period, "seasonal_share": seasonal, "history": history,
            "run_rate": run_rate}


def _monthly_to(cube: Cube, s: int, ti: int, m: int) -> np.ndarray | None:
    """One series' monthly amounts from its first figure to (ti, m); None when fewer than
    24 months or a gap (the models need two full seasons, unbroken)."""
    ytd = cube.ytd[s, : ti + 1, :].copy()
    ytd[ti, m:] = np.nan
    monthly = np.diff(np.concatenate([np.zeros((ti + 1, 1)), ytd], axis=1), axis=1).ravel()
    monthly = monthly[: ti * 12 + m]
    finite = np.isfinite(monthly)
    if not finite.any():
        return None
    series = monthly[int(np.argmax(finite)):]
    if len(series) < 24 or not np.isfinite(series).all():
        return None
    return series


_BLAS: list = []  # the threadpoolctl controller, made once (finding the libraries takes ~15 ms)


def one_blas_thread():
    """A context in which OpenBLAS runs single-threaded, for the model fits.

    scipy ≥ 1.15's L-BFGS-B (which every statsmodels fit here uses) makes tiny BLAS calls;
    with OpenBLAS' default thread pool each costs a thread hand-off, and a fit took 4–5×
    longer (scipy issue #22438; measured here: an ETS + Theta pair 110 → 25 ms).
    """
    from threadpoolctl import ThreadpoolController

    if not _BLAS:
        import scipy.linalg  # noqa: F401  (loads scipy's own OpenBLAS, so the limit covers it)

        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def _fit_ets(series: np.ndarray, steps: int) -> float:
    """Holt-Winters (damped additive trend) with its initial states estimated, as
    statsmodels' default fit does, but started from a quick heuristic fit instead of a
    brute-force grid.

    Measured on the real series (benchmarks/realdata.py, 165 origins): the heuristic fit
    alone erred 4,62 / 3,63 / 1,91 % at months 3 / 6 / 9, statsmodels' default fit 4,53 /
    3,16 / 1,84, this one 4,64 / 3,18 / 1,84, at ~23 ms a fit against ~90–200 ms for the
    default (cold speed matters: every backtest origin is a fit).
    """
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    seasonal = "mul" if (series > 0).all() else "add"
    form = {"trend": "add", "damped_trend": True, "seasonal": seasonal, "seasonal_periods": 12}
    quick = ExponentialSmoothing(series, initialization_method="heuristic", **form
                                 ).fit(use_brute=False)
    p = quick.params
    start = np.r_[p["smoothing_level"], p["smoothing_trend"], p["smoothing_seasonal"],
                  p["initial_level"], p["initial_trend"], p["damping_trend"],
                  p["initial_seasons"]]
    try:
        fit = ExponentialSmoothing(series, initialization_method="estimated", **form
                                   ).fit(start_params=start, use_brute=False)
        rest = float(np.sum(fit.forecast(steps)))
    except (ValueError, np.linalg.LinAlgError):
        rest = np.nan
    return rest if np.isfinite(rest) else float(np.sum(quick.forecast(steps)))


_MODEL_FITS = {"ets": _fit_ets}
# Fits by (method, series up to the origin): a track record or a benchmark that asks for the
# same origin again (from a truncated cube, another as-of month) reuses the fit.
_MEMO: dict[tuple[str, bytes, int], float] = {}
_MEMO_LIMIT = 200_000
_MEMO_SAVED = [0]  # how many fits the file on disk holds


def _series_key(series: np.ndarray) -> bytes:
    return hashlib.sha1(series.tobytes()).digest()


def load_fits(cache_dir) -> None:
    """Fits made by earlier runs (`fits-vN.pkl` in the cache): a past origin's data never
    change, so next month's run refits only the new origins."""
    from pathlib import Path

    if not cache_dir:
        return
    saved = read_memo(Path(cache_dir) / f"fits-v{CACHE_VERSION}.pkl")
    for k, v in saved.items():
        _MEMO.setdefault(k, v)
    _MEMO_SAVED[0] = max(_MEMO_SAVED[0], len(saved))


def save_fits(cache_dir) -> None:
    """Keep the fits for later runs (atomic replace; a read-only cache only costs time)."""
    from pathlib import Path

    if not cache_dir or len(_MEMO) <= _MEMO_SAVED[0]:
        return
    path = Path(cache_dir) / f"fits-v{CACHE_VERSION}.pkl"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        memo = dict(_MEMO)
        write_whole(path, lambda fh: pickle.dump(memo, fh))
        _MEMO_SAVED[0] = len(_MEMO)
    except OSError:
        pass


def model_estimate(cube: Cube, s: int, ti: int, m: int, method: str = "ets") -> float:
    """A per-series model's year-end estimate (actual Jan..m + forecast m+1..12) for one
    series, from its monthly amounts up to (ti, m); NaN when it cannot fit."""
    if m == 12:
        return float(cube.ytd[s, ti, 11])
    series = _monthly_to(cube, s, ti, m)
    if series is None:
        return np.nan
    key = (method, _series_key(series), m)
    if key in _MEMO:
        return _MEMO[key]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rest = _MODEL_FITS[method](series, 12 - m)
        value = float(cube.ytd[s, ti, m - 1] + rest)
    except (ValueError, np.linalg.LinAlgError, ZeroDivisionError):
        value = np.nan
    value = value if np.isfinite(value) and value > 0 else np.nan
    if len(_MEMO) < _MEMO_LIMIT:
        _MEMO[key] = value
    return value


def ets_estimate(cube: Cube, s: int, ti: int, m: int) -> float:
    """Holt-Winters (damped additive trend, multiplicative seasonality) for one series."""
    return model_estimate(cube, s, ti, m, "ets")


def plain_holt_winters(cube: Cube, s: int, ti: int, m: int) -> float:
    """The reference the engine is judged against: statsmodels' Holt-Winters with its
    default fitting (damped additive trend, multiplicative seasonality), one series."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    series = _monthly_to(cube, s, ti, m)
    if series is None or m == 12:
        return np.nan if series is None else float(cube.ytd[s, ti, 11])
    seasonal = "mul" if (series > 0).all() else "add"
    try:
        with warnings.catch_warnings(), one_blas_thread():
            warnings.simplefilter("ignore")
            fit = ExponentialSmoothing(series, trend="add", damped_trend=True,
                                       seasonal=seasonal, seasonal_periods=12).fit()
            value = float(cube.ytd[s, ti, m - 1] + np.sum(fit.forecast(12 - m)))
    except (ValueError, np.linalg.LinAlgError):
        return np.nan
    return value if np.isfinite(value) else np.nan


_WORKER_CUBE: Cube | None = None


def _init_worker(cube: Cube) -> None:
    global _WORKER_CUBE
    _WORKER_CUBE = cube


def _model_task(task: tuple[int, int, int]) -> tuple[float, ...]:
    return tuple(model_estimate(_WORKER_CUBE, *task, method=k) for k in MODEL_METHODS)


def model_batch(cube: Cube, tasks: list[tuple[int, int, int]],
                jobs: int | None = None) -> list[tuple[float, ...]]:
    """Every model's estimate per (series, year index, month), across processes when many.

    The vectorised methods need no help; the model path is the slow one (~10–20 ms a fit),
    so a batch of more than MIN_PARALLEL_FITS is spread over the machine's cores.
    """
    from concurrent.futures import ProcessPoolExecutor

    jobs = jobs or os.cpu_count() or 1
    # Only origins that still need a fit count towards the pool: a too-short series, a
    # December origin or a fit already in the memo (the fits file) costs nothing.
    need = []
    for t in dict.fromkeys(tasks):
        series = _monthly_to(cube, *t) if t[2] < 12 else None
        if series is not None and not all((k, _series_key(series), t[2]) in _MEMO
                                          for k in MODEL_METHODS):
            need.append(t)
    pooled: dict[tuple[int, int, int], tuple[float, ...]] = {}
    with one_blas_thread() if need else contextlib.nullcontext():  # workers inherit it
        if jobs >= 2 and len(need) >= MIN_PARALLEL_FITS:
            # Imported once here, before the fork, rather than in every worker.
            import statsmodels.tsa.holtwinters  # noqa: F401
            with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                     initargs=(cube,)) as pool:
                fitted = pool.map(_model_task, need, chunksize=max(1, len(need) // (jobs * 4)))
                pooled = dict(zip(need, fitted, strict=True))
            # The workers' fits, kept here too: the forecast and the fits file reuse them.
            for (s, ti, m), values in pooled.items():
                key = _series_key(_monthly_to(cube, s, ti, m))
                if len(_MEMO) < _MEMO_LIMIT:
                    for k, v in zip(MODEL_METHODS, values, strict=True):
                        _MEMO[(k, key, m)] = v
        return [pooled.get(t) or tuple(model_estimate(cube, *t, method=k)
                                       for k in MODEL_METHODS) for t in tasks]


def prefit_models(cube: Cube, tasks: list[tuple[int, int, int]], jobs: int | None = None) -> int:
    """Fit the models for many origins (series, year index, month) at once, across cores,
    and keep them for model_estimate: a replay of past months (the track record) asks for
    each origin many times. Returns the number of fits made."""
    todo, keys = [], []
    for s, ti, m in dict.fromkeys(tasks):
        series = _monthly_to(cube, s, ti, m) if m < 12 else None
        if series is None:
            continue
        key = _series_key(series)
        if all((k, key, m) in _MEMO for k in MODEL_METHODS):
            continue
        todo.append((s, ti, m))
        keys.append((key, m))
    for (key, m), fitted in zip(keys, model_batch(cube, todo, jobs), strict=True):
        for k, v in zip(MODEL_METHODS, fitted, strict=True):
            _MEMO[(k, key, m)] = v
    return len(todo)


@dataclass
class Backtest:
    """Errors log(actual ÷ estimate): method -> array[series, backtest year, month column];
    `months` names the columns (the as-of months that were backtested)."""

    errors: dict[str, np.ndarray]
    years: np.ndarray  # calendar years that were backtested
    groups: np.ndarray  # pooling group per series (same indicator)
    months: tuple[int, ...] = tuple(range(1, 13))

    def rmse(self, method: str) -> tuple[np.ndarray, np.ndarray]:
        """Pooled RMSE and error count per (series, month), pooling series of a group."""
        memo = self.__dict__.setdefault("_rmse_memo", {})
        if method not in memo:
            memo[method] = self._rmse(method)
        return memo[method]

    def _rmse(self, method: str) -> tuple[np.ndarray, np.ndarray]:
        err = self.errors[method]
        finite = np.isfinite(err)
        sq = np.where(finite, err, 0.0)
        sq = (sq * sq).sum(axis=1)  # (S, months)
        n = finite.sum(axis=1).astype(float)
        n_groups = int(self.groups.max()) + 1 if len(self.groups) else 0
        rmse = np.full((len(self.groups), 12), np.nan)
        count = np.zeros((len(self.groups), 12))
        for c, m in enumerate(self.months):
            g_sq = np.bincount(self.groups, sq[:, c], n_groups)
            g_n = np.bincount(self.groups, n[:, c], n_groups)
            with np.errstate(invalid="ignore", divide="ignore"):
                rmse[:, m - 1] = np.sqrt(g_sq / g_n)[self.groups]
            count[:, m - 1] = g_n[self.groups]
        return rmse, count


def _groups(keys: list[tuple[str, str]]) -> np.ndarray:
    ids = {iid: i for i, iid in enumerate(dict.fromkeys(k[0] for k in keys))}
    return np.array([ids[k[0]] for k in keys], dtype=int)


def run_backtest(cube: Cube, use_ets: bool = False, until: int | None = None,
                 months: tuple[int, ...] | None = None) -> Backtest:
    """Errors of every method on the same past complete years (the last BACKTEST_YEARS
    before index `until`) at the same months: like with like.

    `months` limits the work to the as-of months a forecast needs; the others stay NaN.
    `use_ets` adds the per-series model (ETS), one fit per series and origin.
    """
    months = tuple(range(1, 13)) if months is None else tuple(sorted(set(months)))
    until = len(cube.years) - 1 if until is None else until
    targets = [ti for ti in range(1, until) if np.isfinite(cube.totals[:, ti]).any()]
    targets = targets[-BACKTEST_YEARS:]
    n_s = len(cube.keys)
    names = (*BASE_METHODS, "run_rate", *(MODEL_METHODS if use_ets else ()))
    shape = (n_s, len(targets), len(months))
    estimates = {k: np.full(shape, np.nan) for k in names}
    model_tasks = []
    for b, ti in enumerate(targets):
        for c, m in enumerate(months):
            for k, v in base_estimates(cube, ti, m).items():
                if k in estimates:
                    estimates[k][:, b, c] = v
            if use_ets:
                model_tasks += [(s, ti, m, b, c) for s in range(n_s)
                                if np.isfinite(cube.totals[s, ti])]
    if model_tasks:
        values = model_batch(cube, [t[:3] for t in model_tasks])
        for (s, _, _, b, c), fitted in zip(model_tasks, values, strict=True):
            for k, v in zip(MODEL_METHODS, fitted, strict=True):
                estimates[k][s, b, c] = v
    actual = cube.totals[:, targets][:, :, None]
    errors = {k: _log_error(actual, estimates[k]) for k in names}
    bt = Backtest(errors, cube.years[targets], _groups(cube.keys), months)
    # The combination, with weights from its members' pooled errors at each month.
    weights = combination_weights(bt, [k for k in COMBINED_OF if k in errors])
    cols = [m - 1 for m in months]
    combined = _combine({k: estimates[k] for k in weights},
                        {k: w[:, None, cols] for k, w in weights.items()})
    # The combination is backtested only where all its members are: elsewhere it would be a
    # single member under another name.
    for k in weights:
        combined[~np.isfinite(estimates[k])] = np.nan
    bt.errors["combined"] = _log_error(actual, combined)
    bt.__dict__.pop("_rmse_memo", None)
    return bt


def _log_error(actual: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.log(actual / estimate)
    err[~np.isfinite(err)] = np.nan
    return err


def _pool(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Sum (series, column) values over the series of each group, back on every series."""
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    out = np.zeros_like(values, dtype=float)
    for c in range(values.shape[1]):
        out[:, c] = np.bincount(groups, values[:, c], n_groups)[groups]
    return out


def combination_weights(bt: Backtest, methods: list[str]) -> dict[str, np.ndarray]:
    """Weight per method, series and month (series, 12), summing to 1 at the backtested
    months (`bt.months`), 0 at the others.

    Each member's mean squared error is taken over the same origins (those where every
    member has an estimate), pooled over the series of an indicator. Weights 1/MSE are
    shrunk towards equal weights by SHRINK / (SHRINK + n): with few backtest years the
    errors are too noisy to trust, and equal weights are the robust choice. With fewer than
    2 common errors the weights are equal (M4: an equal-weight combination of ETS and a
    seasonal method is hard to beat; no backtest is needed to use it).
    """
    if not methods:
        return {}
    errs = np.stack([bt.errors[k] for k in methods])  # (K, S, Y, C)
    common = np.isfinite(errs).all(axis=0)  # (S, Y, C)
    n = _pool(common.sum(axis=1).astype(float), bt.groups)  # (S, C)
    inv = []
    for e in errs:
        sq = _pool(np.where(common, e * e, 0.0).sum(axis=1), bt.groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            mse = np.maximum(sq / n, 1e-12)
        inv.append(1.0 / mse)
    inv = np.stack(inv)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = inv / inv.sum(axis=0)
    lam = SHRINK / (SHRINK + n)
    w = lam / len(methods) + (1 - lam) * inv
    w = np.where(n >= 2, w, 1.0 / len(methods))
    out = {}
    for i, k in enumerate(methods):
        full = np.zeros((len(bt.groups), 12))
        full[:, [m - 1 for m in bt.months]] = w[i]
        out[k] = full
    return out


def _combine(estimates: dict[str, np.ndarray], weights: dict[str, np.ndarray]) -> np.ndarray:
    """Weighted geometric mean (errors are ratios); a member with no estimate is left out
    and the others' weights renormalised."""
    num = 0.0
    den = 0.0
    for k, est in estimates.items():
        ok = np.isfinite(est) & (est > 0)
        w = np.where(ok, weights[k], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            num = num + w * np.where(ok, np.log(np.where(ok, est, 1.0)), 0.0)
        den = den + w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, np.exp(num / den), np.nan)


def _disk_cached(cache_dir, key: str, compute):
    """compute() once per key; results kept as pickles (derived from data, never edited)."""
    from pathlib import Path

    path = Path(cache_dir) / key if cache_dir else None
    if path and path.is_file():
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError):
            pass
    value = compute()
    if path:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_whole(path, lambda fh: pickle.dump(value, fh))
        except OSError:
            pass  # a read-only cache only costs time
    return value


def cached_backtest(cube: Cube, use_ets: bool, cache_dir,
                    months: tuple[int, ...] | None = None) -> Backtest:
    """Backtests depend only on the data; keep them on disk keyed by its checksum."""
    if not cache_dir:
        return run_backtest(cube, use_ets=use_ets, months=months)
    if use_ets:
        load_fits(cache_dir)
    span = "all" if months is None else "-".join(map(str, sorted(set(months))))
    key = f"bt-v{CACHE_VERSION}-{'ets' if use_ets else 'vec'}-{span}-{cube.digest()[:24]}.pkl"
    bt = _disk_cached(cache_dir, key,
                      lambda: run_backtest(cube, use_ets=use_ets, months=months))
    if use_ets:
        save_fits(cache_dir)
    return bt


def latest_data_month(cube: Cube, ti: int, as_of: int) -> np.ndarray:
    """Each series' own latest month with data at or before as_of (late senders lag); 0
    where the year has none."""
    known = np.isfinite(cube.ytd[:, ti, :as_of])
    return np.where(known.any(axis=1), as_of - np.argmax(known[:, ::-1], axis=1), 0)


@dataclass
class FlowForecast:
    """Per series: the chosen estimate, its method, and its error scale (log space)."""

    keys: list[tuple[str, str]]
    data_month: np.ndarray
    ytd: np.ndarray
    estimate: np.ndarray
    method: np.ndarray
    scale: np.ndarray
    df: np.ndarray
    n_backtest: np.ndarray
    interval_source: np.ndarray
    all_estimates: dict[str, np.ndarray]


def _choose(out: dict[str, np.ndarray], rmse: dict[str, np.ndarray],
            count: dict[str, np.ndarray], members: list[str]):
    """Per series: the method, estimate, error scale (before the small-sample inflation),
    backtest count and interval source.

    The combination of COMBINED_OF whenever it has an estimate: with its backtest weights
    once backtested, else with equal weights (combination_weights). Its interval comes from
    its own backtest errors, never narrower than its members' typical spread (root mean
    square of their backtest RMSEs: its weights come from the same few backtest errors, so
    its own spread flatters it); without a backtest of its own, from that spread alone.
    With one member only it is named after that member. When no member has an estimate (no
    past year) or no backtest at all, the run-rate or the combination stands with an
    interval from this year's months (source "model", set by the caller).

    `history` (a trend on annual totals) and `same_period` are reported but never chosen:
    measured on the real series, falling back to the one with the smallest backtest error
    (mostly `history`) erred 1,2–1,7 × Holt-Winters where the combination could not be
    backtested.
    """
    n_s = len(out["run_rate"])
    have = np.stack([np.isfinite(out[k]) for k in members]) if members else \
        np.zeros((1, n_s), bool)
    comb = np.isfinite(out["combined"]) & have.any(axis=0)
    single = comb & (have.sum(axis=0) == 1)
    names = np.array(members or ["combined"], dtype=object)
    chosen = np.where(single, names[np.argmax(have, axis=0)], "combined")
    chosen = np.where(comb, chosen, "run_rate").astype(object)
    estimate = np.where(comb, out["combined"], out["run_rate"])
    # The members' typical spread, over those with at least one backtest error, and the
    # fewest errors behind it.
    rm = np.stack([np.where(count[k] >= 1, rmse[k], np.nan) for k in members]) if members \
        else np.full((1, n_s), np.nan)
    cn = np.stack([np.where(count[k] >= 1, count[k], np.inf) for k in members]) if members \
        else np.full((1, n_s), np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.sqrt(np.nanmean(rm ** 2, axis=0))
    spread_n = np.where(np.isfinite(cn.min(axis=0)), cn.min(axis=0), 0)
    own = comb & ~single & (count["combined"] >= 2) & np.isfinite(rmse["combined"])
    scale = np.where(own, np.fmax(rmse["combined"], spread), np.nan)
    n_bt = np.where(own, count["combined"], 0)
    for k in members:  # a single member: its own errors
        rows = single & (chosen == k) & (count[k] >= 1) & np.isfinite(rmse[k])
        scale = np.where(rows, rmse[k], scale)
        n_bt = np.where(rows, count[k], n_bt)
    borrowed = comb & ~np.isfinite(scale) & np.isfinite(spread) & (spread_n >= 1)
    scale = np.where(borrowed, spread, scale)
    n_bt = np.where(borrowed, spread_n, n_bt)
    source = np.where(np.isfinite(scale), "backtest", "model").astype(object)
    return chosen, estimate, scale, n_bt, source


def forecast_flows(cube: Cube, year: int, as_of: int, bt: Backtest,
                   use_ets: bool = False, cache_dir=None) -> FlowForecast:
    """Per series at its data month: the combination (see _choose), its interval from
    backtest errors or, with none, from the spread of this year's months."""
    ti = int(np.searchsorted(cube.years, year))
    n_s = len(cube.keys)
    if ti >= len(cube.years) or cube.years[ti] != year:
        nan = np.full(n_s, np.nan)
        return FlowForecast(cube.keys, np.zeros(n_s, int), nan, nan, np.full(n_s, "", object),
                            nan, nan, np.zeros(n_s), np.full(n_s, "", object), {})
    data_month = latest_data_month(cube, ti, as_of)
    out = {k: np.full(n_s, np.nan) for k in (*CANDIDATES, "run_rate")}
    rmse = {k: np.full(n_s, np.nan) for k in CANDIDATES}
    count = {k: np.zeros(n_s) for k in CANDIDATES}
    ytd_now = np.full(n_s, np.nan)
    for m in range(1, as_of + 1):
        rows = data_month == m
        if not rows.any():
            continue
        est = base_estimates(cube, ti, m)
        if use_ets and "ets" in bt.errors:
            idx = np.where(rows)[0]
            tasks = [(int(s), ti, m) for s in idx]
            key = f"models-v{CACHE_VERSION}-{ti}-{m}-{cube.digest()[:24]}.pkl"
            fitted = _disk_cached(cache_dir, key, lambda tasks=tasks: model_batch(cube, tasks))
            for j, k in enumerate(MODEL_METHODS):
                est[k] = np.full(n_s, np.nan)
                est[k][idx] = [f[j] for f in fitted]
        weights = combination_weights(bt, [k for k in COMBINED_OF if k in bt.errors])
        est["combined"] = _combine({k: est[k] for k in weights if k in est},
                                   {k: w[:, m - 1] for k, w in weights.items()})
        for k, values in out.items():
            if k in est:
                values[rows] = est[k][rows]
        for k in CANDIDATES:
            if k in bt.errors:
                r, n = bt.rmse(k)
                rmse[k][rows] = r[rows, m - 1]
                count[k][rows] = n[rows, m - 1]
        ytd_now[rows] = cube.ytd[rows, ti, m - 1]
    chosen, estimate, scale, n_bt, source = _choose(out, rmse, count,
                                                    [k for k in COMBINED_OF if k in bt.errors])
    # Inflate for estimating the spread from n errors (prediction, not fit).
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = scale * np.sqrt(1 + 1 / np.maximum(n_bt, 1))
    df = np.maximum(n_bt - 1, 1)
    has = source == "backtest"
    # Run-rate fallback: the interval from the dispersion of this year's months so far.
    fallback = ~has & (data_month >= 2)
    if fallback.any():
        monthly = np.diff(np.concatenate([np.zeros((n_s, 1)), cube.ytd[:, ti, :]], axis=1), axis=1)
        for s in np.where(fallback)[0]:
            m = data_month[s]
            sd = np.nanstd(monthly[s, :m], ddof=1)
            rest_sd = sd * np.sqrt(12 - m) * np.sqrt(1 + 1 / m)
            est = estimate[s]
            scale[s] = rest_sd / est if est > 0 else np.nan
            df[s] = max(m - 1, 1)
    done = data_month == 12
    estimate = np.where(done, ytd_now, estimate)
    chosen = np.where(done, "actual", chosen)
    scale = np.where(done, 0.0, scale)
    return FlowForecast(cube.keys, data_month, ytd_now, estimate, chosen, scale, df, n_bt,
                        np.where(done, "actual", source), out)
