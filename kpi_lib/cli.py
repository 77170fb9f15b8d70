"""The `kpi` command: a thin layer over kpi_lib's public functions.

User errors (KpiError) are printed as one clear message with exit status 2; nothing a
user can cause shows a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .common.errors import KpiError, ValidationFailed, summarise
from .common.files import replace_text
from .common.text import csv_safe, write_csv_text
from .plan.statuses import STATUSES


def _add_common(p: argparse.ArgumentParser, data: bool = True) -> None:
    p.add_argument("--catalog", type=Path, help="target catalog YAML (default: the one the "
                   "data directory was built with, else data/catalog/binh_son_2025.yaml)")
    if data:
        p.add_argument("--data", type=Path, help="data directory (default: the working store "
                       "data/store if it exists, else the shipped synthetic sample)")


def vintage_date(text: str) -> str:
    """--vintage as the library takes it (YYYY-MM-DD), read day first like every date."""
    from .common.dates import parse_day

    try:
        return parse_day(text, "--vintage").isoformat()
    except KpiError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_vintage(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vintage", type=vintage_date, metavar="DD/MM/YYYY",
                   help="use what was known on this date (DD/MM/YYYY or YYYY-MM-DD)")


def _add_engine_options(p: argparse.ArgumentParser) -> None:
    _add_vintage(p)
    p.add_argument("--format", choices=["table", "csv"], default="table")
    p.add_argument("--no-ets", action="store_true", help="skip the per-series ETS model")


def cmd_catalog(args: argparse.Namespace) -> int:
    from .plan.catalog import load_catalog

    cat = load_catalog(args.catalog)
    frame = cat.to_frame()
    if args.format == "csv":
        csv_safe(frame).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        import pandas as pd

        from .common.numbers import format_number
        show = frame[["id", "item", "name_vi", "unit", "kind", "rule", "target"]].copy()
        show["target"] = [format_number(t, 2) if pd.notna(t) else "(chưa đặt)"
                          if cat.get(i).target_of_setting else "–"
                          for i, t in zip(show["id"], show["target"], strict=True)]
        print(show.to_string(index=False))
        for name in cat.missing_settings():
            print(f"\nnote: setting '{name}' is not set in {cat.path.name}; the indicators that "
                  "depend on it cannot be assessed until it is filled in.")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from .inputs.template import MODE_MONTH, MODE_YTD, write_template
    from .plan.catalog import load_catalog

    cat = load_catalog(args.catalog)
    if args.year > cat.year:
        raise KpiError(f"--year {args.year} is after the catalog's year {cat.year} "
                       f"({cat.path.name}); figures for it would be refused",
                       fix="use the catalog of that year (kpi new-plan writes one), or an "
                           "earlier --year for history")
    if args.out.suffix.lower() != ".xlsx":
        raise KpiError("the template must be an .xlsx file", fix="pass --out NAME.xlsx",
                       value=str(args.out))
    if args.out.exists() and not args.force:
        raise KpiError("the file already exists (it may be a filled form)", value=str(args.out),
                       fix="choose another --out, or add --force to replace it")
    mode = MODE_YTD if args.mode == "ytd" else MODE_MONTH
    path = write_template(cat, args.year, args.out, unit=args.unit, mode=mode)
    print(f"wrote {path}")
    return 0


def _print_results(results, verb: str) -> None:
    for r in results:
        for note in summarise(r.problems.notes):
            print(f"  note: {note}")
        if not r.ok:
            n = len(r.problems.errors) + r.problems.dropped
            print(f"REJECTED {r.path.name}: {n:,} problem(s)", file=sys.stderr)
            for line in r.problems.summary():
                print(f"  - {line}", file=sys.stderr)
        elif r.skipped_duplicate_file:
            print(f"skipped {r.path.name}: already ingested (sha256 {r.sha256[:12]}…); nothing "
                  "to do")
        else:
            n = r.added if verb == "ingested" else len(r.rows)
            print(f"{verb} {r.path.name}: {n} figure(s)")


def cmd_validate(args: argparse.Namespace) -> int:
    from .inputs.ingest import validate_files
    from .inputs.store import Store, has_data, resolve_data_dir
    from .plan.catalog import load_catalog

    cat = load_catalog(args.catalog)
    store = None
    if args.data or has_data(resolve_data_dir(None, for_writing=True).path):
        store = Store(resolve_data_dir(args.data, for_writing=True).path)
    results = validate_files(args.files, cat, store)
    _print_results(results, "valid")
    return 0 if all(r.ok for r in results) else 1


def cmd_ingest(args: argparse.Namespace) -> int:
    from .inputs.ingest import ingest_files
    from .inputs.store import Store, resolve_data_dir
    from .plan.catalog import load_catalog

    cat = load_catalog(args.catalog)
    from .common.paths import SAMPLE_DIR

    source = resolve_data_dir(args.data, for_writing=True)
    if source.path.resolve() == SAMPLE_DIR.resolve():
        raise KpiError("the shipped sample is read-only", value=str(source.path),
                       fix="ingest into your store (omit --data) or into a copy of the sample")
    print(f"store: {source.describe()}")
    results = ingest_files(args.files, cat, Store(source.path))
    _print_results(results, "ingested")
    return 0 if all(r.ok for r in results) else 1


def cmd_load(args: argparse.Namespace) -> int:
    """Validate and load a data directory end to end (what `make report` checks first)."""
    from .inputs.data import load_dataset
    from .plan.catalog import load_catalog

    cat = load_catalog(args.catalog)
    ds = load_dataset(cat, args.data, vintage=args.vintage)
    print(ds.summary())
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    from .engine.pipeline import forecast_table, run_assessment

    a = run_assessment(args.catalog, args.data, args.as_of, args.unit, args.vintage,
                       use_ets=not args.no_ets)
    table = forecast_table(a)
    if args.format == "csv":
        write_csv_text(table, sys.stdout)
        return 0
    print(a.dataset.summary().splitlines()[0])
    if a.dataset.source.synthetic:
        print("NOTE: SYNTHETIC sample data (số liệu mẫu giả lập)")
    show = table.drop(columns=["unit_code", "as_of", "reason", "interval_source"])
    with __import__("pandas").option_context("display.width", 200, "display.max_columns", 30):
        print(f"as of {a.period}\n" + show.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from .engine.backtest_report import backtest_table
    from .inputs.data import load_dataset
    from .plan.catalog import load_catalog

    cat = load_catalog(args.catalog)
    ds = load_dataset(cat, args.data, vintage=args.vintage)
    if args.report is not None:
        return _write_track_record(ds, args)
    table = backtest_table(ds, indicator=args.indicator, use_ets=not args.no_ets)
    if args.format == "csv":
        write_csv_text(table, sys.stdout)
    else:
        print("error = log(actual ÷ estimate), root mean square over past years, in % "
              "(pooled over units); 'chosen' = the method used at that month")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    return 0


def _write_track_record(ds, args: argparse.Namespace) -> int:
    """`kpi backtest --report [FILE]`: the track record as a page of its own (Vietnamese)."""
    from .common.paths import REPORTS_DIR
    from .engine.track_record import track_record
    from .outputs.track_record import page_html, summary_text

    out = Path(args.report) if args.report else REPORTS_DIR / "track_record.html"
    tr = track_record(ds, use_ets=not args.no_ets)
    out.parent.mkdir(parents=True, exist_ok=True)
    replace_text(out, page_html(tr, ds.catalog, args.lang))
    for line in summary_text(tr, ds.catalog, args.lang):
        print(line)
    print(f"track record: {out}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if not args.fresh_kernels:  # the kernel starts and imports while we import and check
        from .runner.kernels import POOL

        POOL.prefetch()
    from .plan.catalog import load_catalog
    from .runner.monthly import run_month

    cat = load_catalog(args.catalog, warn=True)  # say now if the report will not name its place
    _warn_unit_issuer(cat, [args.unit])
    print("running the monthly report…", flush=True)
    result = run_month(as_of=args.as_of, data=args.data, catalog=args.catalog, out=args.out,
                       lang=args.lang, unit=args.unit, vintage=args.vintage,
                       fresh_kernels=args.fresh_kernels)
    print(f"published {result.period} in {result.seconds:.1f} s")
    print(f"HTML report: {result.html}")
    print(f"all months:  {result.folder.parent / 'index.html'}")
    return 0


def _warn_unit_issuer(cat, units) -> None:
    """A unit's report with no issuer of its own shows [CƠ QUAN BAN HÀNH]: say how to set it."""
    from .outputs.report_setup import unit_issuer_missing

    for unit in dict.fromkeys(u for u in units or () if u):
        message = unit_issuer_missing(cat, unit)
        if message:
            print(f"warning: {message}", file=sys.stderr)


def cmd_review(args: argparse.Namespace) -> int:
    from .runner.review import run_review

    print("building the campaign review…", flush=True)
    result = run_review(as_of=args.as_of, data=args.data, catalog=args.catalog, out=args.out,
                        lang=args.lang, vintage=args.vintage)
    print(f"published in {result.seconds:.1f} s")
    print(f"HTML review:     {result.html}")
    print(f"departments:     {result.departments}")
    print(f"Word report:     {result.docx}")
    print(f"scores (CSV):    {result.folder / 'scoreboard.csv'}")
    if result.draft:  # a year-end review on estimates is a draft: say so where it is run
        print(result.draft)
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from .runner.monthly import backfill, month_range

    months = month_range(args.start, args.end)
    units = None
    if args.units == "members":
        units = "members"
    elif args.units:
        units = [u.strip() for u in args.units.split(",") if u.strip()]
    if args.unit or isinstance(units, list):
        from .plan.catalog import load_catalog

        _warn_unit_issuer(load_catalog(args.catalog), [args.unit, *(units if isinstance(
            units, list) else [])])
    start = time.perf_counter()
    results = backfill(months, jobs=args.jobs, progress=not args.quiet, data=args.data,
                       catalog=args.catalog, out=args.out, lang=args.lang, unit=args.unit,
                       units=units, executor=args.executor, scheduler=args.scheduler,
                       fresh_kernels=args.fresh_kernels)
    seconds = time.perf_counter() - start
    for r in results:
        print(f"{r.folder.name}: {r.html}")
    if results:
        print(f"{len(results)} report(s) in {seconds:.1f} s "
              f"({60 * len(results) / seconds:.1f} per minute)")
        print(f"all reports: {results[0].folder.parent / 'index.html'}")
    return 0


def cmd_override(args: argparse.Namespace) -> int:
    from .inputs.overrides import WITHDRAWN, add_override, read_overrides
    from .inputs.store import resolve_data_dir
    from .plan.catalog import load_catalog

    cat = load_catalog(args.catalog)
    source = resolve_data_dir(args.data)
    if args.list or not args.indicator:
        history = read_overrides(source.path, cat)
        if history.empty:
            print(f"no overrides in {source.path}")
        else:
            print(history.to_string(index=False))
        return 0
    from .common.paths import SAMPLE_DIR

    if source.origin == "sample" or source.path.resolve() == SAMPLE_DIR.resolve():
        raise KpiError("the shipped sample is read-only", fix="pass --data DIR (a copy, or your "
                       "store) to record an override there")
    if not args.month:
        raise KpiError("an override needs --month YYYY-MM", fix="e.g. --month 2025-09")
    status = WITHDRAWN if args.withdraw else args.status
    if not status:
        raise KpiError("an override needs --status (or --withdraw)",
                       fix="e.g. --status on_track --reason '…' --by 'Nguyễn Văn A'")
    row = add_override(source.path, cat, args.indicator, args.month, status, args.reason or "",
                       args.by or "", unit=args.unit or "")
    print(f"recorded: {row['indicator_id']} {row['month']} -> {row['status']} "
          f"({row['by']}, {row['recorded_at']}) in {source.path / 'overrides.csv'}")
    return 0


def cmd_check_catalog(args: argparse.Namespace) -> int:
    from .plan.catalog import load_catalog
    from .plan.term import load_terms

    cat = load_catalog(args.file, warn=True)
    terms = load_terms(cat)  # the term file it names, checked the same way
    print(f"ok: {cat.path} — {cat.meta.get('area_vi') or cat.meta.get('id')}, year {cat.year}, "
          f"{len(cat.indicators)} target(s), {len(cat.components)} component(s), "
          f"{'a unit registry' if cat.has_registry else 'no unit registry'}"
          + (f", term(s) {', '.join(t.label for t in terms)}" if terms else ""))
    return 0


def cmd_new_plan(args: argparse.Namespace) -> int:
    from .inputs.new_plan import ascii_code, new_plan

    folder = args.dir or Path(ascii_code(args.area).lower().replace("_", "-"))
    made = new_plan(folder, args.area, args.year, args.province or "", args.unit)
    print(f"catalog:  {made['catalog']}  (edit it: your targets; docs/catalog.md)")
    print(f"store:    {made['store']}  (empty; kpi ingest FILES --data {made['store']})")
    print(f"form:     {made['form']}  (the Excel form departments fill in)")
    return 0


def cmd_example(args: argparse.Namespace) -> int:
    from .runner.example import run_example

    print("real example: GSO monthly figures of 2024, reports as of March, June, September…",
          flush=True)
    start = time.perf_counter()
    result = run_example(args.out)
    t = result.table
    scored = t[t["status_right"].notna()]
    print(f"{len(result.reports)} reports in {time.perf_counter() - start:.0f} s; statuses right "
          f"{int(scored['status_right'].sum())}/{len(scored)}, December inside the 80% interval "
          f"{int(t['in_interval'].sum())}/{len(t)}")
    print(f"comparison with the real outcome: {result.comparison}")
    from .runner.example import run_term_example

    table, files = run_term_example(args.out)
    print(f"five-year plan 2021–2025, assessed as of each year ({len(table)} rows): "
          + ", ".join(str(f) for f in files))
    return 0


def cmd_term(args: argparse.Namespace) -> int:
    from .runner.term import assess_term, write_term

    run = assess_term(catalog=args.catalog, data=str(args.data) if args.data else None,
                      as_of=args.as_of, vintage=args.vintage, use_ets=not args.no_ets)
    if args.out is None and args.format == "csv":
        sys.stdout.write(run.frame.to_csv(index=False))
        return 0
    for path in write_term(run, args.out or Path("reports") / "term", args.format):
        print(f"written: {path}")
    return 0


def cmd_store(args: argparse.Namespace) -> int:
    """`kpi store check` (read-only), `kpi store rebuild` (from raw/ and the log) and
    `kpi store export` (the tidy table for people)."""
    from .inputs.rebuild import check_store, rebuild_store
    from .inputs.store import resolve_data_dir
    from .plan.catalog import load_catalog

    if args.action == "export":
        from .inputs.store_export import export_store

        if args.out is None:
            raise KpiError("export needs --out FILE", fix="e.g. --out so_lieu.xlsx")
        fmt = args.format or args.out.suffix.lstrip(".").lower()
        source = resolve_data_dir(args.data)
        n = export_store(source.path, args.out, fmt, args.vintage)
        print(f"exported {n} figure(s) from {source.describe()} to {args.out}")
        return 0
    cat = load_catalog(args.catalog)
    source = resolve_data_dir(args.data, for_writing=True)
    if args.action == "check":
        report = check_store(source.path, cat)
        for note in report.notes:
            print(f"  note: {note}")
        if report.ok:
            print(f"store {source.path}: OK ({report.rows} figure(s) from {report.files} "
                  "file(s); every part and raw copy matches its sha256, and the figures "
                  "are what a rebuild from the raw copies gives)")
            return 0
        print(f"store {source.path}: DAMAGED, {len(report.problems)} problem(s)",
              file=sys.stderr)
        for line in summarise(report.problems, limit=50):
            print(f"  - {line}", file=sys.stderr)
        print(f"fix: 'kpi store rebuild --data {source.path}' rebuilds the store from "
              "raw/ and ingest_log.csv (the damaged files are kept beside it)",
              file=sys.stderr)
        return 1
    if source.origin == "sample":
        raise KpiError("the shipped sample is read-only", fix="pass --data DIR")
    kept, files, rows = rebuild_store(source.path, cat)
    print(f"rebuilt {source.path}: {rows} figure(s) from {files} raw file(s)"
          + (f"; the previous files are kept in {kept.name}/" if kept else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kpi", description="KPI workbench for planning offices")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("catalog", help="print the target catalog")
    _add_common(p, data=False)
    p.add_argument("--format", choices=["table", "csv"], default="table")
    p.set_defaults(func=cmd_catalog)

    p = sub.add_parser("new-plan", help="start a plan for another place or year: a commented "
                       "catalog, an empty store and the Excel form (asks nothing)")
    p.add_argument("--area", required=True, help='the place, e.g. "Xã An Phú"')
    p.add_argument("--year", type=int, required=True, help="the plan year")
    p.add_argument("--province", help='the level above, e.g. "Tỉnh An Giang"')
    p.add_argument("--unit", help="code of the area (default: from its name, e.g. XA_AN_PHU)")
    p.add_argument("--dir", type=Path, help="folder to create (default: from the area's name)")
    p.set_defaults(func=cmd_new_plan)

    p = sub.add_parser("check-catalog", help="check a catalog file against the schema "
                       "(docs/catalog.md); each problem with its line")
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_check_catalog)

    p = sub.add_parser("template", help="write the Excel form departments fill in")
    _add_common(p, data=False)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--unit", help="unit code printed in the form (default: the catalog's)")
    p.add_argument("--mode", choices=["month", "ytd"], default="month",
                   help="whether months are entered as the month's own amount or year-to-date")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=cmd_template)

    for name, func, text in (("ingest", cmd_ingest, "check files and add them to the store"),
                             ("validate", cmd_validate, "check files without writing")):
        p = sub.add_parser(name, help=text)
        _add_common(p)
        p.add_argument("files", nargs="+", type=Path)
        p.set_defaults(func=func)

    p = sub.add_parser("load", help="load and validate a data directory, print a summary")
    _add_common(p)
    _add_vintage(p)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("forecast", help="year-end estimate, interval, probability and status")
    _add_common(p)
    p.add_argument("--as-of", default="latest", help="YYYY-MM or latest (default)")
    p.add_argument("--unit", help="unit or area code (default: the plan's area, rolled up from its units)")
    _add_engine_options(p)
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("backtest", help="each method's error by indicator and month")
    _add_common(p)
    p.add_argument("--indicator", help="one indicator id (default: every flow)")
    p.add_argument("--report", nargs="?", const="", metavar="FILE",
                   help="write the track record page (Độ tin cậy của ước tính): what the tool "
                   "would have said each past month against the year-end outcome "
                   "(default FILE: reports/track_record.html)")
    p.add_argument("--lang", default="vi", choices=["vi", "en"], help="page language")
    _add_engine_options(p)
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("run", help="the monthly job: execute the report notebooks and publish")
    _add_common(p)
    p.add_argument("--as-of", default="latest", help="YYYY-MM or latest (default)")
    p.add_argument("--out", type=Path, help="reports folder (default: reports/)")
    p.add_argument("--lang", default="vi", help="vi (default) or en")
    p.add_argument("--unit", help="unit or area code (default: the plan's area, rolled up)")
    _add_vintage(p)
    _add_fresh_kernels(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("example", help="the real example: GSO's 2024 figures, reports as of "
                       "March, June, September 2024 and a comparison with December")
    p.add_argument("--out", type=Path, default=Path("build/example"),
                   help="folder for its store and reports (default: build/example)")
    p.set_defaults(func=cmd_example)

    p = sub.add_parser("term", help="the five-year plan's term targets as of a month: CSV, or "
                       "the term review as HTML and Word")
    _add_common(p)
    p.add_argument("--as-of", required=True, help="YYYY-MM")
    p.add_argument("--vintage", help="use what was known on this date (YYYY-MM-DD; default: "
                   "everything, as kpi run, for a month of the catalog's year; the end of "
                   "the month for an earlier month)")
    p.add_argument("--format", choices=["csv", "html"], default="csv",
                   help="csv (default; to stdout without --out) or html (page and Word)")
    p.add_argument("--out", type=Path, help="folder for the files (html default: reports/term)")
    p.add_argument("--no-ets", action="store_true", help="skip the per-series ETS model (as "
                   "kpi run --no-ets; the year in progress is judged as that report judges it)")
    p.set_defaults(func=cmd_term)

    p = sub.add_parser("review", help="the emulation campaign's review: sơ kết (--as-of "
                       "YYYY-06) or tổng kết (--as-of YYYY-12), HTML and Word")
    _add_common(p)
    p.add_argument("--as-of", default="latest", help="YYYY-MM or latest (default)")
    p.add_argument("--out", type=Path, help="reports folder (default: reports/)")
    p.add_argument("--lang", default="vi", help="vi (default) or en")
    _add_vintage(p)
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("override", help="record the analyst's judgement of a target's status "
                       "for a month (kept with history; numbers unchanged)")
    _add_common(p)
    p.add_argument("indicator", nargs="?", help="target id, e.g. T08d (omit to list)")
    p.add_argument("--month", help="the report month YYYY-MM it applies to")
    p.add_argument("--status", choices=list(STATUSES))
    p.add_argument("--withdraw", action="store_true", help="cancel the override of that month")
    p.add_argument("--reason", help="why (shown in the report)")
    p.add_argument("--by", help="who decided (shown in the report)")
    p.add_argument("--unit", help="unit code (default: the plan's area)")
    p.add_argument("--list", action="store_true", help="print every override ever recorded")
    p.set_defaults(func=cmd_override)

    p = sub.add_parser("store", help="check the store against a rebuild, rebuild it from "
                       "the raw copies and the ingest log, or export its table")
    p.add_argument("action", choices=["check", "rebuild", "export"])
    _add_common(p)
    p.add_argument("--format", choices=["csv", "xlsx"],
                   help="export: file format (default: from --out's extension)")
    p.add_argument("--out", type=Path, help="export: the file to write")
    p.add_argument("--vintage", help="export: the latest of each figure known on this date "
                   "(default: every figure and every correction)")
    p.set_defaults(func=cmd_store)

    p = sub.add_parser("backfill", help="run many months, in parallel with --jobs")
    _add_common(p)
    p.add_argument("--from", dest="start", required=True, help="first month YYYY-MM")
    p.add_argument("--to", dest="end", required=True, help="last month YYYY-MM")
    p.add_argument("--jobs", type=int, default=1, help="months run at once (default 1)")
    p.add_argument("--out", type=Path, help="reports folder (default: reports/)")
    p.add_argument("--lang", default="vi", help="vi (default) or en")
    p.add_argument("--unit", help="unit or area code (default: the plan's area, rolled up)")
    p.add_argument("--units", help="comma-separated unit codes, or 'members': the area and "
                   "every unit of it that existed each month")
    p.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local threads (default) or a Dask distributed cluster")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_fresh_kernels(p)
    p.set_defaults(func=cmd_backfill)
    return parser


def _add_fresh_kernels(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fresh-kernels", action="store_true",
                   help="a new kernel per notebook (default: warm kernels, reset between "
                        "notebooks, one per job)")


def _default_catalog(args: argparse.Namespace) -> None:
    """Without --catalog: the catalog the data directory was built with, else Bình Sơn's."""
    if getattr(args, "catalog", "absent") is not None:
        return
    from .inputs.store import remembered_catalog

    args.catalog = remembered_catalog(getattr(args, "data", None))


def _on_sigterm(signum, frame) -> None:
    """A scheduler stopping us: unwind like Ctrl-C so work folders are tidied."""
    raise KeyboardInterrupt


def skip_slow_iri_checker() -> None:
    """Keep jsonschema from importing rfc3987_syntax in this process.

    papermill imports nbformat, which imports jsonschema, whose optional IRI format checker
    (rfc3987-syntax 1.1, pulled in by jupyter-events) compiles ~40 grammars at import: 2 s
    of every `kpi run` (python-jsonschema #1392 and #1521). Notebooks never use the "iri"
    formats; jsonschema skips that checker when the module cannot be imported, which a
    None entry in sys.modules makes so. Only the `kpi` command's own process is touched.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def skip_unused_formula_engine() -> None:
    """Keep statsmodels from importing formulaic in this process.

    statsmodels imports every formula engine it finds when any of its models is imported
    (statsmodels/formula/_manager.py), and formulaic with narwhals costs ~0,13 s CPU of a
    cold `kpi forecast` (Holt-Winters fits only, no formula anywhere in kpi_lib). Its
    default engine is patsy whenever patsy is installed, and it skips an engine it cannot
    import; so when patsy is there and no one asked for formulaic (SM_FORMULA_ENGINE), a
    None entry in sys.modules leaves it out. Only the `kpi` command's own process.
    """
    import os
    from importlib.util import find_spec

    if "statsmodels.formula" in sys.modules or "formulaic" in sys.modules:
        return
    if os.environ.get("SM_FORMULA_ENGINE", "patsy") == "patsy" and find_spec("patsy"):
        sys.modules.setdefault("formulaic", None)  # type: ignore[arg-type]


# Python's cyclic garbage collector, tuned for a short command: its default (a collection
# every 700 new container objects) ran ~440 times in a cold `kpi forecast`, 0,18 s of 2,9 s
# CPU and 0,10 of 0,96 s warm, almost all of it walking the modules being imported (none
# of them garbage). Every 50,000 objects it runs 5 times (0,06 s); memory held by cycles
# waiting for it stays in the megabytes.
GC_THRESHOLD = (50_000, 20, 10)


def main(argv: list[str] | None = None) -> int:
    import gc
    import signal

    gc.set_threshold(*GC_THRESHOLD)
    skip_slow_iri_checker()
    skip_unused_formula_engine()
    signal.signal(signal.SIGTERM, _on_sigterm)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _default_catalog(args)
        return args.func(args)
    except ValidationFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KpiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a full disk or a read-only folder met outside a checked write
        from .common.files import DISK_ERRORS, cannot_write

        if exc.errno not in DISK_ERRORS:
            raise
        folder = Path(exc.filename).parent if exc.filename else "the data or reports folder"
        print(f"error: {cannot_write(exc, folder, 'what was being written was discarded')}",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
