"""The catalog is data: the 32 indicators of the plan, loaded and validated from YAML."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from kpi_lib.common.errors import KpiError, ValidationFailed
from kpi_lib.plan.catalog import load_catalog

from .conftest import run_kpi

# Transcribed from ../shared/targets.md and section II.2 of Kế hoạch 21/KH-UBND.
PLAN = {
    "T01": ("about", 28603.61, 1), "T02": ("about", 9.48, 2), "T03a": ("about", 10.49, 3),
    "T03b": ("about", 37.52, 3), "T03c": ("about", 51.99, 3), "T04": ("ge", 100, 4),
    "T05a": ("ge", 35.58, 5), "T05b": ("ge", 8, 5), "T06": ("ge", 68.97, 6), "T07": ("ge", 85, 7),
    "T08a": ("ge", 100, 8), "T08b": ("ge", 1, 8), "T08c": ("ge", 1, 8), "T08d": ("yes", 1, 8),
    "T09a": ("ge", 1, 9), "T09b": ("ge", 81.69, 9), "T10": ("ge", 1600, 10), "T11": ("ge", 51, 11),
    "T12": ("ge", 0.77, 12), "T13": ("le", 0.79, 13), "T14": ("le", 5.9, 14), "T15": ("ge", 85, 15),
    "T16": ("ge", 96, 16), "T17": ("ge", 100, 17), "T18a": ("ge", 95, 18), "T18b": ("ge", 100, 18),
    "T19a": ("reduce", None, 19), "T19b": ("reduce", None, 19), "T19c": ("reduce", None, 19),
    "T20": ("gt", 85, 20), "T21": ("ge", 1740, 21), "T22": ("ge", 60, 22),
}


def test_catalog_matches_the_plan(catalog):
    got = {i.id: (i.rule, i.target, i.item) for i in catalog.indicators}
    assert got == PLAN
    assert len(catalog.indicators) == 32
    assert sorted({i.item for i in catalog.indicators}) == list(range(1, 23))


def test_kinds_follow_targets_md(catalog):
    kinds = {i.id: i.kind for i in catalog.indicators}
    assert [k for k, v in kinds.items() if v == "derived"] == ["T02", "T03a", "T03b", "T03c"]
    assert {k for k, v in kinds.items() if v == "flow"} == {"T01", "T04", "T10", "T19a", "T19b",
                                                           "T19c", "T21"}
    assert catalog.get("T14").direction == "lower" and catalog.get("T13").rule == "le"


def test_vietnamese_wording_is_kept(catalog):
    assert catalog.get("T01").name_vi == "Tổng giá trị sản xuất"
    assert catalog.get("T21").unit == "giấy"


def test_province_assigned_revenue_is_an_explicit_missing_setting(catalog):
    assert "province_assigned_budget_revenue" in catalog.settings
    assert catalog.missing_settings() == ["province_assigned_budget_revenue"]
    assert catalog.effective_target(catalog.get("T04")) is None


def test_another_catalog_loads_with_the_same_code(other_catalog):
    assert other_catalog.year == 2026 and other_catalog.default_unit == "XATN"
    assert other_catalog.effective_target(other_catalog.get("R1")) == 50.0
    assert other_catalog.thresholds["on_track_p"] == 0.8


@pytest.mark.parametrize("mutation, message", [
    (lambda d: d["indicators"][0].pop("target"), "missing target"),
    (lambda d: d["indicators"][0].update(rule="around"), "unknown rule 'around'"),
    (lambda d: d["indicators"][1].update(id="T01"), "duplicate indicator id"),
    (lambda d: d["indicators"][0].update(kind="stock"), "unknown kind"),
    (lambda d: d["settings"].pop("province_assigned_budget_revenue"), "needs setting"),
    (lambda d: d["indicators"][2].update(derive={"type": "share", "part": "S_XXX"}), "unknown id"),
    (lambda d: d["catalog"].pop("year"), "catalog: missing 'year'"),
    (lambda d: d["indicators"][0].update(taget=5), "unknown key 'taget'"),
])
def test_bad_catalog_names_the_problem(tmp_path, mutation, message):
    import yaml

    from kpi_lib.common.paths import DEFAULT_CATALOG
    doc = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    mutation(doc)
    path = tmp_path / "cat.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        load_catalog(path)
    assert message in str(err.value) and "cat.yaml" in str(err.value)


def test_missing_or_broken_catalog_file(tmp_path):
    with pytest.raises(KpiError, match="not found"):
        load_catalog(tmp_path / "nope.yaml")
    (tmp_path / "x.yaml").write_text("a: [1, 2", encoding="utf-8")
    with pytest.raises(KpiError, match="not valid YAML"):
        load_catalog(tmp_path / "x.yaml")


def test_cli_catalog_csv_has_the_required_columns():
    result = run_kpi("catalog", "--format", "csv")
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert {"id", "item", "name_vi", "unit", "kind", "rule", "target"} <= set(frame.columns)
    assert len(frame) == 32
    assert frame.set_index("id").loc["T01", "target"] == pytest.approx(28603.61)


def test_cli_catalog_table_flags_the_missing_setting():
    result = run_kpi("catalog")
    assert result.returncode == 0
    assert "Tổng giá trị sản xuất" in result.stdout and "28.603,61" in result.stdout
    assert "province_assigned_budget_revenue" in result.stdout


def test_cli_bad_catalog_is_a_message_not_a_traceback(tmp_path):
    (tmp_path / "x.yaml").write_text("catalog: {}\nindicators: []\n", encoding="utf-8")
    result = run_kpi("catalog", "--catalog", tmp_path / "x.yaml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "x.yaml" in result.stderr
