"""The explorer before issue #16 (kpi_lib/explore.py at 7ae2c5e), kept verbatim as the
baseline benchmarks/workbench.py measures in the same run. Not used by the library.

Pick an indicator, an as-of month and a method: the chart and the numbers update.
Without a widget front end (papermill, nbconvert) `show` still displays the default view.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from kpi_lib.common.numbers import format_number
from kpi_lib.engine.pipeline import Assessment, run_assessment
from kpi_lib.outputs.i18n import method_label

FLOW_METHODS = ("chosen", "same_period", "seasonal_share", "history", "combined", "run_rate")


class Explorer:
    def __init__(self, catalog=None, data_dir=None, lang: str = "vi") -> None:
        self.catalog, self.data_dir, self.lang = catalog, data_dir, lang
        first = self._assess("latest")
        self.latest = first.as_of
        self.year = first.catalog.year
        self.ids = [i.id for i in first.catalog.indicators]

    @lru_cache(maxsize=16)  # noqa: B019 - one explorer per notebook; months are few
    def _assess(self, as_of: str | int) -> Assessment:
        return run_assessment(self.catalog, self.data_dir, as_of, use_ets=False)

    def view(self, indicator_id: str, month: int, method: str = "chosen"):
        """(summary HTML, Figure) for one indicator, month and method."""
        from kpi_lib.outputs import charts, render

        a = self._assess(f"{self.year}-{month:02d}")
        row = a.table[a.table["indicator_id"] == indicator_id].iloc[0]
        ind = a.catalog.get(indicator_id)
        estimate, label = row["estimate"], method_label(row["method"], self.lang)
        if method != "chosen" and ind.kind == "flow" and method in a.forecast.flow_alternatives:
            s = a.forecast.cube.keys.index((indicator_id, row["unit_code"]))
            estimate = float(a.forecast.flow_alternatives[method][s])
            label = method_label(method, self.lang)
        p = row["p_meet"]
        html = (f"<p><b>{render.esc(ind.id)} – {render.esc(ind.name(self.lang))}</b><br>"
                f"{render.esc(label)}: <b>{render.esc(format_number(estimate, 2, self.lang))}</b> "
                f"{render.esc(ind.entry_unit)} · "
                f"{render.esc(a.catalog.statuses.label(row['status'], self.lang))}"
                + (f" · p = {render.esc(format_number(100 * p, 0, self.lang))}%"
                   if np.isfinite(p) else "") + "</p>")
        return html, charts.plot_indicator(a, indicator_id, lang=self.lang)

    def show(self, indicator_id: str | None, as_of: str = "latest") -> None:
        """Widgets plus output; the default view is rendered immediately either way.

        indicator_id None: the catalog's first target."""
        import ipywidgets as widgets
        from IPython.display import HTML, display

        from kpi_lib.outputs.charts import show as show_fig

        month = self.latest if as_of == "latest" else int(str(as_of)[-2:])
        indicator_id = indicator_id or self.ids[0]
        pick = widgets.Dropdown(options=self.ids, value=indicator_id, description="Chỉ tiêu")
        when = widgets.IntSlider(value=month, min=1, max=self.latest, description="Tháng")
        how = widgets.Dropdown(options=FLOW_METHODS, value="chosen", description="Phương pháp")
        out = widgets.Output()

        def redraw(*_):
            html, fig = self.view(pick.value, when.value, how.value)
            out.clear_output(wait=True)
            with out:
                display(HTML(html))
                show_fig(fig)

        for w in (pick, when, how):
            w.observe(redraw, names="value")
        display(widgets.HBox([pick, when, how]))
        html, fig = self.view(indicator_id, month)
        display(HTML(html))  # the static view, for papermill and nbconvert
        show_fig(fig)
        display(out)
