"""The parts of the Word report only a person can write: difficulties, tasks, proposals.

Numbers give results and an assessment; the causes of a shortfall and what the office will do
about it are judgement. The analyst writes them in a small Markdown file beside the data,
`<data>/report_text/<YYYY-MM>.md` (`<YYYY-MM>-<UNIT>.md` for a unit's report):

    ## Khó khăn, vướng mắc
    - Giải ngân vốn đầu tư công chậm do vướng giải phóng mặt bằng.

    ## Nhiệm vụ, giải pháp những tháng cuối năm
    - Tập trung tháo gỡ mặt bằng các dự án trọng điểm.

    ## Kiến nghị
    - Đề nghị tỉnh sớm giao dự toán thu ngân sách.

Each non-empty line is one paragraph. A heading the report does not know is an error naming
the line, so a typo never silently drops a section. No file, or a section left out: the report
shows a visible placeholder saying where to write it, never invented text.
"""

from __future__ import annotations

from pathlib import Path

from ..common.errors import KpiError

# Section key -> how its heading may start (Vietnamese, English), compared case-insensitively.
SECTIONS: dict[str, tuple[str, ...]] = {
    "difficulties": ("khó khăn", "difficulties"),
    "tasks": ("nhiệm vụ", "tasks"),
    "proposals": ("kiến nghị", "đề xuất", "proposals"),
}


def read_analyst_text(path: Path) -> dict[str, list[str]]:
    """{section key: paragraphs}; {} when the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise KpiError("the report text is not UTF-8", file=str(path),
                       fix="save it as UTF-8 (in Notepad: Save as… > Encoding UTF-8)") from None
    out: dict[str, list[str]] = {}
    current: str | None = None
    in_comment = False
    for row, raw in enumerate(lines, start=1):
        line = raw.strip()
        if in_comment or line.startswith("<!--"):
            in_comment = "-->" not in line  # a comment (<!-- … -->) may span lines
            continue
        if not line or line.startswith("# "):
            continue  # blank, or the file's own title
        if line.startswith("##"):
            heading = line.lstrip("#").strip().lower()
            current = next((k for k, starts in SECTIONS.items()
                            if heading.startswith(starts)), None)
            if current is None:
                raise KpiError("unknown section heading in the report text", file=str(path),
                               row=row, value=raw.strip(),
                               fix="use '## Khó khăn, vướng mắc', '## Nhiệm vụ, giải pháp …' "
                                   "or '## Kiến nghị'")
            if current in out:
                raise KpiError("this section appears twice in the report text",
                               file=str(path), row=row, value=raw.strip(),
                               fix="merge the two sections into one")
            out[current] = []
            continue
        if current is None:
            raise KpiError("text before the first section heading", file=str(path), row=row,
                           value=line[:60], fix="put it under '## Khó khăn, vướng mắc' or "
                                                "another section heading")
        out[current].append(line)
    return out


def analyst_file_shown(a, path) -> str:
    """The analyst's text file as the page and the Word name it: relative to the project,
    or from the data folder's name on; never a server's absolute path."""
    from ..common.paths import shown_path
    from ..inputs.snapshot import original_path

    source = a.dataset.source
    return shown_path(original_path(source, path),
                      base=source.meta.get("snapshot_of") or source.path)


def analyst_parts(a, lang: str = "vi") -> tuple[list[tuple[str, list[str]]], str | None]:
    """The analyst's text of an assessment's report as (section title, paragraphs), for the
    HTML page and the Excel "Nhận định" sheet; when the file is absent, no parts and the
    placeholder naming the real file to write (never a temporary copy's path)."""
    from .i18n import t
    from .report_setup import analyst_text_path

    path = analyst_text_path(a.dataset.source.path, a.period, a.unit, a.catalog.default_unit)
    text = read_analyst_text(path)
    if not text:
        # As the Word says it: relative to the project, never a server's absolute path.
        return [], t("analyst_missing", lang, file=analyst_file_shown(a, path))
    return [(t("analyst_" + key, lang), text[key]) for key in SECTIONS if text.get(key)], None
