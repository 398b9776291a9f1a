"""The paper's statistics on hand-made tables whose answers are known."""

import numpy as np
import pandas as pd
import pytest

from neurodream import analysis


def _table(slopes, games=500):
    rows = []
    for cond, slope in slopes.items():
        for seed in range(3):
            for g in range(games):
                rows.append({"condition": cond, "seed": seed, "game": g, "return": -2.0 + slope * g + 0.01 * seed})
    return pd.DataFrame(rows)


def test_block_means_and_smoothing_of_a_straight_line():
    t = _table({"dreaming": 0.004})
    curves = analysis.learning_curves(t)
    run = curves[curves.seed == 0]
    assert list(run.game) == list(range(50, 501, 50))
    # block mean of a line = the line at the block's middle; Savitzky-Golay (cubic) keeps a line
    expected = -2.0 + 0.004 * (np.arange(10) * 50 + 24.5)
    assert np.allclose(run.mean_return, expected) and np.allclose(run.smoothed, expected)


def test_final_performance_games_to_level_and_mann_whitney():
    t = _table({"dreaming": 0.004, "baseline": 0.002})
    final = analysis.final_performance(t)
    d = final[final.condition == "dreaming"].final_return.to_numpy()
    assert np.allclose(d, -2.0 + 0.004 * 474.5 + 0.01 * np.arange(3))
    per_run = analysis.games_to_level(t, -1.0).set_index(["condition", "seed"])
    # dreaming's block mean first reaches -1.0 in the block ending at game 300 (middle 274.5 -> -0.892);
    # the baseline never does within its 500 games: censored at 500
    assert per_run.loc[("dreaming", 0), "games"] == 300 and per_run.loc[("dreaming", 0), "reached"]
    assert per_run.loc[("baseline", 0), "games"] == 500 and not per_run.loc[("baseline", 0), "reached"]
    reach = analysis.reach_summary(t, [-1.0, 5.0]).set_index(["condition", "level"])
    assert reach.loc[("dreaming", -1.0), "km_median_games"] == 300 and reach.loc[("dreaming", -1.0), "reached"] == 3
    assert np.isnan(reach.loc[("baseline", -1.0), "km_median_games"]) and reach.loc[("baseline", -1.0), "reached"] == 0
    assert analysis.describe_reach(reach.reset_index().iloc[2]).endswith("0/3 reached")
    mw = analysis.mann_whitney(final)
    assert mw["U"] == 9.0 and mw["p_one_sided"] == pytest.approx(0.05)  # complete separation, 3 vs 3: p = 1/20
    assert mw["p_two_sided"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="'dreaming' and 'sleep'"):
        analysis.mann_whitney(final, worse="sleep")


def test_summary_is_written_and_replaces_only_the_readme_block(tmp_path):
    t = _table({"dreaming": 0.004, "baseline": 0.002}).assign(wall_s=0.6)
    curves = analysis.learning_curves(t)
    final = analysis.final_performance(t)
    reach = analysis.reach_summary(t, [-1.0])
    s = analysis.summary_rows(final, analysis.mann_whitney(final), reach, -1.68, runs={"baseline": 3, "dreaming": 3},
                              games=500, fidelity="paper", curves=curves, table=t)
    v = s.set_index(["quantity", "condition"])
    assert v.loc[("wall_minutes_per_run", "baseline"), "value"] == pytest.approx(500 * 0.6 / 60)
    assert v.loc[("final_mean", "dreaming"), "published"] == 0.36
    # like with like: the published SDs are ddof 0, and stand beside ours with ddof 0
    assert v.loc[("final_sd_ddof0", "baseline"), "published"] == 0.65
    assert np.isnan(v.loc[("final_sd_ddof1", "baseline"), "published"])
    assert v.loc[("final_sd_ddof1", "baseline"), "value"] > v.loc[("final_sd_ddof0", "baseline"), "value"]
    assert v.loc[("mann_whitney_p_two_sided", "dreaming>baseline"), "value"] == pytest.approx(0.1)
    # the published two-sided p, exact from the published U = 83 (10 vs 10): twice the upper tail
    exact = analysis.published_p_values()
    assert v.loc[("mann_whitney_p_two_sided", "dreaming>baseline"), "published"] == exact["two_sided"]
    assert exact["two_sided"] == pytest.approx(2 * exact["one_sided"]) and 0.005 < exact["one_sided"] < 0.007
    assert v.loc[("games_to_-1.0", "dreaming"), "value"] == 300
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{analysis.README_START}\nold\n{analysis.README_END}\nrest\n")
    (tmp_path / "figures").mkdir()
    analysis.write_summary(s, tmp_path / "figures", "paper", readme=readme)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("rest\n") and "old" not in text
    assert "final_mean" in text and (tmp_path / "figures" / "summary_paper.csv").exists()
    # without a README (any parameters but the committed ones) only the summary files are written
    readme.write_text("untouched\n")
    analysis.write_summary(s, tmp_path / "figures" / "variants" / "x", "paper")
    assert readme.read_text() == "untouched\n" and (tmp_path / "figures" / "variants" / "x" / "summary_paper.md").exists()


def test_setting_curves_one_panel_per_condition_or_one_for_all():
    import matplotlib

    matplotlib.use("Agg")
    from neurodream.plotting import setting_curves

    t = pd.concat([_table({"baseline": 0.002}).assign(setting="baseline"),
                   _table({"dreaming": 0.004}).assign(setting="fast"),
                   _table({"dreaming": 0.001}).assign(setting="slow")], ignore_index=True)
    bands = analysis.curve_bands(analysis.learning_curves(t))
    split = setting_curves(bands, ["baseline", "fast", "slow"], "t")
    assert [len(ax.lines) for ax in split.axes] == [1, 2]  # baseline panel, dreaming panel
    together = setting_curves(bands, ["baseline", "fast", "slow"], "t", by_condition=False)
    assert [len(ax.lines) for ax in together.axes] == [3]


def test_final_entropy_and_paired_difference():
    t = _table({"dreaming": 0.004, "baseline": 0.002}).assign(policy_entropy=lambda d: 1.0 - d.game / 1000)
    final = analysis.final_performance(t)
    # mean entropy over games 450..499
    assert np.allclose(final.final_entropy, 1.0 - 474.5 / 1000)
    per_seed = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "b": [0.5, 1.0, 2.5, 3.0, 4.0, 5.0]})
    per_seed.loc[6] = [np.nan, 1.0]  # a seed without both is left out
    res = analysis.paired_difference(per_seed, "a", "b")
    assert res["seeds"] == 6 and res["seeds_a_higher"] == 6
    assert res["mean_difference"] == pytest.approx(np.mean([0.5, 1.0, 0.5, 1.0, 1.0, 1.0]))
    assert res["wilcoxon_p"] == pytest.approx(2 / 2**6)  # all six differences positive: exact p = 2/64
    d = np.array([0.5, 1.0, 0.5, 1.0, 1.0, 1.0])
    half = 2.5706 * d.std(ddof=1) / np.sqrt(6)  # t(0.975, 5 df)
    assert (res["ci95_low"], res["ci95_high"]) == pytest.approx((d.mean() - half, d.mean() + half), rel=1e-4)
    assert analysis.paired_difference(per_seed.assign(b=per_seed.a), "a", "b")["wilcoxon_p"] == 1.0
    with pytest.raises(ValueError, match="at least 2 seeds"):
        analysis.paired_difference(per_seed.iloc[:1], "a", "b")


def test_runs_above_the_random_level():
    final = pd.DataFrame({"condition": ["a"] * 4 + ["b"] * 3,
                          "final_return": [-1.0, -0.5, -1.2, -0.2, -1.7, -1.5, -2.0]})
    res = analysis.above_random(final, -1.6).set_index("condition")
    assert res.loc["a", "runs_above_random"] == 4 and res.loc["b", "runs_above_random"] == 1
    # exact two-sided signed-rank p: all 4 above -> 2/2**4
    assert res.loc["a", "p_vs_random"] == pytest.approx(2 / 16)
    # b: differences -0.1, +0.1, -0.4 -> |d| ranks 1.5, 1.5, 3: no evidence either way
    assert res.loc["b", "p_vs_random"] > 0.5


def test_readme_blocks_are_replaced_between_their_own_markers_only(tmp_path):
    readme = tmp_path / "README.md"
    start, end = analysis.readme_markers("ablations")
    s0, e0 = analysis.readme_markers("summary")
    readme.write_text(f"a\n{s0}\nkeep\n{e0}\nb\n{start}\nold\n{end}\nc\n")
    assert analysis.replace_readme_block(readme, "ablations", "| new |")
    assert readme.read_text() == f"a\n{s0}\nkeep\n{e0}\nb\n{start}\n| new |\n{end}\nc\n"
    before = readme.read_text()
    assert not analysis.replace_readme_block(readme, "missing", "x")  # no markers: nothing changes
    assert not analysis.replace_readme_block(tmp_path / "none.md", "ablations", "x")
    assert readme.read_text() == before


def test_table_cells_are_readable_numbers():
    from neurodream.analysis import format_number, markdown_table

    assert [format_number(v) for v in (2000.0, 10, 0.0019531, -0.2864, 59.5, 1234.56, float("nan"), None, "a")] == \
        ["2000", "10", "0.00195", "-0.286", "59.5", "1235", "", "", "a"]
    assert markdown_table(pd.DataFrame({"x": [2000.0, np.nan]})).splitlines()[2:] == ["| 2000 |", "|  |"]


def test_reach_cells_say_which_end_of_the_interval_is_open():
    row = pd.Series({"km_median_games": 600.0, "ci95_low": 150.0, "ci95_high": np.nan, "reached": 3, "runs": 5})
    assert analysis.describe_reach(row) == "600 (≥ 150), 3/5 reached"
    assert analysis.describe_reach(row.assign(ci95_high=900.0) if hasattr(row, "assign") else
                                   pd.Series({**row, "ci95_high": 900.0})) == "600 (150–900), 3/5 reached"
    assert analysis.describe_reach(pd.Series({**row, "km_median_games": np.nan})).startswith("not reached by half")
