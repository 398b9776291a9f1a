"""The statistical methods against oracles: coverage by simulation, closed forms, hand-computed
examples and scipy's independent implementations."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from neurodream import stats


def _coverage(draw, interval, truth, reps, seed=0):
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        lo, hi = interval(draw(rng))
        hits += lo <= truth <= hi
    return hits / reps


@pytest.mark.parametrize("n", [10, 100])
def test_t_interval_of_a_mean_covers_95_percent(n):
    cov = _coverage(lambda r: r.normal(0.3, 0.84, n), stats.mean_interval, 0.3, reps=4000)
    assert 0.94 <= cov <= 0.96  # Monte-Carlo SE 0.0034


def test_t_interval_holds_on_final_return_like_data_where_the_percentile_bootstrap_does_not():
    # a mixture like the runs' final returns: a quarter stuck near -2, the rest spread around 0
    def draw(r):
        stuck = r.random(10) < 0.25
        return np.where(stuck, r.normal(-1.95, 0.05, 10), r.normal(0.0, 0.6, 10))

    truth = 0.25 * -1.95
    t_cov = _coverage(draw, stats.mean_interval, truth, reps=3000)

    def percentile_bootstrap(x, rng=np.random.default_rng(1)):
        means = rng.choice(x, size=(2000, x.size)).mean(axis=1)
        return np.quantile(means, 0.025), np.quantile(means, 0.975)

    boot_cov = _coverage(draw, percentile_bootstrap, truth, reps=1000)
    assert t_cov >= 0.925
    assert boot_cov < t_cov - 0.02  # why the package no longer reports percentile-bootstrap intervals


@pytest.mark.parametrize("n", [10, 100])
def test_welch_interval_covers_95_percent_with_unequal_spreads(n):
    def interval(pair):
        res = stats.welch(*pair)
        return res["ci_low"], res["ci_high"]

    cov = _coverage(lambda r: (r.normal(0.3, 0.5, n), r.normal(0.0, 1.2, n)), interval, 0.3, reps=4000)
    assert 0.94 <= cov <= 0.96


def test_welch_p_matches_scipy_and_rejects_at_its_nominal_rate():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 12), rng.normal(0.5, 2, 9)
    assert stats.welch(a, b)["p_two_sided"] == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue)
    rejections = np.mean([stats.welch(rng.normal(0, 1, 10), rng.normal(0, 2, 10))["p_two_sided"] < 0.05
                          for _ in range(3000)])
    assert 0.04 <= rejections <= 0.06


def test_exact_mann_whitney_p_matches_scipys_exact_distribution():
    rng = np.random.default_rng(0)
    for n_a, n_b in [(10, 10), (5, 8), (3, 1)]:
        for _ in range(5):
            a, b = rng.normal(0.5, 1, n_a), rng.normal(0, 1, n_b)
            U = sps.mannwhitneyu(a, b).statistic
            mine = stats.exact_mann_whitney_p(U, n_a, n_b)
            assert mine["one_sided"] == pytest.approx(sps.mannwhitneyu(a, b, alternative="greater", method="exact").pvalue)
            assert mine["two_sided"] == pytest.approx(sps.mannwhitneyu(a, b, method="exact").pvalue)
    # closed form: U = n_a n_b happens in one arrangement of C(n_a + n_b, n_a)
    assert stats.exact_mann_whitney_p(100, 10, 10)["one_sided"] == pytest.approx(1 / math.comb(20, 10))
    with pytest.raises(ValueError, match="U = 101"):
        stats.exact_mann_whitney_p(101, 10, 10)


def test_mann_whitney_reports_both_sidednesses():
    res = stats.mann_whitney([3, 4, 5], [0, 1, 2])
    assert res["U"] == 9
    assert res["p_one_sided_greater"] == pytest.approx(0.05)
    assert res["p_two_sided"] == pytest.approx(0.1)


def test_friedman_uses_complete_seeds_and_finds_a_clear_difference():
    rng = np.random.default_rng(0)
    per_seed = pd.DataFrame({"a": rng.normal(0, 1, 12), "b": rng.normal(0, 1, 12)})
    per_seed["c"] = per_seed.a + 3
    per_seed.loc[0, "b"] = np.nan
    res = stats.friedman(per_seed)
    assert res["seeds"] == 11 and res["arms"] == 3 and res["df"] == 2
    assert res["p"] < 0.001
    same = pd.DataFrame({"a": [1.0, 2, 3], "b": [1.0, 2, 3], "c": [1.0, 2, 3]})
    with pytest.raises(ValueError, match="at least 3 arms"):
        stats.friedman(same[["a", "b"]])


def test_friedman_rejects_at_its_nominal_rate_under_the_null():
    rng = np.random.default_rng(1)
    p = [stats.friedman(pd.DataFrame(rng.normal(size=(10, 8))))["p"] for _ in range(1500)]
    assert 0.03 <= np.mean(np.array(p) < 0.05) <= 0.065


def test_holm_by_hand():
    np.testing.assert_allclose(stats.holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(stats.holm([0.5, np.nan, 0.9]), [1.0, np.nan, 1.0])


def test_kaplan_meier_by_hand_and_against_scipy():
    times = [1, 2, 2, 3, 4, 5]
    seen = [1, 1, 0, 1, 0, 1]
    km = stats.kaplan_meier(times, seen)
    np.testing.assert_allclose(km.survival, [5 / 6, 2 / 3, 4 / 9, 0.0])
    assert km.at_risk.tolist() == [6, 5, 3, 1]
    assert stats.km_median(times, seen)["median"] == 3.0
    rng = np.random.default_rng(2)
    t = rng.exponential(500, 40).round()
    c = rng.random(40) < 0.7
    km = stats.kaplan_meier(t, c)
    data = sps.CensoredData(uncensored=t[c], right=t[~c])
    sf = sps.ecdf(data).sf
    np.testing.assert_allclose(km.survival, sf.evaluate(km.time.to_numpy()))
    with warnings.catch_warnings():  # scipy warns that the band is undefined where S is 0 or 1
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = sf.confidence_interval(method="log-log")
    inner = (km.survival > 0) & (km.survival < 1)
    np.testing.assert_allclose(km.ci_low[inner], ci.low.evaluate(km.time[inner].to_numpy()), rtol=1e-6)
    np.testing.assert_allclose(km.ci_high[inner], ci.high.evaluate(km.time[inner].to_numpy()), rtol=1e-6)


def test_km_median_interval_covers_the_true_median_under_censoring():
    # exponential times (median 500 ln 2), every run censored at 2000 games as the studies are
    truth = 500 * math.log(2)
    rng = np.random.default_rng(4)
    hits = 0
    reps = 600
    for _ in range(reps):
        t = rng.exponential(500, 50)
        seen = t < 2000
        res = stats.km_median(np.minimum(t, 2000), seen)
        hits += res["ci_low"] <= truth <= res["ci_high"]
    assert 0.92 <= hits / reps <= 0.98


def test_km_median_is_censored_when_most_runs_never_reach_the_level():
    res = stats.km_median([100, 2000, 2000, 2000], [True, False, False, False])
    assert math.isnan(res["median"]) and res["reached"] == 1 and res["runs"] == 4


def test_logrank_against_scipy():
    rng = np.random.default_rng(5)
    ta, tb = rng.exponential(400, 30).round(), rng.exponential(700, 25).round()
    ca, cb = ta < 1000, tb < 1000
    ta, tb = np.minimum(ta, 1000), np.minimum(tb, 1000)
    mine = stats.logrank(ta, ca, tb, cb)
    ref = sps.logrank(sps.CensoredData(uncensored=ta[ca], right=ta[~ca]),
                      sps.CensoredData(uncensored=tb[cb], right=tb[~cb]))
    assert mine["statistic"] == pytest.approx(ref.statistic ** 2)
    assert mine["p_two_sided"] == pytest.approx(ref.pvalue)


def test_icc_interval_covers_the_true_share():
    # the paper design's false-positive study: 6 draws x 10 readout seeds, a true share of 0.17
    share, k, n = 0.17, 6, 10
    rng = np.random.default_rng(6)
    hits = 0
    reps = 2000
    for _ in range(reps):
        x = math.sqrt(share) * rng.standard_normal((k, 1)) + math.sqrt(1 - share) * rng.standard_normal((k, n))
        res = stats.icc_interval(list(x))
        hits += res["share_ci_low"] <= share <= res["share_ci_high"]
    assert 0.935 <= hits / reps <= 0.965


def test_icc_recovers_a_known_share_and_refuses_unequal_groups():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((400, 1)) + rng.standard_normal((400, 10))
    res = stats.icc_interval(list(x))
    assert res["share_between"] == pytest.approx(0.5, abs=0.05)
    assert res["share_ci_low"] < 0.5 < res["share_ci_high"]
    with pytest.raises(ValueError, match="equal size"):
        stats.icc_interval([[1, 2, 3], [1, 2]])


def test_sd_conventions_are_explicit():
    assert stats.sd([1, 3], 0) == 1.0
    assert stats.sd([1, 3], 1) == pytest.approx(math.sqrt(2))
    with pytest.raises(ValueError, match="ddof = 2"):
        stats.sd([1, 2, 3], 2)


def _candidate_runs(offsets, runs=5, seed=0, spread=0.3):
    rng = np.random.default_rng(seed)
    rows = []
    for name, off in offsets.items():
        for r in range(runs):
            for g in range(400):
                rows.append({"setting": name, "seed": r, "game": g,
                             "return": -1.6 + 0.002 * g + off + rng.normal(0, spread)})
    return pd.DataFrame(rows)


def _published_runs(runs=10, seed=1, spread=0.3):
    rng = np.random.default_rng(seed)
    games = np.arange(50, 401, 50)
    return pd.DataFrame([{"run": r, "games": g, "mean_return": -1.6 + 0.002 * (g - 25.5) + rng.normal(0, spread / 7)}
                         for r in range(runs) for g in games])


def test_calibration_selection_bootstrap_is_firm_when_candidates_are_far_apart_and_not_when_close():
    from neurodream import baseline_fit

    pub = _published_runs()
    far = baseline_fit.selection_bootstrap(_candidate_runs({"low": -0.5, "right": 0.0, "high": 0.5}), pub, n_boot=500)
    assert far.picked_share.sum() == pytest.approx(1.0)
    assert far.set_index("setting").picked_share["right"] > 0.95
    close = baseline_fit.selection_bootstrap(_candidate_runs({"a": -0.01, "b": 0.0, "c": 0.01}, spread=1.5), pub,
                                             n_boot=500).set_index("setting").picked_share
    assert close.max() < 0.8  # three nearly equal candidates: no firm choice


def test_welch_from_summary_equals_welch_on_the_data():
    rng = np.random.default_rng(8)
    a, b = rng.normal(0.4, 0.5, 10), rng.normal(-0.2, 0.7, 10)
    full = stats.welch(a, b)
    summ = stats.welch_from_summary(a.mean(), a.std(ddof=1), 10, b.mean(), b.std(ddof=1), 10)
    for key in ("mean_difference", "ci_low", "ci_high", "p_two_sided", "df"):
        assert summ[key] == pytest.approx(full[key])
