"""The emulation campaign: the campaign file's checks and the ranking rule on hand-made cases."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from kpi_lib.common.errors import ValidationFailed
from kpi_lib.engine.scoreboard import score_cluster
from kpi_lib.plan.campaign import ScoringRule, campaign_for, load_campaign
from kpi_lib.plan.units import registry_for

from .conftest import edited_catalog

RULE = ScoringRule(points={"achieved": 1.0, "on_track": 1.0, "at_risk": 0.5, "off_track": 0.0,
                           "missed": 0.0},
                   weights={"T01": 2.0}, commend_min_score=0.75, action_below=0.5)


def statuses(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit_code", "indicator_id", "status"])


def board(rows, members, applies=("T01", "T16", "T19a"), **kw):
    return score_cluster(statuses(rows), members, {u: list(applies) for u in members}, RULE,
                         names={u: f"Xã {u}" for u in members}, **kw)


def test_score_is_the_weighted_share_of_points():
    b = board([("A", "T01", "achieved"), ("A", "T16", "at_risk"), ("A", "T19a", "off_track")],
              ["A"])
    row = b.ranking.iloc[0]
    # (2×1 + 1×0.5 + 1×0) ÷ (2 + 1 + 1)
    assert row["score"] == pytest.approx(2.5 / 4)
    assert (row["weighted_points"], row["weighted_total"]) == (2.5, 4.0)
    assert list(b.breakdown["points"]) == [1.0, 0.5, 0.0]


def test_a_provisional_judgement_is_listed_not_scored():
    """Awards rest on results: a status judged only from the trend is not scored."""
    frame = statuses([("A", "T01", "achieved"), ("A", "T16", "off_track")]).assign(
        provisional=[False, True])
    b = score_cluster(frame, ["A"], {"A": ["T01", "T16"]}, RULE, names={"A": "Xã A"})
    row = b.ranking.iloc[0]
    assert row["score"] == pytest.approx(1.0) and row["no_data"] == 1
    assert "not scored" in b.breakdown.set_index("indicator_id").loc["T16", "reason"]


def test_a_missed_target_is_scored_never_dropped():
    """A ceiling already passed ('missed', final) counts 0 points; it must not vanish from the
    denominator as if the unit had no data."""
    b = board([("A", "T01", "achieved"), ("A", "T16", "achieved"), ("A", "T19a", "missed")],
              ["A"])
    row = b.ranking.iloc[0]
    assert row["score"] == pytest.approx(3 / 4) and row["no_data"] == 0


def test_ties_share_a_rank_and_are_marked():
    rows = [("A", "T01", "on_track"), ("A", "T16", "off_track"), ("A", "T19a", "achieved"),
            ("B", "T01", "achieved"), ("B", "T16", "achieved"), ("B", "T19a", "off_track"),
            ("C", "T01", "off_track"), ("C", "T16", "at_risk"), ("C", "T19a", "at_risk")]
    r = board(rows, ["B", "C", "A"]).ranking
    assert list(r["unit_code"]) == ["A", "B", "C"]  # A and B tie: by name
    assert list(r["rank"]) == [1, 1, 3]
    assert list(r["tie"]) == [True, True, False]
    # A tie at the top: both proposed for commendation (score 0,75 ≥ 0,75).
    assert list(r["proposal"]) == ["commend", "commend", "action"]


def test_a_unit_without_data_is_not_ranked_last_but_shown_apart():
    rows = [("A", "T01", "off_track"), ("A", "T16", "off_track"), ("A", "T19a", "off_track"),
            ("B", "T01", "no_data")]
    r = board(rows, ["A", "B"]).ranking.set_index("unit_code")
    assert r.loc["A", "rank"] == 1 and r.loc["A", "score"] == 0
    assert not r.loc["B", "ranked"] and pd.isna(r.loc["B", "rank"]) and pd.isna(r.loc["B", "score"])
    assert r.loc["B", "no_data"] == 3  # one no_data row and two with no row at all
    assert r.loc["B", "proposal"] == ""  # neither commended nor flagged for action
    # The unit without data comes after the ranked ones, not ranked last among them.
    assert list(board(rows, ["B", "A"]).ranking["unit_code"]) == ["A", "B"]


def test_a_cluster_where_nobody_has_data_ranks_nobody_and_proposes_nobody():
    r = board([("A", "T01", "no_data")], ["A", "B"]).ranking
    assert not r["ranked"].any() and r["rank"].isna().all() and (r["proposal"] == "").all()
    assert not r["tie"].any()


def test_targets_without_data_are_left_out_of_the_score_not_counted_as_zero():
    rows = [("A", "T01", "achieved"), ("A", "T16", "no_data"), ("A", "T19a", "achieved")]
    r = board(rows, ["A"]).ranking.iloc[0]
    assert r["score"] == 1.0 and (r["judged"], r["applicable"], r["no_data"]) == (2, 3, 1)


def test_min_judged_keeps_a_unit_with_too_few_judged_targets_out_of_the_ranking():
    rule = ScoringRule(points=RULE.points, min_judged=2)
    rows = [("A", "T01", "achieved"), ("B", "T01", "on_track"), ("B", "T16", "at_risk")]
    r = score_cluster(statuses(rows), ["A", "B"], {"A": ["T01", "T16"], "B": ["T01", "T16"]},
                      rule).ranking.set_index("unit_code")
    assert not r.loc["A", "ranked"] and r.loc["B", "rank"] == 1


def test_a_unit_created_mid_year_is_scored_on_its_rebased_statuses_and_says_so():
    rows = [("DONGSON", "T16", "on_track"), ("DONGSON", "T19a", "at_risk"),
            ("VANTUONG", "T16", "off_track"), ("VANTUONG", "T19a", "at_risk")]
    note = "thành lập 01/7/2025: chấm trên số liệu quy đổi từ các xã cũ"
    r = board(rows, ["VANTUONG", "DONGSON"], applies=("T16", "T19a"),
              notes={"DONGSON": note, "VANTUONG": note}).ranking
    assert list(r["unit_code"]) == ["DONGSON", "VANTUONG"]
    assert r.iloc[0]["score"] == 0.75 and r.iloc[0]["rank"] == 1
    assert (r["note"] == note).all()


def test_a_revised_target_is_shown_in_the_breakdown_beside_the_status_it_gave():
    frame = pd.DataFrame([("A", "T16", "on_track", 94.0, "")],
                         columns=["unit_code", "indicator_id", "status", "target_value",
                                  "reason"])
    b = score_cluster(frame, ["A"], {"A": ["T16"]}, RULE,
                      revisions={"T16": "Nghị quyết số 99/NQ-HĐND (ví dụ)"}).breakdown
    assert b.iloc[0]["target_value"] == 94.0
    assert b.iloc[0]["revision"] == "Nghị quyết số 99/NQ-HĐND (ví dụ)"


def test_only_the_applicable_targets_count():
    rows = [("A", "T01", "off_track"), ("A", "T16", "achieved")]
    r = score_cluster(statuses(rows), ["A"], {"A": ["T16"]}, RULE).ranking.iloc[0]
    assert r["score"] == 1.0 and r["applicable"] == 1


# --- the campaign file -------------------------------------------------------------------

def test_shipped_campaign_loads_and_assigns_every_target(catalog):
    camp = campaign_for(catalog, registry_for(catalog))
    assert set(camp.assignments) == {i.id for i in catalog.indicators}
    assert camp.assignments["T16"].lead == "P_YTE"
    from datetime import date

    before = {c.code for c in camp.clusters_at(date(2025, 6, 30))}
    after = {c.code for c in camp.clusters_at(date(2025, 7, 31))}
    assert before != after and "CUM_2025H2" in after and "CUM1_2025H1" in before
    assert "cách hiểu" in camp.reading("vi")


def _broken(tmp_path: Path, edit) -> Path:
    src = Path(__file__).parents[1] / "data" / "campaign" / "binh_son_2025.yaml"
    doc = yaml.safe_load(src.read_text(encoding="utf-8"))
    edit(doc)
    out = tmp_path / "campaign.yaml"
    out.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def _problems(tmp_path, catalog, edit) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        load_campaign(_broken(tmp_path, edit), catalog, registry_for(catalog))
    return [str(p) for p in info.value.problems]


def test_a_commune_that_did_not_exist_all_the_cluster_period_is_refused(tmp_path, catalog):
    def edit(doc):
        doc["clusters"][0]["members"].append("DONGSON")  # created 1 July, cluster ends 30 June

    problems = _problems(tmp_path, catalog, edit)
    assert len(problems) == 1
    text = problems[0]
    assert "campaign.yaml" in text and "row " in text and "clusters[1].members" in text
    assert "Xã Đông Sơn did not exist" in text and "one list before and one after" in text


def test_unknown_ids_missing_assignments_and_bad_points_are_all_listed(tmp_path, catalog):
    def edit(doc):
        doc["assignments"] = [a for a in doc["assignments"] if a["indicator"] != "T22"]
        doc["assignments"][0]["lead"] = "P_NOWHERE"
        doc["scoring"]["points"]["at_risk"] = 5
        doc["scoring"]["weights"]["T99"] = 1
        doc["clusters"][1]["members"].append("BINHTRI")  # already in cluster 1, same period

    text = "\n".join(_problems(tmp_path, catalog, edit))
    for words in ("target T22 has no lead department", "lead 'P_NOWHERE' of T01",
                  "points for 'at_risk'", "weight for unknown indicator 'T99'",
                  "BINHTRI is in CUM1_2025H1 and CUM2_2025H1"):
        assert words in text


def test_a_commune_or_department_in_no_cluster_is_refused_not_silently_unranked(tmp_path,
                                                                                  catalog):
    def edit(doc):
        doc["clusters"][3]["members"].remove("VANTUONG")  # the cluster from 1 July
        doc["clusters"][4]["members"].remove("P_KTHT")

    text = "\n".join(_problems(tmp_path, catalog, edit))
    assert "Xã Vạn Tường is in no cụm thi đua on 01/07/2025" in text
    assert "P_KTHT is in no khối thi đua on 01/01/2025" in text


def test_a_catalog_without_campaign_file_says_how_to_add_it(tmp_path):
    from kpi_lib.common.errors import KpiError
    from kpi_lib.plan.catalog import load_catalog

    cat = load_catalog(edited_catalog(tmp_path, lambda d: d["catalog"].pop("campaign_file")))
    with pytest.raises(KpiError, match="campaign_file"):
        campaign_for(cat, registry_for(cat))


# --- the sample extended for the campaign -------------------------------------------------

def test_sample_road_deaths_and_injuries_by_commune_add_up_to_the_district_exactly(catalog):
    """T19b/T19c are split by commune (Tịnh Hòa reports zeros): the area's monthly figures
    are the district series they came from, in every month, before and after 1 July 2025."""
    import numpy as np

    from kpi_lib.common.paths import SAMPLE_DIR
    from kpi_lib.inputs.data import load_dataset
    from kpi_lib.inputs.sample import generate
    from kpi_lib.inputs.tidy import at_vintage, ytd_table

    raw = pd.read_csv(SAMPLE_DIR / "observations.csv", dtype={"period": str})
    for iid in ("T19b", "T19c"):
        units = set(raw.loc[raw["indicator_id"] == iid, "unit_code"])
        assert "BINHSON" not in units and {"CHAUO", "DONGSON", "TINHHOA"} <= units
    _, truth = ytd_table(at_vintage(generate(communes=False)))
    _, area = ytd_table(load_dataset(catalog, str(SAMPLE_DIR)).obs)
    for iid in ("T19b", "T19c"):
        for year in range(2020, 2026):
            months = list(range(1, 13 if year < 2025 else 10))
            np.testing.assert_array_equal(area.loc[(iid, "BINHSON", year), months].to_numpy(),
                                          truth.loc[(iid, "BINHSON", year), months].to_numpy())
