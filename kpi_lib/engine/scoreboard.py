"""Scores and rankings of an emulation cluster, open to checking by every unit.

Rule (the campaign file's `scoring:`): a unit's score is Σ weight × points(status) ÷ Σ
weight over the targets that apply to it and have a status other than "no_data". Targets
without data are listed, not scored (a unit is not punished for a late report, nor rewarded
for one: the council sees the gap). A unit with fewer judged targets than `min_judged` is
"not ranked" and shown apart, never silently last. Equal scores share a rank ("1, 1, 3"),
ordered by name, and are marked as ties. The breakdown (one row per unit and target) is
returned beside the ranking so a unit can recompute its own position ("công khai, minh
bạch").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..plan.campaign import ScoringRule

SCORE_DECIMALS = 4  # scores equal to 4 decimals are a tie (no float noise deciding a rank)
BREAKDOWN_COLUMNS = ["unit_code", "indicator_id", "status", "provisional", "points", "weight",
                     "judged", "estimate", "p_meet", "target_value", "revision", "reason"]
RANKING_COLUMNS = ["unit_code", "name", "score", "rank", "tie", "ranked", "judged",
                   "applicable", "no_data", "weighted_points", "weighted_total", "proposal",
                   "note"]


@dataclass
class Scoreboard:
    """The ranking of one cluster and the breakdown it was computed from."""

    ranking: pd.DataFrame
    breakdown: pd.DataFrame


def score_cluster(statuses: pd.DataFrame, members: list[str], applicable: dict[str, list[str]],
                  rule: ScoringRule, names: dict[str, str] | None = None,
                  notes: dict[str, str] | None = None,
                  revisions: dict[str, str] | None = None) -> Scoreboard:
    """Rank `members` on their `applicable` targets' statuses.

    statuses: rows with unit_code, indicator_id, status (and provisional, estimate, p_meet,
    target_value, reason if known: the judgement of record, carried into the breakdown);
    a target that applies but has no row counts as "no_data" ("no figures").
    applicable: unit -> the targets that apply to it. names: unit -> display name.
    notes: unit -> a note shown beside it (e.g. "created 1/7/2025, scored on re-based
    history"). revisions: indicator -> the decision that revised its target, shown.
    """
    names, notes, revisions = names or {}, notes or {}, revisions or {}
    index = {(r.unit_code, r.indicator_id): r for r in statuses.itertuples(index=False)}
    rows = []
    for unit in members:
        for iid in applicable.get(unit, []):
            r = index.get((unit, iid))
            status = getattr(r, "status", "no_data") if r is not None else "no_data"
            # A trend-based (provisional) judgement is no result: awards rest on results.
            provisional = bool(getattr(r, "provisional", False)) if r is not None else False
            judged = status in rule.points and not provisional
            rows.append({
                "unit_code": unit, "indicator_id": iid, "status": status,
                "provisional": provisional,
                "points": rule.points[status] if judged else np.nan,
                "weight": rule.weight(iid), "judged": judged,
                "estimate": getattr(r, "estimate", np.nan) if r is not None else np.nan,
                "p_meet": getattr(r, "p_meet", np.nan) if r is not None else np.nan,
                "target_value": getattr(r, "target_value", np.nan) if r is not None else np.nan,
                "revision": revisions.get(iid, ""),
                "reason": ("provisional, judged from the trend: not scored" if provisional
                           else (getattr(r, "reason", "") or "") if r is not None
                           else "no figures"),
            })
    breakdown = pd.DataFrame(rows, columns=BREAKDOWN_COLUMNS)
    ranking = pd.DataFrame([_unit_score(breakdown, u, rule, names, notes) for u in members],
                           columns=[c for c in RANKING_COLUMNS if c not in ("rank", "tie",
                                                                             "proposal")])
    return Scoreboard(_rank(ranking, rule), breakdown)


def _unit_score(breakdown: pd.DataFrame, unit: str, rule: ScoringRule,
                names: dict[str, str], notes: dict[str, str]) -> dict:
    own = breakdown[breakdown["unit_code"] == unit]
    judged = own[own["judged"]]
    total = float(judged["weight"].sum())
    got = float((judged["weight"] * judged["points"]).sum())
    ranked = len(judged) >= max(rule.min_judged, 1) and total > 0
    return {"unit_code": unit, "name": names.get(unit, unit),
            "score": round(got / total, SCORE_DECIMALS) if ranked else np.nan,
            "ranked": ranked, "judged": len(judged), "applicable": len(own),
            "no_data": int((~own["judged"]).sum()), "weighted_points": got,
            "weighted_total": total, "note": notes.get(unit, "")}


def _rank(table: pd.DataFrame, rule: ScoringRule) -> pd.DataFrame:
    """Competition ranking of the ranked units; the others follow, unranked, by name."""
    table = table.copy()
    scores = table["score"].where(table["ranked"])
    table["rank"] = scores.rank(method="min", ascending=False).astype("Int64")
    table["tie"] = table["rank"].notna() & table.duplicated("rank", keep=False)
    best = table["rank"] == 1
    table["proposal"] = np.select(
        [best.fillna(False).to_numpy(bool) & (scores >= rule.commend_min_score).to_numpy(),
         (scores < rule.action_below).to_numpy()],
        ["commend", "action"], "")
    table = table.sort_values(["ranked", "rank", "name"], ascending=[False, True, True],
                              na_position="last")
    return table[RANKING_COLUMNS].reset_index(drop=True)
