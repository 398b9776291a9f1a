"""The powered study's arms (notebook 10): each a TrainConfig field, each doing what it says."""

import dataclasses

import numpy as np
import pytest

from neurodream import readouts
from neurodream.training import TrainConfig, run_path, train

SMALL = dict(games=5, dream_steps=4, learn_after_game=1)


def _updates(cfg):
    """Every policy update of a run: (optimiser used, gradient, step)."""
    records = []
    original = readouts.Policy.update

    def recording(policy, adam=None):
        before, grad = policy.J.copy(), policy.G.copy()
        original(policy, adam)
        records.append((policy.adam if adam is None else adam, grad, policy.J - before))

    from unittest import mock

    with mock.patch.object(readouts.Policy, "update", recording):
        table = train(cfg, progress=False)
    return records, table


def test_defaults_leave_existing_runs_named_and_computed_as_before(tmp_path):
    cfg = TrainConfig()
    assert cfg.zero_gradient_steps == 0 and cfg.dream_optimizer == "shared"
    assert run_path(TrainConfig(zero_gradient_steps=1), tmp_path) != run_path(cfg, tmp_path)
    assert "zero_gradient_steps" not in cfg.changes() and "dream_optimizer" not in cfg.changes()


def test_extra_adam_step_is_a_zero_gradient_step_after_each_game():
    records, table = _updates(TrainConfig(zero_gradient_steps=1, **SMALL))
    assert len(records) == 2 * SMALL["games"]  # one real update and one extra per game
    adam = records[0][0]
    for k in range(SMALL["games"]):
        assert not records[2 * k + 1][1].any()  # the extra step's gradient is zero
        assert records[2 * k + 1][0] is adam  # through the policy's own Adam
    assert adam.t == 2 * SMALL["games"]
    # the extra step replays the momentum: with a non-zero real step before it, the extra step is not zero
    moved = [k for k in range(SMALL["games"]) if np.abs(records[2 * k][2]).sum() > 0]
    assert moved and all(np.abs(records[2 * k + 1][2]).sum() > 0 for k in moved)
    # the games themselves are those of the baseline until the extra steps change the policy
    base = train(TrainConfig(**SMALL), progress=False)
    assert base["return"].iloc[0] == table["return"].iloc[0]


def test_dreams_with_their_own_optimiser_never_touch_the_real_one():
    records, _ = _updates(TrainConfig(condition="dreaming", dream_optimizer="own", **SMALL))
    real = {id(r[0]) for r in records[0::2]}
    dream = {id(r[0]) for r in records[1::2]}
    assert len(real) == 1 and len(dream) == 1 and real != dream
    real_adam, dream_adam = records[0][0], records[1][0]
    assert real_adam.t == SMALL["games"] and dream_adam.t == SMALL["games"]
    shared, _ = _updates(TrainConfig(condition="dreaming", **SMALL))
    assert len({id(r[0]) for r in shared}) == 1 and shared[0][0].t == 2 * SMALL["games"]


def test_own_optimiser_resumes_from_a_checkpoint_bit_for_bit(tmp_path):
    cfg = TrainConfig(condition="dreaming", dream_optimizer="own", **{**SMALL, "games": 6})
    whole = train(cfg, progress=False)
    ckpt = tmp_path / "run.ckpt"
    train(dataclasses.replace(cfg), progress=False, checkpoint=ckpt, checkpoint_every=3)
    resumed = train(cfg, progress=False, checkpoint=ckpt, checkpoint_every=3)
    np.testing.assert_array_equal(whole["return"], resumed["return"])
    np.testing.assert_array_equal(np.asarray(whole.attrs["policy_J"]), np.asarray(resumed.attrs["policy_J"]))


@pytest.mark.parametrize("fields, message", [
    ({"dream_optimizer": "own"}, "needs the dreaming condition"),
    ({"condition": "dreaming", "dream_optimizer": "separate"}, "allowed: shared, own"),
    ({"zero_gradient_steps": -1}, "zero_gradient_steps = -1"),
    ({"zero_gradient_steps": 1.5}, "zero_gradient_steps = 1.5"),
])
def test_bad_arm_fields_are_refused_naming_them(fields, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**fields)
