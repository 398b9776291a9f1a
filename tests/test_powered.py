"""The powered study's registered design and analysis (neurodream.powered) on known answers."""

import subprocess

import numpy as np
import pandas as pd
import pytest

from neurodream import powered, stats
from neurodream.training import run_path


def test_the_plan_runs_fresh_seeds_in_blocks_across_all_arms(tmp_path):
    plan = powered.configs()
    assert len(plan) == sum(powered.PLANNED_RUNS.values()) == 400
    first = powered.configs(blocks=1)
    assert len(first) == 100 and {c.seed for _, c in first} == set(range(100, 120))
    assert {a for a, _ in first} == set(powered.ARMS)
    for arm in powered.ARMS:
        got = [c.seed for a, c in plan if a == arm]
        assert got == powered.seeds(arm) and min(got) >= 100
    assert len({run_path(c, tmp_path) for _, c in plan}) == 400  # every run its own file
    assert all(c.games == 2000 for _, c in plan)
    # blocks in order: any prefix of the plan gives every arm the first seeds of its plan
    prefix = pd.DataFrame([{"arm": a, "seed": c.seed} for a, c in plan[:237]])
    assert powered.progress(prefix).first_seeds_in_order.all()
    with pytest.raises(ValueError, match="blocks = 9"):
        powered.configs(blocks=9)


def _runs(effects, n=30, seed=0, games=2000):
    rng = np.random.default_rng(seed)
    rows = []
    for arm, effect in effects.items():
        for s in range(n):
            level = rng.normal(effect, 0.8)
            ret = np.clip(np.linspace(-1.8, level, games) + rng.normal(0, 0.3, games), -2, 2)
            rows.append(pd.DataFrame({"arm": arm, "seed": 100 + s, "game": np.arange(games), "return": ret}))
    return pd.concat(rows, ignore_index=True)


def test_endpoints_per_run():
    t = pd.DataFrame({"arm": "baseline", "seed": 100, "game": np.arange(2000),
                      "return": np.where(np.arange(2000) >= 1000, -0.5, -1.5)})
    e = powered.endpoints(t).iloc[0]
    assert e.final_return == -0.5 and e.auc_return == -1.0
    assert e.games_to_minus1 == 1050 and e.reached_minus1  # the block of games 1000-1049
    never = powered.endpoints(t.assign(**{"return": -1.5})).iloc[0]
    assert never.games_to_minus1 == 2000 and not never.reached_minus1
    with pytest.raises(ValueError, match="games 0..1999"):
        powered.endpoints(t[t.game < 1500])


def test_registered_tests_find_a_real_effect_and_holm_adjusts_the_secondary_family():
    per_run = powered.endpoints(_runs({"baseline": -0.3, "dreaming": 0.5, "baseline_extra_adam_step": -0.3,
                                       "dreaming_own_adam": 0.5, "sham_second_window": -0.3}))
    tests = powered.all_tests(per_run).set_index(["comparison", "endpoint"])
    primary = tests.loc[("dreaming - baseline", "final_return")]
    assert primary.role == "primary" and primary.p_holm == primary.p_two_sided
    assert primary.ci95_low < 0.8 < primary.ci95_high and primary.p_two_sided < 0.01
    assert powered.outcome(primary) == "higher"
    assert powered.primary_sentence(primary).startswith("Dreaming helps")
    sec = tests[tests.role == "secondary"]
    assert len(sec) == len(powered.SECONDARY)
    np.testing.assert_allclose(sec.p_holm, stats.holm(sec.p_two_sided))
    assert (sec.p_holm >= sec.p_two_sided).all()
    assert list(tests.reset_index().columns[:9]) == ["comparison", "endpoint", "n_a", "n_b", "mean_difference",
                                                     "ci95_low", "ci95_high", "p_two_sided", "p_holm"]
    for _, row in sec.reset_index().iterrows():
        assert row["comparison"].replace(" - ", "` ").split("`")[0] in powered.secondary_sentence(row)


@pytest.mark.parametrize("row, reading", [
    ({"mean_difference": 0.5, "ci95_low": 0.2, "ci95_high": 0.8, "p_two_sided": 0.001}, "higher"),
    ({"mean_difference": -0.5, "ci95_low": -0.8, "ci95_high": -0.2, "p_two_sided": 0.001}, "lower"),
    ({"mean_difference": 0.02, "ci95_low": -0.2, "ci95_high": 0.24, "p_two_sided": 0.8}, "equivalent"),
    ({"mean_difference": 0.2, "ci95_low": -0.1, "ci95_high": 0.5, "p_two_sided": 0.2}, "inconclusive"),
])
def test_each_outcome_writes_its_registered_sentence(row, reading):
    row = {**row, "n_a": 100, "n_b": 100}
    assert powered.outcome(row) == reading
    sentence = powered.primary_sentence(row)
    assert {"higher": "Dreaming helps", "lower": "Dreaming hurts", "equivalent": "no difference larger than 0.24",
            "inconclusive": "Inconclusive"}[reading] in sentence


def test_published_result_under_the_null_has_the_exact_mann_whitney_probability():
    # no effect and no network effect: P(U >= 83) is the exact upper tail of U for 10 vs 10
    per_run = pd.DataFrame({"arm": ["dreaming"] * 3 + ["baseline"] * 3, "final_return": [0.1, -0.1, 0.0, 0.1, -0.1, 0.0]})
    res = powered.published_under_emulation(per_run, 0.0, 0.0, 0.0, n_sim=40_000)
    exact = stats.exact_mann_whitney_p(83, 10, 10)["one_sided"]
    assert res["effect"] == pytest.approx(0.0)
    assert res["probability"] == pytest.approx(exact, abs=0.0015)
    big = powered.published_under_emulation(per_run.assign(final_return=per_run.final_return
                                                           + np.where(per_run.arm == "dreaming", 0.6, 0.0)),
                                            0.17, 0.01, 0.6, n_sim=5000)
    assert big["ci95_low"] <= big["probability"] <= big["ci95_high"] and big["probability"] > 0.5


def test_runs_committed_before_the_preregistration_are_refused(tmp_path, monkeypatch):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.org")
    git("config", "user.name", "t")
    (tmp_path / "docs").mkdir()
    early = tmp_path / "early.json"
    early.write_text("{}")
    git("add", "early.json")
    git("commit", "-qm", "a run before")
    (tmp_path / "docs" / "preregistration.md").write_text("plan")
    git("add", "docs")
    git("commit", "-qm", "prereg")
    late = tmp_path / "late.json"
    late.write_text("{}")
    git("add", "late.json")
    git("commit", "-qm", "a run after")
    pending = tmp_path / "pending.json"
    pending.write_text("{}")
    monkeypatch.setattr(powered, "ROOT", tmp_path)
    monkeypatch.setattr(powered, "PREREGISTRATION", tmp_path / "docs" / "preregistration.md")
    ok = powered.runs_after_preregistration([late, pending])
    assert ok.after.all() and ok.checked.all() and ok.commit.isna().tolist() == [False, True]
    with pytest.raises(ValueError, match="early.json was committed .* before the pre-registration"):
        powered.runs_after_preregistration([late, early])


def test_power_against_simulation():
    from scipy.stats import ttest_ind

    rng = np.random.default_rng(0)
    hits = np.mean([ttest_ind(rng.normal(0.3, 0.84, 100), rng.normal(0, 0.84, 100)).pvalue < 0.05
                    for _ in range(3000)])
    assert powered.power(0.3, 0.84, 100) == pytest.approx(hits, abs=0.03)
    assert powered.power(0.0, 0.84, 100) == pytest.approx(0.05, abs=1e-9)


def test_the_study_command_prints_its_cost_before_any_work(tmp_path, capsys):
    from neurodream.__main__ import main

    main(["powered", "--dry-run", "--blocks", "1", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "100 runs planned" in out and "100 of 100 runs missing" in out and "dry run, nothing computed" in out
    assert not list(tmp_path.iterdir())
    with pytest.raises(SystemExit) as err:
        main(["powered", "--blocks", "0", "--out", str(tmp_path)])
    assert err.value.code == 2 and "blocks = 0" in capsys.readouterr().err


def test_no_comparison_before_two_runs_per_arm():
    per_run = powered.endpoints(_runs({"baseline": 0.0, "dreaming": 0.0}, n=1))
    assert powered.all_tests(per_run).empty
    assert list(powered.all_tests(per_run).columns) == powered.TEST_COLUMNS
