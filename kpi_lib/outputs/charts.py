"""Charts for reviewers. Each helper takes `ax=None`, returns the Figure, never calls
plt.show(), and imports matplotlib lazily (statsmodels' plotting conventions).

Text uses DejaVu Sans, which ships with matplotlib and covers Vietnamese diacritics.

The report's figures (`plot_group`, `plot_coverage`) are plain `Figure`s, not pyplot's:
the page never needs pyplot's figure manager, and importing it (and the notebook
backend it loads) costs a cold kernel about 0,25 s more than `matplotlib.figure` alone. Their titles and
x-labels sit at fixed offsets, so drawing skips the search over tick-label boxes that
only an automatic position needs; `to_png` writes a 256-colour PNG (charts have a
handful of colours), a third of the bytes, encoded in half the time.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from ..common.numbers import format_number
from ..engine.assess import trajectory
from ..engine.pipeline import Assessment
from .i18n import t

FONT = "DejaVu Sans"


def _use_font() -> None:
    import matplotlib

    matplotlib.rcParams["font.family"] = FONT


def _figure(size: tuple[float, float], dpi: int = 90, **kw):
    """A Figure outside pyplot: garbage like any object once dropped, no plt.close needed."""
    from matplotlib.figure import Figure

    _use_font()
    return Figure(figsize=size, dpi=dpi, **kw)


def _axes(ax=None, size=(7.5, 4.2)):
    _use_font()
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt  # a chart on its own: pyplot's, so a notebook shows it

    fig, ax = plt.subplots(figsize=size, dpi=100, layout="constrained")
    return fig, ax


def tick_decimals(locs) -> int:
    """As many decimals as the tick step needs: 34; 34,5; 34,25 — never 34, 34, 35, 35."""
    locs = np.asarray([v for v in locs if np.isfinite(v)], dtype=float)
    for d in range(5):
        if np.allclose(locs * 10**d, np.round(locs * 10**d), atol=1e-6 * 10**d):
            return d
    return 4


def _vi_axis(ax, lang: str) -> None:
    from matplotlib.ticker import Formatter

    class NumberFormatter(Formatter):
        decimals: int | None = None  # worked out once per set of ticks, not once a label

        def set_locs(self, locs):
            self.decimals = tick_decimals(locs) if len(locs) else None

        def __call__(self, value, pos=None):
            digits = self.decimals if self.decimals is not None else tick_decimals([value])
            return format_number(value, digits, lang)

    ax.yaxis.set_major_formatter(NumberFormatter())


def plot_flow(a: Assessment, indicator_id: str, unit: str | None = None, ax=None, lang="vi"):
    """Year-to-date actual, the straight and the seasonal path to target, the forecast fan."""
    fig, ax = _axes(ax)
    cat, ds = a.catalog, a.dataset
    ind = cat.get(indicator_id)
    unit = unit or a.table["unit_code"].iloc[0]
    row = a.table[(a.table["indicator_id"] == indicator_id) & (a.table["unit_code"] == unit)]
    row = row.iloc[0]
    months = np.arange(1, 13)
    try:
        ytd = ds.ytd.loc[(indicator_id, unit, cat.year)]
    except KeyError:
        ytd = pd.Series(np.nan, index=months)
    m = int(row["data_month"])
    target = row["target_value"]
    ax.plot(months[:m], ytd.to_numpy()[:m], "o-", color="#1f4e79", lw=2.2, label=t("actual", lang))
    if np.isfinite(target):
        ax.plot([0, 12], [0, target], "--", color="#888", lw=1.2, label=t("straight", lang))
        phased = trajectory(a.forecast, indicator_id, unit, target)
        if len(phased):
            ax.plot(phased.index, phased.to_numpy(), ":", color="#555", lw=1.5,
                    label=t("phased", lang))
        ax.axhline(target, color="#d32f2f", lw=1.2, label=t("target_line", lang))
    if m and np.isfinite(row["estimate"]):
        x = [m, 12]
        y0 = ytd.iloc[m - 1]
        ax.plot(x, [y0, row["estimate"]], "-", color=a.catalog.statuses.color(row["status"]),
                lw=2, label=t("forecast", lang))
        if np.isfinite(row["lo80"]):
            ax.fill_between(x, [y0, row["lo80"]], [y0, row["hi80"]], alpha=0.25,
                            color=a.catalog.statuses.color(row["status"]), label=t("band", lang))
    _finish(ax, ind.name(lang), a.catalog.unit_label(ind.entry_unit, lang), lang,
            _status_label(a, row, lang))
    ax.set_xlim(0.5, 12.5)
    return fig


def plot_level(a: Assessment, indicator_id: str, unit: str | None = None, ax=None, lang="vi"):
    """Readings over the past years and this year, the target, the year-end estimate."""
    fig, ax = _axes(ax)
    cat, ds = a.catalog, a.dataset
    ind = cat.get(indicator_id)
    unit = unit or a.table["unit_code"].iloc[0]
    row = a.table[(a.table["indicator_id"] == indicator_id) & (a.table["unit_code"] == unit)].iloc[0]
    read = ds.readings
    read = read[(read["indicator_id"] == indicator_id) & (read["unit_code"] == unit)]
    # Each reading at its own date; a yearly figure in the middle of its year, under that
    # year's label (at the year's end it sat beside the next year's label and read as it).
    annual = ind.frequency == "annual" or bool(read["year"].is_unique)  # one value a year
    if annual:
        when = pd.to_datetime(read["year"].astype(int).astype(str) + "-07-01")
    else:
        when = pd.to_datetime({"year": read["year"], "month": read["month"], "day": 1}) \
            + pd.offsets.MonthEnd(0)
    ax.plot(when, read["value"], "o-", color="#1f4e79", ms=3, lw=1.5, label=t("readings", lang))
    if np.isfinite(row["target_value"]):
        ax.axhline(row["target_value"], color="#d32f2f", lw=1.2, label=t("target_line", lang))
    if np.isfinite(row["estimate"]):
        xe = pd.Timestamp(year=cat.year, month=7 if annual else 12, day=1 if annual else 31)
        err = None
        if np.isfinite(row["lo80"]):
            err = [[row["estimate"] - row["lo80"]], [row["hi80"] - row["estimate"]]]
        ax.errorbar([xe], [row["estimate"]], yerr=err, fmt="s", color=cat.statuses.color(
            row["status"]), capsize=4, label=t("forecast", lang))
    _finish(ax, ind.name(lang), a.catalog.unit_label(ind.unit, lang), lang,
            _status_label(a, row, lang))
    import matplotlib.dates as mdates
    # Each year's label in the middle of its year, a grid line where it begins: the label
    # names the span, not the instant of 1 January.
    ax.xaxis.set_major_locator(mdates.YearLocator(month=7, day=1))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.xaxis.set_minor_locator(mdates.YearLocator())
    ax.grid(False, axis="x", which="major")
    ax.grid(True, axis="x", which="minor", alpha=0.3)
    ax.set_xlabel(t("year_word", lang))
    return fig


# Where the automatic title goes when nothing sits above the axes; giving it saves
# measuring every tick label at each draw.
TITLE_Y = 1.0
# Below the axes: tick (3.5 pt) + pad (3.5 pt) + one line of 10-pt tick labels + labelpad
# (4 pt), as matplotlib's automatic placement puts it for these one-line labels.
XLABEL_OFFSET_PT = 20.9


def _fixed_xlabel(ax) -> None:
    from matplotlib.transforms import ScaledTranslation

    offset = ScaledTranslation(0, -XLABEL_OFFSET_PT / 72, ax.figure.dpi_scale_trans)
    ax.xaxis.set_label_coords(0.5, 0, transform=ax.transAxes + offset)
    ax.xaxis.label.set_verticalalignment("top")


def _status_label(a: Assessment, row: pd.Series, lang: str) -> str:
    label = a.catalog.statuses.label(row["status"], lang)
    return label + (f", {t('provisional', lang)}" if row.get("provisional", False) else "")


def _finish(ax, title: str, unit: str, lang: str, status: str) -> None:
    ax.set_title(f"{title}\n({status})", fontsize=11, y=TITLE_Y)
    ax.set_ylabel(unit)
    ax.set_xlabel(t("month", lang))
    _fixed_xlabel(ax)
    _vi_axis(ax, lang)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10, loc="upper left")  # "best" costs a search over the data


def plot_indicator(a: Assessment, indicator_id: str, ax=None, lang="vi"):
    """The right chart for the indicator's kind (flows: fan to year-end; others: readings)."""
    ind = a.catalog.get(indicator_id)
    if ind.kind == "flow":
        return plot_flow(a, indicator_id, ax=ax, lang=lang)
    return plot_level(a, indicator_id, ax=ax, lang=lang)


def plot_seasonal_profile(a: Assessment, indicator_id: str, ax=None, lang="vi"):
    """Each past year's share of the year done by each month (the seasonal profile)."""
    fig, ax = _axes(ax)
    ds = a.dataset
    unit = a.table["unit_code"].iloc[0]
    try:
        ytd = ds.ytd.xs((indicator_id, unit), level=(0, 1))
    except KeyError:
        return fig
    for year, row in ytd.iterrows():
        if np.isfinite(row[12]) and row[12]:
            ax.plot(range(1, 13), row.to_numpy() / row[12] * 100, "-", alpha=0.7, label=str(year))
    ax.set_title(a.catalog.get(indicator_id).name(lang), fontsize=11)
    ax.set_ylabel("% " + ("cả năm" if lang == "vi" else "of the year"))
    ax.set_xlabel(t("month", lang))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    return fig


def plot_backtest(table: pd.DataFrame, ax=None, lang="vi"):
    """Backtest error by month for each method (from backtest_report.backtest_table)."""
    fig, ax = _axes(ax)
    methods = [c for c in ("same_period", "seasonal_share", "history", "ets", "combined",
                           "run_rate") if c in table.columns]
    from .i18n import method_label
    for k in methods:
        ax.plot(table["month"], table[k], "o-" if k != "run_rate" else "k--", ms=3,
                label=method_label(k, lang))
    ax.set_ylabel("% " + ("sai số" if lang == "vi" else "error"))
    ax.set_xlabel(t("month", lang))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_group(a: Assessment, group: str, lang: str = "vi"):
    """One panel per indicator of a plan group that has something to draw; None if none."""
    ids = [r["indicator_id"] for _, r in a.table.iterrows()
           if a.catalog.get(r["indicator_id"]).group == group and r["kind"] in ("flow", "level")
           and (np.isfinite(r["estimate"]) or r["data_month"] > 0)]
    if not ids:
        return None
    ncols = 2 if len(ids) > 1 else 1
    nrows = (len(ids) + ncols - 1) // ncols
    height = 4.1 * nrows
    # Fixed margins: constrained layout would cost more than all the drawing here.
    fig = _figure((7.2 * ncols, height))
    grid = fig.add_gridspec(nrows, ncols, left=0.07, right=0.98, wspace=0.22,
                            top=1 - 0.75 / height, bottom=0.55 / height, hspace=1.6 / 4.1)
    for n, iid in enumerate(ids):  # no axes made for an empty last cell
        plot_indicator(a, iid, ax=fig.add_subplot(grid[divmod(n, ncols)]), lang=lang)
    return fig


LABEL_CHARS = 38  # a coverage row's name wraps after this many characters


def plot_coverage(cov: pd.DataFrame, ax=None, lang="vi"):
    """Indicator × month coverage (quality.coverage): green = received by its due day,
    orange = late, red = expected and never received."""
    from matplotlib.colors import ListedColormap

    if ax is None:
        # Fixed margins sized from the longest label: constrained layout would cost more
        # than the drawing.
        # Rows are named (not coded): a long name takes two lines, so the picture stays
        # narrow enough to shrink onto a phone's screen and the grid keeps 4,5 in.
        labels = [textwrap.fill(str(i), LABEL_CHARS) for i in cov.index]
        lines = max((x.count("\n") + 1 for x in labels), default=1)
        height = (0.25 if lines == 1 else 0.34) * len(cov) + 1.7
        longest = max((len(line) for x in labels for line in x.split("\n")), default=1)
        label_in = 0.15 + 0.07 * longest
        width = max(7.5, label_in + 4.6)
        left = label_in / width
        fig = _figure((width, height))
        ax = fig.add_axes((left, 0.6 / height, 0.99 - left, 1 - 1.2 / height))
    else:
        _use_font()
        fig = ax.figure
    ax.imshow(cov.to_numpy(dtype=float), cmap=ListedColormap(["#c62828", "#ef6c00", "#1b5e20"]),
              vmin=0,
              vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(12), range(1, 13))
    ax.set_yticks(range(len(cov)), [textwrap.fill(str(i), LABEL_CHARS) for i in cov.index],
                  fontsize=8, linespacing=0.95)
    ax.set_xlabel(t("month", lang))
    ax.set_title("Số liệu đã nhận theo tháng\n(xanh: đúng hạn, cam: gửi chậm, đỏ: thiếu, trắng: "
                 "không theo tháng hoặc chưa đến kỳ)" if lang == "vi" else "Figures received by "
                 "month\n(green: on time, orange: late, red: missing, blank: not monthly or not "
                 "yet due)", fontsize=10, y=TITLE_Y, loc="right")  # the grid is at the right
    _fixed_xlabel(ax)
    return fig


def to_png(fig, dpi: int = 90) -> bytes:
    """The figure as a 256-colour PNG: charts have a handful of colours and their
    anti-aliased edges, so the palette is invisible; the file is about a third of the
    true-colour one and encodes faster."""
    import io

    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas, old_dpi = fig.canvas, fig.dpi
    agg = FigureCanvasAgg(fig)  # as savefig does: borrow an Agg canvas, then give it back
    try:
        fig.set_dpi(dpi)
        agg.draw()
        image = Image.fromarray(np.asarray(agg.buffer_rgba()))
    finally:
        fig.set_dpi(old_dpi)
        fig.set_canvas(canvas)
    if image.getextrema()[3][0] < 255:  # a see-through background: on white, as a page shows
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image)
    buffer = io.BytesIO()
    image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE).save(
        buffer, format="png", dpi=(dpi, dpi))
    return buffer.getvalue()


WIDE_INCHES = 9.0  # wider than one panel: two side by side


def show(fig, alt: str | None = None) -> tuple[bytes, str] | None:
    """Display a figure in a notebook as one PNG with alt text, then free it; return both
    (the Word report reuses the PNG instead of drawing again).

    Rendering it ourselves draws it once; the inline backend's tight bounding box would
    draw every figure twice, which is most of a report's run time.
    """
    import base64
    import html

    from IPython.display import HTML, display

    if fig is None:
        return None
    if alt is None:
        titles = [" ".join(x for x in (ax.get_title(loc) for loc in ("left", "center", "right"))
                           if x).replace("\n", " ") for ax in fig.axes if ax.get_visible()]
        alt = " · ".join(x for x in titles if x)
    png = to_png(fig)
    data = base64.b64encode(png).decode("ascii")
    # A two-panel figure shrunk to a phone's width is unreadable: the published page's
    # stylesheet lets a wide chart keep a legible width and scroll inside its own box there.
    wide = fig.get_figwidth() > WIDE_INCHES
    # On a phone the box scrolls: it is a named region that takes the keyboard focus.
    name = html.escape(alt or "Biểu đồ")
    display(HTML(f'<div class="kpi-chart" tabindex="0" role="region" aria-label="{name}">'
                 f'<img alt="{name}" '
                 f'class="{"kpi-wide" if wide else "kpi-narrow"}" style="max-width:100%" '
                 f'src="data:image/png;base64,{data}"/></div>'))
    if getattr(fig.canvas, "manager", None) is not None:  # a pyplot figure: let pyplot go of it
        import matplotlib.pyplot as plt

        plt.close(fig)
    return png, alt or ""
