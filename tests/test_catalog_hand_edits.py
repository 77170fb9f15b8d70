"""Catalog and campaign files edited by hand: every mistake YAML would let through silently
(a second key, .nan, an alias bomb, a file that is not there…) is refused, with its line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from kpi_lib.common.errors import KpiError, ValidationFailed
from kpi_lib.common.paths import DEFAULT_CATALOG
from kpi_lib.plan.campaign import first_uncovered, load_campaign
from kpi_lib.plan.catalog import load_catalog
from kpi_lib.plan.units import registry_for

from .conftest import edited_catalog, entry, run_kpi

CAMPAIGN = DEFAULT_CATALOG.parents[1] / "campaign" / "binh_son_2025.yaml"
LINE = re.compile(r"\.yaml:(\d+)")


def _copy(tmp_path: Path, text: str, name: str = "catalog.yaml") -> Path:
    """The shipped catalog's text, edited, in the shipped catalog's folder layout (its
    relative units/campaign paths still point at the shipped files)."""
    folder = tmp_path / "catalog"
    folder.mkdir(exist_ok=True)
    for sub in ("units", "campaign"):
        link = tmp_path / sub
        if not link.exists():
            link.symlink_to(DEFAULT_CATALOG.parents[1] / sub)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _refusal(path: Path, load=load_catalog) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        load(path)
    return [str(p) for p in info.value.problems]


def _lines(problems: list[str]) -> list[int]:
    return [int(m.group(1)) for p in problems for m in [LINE.search(p)] if m]


# --- duplicate keys -------------------------------------------------------------------

def test_a_second_target_is_refused_with_its_line_not_silently_used(tmp_path):
    text = DEFAULT_CATALOG.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if line.strip() == "target: 28603.61")
    lines.insert(n + 1, lines[n].replace("28603.61", "1"))  # would make T01 "achieved"
    problems = _refusal(_copy(tmp_path, "".join(lines)))
    assert len(problems) == 1 and "key 'target' appears twice" in problems[0]
    assert _lines(problems) == [n + 2] and f"first on line {n + 1}" in problems[0]


def test_a_second_settings_block_is_refused_with_its_line(tmp_path):
    text = DEFAULT_CATALOG.read_text(encoding="utf-8") + "settings:\n  x: 1\n"
    problems = _refusal(_copy(tmp_path, text))
    assert "key 'settings' appears twice" in problems[0]
    assert _lines(problems) == [len(text.splitlines()) - 1]


def test_every_duplicated_key_of_the_shipped_catalog_is_refused_with_its_line(tmp_path):
    """The property: whichever key line of the catalog is written twice, the file is refused
    and the problem names the second line."""
    lines = DEFAULT_CATALOG.read_text(encoding="utf-8").splitlines(keepends=True)
    keys = [i for i, line in enumerate(lines) if re.match(r"^\s*[A-Za-z_]\w*:", line)]
    assert len(keys) > 300
    for n in keys[::3]:  # every third key line: all sections, a third of the time
        problems = _refusal(_copy(tmp_path, "".join(lines[:n + 1] + lines[n:])))
        assert any("appears twice" in p for p in problems), lines[n]
        assert n + 2 in _lines(problems), lines[n]


# --- numbers that are not numbers -----------------------------------------------------

@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "+.Inf"])
def test_non_finite_targets_revisions_and_settings_are_refused_with_their_line(tmp_path,
                                                                                 value):
    text = DEFAULT_CATALOG.read_text(encoding="utf-8")
    for old, new in (("target: 28603.61", f"target: {value}"),
                     ("province_assigned_budget_revenue: null",
                      f"province_assigned_budget_revenue: {value}")):
        problems = _refusal(_copy(tmp_path, text.replace(old, new, 1)))
        assert len(problems) == 1 and "is not a finite number" in problems[0]
        line = next(i for i, t in enumerate(text.splitlines(), 1) if old in t)
        assert _lines(problems) == [line]

    def revised(doc):
        entry(doc, "T10")["revisions"] = [{"effective": "2025-07-15", "target": float(
            value.replace(".", "").replace("NaN", "nan").replace("Inf", "inf")),
            "decision": "NQ 5"}]
    problems = _refusal(edited_catalog(tmp_path, revised))
    assert "revisions[1].target" in problems[0] and _lines(problems)


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_non_finite_campaign_weights_are_refused_with_their_line(tmp_path, catalog, value):
    text = CAMPAIGN.read_text(encoding="utf-8")
    edited = text.replace("weights: {T01: 2,", f"weights: {{T01: {value},")
    assert edited != text
    path = tmp_path / "campaign.yaml"
    path.write_text(edited, encoding="utf-8")
    problems = _refusal(path, lambda p: load_campaign(p, catalog, registry_for(catalog)))
    assert "is not a finite number" in problems[0] and _lines(problems) == [131]


@pytest.mark.parametrize("edit, words", [
    (lambda d: entry(d, "T01").update(tolerance=-0.5), "tolerance"),
    (lambda d: d["settings"]["thresholds"].update(on_track_p=0.2, off_track_p=0.6),
     "thresholds are inverted"),
    (lambda d: d["catalog"].update(year=True), "catalog.year"),
    (lambda d: entry(d, "T01").update(target=True), "indicators[1] (T01).target"),
])
def test_negative_tolerance_inverted_thresholds_and_booleans_as_numbers_are_refused(
        tmp_path, edit, words):
    problems = _refusal(edited_catalog(tmp_path, edit))
    assert any(words in p for p in problems) and len(_lines(problems)) == len(problems)


# --- aliases --------------------------------------------------------------------------

def _alias_bomb(levels: int) -> str:
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for n in range(1, levels):
        prev, name = chr(ord("a") + n - 1), chr(ord("a") + n)
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
    return text


def test_nested_aliases_are_refused_before_they_expand(tmp_path):
    """9**6 = 531,441 strings if expanded (one level more per ×9): refused at the first
    alias, without walking what it stands for."""
    path = tmp_path / "bomb.yaml"
    path.write_text("catalog: {id: x, year: 2030}\n" + _alias_bomb(6), encoding="utf-8")
    problems = _refusal(path)
    assert len(problems) == 1 and "alias" in problems[0] and _lines(problems) == [3]


def test_an_alias_bomb_26_levels_deep_is_refused(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb(26), encoding="utf-8")  # 9**26 strings if expanded
    assert "alias" in _refusal(path)[0]


def test_a_campaign_file_with_aliases_is_refused(tmp_path, catalog):
    path = tmp_path / "campaign.yaml"
    path.write_text(CAMPAIGN.read_text(encoding="utf-8") + "extra: &x [1]\nmore: *x\n",
                    encoding="utf-8")
    problems = _refusal(path, lambda p: load_campaign(p, catalog, registry_for(catalog)))
    assert "alias" in problems[0] and _lines(problems)


# --- files a catalog names ------------------------------------------------------------

@pytest.mark.parametrize("key", ["units_file", "campaign_file", "narrative_file",
                                 "crosswalk_file"])
def test_a_missing_file_named_by_the_catalog_is_caught_by_check_catalog(tmp_path, key):
    text = DEFAULT_CATALOG.read_text(encoding="utf-8")
    text = re.sub(rf"(  {key}: )\S+", r"\1../nowhere/gone.csv", text) if key in text else \
        text.replace("  year: 2025\n", f"  year: 2025\n  {key}: ../nowhere/gone.yaml\n")
    problems = _refusal(_copy(tmp_path, text))
    assert len(problems) == 1 and f"catalog.{key}: file not found" in problems[0]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(f"  {key}:"))
    assert _lines(problems) == [line]


def test_check_catalog_and_run_refuse_a_missing_narrative_file_before_any_notebook(tmp_path):
    text = DEFAULT_CATALOG.read_text(encoding="utf-8").replace(
        "  year: 2025\n", "  year: 2025\n  narrative_file: ../narrative/gone.yaml\n")
    path = _copy(tmp_path, text)
    checked = run_kpi("check-catalog", path)
    assert checked.returncode == 2 and "narrative_file: file not found" in checked.stderr
    out = tmp_path / "reports"
    ran = run_kpi("run", "--catalog", path, "--out", out, "--as-of", "2025-09")
    assert ran.returncode == 2, ran.stderr
    assert "catalog.yaml:8" in ran.stderr and "narrative_file: file not found" in ran.stderr
    assert "Traceback" not in ran.stderr and "cell" not in ran.stderr
    assert not (out / "_failed").exists() and not list(out.glob("2025-*"))


def test_every_refusal_of_a_hand_edited_catalog_names_its_line(tmp_path):
    """The property behind the examples: whatever is wrong, each problem says where."""
    edits = [
        lambda d: entry(d, "T01").update(kind="flows"),
        lambda d: entry(d, "T01").pop("name_vi"),
        lambda d: entry(d, "T01").update(group="nowhere"),
        lambda d: entry(d, "T02").update(derive={"type": "growth", "of": "T99"}),
        lambda d: entry(d, "T01").update(item=99) or d.setdefault("items", [
            {"number": 1, "name_vi": "x"}]),
        lambda d: d.update(unit_targets={"BINHSON": {"T99": 1, "T01": "x"}, "X": 3}),
        lambda d: d["catalog"].update(year="2025"),
        lambda d: d["catalog"].pop("year"),
        lambda d: entry(d, "T01").update(rollup={"method": "ratio"}),
        lambda d: d["settings"]["status_labels"]["on_track"].update(color="green-ish"),
    ]
    for n, edit in enumerate(edits):
        with pytest.raises(ValidationFailed) as info:
            load_catalog(edited_catalog(tmp_path, edit, f"c{n}.yaml"))
        for problem in info.value.problems:
            assert LINE.search(str(problem)), (n, str(problem))


# --- the campaign covers every day --------------------------------------------------

def test_a_cluster_for_january_to_march_and_a_copy_for_october_is_refused(tmp_path, catalog):
    doc = yaml.safe_load(CAMPAIGN.read_text(encoding="utf-8"))
    blocks = [c for c in doc["clusters"] if c["kind"] == "department"]
    first = blocks[0]
    first["valid_to"] = "2025-03-31"
    copy = dict(first, code=first["code"] + "_Q4", valid_from="2025-10-01",
                members=list(first["members"]),
                valid_to="2025-12-31")
    doc["clusters"].append(copy)
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    problems = _refusal(path, lambda p: load_campaign(p, catalog, registry_for(catalog)))
    assert any("in no khối thi đua on 01/04/2025" in p for p in problems), problems
    assert all(re.search(r"row \d+", p) for p in problems)


def test_first_uncovered_day_is_the_first_gap_of_any_set_of_spans():
    """The property behind the campaign check, against a day-by-day count."""
    import random
    from datetime import date, timedelta

    rng = random.Random(7)
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    for _ in range(300):
        spans = []
        for _ in range(rng.randint(0, 4)):
            a = start + timedelta(days=rng.randint(-20, 380))
            spans.append((a, a + timedelta(days=rng.randint(0, 200))))
        day, expected = start, None
        while day <= end:
            if not any(lo <= day <= hi for lo, hi in spans):
                expected = day
                break
            day += timedelta(days=1)
        assert first_uncovered(spans, start, end) == expected, spans


# --- kpi new-plan -----------------------------------------------------------------------

@pytest.mark.parametrize("area", ['Xã "An" Phú', "Xã An\\Phú", "Xã: An Phú # x", "Xã {An}"])
def test_new_plan_writes_a_valid_catalog_whatever_the_area_holds(tmp_path, area):
    from kpi_lib.inputs.new_plan import new_plan

    made = new_plan(tmp_path / "plan", area, 2026)
    cat = load_catalog(made["catalog"])
    assert cat.meta["area_vi"] == area and made["form"].is_file()


def test_new_plan_with_a_bad_unit_code_writes_nothing_and_the_corrected_run_works(tmp_path):
    folder = tmp_path / "plan"
    bad = run_kpi("new-plan", "--area", "Xã An Phú", "--year", "2026", "--unit", "A B'C",
                  "--dir", folder)
    assert bad.returncode == 2 and "nothing was written" in bad.stderr
    assert not folder.exists()
    good = run_kpi("new-plan", "--area", "Xã An Phú", "--year", "2026", "--dir", folder)
    assert good.returncode == 0, good.stderr
    assert load_catalog(folder / "catalog.yaml").default_unit == "XA_AN_PHU"


def test_new_plan_never_leaves_a_catalog_that_does_not_load(tmp_path, monkeypatch):
    """Whatever fails after the file is written (here: the check itself), it is taken back."""
    from kpi_lib.inputs import new_plan as module

    def refuse(path):
        raise KpiError("refused")
    monkeypatch.setattr(module, "load_catalog", refuse)
    with pytest.raises(KpiError):
        module.new_plan(tmp_path / "plan", "Xã An Phú", 2026)
    assert not (tmp_path / "plan").exists()


def test_new_plan_with_any_area_text_writes_a_catalog_that_loads_or_nothing(tmp_path):
    """The property: whatever characters the area's name holds, new-plan either writes a
    catalog that loads and names the place as given (on one line), or refuses and leaves
    nothing behind."""
    import random

    from kpi_lib.common.text import clean_line
    from kpi_lib.inputs.new_plan import new_plan

    rng = random.Random(11)
    alphabet = 'aĐô "\'\\:#{}[]&*!|>%@`,\n\t-?'
    for n in range(25):
        area = "Xã " + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        folder = tmp_path / f"p{n}"
        try:
            made = new_plan(folder, area, 2026)
        except KpiError:
            assert not folder.exists(), area
            continue
        assert load_catalog(made["catalog"]).meta["area_vi"] == clean_line(area), area
