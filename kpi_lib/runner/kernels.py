"""Warm kernels: a Jupyter kernel started once and reused by many notebook runs.

A fresh kernel per notebook costs its start-up and the heavy imports (pandas, statsmodels,
matplotlib, kpi_lib) every time: most of a short report. Here a process keeps a small pool
of kernels that have already imported them (warm.py, run inside the kernel); a run leases
one, and papermill executes the notebook in it through the "kpi-warm" engine, so the
injected-parameters cell, papermill's metadata and its per-cell error banner stay as they are.

Before each notebook but the first, the kernel is reset to its warm-up state (what is reset
is listed in warm.py); a kernel that died, timed out, was interrupted or failed its reset is
killed and replaced, never reused. Kernels are keyed by the parent's environment and working
directory (what a fresh kernel would inherit): when they change, new kernels are started.

One pool per process: `kpi run` and `kpi backfill` (one kernel per job) share it, and each
Dask worker process has its own. Idle kernels stay until the process exits (killed at
exit; a kernel whose parent dies stops itself), so a long-lived Dask worker keeps one
kernel per thread that ran a report (~300 MiB each); MAX_RUNS bounds what one accumulates.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager
from queue import Empty

ENGINE = "kpi-warm"
START_TIMEOUT = 120  # seconds for a kernel to start and import (2 busy cores)
RESET_TIMEOUT = 60
POLL = 0.25  # seconds between checks that a kernel we wait for is still alive
MAX_RUNS = 50  # then a kernel is replaced, so memory a long backfill leaves behind is freed
WARM_UP = "import kpi_lib.runner.warm as _kpi_warm; _kpi_warm.warm_up(); del _kpi_warm"
RESET = "__import__('kpi_lib.runner.warm', fromlist=['reset']).reset()"


class KernelBroken(RuntimeError):
    """A warm kernel could not start, warm up or reset."""


VOLATILE = ("PYTEST_CURRENT_TEST",)  # changes with every test; no notebook reads it


def _key(kernel_name: str) -> str:
    """What a fresh kernel would inherit from this process: kernels differ when it does."""
    env = sorted((k, v) for k, v in os.environ.items() if k not in VOLATILE)
    text = repr((kernel_name, os.getcwd(), env))
    return hashlib.sha1(text.encode()).hexdigest()


class WarmKernel:
    """One kernel process (IPC sockets: no port clashes between parallel kernels)."""

    def __init__(self, kernel_name: str, key: str) -> None:
        from jupyter_client.manager import AsyncKernelManager

        self.kernel_name, self.key = kernel_name, key
        self.sockets = tempfile.mkdtemp(prefix="kpi-kernel-")  # short: socket names are limited
        # The async manager is the one nbclient polls for a dead kernel (a sync one hangs).
        self.km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc")
        self.km.ip = os.path.join(self.sockets, "k")
        self.runs = 0
        self.broken = False
        self.pid: int | None = None

    def start(self) -> WarmKernel:
        from jupyter_core.utils import run_sync

        try:
            run_sync(self.km.start_kernel)()
            self.pid = self.km.provisioner.process.pid
            self.call(WARM_UP, START_TIMEOUT)
        except BaseException:
            self.kill()
            raise
        return self

    def call(self, code: str, timeout: float) -> None:
        """Run code silently through a short-lived client (usable from any thread)."""
        from jupyter_client.blocking import BlockingKernelClient

        kc = BlockingKernelClient()
        kc.load_connection_info(self.km.get_connection_info())
        kc.start_channels(iopub=False, stdin=False, hb=False)
        try:  # the shell reply only: no wait_for_ready (its IOPub flush alone takes 0,2 s)
            msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
            deadline = time.monotonic() + timeout
            while True:
                # In short waits, so a kernel killed meanwhile (while it starts and
                # imports) is replaced at once, not after the whole timeout.
                try:
                    reply = kc.get_shell_msg(timeout=min(POLL, max(0.01, deadline
                                                                   - time.monotonic())))
                except Empty:
                    if not self.alive():
                        raise KernelBroken("the kernel died before it answered") from None
                    if time.monotonic() >= deadline:
                        raise KernelBroken(f"the kernel did not answer in {timeout:.0f} s") \
                            from None
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        finally:
            kc.stop_channels()
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise KernelBroken(f"{content.get('ename')}: {content.get('evalue')}")

    def alive(self) -> bool:
        process = getattr(self.km.provisioner, "process", None)
        return process is not None and process.poll() is None

    def kill(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)  # also removes connection files
        except Exception:  # noqa: BLE001 - already gone: make sure the process is
            process = getattr(self.km.provisioner, "process", None)
            if process is not None:
                try:
                    process.kill()
                except OSError:
                    pass
        shutil.rmtree(self.sockets, ignore_errors=True)


class Lease:
    """One caller's kernel for a sequence of notebooks (reset between them)."""

    def __init__(self, pool: KernelPool, ticket: Future, reset: bool = True) -> None:
        self.pool, self._ticket, self.reset = pool, ticket, reset
        self.current: WarmKernel | None = None
        self.pids: list[int] = []  # kernels this lease ran notebooks in, in order

    def kernel(self) -> WarmKernel:
        """A live kernel ready for the next notebook: reset, or replaced if it cannot be."""
        if self.current is None:
            try:
                self.current = self._ticket.result()
            except Exception:  # noqa: BLE001 - the prefetched start failed: try once more
                self.current = self.pool.start()
        k = self.current
        if k.broken or not k.alive() or k.runs >= MAX_RUNS:
            self.pool.discard(k)
            k = self.current = self.pool.start()
        elif k.runs and self.reset:
            try:
                k.call(RESET, RESET_TIMEOUT)
            except KernelBroken:
                self.pool.discard(k)
                k = self.current = self.pool.start()
        return k

    @contextmanager
    def running(self):
        """Yields the kernel for one notebook; one that failed other than by a cell's
        error (death, timeout, interrupt) is marked broken and never used again."""
        from papermill.exceptions import PapermillExecutionError

        k = self.kernel()
        self.pids.append(k.pid)
        k.runs += 1
        try:
            yield k
        except PapermillExecutionError:
            raise  # a cell raised: the kernel itself is fine (reset before the next)
        except BaseException:
            k.broken = True
            raise

    def release(self) -> None:
        if self.current is None:  # never used: hand the (maybe still starting) kernel back
            self._ticket.add_done_callback(
                lambda f: f.exception() is None and self.pool.give_back(f.result()))
            return
        self.pool.give_back(self.current)
        self.current = None


class KernelPool:
    """Idle warm kernels of this process, and kernels being started for callers."""

    def __init__(self, kernel_name: str = "python3") -> None:
        self.kernel_name = kernel_name
        self._idle: list[WarmKernel] = []
        self._all: set[WarmKernel] = set()
        self._lock = threading.Lock()
        self._starting: list[tuple[str, Future]] = []  # prefetched, not yet leased
        self.started = 0  # kernels started by this pool (the tests and benchmarks read it)

    def start(self) -> WarmKernel:
        k = WarmKernel(self.kernel_name, _key(self.kernel_name))
        with self._lock:
            self._all.add(k)
            self.started += 1
        try:
            return k.start()
        except BaseException:
            self.discard(k)
            raise

    def lease(self, reset: bool = True) -> Lease:
        """A kernel for one caller: an idle one at once, else one starting in the background
        while the caller does other work (choosing the month, taking the snapshot)."""
        key = _key(self.kernel_name)
        stale: list[WarmKernel] = []
        ticket: Future | None = None
        with self._lock:
            for k in list(self._idle):
                if k.key != key:
                    self._idle.remove(k)
                    stale.append(k)
            ready = self._idle.pop() if self._idle else None
            if ready is None:  # a kernel prefetched for this environment
                ticket = next((f for k, f in self._starting if k == key), None)
                self._starting = [(k, f) for k, f in self._starting if f is not ticket]
        for k in stale:
            self.discard(k)
        if ready is not None:
            ticket = Future()
            ticket.set_result(ready)
        elif ticket is None:
            ticket = self._start_in_background()
        return Lease(self, ticket, reset)

    def prefetch(self) -> None:
        """Start a kernel now for a lease() to come (e.g. while a command imports)."""
        key = _key(self.kernel_name)
        future = self._start_in_background()
        with self._lock:
            self._starting.append((key, future))

    def _start_in_background(self) -> Future:
        """A daemon thread: a command that stops early (bad parameters) exits at once
        instead of waiting for a kernel it no longer needs (killed at exit)."""
        future: Future = Future()

        def start() -> None:
            try:
                future.set_result(self.start())
            except BaseException as exc:  # noqa: BLE001 - handed to whoever leases it
                future.set_exception(exc)

        threading.Thread(target=start, name="kpi-kernel-start", daemon=True).start()
        return future

    def give_back(self, k: WarmKernel) -> None:
        if k.broken or not k.alive() or k.key != _key(self.kernel_name):
            self.discard(k)
            return
        with self._lock:
            self._idle.append(k)

    def discard(self, k: WarmKernel) -> None:
        with self._lock:
            self._all.discard(k)
            if k in self._idle:
                self._idle.remove(k)
        k.kill()

    def shutdown(self) -> None:
        with self._lock:
            kernels, self._idle = list(self._all), []
            self._all.clear()
        for k in kernels:
            k.kill()


POOL = KernelPool()
atexit.register(POOL.shutdown)


_ENGINE_LOCK = threading.Lock()


def register_engine() -> str:
    """Register the "kpi-warm" papermill engine (once; papermill imports slowly, so not at
    import time of this module) and return its name."""
    from papermill.engines import NBClientEngine, papermill_engines

    with _ENGINE_LOCK:
        if ENGINE in papermill_engines._engines:
            return ENGINE

        class WarmEngine(NBClientEngine):
            """papermill's nbclient engine in an already started kernel (`warm=`), which it
            neither starts nor shuts down."""

            @classmethod
            def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                         stdout_file=None, stderr_file=None, start_timeout=60,
                                         execution_timeout=None, warm=None, **kwargs):
                from papermill.clientwrap import PapermillNotebookClient
                from papermill.engines import logger
                from papermill.utils import merge_kwargs, remove_args

                if warm is None:
                    raise ValueError("the kpi-warm engine needs warm=<WarmKernel>")
                kwargs = remove_args(["input_path", "timeout", "startup_timeout", "km"],
                                     **kwargs)
                final = merge_kwargs(kwargs, timeout=execution_timeout,
                                     startup_timeout=start_timeout, kernel_name=kernel_name,
                                     log=logger, log_output=log_output,
                                     stdout_file=stdout_file, stderr_file=stderr_file)
                client = PapermillNotebookClient(nb_man, km=warm.km, **final)
                try:
                    return client.execute()
                finally:  # nbclient leaves open the client of a kernel it did not start
                    if client.kc is not None:
                        client.kc.stop_channels()

        papermill_engines.register(ENGINE, WarmEngine)
    return ENGINE


def execute_warm(source: str, output: str, parameters: dict, lease: Lease,
                 timeout: float | None, on_start=None, on_end=None) -> None:
    """papermill.execute_notebook in the lease's kernel (raises as papermill does).
    `on_start(kernel)` / `on_end(kernel)`: e.g. to register it for killing on Ctrl-C."""
    import papermill as pm

    engine = register_engine()
    with lease.running() as k:
        if on_start:
            on_start(k)
        try:
            pm.execute_notebook(source, output, parameters=parameters,
                                kernel_name=k.kernel_name, engine_name=engine, warm=k,
                                progress_bar=False, log_output=False, execution_timeout=timeout)
        finally:
            if on_end:
                on_end(k)
