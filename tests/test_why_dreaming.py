"""Notebook 09's statistics against known answers: variance components, the paper design's
false-positive rate, paired comparisons."""

import numpy as np
import pandas as pd
import pytest

from neurodream import why_dreaming as wd


def _draws(between_sd, within_sd, groups=8, runs=10, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(groups):
        effect = rng.normal(0, between_sd)
        for r in range(runs):
            rows.append({"network_seed": g, "seed": r, "final_return": effect + rng.normal(0, within_sd)})
    return pd.DataFrame(rows)


def test_variance_components_recover_a_known_share():
    comp = wd.variance_components(_draws(1.0, 1.0, groups=400, runs=10))
    assert comp["share_between"] == pytest.approx(0.5, abs=0.08)
    assert comp["share_ci_low"] < comp["share_between"] < comp["share_ci_high"]
    assert wd.variance_components(_draws(0.0, 1.0, groups=400))["share_between"] < 0.05
    with pytest.raises(ValueError, match="at least 2 groups"):
        wd.variance_components(_draws(1, 1, groups=1))


def test_identical_draws_give_the_nominal_rate_and_network_effects_inflate_it():
    # no network effect: the one-sided Mann-Whitney at 0.05 rejects in <= 5 % of the comparisons
    calm = wd.model_false_positive_rates({"between_variance": 0.0, "within_variance": 1.0}, n_sim=4000)
    assert calm.set_index("alpha").rate[0.05] <= 0.06
    rough = wd.model_false_positive_rates({"between_variance": 1.0, "within_variance": 1.0}, n_sim=4000)
    assert rough.set_index("alpha").rate[0.05] > 0.2  # a network draw per condition: many false positives
    tests = wd.ordered_pair_tests(_draws(0.0, 1.0, groups=5))
    assert len(tests) == 20  # every ordered pair of 5 draws
    fpr = wd.false_positive_rates(tests)
    assert list(fpr.simulated_comparisons) == [20, 20] and (fpr.rate <= 1).all()
    # one draw much higher: it wins its 4 comparisons, and only those
    shifted = _draws(0.0, 1.0, groups=5)
    shifted.loc[shifted.network_seed == 0, "final_return"] += 10
    t = wd.ordered_pair_tests(shifted)
    assert set(t[t.p < 0.01]["first"]) == {0} and (t.p < 0.01).sum() == 4


def test_paired_comparisons_and_their_t_interval():
    per_seed = pd.DataFrame({"baseline": np.arange(10.0), "dreaming": np.arange(10.0) + 1.0,
                             "other": np.arange(10.0) + np.array([1, -1] * 5)})
    out = wd.paired_comparisons(per_seed).set_index(["arm", "against"])
    row = out.loc[("dreaming", "baseline")]
    assert row.mean_difference == 1.0 and row.seeds_arm_higher == 10 and row.wilcoxon_p < 0.01
    assert row.ci95_low == row.ci95_high == 1.0  # a constant difference
    other = out.loc[("other", "baseline")]
    assert other.ci95_low < 0 < other.ci95_high and other.wilcoxon_p > 0.5


def test_arm_configs_pair_the_seeds():
    configs = wd.arm_configs(["baseline", "dreams_noise", "sham_second_window"], range(2), games=10)
    assert [a for a, _ in configs] == ["baseline"] * 2 + ["dreams_noise"] * 2 + ["sham_second_window"] * 2
    assert configs[2][1].dream_reward == "noise" and configs[4][1].second_window
    assert {c.seed for _, c in configs} == {0, 1}
    with pytest.raises(ValueError, match="unknown arms"):
        wd.arm_configs(["dreaming_twice"], range(2), games=10)


def test_false_positive_rate_interval_carries_the_variance_components():
    # the rate depends on the share between alone, rises with it and is nominal at 0
    rates = wd.rates_at_share([0.0, 0.17, 0.64], n_sim=4000)
    assert rates[0, 1] <= 0.055 and rates[0, 1] < rates[1, 1] < rates[2, 1]
    comp = wd.variance_components(_draws(0.45, 1.0, groups=6, runs=10, seed=3))
    model = wd.model_false_positive_rates(comp, n_sim=4000).set_index("alpha")
    assert model.share95_low[0.05] <= model.rate[0.05] <= model.share95_high[0.05]
    # much wider than the Monte-Carlo error alone, with 6 draws
    assert model.share95_high[0.05] - model.share95_low[0.05] > 5 * (model.wilson95_high[0.05] - model.wilson95_low[0.05])
    with pytest.raises(ValueError, match="1.5"):
        wd.rates_at_share([1.5])


def test_empirical_false_positives_name_the_pairs_and_the_draw_behind_them():
    shifted = _draws(0.0, 1.0, groups=4)
    shifted.loc[shifted.network_seed == 2, "final_return"] += 10
    fpr = wd.false_positive_rates(wd.ordered_pair_tests(shifted)).set_index("alpha")
    assert fpr.unordered_pairs[0.05] == 6 and fpr.draw_most_rejections[0.05] == "2 (3 of 3)"


def test_omnibus_before_pairwise():
    rng = np.random.default_rng(0)
    per_seed = pd.DataFrame(rng.normal(size=(10, 8)), columns=list("abcdefgh"))
    assert wd.omnibus(per_seed)["p"] > 0.01 and wd.omnibus(per_seed)["arms"] == 8
    per_seed["h"] += 5
    assert wd.omnibus(per_seed)["p"] < 0.001


def test_adam_step_replay_measures_the_dream_step_against_the_real_one():
    from neurodream.training import TrainConfig

    out = wd.adam_step_replay(TrainConfig(condition="dreaming", games=6, dream_steps=3, learn_after_game=2))
    assert out.game.tolist() == [3, 4, 5]
    assert (out.step_norm_real > 0).all() and (out.cosine.abs() <= 1 + 1e-12).all()
    # Adam's first moment: with beta1 = 0.9 the dream's step keeps most of the real step's direction
    assert (out.projection > 0).all()
    with pytest.raises(ValueError, match="dreaming condition"):
        wd.adam_step_replay(TrainConfig(games=6))


def test_p_value_spread_is_uniform_without_an_effect_and_shifts_down_with_one():
    null = wd.p_value_spread(0.0, 1.0, n_sim=4000)
    assert null[0.5] == pytest.approx(0.5, abs=0.04) and null[0.25] == pytest.approx(0.25, abs=0.04)
    strong = wd.p_value_spread(1.5, 1.0, n_sim=4000)
    assert strong[0.75] < 0.05
