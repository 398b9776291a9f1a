"""The emulated DYNAP-SE1: a validated :class:`~.network.Network` on a chip that runs in windows.

>>> from neurodream.chip import Network, Emulator, Stimulus, CoreBiases
>>> net = Network(generator_chip=0)
>>> post = net.add_neurons(0, 1, [1])
>>> net.set_biases(0, 1, CoreBiases(IF_THR_N=(0, 0)))
>>> net.connect_generator(7, post[0], "NMDA", weight=4)
>>> chip = Emulator(net, seed=1)
>>> result = chip.run(0.01, Stimulus.from_spike_times([7], [0.0]))
>>> result.counts.shape, chip.time_s
((1,), 0.01)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import _layout as L
from ._dpi import membrane_rate
from ._fast import N_STATS, expand_events, run_window
from ._pflow import closed_form_constants, new_caches
from ._rk4 import INACTIVE, M_AHP, M_AHP_END, M_REF, M_U
from .calibration import Calibration
from .circuits import CoreCircuit, core_circuit, dpi_tau, switch_time
from .limits import SynapseType
from .limits import N_CHIPS, N_NEURONS_PER_CHIP, global_neuron_id
from .mismatch import DEFAULT_MISMATCH_CV, lognormal_factors

N_BOARD_NEURONS = N_CHIPS * N_NEURONS_PER_CHIP
from .network import Network
from .stimulus import Stimulus, check_events

ENGINES = ("fast", "reference")
DEFAULT_RK4_STEP_S = 1e-3
"""Largest RK4 step (s) of the reference integrator and of the fast engine's near-threshold tier;
steps are further limited so that no log-current moves by more than ``_rk4.MAX_LOG_STEP``."""


@dataclasses.dataclass
class EventCounts:
    """Hardware events of the emulated chip, accumulated over windows (what energy is paid for).

    ``input_events``: FPGA generator spikes; ``core_broadcasts``: those events times the cores each
    reaches (one CAM search per core); ``cam_matches``: CAM words matched (one synaptic pulse each);
    ``spikes``: output spikes of the neurons; ``time_s``: chip time covered.
    """

    input_events: int = 0
    core_broadcasts: int = 0
    cam_matches: int = 0
    spikes: int = 0
    time_s: float = 0.0

    def add(self, input_events, core_broadcasts, cam_matches, spikes, time_s) -> None:
        self.input_events += int(input_events)
        self.core_broadcasts += int(core_broadcasts)
        self.cam_matches += int(cam_matches)
        self.spikes += int(spikes)
        self.time_s += float(time_s)


@dataclasses.dataclass
class RunResult:
    """What one :meth:`Emulator.run` returns.

    ``counts[i]``: spikes of network neuron ``i`` in the window; ``spike_neurons``/``spike_times_s``:
    every spike, time-sorted, times absolute (chip clock); ``traces``: for recorded neurons,
    ``{"t_s": (T,), "i_mem_A": (R, T), "i_syn_A": (R, 4, T), "i_ahp_A": (R, T)}``.
    """

    counts: np.ndarray
    spike_neurons: np.ndarray
    spike_times_s: np.ndarray
    traces: dict | None = None


def neuron_parameters(
    network: Network, calibration: Calibration, cv: float, rng: np.random.Generator
) -> tuple[np.ndarray, dict[tuple[int, int], CoreCircuit]]:
    """Per-neuron parameter matrix (``_layout`` columns) with device mismatch applied."""
    circuits = {core: core_circuit(network.biases(*core), calibration, core) for core in network.cores()}
    n = network.n_neurons
    cal = calibration
    i0 = cal.dark_current_A
    base = {}
    names = ["tau", "th", "dc", "nt", "ref", "pulse", "ahp_tau", "ahp_th", "ahp_w"]
    names += [f"syn_{k}_{s}" for k in ("tau", "th", "w") for s in range(4)]
    for name in names:
        base[name] = np.empty(n)
    for i, a in enumerate(network.addresses):
        c = circuits[(a.chip, a.core)]
        base["tau"][i] = c.i_tau2_mem_A if network.uses_tau2(i) else c.i_tau_mem_A
        base["th"][i] = c.i_th_mem_A
        base["dc"][i] = c.i_dc_A
        base["nt"][i] = c.i_nmda_gate_A
        base["ref"][i] = c.i_ref_A
        base["pulse"][i] = c.i_pulse_A
        base["ahp_tau"][i] = c.i_tau_ahp_A
        base["ahp_th"][i] = c.i_th_ahp_A
        base["ahp_w"][i] = c.i_w_ahp_A
        for s in range(4):
            base[f"syn_tau_{s}"][i] = c.i_tau_syn_A[s]
            base[f"syn_th_{s}"][i] = c.i_th_syn_A[s]
            base[f"syn_w_{s}"][i] = c.i_w_syn_A[s]
    # one frozen factor per physical neuron and current, drawn for the whole board in a fixed order:
    # mismatch belongs to the silicon, so a neuron's factors do not depend on which others are used
    slot = np.array([global_neuron_id(a.chip, a.core, a.neuron) for a in network.addresses], dtype=np.int64)
    cur = {name: base[name] * lognormal_factors(N_BOARD_NEURONS, cv, rng)[slot] for name in names}
    p = np.zeros((n, L.N_PARAMS))
    p[:, L.R_MEM] = cal.kappa / (cal.C_mem_F * cal.thermal_voltage_V)
    p[:, L.I0] = i0
    p[:, L.I_TAU] = cur["tau"]
    p[:, L.I_TH] = cur["th"]
    p[:, L.I_DC] = cur["dc"]
    p[:, L.I_NT] = cur["nt"]
    p[:, L.T_REF] = switch_time(cal.C_ref_F, cur["ref"], cal)
    p[:, L.I_SPK] = cal.spike_threshold_A
    p[:, L.I_RESET] = cal.reset_current_A
    p[:, L.FB_GAIN] = cal.feedback_gain_A
    p[:, L.FB_THR] = cal.feedback_threshold_A
    p[:, L.FB_SLOPE] = cal.feedback_slope_A
    p[:, L.T_PULSE] = switch_time(cal.C_pulse_F, cur["pulse"], cal)
    p[:, L.AHP_TAU] = dpi_tau(cal.C_ahp_F, cur["ahp_tau"], cal)
    p[:, L.AHP_ITH] = cur["ahp_th"]
    p[:, L.AHP_ITAU] = cur["ahp_tau"]
    p[:, L.AHP_IW] = cur["ahp_w"]
    p[:, L.AHP_TPULSE] = p[:, L.T_PULSE] * cal.ahp_pulse_fraction
    for s in range(4):
        p[:, L.SYN_TAU + s] = dpi_tau(cal.C_syn_F[s], cur[f"syn_tau_{s}"], cal)
        p[:, L.SYN_ITH + s] = cur[f"syn_th_{s}"]
        p[:, L.SYN_ITAU + s] = cur[f"syn_tau_{s}"]
        p[:, L.SYN_IW + s] = cur[f"syn_w_{s}"]
    return p, circuits


def played_events(duration_s: float, stimulus: Stimulus, upload_at_s: float = 0.0,
                  previous: Stimulus | None = None, previous_phase_s: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The generator events of a read of ``duration_s`` (arguments as :meth:`Emulator.run` takes
    them, already checked): times from the read's start (s) and generator ids (a writable int64
    copy). ``previous`` plays on from ``previous_phase_s`` into its program until the upload at
    ``upload_at_s``; ``stimulus`` plays from there to the read's end."""
    rel, ids = stimulus.events(duration_s - upload_at_s)
    if upload_at_s > 0:
        rel = rel + upload_at_s
        if previous is not None:
            tail_t, tail_ids = previous.events(upload_at_s, previous_phase_s)
            rel, ids = np.concatenate((tail_t, rel)), np.concatenate((tail_ids, ids))
    return rel, ids.astype(np.int64)  # a writable copy: Numba compiles read-only arrays separately


class Emulator:
    """A DYNAP-SE1 chip running one network; ``run`` advances its clock window by window.

    Parameters
    ----------
    network:
        The network to put on the chip; validated here (``ValueError`` if impossible).
    calibration:
        The constants the chip does not reveal (:class:`Calibration`; default: the record's defaults).
    mismatch_cv:
        Coefficient of variation of the frozen per-neuron current factors (0 disables mismatch).
    seed:
        Seeds the mismatch draw and any Poisson input; same seed, same chip.
    engine:
        ``"fast"`` (default; see :mod:`._fast`: neurons driven by NMDA words only are integrated in
        closed form far below threshold and by RK4 of the membrane alone near it, with exact
        synapses; anything else by the reference RK4) or ``"reference"`` (RK4 of every current
        everywhere, steps of at most ``rk4_step_s``). ``bench accuracy`` measures the one against
        the other.
    """

    def __init__(
        self,
        network: Network,
        calibration: Calibration | None = None,
        *,
        mismatch_cv: float = DEFAULT_MISMATCH_CV,
        seed: int = 0,
        engine: str = "fast",
        rk4_step_s: float = DEFAULT_RK4_STEP_S,
    ):
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; allowed: {', '.join(ENGINES)}")
        if not (np.isfinite(rk4_step_s) and rk4_step_s > 0):
            raise ValueError(f"rk4_step_s = {rk4_step_s!r} must be a positive number of seconds")
        network.validate()
        if network.has_neuron_sources():
            raise NotImplementedError(
                "on-chip (neuron-to-neuron) connections are validated but not emulated yet; the "
                "emulator runs feed-forward networks driven by the FPGA spike generators"
            )
        self.network = network
        self.calibration = calibration or Calibration()
        self.mismatch_cv = float(mismatch_cv)
        self.seed = int(seed)
        self.engine = engine
        self.rk4_step_s = float(rk4_step_s)
        root = np.random.SeedSequence(self.seed)
        mismatch_seq, input_seq = root.spawn(2)
        self.params, self.circuits = neuron_parameters(
            network, self.calibration, self.mismatch_cv, np.random.default_rng(mismatch_seq)
        )
        self.input_rng = np.random.default_rng(input_seq)
        """Generator for stochastic inputs (Poisson sources, jitter) of this chip."""
        gen, post, syn, mult = network.generator_connections()
        order = np.lexsort((post, gen))
        self._conn_src = gen[order]
        self._conn_post = post[order]
        self._conn_type = syn[order].astype(np.int64)
        self._conn_mult = mult[order].astype(float)
        n_src = 1024
        self._src_ptr = np.zeros(n_src + 1, dtype=np.int64)
        np.add.at(self._src_ptr, self._conn_src + 1, 1)
        self._src_ptr = np.cumsum(self._src_ptr)
        self._src_conn = np.arange(self._conn_src.size, dtype=np.int64)
        by_post = np.argsort(self._conn_post, kind="stable")
        self._in_conn = by_post.astype(np.int64)
        self._in_ptr = np.zeros(network.n_neurons + 1, dtype=np.int64)
        np.add.at(self._in_ptr, self._conn_post + 1, 1)
        self._in_ptr = np.cumsum(self._in_ptr)
        self._rest_stable = self._compute_rest_stable()
        self._closed_form = closed_form_constants(self.params, self._conn_type, self._conn_post)
        # words matched per generator event (CAM matches -> synaptic pulses), and cores reached
        self._words_per_event = np.zeros(n_src, dtype=np.int64)
        np.add.at(self._words_per_event, self._conn_src, self._conn_mult.astype(np.int64))
        self._cores_per_event = bin(network.generator_core_mask).count("1")
        self.events = EventCounts()
        """Hardware events since construction (for energy estimates); reset it freely."""
        self.stats = np.zeros(N_STATS, dtype=np.int64)
        """Fast engine work counters (neuron windows): finished in closed form, by the near-threshold
        tier, by the reference RK4, skipped at rest (``_fast.STAT_*``)."""
        self._init_scratch()
        self.reset()

    _SCRATCH = ("_t_ref_min_s", "_spike_buffer", "_no_record", "_memo")

    def _init_scratch(self) -> None:
        # what run() reuses from window to window: the shortest refractory period (bounds the spikes
        # of a window), the spike buffer (grown when a window needs more), the arrays of no recording
        n = self.network.n_neurons
        self._t_ref_min_s = max(float(self.params[:, L.T_REF].min()), 1e-9) if n else 1.0
        self._spike_buffer = (np.empty(0, dtype=np.int64), np.empty(0))
        self._no_record = (np.full(n, -1, dtype=np.int64), np.empty(0), np.empty(0, dtype=np.int64),
                           np.zeros((0, 0, 6)))
        self._memo = new_caches(n)  # the fast engine's remembered factors (they do not change results)

    def __getstate__(self) -> dict:
        # checkpoints store the chip's state, not run()'s scratch (also readable by older versions)
        return {k: v for k, v in self.__dict__.items() if k not in self._SCRATCH}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._init_scratch()

    # --- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Every neuron back to rest (floors, no pulses), clock to 0. Mismatch is kept."""
        n = self.network.n_neurons
        i0 = self.calibration.dark_current_A
        self._mem = np.zeros((n, 4))
        self._mem[:, M_U] = 0.0
        self._mem[:, M_AHP] = i0
        self._mem[:, M_REF] = -1.0
        self._mem[:, M_AHP_END] = INACTIVE
        self._syn = np.full((n, 4), i0)
        self._drive = np.zeros((n, 5))
        self._nact = np.zeros((n, 5), dtype=np.int64)
        self._conn_end = np.full(self._conn_src.size, INACTIVE)
        self.time_s = 0.0

    def _compute_rest_stable(self) -> np.ndarray:
        p = self.params
        out = np.empty(p.shape[0], dtype=bool)
        for i in range(p.shape[0]):
            floor = np.full(4, p[i, L.I0])
            out[i] = membrane_rate(0.0, floor, p[i, L.I0], p, i) <= 0.0
        return out

    @property
    def n_neurons(self) -> int:
        return self.network.n_neurons

    def membrane_current_A(self) -> np.ndarray:
        """Present membrane current of every neuron (A)."""
        return self.params[:, L.I0] * np.exp(self._mem[:, M_U])

    def synapse_current_A(self) -> np.ndarray:
        """Present DPI output of every neuron and synapse type, shape (n, 4) (A)."""
        return self._syn.copy()

    # --- running -------------------------------------------------------------------------
    def run(
        self,
        duration_s: float,
        stimulus: Stimulus | None = None,
        *,
        upload_at_s: float = 0.0,
        previous: Stimulus | None = None,
        previous_phase_s: float = 0.0,
        events: tuple[np.ndarray, np.ndarray] | None = None,
        record: np.ndarray | list[int] | None = None,
        record_dt_s: float = 50e-6,
    ) -> RunResult:
        """Advance the chip by ``duration_s``; ``stimulus`` starts playing ``upload_at_s`` after the
        window's start (when it is uploaded: the FPGA restarts its program there). Before that,
        ``previous`` (the last upload) plays on from ``previous_phase_s`` of its program, as the
        generators in repeat mode do until the next upload.

        ``events`` = (times from the window start in s, generator ids) is an alternative input,
        e.g. Poisson events. ``record``: network indices whose currents are sampled every
        ``record_dt_s`` (those neurons are integrated with the reference RK4 so that the traces are
        exact at every sample).
        """
        if not (math.isfinite(duration_s) and duration_s > 0):
            raise ValueError(f"duration {duration_s!r} must be a positive number of seconds")
        if stimulus is not None and events is not None:
            raise ValueError("give a stimulus or events, not both")
        if not (math.isfinite(upload_at_s) and 0.0 <= upload_at_s < duration_s):
            raise ValueError(f"upload_at_s = {upload_at_s!r} must lie in [0, duration_s = {duration_s!r})")
        if (previous is not None or upload_at_s > 0) and stimulus is None:
            raise ValueError("upload_at_s and previous go with a stimulus (the upload)")
        if not (math.isfinite(previous_phase_s) and previous_phase_s >= 0):
            raise ValueError(f"previous_phase_s = {previous_phase_s!r} must be a time >= 0 (s)")
        if events is not None:
            events = check_events(events, duration_s)
        t0 = self.time_s
        t1 = t0 + duration_s
        if stimulus is not None:
            rel, ids = played_events(duration_s, stimulus, upload_at_s, previous, previous_phase_s)
        elif events is not None:
            rel, ids = (np.asarray(x) for x in events)
            if rel.size and (rel.min() < 0 or rel.max() >= duration_s):
                raise ValueError("event times must lie in [0, duration_s)")
            order = np.argsort(rel, kind="stable")
            rel, ids = rel[order].astype(float), ids[order].astype(np.int64)
        else:
            rel, ids = np.empty(0), np.empty(0, dtype=np.int64)
        ev_ptr, ev_time, ev_conn = expand_events(
            t0 + rel, ids, self._src_ptr, self._src_conn, self._conn_post, self.n_neurons
        )
        n = self.n_neurons
        counts = np.zeros(n, dtype=np.int64)
        cap = min(n * (int(math.ceil(duration_s / self._t_ref_min_s)) + 2), 50_000_000)
        if self._spike_buffer[0].size < cap:
            self._spike_buffer = (np.empty(cap, dtype=np.int64), np.empty(cap))
        spk_neuron, spk_time = self._spike_buffer
        n_spk = np.zeros(1, dtype=np.int64)
        if record is not None:
            rec = np.atleast_1d(np.asarray(record, dtype=np.int64))
            if rec.size and (rec.min() < 0 or rec.max() >= n):
                raise ValueError(f"recorded neuron indices must be in 0..{n - 1}")
            rec_slot = np.full(n, -1, dtype=np.int64)
            rec_slot[rec] = np.arange(rec.size)
            rec_times = t0 + np.arange(0.0, duration_s, record_dt_s)
            rec_next = np.zeros(rec.size, dtype=np.int64)
            rec_out = np.zeros((rec.size, rec_times.size, 6))
        else:  # nothing recorded: the kernels only read these, so every window shares them
            rec = np.empty(0, dtype=np.int64)
            rec_slot, rec_times, rec_next, rec_out = self._no_record
        run_window(
            0 if self.engine == "fast" else 1,
            t0, t1, self.rk4_step_s, self.params, self._closed_form,
            self._mem, self._syn, self._drive, self._nact,
            self._conn_end, self._conn_type, self._conn_mult, self._in_ptr, self._in_conn,
            ev_ptr, ev_time, ev_conn,
            counts, spk_neuron, spk_time, n_spk,
            rec_slot, rec_times, rec_next, rec_out, self._rest_stable, self.stats, *self._memo,
        )
        self.time_s = t1
        k = int(n_spk[0])
        self.events.add(ids.size, ids.size * self._cores_per_event,
                        int(self._words_per_event[ids].sum()) if ids.size else 0, k, duration_s)
        if k > spk_time.size:
            raise RuntimeError(f"spike buffer overflow ({k} spikes > {spk_time.size}); this is a bug")
        order = np.argsort(spk_time[:k], kind="stable")
        traces = None
        if rec.size:
            traces = {
                "neurons": rec,
                "t_s": rec_times,
                "i_mem_A": rec_out[:, :, 0],
                "i_syn_A": np.transpose(rec_out[:, :, 1:5], (0, 2, 1)),
                "i_ahp_A": rec_out[:, :, 5],
            }
        return RunResult(counts, spk_neuron[:k][order], spk_time[:k][order], traces)
