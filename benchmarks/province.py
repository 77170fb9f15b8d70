"""A province-sized run: ~100 communes, one report per commune plus the roll-up.

SYNTHETIC: the sample's district series are re-labelled as a province (PROVINCE) and the
commune-collected indicators (land certificates, road accidents, health insurance through
insured people and population) are split over N communes (BENCH_COMMUNES, default 100).
Timed end to end: `kpi backfill --units members --jobs 2` for one month, i.e. N commune
reports + the roll-up report, each two notebooks and HTML/Excel export. Baseline in the same
run: one `kpi run` of the roll-up alone (what a single report costs).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MONTH = "2025-09"


def build(folder: Path, n: int) -> tuple[Path, Path]:
    """Write a registry, a catalog pointing at it, and a data folder; return both paths."""
    sys.path.insert(0, str(ROOT))
    from kpi_lib.inputs.sample import generate
    from kpi_lib.inputs.tidy import OBS_COLUMNS, add_period_columns, at_vintage, ytd_table

    rng = np.random.default_rng(7)
    codes = [f"C{i:03d}" for i in range(1, n + 1)]
    rows = ["code,name_vi,name_en,level,parent,valid_from,valid_to,note",
            "PROVINCE,Tỉnh mẫu (giả lập),Synthetic province,area,,,,"]
    rows += [f"{c},Xã mẫu {c[1:]},Commune {c[1:]},commune,PROVINCE,,," for c in codes]
    (folder / "units.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    doc = yaml.safe_load((ROOT / "data" / "catalog" / "binh_son_2025.yaml").read_text("utf-8"))
    doc["catalog"].update({"default_unit": "PROVINCE", "units_file": str(folder / "units.csv")})
    doc["catalog"].pop("crosswalk_file")
    catalog = folder / "catalog.yaml"
    catalog.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")

    base = at_vintage(generate(communes=False)).assign(unit_code="PROVINCE")
    split = ["T21", "T19a", "T16"]
    out = [base[~base["indicator_id"].isin(split)]]
    sizes = rng.dirichlet(np.full(n, 5.0))
    for iid in ("T21", "T19a"):
        part = base[base["indicator_id"] == iid]
        _, monthly = ytd_table(part)
        reported = add_period_columns(part).groupby("period")["reported_at"].max()
        recs = []
        for (_, _, year), amounts in monthly.iterrows():
            for month, amount in amounts.dropna().items():
                period = f"{year}-{month:02d}"
                for code, v in zip(codes, rng.multinomial(round(amount), sizes), strict=True):
                    recs.append((iid, code, period, float(v), "month", reported[period]))
        out.append(pd.DataFrame(recs, columns=OBS_COLUMNS[:6]))
    rate = add_period_columns(base[base["indicator_id"] == "T16"])
    pop = 12_000 * sizes / sizes.mean()
    recs = []
    for r in rate.itertuples():
        ins = pop * np.clip(r.value + rng.normal(0, 1.5, n), 50, 100) / 100
        for code, p, i in zip(codes, pop, ins, strict=True):
            recs += [("P_POP", code, r.period, round(p), "level", r.reported_at),
                     ("P_INSURED", code, r.period, round(i), "level", r.reported_at)]
    out.append(pd.DataFrame(recs, columns=OBS_COLUMNS[:6]))
    frame = pd.concat(out, ignore_index=True)
    frame["source"] = frame["source"].fillna("số liệu mẫu giả lập")
    frame["file_sha256"] = "bench"
    data = folder / "data"
    data.mkdir()
    frame[OBS_COLUMNS].to_csv(data / "observations.csv", index=False)
    (data / "dataset.yaml").write_text("synthetic: true\n", encoding="utf-8")
    return catalog, data


def run(report) -> None:
    n = int(os.environ.get("BENCH_COMMUNES", "100"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        catalog, data = build(tmp, n)
        env = {**os.environ, "KPI_CACHE": str(tmp / "cache")}
        common = ["--catalog", str(catalog), "--data", str(data)]
        start = time.perf_counter()
        subprocess.run([str(BIN / "kpi"), "run", "--as-of", MONTH, *common, "--out",
                        str(tmp / "single")], check=True, capture_output=True, env=env)
        single = time.perf_counter() - start
        start = time.perf_counter()
        done = subprocess.run([str(BIN / "kpi"), "backfill", "--from", MONTH, "--to", MONTH,
                               "--units", "members", "--jobs", "2", "--quiet", *common,
                               "--out", str(tmp / "all")], check=False, capture_output=True,
                              text=True, env=env)
        if done.returncode:
            raise SystemExit(f"the province backfill failed:\n{done.stderr[-3000:]}")
        total = time.perf_counter() - start
        reports = sum(1 for p in (tmp / "all").iterdir() if (p / "summary.csv").is_file())
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        report(f"province: {n} communes + the roll-up, {MONTH}, 2 notebooks each, --jobs 2")
        report(f"  reports published:          {reports} (expected {n + 1})")
        report(f"  end to end:                 {total:6.1f} s  -> {60 * reports / total:.1f} "
               "reports per minute")
        report(f"  per report:                 {total / reports:6.2f} s")
        report(f"  baseline, one kpi run alone: {single:6.2f} s (cold cache)")
        report(f"  ratio per report / single:  {total / reports / single:6.2f}")
        report(f"  peak memory of one child:   {peak:6.0f} MiB")
        report(f"  ({done.stdout.strip().splitlines()[-2]})")
