"""FPGA spike generators: the inputs of the emulated chip.

The DYNAP-SE1 board's FPGA plays a *stimulus*: a list of events ``(generator id, ISI)`` with the
ISI in units of ``isi_base / 90 MHz`` (16 bits), optionally repeated forever. The paper's code
uploads one stimulus per network step (regular trains of every place cell, ``isi_base`` 900 =
10 us units, repeat mode) and restarts it at the beginning of each step. Events at the same time
are treated as simultaneous (the FPGA sends them back-to-back within nanoseconds).

The FPGA also has 1024 Poisson sources whose rate is a 16-bit integer in steps of 0.06706 Hz.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .limits import FPGA_CLOCK_HZ, ISI_MAX_UNITS, MAX_STIMULUS_EVENTS, N_SPIKE_GENERATORS

POISSON_RATE_STEP_HZ = 0.06706
"""Resolution of the FPGA Poisson generators' rate register (libcaer)."""
POISSON_RATE_MAX_STEPS = 65535
PAPER_ISI_BASE = 900
"""The paper's ``isi_base``: ISIs in 10 us units."""


def isi_unit_s(isi_base: int) -> float:
    """Duration of one ISI unit: ``isi_base / 90 MHz`` (isi_base 90 -> 1 us, 900 -> 10 us)."""
    if isinstance(isi_base, bool) or not isinstance(isi_base, (int, np.integer)) or isi_base < 1:
        raise ValueError(f"isi_base {isi_base!r} must be a positive integer (90 gives 1 us units)")
    return isi_base / FPGA_CLOCK_HZ


def to_ticks(times_s: np.ndarray, isi_base: int) -> np.ndarray:
    """Times (s) truncated to whole ISI units, as the original code did (``int(t / unit)``)."""
    return np.floor(times_s / isi_unit_s(isi_base) + 1e-9).astype(np.int64)


def _check_ids(ids: np.ndarray) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.size and (not np.issubdtype(ids.dtype, np.integer)):
        raise ValueError(f"generator ids must be integers, got dtype {ids.dtype}")
    bad = ids[(ids < 0) | (ids >= N_SPIKE_GENERATORS)]
    if bad.size:
        raise ValueError(f"spike generator id {int(bad[0])} does not exist; allowed 0..{N_SPIKE_GENERATORS - 1}")
    return ids.astype(np.int64)


def check_events(events, duration_s: float) -> tuple[np.ndarray, np.ndarray]:
    """``events`` = (times from the window start in s, generator ids) as :meth:`Emulator.run
    <neurodream.chip.emulator.Emulator.run>` takes them, checked: 1-D and of equal length, integer
    ids of existing generators, finite times in ``[0, duration_s)``. Returns (float times, int64 ids);
    ``ValueError`` naming the first problem otherwise."""
    try:
        times, ids = events
    except (TypeError, ValueError):
        raise ValueError("events must be a pair (times in s, generator ids)") from None
    times, ids = np.atleast_1d(np.asarray(times)), np.atleast_1d(np.asarray(ids))
    if times.ndim != 1 or times.shape != ids.shape:
        raise ValueError(f"{times.size} event times but {ids.size} generator ids (need two 1-D arrays of one length)")
    ids = _check_ids(ids)
    if times.size and not np.issubdtype(times.dtype, np.number):
        raise ValueError(f"event times must be numbers of seconds, got dtype {times.dtype}")
    times = times.astype(float)
    if not np.all(np.isfinite(times)):
        raise ValueError("event times must be finite numbers of seconds")
    if times.size and (times.min() < 0 or times.max() >= duration_s):
        raise ValueError("event times must lie in [0, duration_s)")
    return times, ids


def check_event_count(n_events: int) -> None:
    """``ValueError`` if a program of ``n_events`` events does not fit the FPGA's stimulus memory
    (:data:`~.limits.MAX_STIMULUS_EVENTS`). :class:`Stimulus` applies it to every program; builders
    call it before allocating one."""
    if n_events > MAX_STIMULUS_EVENTS:
        raise ValueError(f"stimulus has {n_events} events; the FPGA stores at most {MAX_STIMULUS_EVENTS}")


@dataclasses.dataclass(frozen=True)
class Stimulus:
    """A stimulus program for the FPGA spike generator, quantised as the hardware stores it.

    ``times_s`` are the event times from the start of the program (quantised down to the ISI
    unit), ``ids`` the generator of each event, sorted by time. With ``repeat`` the program
    restarts after its last event with the first ISI (the first event's time) again, so event
    ``i`` of cycle ``k`` comes at ``k * t_last + t_i``: the period is the last event's time.
    """

    times_s: np.ndarray
    ids: np.ndarray
    isi_base: int = PAPER_ISI_BASE
    repeat: bool = False
    _played: dict = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)
    """:meth:`events` per duration, computed once: a training run plays the same program every step."""

    def __post_init__(self) -> None:
        # every program passes here, however it was built: the FPGA's memory limit holds for all
        if np.shape(self.times_s) != np.shape(self.ids) or np.ndim(self.ids) != 1:
            raise ValueError(f"{np.size(self.times_s)} event times but {np.size(self.ids)} generator ids")
        check_event_count(np.size(self.ids))

    @classmethod
    def from_spike_times(
        cls, ids, times_s, *, isi_base: int = PAPER_ISI_BASE, repeat: bool = False
    ) -> "Stimulus":
        """Build a program from generator ids and spike times (s), checking the FPGA's limits.

        Times are truncated to the ISI unit (:func:`to_ticks`). Raises
        ``ValueError`` for a negative or non-finite time, an ISI longer than 16 bits, more events
        than the FPGA stores, or a repeated program of zero period.

        >>> s = Stimulus.from_spike_times([3, 1], [0.0101, 0.0], repeat=True)
        >>> s.ids.tolist(), s.times_s.tolist(), round(s.period_s, 4)
        ([1, 3], [0.0, 0.0101], 0.0101)
        """
        ids = _check_ids(np.atleast_1d(np.asarray(ids)))
        times = np.atleast_1d(np.asarray(times_s, dtype=float))
        if ids.shape != times.shape:
            raise ValueError(f"{ids.size} generator ids but {times.size} spike times")
        if times.size and not np.all(np.isfinite(times)):
            raise ValueError("spike times must be finite numbers of seconds")
        if times.size and times.min() < 0:
            raise ValueError(f"spike time {times.min()} s is negative; times start at 0")
        return cls._from_ticks(ids, to_ticks(times, isi_base), isi_base, repeat)

    @classmethod
    def _from_ticks(cls, ids: np.ndarray, ticks: np.ndarray, isi_base: int, repeat: bool) -> "Stimulus":
        # the program from valid generator ids (int64) and event times in ISI units (ticks >= 0):
        # sorted by time (stable), ISIs checked against the FPGA's 16 bits; the number of events is
        # checked by __post_init__, and first here (sorting 10^7 events only to refuse them wastes time)
        check_event_count(ids.size)
        unit = isi_unit_s(isi_base)
        order = np.argsort(ticks, kind="stable")
        ticks, ids = ticks[order], ids[order]
        isi = np.diff(np.concatenate(([0], ticks)))
        if isi.size and isi.max() > ISI_MAX_UNITS:
            k = int(np.argmax(isi))
            raise ValueError(
                f"event {k} needs an ISI of {int(isi[k])} units of {unit * 1e6:g} us; the FPGA's 16-bit "
                f"ISI allows at most {ISI_MAX_UNITS} (raise isi_base or add intermediate events)"
            )
        stim = cls(times_s=ticks * unit, ids=ids, isi_base=int(isi_base), repeat=bool(repeat))
        if repeat and ticks.size and ticks[-1] == 0:
            raise ValueError("a repeated stimulus needs a positive period (all events are at time 0)")
        return stim

    @property
    def period_s(self) -> float:
        """Period of a repeated program (the last event's time); inf otherwise."""
        if not self.repeat or self.times_s.size == 0:
            return float("inf")
        return float(self.times_s[-1])

    def events(self, duration_s: float, start_s: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Event times (s) and generator ids of the program's stretch ``[start_s, start_s + duration_s)``,
        times from ``start_s`` (read-only arrays, shared by every call with the same arguments).
        ``start_s > 0`` is a program that was already playing: the FPGA's generators keep playing the
        last upload (repeat mode) until the next one."""
        key = (duration_s, start_s)
        played = self._played.get(key)
        if played is None:
            times, ids = self._events(start_s + duration_s)
            if start_s > 0:
                keep = times >= start_s
                times, ids = times[keep] - start_s, ids[keep]
            played = (times, ids)
            for a in played:
                a.flags.writeable = False
            if len(self._played) < 8:
                self._played[key] = played
        return played

    def _events(self, duration_s: float) -> tuple[np.ndarray, np.ndarray]:
        if self.times_s.size == 0 or duration_s <= 0:
            return np.empty(0), np.empty(0, dtype=np.int64)
        if not self.repeat:
            keep = self.times_s < duration_s
            return self.times_s[keep], self.ids[keep]
        period = self.period_s
        n_cycles = int(np.floor(duration_s / period)) + 1
        offsets = np.arange(n_cycles) * period
        # cycle k replays the ISIs after the previous cycle's last event: t_i + k * t_last
        times = (offsets[:, None] + self.times_s[None, :]).ravel()
        ids = np.tile(self.ids, n_cycles)
        keep = times < duration_s
        return times[keep], ids[keep]


def regular_train(n_spikes: int, span_s: float) -> np.ndarray:
    """``n_spikes`` evenly spread over ``[0, span_s]`` (``linspace``), the paper's rate-to-train rule."""
    if n_spikes < 0:
        raise ValueError(f"number of spikes {n_spikes} is negative")
    return np.linspace(0.0, span_s, int(n_spikes))


def quantise_poisson_rate(rate_hz: np.ndarray) -> np.ndarray:
    """The rate an FPGA Poisson source really produces for a requested rate (Hz)."""
    rate = np.asarray(rate_hz, dtype=float)
    if np.any(~np.isfinite(rate)) or np.any(rate < 0):
        raise ValueError("Poisson rates must be finite and non-negative (Hz)")
    steps = np.round(rate / POISSON_RATE_STEP_HZ)
    if np.any(steps > POISSON_RATE_MAX_STEPS):
        raise ValueError(
            f"Poisson rate {rate.max():g} Hz exceeds the FPGA maximum "
            f"{POISSON_RATE_MAX_STEPS * POISSON_RATE_STEP_HZ:.0f} Hz"
        )
    return steps * POISSON_RATE_STEP_HZ


def poisson_events(
    ids, rates_hz, duration_s: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Events of FPGA Poisson sources over ``[0, duration_s)``, time-sorted, drawn from ``rng``."""
    ids = _check_ids(np.atleast_1d(np.asarray(ids)))
    rates = quantise_poisson_rate(np.broadcast_to(np.asarray(rates_hz, dtype=float), ids.shape))
    counts = rng.poisson(rates * duration_s)
    times = rng.uniform(0.0, duration_s, counts.sum())
    gen = np.repeat(ids, counts)
    order = np.argsort(times, kind="stable")
    return times[order], gen[order]
