"""The statistical methods the notebooks report, each with its behaviour checked by a test.

Every interval here has had its coverage checked by simulation (``tests/test_stats.py``): the
t-interval of a mean and Welch's interval of a difference of means cover 95 % of the time at n = 10
and n = 100 (the percentile bootstrap of a mean of 10 values covers about 88 %, which is why it is no
longer used). Every test is two-sided unless its name says otherwise; the paper's own test was the
one-sided Mann-Whitney U, which :func:`mann_whitney` gives beside the two-sided p.

* :func:`mean_interval`, :func:`welch`: a mean (or a mean of paired differences) and a difference of
  two independent means, with t-intervals and two-sided p;
* :func:`mann_whitney`, :func:`exact_mann_whitney_p`: the rank test, both sidednesses; the exact
  null distribution of U (no ties) turns a published U into its p-values;
* :func:`friedman`: the omnibus test across arms on complete paired seeds, before pairwise tests;
* :func:`holm`: Holm's step-down adjustment of a family of p-values;
* :func:`kaplan_meier`, :func:`km_median`, :func:`logrank`: time-to-event with censoring (games to
  reach a return level, for runs some of which never reach it);
* :func:`icc_interval`: the share of variance between groups (one-way random effects) with its
  F-based interval (Searle 1971, §9.7).

Standard deviations: :func:`sd` says its convention (``ddof``) in its signature; the notebooks use
ddof 1 (the sample SD) for our runs and say so, and ddof 0 where they stand beside the published
SDs, which the released analysis computed with ``np.std`` (ddof 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

LEVEL = 0.95
"""Confidence level of every interval reported."""


def _values(x, name: str = "values", least: int = 2) -> np.ndarray:
    a = np.asarray(x, dtype=float).ravel()
    if a.size < least:
        raise ValueError(f"{name}: need at least {least} values; got {a.size}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: every value must be finite; got {a[~np.isfinite(a)][:3].tolist()}")
    return a


def sd(x, ddof: int) -> float:
    """Standard deviation with an explicit convention: ``ddof=1`` the sample SD, ``ddof=0`` the
    population SD (as ``np.std``, the published SDs)."""
    if ddof not in (0, 1):
        raise ValueError(f"ddof = {ddof!r}: 0 (population SD) or 1 (sample SD)")
    return float(np.std(_values(x, least=1 + ddof), ddof=ddof))


def mean_interval(x, level: float = LEVEL) -> tuple[float, float]:
    """Student-t interval of the mean of ``x`` (of paired differences, for a paired comparison)."""
    from scipy.stats import t

    a = _values(x)
    half = t.ppf(0.5 + level / 2, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size)
    return float(a.mean() - half), float(a.mean() + half)


def one_sample_t(x) -> float:
    """Two-sided p of Student's one-sample t-test that the mean of ``x`` is 0 (1.0 when every value
    is 0)."""
    from scipy.stats import ttest_1samp

    a = _values(x)
    if not a.any():
        return 1.0
    if a.std() == 0:
        return 0.0
    return float(ttest_1samp(a, 0.0).pvalue)


def welch(a, b, level: float = LEVEL) -> dict:
    """``mean(a) - mean(b)`` for independent samples: Welch's t-interval (Welch-Satterthwaite degrees
    of freedom) and the two-sided p of Welch's t-test."""
    x, y = _values(a, "a"), _values(b, "b")
    diff = float(x.mean() - y.mean())
    if x.var() == 0 and y.var() == 0:  # no spread: the difference is exact
        p = 1.0 if diff == 0 else 0.0
        return {"mean_difference": diff, "ci_low": diff, "ci_high": diff, "p_two_sided": p, "df": np.nan,
                "n_a": int(x.size), "n_b": int(y.size)}
    return welch_from_summary(x.mean(), x.std(ddof=1), x.size, y.mean(), y.std(ddof=1), y.size, level)


def welch_from_summary(mean_a: float, sd_a: float, n_a: int, mean_b: float, sd_b: float, n_b: int,
                       level: float = LEVEL) -> dict:
    """:func:`welch` from summary statistics alone (sample SDs, ddof 1), e.g. a paper's: the mean
    difference a - b, its Welch t-interval and two-sided p. A published population SD (ddof 0)
    converts to ddof 1 as ``sd * sqrt(n / (n - 1))``."""
    from scipy.stats import t

    va, vb = sd_a ** 2 / n_a, sd_b ** 2 / n_b
    diff, se = mean_a - mean_b, math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (n_a - 1) + vb ** 2 / (n_b - 1))
    half = t.ppf(0.5 + level / 2, df) * se
    return {"mean_difference": float(diff), "ci_low": float(diff - half), "ci_high": float(diff + half),
            "p_two_sided": float(2 * t.sf(abs(diff) / se, df)), "df": float(df), "n_a": int(n_a), "n_b": int(n_b)}


def mann_whitney(a, b) -> dict:
    """Mann-Whitney U of ``a`` against ``b`` (U counts the pairs with a > b, ties as 1/2): the
    two-sided p and the one-sided p that ``a`` tends to be larger (the paper's test). scipy's
    default method: exact for small samples without ties, else the normal approximation with the
    tie and continuity corrections."""
    from scipy.stats import mannwhitneyu

    x, y = _values(a, "a", 1), _values(b, "b", 1)
    two = mannwhitneyu(x, y, alternative="two-sided")
    one = mannwhitneyu(x, y, alternative="greater")
    return {"U": float(two.statistic), "p_two_sided": float(two.pvalue), "p_one_sided_greater": float(one.pvalue),
            "n_a": int(x.size), "n_b": int(y.size)}


def exact_mann_whitney_p(U: float, n_a: int, n_b: int) -> dict:
    """P-values of an observed U (of the first sample, no ties) from U's exact null distribution,
    counted by recursion over the rank arrangements: ``one_sided`` = P(U >= observed), ``two_sided``
    = twice the smaller tail, at most 1. For a published U whose data are not at hand."""
    n_a, n_b = int(n_a), int(n_b)
    if n_a < 1 or n_b < 1 or not 0 <= U <= n_a * n_b:
        raise ValueError(f"U = {U!r} with n = {n_a}, {n_b}: U must lie in 0..{n_a * n_b}")
    # counts[m][n][u]: arrangements of m and n values with statistic u (largest value from either sample)
    counts = [[None] * (n_b + 1) for _ in range(n_a + 1)]
    for m in range(n_a + 1):
        for n in range(n_b + 1):
            if m == 0 or n == 0:
                counts[m][n] = np.array([1], dtype=object)
                continue
            c = np.zeros(m * n + 1, dtype=object)
            top_a = counts[m - 1][n]  # the largest value is in a: it beats all n values of b
            c[n:n + top_a.size] += top_a
            top_b = counts[m][n - 1]
            c[:top_b.size] += top_b
            counts[m][n] = c
    dist = counts[n_a][n_b].astype(float)
    dist /= dist.sum()
    u = int(math.ceil(U))
    upper = float(dist[u:].sum())
    lower = float(dist[:int(math.floor(U)) + 1].sum())
    return {"one_sided": upper, "two_sided": min(1.0, 2 * min(upper, lower))}


def friedman(per_seed: pd.DataFrame) -> dict:
    """Friedman's omnibus test that the arms (columns) of a seeds x arms table do not differ, on the
    seeds that have every arm: chi-square statistic, degrees of freedom, p, seeds and arms used."""
    from scipy.stats import friedmanchisquare

    complete = per_seed.dropna()
    if complete.shape[1] < 3 or len(complete) < 2:
        raise ValueError(f"Friedman's test needs at least 3 arms and 2 complete seeds; got {complete.shape[1]} "
                         f"arms and {len(complete)} seeds")
    res = friedmanchisquare(*(complete[c].to_numpy(float) for c in complete.columns))
    return {"statistic": float(res.statistic), "df": int(complete.shape[1] - 1), "p": float(res.pvalue),
            "seeds": int(len(complete)), "arms": int(complete.shape[1])}


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error), in the order given; NaN stays NaN."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    order = np.argsort(q)
    m = q.size
    adjusted = np.maximum.accumulate((m - np.arange(m)) * q[order])
    res = np.empty(m)
    res[order] = np.minimum(adjusted, 1.0)
    out[ok] = res
    return out


def kaplan_meier(times, observed) -> pd.DataFrame:
    """The Kaplan-Meier estimate of the survival function ``S(t) = P(T > t)`` from event or
    censoring ``times`` (``observed`` False: censored, the event not seen by then), with Greenwood's
    variance and a pointwise log-log 95 % interval. One row per distinct event time: ``time``,
    ``at_risk``, ``events``, ``survival``, ``ci_low``, ``ci_high``."""
    from scipy.stats import norm

    t = _values(times, "times", 1)
    d = np.asarray(observed, dtype=bool).ravel()
    if d.size != t.size:
        raise ValueError(f"times and observed differ in length ({t.size} and {d.size})")
    z = norm.ppf(0.5 + LEVEL / 2)
    rows, s, green = [], 1.0, 0.0
    for time in np.unique(t[d]):
        n = int((t >= time).sum())
        e = int(((t == time) & d).sum())
        s *= 1 - e / n
        green = green + e / (n * (n - e)) if n > e else math.inf
        if 0 < s < 1 and math.isfinite(green):
            # log-log interval: exp(-exp(log(-log s) +- z se)), se of log(-log s) by the delta method
            se = math.sqrt(green) / abs(math.log(s))
            lo, hi = s ** math.exp(z * se), s ** math.exp(-z * se)
        else:
            lo, hi = (0.0, 0.0) if s == 0 else (np.nan, np.nan)
        rows.append({"time": float(time), "at_risk": n, "events": e, "survival": s, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=["time", "at_risk", "events", "survival", "ci_low", "ci_high"])


def km_median(times, observed) -> dict:
    """The Kaplan-Meier median (the first event time at which the survival falls to 0.5 or below)
    and its 95 % interval by Brookmeyer and Crowley's method on the log-log band: the first times
    at which the band's lower and upper edges fall to 0.5 or below. NaN where that never happens
    within the data (the median or a bound is then censored: at least the longest time seen)."""
    km = kaplan_meier(times, observed)

    def first(column):
        hit = km.loc[km[column] <= 0.5, "time"]
        return float(hit.iloc[0]) if len(hit) else np.nan

    observed = np.asarray(observed, dtype=bool)
    return {"median": first("survival"), "ci_low": first("ci_low"), "ci_high": first("ci_high"),
            "runs": int(observed.size), "reached": int(observed.sum())}


def logrank(times_a, observed_a, times_b, observed_b) -> dict:
    """The two-sided log-rank test that two groups' time-to-event distributions are the same:
    chi-square with 1 degree of freedom from observed minus expected events of group a at every
    event time (hypergeometric variance)."""
    from scipy.stats import chi2

    ta, tb = _values(times_a, "times_a", 1), _values(times_b, "times_b", 1)
    da, db = np.asarray(observed_a, bool).ravel(), np.asarray(observed_b, bool).ravel()
    t, d = np.concatenate([ta, tb]), np.concatenate([da, db])
    in_a = np.r_[np.ones(ta.size, bool), np.zeros(tb.size, bool)]
    o_minus_e, var = 0.0, 0.0
    for time in np.unique(t[d]):
        risk = t >= time
        n, na = risk.sum(), (risk & in_a).sum()
        e = ((t == time) & d).sum()
        ea = ((t == time) & d & in_a).sum()
        o_minus_e += ea - e * na / n
        if n > 1:
            var += e * (na / n) * (1 - na / n) * (n - e) / (n - 1)
    stat = o_minus_e ** 2 / var if var > 0 else 0.0
    return {"statistic": float(stat), "p_two_sided": float(chi2.sf(stat, 1)) if var > 0 else 1.0,
            "observed_minus_expected_a": float(o_minus_e)}


def icc_interval(groups: Sequence[Sequence[float]], level: float = LEVEL) -> dict:
    """One-way random-effects ANOVA of equal-sized ``groups``: the between- and within-group variance
    components (method of moments, the between part floored at 0), the share between (intraclass
    correlation) and its exact F-based interval under normality (Searle 1971): with F = MSB / MSW on
    (k - 1, k (n - 1)) degrees of freedom, ``(F / F_q - 1) / (F / F_q + n - 1)`` at the upper and
    lower quantiles q, floored at 0."""
    from scipy.stats import f as f_dist

    arrays = [_values(g, "group") for g in groups]
    k, n = len(arrays), min(a.size for a in arrays)
    if k < 2:
        raise ValueError(f"need at least 2 groups; got {k}")
    if any(a.size != n for a in arrays):
        raise ValueError(f"groups must be of equal size; got {sorted({a.size for a in arrays})}")
    x = np.vstack(arrays)
    grand = x.mean()
    msb = n * ((x.mean(axis=1) - grand) ** 2).sum() / (k - 1)
    msw = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum() / (k * (n - 1))
    between = max((msb - msw) / n, 0.0)
    share = between / (between + msw) if between + msw > 0 else np.nan
    F = msb / msw if msw > 0 else math.inf
    df1, df2 = k - 1, k * (n - 1)
    f_hi, f_lo = f_dist.ppf(0.5 + level / 2, df1, df2), f_dist.ppf(0.5 - level / 2, df1, df2)

    def icc(ratio):
        return max((ratio - 1) / (ratio + n - 1), 0.0) if math.isfinite(ratio) else 1.0

    return {"groups": k, "runs_per_group": n, "between_variance": float(between), "within_variance": float(msw),
            "share_between": float(share), "share_ci_low": icc(F / f_hi), "share_ci_high": icc(F / f_lo),
            "F": float(F)}
