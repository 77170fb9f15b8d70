"""Interactive exploration for analysts in JupyterLab (ipywidgets): pick an indicator, a
month and a method, and try an assumption for the months still to come (what-if).

Why it is built this way (issue #16, "the workbench answers at once"):
- One view, replaced: the controls and the view are one widget, displayed once, with the
  static view as its text/html fallback (papermill and nbconvert, which have no widget
  state, show that instead); a change replaces the Output widget's single output.
- Fast: the data is read once and each month's assessment computed once from it (a
  background thread warms all months at start, latest first); charts are drawn on one reused Figure with fixed margins (no
  constrained layout) and kept, so a chart is drawn once per indicator, month and method;
  while the analyst looks, an idle-time thread draws the neighbours of the current view.
  benchmarks/workbench.py measures it in JupyterLab in headless Chromium.
- What-if numbers come from kpi_lib.engine.scenario, judged by the report's own rules.
"""

from __future__ import annotations

import base64
import html
import io
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future

import numpy as np

from .common.errors import KpiError
from .common.numbers import format_number
from .engine.pipeline import Assessment, assess_dataset
from .engine.scenario import GROWTH_LIMITS, forecast_path, limits, scenario
from .outputs.i18n import check_lang, method_label, reason_text, status_text

FLOW_METHODS = ("chosen", "same_period", "seasonal_share", "history", "combined", "run_rate")
CHART_CACHE = 1024  # PNGs of ~25 KB: every chart of a district (32 × 12 × methods)
IDLE_S = 0.25  # the prefetch thread draws only after this long without a request
WORDS = {
    "vi": {"indicator": "Chỉ tiêu", "month": "Tháng", "method": "Phương pháp",
           "chosen": "phương pháp được chọn (kiểm định)", "assume": "Giả định",
           "forecast": "theo dự báo", "growth": "tăng so cùng kỳ (%)",
           "monthly": "số mỗi tháng còn lại", "reached": "ngày được công nhận",
           "growth_short": "Tăng (%)", "monthly_short": "Mỗi tháng", "when": "Đạt vào",
           "after_year": "sau năm {year}", "month_of": "tháng {m}/{year}",
           "preparing": "Đang tính số liệu các tháng: {done}/{total} (vẫn dùng được)",
           "drawing": "Đang vẽ trước các biểu đồ: {done}/{total} (vẫn dùng được)",
           "ready": "Sẵn sàng: {total} tháng, {charts} biểu đồ đã vẽ sẵn",
           "static": "Các điều khiển cần JupyterLab với kernel đang chạy.",
           "p": "xác suất đạt", "need": "Cần đạt mỗi tháng còn lại",
           "need_max": "Tối đa mỗi tháng còn lại",
           "need_growth": "để đạt kế hoạch, các tháng còn lại cần tăng {g}% so cùng kỳ {prev}",
           "max_growth": "để đạt kế hoạch, các tháng còn lại tăng tối đa {g}% so cùng kỳ {prev}",
           "fc_path": "các tháng còn lại tăng {g}% so cùng kỳ {prev}",
           "whatif": "Giả định", "g_text": "tháng {a}–12 tăng {g}% so cùng kỳ {prev}",
           "m_text": "tháng {a}–12 mỗi tháng {v} {unit}",
           "r_text": "được công nhận {when}", "interval": "khoảng tin cậy 80%",
           "plain": "Dự báo", "exact": "giả định được coi là chính xác, không có khoảng",
           "data_part": "Số liệu: tháng 1–{m}; phần còn lại là giả định. Khoảng tin cậy: "
                        "sai số kiểm định của dự báo quanh giả định.",
           "not_applicable": "Chỉ tiêu loại này không có giả định (chỉ áp dụng cho chỉ tiêu "
                             "cộng dồn theo tháng và chỉ tiêu công nhận).",
           "met": "đạt nếu giả định đúng", "not_met": "không đạt nếu giả định đúng"},
    "en": {"indicator": "Indicator", "month": "Month", "method": "Method",
           "chosen": "the chosen method (backtested)", "assume": "Assume",
           "forecast": "the forecast", "growth": "growth on last year (%)",
           "monthly": "amount per remaining month", "reached": "recognition date",
           "growth_short": "Growth (%)", "monthly_short": "Per month", "when": "Reached",
           "after_year": "after {year}", "month_of": "{m}/{year}",
           "preparing": "Assessing the months: {done}/{total} (usable meanwhile)",
           "drawing": "Drawing charts ahead: {done}/{total} (usable meanwhile)",
           "ready": "Ready: {total} months, {charts} charts drawn ahead",
           "static": "The controls need JupyterLab with a running kernel.",
           "p": "probability", "need": "Needed per remaining month",
           "need_max": "At most per remaining month",
           "need_growth": "meeting the plan needs {g}% on the same months of {prev}",
           "max_growth": "meeting the plan allows at most {g}% on the same months of {prev}",
           "fc_path": "remaining months {g}% on the same months of {prev}",
           "whatif": "Assumption", "g_text": "months {a}–12 grow {g}% on {prev}",
           "m_text": "months {a}–12 bring {v} {unit} each",
           "r_text": "recognised on {when}", "interval": "80% interval",
           "plain": "Forecast", "exact": "the assumption taken as exact, no interval",
           "data_part": "Data: months 1–{m}; the rest is assumption. Interval: the "
                        "forecast's backtest error around the assumption.",
           "not_applicable": "No what-if for this kind of indicator (flows and milestones "
                             "only).",
           "met": "met if the assumption holds", "not_met": "not met if the assumption holds"},
}


class Explorer:
    def __init__(self, catalog=None, data_dir=None, lang: str = "vi") -> None:
        self.catalog, self.data_dir, self.lang = catalog, data_dir, check_lang(lang)
        self.words = WORDS[lang]
        self._months: dict[int, Future] = {}
        self._lock = threading.Lock()  # guards the dicts
        self._draw = threading.Lock()  # one Figure, drawn by one thread at a time
        self._charts: OrderedDict[tuple, bytes] = OrderedDict()
        self._wanted: list[tuple] = []
        self._last_request = 0.0
        self._wake = threading.Condition()
        self._worker: threading.Thread | None = None
        self._figure = None
        self.seq = 0
        self._dataset = self._load(catalog, data_dir)
        first = assess_dataset(self._dataset, "latest", None, None, use_ets=False)
        done: Future = Future()
        done.set_result(first)
        self._months[first.as_of] = done
        self.latest, self.year = first.as_of, first.catalog.year
        self.indicators = list(first.catalog.indicators)
        self.ids = [i.id for i in self.indicators]

    # ------------------------------------------------------------ numbers
    @staticmethod
    def _load(catalog, data_dir):
        """The data read once: most of an assessment's time is the load, the same for every
        month (pipeline.run_assessment's catalog rule: the data's own, else Bình Sơn's)."""
        from .inputs.data import load_dataset
        from .inputs.store import remembered_catalog
        from .plan.catalog import Catalog, load_catalog

        if catalog is None:
            catalog = remembered_catalog(data_dir)
        cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        return load_dataset(cat, data_dir)

    def assessment(self, month: int) -> Assessment:
        """The assessment as of a month, computed once (by whichever thread asks first)."""
        with self._lock:
            future = self._months.get(month)
            mine = future is None
            if mine:
                future = self._months[month] = Future()
        if mine:
            try:
                future.set_result(assess_dataset(self._dataset, f"{self.year}-{month:02d}",
                                                 None, None, use_ets=False))
            except Exception as exc:  # noqa: BLE001 - the asker sees it; a retry computes again
                with self._lock:
                    del self._months[month]
                future.set_exception(exc)
        return future.result()

    def warm(self, progress=None, prefetch: bool = True) -> threading.Thread:
        """Start the background thread: every month's assessment (latest first), then
        every chart, nearest to the current view first, only while the analyst is idle
        (IDLE_S without a change). progress(stage, done, total), stage months or charts."""
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, args=(progress, prefetch),
                                            name="explore-warm", daemon=True)
            self._worker.start()
        return self._worker

    def _work(self, progress, prefetch: bool) -> None:
        months = list(range(self.latest, 0, -1))
        for n, m in enumerate(months, 1):
            while time.monotonic() - self._last_request < IDLE_S:  # the analyst first
                time.sleep(IDLE_S)
            try:
                self.assessment(m)
            except KpiError:
                pass  # a month before any figure: the view says so when asked
            if progress:
                progress("months", n, len(months))
        total = len(self._wanted) if prefetch else 0
        if progress and prefetch and not total:
            progress("charts", len(self._charts), len(self._charts))
        while prefetch:
            with self._wake:
                while not self._wanted or time.monotonic() - self._last_request < IDLE_S:
                    wait = IDLE_S - (time.monotonic() - self._last_request)
                    self._wake.wait(timeout=max(wait, 0.05) if self._wanted else None)
                key = self._wanted.pop(0)
                left = len(self._wanted)
            try:
                self.chart_png(*key)
            except KpiError:
                pass
            if progress and total:
                total = max(total, left + 1)
                progress("charts", total - left, total)
                total = 0 if not left else total  # the first pass is done: say ready once

    def _want_neighbours(self, indicator_id: str, month: int, method: str) -> None:
        """Queue what the analyst is likely to look at next, nearest first: the next and
        previous indicators in this month interleaved with this indicator's nearby months,
        its other methods, then every other chart (a district's few hundred)."""
        i = self.ids.index(indicator_id)
        months = sorted(range(1, self.latest + 1), key=lambda m: (abs(m - month), m > month))
        others = sorted(range(len(self.ids)), key=lambda j: (abs(j - i), j < i))
        by_id = [(self.ids[j], month, "chosen") for j in others if j != i]
        by_month = [(indicator_id, m, method) for m in months if m != month]
        keys = [k for pair in zip(by_id, by_month) for k in pair]
        keys += by_id[len(by_month):] + by_month[len(by_id):]
        if self.indicators[i].kind == "flow":
            keys += [(indicator_id, month, k) for k in FLOW_METHODS]
        keys += [(self.ids[j], m, "chosen") for m in months for j in others]
        with self._wake:
            seen: set[tuple] = set()
            self._wanted = [k for k in (self._key(*k) for k in keys)
                            if k not in self._charts and not (k in seen or seen.add(k))]
            self._wake.notify()

    def _key(self, indicator_id: str, month: int, method: str) -> tuple:
        kind = self.indicators[self.ids.index(indicator_id)].kind
        return indicator_id, month, method if kind == "flow" else "chosen"

    # ------------------------------------------------------------ the view
    def chart_png(self, indicator_id: str, month: int, method: str = "chosen") -> bytes:
        """The indicator's chart (the report's, plus the picked method's estimate), kept."""
        key = self._key(indicator_id, month, method)
        with self._lock:
            if key in self._charts:
                self._charts.move_to_end(key)
                return self._charts[key]
        a = self.assessment(month)
        with self._draw:
            png = self._draw_png(a, *key)
        with self._lock:
            self._charts[key] = png
            while len(self._charts) > CHART_CACHE:
                self._charts.popitem(last=False)
        return png

    def _draw_png(self, a: Assessment, indicator_id: str, month: int, method: str) -> bytes:
        from .outputs import charts

        if self._figure is None:  # no pyplot: nothing for the inline backend to show twice
            import matplotlib
            from matplotlib.figure import Figure

            matplotlib.rcParams["font.family"] = charts.FONT
            self._figure = Figure(figsize=(7.5, 4.2), dpi=100)
            self._figure.add_axes((0.13, 0.11, 0.85, 0.76))  # room for 30.000 and the unit
        ax = self._figure.axes[0]
        ax.clear()
        charts.plot_indicator(a, indicator_id, ax=ax, lang=self.lang)
        alt = self._alternative(a, indicator_id, method)
        if alt is not None:
            ax.plot([12], [alt], "D", color="#6a1b9a", ms=7, label=method_label(method, self.lang))
            ax.legend(fontsize=8, loc="upper left")
        buffer = io.BytesIO()  # 80 dpi, light compression: a third of the time of the report's
        self._figure.savefig(buffer, format="png", dpi=80, pil_kwargs={"compress_level": 1})
        return buffer.getvalue()

    def _alternative(self, a: Assessment, indicator_id: str, method: str) -> float | None:
        """Another method's year-end estimate for a flow (None: the chosen one, or none)."""
        if method == "chosen" or method not in a.forecast.flow_alternatives:
            return None
        row = a.table[a.table["indicator_id"] == indicator_id].iloc[0]
        if a.catalog.get(indicator_id).kind != "flow":
            return None
        s = a.forecast.cube.keys.index((indicator_id, row["unit_code"]))
        value = float(a.forecast.flow_alternatives[method][s])
        return value if np.isfinite(value) else None

    def _num(self, value: float, decimals: int = 2) -> str:
        return format_number(value, decimals, self.lang) if np.isfinite(value) else "–"

    def summary(self, indicator_id: str, month: int, method: str = "chosen",
                assume: str = "forecast", value: object = None) -> str:
        """The numbers above the chart, and the what-if line when an assumption is set."""
        a = self.assessment(month)
        w, esc = self.words, html.escape
        row = a.table[a.table["indicator_id"] == indicator_id].iloc[0]
        ind = a.catalog.get(indicator_id)
        estimate, label = float(row["estimate"]), method_label(row["method"], self.lang)
        alt = self._alternative(a, indicator_id, method)
        if alt is not None:
            estimate, label = alt, method_label(method, self.lang)
        status = status_text(a.catalog.statuses, row["status"], bool(row["provisional"]),
                             self.lang)
        p = float(row["p_meet"])
        lines = [f"<b>{esc(ind.id)} – {esc(ind.name(self.lang))}</b>",
                 f"{esc(label)}: <b>{esc(self._num(estimate))}</b> {esc(ind.entry_unit)} · "
                 f"{esc(status)}" + (f" · {w['p']} {self._num(100 * p, 1)}%"
                                     if np.isfinite(p) else "")]
        if row["reason"]:
            lines[-1] += f" · {esc(reason_text(row['reason'], self.lang))}"
        need = float(row["required_pace"])
        if np.isfinite(need):
            key = "need_max" if ind.rule in ("le", "reduce") else "need"
            lines.append(f"{w[key]}: {esc(self._num(need))} {esc(ind.entry_unit)}")
        if assume != "forecast" and value is not None:
            lines += self._whatif_lines(a, ind, assume, value)
        return "<br>".join(lines)

    def _whatif_lines(self, a: Assessment, ind, assume: str, value) -> list[str]:
        w, esc, prev = self.words, html.escape, self.year - 1
        try:
            s = scenario(a, ind.id, **{assume: value})
        except KpiError as exc:
            return [f"<i>{esc(str(exc))}</i>"]
        m = s.data_month
        if assume == "growth":
            what = w["g_text"].format(a=m + 1, g=self._num(float(value), 1), prev=prev)
        elif assume == "monthly":
            what = w["m_text"].format(a=m + 1, v=self._num(float(value)), unit=ind.entry_unit)
        else:
            when = {v: label for label, v in self.reached_options(a.as_of)}
            what = w["r_text"].format(when=when.get(value, value))
        status = a.catalog.statuses.label(s.status, self.lang)
        interval = (f" ({w['interval']} {self._num(s.lo80)} – {self._num(s.hi80)})"
                    if np.isfinite(s.lo80) and s.hi80 > s.lo80 else f" ({w['exact']})")
        out = [(f"<b>{w['whatif']}: {esc(what)}</b> → {esc(self._num(s.estimate))} "
                f"{esc(ind.entry_unit)}{esc(interval)} · {w['p']} "
                f"{self._num(100 * s.p_meet, 1)}% · {esc(status)} · "
                f"{w['met'] if s.met_if_exact else w['not_met']}")]
        # The forecast beside its own path, and apart from it the growth the plan needs:
        # "Dự báo: X · tăng 8,3%" read as the forecast's growth when 8,3% was the need.
        plain = f"{w['plain']}: {esc(self._num(s.forecast_estimate))}"
        if np.isfinite(s.forecast_growth):
            plain += f" ({w['fc_path'].format(g=self._num(s.forecast_growth, 1), prev=prev)})"
        if np.isfinite(s.required_growth):
            key = "max_growth" if ind.rule in ("le", "reduce") else "need_growth"
            plain += " · " + w[key].format(g=self._num(s.required_growth, 1), prev=prev)
        out.append(plain)
        if ind.kind == "flow":
            out.append(f"<small>{esc(w['data_part'].format(m=m))}</small>")
        return out

    def view(self, indicator_id: str, month: int, method: str = "chosen",
             assume: str = "forecast", value: object = None) -> str:
        """The whole view as HTML: one block, marked for the browser benchmark."""
        start = time.perf_counter()
        self.seq += 1
        with self._lock:
            cached = self._key(indicator_id, month, method) in self._charts
        try:
            text = self.summary(indicator_id, month, method, assume, value)
            png = base64.b64encode(self.chart_png(indicator_id, month, method)).decode()
            body = (f'<p>{text}</p><img alt="{html.escape(indicator_id)}" '
                    f'style="max-width:100%" src="data:image/png;base64,{png}"/>')
        except KpiError as exc:  # e.g. a month before any figure: said, not a traceback
            body = f"<p><i>{html.escape(str(exc))}</i></p>"
        ms = (time.perf_counter() - start) * 1000
        return (f'<div class="kpi-view" data-seq="{self.seq}" data-cached="{int(cached)}" '
                f'data-kernel-ms="{ms:.1f}">{body}</div>')

    # ------------------------------------------------------------ widgets
    def indicator_options(self) -> list[tuple[str, str]]:
        """("T01 – Tổng giá trị sản xuất", "T01"): ids with short names, never bare."""
        def short(text: str) -> str:
            return text if len(text) <= 48 else text[:47].rstrip() + "…"
        return [(f"{i.id} – {short(i.short_name(self.lang))}", i.id) for i in self.indicators]

    def method_options(self) -> list[tuple[str, str]]:
        return [(self.words["chosen"] if k == "chosen" else method_label(k, self.lang), k)
                for k in FLOW_METHODS]

    def assume_options(self, indicator_id: str) -> list[tuple[str, str]]:
        kind = self.indicators[self.ids.index(indicator_id)].kind
        extra = {"flow": ("growth", "monthly"), "milestone": ("reached",)}.get(kind, ())
        return [(self.words[k], k) for k in ("forecast", *extra)]

    def reached_options(self, month: int) -> list[tuple[str, str]]:
        w = self.words
        out = [(w["month_of"].format(m=m, year=self.year), f"{self.year}-{m:02d}")
               for m in range(month + 1, 13)]
        return out + [(w["after_year"].format(year=self.year), f"{self.year + 1}-01")]

    def show(self, indicator_id: str | None = None, as_of: str = "latest",
             warm: bool = True) -> None:
        """Display the controls and the view as one widget (static view as its fallback)."""
        from IPython.display import display

        display(self.widget(indicator_id, as_of, warm), raw=True)

    def widget(self, indicator_id: str | None = None, as_of: str = "latest",
               warm: bool = True) -> dict:
        """The mime bundle: the live widget for JupyterLab, the static view for the rest."""
        import ipywidgets as widgets

        w = self.words
        month = self.latest if as_of in (None, "", "latest") else int(str(as_of)[-2:])
        indicator_id = indicator_id or self.ids[0]
        wide = {"description_width": "initial"}
        self.pick = widgets.Dropdown(options=self.indicator_options(), value=indicator_id,
                                     description=w["indicator"], style=wide,
                                     layout=widgets.Layout(width="26em"))
        self.when = widgets.IntSlider(value=month, min=1, max=self.latest,
                                      description=w["month"], continuous_update=False)
        self.how = widgets.Dropdown(options=self.method_options(), value="chosen",
                                    description=w["method"], style=wide,
                                    layout=widgets.Layout(width="24em"))
        self.assume = widgets.Dropdown(options=self.assume_options(indicator_id),
                                       value="forecast", description=w["assume"], style=wide)
        # The slider's own readout can only print "10.00" (d3-format has no decimal comma):
        # a label beside it says the value as the office writes it.
        self.growth = widgets.FloatSlider(value=0.0, min=max(-50, GROWTH_LIMITS[0]),
                                          max=min(50, GROWTH_LIMITS[1]), step=0.5,
                                          description=w["growth_short"], readout=False,
                                          continuous_update=False)
        self.growth_text = widgets.HTML(value="")
        self.growth.observe(self._say_growth, names="value")
        # Bounded like scenario() (limits): never below zero, never past ten times the year.
        self.amount = widgets.BoundedFloatText(value=0.0, min=0.0, max=1e12,
                                               description=w["monthly_short"])
        self.reached = widgets.Dropdown(options=self.reached_options(month),
                                        description=w["when"])
        self.status = widgets.HTML(value="")
        self.out = widgets.Output()
        self._muted, self._whatif_for = False, None
        for c in (self.pick, self.when, self.how, self.assume, self.growth, self.amount,
                  self.reached):
            c.observe(self._changed, names="value")
        self._sync_whatif()
        self._say_growth()
        self._set_view(self.view(indicator_id, month))
        root = widgets.VBox([widgets.HBox([self.pick, self.when, self.how]),
                             widgets.HBox([self.assume, self.growth, self.growth_text,
                                           self.amount, self.reached]), self.status, self.out])
        if warm:
            total = self.latest

            def progress(stage: str, done: int, n: int) -> None:
                if stage == "months" or done < n:
                    self.status.value = w["preparing" if stage == "months" else
                                          "drawing"].format(done=done, total=n)
                else:
                    self.status.value = w["ready"].format(total=self.latest,
                                                          charts=len(self._charts))
            progress("months", 0, total)
            self._want_neighbours(indicator_id, month, "chosen")
            self.warm(progress)
        bundle = root._repr_mimebundle_()
        bundle["text/html"] = self.out.outputs[0]["data"]["text/html"] + \
            f"<p><small>{w['static']}</small></p>"
        return bundle

    def _say_growth(self, change=None) -> None:
        self.growth_text.value = f"{self._num(self.growth.value, 1)}%"

    def _set_view(self, text: str) -> None:
        """Replace the Output widget's one output (never append)."""
        self.out.outputs = ({"output_type": "display_data", "data": {"text/html": text},
                             "metadata": {}},)

    def _sync_whatif(self) -> None:
        """Show the what-if control that fits the indicator and assumption."""
        self._muted = True
        try:
            iid, month = self.pick.value, self.when.value
            options = self.assume_options(iid)
            if [v for _, v in options] != [v for _, v in self.assume.options]:
                self.assume.options, self.assume.value = options, "forecast"
            self.assume.disabled = len(options) == 1
            self.how.disabled = self.indicators[self.ids.index(iid)].kind != "flow"
            if self._whatif_for != (iid, month):  # start from the forecast's own path
                self._whatif_for = (iid, month)
                path = {"growth": 0.0, "monthly": 0.0}
                if self.indicators[self.ids.index(iid)].kind == "flow":
                    try:
                        path = forecast_path(self.assessment(month), iid)
                        self.amount.max = limits(self.assessment(month), iid)["monthly"][1]
                    except KpiError:
                        pass
                g, v = path["growth"], path["monthly"]
                self.growth.value = round(float(np.clip(g, -50, 50)) * 2) / 2 \
                    if np.isfinite(g) else 0.0
                self.amount.value = round(float(v), 2) if np.isfinite(v) else 0.0
            self.reached.options = self.reached_options(month)
            for c, k in ((self.growth, "growth"), (self.amount, "monthly"),
                         (self.reached, "reached")):
                c.layout.display = "" if self.assume.value == k else "none"
            self.growth_text.layout.display = self.growth.layout.display
        finally:
            self._muted = False

    def _changed(self, change) -> None:
        if self._muted:
            return
        self._sync_whatif()
        self._last_request = time.monotonic()
        assume = self.assume.value
        value = {"growth": self.growth.value, "monthly": self.amount.value,
                 "reached": self.reached.value}.get(assume)
        self._set_view(self.view(self.pick.value, self.when.value, self.how.value, assume,
                                 value))
        self._last_request = time.monotonic()
        self._want_neighbours(self.pick.value, self.when.value, self.how.value)
