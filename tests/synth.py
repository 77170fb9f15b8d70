"""Synthetic series with known behaviour, for forecast and calibration tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kpi_lib.inputs.data import Dataset
from kpi_lib.inputs.store import DataSource
from kpi_lib.inputs.tidy import OBS_COLUMNS

PROFILE = np.array([7.0, 6.5, 8.0, 8.1, 8.3, 8.4, 8.3, 8.4, 8.5, 8.7, 8.9, 10.9])
PROFILE = PROFILE / PROFILE.sum()


def flow_rows(iid: str, unit: str, totals: dict[int, float], rng: np.random.Generator,
              noise: float = 0.03, upto: tuple[int, int] | None = None) -> list[dict]:
    rows = []
    for year, total in totals.items():
        amounts = total * PROFILE * rng.normal(1, noise, 12)
        for m in range(1, 13):
            if upto and (year, m) > upto:
                break
            rows.append({"indicator_id": iid, "unit_code": unit, "period": f"{year}-{m:02d}",
                         "value": float(amounts[m - 1]), "value_type": "month",
                         "reported_at": f"{year}-{m:02d}-28", "source": "synthetic",
                         "file_sha256": "t"})
    return rows


def reading_rows(iid: str, unit: str, values: dict[str, float], vtype: str = "level") -> list[dict]:
    return [{"indicator_id": iid, "unit_code": unit, "period": p, "value": v, "value_type": vtype,
             "reported_at": "2000-01-01", "source": "synthetic", "file_sha256": "t"}
            for p, v in values.items()]


def dataset(catalog, rows: list[dict]) -> Dataset:
    obs = pd.DataFrame(rows, columns=OBS_COLUMNS)
    return Dataset(catalog, DataSource(Path("/nonexistent"), "given"), obs)
