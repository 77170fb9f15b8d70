"""The catalog schema: one pydantic description, its generated reference page, and
validation errors that name the file, the line and the field."""

from __future__ import annotations

from datetime import date

import pytest

from kpi_lib.common.errors import ValidationFailed
from kpi_lib.common.paths import PROJECT_ROOT
from kpi_lib.plan.catalog import load_catalog
from kpi_lib.plan.catalog_schema import json_schema, reference_markdown

MINIMAL = """\
catalog:
  id: x
  year: 2030
indicators:
  - id: A1
    name_vi: "Thu ngân sách"
    unit: "tỷ đồng"
    kind: flow
    rule: ge
    target: 100
"""


def test_committed_reference_page_is_generated_from_the_schema():
    page = (PROJECT_ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert page == reference_markdown(), (
        "docs/catalog.md is stale: python -m kpi_lib.plan.catalog_schema > docs/catalog.md")
    for key in ("default_unit", "units_file", "campaign_file", "target_of_setting", "revisions"):
        assert f"`{key}`" in page
    schema = (PROJECT_ROOT / "docs" / "catalog.schema.json").read_text(encoding="utf-8")
    assert schema == json_schema(), (
        "docs/catalog.schema.json is stale: python -m kpi_lib.plan.catalog_schema --json")


def test_every_shipped_catalog_validates():
    # Every YAML under data/ that is a catalog (the narrative templates, a store's
    # dataset.yaml, the campaign file and a term file, *_term.yaml, are other kinds of file).
    for path in [*(PROJECT_ROOT / "data").rglob("*.yaml")]:
        if path.name in ("templates.yaml", "dataset.yaml") or path.parent.name == "campaign" \
                or path.stem.endswith("_term"):
            continue
        load_catalog(path)


def test_error_names_file_line_and_field(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(MINIMAL.replace("kind: flow", "kind: stock").replace("target: 100",
                                                                          "taget: 100"),
                    encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        load_catalog(path)
    text = str(err.value)
    assert "plan.yaml:8: indicators[1] (A1).kind: unknown kind 'stock'" in text
    assert "plan.yaml:10: indicators[1] (A1): unknown key 'taget'" in text


def test_cross_entry_problem_has_a_line_too(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(MINIMAL + "    group: nowhere\ngroups:\n  - {id: econ, name_vi: Kinh tế}\n",
                    encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"plan\.yaml:11: indicator A1: unknown group"):
        load_catalog(path)


def test_campaign_file_is_a_documented_optional_key(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(MINIMAL.replace("year: 2030", "year: 2030\n  campaign_file: thi-dua.yaml"),
                    encoding="utf-8")
    (tmp_path / "thi-dua.yaml").write_text("{}\n", encoding="utf-8")  # checked when run
    assert load_catalog(path).meta["campaign_file"] == "thi-dua.yaml"


def test_catalog_without_groups_or_items_gets_one_named_group(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(MINIMAL.replace("year: 2030", "year: 2030\n  plan_vi: Kế hoạch X"),
                    encoding="utf-8")
    cat = load_catalog(path)
    assert [g["name_vi"] for g in cat.groups] == ["Kế hoạch X"]
    assert cat.get("A1").group == "all" and cat.get("A1").item == 1


def test_missing_place_names_are_warned(tmp_path, capsys):
    path = tmp_path / "plan.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    load_catalog(path, warn=True)
    err = capsys.readouterr().err
    assert "catalog.area_vi is not set" in err and "settings.report is not set" in err


@pytest.mark.parametrize("year, day", [(1985, date(1985, 1, 21)), (1996, date(1996, 2, 19)),
                                       (2024, date(2024, 2, 10)), (2025, date(2025, 1, 29)),
                                       (2033, date(2033, 1, 31)), (2061, date(2061, 1, 21))])
def test_tet_for_any_year(year, day):
    """Outside the old 2005–2030 table Tết was assumed in February; 2033 and 2061 are not."""
    from kpi_lib.engine.lunar import tet_date, tet_month

    assert tet_date(year) == day and tet_month(year) == day.month


def test_check_catalog_command(tmp_path):
    from .conftest import run_kpi

    path = tmp_path / "plan.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    ok = run_kpi("check-catalog", path)
    assert ok.returncode == 0 and "1 target(s)" in ok.stdout
    assert "catalog.area_vi is not set" in ok.stderr  # a warning, not a failure
    path.write_text(MINIMAL.replace("kind: flow", "kind: stock"), encoding="utf-8")
    bad = run_kpi("check-catalog", path)
    assert bad.returncode == 2 and "plan.yaml:8:" in bad.stderr and "Traceback" not in bad.stderr


def test_a_catalog_that_passed_is_not_checked_again_but_an_edited_one_is(tmp_path, monkeypatch):
    """The schema check is remembered by the file's checksum (a warm forecast skips building
    pydantic's models); one changed byte is a new file, checked and refused as before."""
    from kpi_lib.common import paths
    from kpi_lib.plan import catalog as catalog_module

    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    path = tmp_path / "plan.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert load_catalog(path).indicators[0].id == "A1"
    assert len(list((tmp_path / "cache" / "checked").iterdir())) == 1

    with monkeypatch.context() as m:  # the schema's models cannot even be imported
        m.setitem(__import__("sys").modules, "kpi_lib.plan.catalog_schema", None)
        assert load_catalog(path).indicators[0].id == "A1"
        with pytest.raises(ImportError):
            catalog_module._schema_problems({}, tmp_path / "other.yaml", {})
    path.write_text(MINIMAL.replace("kind: flow", "kind: flowz"), encoding="utf-8")
    with pytest.raises(ValidationFailed, match="flowz"):
        load_catalog(path)
    assert len(list((tmp_path / "cache" / "checked").iterdir())) == 1  # no pass remembered
