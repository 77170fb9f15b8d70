"""The campaign's review (sơ kết 6 tháng, tổng kết năm) computed from one assessment.

Everything the council reads, as tables: each target's result and who answers for it, each
department's targets (the department view), and a scoreboard per cluster or block in force
at the end of the as-of month. Communes are scored on the unit grid's statuses (a commune
created on 1 July 2025 on its re-based history, and the review says so); departments on the
area's statuses of the targets they lead. At year-end (as-of December) a target with a
final figure is met or not met; every other one is still an estimate and marked provisional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ..plan.campaign import Campaign, Cluster
from .pipeline import Assessment, ds_unit
from .scoreboard import Scoreboard, score_cluster

REBASED_NOTE = "rebased"  # marker in the notes; outputs word it in the reader's language


@dataclass
class ClusterBoard:
    cluster: Cluster
    board: Scoreboard
    rebased: list[str] = field(default_factory=list)


@dataclass
class Review:
    assessment: Assessment
    campaign: Campaign
    targets: pd.DataFrame
    departments: pd.DataFrame
    boards: list[ClusterBoard]
    ended: list[Cluster]

    @property
    def area_table(self) -> pd.DataFrame:
        """The assessment's rows of the area (the targets the review reports on)."""
        return area_rows(self.assessment)

    @property
    def year_end(self) -> bool:
        return self.assessment.as_of == 12

    @property
    def day(self) -> date:
        return month_end(self.assessment.catalog.year, self.assessment.as_of)


def month_end(year: int, month: int) -> date:
    return (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).date()


def build_review(a: Assessment, campaign: Campaign, grid: pd.DataFrame) -> Review:
    """The review at the assessment's month; `grid` is `unit_grid(a)` (communes' statuses)."""
    day = month_end(a.catalog.year, a.as_of)
    targets = target_results(a, campaign)
    boards = []
    for cluster in campaign.clusters_at(day):
        if cluster.kind == "department":
            boards.append(ClusterBoard(cluster, department_board(a, campaign, cluster)))
        else:
            boards.append(commune_board(a, campaign, cluster, grid))
    ended = [c for c in campaign.clusters if c.valid_to < day and c.valid_to.year == day.year]
    return Review(a, campaign, targets, department_view(targets, campaign), boards, ended)


def department_review(a: Assessment, campaign: Campaign) -> Review:
    """Targets and the department view only (no scoreboards): cheap enough for every month."""
    targets = target_results(a, campaign)
    return Review(a, campaign, targets, department_view(targets, campaign), [], [])


def area_rows(a: Assessment) -> pd.DataFrame:
    area = ds_unit(a.dataset, a.unit)
    return a.table[a.table["unit_code"] == area] if area else a.table


def target_results(a: Assessment, campaign: Campaign) -> pd.DataFrame:
    """One row per target of the area: status, lead department, and how sure it is.

    `final`: an official figure for the whole year; `settled`: achieved or missed, which
    nothing can change (a final figure, or what is counted already past the target or the
    ceiling); `provisional`: at year-end, a status still resting on an estimate; `trend`:
    judged from the trend, without a figure this year (the assessment's provisional mark).
    """
    t = area_rows(a).set_index("indicator_id")
    rows = []
    for ind in a.catalog.indicators:
        if ind.id not in t.index:
            continue
        r = t.loc[ind.id]
        assignment = campaign.assignments.get(ind.id)
        final = bool(r.get("final", False)) and r["status"] in ("achieved", "missed")
        settled = r["status"] in ("achieved", "missed")
        rows.append({
            "indicator_id": ind.id, "item": ind.item, "group": ind.group,
            "lead": assignment.lead if assignment else "",
            "units": assignment.units if assignment else "",
            "status": r["status"], "final": final, "settled": settled,
            "provisional": a.as_of == 12 and not settled,
            "trend": bool(r.get("provisional", False)),
            "target_value": r.get("target_value"), "estimate": r.get("estimate"),
            "actual_to_date": r.get("actual_to_date"), "data_month": r.get("data_month"),
            "required_pace": r.get("required_pace"), "observed_pace": r.get("observed_pace"),
            "reason": r.get("reason", ""),
            "revision": _revision(a, ind.id),
        })
    return pd.DataFrame(rows)


def _revision(a: Assessment, indicator_id: str) -> str:
    rev = a.catalog.revision_notes.get(indicator_id)
    return f"{rev.decision} ({rev.effective:%d/%m/%Y})" if rev else ""


def department_view(targets: pd.DataFrame, campaign: Campaign) -> pd.DataFrame:
    """Each department's targets in the file's order, with status and what is required."""
    order = {code: n for n, code in enumerate(campaign.departments)}
    view = targets.assign(order=targets["lead"].map(order)).sort_values("order", kind="stable")
    return view.drop(columns="order").reset_index(drop=True)


def department_board(a: Assessment, campaign: Campaign, cluster: Cluster) -> Scoreboard:
    """A block of departments, each scored on the area's statuses of the targets it leads."""
    t = area_rows(a)
    rows = []
    applicable = {}
    for dept in cluster.members:
        led = campaign.led_by(dept)
        applicable[dept] = led
        for _, r in t[t["indicator_id"].isin(led)].iterrows():
            rows.append({"unit_code": dept, "indicator_id": r["indicator_id"],
                         "status": r["status"], "target_value": r.get("target_value"),
                         "estimate": r.get("estimate"), "p_meet": r.get("p_meet"),
                         "reason": r.get("reason", ""),
                         "provisional": bool(r.get("provisional", False))})
    frame = pd.DataFrame(rows, columns=["unit_code", "indicator_id", "status", "target_value",
                                        "estimate", "p_meet", "reason", "provisional"])
    names = {d: campaign.departments[d].name_vi for d in cluster.members}
    return score_cluster(frame, list(cluster.members), applicable, campaign.rule, names,
                         revisions=_revisions(a))


def _revisions(a: Assessment) -> dict[str, str]:
    return {iid: _revision(a, iid) for iid in a.catalog.revision_notes}


def commune_board(a: Assessment, campaign: Campaign, cluster: Cluster,
                  grid: pd.DataFrame) -> ClusterBoard:
    """A cluster of communes, scored on the unit grid's statuses."""
    registry = a.dataset.registry
    area = a.catalog.default_unit
    applicable = {u: applicable_targets(a, campaign, u, area) for u in cluster.members}
    year_start = date(a.catalog.year, 1, 1)
    rebased = [u for u in cluster.members if registry is not None
               and (registry.get(u).valid_from or year_start) > year_start]
    names = {u: registry.name(u) if registry else u for u in cluster.members}
    frame = grid if len(grid) else pd.DataFrame(columns=["unit_code", "indicator_id", "status"])
    board = score_cluster(frame, list(cluster.members), applicable, campaign.rule, names,
                          notes={u: REBASED_NOTE for u in rebased}, revisions=_revisions(a))
    return ClusterBoard(cluster, board, rebased)


def applicable_targets(a: Assessment, campaign: Campaign, unit: str, area: str) -> list[str]:
    """The targets assigned to a unit that also have a target for it in the catalog."""
    out = []
    for ind in a.catalog.indicators:
        assignment = campaign.assignments.get(ind.id)
        if assignment is None or not assignment.covers(unit, area):
            continue
        has_target = (a.catalog.unit_target(ind, unit) is not None
                      or (ind.rule == "reduce" and ind.scope == "any"))
        if has_target:
            out.append(ind.id)
    return out
