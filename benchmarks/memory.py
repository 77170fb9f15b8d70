"""Peak memory of a command and of each process it starts (kernels), sampled with psutil.

resource.getrusage(RUSAGE_CHILDREN) gives only the largest process ever waited for; a
run's warm kernels live as long as the run, so they are sampled instead (every 0,2 s).
"""

from __future__ import annotations

import subprocess
import threading
import time

import psutil


class PeakMemory:
    """Run `cmd` (subprocess.run arguments) and keep the peak RSS of it and its children."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak: dict[int, tuple[str, int]] = {}  # pid -> (kind, peak bytes)
        self.total = 0  # peak of the sum over the tree

    def _sample(self, root: psutil.Process) -> None:
        """The command and its direct children (its kernels). A kernel's own short-lived
        forks (a subprocess call) carry the kernel's command line and share its pages:
        counted, they would look like extra kernels and double the memory."""
        try:
            procs = [root, *root.children(recursive=False)]
        except psutil.Error:
            return
        total = 0
        for p in procs:
            try:
                rss = p.memory_info().rss
                kind = "main" if p.pid == root.pid else (
                    "kernel" if "ipykernel" in " ".join(p.cmdline()) else "other")
            except psutil.Error:
                continue
            total += rss
            old = self.peak.get(p.pid, (kind, 0))[1]
            self.peak[p.pid] = (kind, max(old, rss))
        self.total = max(self.total, total)

    def run(self, cmd: list[str], **kw) -> subprocess.CompletedProcess:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                **kw)
        root = psutil.Process(proc.pid)
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                self._sample(root)
                time.sleep(self.interval)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        out, err = proc.communicate()
        done.set()
        thread.join()
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)

    def mib(self, kind: str) -> float:
        sizes = [b for k, b in self.peak.values() if k == kind]
        return max(sizes) / 2**20 if sizes else 0.0

    def count(self, kind: str) -> int:
        return sum(1 for k, _ in self.peak.values() if k == kind)

    def line(self) -> str:
        return (f"peak memory: main process {self.mib('main'):.0f} MiB; per kernel (worker) "
                f"{self.mib('kernel'):.0f} MiB at most, {self.count('kernel')} kernel(s) "
                f"seen; whole tree {self.total / 2**20:.0f} MiB at most")
