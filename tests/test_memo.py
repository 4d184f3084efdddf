"""The content-hash cache of expensive calls (analysis.report.memo)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from analysis.report import memo
from analysis.stats import spikes


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    monkeypatch.setattr(memo, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.delenv(memo.CACHE_ENV, raising=False)
    return tmp_path / "cache"


calls = []


def _counted(x, *, scale=1.0):
    calls.append(1)
    return np.asarray(x) * scale


@dataclasses.dataclass(frozen=True)
class _Model:
    alpha: np.ndarray
    name: str


def test_key_depends_on_every_input_and_on_nothing_else():
    a = np.arange(5)
    key = memo.call_key(_counted, (a,), {"scale": 2.0})
    assert key == memo.call_key(_counted, (a.copy(),), {"scale": 2.0})
    assert key != memo.call_key(_counted, (a,), {"scale": 2})  # int and float differ
    assert key != memo.call_key(_counted, (a.astype(np.int32),), {"scale": 2.0})  # dtype
    assert key != memo.call_key(_counted, (a.reshape(5, 1),), {"scale": 2.0})  # shape
    b = a.copy()
    b[4] = 7
    assert key != memo.call_key(_counted, (b,), {"scale": 2.0})  # one value
    m1, m2 = _Model(np.array([1.0, 2.0]), "x"), _Model(np.array([1.0, 2.5]), "x")
    assert memo.call_key(_counted, (m1,), {}) != memo.call_key(_counted, (m2,), {})
    assert memo.call_key(_counted, (m1,), {}) == memo.call_key(_counted, (_Model(np.array([1.0, 2.0]), "x"),), {})


def test_key_changes_with_the_code_version(monkeypatch):
    a = np.arange(3)
    key = memo.call_key(_counted, (a,), {})
    monkeypatch.setattr(memo, "code_version", lambda fn: "edited")
    assert memo.call_key(_counted, (a,), {}) != key


def test_second_call_is_read_back_and_equal(cache_root):
    calls.clear()
    first = memo.cached_call(_counted, np.arange(4), scale=3.0)
    second = memo.cached_call(_counted, np.arange(4), scale=3.0)
    assert len(calls) == 1 and np.array_equal(first, second) and np.array_equal(first, [0, 3, 6, 9])
    memo.cached_call(_counted, np.arange(4), scale=4.0)
    assert len(calls) == 2 and len(list(cache_root.rglob("*.pkl"))) == 2
    assert not list(cache_root.rglob("*.tmp"))


def test_cache_off_computes_every_time(cache_root, monkeypatch):
    monkeypatch.setenv(memo.CACHE_ENV, "off")
    calls.clear()
    memo.cached_call(_counted, np.arange(2))
    memo.cached_call(_counted, np.arange(2))
    assert len(calls) == 2 and not cache_root.exists()


def test_random_generators_and_unknown_types_are_refused(cache_root):
    with pytest.raises(TypeError, match="seeds as ints"):
        memo.cached_call(_counted, np.arange(2), scale=np.random.default_rng(1))
    with pytest.raises(TypeError, match="cannot hash"):
        memo.cached_call(_counted, object())


def test_cached_rozenas_run_equals_a_fresh_one(cache_root):
    """The notebook's use: a Rozenas estimate read back is the estimate computed."""
    rng = np.random.default_rng(3)
    registered = rng.integers(300, 2000, 600)
    ballots = rng.binomial(registered, 0.6)
    votes = rng.binomial(ballots, 0.45)
    kw = dict(n_resamples=8, max_components=1, n_null=0, seed=5, other_kde=False)
    fresh = spikes.rozenas_spikes(votes, ballots, registered, **kw)
    stored = memo.cached_call(spikes.rozenas_spikes, votes, ballots, registered, **kw)
    again = memo.cached_call(spikes.rozenas_spikes, votes, ballots, registered, **kw)
    for result in (stored, again):
        assert result.spike_share_pct == fresh.spike_share_pct
        assert np.array_equal(result.resampled_max, fresh.resampled_max)
    assert len(list(cache_root.rglob("*.pkl"))) == 1
