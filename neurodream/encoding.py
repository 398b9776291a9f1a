"""Place-cell encoding of the Pong state into FPGA spike-generator trains (docs/protocol.md §2).

Each of the 4 state variables drives 10 generators (ids ``10 * var + cell``); the 3 action
generators (ids 40-42) carry ``150 * one_hot(action)`` during world-model steps. A generator with
activity ``a`` fires ``n = int(a / 33)`` regular spikes at ``linspace(0, 1, n) / 33`` s, and the
stimulus repeats with the period of its last event, as the released code uploaded it (a stimulus
whose events are all at time 0 has no period and plays once per step).

:func:`randomise` replaces that timing by jittered or Poisson trains for robustness studies (not in
the paper).
"""

from __future__ import annotations

import functools

import numpy as np

from .chip import Stimulus
from .chip.limits import MAX_STIMULUS_EVENTS
from .chip.stimulus import PAPER_ISI_BASE, check_event_count, poisson_events, to_ticks

N_VARIABLES = 4
CELLS_PER_VARIABLE = 10
N_STATE_GENERATORS = N_VARIABLES * CELLS_PER_VARIABLE
ACTION_GENERATORS = (40, 41, 42)
PLACE_SIGMA = 20.0
PLACE_GAIN = 7000.0
PLACE_CENTRES = np.arange(CELLS_PER_VARIABLE) * 26.6 - 10.0
"""Centres mu_i = i * 266/10 - 10 of the place cells, in RAM units (0-255)."""
ACTION_ACTIVITY = 150.0
"""The action generator's activity in the released code: 4 spikes per 30.3 ms, as many as the most
active place cell (``int(7000 / (20 sqrt(2 pi)) / 33)``)."""
RATE_QUANTUM_HZ = 33.0
"""Activity per spike of a train: n = int(a / 33) spikes spread over 1/33 s."""
MAX_PLACE_CELL_SPIKES = N_STATE_GENERATORS * int(PLACE_GAIN / (PLACE_SIGMA * np.sqrt(2.0 * np.pi)) / RATE_QUANTUM_HZ)
"""At most this many place-cell events in one step's program (every cell at its peak activity)."""
MAX_ACTION_ACTIVITY = (MAX_STIMULUS_EVENTS - MAX_PLACE_CELL_SPIKES + 1) * RATE_QUANTUM_HZ - 1.0
"""Largest action activity whose train fits, with the place cells', in one FPGA stimulus."""


def place_cell_activity(state) -> np.ndarray:
    """Activities ``a = 7000 N(v; mu_i, 20)`` of the 40 place cells, shape (40,), for a 4-vector state."""
    s = np.asarray(state, dtype=float)
    if s.shape != (N_VARIABLES,) or not np.all(np.isfinite(s)):
        raise ValueError(f"state must be 4 finite numbers (ball x, ball y, cpu y, player y), got {state!r}")
    z = (s[:, None] - PLACE_CENTRES[None, :]) / PLACE_SIGMA
    return (PLACE_GAIN * np.exp(-0.5 * z * z) / (PLACE_SIGMA * np.sqrt(2.0 * np.pi))).ravel()


def spikes_per_train(activity: np.ndarray) -> np.ndarray:
    """Number of spikes ``int(a / 33)`` of each generator's regular train."""
    return (np.asarray(activity, dtype=float) / RATE_QUANTUM_HZ).astype(np.int64)


def encode(state, action: int | None = None, action_activity: float = ACTION_ACTIVITY) -> Stimulus:
    """The repeating stimulus of one network step: 40 place cells, plus the action when given (its
    generator with activity ``action_activity``)."""
    n = spikes_per_train(place_cell_activity(state))
    if action is not None:
        if action not in (0, 1, 2):
            raise ValueError(f"action {action!r} must be 0 (NOOP), 1 (up) or 2 (down)")
        if not (np.isfinite(action_activity) and action_activity >= 0):
            raise ValueError(f"action_activity = {action_activity!r} must be a finite activity >= 0")
        act = np.zeros(len(ACTION_GENERATORS))
        act[action] = action_activity
        n = np.concatenate([n, spikes_per_train(act)])
    return _trains(tuple(n.tolist()))


@functools.lru_cache(maxsize=None)
def _train_ticks(k: int) -> np.ndarray:
    """Spike times of a regular train of ``k`` spikes, ``linspace(0, 1, k) / 33`` s, in the FPGA's
    ISI units (read-only)."""
    ticks = to_ticks(np.linspace(0.0, 1.0, k) / RATE_QUANTUM_HZ, PAPER_ISI_BASE)
    ticks.flags.writeable = False
    return ticks


@functools.lru_cache(maxsize=65536)
def _trains(n: tuple[int, ...]) -> Stimulus:
    # The stimulus depends on the state only through the spike numbers, which repeat a lot in a game:
    # build each program once (Stimulus is immutable), from the trains' ticks, which are valid by
    # construction (a dream's states miss this cache at every step).
    check_event_count(sum(n))  # before allocating: an absurd activity would exhaust the memory
    ids = np.repeat(np.arange(len(n), dtype=np.int64), n)
    ticks = np.concatenate([_train_ticks(k) for k in n])
    # Trains of one spike each put every event at t = 0: such a program has no period (the released
    # code would upload ISIs of 0, which the FPGA cannot repeat meaningfully), so it plays once per
    # step. Dreams reach such states when the imagined ball leaves the screen.
    stim = Stimulus._from_ticks(ids, ticks, PAPER_ISI_BASE, repeat=bool(ticks.size and ticks.max() > 0))
    stim.times_s.flags.writeable = False
    stim.ids.flags.writeable = False
    return stim


def randomise(stim: Stimulus, window_s: float, rng: np.random.Generator, *, jitter_s: float = 0.0,
              poisson: bool = False) -> Stimulus:
    """One step's stimulus with random timing, as a program played once over ``window_s``.

    ``jitter_s``: every event the program plays within the window moves by a Gaussian offset of
    that SD (s), wrapped around the window so no event is lost. ``poisson``: each generator becomes
    an FPGA Poisson source whose rate gives the same expected count in the window as its regular
    train (rate quantised as the FPGA does). Either way the mean input per step is unchanged.
    """
    if jitter_s < 0:
        raise ValueError(f"jitter_s = {jitter_s!r} must be >= 0 (s)")
    times, ids = stim.events(window_s)
    if poisson:
        gens, n = np.unique(ids, return_counts=True)
        times, ids = poisson_events(gens, n / window_s, window_s, rng) if gens.size else (times, ids)
    elif jitter_s > 0:
        times = np.mod(times + rng.normal(0.0, jitter_s, times.size), window_s)
    return Stimulus.from_spike_times(ids, times, isi_base=stim.isi_base, repeat=False)
