"""Validate the flow methods on real GSO year-to-date series (../shared/realdata/).

Prints, by month, the backtest error (root mean square of log(actual ÷ estimate) over
past years) of each method and of the naive run-rate YTD × 12/m, and their ratio. Skips
with a message when the file is absent (it is not part of the project).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "gso_national_monthly_ytd.csv"


def run(report) -> None:
    from kpi_lib.engine.flows import CANDIDATES, Cube, run_backtest

    if not REALDATA.is_file():
        report(f"realdata: skipped ({REALDATA} not found; it lives outside the project)")
        return
    raw = pd.read_csv(REALDATA)
    full_years = raw.groupby(["series", "year"])["month"].transform("max") == 12
    raw = raw[full_years]
    series = sorted(raw["series"].unique())
    years = np.arange(raw["year"].min(), raw["year"].max() + 1)
    cube = np.full((len(series), len(years), 12), np.nan)
    for s, name in enumerate(series):
        part = raw[raw["series"] == name]
        cube[s, part["year"] - years[0], part["month"] - 1] = part["ytd_value"].to_numpy(float)
    c = Cube([(name, "VN") for name in series], years, cube)
    bt = run_backtest(c, use_ets=True, until=len(years))
    report(f"realdata: {len(series)} GSO series, years {years[0]}–{years[-1]}; RMS error % by month "
           "(pooled per series over past years)")
    methods = [k for k in (*CANDIDATES, "run_rate") if k in bt.errors]
    for s, name in enumerate(series):
        report(f"  {name}")
        report("    month " + " ".join(f"{k[:10]:>10}" for k in methods) + "   best/run_rate")
        for m in (1, 2, 3, 6, 9, 11):
            errs = {k: bt.rmse(k)[0][s, m - 1] * 100 for k in methods}
            best = min(errs[k] for k in methods if k != "run_rate")
            report(f"    {m:>5} " + " ".join(f"{errs[k]:>10.2f}" for k in methods)
                   + f"   {best / errs['run_rate']:>6.2f}")
