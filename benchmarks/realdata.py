"""Judge the flow estimates on real monthly series, against Holt-Winters and statsforecast.

Series (each a monthly flow whose year-end total is the sum of its months):
- GSO's national monthly year-to-date series (../shared/realdata/, outside the project);
- Australian wine sales `wineind` and Microsoft's monthly share volume (the sum of its
  daily trading volume, `msft`), from pmdarima's datasets;
- monthly scripts of one Australian PBS medicine, `PBS_dataset` (sktime's datasets): small
  counts, often 0, the hardest kind of flow.
The airline passengers and UK seatbelt series that these packages also ship are R datasets
(the outside check), so they are not used.
A package that is not installed is skipped, and the benchmark says so. statsmodels ships no
monthly flow series (its monthly datasets are levels or temperatures); the R datasets
collection stays an outside check and is not read here.

Two splits of the series: "development" are the six series earlier rounds chose the
methods on (GSO and wineind); "validation" are the series added since, which no choice was
made on (a choice is made by looking at the development split only). Both are reported.

For every series-year with three complete past years, at months 1, 3, 6, 9 and 11, the
engine runs as it would have then: the data are cut at that month, the backtests use only
earlier years, and forecast_flows gives the estimate and interval. On the same cases:
a plain Holt-Winters (statsmodels, damped additive trend, multiplicative seasonality, on
all history up to that month), last year's seasonal share, and statsforecast's AutoETS,
AutoARIMA and AutoTheta (season 12) and the mean of the three (when statsforecast is
installed: `pip install -e '.[bench]'`).

Printed: the mean absolute error of the year-end total (%) per series, per split, per
window (each series' last 5 scored years, all years) and month; the goals of issue 24 each
with "met" or "not met by …"; then the cold speed of `kpi forecast`.
`REALDATA_QUICK=1` scores the development split only, without the peers, and
REALDATA_MONTHS=3,9 limits the months (for working on the engine; the goals are judged on
the full run only).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the project (a worktree sits one level deeper).
REALDATA = next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared")
                 if p.is_dir()), ROOT.parent / "shared") / "realdata" / "gso_national_monthly_ytd.csv"
QUICK = os.environ.get("REALDATA_QUICK") == "1"
MONTHS = tuple(int(m) for m in os.environ.get("REALDATA_MONTHS", "1,3,6,9,11").split(","))
MIN_PAST_YEARS = 3
LAST_YEARS = 5
PEERS = ("AutoETS", "AutoARIMA", "AutoTheta")
PEER_MEAN = "mean of the three"
RATIO_GOAL = 0.95
SHORT_GOAL = 1.1
COVERAGE_GOALS = {80: (75.0, 85.0), 95: (92.0, 98.0)}


def _from_monthly(values: np.ndarray, first_year: int, first_month: int = 1):
    """(years, YTD[year, month]) of complete years from monthly amounts."""
    values = np.asarray(values, dtype=float)
    skip = (13 - first_month) % 12
    values = values[skip:]
    n = len(values) // 12
    return (np.arange(first_year + (skip > 0), first_year + (skip > 0) + n),
            values[: n * 12].reshape(n, 12).cumsum(axis=1))


def real_series() -> tuple[list[tuple[str, str, np.ndarray, np.ndarray]], list[str]]:
    """[(name, split, years, YTD[year, month])] available here, and what is missing."""
    out, missing = [], []
    if REALDATA.is_file():
        raw = pd.read_csv(REALDATA)
        raw = raw[raw.groupby(["series", "year"])["month"].transform("max") == 12]
        for name, part in raw.groupby("series"):
            years = np.arange(part["year"].min(), part["year"].max() + 1)
            ytd = np.full((len(years), 12), np.nan)
            ytd[part["year"] - years[0], part["month"] - 1] = part["ytd_value"].to_numpy(float)
            out.append((str(name), "development", years, ytd))
    else:
        missing.append(f"GSO series ({REALDATA} not found; it lives outside the project)")
    try:
        from pmdarima.datasets import load_msft, load_wineind
    except ImportError:
        missing.append("wineind, Microsoft share volume (pmdarima not installed)")
    else:
        out.append(("AU_wineind (pmdarima)", "development",
                    *_from_monthly(load_wineind(), 1980)))  # Jan 1980 .. Aug 1994
        daily = load_msft()  # trading days, Mar 1986 .. Nov 2017
        monthly = daily.groupby(daily["Date"].str[:7])["Volume"].sum() / 1e6
        out.append(("US_MSFT_share_volume (pmdarima)", "validation",
                    *_from_monthly(monthly.to_numpy(), 1986, 3)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from sktime.datasets import load_PBS_dataset
        pbs = load_PBS_dataset()  # Jul 1991 .. Jun 2008
    except Exception:  # noqa: BLE001  (not installed, or its data file missing)
        missing.append("PBS A10 scripts (sktime not installed)")
    else:
        start = pbs.index[0]
        out.append(("AU_PBS_A10_scripts (sktime)", "validation",
                    *_from_monthly(pbs.to_numpy(), start.year, start.month)))
    if QUICK:
        out = [s for s in out if s[1] == "development"]
    return out, missing


def _peer_forecasts(monthly: np.ndarray, steps: int) -> dict[str, float]:
    """The rest of the year by each statsforecast model (season 12), summed."""
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    out = {}
    for name, model in (("AutoETS", AutoETS(season_length=12)),
                        ("AutoARIMA", AutoARIMA(season_length=12)),
                        ("AutoTheta", AutoTheta(season_length=12))):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[name] = float(np.sum(model.forecast(y=monthly, h=steps)["mean"]))
        except Exception:  # noqa: BLE001  (a peer that fails on a case scores NaN there)
            out[name] = np.nan
    return out


def have_peers() -> bool:
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        return False
    return not QUICK


def evaluate(series) -> pd.DataFrame:
    """One row per series-year and month: each estimate's error and our interval's hits."""
    from scipy import stats

    from kpi_lib.engine.flows import (
        Cube,
        _monthly_to,
        base_estimates,
        forecast_flows,
        plain_holt_winters,
        run_backtest,
    )

    peers = have_peers()
    rows = []
    for name, split, years, ytd in series:
        # A year whose total is 0 has no percentage error: not scored.
        scored = [ti for ti in range(MIN_PAST_YEARS, len(years)) if ytd[ti, 11] > 0]
        for ti in scored:
            actual = ytd[ti, 11]
            for m in MONTHS:
                cut = ytd[: ti + 1].copy()
                cut[ti, m:] = np.nan  # what was known at month m
                cube = Cube([(name, "X")], years[: ti + 1], cut[None])
                bt = run_backtest(cube, use_ets=True, until=ti, months=(m,))
                ff = forecast_flows(cube, int(years[ti]), m, bt, use_ets=True)
                hw = plain_holt_winters(cube, 0, ti, m)
                share = base_estimates(cube, ti, m)["same_period"][0]
                est, scale, df = ff.estimate[0], ff.scale[0], ff.df[0]
                row = {"series": name, "split": split, "year": int(years[ti]), "month": m,
                       "last5": ti in scored[-LAST_YEARS:],
                       "short": _short(bt),
                       "method": ff.method[0], "ours": _ape(est, actual),
                       "hw": _ape(hw, actual), "share": _ape(share, actual)}
                if peers:
                    monthly = _monthly_to(cube, 0, ti, m)
                    fc = _peer_forecasts(monthly, 12 - m) if monthly is not None else {}
                    ests = [ytd[ti, m - 1] + fc.get(p, np.nan) for p in PEERS]
                    for p, e in zip(PEERS, ests, strict=True):
                        row[p] = _ape(e, actual)
                    row[PEER_MEAN] = _ape(float(np.mean(ests)), actual)
                z = abs(np.log(actual / est)) / scale if scale > 0 else np.nan
                for level in (80, 95):
                    row[f"in{level}"] = bool(z <= stats.t.ppf(0.5 + level / 200, df))
                rows.append(row)
    return pd.DataFrame(rows)


def _short(bt) -> bool:
    """Fewer than 2 past years where every member of the combination has an estimate: the
    case in which the engine used to fall back to another method."""
    from kpi_lib.engine.flows import COMBINED_OF

    both = np.all([np.isfinite(bt.errors[k]) for k in COMBINED_OF], axis=0)
    return bool(both.sum() < 2)


def _ape(estimate: float, actual: float) -> float:
    return abs(estimate / actual - 1) * 100 if np.isfinite(estimate) else np.nan


def _vn(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}".replace(".", ",") if np.isfinite(x) else "–"


def _peer_columns(res: pd.DataFrame) -> list[str]:
    return [p for p in (*PEERS, PEER_MEAN) if p in res.columns]


def _line(g: pd.DataFrame, peers: list[str]) -> str:
    """ours / HW / share / peers, the ratio to HW, the intervals' hits."""
    figures = " / ".join(_vn(g[c].mean()) for c in ("ours", "hw", "share", *peers))
    return (f"{figures}   ÷HW {_vn(g['ours'].mean() / g['hw'].mean())}   "
            f"80% held {_vn(100 * g['in80'].mean(), 0)}%, 95% {_vn(100 * g['in95'].mean(), 0)}%"
            f" (n={len(g)})")


def _windows(res: pd.DataFrame):
    yield "last 5 years", res[res["last5"]]
    yield "all years", res


def accuracy(report) -> None:
    series, missing = real_series()
    for what in missing:
        report(f"realdata: not judged: {what}")
    if not series:
        report("realdata: skipped (no real series on this machine)")
        return
    if not have_peers():
        report("realdata: statsforecast " + ("not used (REALDATA_QUICK)" if QUICK else
               "is not installed (pip install -e '.[bench]'): the peers are not judged"))
    start = time.perf_counter()
    res = evaluate(series)
    res = res.dropna(subset=["ours", "hw"])
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    res.to_csv(out / "realdata_cases.csv", index=False)  # every case, to re-read without re-running
    peers = _peer_columns(res)
    report(f"realdata: {len(series)} real monthly series, {res.groupby(['series', 'year']).ngroups}"
           f" series-years, year-end total estimated at months {', '.join(map(str, MONTHS))} "
           f"({time.perf_counter() - start:.0f} s, load average {_vn(os.getloadavg()[0], 1)})")
    report("  mean absolute error of the year-end total, %: ours / plain Holt-Winters / "
           "last year's share" + "".join(f" / {p}" for p in peers))
    for name, part in res.groupby("series", sort=False):
        report(f"  {name} [{part['split'].iloc[0]}] ({part['year'].min()}–{part['year'].max()})")
        for m, g in part.groupby("month"):
            report(f"    month {m:>2}: {_line(g, peers)}")
    for split, part in [*res.groupby("split"), ("both splits", res)]:
        for window, w in _windows(part):
            report(f"  {split}, {window}")
            for m, g in w.groupby("month"):
                report(f"    month {m:>2}: {_line(g, peers)}")
    report("    methods used: " + ", ".join(f"{k} {v}" for k, v in
                                            res["method"].value_counts().items()))
    for line in verdicts(res, peers):
        report("  " + line)


def verdicts(res: pd.DataFrame, peers: list[str]) -> list[str]:
    """Each goal of issue 24 met or not, and by how much, per split, window and month."""
    out = [("goal 1: ours ≤ 0,95 × Holt-Winters and ≤ the best statsforecast peer "
            "(each ratio; above its goal is not met)")]
    for split, part in [*res.groupby("split"), ("both splits", res)]:
        for window, w in _windows(part):
            cells = []
            for m, g in w.groupby("month"):
                hw = g["ours"].mean() / g["hw"].mean()
                text = f"m{m} ÷HW {_vn(hw)} " + _met(hw, RATIO_GOAL)
                if peers:
                    best = min(peers, key=lambda p: g[p].mean())
                    ratio = g["ours"].mean() / g[best].mean()
                    text += f", ÷best peer ({best}) {_vn(ratio)} " + _met(ratio, 1.0)
                cells.append(text)
            out.append(f"  {split}, {window}: " + "; ".join(cells))
    short = res[res["short"]]
    out.append(f"goal 2: cases where the combination has no backtest of its own "
               f"(n={len(short)}): ours ÷ Holt-Winters ≤ 1,1")
    for split, part in [*short.groupby("split"), ("both splits", short)]:
        cells = [f"m{m} {_vn(g['ours'].mean() / g['hw'].mean())} (n={len(g)})"
                 for m, g in part.groupby("month")]
        ratio = part["ours"].mean() / part["hw"].mean()
        out.append(f"  {split}: mean {_vn(ratio)} {_met(ratio, SHORT_GOAL)}; " + "; ".join(cells))
    out.append("goal 3: 80% intervals hold 75–85%, 95% hold 92–98% (per month)")
    for split, part in [*res.groupby("split"), ("both splits", res)]:
        for window, w in _windows(part):
            cells = []
            for level, (lo, hi) in COVERAGE_GOALS.items():
                for m, g in w.groupby("month"):
                    held = 100 * g[f"in{level}"].mean()
                    gap = lo - held if held < lo else held - hi if held > hi else 0.0
                    cells.append(f"{level}% m{m} {_vn(held, 1)}" +
                                 ("" if gap == 0 else f" (off by {_vn(gap, 1)} pp)"))
            n_off = sum("off by" in c for c in cells)
            n = w.groupby("month").size().min()
            out.append(f"  {split}, {window}: {len(cells) - n_off}/{len(cells)} met "
                       f"(n≥{n} a month: two standard errors of a share near 80% are "
                       f"{_vn(200 * np.sqrt(0.8 * 0.2 / n), 1)} pp, near 95% "
                       f"{_vn(200 * np.sqrt(0.95 * 0.05 / n), 1)} pp): " + "; ".join(cells))
    out.append("per series (one series must not carry the mean: PBS's errors are 5–80%): "
               "series on which ours ≤ Holt-Winters, and the geometric mean over the series "
               "of each series' ratio, all years")
    per = res.groupby(["month", "series"])[["ours", "hw", *peers]].mean()
    for m, g in per.groupby(level="month"):
        ratios = [f"÷{c if c != 'hw' else 'HW'} {_vn(np.exp(np.log(g['ours'] / g[c]).mean()))}"
                  for c in ("hw", *peers)]
        out.append(f"  m{m}: ours ≤ HW on {int((g['ours'] <= g['hw']).sum())}/{len(g)} series; "
                   + ", ".join(ratios))
    return out


def _met(ratio: float, goal: float) -> str:
    return "met" if ratio <= goal else f"not met by {_vn(ratio - goal)}"


def _timed(args: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the process and its children) of one command.

    On a shared machine the wall time depends on what else runs; the CPU time hardly does,
    and for a process that mostly runs on one core it is what the wall time would be on an
    idle machine.
    """
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


REPEATS = 3


def _best(args: list[str], env) -> tuple[float, float]:
    """Best wall and best CPU time of REPEATS runs (env(run) gives each run's environment):
    on a shared machine the best run is the one least disturbed."""
    runs = [_timed(args, env(run)) for run in range(REPEATS)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


# What a cold `kpi forecast` imports before it computes anything.
IMPORTS = "import kpi_lib.cli, kpi_lib.engine.pipeline"
COLD_GOAL, WARM_GOAL = 2.5, 1.0


def cold_speed(report) -> None:
    """`kpi forecast` in a new process with an empty cache (KPI_CACHE): the sample, and one
    indicator with 30 years of monthly history; beside it the same run warm and, as the
    baseline measured in the same run, a new process that only starts Python and imports
    what the forecast imports."""
    kpi = str(Path(sys.executable).with_name("kpi"))
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        data = _long_history(Path(tmp) / "long")
        base = _best([sys.executable, "-c", IMPORTS], lambda _: dict(os.environ))
        cases = [("the sample", []),
                 ("one indicator, 30 years of monthly history", ["--data", str(data)])]
        for label, extra in cases:
            def env(run: int, warm: bool = False, case: str = label) -> dict:
                cache = Path(tmp) / f"cache-{case[:3]}-{'warm' if warm else run}"
                return {**os.environ, "KPI_CACHE": str(cache)}

            args = [kpi, "forecast", "--as-of", "latest", *extra]
            cold = _best(args, env)  # a new empty cache each time
            _timed(args, env(0, warm=True))
            warm = _best(args, lambda run: env(run, warm=True))
            report(f"cold speed: `kpi forecast` on {label} (best of {REPEATS}): "
                   f"{_vn(cold[0], 1)} s cold (goal ≤ {_vn(COLD_GOAL, 1)}: "
                   f"{_seconds(cold, COLD_GOAL)}), {_vn(warm[0], 1)} s warm (goal ≤ "
                   f"{_vn(WARM_GOAL, 1)}: {_seconds(warm, WARM_GOAL)}); CPU "
                   f"{_vn(cold[1], 1)} s cold, {_vn(warm[1], 1)} s warm")
            report(f"            starting Python and importing what it imports: "
                   f"{_vn(base[0], 1)} s, CPU {_vn(base[1], 1)} s = "
                   f"{_vn(100 * base[1] / cold[1], 0)}% of the cold run's CPU time")
    report(f"            load average {_vn(load_before, 1)} before, {_vn(os.getloadavg()[0], 1)} "
           f"after, on {os.cpu_count()} cores: wall times are only comparable on an otherwise "
           "idle machine, CPU times nearly so")


def _seconds(timing: tuple[float, float], goal: float) -> str:
    wall, cpu = timing
    if wall <= goal:
        return "met"
    return f"not met by {_vn(wall - goal, 1)} s" + (" (CPU time within it)" if cpu <= goal else "")


def _long_history(folder: Path) -> Path:
    """A data folder with T01 only, 1995–2024 complete and 2025 to September (synthetic)."""
    from kpi_lib.inputs.tidy import OBS_COLUMNS

    rng = np.random.default_rng(7)
    profile = np.array([7.0, 6.5, 8.0, 8.1, 8.3, 8.4, 8.3, 8.4, 8.5, 8.7, 8.9, 10.9])
    rows = []
    for k, year in enumerate(range(1995, 2026)):
        amounts = 1000 * 1.07 ** k * profile / profile.sum() * rng.normal(1, 0.03, 12)
        for m in range(1, 13 if year < 2025 else 10):
            rows.append({"indicator_id": "T01", "unit_code": "BINHSON", "period": f"{year}-{m:02d}",
                         "value": round(float(amounts[m - 1]), 3), "value_type": "month",
                         "reported_at": f"{year}-{m:02d}-28", "source": "benchmark",
                         "file_sha256": "benchmark"})  # a label, as the sample has
    folder.mkdir(parents=True)
    pd.DataFrame(rows, columns=OBS_COLUMNS).to_csv(folder / "observations.csv", index=False)
    return folder


def run(report) -> None:
    accuracy(report)
    cold_speed(report)
