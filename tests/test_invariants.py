"""A status never contradicts the numbers shown beside it (issues #12, #21).

Checked at every month 1–12 of the sample, for the area and every member unit (in memory,
without ETS, to stay cheap), and over the published files of one full run.

The rules are written once, as functions over a row, and checked over every row of every
output: the engine's table, the display table (HTML and Word), the narrative, summary.csv,
the published HTML page, the Excel workbook and the Word report — for the sample and for
generated edge cases (target met exactly, ceiling passed, milestone scheduled, zero last
year, negative growth).
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

from kpi_lib.common.numbers import format_number, quantity_decimals
from kpi_lib.common.paths import SAMPLE_DIR
from kpi_lib.engine.assess import assess, shown_bounds
from kpi_lib.engine.forecast import forecast_all
from kpi_lib.engine.pipeline import assess_dataset, run_assessment, unit_grid
from kpi_lib.inputs.data import load_dataset
from kpi_lib.outputs.i18n import t
from kpi_lib.outputs.narrative import narrative
from kpi_lib.outputs.report_table import display_table, numbers_table
from kpi_lib.plan.statuses import NEEDS_ACTION

from .synth import dataset, flow_rows, reading_rows

U = "BINHSON"
EPS = 1e-6


# ------------------------------------------------------------------ the rules
def engine_violations(table: pd.DataFrame, th: dict) -> list[str]:
    """Every rule an assessed row keeps; returns what broke, naming the row."""
    bad = []
    for _, r in table.iterrows():
        iid, s, p = r["indicator_id"], r["status"], r["p_meet"]
        est, lo, hi, act = r["estimate"], r["lo80"], r["hi80"], r["actual_to_date"]

        where = f"(status {s}, p {p}, est {est}, 80% {lo}–{hi}, actual {act})"

        def fail(rule: str, iid=iid, where=where) -> None:
            bad.append(f"{iid}: {rule} {where}")
        if s == "achieved" and p != 1:
            fail("achieved must have P = 1")
        if s == "missed" and p != 0:
            fail("missed must have P = 0")
        if s == "on_track" and not p >= th["on_track_p"]:
            fail("on_track needs P ≥ on_track_p")
        if s == "off_track" and not p < th["off_track_p"]:
            fail("off_track needs P < off_track_p")
        if s == "at_risk" and np.isfinite(p) and not (
                th["off_track_p"] <= p < th["on_track_p"]
                or (p < th["off_track_p"] and r["gap_closure"] >= th["off_track_gap"])):
            fail("at_risk needs off_track_p ≤ P < on_track_p, or a near miss")
        if s == "at_risk" and not np.isfinite(p) and not (
                r["kind"] == "milestone" and est >= 1):
            fail("at_risk without a probability is only a scheduled milestone")
        if s == "no_data" and np.isfinite(p):
            fail("no_data shows no probability")
        if r["kind"] == "flow" and np.isfinite(act):
            for name in ("estimate", "lo80", "lo95"):
                if np.isfinite(r[name]) and r[name] < act - EPS:
                    fail(f"a flow's {name} is below what is already counted")
        if np.isfinite(lo) and np.isfinite(hi) and not lo - EPS <= est <= hi + EPS:
            fail("the estimate lies outside its interval")
        if bool(r["provisional"]) != (bool(r["low_confidence"]) and s != "no_data"):
            fail("provisional exactly when judged from the trend")
        if r["kind"] == "flow" and r["rule"] == "reduce" and act > r["target_value"] + EPS \
                and s != "missed":
            fail("a ceiling already passed is missed")
    return bad


def shown_violations(table: pd.DataFrame, catalog) -> list[str]:
    """A status agrees with the estimate as the page shows it (rounded), and the required
    pace, if kept, meets the target (a maximum for a ceiling or a reduction)."""
    bad = []
    for _, r in table.iterrows():
        ind, target, est = catalog.get(r["indicator_id"]), r["target_value"], r["estimate"]
        if not (np.isfinite(target) and np.isfinite(est)) or r["status"] == "no_data":
            continue
        comparison, low, high = shown_bounds(ind, target)
        shown = round(est, quantity_decimals(ind.unit, est))
        meets = {"ge": shown >= low, "le": shown <= high}.get(comparison, low <= shown <= high)
        where = f"{r['unit_code']} {r['indicator_id']}: {r['status']}, shown {shown} vs {low}–{high}"
        if r["status"] in ("achieved", "on_track") and not meets:
            bad.append(f"{where}: met or on track beside an estimate that misses")
        if r["status"] in ("missed", "off_track") and meets:
            bad.append(f"{where}: missed or off track beside an estimate that meets")
        if ind.rule == "reduce" and target > 0 and not high < target:
            bad.append(f"{where}: a reduction must end below last year ({target})")
        pace, m = r.get("required_pace", np.nan), r["data_month"]
        if np.isfinite(pace) and 0 < m < 12:
            end = r["actual_to_date"] + pace * (12 - m)
            if (comparison == "le" and end > high + EPS) or (comparison == "ge" and end < low - EPS):
                bad.append(f"{where}: the required pace ends the year at {end}, not meeting it")
    return bad


def _pct(text: str, lang: str = "vi") -> float:
    text = text.rstrip("%")
    return float(text.replace(".", "").replace(",", ".") if lang == "vi" else text.replace(",", ""))


def display_violations(a, frame: pd.DataFrame, numbers: pd.DataFrame, lang: str) -> list[str]:
    """The same rules as read in the table's text (HTML, Word and Excel all use it)."""
    th = a.catalog.thresholds
    bad = []
    status_col, p_col = t("status", lang), t("p_meet", lang)
    for i, r in numbers.reset_index(drop=True).iterrows():
        row = frame.iloc[i]
        label = a.catalog.statuses.label(r["status"], lang)
        mark = f" ({t('provisional', lang)})"
        want = label + (mark if r["provisional"] else "")
        if row[status_col] != want:
            bad.append(f"{r['id']}: status reads {row[status_col]!r}, not {want!r}")
        p_text = row[p_col]
        if r["status"] == "achieved" and p_text != format_number(100, 1, lang) + "%":
            bad.append(f"{r['id']}: achieved but P reads {p_text}")
        if r["status"] == "missed" and p_text != format_number(0, 1, lang) + "%":
            bad.append(f"{r['id']}: missed but P reads {p_text}")
        if r["status"] == "on_track" and _pct(p_text, lang) < 100 * th["on_track_p"] - 0.05:
            bad.append(f"{r['id']}: on track but P reads {p_text}")
        if r["status"] == "off_track" and _pct(p_text, lang) > 100 * th["off_track_p"] + 0.05:
            bad.append(f"{r['id']}: off track but P reads {p_text}")
        if r["status"] == "no_data" and p_text != "–":
            bad.append(f"{r['id']}: no data but P reads {p_text}")
        est_text = row[t("estimate", lang)]
        interval = re.search(r"\(([\d.,]+)–([\d.,]+)\)", est_text)
        if interval and r["kind"] == "flow" and np.isfinite(r["ytd"]):
            low = float(interval.group(1).replace(".", "").replace(",", ".")) if lang == "vi" \
                else float(interval.group(1).replace(",", ""))
            if low < round(r["ytd"], 2) - 0.5:
                bad.append(f"{r['id']}: the interval starts at {low}, below {r['ytd']} counted")
        if r["rule"] == "yes" and r["estimate"] >= 1 and r["ytd"] < 1 \
                and est_text != t("scheduled_yes", lang):
            bad.append(f"{r['id']}: a scheduled recognition reads {est_text!r}")
        pct = row[t("pct_plan", lang)]
        if pct != "–" and np.isfinite(r["target"]) and r["target"] and lang == "vi":
            shown = _pct(pct)
            if abs(shown - r["ytd"] / r["target"] * 100) > 0.051:
                bad.append(f"{r['id']}: % kế hoạch {pct} is not the figures shown")
    return bad


def narrative_violations(a, numbers: pd.DataFrame, lang: str) -> list[str]:
    """Each sentence ends with its row's status phrase, marked provisional when it is."""
    bad = []
    sentences = {s: x for sec in narrative(a, numbers, lang) for s, x in
                 zip(numbers[numbers["group"] == sec.group]["id"], sec.sentences, strict=True)}
    for _, r in numbers.iterrows():
        text = sentences[r["id"]]
        if "chưa có số liệu." in text or "no figures yet." in text:
            continue
        phrase = a.catalog.statuses.phrase(r["status"], lang)
        if r["status"] != "no_data" and r["missing_setting"] == "" and phrase not in text:
            bad.append(f"{r['id']}: sentence lacks {phrase!r}: {text}")
        provisional = "tạm đánh giá theo xu hướng" if lang == "vi" else "provisional"
        if bool(r["provisional"]) != (provisional in text):
            bad.append(f"{r['id']}: provisional mark wrong: {text}")
        for other in ("có khả năng đạt kế hoạch", "khó đạt kế hoạch", "đã đạt kế hoạch"):
            if lang == "vi" and other != phrase and text.rstrip(".").endswith(other) \
                    and r["status"] != "no_data":
                bad.append(f"{r['id']}: ends {other!r} but the status is {r['status']}")
    return bad


# ------------------------------------------------------------------ the sample
@pytest.fixture(scope="module")
def sample():
    a = run_assessment(as_of="2025-09", use_ets=False)
    return a, numbers_table(a)


@pytest.fixture(scope="module")
def every_month(catalog):
    """The area's assessment at every month 1–12 of the sample (one load, no ETS)."""
    ds = load_dataset(catalog, str(SAMPLE_DIR))
    return {m: assess_dataset(ds, m, None, None, use_ets=False) for m in range(1, 13)}


@pytest.mark.parametrize("month", range(1, 13))
def test_rules_hold_at_every_month_for_the_area_and_every_unit(every_month, month):
    a = every_month[month]
    numbers = numbers_table(a)
    assert engine_violations(a.table, a.catalog.thresholds) == []
    assert shown_violations(a.table, a.catalog) == []
    assert display_violations(a, display_table(a, "vi", numbers), numbers, "vi") == []
    assert narrative_violations(a, numbers, "vi") == []
    grid = unit_grid(a)  # every member unit, judged with the area's settings
    assert len(grid) and grid["unit_code"].nunique() >= 5
    assert shown_violations(grid.assign(data_month=np.nan), a.catalog) == []
    th = a.catalog.thresholds
    for _, r in grid.iterrows():
        p = r["p_meet"]
        assert not (r["status"] == "on_track" and p < th["on_track_p"]), r.to_dict()
        assert not (r["status"] == "off_track" and p >= th["off_track_p"]), r.to_dict()
        assert not (r["status"] == "no_data" and np.isfinite(p)), r.to_dict()
        if a.catalog.get(r["indicator_id"]).kind == "flow" and np.isfinite(r["actual_to_date"]):
            assert r["estimate"] >= r["actual_to_date"] - EPS, r.to_dict()  # never below counted


def test_the_cases_the_issue_found_are_right(every_month):
    june = every_month[6].table.set_index("indicator_id")
    # T08b: nothing yet, but every past year it came after June: the estimate says so.
    assert june.loc["T08b", "status"] != "on_track" or june.loc["T08b", "estimate"] >= 1
    # A commune with none last year and none this year has nothing to reduce: not missed.
    grid = unit_grid(every_month[9])
    none = grid[grid["indicator_id"].isin(["T19a", "T19b", "T19c"])
                & (grid["target_value"] == 0) & (grid["actual_to_date"] == 0)]
    assert not (none["status"] == "missed").any(), none
    # Road accidents ("giảm" vs 2024): the pace, if kept, ends the year below 2024.
    for iid in ("T19a", "T19b", "T19c"):
        r = june.loc[iid]
        if np.isfinite(r["required_pace"]):
            assert r["actual_to_date"] + 6 * r["required_pace"] < r["last_year"]


def test_engine_rules_hold_on_every_sample_row(sample):
    a, _ = sample
    assert engine_violations(a.table, a.catalog.thresholds) == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_table_text_agrees_with_the_numbers(sample, lang):
    a, numbers = sample
    assert display_violations(a, display_table(a, lang, numbers), numbers, lang) == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_narrative_agrees_with_the_status(sample, lang):
    a, numbers = sample
    assert narrative_violations(a, numbers, lang) == []


def test_the_cases_the_reviewer_saw_are_right(sample):
    a, numbers = sample
    row = a.table.set_index("indicator_id")
    # T09b at its target (a rate that does not fall): met, not "at risk".
    assert row.loc["T09b", "status"] == "achieved"
    assert row.loc["T09b", "lo80"] >= row.loc["T09b", "target_value"]
    # T08d scheduled, not obtained: no invented 0% beside "Đạt".
    assert row.loc["T08d", "status"] == "at_risk" and np.isnan(row.loc["T08d", "p_meet"])
    # T19b: 22 deaths already above 2024's 20: final.
    assert row.loc["T19b", "status"] == "missed" and row.loc["T19b", "p_meet"] == 0
    assert row.loc["T19b", "lo80"] >= 22
    # Annual values without a reading this year are judged, provisionally.
    assert row.loc["T13", "provisional"] and row.loc["T13", "status"] in NEEDS_ACTION
    assert row.loc["T18a", "provisional"] and row.loc["T18a", "status"] in NEEDS_ACTION
    # Apportioned counts are whole numbers; % so cùng kỳ is computed from them.
    n = numbers.set_index("id")
    assert n.loc["T19a", "ytd"] == round(n.loc["T19a", "ytd"])
    assert n.loc["T19a", "pct_same"] == pytest.approx(
        n.loc["T19a", "ytd"] / n.loc["T19a", "same_period"] * 100)


# ------------------------------------------------------------------ edge cases
def _edge_table(catalog, rows, as_of):
    ds = dataset(catalog, rows)
    return assess(forecast_all(ds, as_of, use_ets=False), ds)


def _edge_cases(catalog):
    rng = np.random.default_rng(7)
    years = range(2019, 2026)
    cases = {
        # T10 a flow exactly at its target at year end (final), and one far behind
        "flow met exactly": flow_rows("T10", U, {y: 1600.0 for y in years}, rng, 0.0),
        "flow behind, negative growth": flow_rows(
            "T10", U, {**{y: 1500.0 for y in range(2019, 2025)}, 2025: 1100.0}, rng, 0.02,
            (2025, 8)),
        # T19b a ceiling passed in August
        "ceiling passed": flow_rows("T19b", U, {**{y: 20.0 for y in range(2019, 2025)},
                                                2025: 40.0}, rng, 0.02, (2025, 8)),
        # T19a: zero accidents last year
        "zero last year": flow_rows("T19a", U, {**{y: 10.0 for y in range(2019, 2024)},
                                                2024: 0.0, 2025: 6.0}, rng, 0.0, (2025, 8)),
        # T09b a level reading exactly at the plan's figure
        "level met exactly": reading_rows("T09b", U, {"2024-12": 80.0, "2025-05": 81.69}),
        # T07 a level exactly at its target with a trend
        "level at target": reading_rows("T07", U, {f"{y}-12": 80.0 + y - 2019 for y in
                                                   range(2019, 2025)} | {"2025-06": 85.0}),
        # T08d a scheduled recognition
        "milestone scheduled": reading_rows("T08d", U, {"2025-11": 1.0}, "planned"),
        # T14 an annual value without a reading this year
        "annual pending": reading_rows("T14", U, {str(y): 7.0 - 0.3 * (y - 2019)
                                                  for y in range(2019, 2025)}, "annual"),
    }
    return cases


EDGE_CASES = ["flow met exactly", "flow behind, negative growth", "ceiling passed",
              "zero last year", "level met exactly", "level at target", "milestone scheduled",
              "annual pending"]


@pytest.mark.parametrize("case", EDGE_CASES)
def test_rules_hold_on_edge_cases(catalog, case):
    rows = _edge_cases(catalog)[case]
    as_of = 12 if case == "flow met exactly" else 9
    table = _edge_table(catalog, rows, as_of)
    assert engine_violations(table, catalog.thresholds) == [], case
    if case == "flow met exactly":
        assert table.set_index("indicator_id").loc["T10", "status"] == "achieved"
    if case == "ceiling passed":
        assert table.set_index("indicator_id").loc["T19b", "status"] == "missed"
    if case == "level met exactly":
        assert table.set_index("indicator_id").loc["T09b", "status"] == "achieved"


# ------------------------------------------------------------------ published files
@pytest.mark.notebook
def test_every_published_output_agrees(sample_report):
    import docx
    from openpyxl import load_workbook

    folder = sample_report.folder
    a = run_assessment(as_of="2025-09")
    numbers = numbers_table(a)
    by_id = a.table.set_index("indicator_id")
    # summary.csv: statuses, probabilities, provisional flags as the engine's
    summary = pd.read_csv(folder / "summary.csv").set_index("id")
    assert engine_violations(
        summary.rename_axis("indicator_id").reset_index().merge(
            a.table.drop(columns=["status", "p_meet", "provisional", "estimate", "lo80",
                                  "hi80"]), on="indicator_id"), a.catalog.thresholds) == []
    assert (summary["status"] == by_id.loc[summary.index, "status"]).all()
    # the HTML page's report tables, read back as a reader sees them
    page = (folder / "monthly_report.html").read_text(encoding="utf-8")
    tables = [x for x in pd.read_html(io.StringIO(page)) if t("p_meet") in x.columns
              and t("estimate") in x.columns]
    shown = pd.concat(tables, ignore_index=True).astype(str)
    order = [g["id"] for g in a.catalog.groups]
    grouped = numbers.assign(_g=numbers["group"].map(order.index)).sort_values(
        "_g", kind="stable").reset_index(drop=True)
    assert display_violations(a, shown, grouped, "vi") == []
    # the workbook: the status column matches, P stored as a number
    book = load_workbook(folder / f"bao-cao-{a.period}.xlsx")
    sheet = book.worksheets[0]
    header = next(r for r in sheet.iter_rows(values_only=True) if r and t("status") in r)
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0] in by_id.index]
    s_col, p_col = header.index(t("status")), header.index(t("p_meet"))
    for r in rows:
        truth = by_id.loc[r[0]]
        label = a.catalog.statuses.label(truth["status"])
        assert r[s_col].startswith(label), r
        assert ("tạm đánh giá" in r[s_col]) == bool(truth["provisional"]), r
        if truth["status"] == "achieved":
            assert r[p_col] == 1
        if truth["status"] == "missed":
            assert r[p_col] == 0
    # the Word report's table: the same text as the HTML table
    document = docx.Document(str(folder / f"bao-cao-{a.period}.docx"))
    cells = {c.text for table in document.tables for row in table.rows for c in row.cells}
    for _, r in numbers.iterrows():
        label = a.catalog.statuses.label(r["status"])
        want = label + (f" ({t('provisional')})" if r["provisional"] else "")
        assert want in cells, (r["id"], want)


@pytest.fixture(scope="module")
def september_review(sample_report, tmp_path_factory):
    """The review as of the report's month, with the report's settings (ETS included)."""
    from kpi_lib.runner.review import run_review

    return run_review(as_of="2025-09", data=str(SAMPLE_DIR), out=tmp_path_factory.mktemp("rv"))


@pytest.mark.notebook
def test_the_commune_table_and_the_review_scoreboard_are_one_judgement(sample_report,
                                                                        september_review):
    """units.csv (the report's commune table) and scoreboard.csv (the review) agree row for
    row: same status, estimate and probability for every (unit, indicator) of the month."""
    units = pd.read_csv(sample_report.folder / "units.csv")
    board = pd.read_csv(september_review.folder / "scoreboard.csv")
    assert units["vintage"].isna().all() and board["vintage"].isna().all()  # both: all figures
    assert set(units["methods"]) == set(board["methods"]) == {"with_ets"}
    communes = board[board["kind"] == "commune"].merge(
        units, on=["unit_code", "indicator_id"], how="left", suffixes=("", "_report"))
    assert len(communes) and communes["status_report"].notna().any()
    unreported = communes[communes["status_report"].isna()]
    assert (unreported["status"] == "no_data").all()  # no figures: listed, not judged
    both = communes[communes["status_report"].notna()]
    assert (both["status"] == both["status_report"]).all()
    assert np.allclose(both["estimate"], both["estimate_report"], equal_nan=True)
    assert np.allclose(both["p_meet"], both["p_meet_report"], equal_nan=True)
    # departments are scored on the area's statuses: the report's summary.csv
    summary = pd.read_csv(sample_report.folder / "summary.csv").set_index("id")
    depts = board[(board["kind"] == "department") & (board["status"] != "no_data")]
    assert (depts["status"].to_numpy() == summary.loc[depts["indicator_id"], "status"]).all()


@pytest.mark.notebook
def test_counts_add_up_in_the_index_and_the_report(sample_report):
    from bs4 import BeautifulSoup

    index = BeautifulSoup((sample_report.folder.parent / "index.html").read_text(
        encoding="utf-8"), "html.parser").get_text(" ")
    m = re.search(r"(\d+) chỉ tiêu \((\d+) chỉ số\):\s*((?:\d+ [^\d·]+)+)·", index)
    assert m, index[:500]
    assert sum(int(x) for x in re.findall(r"(\d+) ", m.group(3))) == int(m.group(1))
    page = BeautifulSoup((sample_report.folder / "monthly_report.html").read_text(
        encoding="utf-8"), "html.parser").get_text(" ")
    assert "Cách đánh giá" in page and "khoảng" in page


@pytest.mark.notebook
def test_no_published_document_is_dated_before_what_it_uses(sample_report):
    """README "Dates that hold together": the HTML page, the Word report (title block and
    appendices), every sheet of the workbook, the index and summary.csv carry one date, and
    it is not earlier than the latest figure (reported_at) or analyst opinion (recorded_at)
    the report used. The sample's September figures run to 15/10/2025, after the planned
    05/10/2025: the documents carry 15/10/2025 and say why."""
    import docx
    from bs4 import BeautifulSoup
    from openpyxl import load_workbook

    folder = sample_report.folder
    received = pd.to_datetime(pd.read_csv(SAMPLE_DIR / "observations.csv")["reported_at"])
    opinions = pd.read_csv(SAMPLE_DIR / "overrides.csv")
    opinions = opinions[opinions["month"] == "2025-09"]
    recorded = pd.to_datetime(opinions["recorded_at"], utc=True).dt.tz_convert("Asia/Ho_Chi_Minh")
    used = max(received.max().date(), recorded.max().date())

    def day(text: str) -> pd.Timestamp:
        return pd.Timestamp(pd.to_datetime(text, dayfirst=True)).date()

    dates: dict[str, object] = {}
    page = BeautifulSoup((folder / "monthly_report.html").read_text(encoding="utf-8"),
                         "html.parser").get_text(" ")
    dates["html"] = day(re.search(r"Báo cáo ngày (\d\d/\d\d/\d{4})", page).group(1))
    index = BeautifulSoup((folder.parent / "index.html").read_text(encoding="utf-8"),
                          "html.parser").get_text(" ")
    dates["index"] = day(re.search(r"Báo cáo ngày (\d\d/\d\d/\d{4})", index).group(1))
    document = docx.Document(str(folder / f"bao-cao-{sample_report.period}.docx"))
    words = "\n".join([p.text for p in document.paragraphs]
                      + [c.text for tb in document.tables for row in tb.rows for c in row.cells])
    # the document's own dates (the căn cứ's plan date is written 03/02/2025)
    for n, m in enumerate(re.finditer(r"ngày (\d\d) tháng (\d\d?) năm (\d{4})", words)):
        dates[f"word {n}"] = day(f"{m.group(1)}/{m.group(2)}/{m.group(3)}")
    assert len([k for k in dates if k.startswith("word")]) >= 3  # title block, 2 appendices
    book = load_workbook(folder / f"bao-cao-{sample_report.period}.xlsx")
    for ws in book.worksheets:
        dates[f"excel {ws.title}"] = day(re.search(r"Báo cáo ngày (\d\d/\d\d/\d{4})",
                                                   ws["A3"].value).group(1))
    summary = pd.read_csv(folder / "summary.csv")
    dates["summary.csv"] = pd.Timestamp(summary["report_date"].iloc[0]).date()
    assert set(dates.values()) == {used}, dates  # one date, and the figures' own
    assert str(used) == "2025-10-15" and summary["planned_date"].iloc[0] == "2025-10-05"
    assert "cập nhật đến ngày 15/10/2025" in page and "dự kiến ngày 05/10/2025" in page
    assert "dự kiến ngày 05/10/2025" in words and "dự kiến ngày 05/10/2025" in index
    # the sentence the README quotes is the one the page prints
    from kpi_lib.common.paths import PROJECT_ROOT
    from kpi_lib.outputs.report_setup import date_note

    note = date_note(used, pd.Timestamp(summary["planned_date"].iloc[0]).date(), used)
    readme = " ".join((PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split())
    assert note in " ".join(page.split()) and f'"{note}"' in readme


@pytest.mark.notebook
def test_the_published_rules_are_the_catalogs_sentences_in_every_document(sample_report,
                                                                          catalog):
    """The page, the Word report and the workbook print outputs.rules' sentences."""
    import docx
    from bs4 import BeautifulSoup
    from openpyxl import load_workbook

    from kpi_lib.outputs.rules import status_rule_lines

    folder = sample_report.folder
    page = " ".join(BeautifulSoup((folder / "monthly_report.html").read_text(
        encoding="utf-8"), "html.parser").get_text(" ").split())
    words = [p.text for p in docx.Document(str(folder / "bao-cao-2025-09.docx")).paragraphs]
    sheet = [r[1] for r in load_workbook(folder / "bao-cao-2025-09.xlsx")["Cách đánh giá"]
             .iter_rows(min_row=5, values_only=True)]
    for line in status_rule_lines(catalog):
        assert " ".join(line.split()) in page and f"- {line}" in words and line in sheet, line


@pytest.mark.notebook
def test_the_reviews_word_is_not_dated_before_its_figures(september_review):
    """The September review (figures to 15/10/2025) is dated 15/10, not the planned 05/10."""
    import docx

    head = docx.Document(str(september_review.docx)).tables[0].rows[0].cells[1].text
    assert "ngày 15 tháng 10 năm 2025" in head, head
