"""Awake and dreaming training runs on the emulated chip (protocol §3.5), one run = one table.

Per game: reset + 18 NOOPs, then up to 100 real steps (agent window; with dreaming also a world-model
window and a world-model update), one policy update; with dreaming, one 50-step dream from the start
state of a new game, driven by the world model's predicted state changes and rewards, and one more
policy update. Policy gradients count from game 51 on (``game > 50``, 0-based), the world model
learns from game 0.

Beyond the paper (defaults reproduce it): ``dreams_per_game`` dreams after each game,
``dream_steps = 0`` turns dreaming off while the world model still learns, and
``input_jitter_ms`` / ``poisson_input`` randomise the input spike timing of every step
(:func:`neurodream.encoding.randomise`), and ``action_activity`` (``corrected`` fidelity only) sets
how strongly the action generator drives the world model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
import pickle
import time
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .chip import Calibration, DEFAULT_MISMATCH_CV, Emulator
from .chip.limits import MAX_STIMULUS_EVENTS
from . import blas, run_digest, safe_pickle
from .atomic_file import check_writable_folder, write_atomically
from .encoding import ACTION_ACTIVITY, MAX_ACTION_ACTIVITY, encode, randomise
from .networks import AGENT_CHIP_CORES, FIDELITY_MODES, N_HIDDEN, build_paper_chip
from .pong import Pong
from .readouts import Adam, Policy, WorldModel
from .seeding import stream

CONDITIONS = ("baseline", "dreaming")
DREAM_REWARDS = ("model", "zero", "noise")
DREAM_OPTIMIZERS = ("shared", "own")
"""``TrainConfig.dream_optimizer``: the dreams' updates through the policy's Adam, or one of their own."""
STATE_NAMES = ("ball_x", "ball_y", "cpu_y", "player_y")


HOST_MS = 8.0
"""Chip time (ms) of one network step beyond its wait: the released loop read the chip, ran the
readout, the game step and numpy, and uploaded the next stimulus in about 8 ms (the authors' run
times: 1 h per 200 000 steps without dreaming, 3 h per 600 000 with, i.e. about 18 ms per step with
the 10 ms wait), while the last upload kept playing."""


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run; saved with its results.

    The defaults emulate the released loop as it ran on the chip (fidelity v2): ``host_ms`` of the
    last upload playing on before each new upload, read at the chip's read times; the released
    count buffer (``released_counts``: counts zeroed at each game's start, and a read that finds no
    events clears both networks' counts); the policy's Adam stepped after every game and dream from
    game 0 (``adam_from_game0``: a zero gradient before learning starts). ``network_seed`` /
    ``chip_seed`` (-1: the run's ``seed``) draw the connectivity and the chip (device mismatch,
    input randomness) apart from the readouts and the game, for the paper's design of one network
    per condition. ``host_ms = 0``, ``released_counts = False`` and ``adam_from_game0 = False`` give
    the loop of the first emulation (back-to-back windows).

    Controls of notebook 09: ``second_window`` (baseline only) adds after each awake step the world
    model's window of the dreaming setup, without a world model: the state and action are played,
    and the agent's spikes in it count towards its next read, as with dreaming. ``dream_reward``
    (dreaming only): ``"model"`` (the paper: the world model's predicted reward), ``"zero"`` (dreams
    run, their policy update has a zero gradient: Adam's bookkeeping alone), ``"noise"`` (each dream's
    policy gradient replaced by zero-mean Gaussian noise of the same norm).

    Arms of the powered study (notebook 10, docs/preregistration.md): ``zero_gradient_steps`` adds
    after each game's policy update that many further Adam steps with a zero gradient (what a dream
    does to the optimiser, without the dream's chip reads, game start or action sampling);
    ``dream_optimizer = "own"`` (dreaming only) sends the dreams' updates through an Adam optimiser of
    their own (own moments and step counter), so a dream cannot replay the real step's momentum.
    """

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
    dreams_per_game: int = 1
    input_jitter_ms: float = 0.0
    poisson_input: bool = False
    action_activity: float = ACTION_ACTIVITY
    host_ms: float = HOST_MS
    released_counts: bool = True
    adam_from_game0: bool = True
    network_seed: int = -1
    chip_seed: int = -1
    second_window: bool = False
    dream_reward: str = "model"
    zero_gradient_steps: int = 0
    dream_optimizer: str = "shared"

    def __post_init__(self):
        _normalise_numbers(self)
        _check_fields(self)

    @property
    def learns(self) -> bool:
        """Whether the policy learns at all: policy gradients count from game ``learn_after_game + 1``
        on (0-based), so a run needs more than ``learn_after_game + 1`` games."""
        return self.games > self.learn_after_game + 1

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def changes(self) -> dict:
        """The fields that differ from their defaults (what names a run: see :func:`run_path`)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name == "condition" or getattr(self, f.name) != f.default}


MAX_WAIT_MS = 1000.0
"""Longest network step accepted (ms); the paper used 10-50 ms."""
MAX_MISMATCH_CV = 1.0
"""Largest device-mismatch CV accepted (100 %; the DYNAP-SE literature quotes 10-20 %)."""
MAX_POLICY_LR = 1.0
"""Largest policy learning rate accepted (250 times the paper's 0.004). Adam moves each weight by up
to about the learning rate per update, so above 1 a single update dwarfs the initial weights (SD 0.1)
and saturates the policy's softmax; far above it (1e308) the weights overflow to NaN."""


def _normalise_numbers(cfg: TrainConfig) -> None:
    """Store integer-like values of int fields as ``int`` and real values of float fields as ``float``
    (numpy scalars, or 20 for 20.0 ms from a command line or papermill), so a run's file name does
    not depend on how a value was typed. Booleans are left alone (and refused by :func:`_check_fields`)."""
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if isinstance(value, (bool, np.bool_)):
            continue
        if isinstance(f.default, int) and not isinstance(f.default, bool) and isinstance(value, numbers.Integral):
            object.__setattr__(cfg, f.name, int(value))
        elif isinstance(f.default, float) and isinstance(value, numbers.Real):
            object.__setattr__(cfg, f.name, float(value))


def _check_int(cfg: TrainConfig, name: str, low: int, what: str) -> None:
    value = getattr(cfg, name)
    if type(value) is not int or value < low:
        raise ValueError(f"{name} = {value!r} must be an integer >= {low} ({what})")


def _check_float(cfg: TrainConfig, name: str, low: float, high: float, what: str, *, open_low: bool = False) -> None:
    value = getattr(cfg, name)
    ok = type(value) is float and math.isfinite(value) and (value > low if open_low else value >= low) and value <= high
    if not ok:
        bound = f"{'>' if open_low else '>='} {low:g} and <= {high:g}"
        raise ValueError(f"{name} = {value!r} must be a finite number {bound} ({what})")


def _check_fields(cfg: TrainConfig) -> None:
    """``ValueError`` naming the first field of ``cfg`` out of its type or range."""
    if not (isinstance(cfg.condition, str) and cfg.condition in CONDITIONS):
        raise ValueError(f"unknown condition {cfg.condition!r}; allowed: {', '.join(CONDITIONS)}")
    if not (isinstance(cfg.fidelity, str) and cfg.fidelity in FIDELITY_MODES):
        raise ValueError(f"unknown fidelity {cfg.fidelity!r}; allowed: {', '.join(FIDELITY_MODES)}")
    _check_int(cfg, "seed", 0, "the run's random seed")
    _check_int(cfg, "games", 1, "real games played")
    _check_int(cfg, "awake_steps", 1, "real steps per game at most")
    _check_int(cfg, "dream_steps", 0, "steps per dream")
    _check_int(cfg, "dreams_per_game", 0, "dreams after each game")
    _check_int(cfg, "learn_after_game", -1, "policy gradients from game learn_after_game + 1 on, 0-based")
    _check_float(cfg, "wait_ms", 0.0, MAX_WAIT_MS, "ms per network step", open_low=True)
    _check_float(cfg, "policy_lr", 0.0, MAX_POLICY_LR, "the policy's learning rate (Adam's step per weight "
                 "and update; the paper's is 0.004, and above 1 one update dwarfs the initial weights)",
                 open_low=True)
    _check_float(cfg, "mismatch_cv", 0.0, MAX_MISMATCH_CV, "device mismatch CV; 0.2 means 20 %")
    _check_float(cfg, "input_jitter_ms", 0.0, math.inf, "SD of the input spike jitter, ms")
    _check_float(cfg, "action_activity", 0.0, MAX_ACTION_ACTIVITY, "the action generator's activity, "
                 f"at most what fits the FPGA's stimulus of {MAX_STIMULUS_EVENTS} events; the released "
                 f"code's is {ACTION_ACTIVITY}", open_low=True)
    _check_float(cfg, "host_ms", 0.0, MAX_WAIT_MS, "chip time per step beyond the wait, ms")
    _check_int(cfg, "network_seed", -1, "seed of the connectivity; -1: the run's seed")
    _check_int(cfg, "chip_seed", -1, "seed of the chip's mismatch and input randomness; -1: the run's seed")
    for name in ("poisson_input", "released_counts", "adam_from_game0", "second_window"):
        if not isinstance(getattr(cfg, name), bool):
            raise ValueError(f"{name} = {getattr(cfg, name)!r} must be True or False")
    _check_int(cfg, "zero_gradient_steps", 0, "extra zero-gradient Adam steps after each game's update")
    if not (isinstance(cfg.dream_optimizer, str) and cfg.dream_optimizer in DREAM_OPTIMIZERS):
        raise ValueError(f"unknown dream_optimizer {cfg.dream_optimizer!r}; allowed: {', '.join(DREAM_OPTIMIZERS)}")
    if cfg.dream_optimizer != "shared" and cfg.condition != "dreaming":
        raise ValueError(f"dream_optimizer = {cfg.dream_optimizer!r} needs the dreaming condition")
    if cfg.zero_gradient_steps and not (cfg.adam_from_game0 or cfg.learns):
        raise ValueError("zero_gradient_steps needs policy updates (adam_from_game0, or a run that learns)")
    if not (isinstance(cfg.dream_reward, str) and cfg.dream_reward in DREAM_REWARDS):
        raise ValueError(f"unknown dream_reward {cfg.dream_reward!r}; allowed: {', '.join(DREAM_REWARDS)}")
    if cfg.second_window and cfg.condition != "baseline":
        raise ValueError("second_window = True is a control of the baseline (the dreaming setup has the "
                         "world model's window already)")
    if cfg.dream_reward != "model" and cfg.condition != "dreaming":
        raise ValueError(f"dream_reward = {cfg.dream_reward!r} needs the dreaming condition")
    if cfg.calibration is not None:
        if not isinstance(cfg.calibration, Mapping):
            raise ValueError(f"calibration = {cfg.calibration!r} must be None or a Calibration.to_dict() record")
        try:
            Calibration.from_dict(cfg.calibration)
        except (TypeError, ValueError) as err:
            raise ValueError(f"calibration: {err}") from None
    if cfg.action_activity != ACTION_ACTIVITY and cfg.fidelity != "corrected":
        raise ValueError(f"action_activity = {cfg.action_activity!r} needs fidelity 'corrected': in "
                         f"{cfg.fidelity!r} fidelity no neuron receives the action generators")
    if cfg.poisson_input and cfg.input_jitter_ms:
        raise ValueError("poisson_input and input_jitter_ms exclude each other: Poisson trains have no "
                         "regular times to jitter")


def calibration_for(cfg: TrainConfig) -> Calibration:
    """The calibration a run uses: ``cfg.calibration`` when given, else the default record (one set
    of biases for both conditions, as the released code had; the first emulation gave the dreaming
    agent a shorter pulse: ``agent_pulse_calibration(DREAMING_AGENT_PULSE).to_dict()`` as
    ``calibration`` reproduces that)."""
    if cfg.calibration:
        return Calibration.from_dict(cfg.calibration)
    return Calibration()


def agent_pulse_calibration(code: tuple[int, int]) -> Calibration:
    """The default calibration with the agent cores' ``PULSE_PWLK_P`` at ``code`` = (coarse, fine);
    ``.to_dict()`` makes it a ``TrainConfig.calibration`` record, which applies in either setup.
    ``agent_pulse_calibration(PAPER_AGENT_PULSE).to_dict()`` gives the dreaming agent the baseline's
    pulse, as in the released code (one set of biases for both conditions). A code out of range
    raises ``ValueError`` naming it."""
    code = tuple(code)
    if len(code) != 2:
        raise ValueError(f"agent pulse {code!r} must be a (coarse, fine) pair")
    return Calibration().with_core_bias(AGENT_CHIP_CORES, "PULSE_PWLK_P", code)


def calibration_record(cfg: TrainConfig) -> dict:
    """:func:`calibration_for` as stored in a run file (JSON types), to compare with one read back."""
    return json.loads(json.dumps(calibration_for(cfg).to_dict()))


LOOP_VERSION = 2
"""The emulated loop a run file was made by: 1 the first emulation (back-to-back windows), 2 the
released loop as it ran (host time, count buffer, Adam's bookkeeping: fidelity v2). A config's
fields alone cannot tell the two apart (the defaults changed); files without the key are version 2
if their config has ``host_ms`` (introduced with it), else 1."""


def run_is_current(table: pd.DataFrame) -> str | None:
    """Why a run read by :func:`load_run` is not what its config gives now (another loop version or
    calibration), or None when it is."""
    if table.attrs.get("loop", 1) != LOOP_VERSION:
        return f"was made by loop version {table.attrs.get('loop', 1)} (now {LOOP_VERSION})"
    if not run_calibration_is_current(table):
        return "was run under another calibration"
    return None


def run_calibration_is_current(table: pd.DataFrame) -> bool:
    """Whether a run read by :func:`load_run` was made under the calibration its config resolves to now."""
    return table.attrs["calibration"] == calibration_record(TrainConfig(**table.attrs["config"]))


class PaperChipRunner:
    """The agent (and world model) on one emulated chip, read as the released loop read it.

    Each network step uploads a stimulus, waits ``wait_ms`` and reads the chip; the read holds
    everything since the previous read: the last upload playing on for ``host_ms`` (the loop's host
    work), then the new stimulus's first ``wait_ms``. Counts accumulate per neuron over every read
    and each population's are zeroed only when that population is read (so with dreaming each
    network's counts span its own window and the other network's preceding one, as on the chip).
    With ``released_counts``, a read that finds no events clears all counts, and a game's start
    zeroes them (a dream's start does not), as the released code did.
    """

    def __init__(self, cfg: TrainConfig):
        with_model = cfg.condition == "dreaming"
        network_seed = cfg.seed if cfg.network_seed < 0 else cfg.network_seed
        chip_seed = cfg.seed if cfg.chip_seed < 0 else cfg.chip_seed
        self.paper = build_paper_chip(network_seed, with_model=with_model, fidelity=cfg.fidelity)
        self.chip = Emulator(self.paper.network, calibration_for(cfg), mismatch_cv=cfg.mismatch_cv, seed=chip_seed)
        self.wait_s = cfg.wait_ms * 1e-3
        self.host_s = cfg.host_ms * 1e-3
        self.playing = None
        """The last upload (the generators keep playing it)."""
        self.released = cfg.released_counts
        self.acc = np.zeros(self.chip.n_neurons, dtype=np.int64)
        self.jitter_s = cfg.input_jitter_ms * 1e-3
        self.poisson = cfg.poisson_input
        self.action_activity = cfg.action_activity

    def _stimulus(self, state, action=None):
        stim = encode(state, action, self.action_activity)
        if self.jitter_s or self.poisson:  # a program over all the time it plays: wait, then host work
            stim = randomise(stim, self.wait_s + self.host_s, self.chip.input_rng, jitter_s=self.jitter_s,
                             poisson=self.poisson)
        return stim

    def window(self, stimulus):
        """Upload ``stimulus``, wait, read: the chip's :class:`~neurodream.chip.RunResult` since the
        previous read (its counts are added to the running counts)."""
        if self.host_s > 0:
            res = self.chip.run(self.host_s + self.wait_s, stimulus, upload_at_s=self.host_s,
                                previous=self.playing, previous_phase_s=self.wait_s)
        else:
            res = self.chip.run(self.wait_s, stimulus)
        self.playing = stimulus
        if self.released and not res.counts.any():
            self.acc[:] = 0  # the released read: no events replaces the whole count buffer by zeros
        else:
            self.acc += res.counts
        return res

    def new_game(self) -> None:
        """A game starts (the released loop drained the chip's events and zeroed the counts)."""
        if self.released:
            self.acc[:] = 0

    def _read(self, idx) -> np.ndarray:
        out = self.acc[idx].astype(float)
        self.acc[idx] = 0
        return out

    def agent_counts(self, state) -> np.ndarray:
        self.window(self._stimulus(state))
        return self._read(self.paper.agent)

    def model_counts(self, state, action) -> np.ndarray:
        self.window(self._stimulus(state, action))
        return self._read(self.paper.model)


@dataclasses.dataclass(frozen=True)
class ModelStep:
    """One awake step of the world model, as :func:`train` passes it to an observer."""

    game: int
    state: np.ndarray
    action: int
    filtered_counts: np.ndarray
    """The readout's input ``x`` (filtered model counts) that made the prediction."""
    predicted_change: np.ndarray
    predicted_reward: float
    state_change: np.ndarray
    """Raw ``s_{t+1} - s_t`` (the model's target clips it: ``readouts.state_change_target``)."""
    reward_trace: float
    """The reward target after this step (``readouts.REWARD_TRACE_DECAY``)."""


CHECKPOINT_EVERY_GAMES = 50
"""How often :func:`train` saves its state when given a checkpoint file."""


class NonFiniteRun(FloatingPointError):
    """A run whose readout weights or return became NaN or infinite (e.g. an absurd learning rate):
    :func:`train` stops it at that game and saves no result (a file of nulls is no run)."""


def _check_finite(cfg: TrainConfig, game: int, after: str, policy: Policy, model: WorldModel | None,
                  ret: float) -> None:
    """:class:`NonFiniteRun` naming the run, the game and the fields when the game's return, the
    policy's weights ``policy_J`` or the world model's ``model_W`` are not all finite ``after`` an
    update (cheap: a few hundred numbers, read, never changed)."""
    checks = [("return", math.isfinite(ret)), ("policy_J", bool(np.isfinite(policy.J).all()))]
    if model is not None:
        checks.append(("model_W", bool(np.isfinite(model.W_s).all() and np.isfinite(model.W_r).all())))
    bad = [name for name, ok in checks if not ok]
    if bad:
        raise NonFiniteRun(f"run {run_path(cfg, '.').name}: game {game}: {' and '.join(bad)} not finite "
                           f"(NaN or infinite) after {after}; the run is stopped and no result is saved "
                           f"(policy_lr = {cfg.policy_lr:g}; a smaller learning rate may keep the weights finite)")


def _with_kernel(kernels: list, kernel: str | None) -> list:
    """The OpenBLAS kernels a run ran under (:func:`neurodream.blas.active_kernel`), one per kind in
    order of first use, with ``kernel`` (this process's) added when new."""
    return kernels if kernel in kernels else [*kernels, kernel]


def kernel_record(kernels: list) -> str | None:
    """What a run file records as ``blas_kernel``: the kernels of all the run's segments (a run
    resumed from a checkpoint may have run under several) joined by ``,`` in order of first use,
    e.g. ``"Haswell"`` or ``"SkylakeX,Haswell"`` (a segment whose kernels could not be told is
    ``unknown``); None when none could be told. A single kernel reads as before."""
    if all(k is None for k in kernels):
        return None
    return ",".join("unknown" if k is None else k for k in kernels)


def train(cfg: TrainConfig, *, progress: bool = True, checkpoint: Path | str | None = None,
          checkpoint_every: int = CHECKPOINT_EVERY_GAMES, observer=None,
          save_in: Path | str | None = None) -> pd.DataFrame:
    """Run one training run; returns the per-game table (see module docstring).

    ``observer``, when given, is called after every awake step that has a world model (dreaming
    condition) with one :class:`ModelStep`: what the model saw, predicted and should have predicted.

    With ``checkpoint`` (a file path; its folder is checked for writing before the first game), the
    run's whole state is saved there atomically every ``checkpoint_every`` games, and a run started
    again with the same file resumes after the last saved game with exactly the results of an
    uninterrupted run (a finished one returns at once). A checkpoint that cannot be written (a full
    disk) costs a warning naming the file and the error, and the run goes on; the previous
    checkpoint, if any, stays as it was.

    With ``save_in`` (a folder) the finished run is saved there (:func:`save_run`) before anything
    else is written, so a finished run is kept whenever its result fits on the disk, and then the
    checkpoint is removed; only when that write fails is the final state checkpointed (all games
    played are kept, if that fits) and the error raised. Without ``save_in`` the result is in memory
    only, and a run with a checkpoint ends by checkpointing its final state. The sweep
    (:func:`neurodream.sweep.run_one`) and the command line's ``train`` hold the run's lock
    (:mod:`neurodream.run_lock`) around this call, so no other process resumes the checkpoint meanwhile.

    A run whose weights or return become NaN or infinite stops at that game with
    :class:`NonFiniteRun` naming it, the game and the field; nothing is saved (its last checkpoint,
    if any, stays as it was). The OpenBLAS kernels of every segment of a resumed run are carried in
    its checkpoints and recorded in its file (:func:`kernel_record`).
    """
    if not (isinstance(checkpoint_every, int) and checkpoint_every >= 1):
        raise ValueError(f"checkpoint_every = {checkpoint_every!r} must be a positive number of games")
    note = blas.kernel_note()
    if note:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    dreaming = cfg.condition == "dreaming"
    state_file = Path(checkpoint) if checkpoint is not None else None
    if state_file is not None:
        check_writable_folder(state_file.parent)
    saved = _load_checkpoint(state_file, cfg) if state_file is not None else None
    if saved:
        rows, policy, model, runner, log, noise_rng, kernels = saved
        env = Pong(cfg.seed)
        if len(rows) < cfg.games:
            env.replay(log)  # the environment cannot be pickled: rebuild it from its call log
    else:
        runner = PaperChipRunner(cfg)
        env = Pong(cfg.seed)
        policy = Policy(N_HIDDEN, stream(cfg.seed, "policy"), lr=cfg.policy_lr)
        # the dreams' own optimiser, kept on the policy so that a checkpoint carries it
        policy.dream_adam = Adam(policy.J.shape, cfg.policy_lr) if cfg.dream_optimizer == "own" else None
        model = WorldModel(N_HIDDEN) if dreaming else None
        noise_rng = stream(cfg.seed, "dream-noise")
        rows, kernels = [], []
    dream_adam = getattr(policy, "dream_adam", None)
    start = len(rows)
    if start < cfg.games:  # games are played here: under this process's kernels
        kernels = _with_kernel(kernels, blas.active_kernel())
    for game in tqdm(range(start, cfg.games), initial=start, total=cfg.games,
                     desc=f"{cfg.condition} seed {cfg.seed}", disable=not progress):
        if state_file is not None and game > start and game % checkpoint_every == 0:
            _try_checkpoint(state_file, cfg, rows, policy, model, runner, env.log, noise_rng, kernels=kernels)
        t0 = time.perf_counter()
        learn = game > cfg.learn_after_game
        state = env.start_game()
        runner.new_game()
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
            elif cfg.second_window:
                runner.window(runner._stimulus(state, a))  # the world model's window, nobody read
            new_state, r, done = env.step(a)
            policy.reward(r if learn else 0.0)
            if model:
                es, er = model.learn(ds_pred, r_pred, new_state - state, r)  # learning leaves model.x as it is
                err_s.append(es)
                err_r.append(er)
                if observer is not None:
                    observer(ModelStep(game, state, a, model.x.copy(), ds_pred, r_pred, new_state - state, model.r_trace))
            state = new_state
            ret += r
            steps += 1
            if done:
                break
        if learn or cfg.adam_from_game0:
            policy.update()  # before learning starts: a zero gradient, which still steps Adam's counter
            for _ in range(cfg.zero_gradient_steps):  # the optimiser's part of a dream, alone
                policy.G = np.zeros_like(policy.G)
                policy.update()
        _check_finite(cfg, game, "the game's updates", policy, model, ret)
        dream_steps = 0
        for _ in range(cfg.dreams_per_game if dreaming and cfg.dream_steps else 0):
            state = env.start_game()
            policy.reset()
            model.reset()
            for _ in range(cfg.dream_steps):
                a, _ = policy.act(runner.agent_counts(state))
                ds_pred, r_pred = model.predict(runner.model_counts(state, a))
                state = state + ds_pred
                policy.reward(r_pred if learn and cfg.dream_reward != "zero" else 0.0)
                dream_steps += 1
            if cfg.dream_reward == "noise":
                # the dream's gradient as the paper computes it, replaced by noise of its norm
                norm = float(np.linalg.norm(policy.G))
                noise = noise_rng.standard_normal(policy.G.shape)
                policy.G = noise * (norm / max(float(np.linalg.norm(noise)), 1e-300))
            if learn or cfg.adam_from_game0:
                policy.update(dream_adam)
        if dream_steps:
            _check_finite(cfg, game, "the dreams' updates", policy, model, ret)
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
    table.attrs["policy_J"] = policy.J.tolist()
    table.attrs["model_W"] = np.vstack([model.W_s, model.W_r]).tolist() if model else None
    table.attrs["blas_kernels"] = kernels
    final = (state_file, cfg, rows, policy, model, runner, env.log, noise_rng)
    if save_in is not None:
        try:
            save_run(table, cfg, save_in)
        except OSError:
            if state_file is not None and start < cfg.games:
                _try_checkpoint(*final, kernels=kernels)  # the games played since the last checkpoint, if that fits
            raise
        if state_file is not None:
            state_file.unlink(missing_ok=True)
    elif state_file is not None and start < cfg.games:
        _try_checkpoint(*final, kernels=kernels)
    return table


def _try_checkpoint(path: Path, *state, kernels: list | None = None) -> bool:
    """:func:`_save_checkpoint`; a write that fails (a full disk) costs a one-line warning naming the
    file and the error, and leaves the previous checkpoint, if any, as it was. Returns whether it
    was written."""
    try:
        _save_checkpoint(path, *state, kernels=kernels)
    except OSError as err:
        warnings.warn(f"checkpoint {path} not written ({err.strerror or err}); the run goes on, "
                      "keeping the previous checkpoint, if any", RuntimeWarning, stacklevel=3)
        return False
    return True


def _save_checkpoint(path: Path, cfg: TrainConfig, rows, policy, model, runner, log, noise_rng, *,
                     kernels: list | None = None) -> None:
    """The run's state, pickled atomically to ``path``, with the OpenBLAS kernels its games ran under
    so far (``kernels``: :func:`kernel_record`)."""
    from . import __version__, code_fingerprint

    payload = {"config": cfg.to_dict(), "version": __version__, "code": code_fingerprint(), "rows": rows,
               "policy": policy, "model": model, "runner": runner, "env_log": list(log), "noise_rng": noise_rng,
               "blas_kernels": list(kernels or [])}
    write_atomically(path, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))


def _load_checkpoint(path: Path, cfg: TrainConfig):
    """The saved state of run ``cfg``, or None (no file, another config, or written by other code,
    i.e. another :func:`neurodream.code_fingerprint`: start afresh, with a warning naming the file).
    The file is read by :func:`neurodream.safe_pickle.loads`, which refuses any global a checkpoint
    never holds before calling it: a file planted in the output folder runs no code."""
    from . import code_fingerprint

    if not path.exists():
        return None
    try:
        payload = safe_pickle.loads(path.read_bytes())
        same_config = payload["config"] == cfg.to_dict()
        same_code = payload.get("code") == code_fingerprint()
    except safe_pickle.ForbiddenGlobal as err:
        warnings.warn(f"checkpoint {path} refused: {err}; starting afresh", stacklevel=3)
        return None
    except Exception as err:  # noqa: BLE001 - any unreadable checkpoint only costs a restart
        warnings.warn(f"checkpoint {path} is unreadable ({type(err).__name__}: {err}); starting afresh", stacklevel=3)
        return None
    if not same_config:
        warnings.warn(f"checkpoint {path} belongs to another config; starting afresh", stacklevel=3)
        return None
    if not same_code:
        warnings.warn(f"checkpoint {path} was written by other code (the neurodream source has changed "
                      "since); starting afresh", stacklevel=3)
        return None
    return (payload["rows"], payload["policy"], payload["model"], payload["runner"], payload["env_log"],
            payload["noise_rng"], list(payload.get("blas_kernels", [])))


def spike_raster(cfg: TrainConfig, states) -> pd.DataFrame:
    """Spikes of run ``cfg``'s agent for a sequence of states, one window each (fresh chip):
    one row per spike with ``time_s`` (chip clock), ``neuron`` (agent index) and ``step``."""
    runner = PaperChipRunner(dataclasses.replace(cfg, condition="baseline"))
    index = np.full(runner.chip.n_neurons, -1)
    index[runner.paper.agent] = np.arange(runner.paper.agent.size)
    rows = []
    for step, state in enumerate(np.asarray(states, dtype=float)):
        res = runner.window(encode(state))
        rows.append(pd.DataFrame({"time_s": res.spike_times_s, "neuron": index[res.spike_neurons], "step": step}))
    return pd.concat(rows, ignore_index=True)


def dream_beside_real(cfg: TrainConfig, J, model_W, *, steps: int = 50, game_seed: int = 0,
                      real_steps: int | None = None) -> pd.DataFrame:
    """A real game and a dream from the same start state, with trained weights and no learning.

    ``model_W`` stacks the world model's state rows and its reward row (as saved with a run). One row
    per step and kind (``real`` / ``dream``): the state, the action, the (predicted) reward and, for
    the real game, the world model's one-step prediction of the state change beside the real one.
    The real game lasts ``real_steps`` (default ``steps``), the dream ``steps``; ``attrs["events"]``
    counts the chip's hardware events over both.
    """
    runner = PaperChipRunner(dataclasses.replace(cfg, condition="dreaming"))
    policy = Policy(N_HIDDEN, stream(cfg.seed, "policy"), lr=cfg.policy_lr)
    policy.J = np.asarray(J, dtype=float).reshape(policy.J.shape)
    model = WorldModel(N_HIDDEN)
    W = np.asarray(model_W, dtype=float)
    model.W_s, model.W_r = W[:-1].copy(), W[-1:].copy()
    env = Pong(game_seed)
    start = env.start_game()
    rows = []
    state = start
    for step in range(steps if real_steps is None else real_steps):
        a, _ = policy.act(runner.agent_counts(state))
        ds_pred, r_pred = model.predict(runner.model_counts(state, a))
        new_state, r, done = env.step(a)
        rows.append({"kind": "real", "step": step, **dict(zip(STATE_NAMES, state)), "action": a, "reward": r,
                     **{f"pred_d{k}": v for k, v in zip(STATE_NAMES, ds_pred)},
                     **{f"real_d{k}": v for k, v in zip(STATE_NAMES, new_state - state)}})
        state = new_state
        if done:
            break
    env.close()
    policy.reset()
    model.reset()
    state = start
    for step in range(steps):
        a, _ = policy.act(runner.agent_counts(state))
        ds_pred, r_pred = model.predict(runner.model_counts(state, a))
        rows.append({"kind": "dream", "step": step, **dict(zip(STATE_NAMES, state)), "action": a, "reward": r_pred})
        state = state + ds_pred
    out = pd.DataFrame(rows)
    out.attrs["events"] = dataclasses.asdict(runner.chip.events)
    return out


def play_game(cfg: TrainConfig, J: np.ndarray | None = None, *, steps: int = 100, game_seed: int = 0) -> pd.DataFrame:
    """One real game on run ``cfg``'s chip with policy weights ``J`` (default: the initial, random
    ones), without learning; one row per step: state, action, reward, agent spike count."""
    runner = PaperChipRunner(dataclasses.replace(cfg, condition="baseline"))
    policy = Policy(N_HIDDEN, stream(cfg.seed, "policy"), lr=cfg.policy_lr)
    if J is not None:
        policy.J = np.asarray(J, dtype=float).reshape(policy.J.shape)
    env = Pong(game_seed)
    state = env.start_game()
    rows = []
    for step in range(steps):
        c = runner.agent_counts(state)
        a, pi = policy.act(c)
        new_state, r, done = env.step(a)
        rows.append({"step": step, **dict(zip(STATE_NAMES, state)), "action": a, "reward": r,
                     "agent_spikes": int(c.sum())})
        state = new_state
        if done:
            break
    env.close()
    out = pd.DataFrame(rows)
    out.attrs["events"] = dataclasses.asdict(runner.chip.events)
    return out


def run_path(cfg: TrainConfig, directory: Path | str) -> Path:
    """``<dir>/<condition>_<fidelity>_wait<ms>_seed<N>_<hash>.json``; the hash covers every field
    that differs from its default (:meth:`TrainConfig.changes`), so a field added later with a default
    leaves the names of earlier runs valid."""
    digest = hashlib.sha256(json.dumps(cfg.changes(), sort_keys=True).encode()).hexdigest()[:10]
    return Path(directory) / f"{cfg.condition}_{cfg.fidelity}_wait{cfg.wait_ms:g}_seed{cfg.seed}_{digest}.json"


def checkpoint_path(cfg: TrainConfig, directory: Path | str) -> Path:
    """Where :func:`train` keeps the state of an unfinished run: :func:`run_path` with ``.ckpt``."""
    return run_path(cfg, directory).with_suffix(".ckpt")


def save_run(table: pd.DataFrame, cfg: TrainConfig, directory: Path | str) -> Path:
    """Write :func:`run_path` atomically, as strict JSON (NaN as null): config, library version, code
    fingerprint, the OpenBLAS kernels the run ran under (:func:`kernel_record` of the table's
    ``blas_kernels``, which :func:`train` sets; else this process's, :func:`neurodream.blas.active_kernel`),
    calibration, per-game rows, final weights, and the digest of all these
    (:mod:`neurodream.run_digest`), which :func:`load_run` checks; then remove the run's checkpoint
    (:func:`checkpoint_path`), which is no longer needed."""
    from . import __version__, code_fingerprint

    payload = {"config": cfg.to_dict(), "version": __version__, "code": code_fingerprint(),
               "blas_kernel": kernel_record(table.attrs.get("blas_kernels") or [blas.active_kernel()]),
               "loop": LOOP_VERSION,
               "calibration": calibration_record(cfg), "table": table.to_dict(orient="list"),
               "policy_J": table.attrs.get("policy_J"), "model_W": table.attrs.get("model_W")}
    path = write_atomically(run_path(cfg, directory), run_digest.sealed_text(payload))
    checkpoint_path(cfg, directory).unlink(missing_ok=True)
    return path


REQUIRED_COLUMNS = ("game", "return")
"""Per-game columns every run file holds."""


def load_run(path: Path | str) -> pd.DataFrame:
    """Read a run written by :func:`save_run` (null, in files sealed after the fact also a bare NaN
    of an older file, as NaN). A file that is not one raises ``ValueError`` naming it: corrupt, its
    digest missing or not matching its content (:func:`neurodream.run_digest.verify`: edited after
    it was written, or made before digests were recorded), or a value of the wrong kind
    (:func:`check_run_payload`)."""
    try:
        payload = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"results file {path} is corrupt or not a neurodream run ({err})") from None
    if not isinstance(payload, dict) or not {"config", "table"} <= set(payload):
        raise ValueError(f"results file {path} is corrupt or not a neurodream run (no config and table)")
    payload = run_digest.verify(payload, path)
    return run_table(payload, path)


def run_table(payload: dict, path: Path | str) -> pd.DataFrame:
    """The per-game table (with its attrs) of a run file's ``payload`` read from ``path``, checked
    (:func:`check_run_payload`); ``ValueError`` naming the file and what is wrong otherwise."""
    try:
        check_run_payload(payload)
        table = pd.DataFrame(payload["table"])
        for col in table.columns:  # a column of nulls only (e.g. a baseline's model errors) is NaN
            if table[col].dtype == object and table[col].isna().all():
                table[col] = np.nan
        # fields added since the run was written take their defaults (``loop`` tells whether these
        # reproduce what the file was made with: run_is_current)
        table.attrs["config"] = TrainConfig(**payload["config"]).to_dict()
        table.attrs["version"] = payload["version"]
        table.attrs["code"] = payload.get("code")
        # None: made before it was recorded; "A,B": a run resumed under other kernels (kernel_record)
        table.attrs["blas_kernel"] = payload.get("blas_kernel")
        # files written before the key: loop 2 introduced the host_ms field
        table.attrs["loop"] = payload.get("loop", 2 if "host_ms" in payload["config"] else 1)
        table.attrs["calibration"] = payload.get("calibration")
        table.attrs["policy_J"] = payload.get("policy_J")
        table.attrs["model_W"] = payload.get("model_W")
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"results file {path} is corrupt or not a neurodream run ({err})") from None
    return table


def check_run_payload(payload: dict) -> None:
    """``ValueError`` saying what is wrong when a run file's ``payload`` is not what :func:`save_run`
    writes: a mapping ``config``; a ``table`` of per-game columns, all of one length, holding
    numbers or nulls (no text, no booleans), among them :data:`REQUIRED_COLUMNS`; ``policy_J`` a
    non-empty list of lists of numbers; ``model_W`` one too for a dreaming run."""
    if not isinstance(payload.get("config"), dict):
        raise ValueError("config is not a mapping of fields")
    columns = payload.get("table")
    if not isinstance(columns, dict) or not all(isinstance(v, list) for v in columns.values()):
        raise ValueError("table is not a mapping of per-game columns (lists)")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"table has no column {', '.join(missing)}")
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"table columns differ in length ({', '.join(f'{k}: {n}' for k, n in lengths.items())})")
    for name, values in columns.items():
        bad = next((v for v in values if not _is_number_or_null(v)), None)
        if bad is not None:
            raise ValueError(f"table column {name!r} holds {bad!r}; allowed: numbers and null")
    _check_weights(payload, "policy_J", required=True)
    _check_weights(payload, "model_W", required=payload["config"].get("condition") == "dreaming")


def _is_number_or_null(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _check_weights(payload: dict, key: str, *, required: bool) -> None:
    """``ValueError`` unless ``payload[key]`` is a non-empty list of lists of numbers (or, when not
    ``required``, missing or null)."""
    value = payload.get(key)
    if value is None:
        if required:
            raise ValueError(f"{key} is {'null' if key in payload else 'missing'}; a run file holds its final weights")
        return
    rows_ok = isinstance(value, list) and value and all(isinstance(r, list) and r for r in value)
    if not rows_ok or not all(_is_number_or_null(x) for r in value for x in r):
        raise ValueError(f"{key} is not a matrix of numbers (a list of lists)")
