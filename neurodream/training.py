"""Awake and dreaming training runs on the emulated chip (protocol §3.5), one run = one table.

Per game: reset + 18 NOOPs, then up to 100 real steps (agent window; with dreaming also a world-model
window and a world-model update), one policy update; with dreaming, one 50-step dream from the start
state of a new game, driven by the world model's predicted state changes and rewards, and one more
policy update. Policy gradients count from game 51 on (``game > 50``, 0-based), the world model
learns from game 0.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .chip import Calibration, DEFAULT_MISMATCH_CV, Emulator
from .encoding import encode
from .networks import N_HIDDEN, build_paper_chip
from .pong import Pong
from .readouts import Policy, WorldModel
from .seeding import stream

CONDITIONS = ("baseline", "dreaming")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run; saved with its results."""

    condition: str = "baseline"
    seed: int = 0
    games: int = 2000
    wait_ms: float = 10.0
    fidelity: str = "paper"
    awake_steps: int = 100
    dream_steps: int = 50
    learn_after_game: int = 50
    policy_lr: float = 0.004
    mismatch_cv: float = DEFAULT_MISMATCH_CV
    calibration: dict | None = None

    def __post_init__(self):
        if self.condition not in CONDITIONS:
            raise ValueError(f"unknown condition {self.condition!r}; allowed: {', '.join(CONDITIONS)}")
        if not (isinstance(self.games, int) and self.games >= 1):
            raise ValueError(f"games = {self.games!r} must be a positive integer")
        if not self.wait_ms > 0:
            raise ValueError(f"wait_ms = {self.wait_ms!r} must be positive (ms per network step)")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class PaperChipRunner:
    """The agent (and world model) on one emulated chip, with the released code's count windows.

    Every window advances the whole chip; each population's counts accumulate over every window
    and are zeroed only when that population is read (so with dreaming each network's counts span
    its own window and the other network's preceding one, as on the chip).
    """

    def __init__(self, cfg: TrainConfig):
        with_model = cfg.condition == "dreaming"
        self.paper = build_paper_chip(cfg.seed, with_model=with_model, fidelity=cfg.fidelity)
        cal = Calibration.from_dict(cfg.calibration) if cfg.calibration else None
        self.chip = Emulator(self.paper.network, cal, mismatch_cv=cfg.mismatch_cv, seed=cfg.seed)
        self.window_s = cfg.wait_ms * 1e-3
        self.acc = np.zeros(self.chip.n_neurons, dtype=np.int64)

    def _read(self, idx) -> np.ndarray:
        out = self.acc[idx].astype(float)
        self.acc[idx] = 0
        return out

    def agent_counts(self, state) -> np.ndarray:
        self.acc += self.chip.run(self.window_s, encode(state)).counts
        return self._read(self.paper.agent)

    def model_counts(self, state, action) -> np.ndarray:
        self.acc += self.chip.run(self.window_s, encode(state, action)).counts
        return self._read(self.paper.model)


def train(cfg: TrainConfig, *, progress: bool = True) -> pd.DataFrame:
    """Run one training run; returns the per-game table (see module docstring)."""
    rng = stream(cfg.seed, "policy")
    runner = PaperChipRunner(cfg)
    env = Pong(cfg.seed)
    policy = Policy(N_HIDDEN, rng, lr=cfg.policy_lr)
    dreaming = cfg.condition == "dreaming"
    model = WorldModel(N_HIDDEN) if dreaming else None
    rows = []
    for game in tqdm(range(cfg.games), desc=f"{cfg.condition} seed {cfg.seed}", disable=not progress):
        t0 = time.perf_counter()
        learn = game > cfg.learn_after_game
        state = env.start_game()
        policy.reset()
        if model:
            model.reset()
        ret, entropy, steps, err_s, err_r, spk_a, spk_m = 0.0, 0.0, 0, [], [], 0.0, 0.0
        for _ in range(cfg.awake_steps):
            c = runner.agent_counts(state)
            spk_a += c.sum()
            a, pi = policy.act(c)
            entropy += -(pi * np.log(pi + 1e-300)).sum()
            if model:
                cm = runner.model_counts(state, a)
                spk_m += cm.sum()
                ds_pred, r_pred = model.predict(cm)
            new_state, r, done = env.step(a)
            policy.reward(r if learn else 0.0)
            if model:
                es, er = model.learn(ds_pred, r_pred, new_state - state, r)
                err_s.append(es)
                err_r.append(er)
            state = new_state
            ret += r
            steps += 1
            if done:
                break
        if learn:
            policy.update()
        dream_steps = 0
        if dreaming:
            state = env.start_game()
            policy.reset()
            model.reset()
            for _ in range(cfg.dream_steps):
                a, _ = policy.act(runner.agent_counts(state))
                ds_pred, r_pred = model.predict(runner.model_counts(state, a))
                state = state + ds_pred
                policy.reward(r_pred if learn else 0.0)
                dream_steps += 1
            if learn:
                policy.update()
        rows.append({
            "game": game, "real_steps": steps, "dream_steps": dream_steps, "return": ret,
            "policy_entropy": entropy / max(steps, 1),
            "model_state_error": float(np.mean(err_s)) if err_s else np.nan,
            "model_reward_error": float(np.mean(err_r)) if err_r else np.nan,
            "agent_spikes_per_step": spk_a / max(steps, 1),
            "model_spikes_per_step": spk_m / max(steps, 1) if dreaming else np.nan,
            "wall_s": time.perf_counter() - t0,
        })
    env.close()
    table = pd.DataFrame(rows)
    table.attrs["config"] = cfg.to_dict()
    return table


def save_run(table: pd.DataFrame, cfg: TrainConfig, directory: Path | str) -> Path:
    """Write ``<dir>/<condition>_seed<N>.json`` atomically: config, library version, per-game rows."""
    from . import __version__

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{cfg.condition}_{cfg.fidelity}_wait{cfg.wait_ms:g}_seed{cfg.seed}.json"
    payload = {"config": cfg.to_dict(), "version": __version__, "table": table.to_dict(orient="list")}
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(payload, f)
    os.replace(tmp, path)
    return path


def load_run(path: Path | str) -> pd.DataFrame:
    """Read a run written by :func:`save_run`; a corrupt file raises ``ValueError`` naming it."""
    try:
        payload = json.loads(Path(path).read_text())
        table = pd.DataFrame(payload["table"])
        table.attrs["config"] = payload["config"]
        table.attrs["version"] = payload["version"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"results file {path} is corrupt or not a neurodream run ({err})") from None
    return table
