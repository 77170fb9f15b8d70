"""The real example (`make example`, `kpi example`): the workbench run on real figures.

GSO's monthly figures for 2024 (data/examples/gso_2024/, real and sourced) are ingested
into a fresh store; the monthly report is published as of March, June and September 2024,
each with only what GSO had published by the end of that month (`--vintage`); then a page
compares what each report said with the real December outcome. Nothing here is tuned to
the outcome: the reports are the ones an office would have published on those dates.
"""

from __future__ import annotations

import html
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ..common.errors import KpiError
from ..common.numbers import format_number
from ..engine.assess import meet_condition
from ..inputs.data import load_dataset
from ..inputs.ingest import ingest_files
from ..inputs.store import Store
from ..plan.catalog import Catalog, load_catalog
from .monthly import build_index, run_month

MONTHS = ("2024-03", "2024-06", "2024-09")
COMPARISON = "so-sanh-voi-thuc-te.html"


def example_dir() -> Path:
    from ..common.paths import DATA_DIR

    return DATA_DIR / "examples" / "gso_2024"


@dataclass
class ExampleResult:
    folder: Path
    reports: list[Path]
    comparison: Path
    table: pd.DataFrame


def run_example(out: str | Path, months: tuple[str, ...] = MONTHS,
                notebooks: tuple[str, ...] | None = None) -> ExampleResult:
    """Ingest the real figures into `out`/store, publish the months, write the comparison.

    `notebooks`: which notebooks each month runs (default: all published ones).
    """
    out = Path(out)
    src = example_dir()
    catalog = load_catalog(src / "catalog.yaml")
    store_dir = out / "store"
    shutil.rmtree(store_dir, ignore_errors=True)  # a build product: always from the raw file
    results = ingest_files([src / "observations_gso.csv"], catalog, Store(store_dir))
    bad = [p for r in results for p in r.problems.errors]
    if bad:
        raise KpiError(f"the example's data did not ingest: {bad[0]}",
                       fix="regenerate it with data/examples/gso_2024/to_tidy.py")
    reports_dir = out / "reports"
    published = []
    for month in months:
        # Only what GSO had published by the end of the month (its release is ~the 29th).
        end = (pd.Period(month, "M").end_time).date().isoformat()
        published.append(run_month(as_of=month, data=str(store_dir), catalog=str(catalog.path),
                                   out=reports_dir, vintage=end, update_index=False,
                                   notebooks=notebooks).folder)
    build_index(reports_dir)
    table = compare_with_outcome(catalog, str(store_dir), published)
    page = reports_dir / COMPARISON
    page.write_text(comparison_html(table, catalog), encoding="utf-8")
    return ExampleResult(out, published, page, table)


def compare_with_outcome(catalog: Catalog, data: str, folders: list[Path]) -> pd.DataFrame:
    """What each report said (summary.csv) beside the year's real outcome.

    Outcome: the December year-to-date as first published, against the target in force at
    the end of the year. A status of achieved/on track says "will be met", at risk or off
    track says "will not"; no_data says nothing and is not scored.
    """
    ds = load_dataset(catalog, data)
    final = catalog.in_force(date(catalog.year, 12, 31))
    rows = []
    for folder in folders:
        summary = pd.read_csv(folder / "summary.csv", dtype={"id": str})
        for rec in summary.itertuples(index=False):
            ind = final.get(rec.id)
            key = (rec.id, catalog.default_unit, catalog.year)
            actual = float(ds.ytd.loc[key, 12]) if key in ds.ytd.index else float("nan")
            target = final.effective_target(ind)
            _, low, high = meet_condition(ind, target)
            met = (actual > target if ind.rule == "gt" else low <= actual <= high)
            said = None if rec.status == "no_data" else rec.status in ("achieved", "on_track")
            rows.append({
                "month": folder.name, "id": rec.id, "name": ind.name_vi, "unit": ind.unit,
                "status": rec.status, "estimate": rec.estimate, "lo80": rec.lo80,
                "hi80": rec.hi80, "actual": actual, "target": target, "met": met,
                "error_pct": 100 * (rec.estimate - actual) / actual,
                "in_interval": rec.lo80 <= actual <= rec.hi80,
                "status_right": None if said is None else said == met})
    return pd.DataFrame(rows)


def comparison_html(table: pd.DataFrame, catalog: Catalog) -> str:
    """The comparison page, in Vietnamese (a reader of a Vietnamese page meets no English)."""
    esc = html.escape

    def num(v: float) -> str:
        # summary.csv keeps 6 significant digits: no decimals beyond them on large figures
        return format_number(v, 0 if abs(v) >= 1000 else 1)

    def yes(v: object) -> str:
        return "–" if v is None or pd.isna(v) else ("Đúng" if v else "Sai")

    body = []
    for month, part in table.groupby("month", sort=True):
        rows = "".join(
            f"<tr><td>{esc(r.id)} – {esc(r.name)}</td><td>{esc(r.unit)}</td>"
            f"<td>{esc(catalog.statuses.label(r.status, 'vi'))}</td><td>{num(r.estimate)}</td>"
            f"<td>{num(r.lo80)}–{num(r.hi80)}</td><td>{num(r.actual)}</td>"
            f"<td>{format_number(r.error_pct, 1)}%</td>"
            f"<td>{'Có' if r.in_interval else 'Không'}</td><td>{num(r.target)}</td>"
            f"<td>{'Đạt' if r.met else 'Không đạt'}</td><td>{yes(r.status_right)}</td></tr>"
            for r in part.itertuples(index=False))
        body.append(f"<h2>Báo cáo số liệu đến tháng {esc(month[5:])}/{esc(month[:4])}</h2>"
                    f"<p><a href='{esc(month)}/monthly_report.html'>Xem báo cáo</a></p>"
                    f"<div class='scroll' tabindex='0' role='region' aria-label='Tháng "
                    f"{esc(month[5:])}/{esc(month[:4])}'><table><tr><th>Chỉ tiêu</th><th>ĐVT</th><th>Đánh giá khi đó</th>"
                    "<th>Ước cả năm</th><th>Khoảng 80%</th><th>Thực tế tháng 12</th>"
                    "<th>Sai số ước</th><th>Thực tế trong khoảng?</th>"
                    "<th>Kế hoạch cuối năm</th><th>Kết quả</th><th>Đánh giá đúng?</th></tr>"
                    f"{rows}</table></div>")
    scored = table[table["status_right"].notna()]
    inside = int(table["in_interval"].sum())
    lead = (f"<p>{len(scored)} đánh giá, đúng {int(scored['status_right'].sum())}; thực tế nằm "
            f"trong khoảng 80% ở {inside}/{len(table)} lần ước.</p>")
    return ("<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>So sánh với thực tế năm 2024</title><style>"
            "body{font-family:sans-serif;margin:2em;max-width:80em}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .5em}"
            "td:nth-child(n+4){text-align:right}.scroll{max-width:100%;overflow-x:auto}"
            "@media (max-width:600px){body{margin:1em}}</style></head><body>"
            f"<h1>Các báo cáo đã nói gì, và thực tế cuối năm {catalog.year}</h1>"
            "<p>Số liệu thật: Tổng cục Thống kê (nay là Cục Thống kê), Biểu số liệu tháng, số "
            "công bố lần đầu; số tháng 12 là số sơ bộ công bố cuối tháng 12. Mỗi báo cáo chỉ "
            "dùng số liệu đã công bố đến cuối tháng đó. Kế hoạch vốn đầu tư năm suy ra từ tỷ lệ "
            "% kế hoạch GSO công bố; mục tiêu bán lẻ và xuất khẩu của ví dụ là “cao hơn năm "
            "2023”.</p>" + lead + "".join(body) + "</body></html>")
