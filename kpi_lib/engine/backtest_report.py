"""`kpi backtest`: each flow method's error, by indicator and month, over past years."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..common.errors import KpiError
from ..inputs.data import Dataset
from .flows import CANDIDATES, COMBINED_OF, cached_backtest, cube_from_ytd


def backtest_table(ds: Dataset, indicator: str | None = None, use_ets: bool = True) -> pd.DataFrame:
    """Rows: indicator, month; columns: RMSE (%) of each method and the run-rate, all on the
    same backtest origins; chosen: the method the estimate uses at that month."""
    from ..common.paths import CACHE_DIR

    cat = ds.catalog
    ids = [i.id for i in cat.all_series if i.kind == "flow"]
    if indicator is not None:
        ind = cat.get(indicator)
        if ind.kind != "flow":
            raise KpiError(f"{ind.id} is a {ind.kind} indicator; backtests by month are for flows",
                           fix=f"pick one of {', '.join(ids)}")
        ids = [ind.id]
    units = sorted(set(ds.obs["unit_code"]))
    cube = cube_from_ytd(ds.ytd, [(i, u) for i in ids for u in units])
    if not len(cube.years):
        raise KpiError("no flow figures to backtest", fix="ingest monthly figures first")
    bt = cached_backtest(cube, use_ets, CACHE_DIR)
    methods = [k for k in (*CANDIDATES, "run_rate") if k in bt.errors]
    rmse = {k: bt.rmse(k) for k in methods}
    rows = []
    seen = set()
    for s, (iid, _unit) in enumerate(cube.keys):
        if iid in seen:  # errors are pooled per indicator
            continue
        seen.add(iid)
        for m in range(1, 12):
            row = {"id": iid, "month": m, "years": int(rmse["run_rate"][1][s, m - 1])}
            for k in methods:
                err, n = rmse[k][0][s, m - 1], rmse[k][1][s, m - 1]
                row[k] = 100 * err if n >= 1 else np.nan
            row["chosen"] = _chosen(rmse, s, m)
            rows.append(row)
    return pd.DataFrame(rows)


def _chosen(rmse: dict, s: int, m: int) -> str:
    """What the engine uses at that month (flows._choose): the combination of its members
    when the model is fitted, else the one member; the run-rate with no past year at all."""
    fitted = [k for k in COMBINED_OF if k in rmse and rmse[k][1][s, m - 1] >= 1]
    if len(fitted) == len(COMBINED_OF):
        return "combined"
    return fitted[0] if fitted else "run_rate"
