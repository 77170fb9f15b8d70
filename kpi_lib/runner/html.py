"""Reviewer HTML from an executed notebook: nbconvert's HTMLExporter in this process with
the "kpi" template (templates/kpi), code, prompts and parameter cells left out.

Exporters are built once per language and reused (one thread at a time each): building
one compiles the template again, ~0,15 s a notebook and 1 s for a process's first page,
while a reused one gives the same page (tests/test_kernels.py). Measured against
`jupyter nbconvert` as a separate process (1,2-2,8 s a notebook) by benchmarks/report.py.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .publish import keep_stderr_apart

TEMPLATES = Path(__file__).parent / "templates"
REMOVED_TAGS = {"injected-parameters", "parameters", "developer-note", "kpi-check"}


def export_html(notebook: Path, target: Path, lang: str) -> Path:
    """Self-contained HTML with code, prompts and the injected-parameters cell removed."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    keep_stderr_apart(nb, target.parent, notebook.stem)
    exporter = _take_exporter(lang)
    try:
        body, _ = exporter.from_notebook_node(nb)
    finally:
        _give_back_exporter(lang, exporter)
    target.write_text(body, encoding="utf-8")
    return target


_EXPORTERS: dict[str, list] = {}
_EXPORTERS_LOCK = threading.Lock()


def _take_exporter(lang: str):
    with _EXPORTERS_LOCK:
        idle = _EXPORTERS.get(lang)
        if idle:
            return idle.pop()
    return _new_exporter(lang)


def _give_back_exporter(lang: str, exporter) -> None:
    with _EXPORTERS_LOCK:
        _EXPORTERS.setdefault(lang, []).append(exporter)


def _new_exporter(lang: str):
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(extra_template_basedirs=[str(TEMPLATES)], template_name="kpi",
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, language_code=lang)
    exporter.register_preprocessor(TagRemovePreprocessor(
        remove_cell_tags=REMOVED_TAGS,
        enabled=True), enabled=True)
    return exporter


def warm_exporter(lang: str) -> None:
    """Import nbconvert and compile the template now (a thread does it while the kernel
    runs the first notebook), not when the first page is due."""
    import nbformat

    exporter = _take_exporter(lang)
    try:
        exporter.from_notebook_node(nbformat.v4.new_notebook())
    finally:
        _give_back_exporter(lang, exporter)
