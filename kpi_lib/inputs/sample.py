"""Seeded generator of the synthetic sample data shipped in data/sample/.

SYNTHETIC: every figure here is made up. It imitates what a district office receives:
monthly flows with the Lunar New Year dip and a December push, quarterly and annual
readings, milestones, late corrections (later vintages), and the 2024 baselines the
growth and reduce-vs-2024 rules need. By the latest month (2025-09) some targets are on
track, some at risk, some off track, and the annual ones have no in-year reading yet.

Run: python -m kpi_lib.inputs.sample [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .tidy import OBS_COLUMNS

SEED = 20250921
YEARS = range(2020, 2026)
LATEST = (2025, 9)
UNIT = "BINHSON"
# Month in which the Lunar New Year (Tết) fell.
TET_MONTH = {2019: 2, 2020: 1, 2021: 2, 2022: 2, 2023: 1, 2024: 2, 2025: 1, 2026: 2}
# Typical share of a year's production done in each month (Tết effect added separately).
BASE_PROFILE = np.array([7.6, 7.0, 8.0, 8.1, 8.3, 8.4, 8.3, 8.4, 8.5, 8.7, 8.9, 9.8])
REVENUE_PROFILE = np.array([6.5, 5.5, 7.0, 7.5, 7.5, 8.0, 7.5, 8.0, 8.0, 8.5, 9.0, 17.0])
CERT_PROFILE = np.array([5.0, 3.5, 7.0, 7.5, 8.0, 8.5, 8.0, 8.5, 8.5, 9.0, 10.0, 16.5])


def _profile(base: np.ndarray, year: int, tet_dip: float = 0.22) -> np.ndarray:
    """Monthly shares of the year, with the Tết month dipping and the other Jan/Feb month up."""
    prof = base.astype(float).copy()
    tet = TET_MONTH[year] - 1
    other = 1 - tet
    moved = prof[tet] * tet_dip
    prof[tet] -= moved
    prof[other] += moved * 0.6
    return prof / prof.sum()


def _months(year: int) -> int:
    return LATEST[1] if year == LATEST[0] else 12


def _reported(year: int, month: int, lag_days: int = 5) -> str:
    ts = pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)
    return (ts + pd.Timedelta(days=lag_days)).date().isoformat()


class _Rows:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, iid: str, period: str, value: float, vtype: str, reported: str,
            source: str) -> None:
        self.rows.append({"indicator_id": iid, "unit_code": UNIT, "period": period,
                              "value": round(float(value), 2), "value_type": vtype,
                              "reported_at": reported, "source": source, "file_sha256": "sample"})


def _flow(out: _Rows, rng: np.random.Generator, iid: str, totals: dict[int, float],
          base: np.ndarray, noise: float, source: str, as_ytd_from: int | None = None,
          integer: bool = False) -> None:
    for year, total in totals.items():
        amounts = total * _profile(base, year) * rng.normal(1, noise, 12)
        if integer:
            amounts = np.maximum(np.round(amounts), 0)
        cum = np.cumsum(amounts)
        for m in range(1, _months(year) + 1):
            rep = _reported(year, m)
            if as_ytd_from is not None and year >= as_ytd_from:
                out.add(iid, f"{year}-{m:02d}", cum[m - 1], "ytd", rep, source)
            else:
                out.add(iid, f"{year}-{m:02d}", amounts[m - 1], "month", rep, source)


def _poisson_flow(out: _Rows, rng: np.random.Generator, iid: str, yearly: dict[int, float],
                  source: str) -> None:
    for year, total in yearly.items():
        lam = total * _profile(BASE_PROFILE, year, tet_dip=-0.3)  # more accidents around Tết
        for m in range(1, _months(year) + 1):
            out.add(iid, f"{year}-{m:02d}", rng.poisson(lam[m - 1]), "month",
                    _reported(year, m), source)


def generate(seed: int = SEED, communes: bool = True) -> pd.DataFrame:
    """The sample; `communes=False` gives the district-only series the communes split."""
    rng = np.random.default_rng(seed)
    out = _Rows()
    dept_stats = "Phòng Tài chính - Kế hoạch (số liệu mẫu)"
    # Production value by sector, constant prices (tỷ đồng): ~8%/yr, 2025 slightly below plan.
    sectors = {"S_AGR": (2160.0, 0.055, 0.108), "S_IND": (7200.0, 0.085, 0.370),
               "S_SVC": (9650.0, 0.090, 0.522)}
    t01_2024 = 28603.61 / 1.0948
    shares_2024 = {"S_AGR": 0.112, "S_IND": 0.368, "S_SVC": 0.520}
    totals_by_sector: dict[str, dict[int, float]] = {}
    for sid, (_, growth, share_2025) in sectors.items():
        base_2024 = t01_2024 * shares_2024[sid]
        totals = {y: base_2024 / (1 + growth) ** (2024 - y) for y in YEARS if y < 2025}
        totals[2025] = t01_2024 * 1.104 * share_2025  # clearly on track, off the 0,75 edge
        totals_by_sector[sid] = totals
        _flow(out, rng, sid, totals, BASE_PROFILE, 0.015, dept_stats)
    # T01 reported as the sum of the sectors, month by month (as offices do).
    frame = pd.DataFrame(out.rows)
    sect = frame[frame.indicator_id.isin(sectors)].groupby(["period", "reported_at"])["value"].sum()
    for (period, rep), value in sect.items():
        out.add("T01", period, value, "month", rep, dept_stats)
    # Budget revenue (tỷ đồng), December push; the province's assigned amount is a setting.
    _flow(out, rng, "T04", {y: 620 * 1.07 ** (y - 2020) for y in YEARS}, REVENUE_PROFILE, 0.05,
          "Chi cục Thuế khu vực (số liệu mẫu)")
    # Jobs created: history ~1,550-1,650/yr; 2025 running behind (at risk).
    _flow(out, rng, "T10", {2020: 1480, 2021: 1390, 2022: 1560, 2023: 1610, 2024: 1640,
                            2025: 1530}, BASE_PROFILE, 0.06, "Phòng Nội vụ (số liệu mẫu)",
          integer=True)
    # Land certificates: year-end push, sent as year-to-date from 2024; 2025 far behind.
    _flow(out, rng, "T21", {2020: 1650, 2021: 1520, 2022: 1700, 2023: 1810, 2024: 1760,
                            2025: 1380}, CERT_PROFILE, 0.05, "Phòng Nông nghiệp và Môi trường "
          "(số liệu mẫu)", as_ytd_from=2024, integer=True)
    # Road accidents, deaths, injuries (reduce vs 2024): fewer accidents, similar deaths,
    # more injuries in 2025.
    police = "Công an huyện (số liệu mẫu)"
    _poisson_flow(out, rng, "T19a", {2020: 60, 2021: 52, 2022: 55, 2023: 50, 2024: 48,
                                     2025: 36}, police)
    _poisson_flow(out, rng, "T19b", {2020: 34, 2021: 30, 2022: 31, 2023: 29, 2024: 27,
                                     2025: 27}, police)
    _poisson_flow(out, rng, "T19c", {2020: 50, 2021: 44, 2022: 45, 2023: 41, 2024: 38,
                                     2025: 52}, police)
    _levels(out, rng)
    _milestones(out)
    _annuals(out, rng)
    _corrections(out, rng)
    frame = pd.DataFrame(out.rows)[OBS_COLUMNS]
    if communes:
        from .sample_units import split_to_communes

        frame = split_to_communes(frame, np.random.default_rng(seed + 1))
    return frame.sort_values(["reported_at", "indicator_id", "unit_code", "period"],
                             kind="stable").reset_index(drop=True)


def _levels(out: _Rows, rng: np.random.Generator) -> None:
    # Health insurance (monthly %): stuck around 93-94 -> off track for 96.
    for year in YEARS:
        for m in range(1, _months(year) + 1):
            v = 90.0 + 0.8 * (year - 2020) + 0.05 * m + rng.normal(0, 0.15)
            out.add("T16", f"{year}-{m:02d}", min(v, 100), "level", _reported(year, m, 8),
                    "BHXH huyện (số liệu mẫu)")
            # Complaints resolved, cumulative since January (%): comfortably above 85.
            c = min(100, 80 + 1.1 * m + rng.normal(0, 1.0) + 0.5 * (year - 2020))
            out.add("T20", f"{year}-{m:02d}", c, "level", _reported(year, m, 6),
                    "Thanh tra huyện (số liệu mẫu)")
    # Quarterly: waste collection (on track) and trained labour (at risk).
    for year in YEARS:
        for q in range(1, 5):
            if year == LATEST[0] and q * 3 > LATEST[1]:
                break
            rep = _reported(year, q * 3, 15)
            out.add("T07", f"{year}-Q{q}", 80 + 1.3 * (year - 2020) + 0.3 * q + rng.normal(0, .3),
                    "level", rep, "Phòng Nông nghiệp và Môi trường (số liệu mẫu)")
            out.add("T11", f"{year}-Q{q}", 45.5 + 1.0 * (year - 2020) + 0.2 * q
                    + rng.normal(0, .2), "level", rep, "Phòng Nội vụ (số liệu mẫu)")
    # Annual level readings (year-end), announced in the following year: none yet for 2025.
    for year in range(2020, 2025):
        rep = f"{year + 1}-03-15"
        k = year - 2020
        out.add("T05a", f"{year}", 34.2 + 0.3 * k + rng.normal(0, 0.1), "level", rep,
                "UBND tỉnh công bố (số liệu mẫu)")
        out.add("T05b", f"{year}", 6.8 + 0.3 * k + rng.normal(0, 0.1), "level", rep,
                "Phòng Kinh tế - Hạ tầng (số liệu mẫu)")
        out.add("T06", f"{year}", 60.0 + 1.9 * k + rng.normal(0, 0.4), "level", rep,
                "Phòng Kinh tế - Hạ tầng (số liệu mẫu)")
        out.add("T09b", f"{year}", 72.0 + 2.1 * k + rng.normal(0, 0.3), "level", rep,
                "Phòng Giáo dục (số liệu mẫu)")
        out.add("T08a", f"{year}", min(100.0, 84.0 + 4.0 * k), "level", rep,
                "Văn phòng Điều phối NTM (số liệu mẫu)")
    out.add("T09b", "2025-05", 81.69, "level", "2025-06-10", "Phòng Giáo dục (số liệu mẫu)")


def _milestones(out: _Rows) -> None:
    src = "Văn phòng Điều phối NTM (số liệu mẫu)"
    for year in range(2020, 2025):
        out.add("T08b", f"{year}-10", 1, "month", f"{year}-11-05", src)
        out.add("T09a", f"{year}-06", 1, "month", f"{year}-07-05", "Phòng Giáo dục (số liệu mẫu)")
        out.add("T08d", f"{year}", 0, "level", f"{year}-12-31", src)
    out.add("T08b", "2025-08", 1, "month", "2025-09-05", src)  # achieved
    out.add("T09a", "2025-05", 1, "month", "2025-06-05", "Phòng Giáo dục (số liệu mẫu)")
    out.add("T08c", "2023-11", 1, "month", "2023-12-05", src)
    out.add("T08d", "2025-06", 0, "level", "2025-07-05", src)
    # The district's new-rural recognition is scheduled for December (not yet obtained).
    out.add("T08d", "2025-12", 1, "planned", "2025-09-05", src)


def _annuals(out: _Rows, rng: np.random.Generator) -> None:
    series = {  # id: (2020 value, yearly change, noise)
        "T12": (1.10, -0.07, 0.05), "T13": (0.95, -0.03, 0.02), "T14": (7.4, -0.30, 0.1),
        "T15": (82.0, 0.6, 0.3), "T17": (100.0, 0.0, 0.0), "T18a": (90.0, 1.0, 0.5),
        "T18b": (100.0, 0.0, 0.0), "T22": (44.0, 3.6, 0.6),
    }
    for iid, (start, slope, noise) in series.items():
        for year in range(2020, 2025):
            v = start + slope * (year - 2020) + rng.normal(0, noise)
            if iid in ("T17", "T18a", "T18b"):
                v = min(v, 100.0)
            out.add(iid, f"{year}", v, "annual", f"{year + 1}-01-20",
                    "Tổng hợp báo cáo năm (số liệu mẫu)")


def _corrections(out: _Rows, rng: np.random.Generator) -> None:
    """Late corrections: the same figure reported again, later, a little different."""
    latest = {}
    for row in out.rows:
        latest[(row["indicator_id"], row["period"], row["value_type"])] = row
    for iid, period in (("S_IND", "2025-05"), ("T01", "2025-05"), ("T10", "2025-06"),
                        ("T04", "2025-07")):
        row = latest[(iid, period, "month")]
        factor = 1.03 if iid != "T10" else 0.95
        out.add(iid, period, row["value"] * factor, "month", "2025-08-20",
                row["source"] + " – điều chỉnh")


def write_sample(out_dir: Path, seed: int = SEED) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = generate(seed)
    frame.to_csv(out_dir / "observations.csv", index=False, lineterminator="\n")
    meta = {"synthetic": True, "seed": seed, "latest_month": f"{LATEST[0]}-{LATEST[1]:02d}",
            "unit": UNIT,
            "description": "SYNTHETIC sample data made by kpi_lib.inputs.sample; not real figures. "
                           "Số liệu mẫu tổng hợp (giả lập), không phải số liệu thật."}
    overrides = out_dir / "overrides.csv"
    overrides.write_text(
        "indicator_id,month,unit_code,status,reason,by,recorded_at\n"
        "T08d,2025-09,,on_track,\"Hồ sơ đề nghị công nhận huyện đạt chuẩn nông thôn mới đã được "
        "tỉnh thẩm định, dự kiến có quyết định công nhận trong tháng 12 (ví dụ giả lập)\","
        "Chuyên viên Phòng Tài chính - Kế hoạch (ví dụ),2025-10-03T09:00:00+00:00\n",
        encoding="utf-8")
    (out_dir / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True,
                                                         sort_keys=False), encoding="utf-8")
    return out_dir


def main() -> None:
    from ..common.paths import SAMPLE_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    print(f"wrote synthetic sample to {write_sample(args.out, args.seed)}")


if __name__ == "__main__":
    main()
