"""The workbench in a real JupyterLab in headless Chromium: control change → new chart.

Starts `jupyter lab` on a loopback port with a random token in a temporary folder, opens
notebooks/explore.ipynb, runs all cells, waits until the explorer says it is ready, then
changes the indicator, the month (keyboard on the slider) and the method many times. Each
latency runs from the browser event (change / keydown) to the new chart image decoded in
the page (a MutationObserver on the page, timed with performance.now()). A person looks at
a chart before the next change: THINK_S seconds between changes.

Baseline, same run, same changes: the explorer before issue #16
(benchmarks/workbench_before.py). Goal: p95 ≤ 0,3 s.
Needs Debian's chromium (/usr/bin/chromium) and the playwright package (no browser download).
WORKBENCH_CHANGES=n sets the number of changes per control (default 14).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
GOAL_S = 0.3
THINK_S = 0.5
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IDLE = ("() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel"
        "?.status === 'idle'")
# In the page: the time from the last change/keydown to the next new <img> decoded.
WATCH = """() => {
  const k = window.__kpi = {t0: 0, armed: false, hits: []};
  const mark = () => { k.t0 = performance.now(); k.armed = true; };
  document.addEventListener('change', mark, true);
  document.addEventListener('keydown', mark, true);
  new MutationObserver(muts => {
    if (!k.armed) return;
    for (const m of muts) for (const n of m.addedNodes) {
      if (!(n instanceof Element)) continue;
      const img = n.tagName === 'IMG' ? n : n.querySelector('img');
      if (!img) continue;
      const t0 = k.t0; k.armed = false;
      img.decode().then(() => k.hits.push(performance.now() - t0), () => k.hits.push(-1));
      return;
    }
  }).observe(document.body, {childList: true, subtree: true});
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebooks(folder: Path) -> dict[str, Path]:
    """explore.ipynb as shipped, and the same notebook on the pre-#16 explorer."""
    nb = json.loads((ROOT / "notebooks" / "explore.ipynb").read_text(encoding="utf-8"))
    after = folder / "explore.ipynb"
    after.write_text(json.dumps(nb), encoding="utf-8")
    shutil.copy(ROOT / "benchmarks" / "workbench_before.py", folder / "workbench_before.py")
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if "from kpi_lib.explore import Explorer" in text:
            cell["source"] = text.replace("from kpi_lib.explore import Explorer",
                                          "from workbench_before import Explorer")
    before = folder / "explore_before.ipynb"
    before.write_text(json.dumps(nb), encoding="utf-8")
    return {"after": after, "before": before}


def _start_lab(folder: Path, port: int, token: str) -> subprocess.Popen:
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(folder / ".cfg"),
           "JUPYTER_RUNTIME_DIR": str(folder / ".run"),
           "JUPYTERLAB_SETTINGS_DIR": str(folder / ".settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(folder / ".ws"), "KPI_HOME": str(ROOT)}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
           f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1",
           "--ServerApp.terminals_enabled=False",
           "--ServerApp.port_retries=0", f"--ServerApp.root_dir={folder}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    # Every cell rendered: windowing (content-visibility) would hide an off-screen output.
    settings = folder / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root
        cmd.append("--allow-root")
    log = open(folder / "lab.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    for _ in range(240):
        if proc.poll() is not None:
            raise RuntimeError("jupyter lab exited: " + (folder / "lab.log").read_text()[-2000:])
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.25)
    proc.terminate()
    raise RuntimeError("jupyter lab did not answer in 60 s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _measure(page, base: str, name: str, n: int) -> dict[str, list[float]]:
    """Open a notebook, run all, then time n changes of each control (ms)."""
    page.goto(f"{base}/lab/tree/{name}")
    page.wait_for_function(IDLE, timeout=120_000)
    start = time.perf_counter()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(".widget-dropdown select", state="attached", timeout=180_000)
    page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea img').length > 0",
                           timeout=180_000)
    first_view = time.perf_counter() - start
    page.evaluate(WATCH)
    pick = page.locator(".widget-dropdown:has(label:text-is('Chỉ tiêu')) select")
    how = page.locator(".widget-dropdown:has(label:text-is('Phương pháp')) select")
    handle = page.locator(".widget-slider:has(label:text-is('Tháng')) .noUi-handle").first
    labels = pick.locator("option").all_inner_texts()
    methods = how.locator("option").all_inner_texts()
    pick.scroll_into_view_if_needed()
    kernel: list[tuple[bool, float]] = []

    def timed(action) -> float:
        count = page.evaluate("() => window.__kpi.hits.length")
        action()
        page.wait_for_function(f"() => window.__kpi.hits.length > {count}", timeout=120_000)
        page.wait_for_timeout(THINK_S * 1000)
        views = page.locator(".kpi-view")
        if views.count():  # the explorer's own account: chart kept or drawn, kernel time
            view = views.last
            kernel.append((view.get_attribute("data-cached") == "1",
                           float(view.get_attribute("data-kernel-ms"))))
        return page.evaluate("() => window.__kpi.hits[window.__kpi.hits.length - 1]")

    def month(key: str) -> None:
        handle.focus()
        handle.press(key)

    def next_month_key(going: list[str]) -> str:
        """Down to the first month, then up to the last, and so on: always a change."""
        now, low, high = (float(handle.get_attribute(a)) for a in
                          ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
        if going[0] == "ArrowLeft" and now <= low or going[0] == "ArrowRight" and now >= high:
            going[0] = "ArrowRight" if going[0] == "ArrowLeft" else "ArrowLeft"
        return going[0]

    out: dict[str, list] = {"indicator": [], "month": [], "method": [], "warming": []}
    if name == "explore.ipynb":  # at once after run-all, while it still warms up
        for label in labels[-1:-4:-1]:
            out["warming"].append(timed(lambda label=label: pick.select_option(label=label)))
        pick.select_option(label=labels[0])
        page.wait_for_timeout(THINK_S * 1000)
        for key in ("ArrowLeft", "ArrowRight", "ArrowLeft", "ArrowRight"):
            out["warming"].append(timed(lambda key=key: month(key)))
        out["_warming_kernel"] = list(kernel)
        kernel.clear()
        page.locator("text=/Sẵn sàng|Ready/").first.wait_for(timeout=300_000)
    else:  # the old explorer has no warm-up; wait for the kernel to be idle
        page.wait_for_function(IDLE, timeout=120_000)
    ready_s = time.perf_counter() - start
    for label in [labels[j % len(labels)] for j in range(1, 1 + n)]:
        out["indicator"].append(timed(lambda label=label: pick.select_option(label=label)))
    pick.select_option(label=labels[0])  # a flow: every method applies
    page.wait_for_timeout(1500)
    going = ["ArrowLeft"]
    for _ in range(n):
        key = next_month_key(going)
        out["month"].append(timed(lambda key=key: month(key)))
    for j in range(n):
        label = methods[1 + j % (len(methods) - 1)] if j % 2 == 0 else methods[0]
        out["method"].append(timed(lambda label=label: how.select_option(label=label)))
    out["_kernel"] = list(kernel)
    if name == "explore.ipynb":  # what-if on the first indicator (a flow): not in the goal
        assume = page.locator(".widget-dropdown:has(label:text-is('Giả định')) select")
        growth = page.locator(".widget-slider:has(label:text-is('Tăng (%)')) .noUi-handle").first
        out["whatif"] = [timed(lambda: assume.select_option(label="tăng so cùng kỳ (%)"))]
        for j in range(n - 1):
            key = "ArrowRight" if (j // 4) % 2 == 0 else "ArrowLeft"
            out["whatif"].append(timed(lambda key=key: (growth.focus(), growth.press(key))))
    out["_open"] = [first_view * 1000, ready_s * 1000]
    page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')")
    return out


def _stats(ms: list[float]) -> tuple[float, float]:
    values = np.array(ms) / 1000
    return float(np.median(values)), float(np.quantile(values, 0.95))


def run(report) -> None:
    from playwright.sync_api import sync_playwright

    from kpi_lib.common.numbers import format_number

    def num(x: float, d: int = 3) -> str:
        return format_number(x, d, "vi")

    if not Path(CHROMIUM).exists():
        report("workbench: skipped, Debian's chromium is not installed (apt-get install chromium)")
        return
    n = int(os.environ.get("WORKBENCH_CHANGES", "14"))
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="kpi-workbench-") as tmp:
        folder = Path(tmp)
        books = _notebooks(folder)
        port, token = _free_port(), secrets.token_hex(16)
        lab = _start_lab(folder, port, token)
        results = {}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"http://127.0.0.1:{port}/lab?token={token}")
                base = f"http://127.0.0.1:{port}"
                for key in ("after", "before"):
                    results[key] = _measure(page, base, books[key].name, n)
                browser.close()
        finally:
            _stop(lab)
    report(f"workbench: JupyterLab + headless Chromium, {n} changes per control, "
           f"{THINK_S:g} s between changes, load average {load:.2f} at start "
           f"(shared machine), {os.getloadavg()[0]:.2f} at the end")
    for key, label in (("after", "now"), ("before", "before #16")):
        r = results[key]
        first, ready = r["_open"]
        report(f"  {label:10s} run all → first view {num(first / 1000, 1)} s, "
               f"→ ready {num(ready / 1000, 1)} s")
    warming = results["after"]["warming"]
    if warming:
        report(f"  now, right after run-all while still warming up ({len(warming)} changes): "
               f"p50 {num(_stats(warming)[0])} s, max {num(max(warming) / 1000)} s")
    kernel = results["after"]["_kernel"]
    if kernel:
        drawn = [ms / 1000 for cached, ms in kernel if not cached]
        report(f"  now: {sum(c for c, _ in kernel)} of {len(kernel)} changes found the chart "
               f"already drawn; kernel time p95 {num(_stats([ms for _, ms in kernel])[1])} s"
               + (f"; the {len(drawn)} drawn on demand: p50 {num(float(np.median(drawn)))} s, "
                  f"max {num(max(drawn))} s (kernel side)" if drawn else ""))
    if results["after"].get("whatif"):
        w50, w95 = _stats(results["after"]["whatif"])
        report(f"  what-if (assumption and growth slider, {len(results['after']['whatif'])} "
               f"changes): p50 {num(w50)} s  p95 {num(w95)} s (no baseline: new)")
    everything = {k: [x for c in ("indicator", "month", "method") for x in results[k][c]]
                  for k in results}
    for control in ("indicator", "month", "method", "all"):
        now = everything["after"] if control == "all" else results["after"][control]
        old = everything["before"] if control == "all" else results["before"][control]
        (p50, p95), (b50, b95) = _stats(now), _stats(old)
        goal = f"   goal p95 ≤ {num(GOAL_S, 1)} s: {'MET' if p95 <= GOAL_S else 'NOT MET'}" \
            if control == "all" else ""
        report(f"  {control:9s} p50 {num(p50)} s  p95 {num(p95)} s   before: p50 {num(b50)} s "
               f"p95 {num(b95)} s   ratio p95 {num(p95 / b95, 2)}×{goal}")


if __name__ == "__main__":
    run(print)
