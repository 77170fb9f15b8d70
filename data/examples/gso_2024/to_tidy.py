"""Turn the GSO extract beside this file into the tidy table `kpi ingest` reads.

Run once when the extract changes (`python data/examples/gso_2024/to_tidy.py`); both files
are committed. Each figure keeps its publication date as `reported_at`, so a report "as of
March 2024" built with `--vintage` sees only what GSO had published by then.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERIES = {  # GSO series -> indicator id in catalog.yaml
    "VN_state_budget_investment_realized_total": "VDT",
    "VN_retail_sales_and_consumer_services_total": "BANLE",
    "VN_exports_total": "XUATKHAU",
}
SOURCE = "GSO Biểu số liệu tháng (số công bố lần đầu), qua hiennguyen9874/vn-macroeconomics@7abff03"


def main() -> None:
    rows = []
    with open(HERE / "gso_extract.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["series"] not in SERIES or int(r["year"]) > 2024:
                continue
            rows.append({"indicator_id": SERIES[r["series"]], "unit_code": "VN",
                         "period": f"{r['year']}-{int(r['month']):02d}",
                         "value": f"{float(r['ytd_value']):.2f}", "value_type": "ytd",
                         "reported_at": r["release_date_in_repo"], "source": SOURCE})
    with open(HERE / "observations_gso.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
