"""`kpi new-plan`: everything a new place needs to start, written without a question.

A commented catalog skeleton that already validates (one target to replace, the other
kinds shown in comments), an empty store that remembers that catalog, and the Excel form
of the year. The README's "Your own plan" goes from here to a first report.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from ..common.errors import KpiError
from ..common.text import clean_line
from ..plan.catalog import load_catalog
from .store import remember_catalog
from .template import write_template

SKELETON = """\
# Target catalog: {area}, {year}. Written by `kpi new-plan`; edit it to hold your plan.
# Every key is described in docs/catalog.md; `kpi check-catalog {name}` checks this file and
# names the line of any mistake. Text in quotes may be Vietnamese.
catalog:
  id: {id}
  year: {year}
  area_vi: {area_q}
  area_en: {area_q}
  province_vi: {province_q}
  # The code of the plan's area: figures without a unit code count for it. Files may also
  # use the codes listed in `units:` (e.g. villages), or name a registry with units_file.
  default_unit: {unit}
  plan_vi: "Kế hoạch phát triển kinh tế - xã hội năm {year}"
  plan_en: "Socio-economic plan {year}"

settings:
  # The Word report's facts (docs/catalog.md, settings.report): who issues it from when,
  # its place, the căn cứ and the recipients. Its date is a setting too (dates:).
  report:
    issuers:
      - valid_from: {year}-01-01
        valid_to: null
        example: true  # check the name, then drop this line
        name: {issuer_q}
        short: {short_q}
        code: "UBND"
    place: {place_q}
    day_of_next_month: 5
    recipients: ["Lưu: VT."]

groups:
  - {{id: economy, name_vi: "Kinh tế", name_en: "Economy"}}
  # - {{id: society, name_vi: "Văn hóa - xã hội", name_en: "Culture and society"}}

indicators:
  # Replace this example with your plan's targets, one entry each.
  - id: T01
    item: 1
    group: economy
    name_vi: "Thu ngân sách nhà nước trên địa bàn"
    name_en: "State budget revenue in the area"
    unit: "tỷ đồng"
    kind: flow          # amounts that add up over the year (monthly figures)
    rule: ge            # ≥ target
    target: 100
  # A rate read at a time (kind: level), "about" a target with a band:
  # - {{id: T02, item: 2, group: economy, name_vi: "Tỷ lệ hộ nghèo", unit: "%",
  #    kind: level, rule: le, direction: lower, target: 2.5}}
  # Fewer than last year (the baseline comes from the data, so no target):
  # - {{id: T03, item: 3, group: society, name_vi: "Số vụ tai nạn giao thông", unit: "vụ",
  #    kind: flow, rule: reduce, direction: lower}}
"""


UNIT_CODE = re.compile(r"^[A-Za-z0-9_-]+$")


def _quoted(text: str) -> str:
    """Text as a YAML double-quoted scalar: quotes, backslashes and line breaks escaped (a
    JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def ascii_code(text: str) -> str:
    """'Xã An Phú' -> 'XA_AN_PHU': a unit code from a Vietnamese name."""
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9]+", "_", plain).strip("_").upper() or "AREA"


def new_plan(folder: str | Path, area: str, year: int, province: str = "",
             unit: str | None = None) -> dict[str, Path]:
    """Write catalog.yaml, store/ and bieu-mau-YEAR.xlsx into `folder` (which must not hold
    a catalog already: nothing is overwritten)."""
    folder = Path(folder)
    catalog_path = folder / "catalog.yaml"
    if catalog_path.exists():
        raise KpiError(f"{catalog_path} already exists; nothing was written",
                       fix="pick another --dir, or edit that catalog")
    if not area.strip():
        raise KpiError("the area needs a name", fix='e.g. --area "Xã An Phú"')
    code = unit or ascii_code(area)
    if not UNIT_CODE.match(code):
        raise KpiError("a unit code holds only letters, digits, '_' and '-'; nothing was "
                       "written", value=code, fix="pass --unit like XA_AN_PHU")
    area = clean_line(area)  # a place name on one line (it also heads a comment)
    place = re.sub(r"^(Xã|Phường|Thị trấn|Huyện|Quận|Thị xã|Thành phố|Tỉnh)\s+", "", area)
    text = SKELETON.format(area=area, year=year, name=catalog_path,
                           id=ascii_code(area).lower().replace("_", "-") + f"-{year}",
                           unit=code, area_q=_quoted(area), province_q=_quoted(province.strip()),
                           issuer_q=_quoted(f"ỦY BAN NHÂN DÂN\n{area.upper()}"),
                           short_q=_quoted(f"UBND {area}"), place_q=_quoted(place))
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    catalog_path.write_text(text, encoding="utf-8")
    try:
        catalog = load_catalog(catalog_path)  # the skeleton must validate as written
    except KpiError:  # take back what was written, so a corrected re-run is not blocked
        catalog_path.unlink()
        if made:
            folder.rmdir()
        raise
    store = folder / "store"
    remember_catalog(store, catalog_path)
    form = write_template(catalog, year, folder / f"bieu-mau-{year}.xlsx")
    return {"catalog": catalog_path, "store": store, "form": form}
