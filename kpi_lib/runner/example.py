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
from ..common.files import replace_text
from ..common.numbers import format_number
from ..engine.assess import meet_condition
from ..inputs.data import load_dataset
from ..inputs.ingest import ingest_files
from ..inputs.store import Store
from ..plan.catalog import Catalog, load_catalog
from .export import write_csv
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
    replace_text(page, comparison_html(table, catalog))
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
            "p,li,h1,h2{overflow-wrap:anywhere}"
            "@media (max-width:600px){body{margin:1em}}</style></head><body>"
            f"<h1>Các báo cáo đã nói gì, và thực tế cuối năm {catalog.year}</h1>"
            "<p>Số liệu thật: Tổng cục Thống kê (nay là Cục Thống kê), Biểu số liệu tháng, số "
            "công bố lần đầu; số tháng 12 là số sơ bộ công bố cuối tháng 12. Mỗi báo cáo chỉ "
            "dùng số liệu đã công bố đến cuối tháng đó. Kế hoạch vốn đầu tư năm suy ra từ tỷ lệ "
            "% kế hoạch GSO công bố; mục tiêu bán lẻ và xuất khẩu của ví dụ là “cao hơn năm "
            "2023”.</p>" + lead + "".join(body) + "</body></html>")


# --------------------------------------------------------------------- the five-year plan
# Each year's assessment of Viet Nam's 2021–2025 plan made with the year's figure as GSO
# first published it (late December, or early January for 2024 and 2025), then as of 2026.
TERM_DATES = (("2021-12", "2021-12-31"), ("2022-12", "2022-12-31"), ("2023-12", "2023-12-31"),
              ("2024-12", "2025-01-06"), ("2025-12", "2026-01-05"), ("2026-12", None))


def term_example_dir() -> Path:
    from ..common.paths import DATA_DIR

    return DATA_DIR / "examples" / "vn_2021_2025"


def term_example_table(data: str | Path | None = None) -> pd.DataFrame:
    """What each year's assessment said of each 2021–2025 target, beside the final outcome
    (the assessment with everything published, as of 2026)."""
    from .term import assess_term

    data = str(data or term_example_dir())
    runs = {as_of: assess_term(data=data, as_of=as_of, vintage=vintage).frame
            for as_of, vintage in TERM_DATES}
    final = runs[TERM_DATES[-1][0]].set_index("id")
    rows = []
    for as_of, vintage in TERM_DATES[:-1]:
        for rec in runs[as_of].itertuples(index=False):
            if rec.term != "2021-2025":
                continue
            rows.append({"as_of": as_of, "vintage": vintage, "id": rec.id,
                         "target": rec.target, "achieved_to_date": rec.achieved_to_date,
                         "years_observed": rec.years_observed, "estimate": rec.estimate,
                         "lo80": rec.lo80, "hi80": rec.hi80, "p_meet": rec.p_meet,
                         "status": rec.status, "required_pace": rec.required_pace,
                         "outcome": final.loc[rec.id, "achieved_to_date"],
                         "outcome_status": final.loc[rec.id, "status"]})
    return pd.DataFrame(rows)


def term_example_markdown(table: pd.DataFrame, catalog: Catalog) -> str:
    """The README's table (Vietnamese number format), made from term_example_table."""
    def num(v: object) -> str:
        return "–" if v is None or pd.isna(v) else format_number(float(v), 2)

    lines = [("| số liệu đến | công bố đến | chỉ tiêu | đã đạt (số năm) | ước cả kỳ (khoảng 80%) "
             "| khả năng đạt | đánh giá khi đó | các năm còn lại cần | kết quả cuối cùng |"),
             "|---|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):
        est = "–" if pd.isna(r.estimate) else f"{num(r.estimate)} ({num(r.lo80)}–{num(r.hi80)})"
        p = "–" if pd.isna(r.p_meet) else f"{format_number(100 * r.p_meet, 1)}%"
        lines.append(f"| {r.as_of} | {r.vintage} | {r.id} | {num(r.achieved_to_date)} "
                     f"({r.years_observed}) | {est} | {p} | "
                     f"{catalog.statuses.label(r.status)} | {num(r.required_pace)} | "
                     f"{num(r.outcome)} ({catalog.statuses.label(r.outcome_status)}) |")
    return "\n".join(lines) + "\n"


def run_term_example(out: str | Path) -> tuple[pd.DataFrame, list[Path]]:
    """The comparison table (CSV) and the term review as of 2026 (HTML and Word)."""
    from .term import assess_term, write_term

    out = Path(out) / "term"
    out.mkdir(parents=True, exist_ok=True)
    table = term_example_table()
    write_csv(table, out / "so_sanh_ke_hoach_5_nam.csv")
    run = assess_term(data=str(term_example_dir()), as_of=TERM_DATES[-1][0])
    return table, write_term(run, out, "html") + [out / "so_sanh_ke_hoach_5_nam.csv"]
