"""`kpi review`: the campaign's mid-year (sơ kết) or year-end (tổng kết) review, published.

Writes `reports/review-YYYY-MM[-en]/`: `review.html` (the whole review), `phong-ban.html`
(the department view on its own page), `bao-cao-thi-dua-YYYY-MM.docx` (the Word report) and
`scoreboard.csv` (every scored row, with the judgement it used: the same as the monthly
report's units.csv for the same month).
Everything is built in a temporary folder and moved into place at the end, so a failed run
leaves the previous review untouched.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..common.errors import KpiError
from .publish import swap_into_place, work_folder


@dataclass
class PublishedReview:
    folder: Path
    html: Path
    departments: Path
    docx: Path
    seconds: float
    review: object = None  # the engine's Review the files were made from (for checks)
    draft: str = ""  # the draft notice the review carries ("DỰ THẢO — …"), if it is one


def run_review(as_of: str = "latest", data: str | None = None, catalog: str | None = None,
               out: str | Path | None = None, lang: str = "vi", vintage: str | None = None,
               today: date | None = None, use_ets: bool = True) -> PublishedReview:
    """Assess the area and its communes at `as_of`, score the clusters, write the review."""
    from ..common.paths import REPORTS_DIR
    from ..engine.campaign_review import build_review
    from ..engine.pipeline import run_assessment, unit_grid
    from ..outputs.i18n import check_lang
    from ..outputs.report_setup import setup_for
    from ..outputs.review import review_html, write_review_docx
    from ..outputs.review_text import build_doc, department_doc
    from ..plan.campaign import campaign_for
    from ..plan.catalog import load_catalog
    from ..plan.units import registry_for
    from .export import write_scoreboard_csv

    start = time.perf_counter()
    check_lang(lang)
    cat = load_catalog(catalog)
    campaign = campaign_for(cat, registry_for(cat))  # checked before any forecasting
    from ..engine.pipeline import parse_as_of
    from ..inputs.data import load_dataset
    from .monthly import report_cutoff

    # A review of a past month: what was received by its date (as a report's: report_cutoff).
    ds = load_dataset(cat, data, vintage=vintage)
    month = parse_as_of(as_of, ds)
    a = run_assessment(cat, data, as_of=month, use_ets=use_ets,
                       vintage=report_cutoff(cat, month, None, vintage, ds.latest_month()))
    review = build_review(a, campaign, unit_grid(a))
    out = Path(out) if out else REPORTS_DIR
    name = f"review-{a.period}" + ("-en" if lang == "en" else "")
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp = work_folder(out, name)
    except OSError as exc:
        raise KpiError(f"cannot write to the output folder {out} ({exc.strerror})",
                       fix="pass --out with a folder you can write to") from None
    try:
        # Dated as a report is: never before the figures and opinions it uses.
        dated = today or setup_for(a).report_date
        doc = build_doc(review, lang, dated)
        (tmp / "review.html").write_text(review_html(doc, cat.statuses), encoding="utf-8")
        (tmp / "phong-ban.html").write_text(review_html(department_doc(review, lang, dated),
                                                        cat.statuses), encoding="utf-8")
        write_review_docx(doc, cat, tmp / f"bao-cao-thi-dua-{a.period}.docx", dated, a.as_of)
        write_scoreboard_csv(review, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    target = out / name
    swap_into_place(tmp, target)  # under the lock of its name, like a month
    return PublishedReview(target, target / "review.html", target / "phong-ban.html",
                           target / f"bao-cao-thi-dua-{a.period}.docx",
                           time.perf_counter() - start, review, doc.draft)

