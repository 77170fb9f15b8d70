"""SYNTHETIC commune-level figures for the sample: the district's series split by commune.

The indicators communes naturally collect (land certificates T21, road accidents, deaths
and injuries T19a–c, health insurance T16 through insured people and population) are split over Bình Sơn's
22 old units until June 2025 and over the 5 new communes from July, exactly as the
real registry says (data/units/). Sums are exact: the old communes add up to the
district's figure to the unit (counts are split multinomially). Tịnh Hòa, which joined
Đông Sơn from outside the district, gets its own made-up series (the province shares
it), so Đông Sơn from July holds figures that are not the district's.

Conventions imitated: a new commune reports year-to-date ("lũy kế") from July, its
first month; old communes sent T21 as year-to-date from 2024, like the district.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..common.paths import DATA_DIR
from ..plan.units import load_registry
from .tidy import OBS_COLUMNS, add_period_columns

AREA = "BINHSON"
OUTSIDE = "TINHHOA"
CHANGE_K = 2025 * 12 + 6  # July 2025 as year*12 + month-1
SPLIT_FLOWS = ("T21", "T19a")
# Tịnh Hòa's size relative to the whole district (made up).
OUTSIDE_SIZE = {"T21": 0.06, "T19a": 0.05, "T19b": 0.0, "T19c": 0.0}
# Road deaths and injuries by commune, so every emulation cluster is ranked on more than two
# targets (issue #17). Drawn from their own random stream, after the series above, so those
# are unchanged; Tịnh Hòa reports zeros for them, so Đông Sơn counts wholly toward the area
# and the district's totals are exactly the district series they were split from.
EXTRA_FLOWS = ("T19b", "T19c")
EXTRA_SEED = 20250917


def registry():
    units = DATA_DIR / "units"
    return load_registry(units / "binh_son_2025_units.csv", units / "binh_son_2025_crosswalk.csv")


def split_to_communes(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Replace the district's rows of the commune indicators by commune rows."""
    reg = registry()
    old = [u.code for u in reg.members(AREA) if u.valid_to is not None]
    new = [u.code for u in reg.members(AREA) if u.valid_from is not None]
    into = {link.from_unit: link.to_unit for link in reg.links}
    sizes = dict(zip(old, rng.dirichlet(np.full(len(old), 6.0)), strict=True))
    keep = frame[~((frame["unit_code"] == AREA) & frame["indicator_id"].isin(
        [*SPLIT_FLOWS, *EXTRA_FLOWS, "T16"]))]
    rows = [keep]
    for iid in SPLIT_FLOWS:
        rows.append(_split_flow(frame, iid, old, new, into, sizes, rng))
    rows.append(_split_insurance(frame, old, new, into, sizes))
    extra = np.random.default_rng(EXTRA_SEED)
    for iid in EXTRA_FLOWS:
        rows.append(_split_flow(frame, iid, old, new, into, sizes, extra))
    return pd.concat(rows, ignore_index=True)[OBS_COLUMNS]


def _row(iid: str, unit: str, year: int, month: int, value: float, vtype: str, reported: str,
         source: str) -> dict:
    return {"indicator_id": iid, "unit_code": unit, "period": f"{year}-{month:02d}",
            "value": round(float(value), 2), "value_type": vtype, "reported_at": reported,
            "source": source, "file_sha256": "sample"}


def _split_flow(frame, iid, old, new, into, sizes, rng) -> pd.DataFrame:
    from .tidy import ytd_table

    district = frame[(frame["unit_code"] == "BINHSON") & (frame["indicator_id"] == iid)]
    latest = district.drop_duplicates(["period", "value_type"], keep="last")
    _, monthly = ytd_table(latest)
    meta = add_period_columns(latest).set_index("period")
    reported = meta["reported_at"].groupby(level=0).max()
    ytd_from = 2024 if (latest["value_type"] == "ytd").any() else 9999
    source = "Báo cáo của UBND xã (số liệu mẫu)"
    out = []
    cum: dict[tuple[str, int], float] = {}
    p = np.array([sizes[c] for c in old])
    for (_, _, year), amounts in monthly.iterrows():
        for month, amount in amounts.items():
            if not np.isfinite(amount):
                continue
            k = year * 12 + month - 1
            parts = rng.multinomial(round(amount), p / p.sum())
            by_unit = dict(zip(old, parts, strict=True))
            outside = rng.poisson(OUTSIDE_SIZE[iid] * max(amount, 1.0))
            rep = reported[f"{year}-{month:02d}"]
            if k < CHANGE_K:
                units = {**by_unit, "TINHHOA": outside}
            else:
                units = {c: 0 for c in new}
                for code, n in by_unit.items():
                    units[into[code]] += n
                units[into["TINHHOA"]] += outside
            for code, n in units.items():
                total = cum[(code, year)] = cum.get((code, year), 0) + n
                if year >= ytd_from:
                    out.append(_row(iid, code, year, month, total, "ytd", rep, source))
                else:
                    out.append(_row(iid, code, year, month, n, "month", rep, source))
    return pd.DataFrame(out)


def _split_insurance(frame, old, new, into, sizes) -> pd.DataFrame:
    """Population and insured people per commune; the district rate is kept (to rounding)."""
    rate = frame[(frame["unit_code"] == "BINHSON") & (frame["indicator_id"] == "T16")]
    pop0 = {c: 190_000 * sizes[c] for c in old}
    pop0["TINHHOA"] = 11_500.0
    # Small communes insure a larger share here, so the plain mean of rates runs high.
    order = sorted(old, key=lambda c: pop0[c])
    offset = {c: 3.0 - 6.0 * n / (len(order) - 1) for n, c in enumerate(order)}
    weighted = sum(offset[c] * pop0[c] for c in old) / sum(pop0[c] for c in old)
    offset = {c: v - weighted for c, v in offset.items()}
    source = "BHXH (số liệu mẫu)"
    out = []
    for row in add_period_columns(rate).itertuples():
        k = row.year * 12 + row.month - 1
        growth = 1.008 ** (k / 12 - 2020)
        pop = {c: pop0[c] * growth for c in old}
        insured = {c: pop[c] * min(99.5, row.value + offset[c]) / 100 for c in old}
        # Keep the district's rate exactly at the district series.
        scale = row.value / 100 * sum(pop.values()) / sum(insured.values())
        insured = {c: v * scale for c, v in insured.items()}
        pop["TINHHOA"] = pop0["TINHHOA"] * growth
        insured["TINHHOA"] = pop["TINHHOA"] * 0.975
        if k >= CHANGE_K:
            merged_pop = {c: 0.0 for c in new}
            merged_ins = {c: 0.0 for c in new}
            for c, people in pop.items():
                merged_pop[into[c]] += people
                merged_ins[into[c]] += insured[c]
            pop, insured = merged_pop, merged_ins
        for c in pop:
            out.append(_row("P_POP", c, row.year, row.month, round(pop[c]), "level",
                            row.reported_at, source))
            out.append(_row("P_INSURED", c, row.year, row.month, round(insured[c]), "level",
                            row.reported_at, source))
    return pd.DataFrame(out)
