"""Kobak et al.'s published integer-percentage series, reproduced from each year's prepared tables.

Published values (config/kobak_series.yml): the "either" excess of dkobak/elections'
2000-2024 series (1,000 binomial draws) and, for 2020, the value of Kobak's 2020 notebook,
which takes a different turnout numerator. Null of each check: our prepared table, with
Kobak et al.'s filters (valid + invalid > 0, >= 100 registered, turnout and leader share
<= 99 %, +-0.05 points) and the year's data scope, gives their number.

Tolerance. The exact Poisson-binomial excess (observed - exact null mean) does not depend on
the number of draws; the published number is a 1,000-draw Monte Carlo mean, so they must
agree within 3 of its standard errors, 3 * sd / sqrt(1000) (about +-11 stations). Our own
Monte Carlo excess is drawn with ``N_SIMS`` = 200 only (a few seconds a year); its
difference from the published value has standard error sd * sqrt(1/1000 + 1/200), and the
tolerance is 3 of those (about +-27 stations).
"""

from __future__ import annotations

import math

import pytest

from analysis.core import config
from analysis.report import panel

pytestmark = pytest.mark.dataset

N_SIMS = 200
SERIES = panel.load_kobak_series()


@pytest.mark.parametrize("name", list(SERIES))
def test_kobak_series_is_reproduced(name, mirror, processed_election):
    entry = SERIES[name]
    stations, votes = processed_election(entry["election"])
    row = panel.kobak_check(entry, stations, votes, config.load_election(entry["election"])["leader"],
                            n_sims=N_SIMS, seed=7)  # fmt: skip
    sd = row["null_sd"]
    assert abs(row["excess_exact"] - entry["excess"]) <= 3 * sd / math.sqrt(1000), row
    assert abs(row["excess_mc"] - entry["excess"]) <= 3 * sd * math.sqrt(1 / 1000 + 1 / N_SIMS), row
    assert row["agrees"] and abs(row["diff_se"]) <= 3


def test_the_2020_turnout_numerator_explains_the_two_published_values(mirror, processed_election):
    stations, votes = processed_election("ru2020")
    rows = {
        n: panel.kobak_check(SERIES[n], stations, votes, "YES", n_sims=10, seed=1) for n in ("ru2020", "ru2020_issued")
    }
    # each published value is matched by its own filter and missed by the other's (gap ~ 70 stations)
    for name, other in (("ru2020", "ru2020_issued"), ("ru2020_issued", "ru2020")):
        assert abs(rows[name]["diff_se"]) <= 3
        se = rows[name]["null_sd"] / math.sqrt(1000)
        assert abs(rows[name]["excess_exact"] - SERIES[other]["excess"]) > 10 * se
