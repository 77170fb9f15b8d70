"""The monthly report's charts and unit grid: the old way against the new, in the same run.

Charts: what the pages draw for the sample's 2025-09 (one `plot_group` per plan group and the
data-quality page's `plot_coverage`, each to PNG). Each way runs in a fresh Python process
(a kernel starts cold: matplotlib's imports and font loading count), then three more times
warm in that process; six such processes per way, alternated (the assessment is made once and
handed to them pickled). The old way is the code before issue #16, copied below and used only
here: pyplot figures (a throw-away constrained-layout figure per group just to set the font),
automatic title and x-label placement, constrained layout for the coverage chart, a
true-colour PNG. Bytes per chart are printed for both.

Unit grid: `unit_grid` for 2025-09, old and new roll-up helpers (the old ones copied below
and patched in), warm, best of five; CPU seconds, as the machine is shared.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2025-09"
ROUNDS = 6


# ------------------------------------------------------------------ the old charts (baseline)
def _old_axes(ax=None, size=(7.5, 4.2)):
    import matplotlib

    matplotlib.rcParams["font.family"] = "DejaVu Sans"
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=size, dpi=100, layout="constrained")
    else:
        fig = ax.figure
    return fig, ax


def _old_finish(ax, title, unit, lang, status):
    from kpi_lib.outputs.charts import _vi_axis
    from kpi_lib.outputs.i18n import t

    ax.set_title(f"{title}\n({status})", fontsize=11)
    ax.set_ylabel(unit)
    ax.set_xlabel(t("month", lang))
    _vi_axis(ax, lang)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")


def _old_plot_flow(a, indicator_id, ax, lang):
    from kpi_lib.engine.assess import trajectory
    from kpi_lib.outputs.charts import _status_label
    from kpi_lib.outputs.i18n import t

    fig, ax = _old_axes(ax)
    cat, ds = a.catalog, a.dataset
    ind = cat.get(indicator_id)
    unit = a.table["unit_code"].iloc[0]
    row = a.table[(a.table["indicator_id"] == indicator_id) & (a.table["unit_code"] == unit)]
    row = row.iloc[0]
    months = np.arange(1, 13)
    try:
        ytd = ds.ytd.loc[(indicator_id, unit, cat.year)]
    except KeyError:
        ytd = pd.Series(np.nan, index=months)
    m = int(row["data_month"])
    target = row["target_value"]
    ax.plot(months[:m], ytd.to_numpy()[:m], "o-", color="#1f4e79", lw=2.2, label=t("actual", lang))
    if np.isfinite(target):
        ax.plot([0, 12], [0, target], "--", color="#888", lw=1.2, label=t("straight", lang))
        phased = trajectory(a.forecast, indicator_id, unit, target)
        if len(phased):
            ax.plot(phased.index, phased.to_numpy(), ":", color="#555", lw=1.5,
                    label=t("phased", lang))
        ax.axhline(target, color="#d32f2f", lw=1.2, label=t("target_line", lang))
    if m and np.isfinite(row["estimate"]):
        x = [m, 12]
        y0 = ytd.iloc[m - 1]
        color = a.catalog.statuses.color(row["status"])
        ax.plot(x, [y0, row["estimate"]], "-", color=color, lw=2, label=t("forecast", lang))
        if np.isfinite(row["lo80"]):
            ax.fill_between(x, [y0, row["lo80"]], [y0, row["hi80"]], alpha=0.25, color=color,
                            label=t("band", lang))
    _old_finish(ax, ind.name(lang), a.catalog.unit_label(ind.entry_unit, lang), lang,
                _status_label(a, row, lang))
    ax.set_xlim(0.5, 12.5)
    return fig


def _old_plot_level(a, indicator_id, ax, lang):
    import matplotlib.dates as mdates

    from kpi_lib.outputs.charts import _status_label
    from kpi_lib.outputs.i18n import t

    fig, ax = _old_axes(ax)
    cat, ds = a.catalog, a.dataset
    ind = cat.get(indicator_id)
    unit = a.table["unit_code"].iloc[0]
    row = a.table[(a.table["indicator_id"] == indicator_id) & (a.table["unit_code"] == unit)].iloc[0]
    read = ds.readings
    read = read[(read["indicator_id"] == indicator_id) & (read["unit_code"] == unit)]
    when = pd.to_datetime({"year": read["year"], "month": read["month"], "day": 1}) \
        + pd.offsets.MonthEnd(0)
    ax.plot(when, read["value"], "o-", color="#1f4e79", ms=3, lw=1.5, label=t("readings", lang))
    if np.isfinite(row["target_value"]):
        ax.axhline(row["target_value"], color="#d32f2f", lw=1.2, label=t("target_line", lang))
    if np.isfinite(row["estimate"]):
        xe = pd.Timestamp(year=cat.year, month=12, day=31)
        err = None
        if np.isfinite(row["lo80"]):
            err = [[row["estimate"] - row["lo80"]], [row["hi80"] - row["estimate"]]]
        ax.errorbar([xe], [row["estimate"]], yerr=err, fmt="s", color=cat.statuses.color(
            row["status"]), capsize=4, label=t("forecast", lang))
    _old_finish(ax, ind.name(lang), a.catalog.unit_label(ind.unit, lang), lang,
                _status_label(a, row, lang))
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel(t("year_word", lang))
    return fig


def old_plot_group(a, group, lang="vi"):
    import matplotlib.pyplot as plt

    ids = [r["indicator_id"] for _, r in a.table.iterrows()
           if a.catalog.get(r["indicator_id"]).group == group and r["kind"] in ("flow", "level")
           and (np.isfinite(r["estimate"]) or r["data_month"] > 0)]
    if not ids:
        return None
    _old_axes(None)
    plt.close("all")
    ncols = 2 if len(ids) > 1 else 1
    nrows = (len(ids) + ncols - 1) // ncols
    height = 4.1 * nrows
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.2 * ncols, height), dpi=90, squeeze=False,
                             gridspec_kw={"left": 0.07, "right": 0.98, "wspace": 0.22,
                                          "top": 1 - 0.75 / height, "bottom": 0.55 / height,
                                          "hspace": 1.6 / 4.1})
    for ax, iid in zip(axes.ravel(), ids, strict=False):
        plot = _old_plot_flow if a.catalog.get(iid).kind == "flow" else _old_plot_level
        plot(a, iid, ax, lang)
    for ax in axes.ravel()[len(ids):]:
        ax.set_visible(False)
    return fig


def old_plot_coverage(cov, lang="vi"):
    from matplotlib.colors import ListedColormap

    from kpi_lib.outputs.i18n import t

    fig, ax = _old_axes(None, size=(7.5, 0.25 * len(cov) + 1.5))
    ax.imshow(cov.to_numpy(dtype=float), cmap=ListedColormap(["#d32f2f", "#4caf50"]), vmin=0,
              vmax=1, aspect="auto")
    ax.set_xticks(range(12), range(1, 13))
    ax.set_yticks(range(len(cov)), cov.index, fontsize=8)
    ax.set_xlabel(t("month", lang))
    ax.set_title("Số liệu đã có theo tháng (xanh: có, đỏ: thiếu, trắng: không theo tháng "
                 "hoặc chưa đến kỳ)", fontsize=10)
    return fig


def old_to_png(fig, dpi=90):
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)  # as show() did
    return buffer.getvalue()


# ------------------------------------------------------------------ one way, in this process
def _page_charts(a, cov, way: str) -> dict[str, int]:
    from kpi_lib.outputs import charts

    group, coverage, png = ((old_plot_group, old_plot_coverage, old_to_png) if way == "old"
                            else (charts.plot_group, charts.plot_coverage, charts.to_png))
    sizes = {}
    for g in a.catalog.groups:
        fig = group(a, g["id"], "vi")
        if fig is not None:
            sizes[g["id"]] = len(png(fig))
    sizes["coverage"] = len(png(coverage(cov, lang="vi")))
    return sizes


def child(way: str, saved: str) -> None:
    """Run in a fresh process: cold, then warm ×3; print JSON."""
    import pickle

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import kpi_lib.outputs.charts  # noqa: F401 - imported by the notebook before the charts

    a, cov = pickle.loads(Path(saved).read_bytes())  # the assessment, made once by run()
    times = []
    for _ in range(4):
        wall, cpu = time.perf_counter(), time.process_time()
        sizes = _page_charts(a, cov, way)
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    print(json.dumps({"times": times, "sizes": sizes,
                      "pyplot": "matplotlib.pyplot" in sys.modules}))


def _run_child(way: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *way.split()], check=True, capture_output=True,
                         text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ the old roll-up helpers
def _old_monthly_long(rows, first_month):
    """The old helper, one indicator at a time (the roll-up now asks for all at once)."""
    parts = [_old_monthly_long_one(part, first_month)
             for _, part in rows.groupby("indicator_id", sort=True)]
    long = pd.concat(parts, ignore_index=True) if parts else _old_monthly_long_one(rows, {})
    long["period"] = long["year"].astype(str) + "-" + long["month"].map("{:02d}".format)
    long["value_type"] = "month"
    return long


def _old_monthly_long_one(rows, first_month):
    from kpi_lib.inputs.tidy import ytd_table

    rows = rows[rows["period"].astype(str).str.fullmatch(r"\d{4}-\d{2}")]
    pads = []
    for (code, year), _ in rows.groupby(["unit_code", "year"]):
        k0 = first_month.get(code, -10**6)
        if k0 // 12 == year and k0 % 12:
            pads += [{"indicator_id": rows["indicator_id"].iloc[0], "unit_code": code,
                      "period": f"{year}-{m:02d}", "value": 0.0, "value_type": "month"}
                     for m in range(1, k0 % 12 + 1)]
    table = pd.concat([rows, pd.DataFrame(pads)]) if pads else rows
    _, monthly = ytd_table(table)
    long = monthly.stack(future_stack=True).rename("value").reset_index()
    long.columns = ["indicator_id", "unit_code", "year", "month", "value"]
    long["k"] = long["year"] * 12 + long["month"] - 1
    reported = rows.groupby(["unit_code", "k"])["reported_at"].max()
    long["reported_at"] = reported.reindex(pd.MultiIndex.from_arrays(
        [long["unit_code"], long["k"]])).to_numpy()
    return long


def _old_latest(frame, keys):
    return frame.groupby(keys, sort=True)["reported_at"].max()


def grid_child(way: str) -> None:
    """Run in a fresh process: the first call (as in a report's kernel), then best of 5."""
    from unittest import mock

    sys.path.insert(0, str(ROOT))
    from kpi_lib.engine.pipeline import run_assessment, unit_grid
    from kpi_lib.inputs import rollup

    a = run_assessment(None, str(ROOT / "data" / "sample"), MONTH, use_ets=False)
    patches = ([mock.patch.object(rollup, "_monthly_long", _old_monthly_long),
                mock.patch.object(rollup, "_latest", _old_latest),
                mock.patch.object(rollup, "_by_indicator", _old_by_indicator)]
               if way == "old" else [])
    for p in patches:
        p.start()
    times = []
    for _ in range(6):
        wall, cpu = time.perf_counter(), time.process_time()
        unit_grid(a)
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    print(json.dumps({"times": times}))


def _old_by_indicator(frame, own):
    """The old per-series filter, as a mapping (one boolean mask over the frame per series)."""

    class Filter(dict):
        def get(self, iid, default=None):
            return frame[(frame["indicator_id"] == iid) & frame["unit_code"].isin(own)]

    return Filter()


def _vn(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def run(report) -> None:
    load = os.getloadavg()[0]
    import pickle
    import tempfile

    from kpi_lib.engine.pipeline import run_assessment
    from kpi_lib.outputs import quality

    a = run_assessment(None, str(ROOT / "data" / "sample"), MONTH, use_ets=False)
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "assessment.pickle"
        saved.write_bytes(pickle.dumps((a, quality.coverage(a.dataset, None, a.as_of))))
        for _ in range(ROUNDS):  # alternated, so a change in the machine's load hits both
            for way, done in runs.items():
                done.append(_run_child(f"{way} {saved}"))
    report(f"charts: the pages' {len(runs['new'][0]['sizes'])} charts for {MONTH}, "
           f"{ROUNDS} fresh processes each (load average {_vn(load, 1)} on {os.cpu_count()} "
           "cores, shared: wall times are noisy, CPU times less so)")
    for label, pick in (("cold (first in process)", lambda r: [r["times"][0]]),
                        ("warm (3 more each)", lambda r: r["times"][1:])):
        # wall: the median; CPU: the best, as contention only ever adds to it
        old = [f(t[i] for r in runs["old"] for t in pick(r)) for f, i in ((statistics.median, 0),
                                                                         (min, 1))]
        new = [f(t[i] for r in runs["new"] for t in pick(r)) for f, i in ((statistics.median, 0),
                                                                         (min, 1))]
        report(f"  {label:24s} old {_vn(old[0])} s wall (median) / {_vn(old[1])} s CPU (best); "
               f"new {_vn(new[0])} s / {_vn(new[1])} s; new/old {_vn(new[0] / old[0])}× wall, "
               f"{_vn(new[1] / old[1])}× CPU")
    report(f"  pyplot imported: old {runs['old'][0]['pyplot']}, new {runs['new'][0]['pyplot']}")
    old_b, new_b = runs["old"][0]["sizes"], runs["new"][0]["sizes"]
    for name in new_b:
        report(f"  {name:12s} PNG old {old_b[name] / 1000:6.1f} kB  new {new_b[name] / 1000:6.1f} kB"
               f"  ({_vn(new_b[name] / old_b[name])}×)")
    total_old, total_new = sum(old_b.values()), sum(new_b.values())
    report(f"  all charts   PNG old {total_old / 1000:6.1f} kB  new {total_new / 1000:6.1f} kB"
           f"  ({_vn(total_new / total_old)}×)")
    grid = {way: _run_child(f"grid {way}")["times"] for way in ("old", "new")}
    report(f"unit grid {MONTH} (5 communes, each rebuilt from its predecessors), CPU seconds:")
    for label, pick in (("first call (fresh process)", lambda t: t[0][1]),
                        ("warm (best of 5)", lambda t: min(x[1] for x in t[1:]))):
        old, new = pick(grid["old"]), pick(grid["new"])
        report(f"  {label:27s} old {_vn(old)} s, new {_vn(new)} s, new/old {_vn(new / old)}×")

if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "grid":
        grid_child(sys.argv[2])
    elif len(sys.argv) > 2 and sys.argv[1] in ("old", "new"):
        child(sys.argv[1], sys.argv[2])
    else:
        run(print)
