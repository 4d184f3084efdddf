"""Numbers derived from the parsed report: exact percentages, roundings, long votes, shares."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pandas as pd

from analysis.data.kz2011.source import CANDIDATES, LEADER, PERCENT_DECIMALS


def percent(numerator: int, denominator: int) -> Decimal:
    """Exact percentage as a Decimal (28 significant digits)."""
    return Decimal(numerator) * 100 / Decimal(denominator)


def round_half_up(x: Decimal) -> Decimal:
    return x.quantize(PERCENT_DECIMALS, rounding=ROUND_HALF_UP)


def truncate(x: Decimal) -> Decimal:
    return x.quantize(PERCENT_DECIMALS, rounding=ROUND_DOWN)


def turnout_recomputed_pct(national: dict) -> Decimal:
    return percent(national["participated"], national["registered"])


def invalid_implied(national: dict) -> int:
    """Participants who cast no valid vote: participated - valid (invalid and unreturned ballots)."""
    return national["participated"] - national["valid"]


def votes_long(regions: pd.DataFrame) -> pd.DataFrame:
    """Long region/candidate/votes table, sorted by region then candidate."""
    long = regions.melt(id_vars="region", value_vars=list(CANDIDATES), var_name="candidate", value_name="votes")
    long["votes"] = long["votes"].astype("int64")
    return long.sort_values(["region", "candidate"], kind="mergesort").reset_index(drop=True)


def vote_share_by_region(votes: pd.DataFrame) -> pd.DataFrame:
    """Each candidate's share of the region's valid votes (percent), from the long votes table.

    Regional invalid ballots are not published, so the denominator is the sum of the
    candidates' votes in the region (valid votes), not valid + invalid.
    """
    valid = votes.groupby("region", sort=True)["votes"].transform("sum")
    out = votes.assign(valid_votes=valid, share_pct=100 * votes["votes"] / valid)
    return out[["region", "candidate", "votes", "valid_votes", "share_pct"]].reset_index(drop=True)


def leader_share_by_region(votes: pd.DataFrame, leader: str = LEADER) -> pd.DataFrame:
    """Leader's share of valid votes by region, sorted by share (descending), region (ascending)."""
    share = vote_share_by_region(votes)
    out = share[share["candidate"] == leader].rename(columns={"votes": "leader_votes", "share_pct": "leader_share_pct"})
    out = out[["region", "leader_votes", "valid_votes", "leader_share_pct"]]
    return out.sort_values(["leader_share_pct", "region"], ascending=[False, True], kind="mergesort").reset_index(
        drop=True
    )


def national_votes(votes: pd.DataFrame, valid: int) -> pd.DataFrame:
    """Each candidate's national votes (sum over regions) and share of the national valid votes."""
    out = votes.groupby("candidate", sort=True)["votes"].sum().reset_index()
    out["share_pct"] = 100 * out["votes"] / valid
    return out.sort_values(["votes", "candidate"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
