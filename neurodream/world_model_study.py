"""How much the world model can know: held-out skill of its readouts against simple references.

A dream can only teach the agent what the world model predicts. This module records the model's
awake steps in a training run (:func:`record_world_model`) and scores, on the later half of the
steps, how much of each target's variance (R^2) is explained by:

* ``online readout``: the model's own predictions, made before each update (as the dreams use it);
* ``best linear readout of the counts``: ridge regression on the same filtered chip counts, fitted
  on the earlier half (what any readout of these counts could reach);
* ``place cells + action``: ridge regression on the encoder's 40 place-cell activities and the
  one-hot action, with no chip in between (what the input carries for a linear readout);
* ``place cells only``: the same without the action.

Targets: the four state changes (as the model's target, ``readouts.state_change_target``) and
the reward trace (``readouts.REWARD_TRACE_DECAY``). Not in the paper.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic_file import strict_json, write_atomically
from .encoding import place_cell_activity
from .readouts import state_change_target
from .training import STATE_NAMES, ModelStep, TrainConfig, calibration_record, run_path, train

TARGETS = tuple(f"d_{name}" for name in STATE_NAMES) + ("reward_trace",)
PREDICTORS = ("online readout", "best linear readout of the counts", "place cells + action", "place cells only")
RIDGE_L2 = 1e-3
"""Ridge penalty, relative to the mean squared (centred) feature: small, only to keep fits defined."""


@dataclasses.dataclass
class ModelRecording:
    """Every awake step of a world model: inputs, predictions and targets (one row per step)."""

    game: np.ndarray
    state: np.ndarray
    """(steps, 4) RAM features before the step."""
    action: np.ndarray
    filtered_counts: np.ndarray
    """(steps, 510) the readout's input."""
    predicted: np.ndarray
    """(steps, 5) the model's predictions of :data:`TARGETS`, made before the step's update."""
    target: np.ndarray
    """(steps, 5) what it should have predicted."""

    def __len__(self) -> int:
        return self.game.size


def record_world_model(cfg: TrainConfig, *, progress: bool = False) -> ModelRecording:
    """Run ``cfg`` (a dreaming config: only it has a world model) and record the model's awake steps."""
    if cfg.condition != "dreaming":
        raise ValueError(f"condition {cfg.condition!r} has no world model; use condition='dreaming' "
                         "(dream_steps=0 keeps the model learning without dreams)")
    steps: list[ModelStep] = []
    train(cfg, progress=progress, observer=steps.append)
    change = state_change_target(np.array([s.state_change for s in steps]))
    return ModelRecording(
        game=np.array([s.game for s in steps]),
        state=np.array([s.state for s in steps], dtype=float),
        action=np.array([s.action for s in steps]),
        filtered_counts=np.array([s.filtered_counts for s in steps]),
        predicted=np.array([np.r_[s.predicted_change, s.predicted_reward] for s in steps]),
        target=np.c_[change, [s.reward_trace for s in steps]],
    )


def r_squared(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    """Fraction of the variance of each column of ``y`` that ``y_hat`` explains (can be < 0; NaN for
    a constant column)."""
    y, y_hat = np.atleast_2d(y.T).T, np.atleast_2d(y_hat.T).T
    var = y.var(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, 1.0 - ((y - y_hat) ** 2).mean(0) / var, np.nan)


def ridge_predict(f_train, y_train, f_test, l2=RIDGE_L2) -> np.ndarray:
    """Ridge regression with an unpenalised intercept, fitted on the training rows."""
    f_mean, y_mean = f_train.mean(0), y_train.mean(0)
    f = f_train - f_mean
    penalty = l2 * max(float((f * f).mean(0).mean()), 1e-300) * f.shape[0]
    w = np.linalg.solve(f.T @ f + penalty * np.eye(f.shape[1]), f.T @ (y_train - y_mean))
    return (f_test - f_mean) @ w + y_mean


def place_cell_features(states: np.ndarray, actions: np.ndarray | None = None) -> np.ndarray:
    """The encoder's place-cell activities per state, with the one-hot action appended when given."""
    f = np.array([place_cell_activity(s) for s in states])
    if actions is not None:
        f = np.c_[f, np.eye(3)[actions]]
    return f


def skill(rec: ModelRecording, *, train_fraction: float = 0.5) -> pd.DataFrame:
    """R^2 of each predictor (:data:`PREDICTORS`) for each target, on the steps after the first
    ``train_fraction`` of the recording (the fits use only the steps before)."""
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction = {train_fraction!r} must lie strictly between 0 and 1")
    cut = int(len(rec) * train_fraction)
    if cut < 2 or len(rec) - cut < 2:
        raise ValueError(f"a recording of {len(rec)} steps is too short to split at {train_fraction}")
    y_train, y_test = rec.target[:cut], rec.target[cut:]
    features = {
        "best linear readout of the counts": rec.filtered_counts,
        "place cells + action": place_cell_features(rec.state, rec.action),
        "place cells only": place_cell_features(rec.state),
    }
    predictions = {"online readout": rec.predicted[cut:]}
    for name, f in features.items():
        predictions[name] = ridge_predict(f[:cut], y_train, f[cut:])
    rows = [{"predictor": name, "target": target, "r2": float(r2)}
            for name in PREDICTORS for target, r2 in zip(TARGETS, r_squared(y_test, predictions[name]))]
    return pd.DataFrame(rows)


SKILL_SUBDIR = "world_model_skill"
"""Cached skill tables live in ``<data dir>/world_model_skill/`` (apart from the run files)."""


def skill_path(cfg: TrainConfig, data_dir: Path | str) -> Path:
    """Where :func:`cached_skill` keeps the skill table of run ``cfg`` (named like its run file)."""
    return Path(data_dir) / SKILL_SUBDIR / run_path(cfg, ".").name


def cached_skill(cfg: TrainConfig, data_dir: Path | str, *, progress: bool = False) -> pd.DataFrame:
    """:func:`skill` of :func:`record_world_model` for ``cfg``, computed once and kept (atomically)
    with its config and calibration; a file made under another calibration is recomputed."""
    path = skill_path(cfg, data_dir)
    if path.exists():
        try:
            payload = json.loads(path.read_text())
            same = payload["config"] == cfg.to_dict() and payload["calibration"] == calibration_record(cfg)
            table = pd.DataFrame(payload["skill"], columns=["predictor", "target", "r2"])
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as err:
            raise ValueError(f"world-model skill file {path} is corrupt ({err}); delete it to recompute") from None
        if same:
            return table
    table = skill(record_world_model(cfg, progress=progress))
    write_atomically(path, strict_json({"config": cfg.to_dict(), "calibration": calibration_record(cfg),
                                        "skill": table.to_dict(orient="list")}))
    return table
