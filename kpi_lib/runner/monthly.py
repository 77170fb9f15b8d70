"""The monthly run: execute the report notebooks with papermill, export self-contained
HTML (code hidden), Excel and summary.csv, and publish atomically.

Everything is built in a temporary folder beside the published ones and moved into
place at the end, so a run that fails (or is interrupted) leaves the last good report and
reports/index.html untouched; its executed notebook is kept under reports/_failed/.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..common.errors import KpiError
from ..common.files import replace_text
from ..inputs.snapshot import SNAPSHOT, take_snapshot
from ..plan.units import SAFE_CODE
from .html import TEMPLATES, export_html, warm_exporter  # noqa: F401 - TEMPLATES: API
from .publish import keep_failed, lang_folder, locked, swap_into_place, sweep_stale, work_folder

if TYPE_CHECKING:
    from .kernels import Lease

PUBLISHED = ("monthly_report", "data_quality", "track_record")
EXECUTION_TIMEOUT = 900  # seconds per cell
_INDEX_LOCK = threading.Lock()


class RunFailed(KpiError):
    """A notebook failed; carries where, so the message can say which cell and why."""

    def __init__(self, notebook: str, kept: Path, cell: int | None, ename: str, evalue: str,
                 source: str = "") -> None:
        self.notebook, self.kept, self.cell, self.ename, self.evalue = (notebook, kept, cell,
                                                                        ename, evalue)
        died = "DeadKernel" in ename or "died" in evalue.lower()
        where = (f"cell {cell}" if cell is not None else
                 "a cell (the kernel died while running it)" if died else "start-up")
        snippet = source.strip().splitlines()[0][:100] if source.strip() else ""
        super().__init__(f"{notebook} failed at {where}: {ename}: {evalue}"
                         + (f"\n  cell starts: {snippet}" if snippet else ""),
                         fix=f"the executed notebook is kept in {kept}; the last published "
                             "report is unchanged")


@dataclass
class Published:
    folder: Path
    period: str
    seconds: float

    @property
    def html(self) -> Path:
        return self.folder / "monthly_report.html"


def report_cutoff(catalog, month: int, unit: str | None, vintage: str | None,
                  latest: int | None) -> str | None:
    """The vintage a report uses (README "Dates that hold together").

    A report for a past month (later months have figures) uses what was received by its
    date — settings.report.dates[month], else day `day_of_next_month` of the next month —
    so a June report made in December neither uses the correction received in August nor
    quotes an opinion recorded after its date. The current month's report uses everything
    received so far, and says up to which day. `--vintage` is the user's choice and wins.
    """
    if vintage is not None or latest is None or month >= latest:
        return vintage
    from ..outputs.report_setup import report_setup

    return report_setup(catalog, month, unit).report_date.isoformat()


def check_unit_code(unit: str | None) -> str | None:
    if unit is not None and not SAFE_CODE.match(unit):
        raise KpiError("a unit code holds only letters, digits, '-' and '_'", value=unit,
                       fix="pass a unit code from the catalog, e.g. --unit BINHSON")
    return unit


def folder_name(period: str, unit: str | None) -> str:
    return period if not unit else f"{period}_{unit}"


_KERNELS: dict[Path, list] = {}  # work folder -> kernel managers running for it


def _stop_kernels(folder: Path) -> None:
    """Kill the kernels of one run, so its notebook threads end now (on Ctrl-C, SIGTERM)."""
    for km in list(_KERNELS.get(folder, [])):
        try:
            if km.has_kernel and km.provisioner is not None:
                km.provisioner.process.kill()
        except (OSError, AttributeError):
            pass


def execute(name: str, folder: Path, parameters: dict, kernel: str | Lease = "python3") -> Path:
    """Run one notebook with papermill into `folder`; raises PapermillExecutionError.

    `kernel`: a kernel name (a fresh kernel for this notebook), or a kernels.Lease (the
    notebook runs in that warm kernel, reset first; see kernels.py).
    """
    from ..common.paths import NOTEBOOKS_DIR

    source = NOTEBOOKS_DIR / f"{name}.ipynb"
    if not source.is_file():
        raise KpiError(f"notebook not found: {source}", fix="restore notebooks/ from the repo")
    output = folder / f"{name}.ipynb"
    if not isinstance(kernel, str):
        from .kernels import execute_warm

        # No cwd=: papermill would chdir the whole process, which breaks parallel runs.
        execute_warm(str(source), str(output), parameters, kernel, EXECUTION_TIMEOUT,
                     on_start=lambda k: _KERNELS.setdefault(folder, []).append(k.km),
                     on_end=lambda k: _KERNELS.get(folder, []).remove(k.km))
        return output
    import papermill as pm
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    # IPC sockets instead of TCP ports: no port clashes between parallel kernels
    # (papermill #511) and no unencrypted-TCP warning from the kernel.
    sockets = tempfile.mkdtemp(prefix="kpi-kernel-")  # short path: socket names are limited
    # The async manager is the one nbclient polls for a dead kernel (a sync one hangs).
    km = AsyncKernelManager(kernel_name=kernel, transport="ipc")
    km.ip = os.path.join(sockets, "k")
    _KERNELS.setdefault(folder, []).append(km)
    try:
        pm.execute_notebook(str(source), str(output), parameters=parameters, kernel_name=kernel,
                            progress_bar=False, log_output=False,
                            execution_timeout=EXECUTION_TIMEOUT, km=km)
    finally:
        # papermill shuts down only kernels it started itself; this one is ours.
        _KERNELS.get(folder, []).remove(km)
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)  # also removes its connection files
        shutil.rmtree(sockets, ignore_errors=True)
    return output


def run_month(as_of: str = "latest", data: str | None = None, catalog: str | None = None,
              out: str | Path | None = None, lang: str = "vi", unit: str | None = None,
              vintage: str | None = None, update_index: bool = True,
              notebooks: tuple[str, ...] | None = None, notebook_jobs: int = 2,
              fresh_kernels: bool = False) -> Published:
    """Validate parameters, execute, export, publish. Returns where the report is.

    By default the notebooks run one after another in one warm kernel of this process's
    pool (started while the parameters are checked, or left by the previous report), so
    they share the imports and the assessment (pipeline.shared_assessment).
    `fresh_kernels`: the old way, a new kernel per notebook, `notebook_jobs` at once.
    """
    lease = None
    if not fresh_kernels:
        from .kernels import POOL

        lease = POOL.lease()
    try:
        return _run_month(as_of, data, catalog, out, lang, unit, vintage, update_index,
                          notebooks, notebook_jobs, lease)
    finally:
        if lease is not None:
            lease.release()


def _run_month(as_of, data, catalog, out, lang, unit, vintage, update_index, notebooks,
               notebook_jobs, lease) -> Published:
    from papermill.exceptions import PapermillExecutionError

    from ..common.paths import REPORTS_DIR
    from ..engine.pipeline import parse_as_of
    from ..inputs.data import load_dataset
    from ..inputs.store import resolve_data_dir
    from ..outputs.i18n import check_lang
    from ..plan.catalog import load_catalog

    start = time.perf_counter()
    notebooks = notebooks or PUBLISHED
    check_lang(lang)
    check_unit_code(unit)
    if catalog is None:  # the catalog the data directory was built with, if it says
        from ..inputs.store import remembered_catalog

        catalog = remembered_catalog(data)
    cat = load_catalog(catalog)
    if unit == cat.default_unit:
        unit = None  # the plan's area: published as the month itself, not month_unit
    out = lang_folder(Path(out) if out else REPORTS_DIR, lang)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}-{threading.get_ident()}"  # threads: own probe
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise KpiError(f"cannot write to the output folder {out} ({exc.strerror})",
                       fix="pass --out with a folder you can write to") from None
    _sweep_stale(out)
    # One run reads one snapshot, from choosing the month to the provenance: an ingest
    # landing mid-run cannot give a report whose numbers come from the old data and its
    # provenance from the new.
    source = resolve_data_dir(data)
    snap = work_folder(out, "snapshot")
    try:
        snapshot = take_snapshot(source, snap / SNAPSHOT)
        ds = load_dataset(cat, str(snapshot), vintage=vintage, unit=unit)
        month = parse_as_of(as_of, ds, unit)
        latest = ds.latest_month()
        if latest is not None and month > latest:  # else "2025-12" holds a 9-month report
            raise KpiError(f"no figures for {cat.year}-{month:02d} yet: the latest month "
                           f"with figures is {cat.year}-{latest:02d}", value=as_of,
                           fix=f"pass --as-of latest or {cat.year}-{latest:02d}, or ingest "
                               "that month's figures first")
        period = f"{cat.year}-{month:02d}"
        vintage = report_cutoff(cat, month, unit, vintage, ds.latest_month(unit))
        name = folder_name(period, unit)
        tmp = work_folder(out, name)
        snapshot = tmp / SNAPSHOT
        os.replace(snap / SNAPSHOT, snapshot)
    finally:
        shutil.rmtree(snap, ignore_errors=True)
    params = {"as_of": period, "data_dir": str(snapshot), "catalog": str(cat.path),
              "unit": unit, "lang": lang, "vintage": vintage}
    try:
        jobs = {nb: dict(params) for nb in notebooks}
        if "monthly_report" in jobs:
            jobs["monthly_report"]["export_dir"] = str(tmp)
        if lease is not None:
            executed = _execute_warm(jobs, tmp, lease, lang)
        else:
            executed = _execute_fresh(jobs, tmp, notebook_jobs)
            for nb, path in executed.items():
                export_html(path, tmp / f"{nb}.html", lang)
    except PapermillExecutionError as exc:
        kept = _keep_failed(tmp, out, name)
        raise RunFailed(_failed_notebook(kept), kept, exc.cell_index, exc.ename, exc.evalue,
                        exc.source) from None
    except KpiError:
        _keep_failed(tmp, out, name)
        raise
    except Exception as exc:  # noqa: BLE001 - the kernel died, a timeout, an export error
        kept = _keep_failed(tmp, out, name)
        raise RunFailed(_failed_notebook(kept), kept, None, type(exc).__name__,
                        str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "") from None
    except BaseException:  # interrupted (Ctrl-C, SIGTERM): keep what was done, then stop
        _keep_failed(tmp, out, name)
        raise
    target = out / name
    shutil.rmtree(tmp / SNAPSHOT, ignore_errors=True)
    _swap_into_place(tmp, target)
    if update_index:
        build_index(out, lang)
    return Published(target, period, time.perf_counter() - start)


def _execute_fresh(jobs: dict, tmp: Path, notebook_jobs: int) -> dict[str, Path]:
    """A fresh kernel per notebook, `notebook_jobs` at once (the way before warm kernels)."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(notebook_jobs, len(jobs))))
    try:
        done = {nb: pool.submit(execute, nb, tmp, p) for nb, p in jobs.items()}
        return {nb: f.result() for nb, f in done.items()}
    except BaseException:
        _stop_kernels(tmp)  # the threads then end at once instead of finishing their cells
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _execute_warm(jobs: dict, tmp: Path, lease, lang: str) -> dict[str, Path]:
    """The notebooks one after another in the lease's kernel (the monthly report first: the
    data-quality page reuses its assessment); each one's HTML is exported in a thread of
    this process while the kernel runs the next.

    They run in a worker thread, as the fresh ones do: on Ctrl-C or SIGTERM this thread
    kills the kernel, and the worker's cell ends at once with the kernel's death."""
    runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpi-notebook")
    exporter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpi-export")
    executed, exports = {}, [exporter.submit(warm_exporter, lang)]
    try:
        for nb, p in jobs.items():
            executed[nb] = runner.submit(execute, nb, tmp, p, lease).result()
            exports.append(exporter.submit(export_html, executed[nb], tmp / f"{nb}.html", lang))
        for f in exports:
            f.result()
    except BaseException as exc:
        if not isinstance(exc, Exception):  # interrupted: stop the cell now (a failed one
            _stop_kernels(tmp)              # leaves a kernel to reuse, or to replace)
        raise
    finally:
        runner.shutdown(wait=True, cancel_futures=True)
        exporter.shutdown(wait=True, cancel_futures=True)
    return executed


def _sweep_stale(out: Path) -> None:
    """Repair months cut between renames; move work folders of dead runs (this host) to
    _failed/ (see publish.py)."""
    sweep_stale(out)


def _failed_notebook(kept: Path) -> str:
    """The notebook that stopped: the one whose output carries papermill's error banner."""
    for path in sorted(kept.glob("*.ipynb")):
        if "papermill-error-cell-tag" in path.read_text(encoding="utf-8", errors="replace"):
            return path.name
    return "a notebook"


def _keep_failed(tmp: Path, out: Path, name: str) -> Path:
    return keep_failed(tmp, out, name)


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Publish `tmp` as `target` (two renames under the month's lock; see publish.py)."""
    swap_into_place(tmp, target)


def published_months(out: Path) -> list[Path]:
    return sorted((p for p in out.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
                   and (p / "summary.csv").is_file()), reverse=True) if out.is_dir() else []


def build_index(out: Path, lang: str = "vi") -> Path:
    """reports/index.html: every published month, newest first, and a status history."""
    from ..outputs.index_page import index_html

    with _INDEX_LOCK, locked(out, "index"):  # threads here; processes and hosts there
        folders = published_months(out)
        page = index_html(folders, lang)
        replace_text(out / "index.html", page, locked=True)  # whole or as before; mode kept
    return out / "index.html"


def backfill(months: list[str], jobs: int = 1, progress: bool = True,
             units: list[str | None] | str | None = None, executor: str = "local",
             scheduler: str | None = None, **kwargs) -> list[Published]:
    """Run many (month, unit) reports, then rebuild the index once.

    `units`: unit codes, or "members" (the area and every unit of it that existed that
    month), or None (kwargs' unit). `executor`: "local" runs them in threads of this
    process (kernels start faster, no port clashes); "dask" sends each report to a Dask
    distributed cluster at `scheduler` (workers need this package and the same data and
    reports folders, e.g. a shared disk).
    """
    from tqdm import tqdm

    from ..common.paths import REPORTS_DIR

    out = lang_folder(Path(kwargs.get("out") or REPORTS_DIR), kwargs.get("lang", "vi"))
    unit = kwargs.pop("unit", None)
    tasks = report_tasks(months, units if units is not None else [unit], kwargs.get("catalog"))
    results: list[Published] = []
    errors: list[str] = []
    bar = tqdm(total=len(tasks), unit="báo cáo", disable=not progress)
    # Several reports at once already fill the cores: one notebook at a time per report.
    kwargs = {**kwargs, "update_index": False, "notebook_jobs": 1 if jobs > 1 else 2}
    try:
        if executor == "dask":
            outcomes = _run_on_dask(tasks, scheduler, kwargs, bar)
        elif executor == "local":
            if not kwargs.get("fresh_kernels"):  # one warm kernel per job, starting now
                from .kernels import POOL

                for _ in range(min(max(1, jobs), len(tasks))):
                    POOL.prefetch()
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                outcomes = list(pool.map(lambda task: _report_task(task, kwargs, bar), tasks))
        else:
            raise KpiError("unknown executor", value=executor,
                           fix="use --executor local or dask")
    finally:  # interrupted too (Ctrl-C, SIGTERM): the months published so far are listed
        bar.close()
        if out.is_dir():  # not when nothing could start (no scheduler, bad parameters)
            build_index(out, kwargs.get("lang", "vi"))
    for ok, payload in outcomes:
        (results.append(payload) if ok else errors.append(payload))
    if errors:
        raise KpiError(f"{len(errors)} of {len(tasks)} report(s) failed:\n"
                       + "\n".join(f"  - {e}" for e in errors),
                       fix="see each message; published reports are unaffected")
    return sorted(results, key=lambda r: (r.period, r.folder.name))


def report_tasks(months: list[str], units: list[str | None] | str,
                 catalog: str | None = None) -> list[tuple[str, str | None]]:
    """(month, unit) pairs; "members" expands to the area and its units at each month."""
    if units != "members":
        return [(m, u) for m in months for u in units]
    from ..plan.catalog import load_catalog
    from ..plan.units import registry_for

    cat = load_catalog(catalog)
    registry = registry_for(cat)
    tasks: list[tuple[str, str | None]] = []
    for m in months:
        year, month = map(int, m.split("-"))
        tasks.append((m, None))
        tasks += [(m, u.code) for u in registry.members_at(cat.default_unit, year, month)]
    return tasks


def _report_task(task: tuple[str, str | None], kwargs: dict, bar=None) -> tuple[bool, object]:
    """One report; never raises a user error (it is returned, so one bad unit stops none)."""
    month, unit = task
    try:
        return True, run_month(as_of=month, unit=unit, **kwargs)
    except KpiError as exc:
        return False, f"{month}{' ' + unit if unit else ''}: {exc}"
    finally:
        if bar is not None:
            bar.update(1)


def _remote_task(task: tuple[str, str | None], kwargs: dict) -> tuple[bool, object]:
    """What a Dask worker runs: plain values back (paths as text), nothing to unpickle."""
    ok, payload = _report_task(task, kwargs)
    if ok:
        return True, (str(payload.folder), payload.period, payload.seconds)
    return False, payload


def _run_on_dask(tasks, scheduler: str | None, kwargs: dict, bar) -> list[tuple[bool, object]]:
    if not scheduler:
        raise KpiError("--executor dask needs --scheduler", fix="e.g. --scheduler tcp://host:8786")
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise KpiError("Dask distributed is not installed", fix="pip install distributed") from None
    try:
        client = Client(scheduler, timeout="15s")
    except (OSError, TimeoutError) as exc:
        raise KpiError(f"cannot reach the Dask scheduler at {scheduler} ({exc})",
                       fix="start one (dask scheduler; dask worker ADDRESS) or check the address"
                       ) from None
    outcomes = []
    try:
        futures = [client.submit(_remote_task, task, kwargs, pure=False) for task in tasks]
        for future in as_completed(futures):
            ok, payload = future.result()
            if ok:
                folder, period, seconds = payload
                payload = Published(Path(folder), period, seconds)
            outcomes.append((ok, payload))
            bar.update(1)
    finally:
        client.close()
    return outcomes


def month_range(start: str, end: str) -> list[str]:
    from ..engine.pipeline import MONTH_RE

    for value in (start, end):
        if not MONTH_RE.fullmatch(value):
            raise KpiError("months are written YYYY-MM", value=value, fix="e.g. --from 2025-01")
    y0, m0 = map(int, start.split("-"))
    y1, m1 = map(int, end.split("-"))
    if (y1, m1) < (y0, m0):
        raise KpiError("--to is before --from", value=f"{start}..{end}", fix="swap them")
    months, y, m = [], y0, m0
    while (y, m) <= (y1, m1):
        months.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months
