"""The fast engine: three tiers per neuron and window (not user facing).

Every neuron is advanced over the window ``[t0, t1)`` on its own (the network is feed-forward: no
neuron's spikes reach another in the window):

1. a neuron at rest (every current on its floor) that receives nothing is skipped;
2. a neuron whose only input words are NMDA goes first to the closed-form tier (:mod:`._pflow`),
   exact up to a trapezoid rule in a small term, which handles it far below threshold, then,
   where that tier stops, to the near-threshold tier (:mod:`._near`: exact synapses, RK4 of the
   membrane alone, spikes);
3. everything else (other synapse types, recorded neurons, pulses that overlap) goes to the
   reference RK4 (:mod:`._rk4`) from where the tiers above stopped.

Below :func:`run_window`, which allocates the scratch arrays, every kernel is compiled without
Numba's reference counting (``_nrt=False``): otherwise each array argument of each call costs an
atomic increment and decrement (numba/numba#2345).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from . import _layout as L
from ._near import near_window
from ._pflow import pflow_window
from ._rk4 import INACTIVE, M_AHP, M_AHP_END, M_U, new_rk4_work, rk4_window

_JIT = dict(cache=True, nogil=True)

STAT_CLOSED_FORM = 0
STAT_NEAR = 1
STAT_REFERENCE = 2
STAT_SKIPPED = 3
N_STATS = 4
"""Work counters (neuron windows): finished in closed form, finished by the near-threshold tier,
finished by the reference RK4, skipped at rest."""


@nb.njit(inline="always", **_JIT)
def at_rest(i, p, mem, syn, drive):
    """True if neuron ``i`` sits at its floor with nothing active (it will stay there without input)."""
    if mem[i, M_U] != 0.0 or mem[i, M_AHP_END] != INACTIVE or drive[i, 4] != 0.0:
        return False
    i0 = p[i, L.I0]
    if mem[i, M_AHP] > i0:
        return False
    for s in range(L.N_SYN):
        if syn[i, s] > i0 or drive[i, s] != 0.0:
            return False
    return True


@nb.njit(**_JIT)
def run_window(
    engine, t0, t1, h_rk4, p, pf, mem, syn, drive, nact,
    conn_end, conn_type, conn_mult, in_ptr, in_conn,
    ev_ptr, ev_time, ev_conn,
    counts, spk_neuron, spk_time, n_spk,
    rec_slot, rec_times, rec_next, rec_out, rest_stable, stats, cache, pulses,
):
    """Advance every neuron over ``[t0, t1)``; ``engine`` 0 = fast, 1 = reference RK4.

    Allocates the scratch space and hands over to :func:`_advance_all` (module docstring).
    """
    rk4_work = new_rk4_work()
    buf = np.empty(L.N_SYN)  # synaptic currents of the near-threshold tier
    _advance_all(engine, t0, t1, h_rk4, p, pf, mem, syn, drive, nact, conn_end, conn_type,
                 conn_mult, in_ptr, in_conn, ev_ptr, ev_time, ev_conn, counts, spk_neuron, spk_time,
                 n_spk, rec_slot, rec_times, rec_next, rec_out, rest_stable, stats, rk4_work, buf,
                 cache, pulses)


@nb.njit(_nrt=False, **_JIT)
def _advance_all(
    engine, t0, t1, h_rk4, p, pf, mem, syn, drive, nact,
    conn_end, conn_type, conn_mult, in_ptr, in_conn,
    ev_ptr, ev_time, ev_conn,
    counts, spk_neuron, spk_time, n_spk,
    rec_slot, rec_times, rec_next, rec_out, rest_stable, stats, rk4_work, buf, cache, pulses,
):
    # the neuron loop of run_window
    for i in range(p.shape[0]):
        lo = ev_ptr[i]
        hi = ev_ptr[i + 1]
        t, k = t0, lo
        if engine == 0:
            if lo == hi and rest_stable[i] and rec_slot[i] < 0 and at_rest(i, p, mem, syn, drive):
                stats[STAT_SKIPPED] += 1  # at rest, nothing arrives
                continue
            if rec_slot[i] < 0:
                t, k = pflow_window(i, t0, t1, p, pf, mem, syn, drive, nact, conn_end, conn_mult,
                                    in_ptr, in_conn, ev_time, ev_conn, lo, hi, cache, pulses)
                if t >= t1:
                    stats[STAT_CLOSED_FORM] += 1
                    continue
                buf[L.GABA_B] = p[i, L.I0]
                buf[L.GABA_A] = p[i, L.I0]
                buf[L.AMPA] = p[i, L.I0]
                t, k = near_window(i, t, t1, h_rk4, p, pf, mem, syn, drive, nact, conn_mult, ev_time,
                                   ev_conn, k, hi, counts, spk_neuron, spk_time, n_spk, buf)
                if t >= t1:
                    stats[STAT_NEAR] += 1
                    continue
        stats[STAT_REFERENCE] += 1
        rk4_window(i, t, t1, h_rk4, p, mem, syn, drive, nact, conn_end, conn_type, conn_mult,
                   in_ptr, in_conn, ev_time, ev_conn, k, hi, counts, spk_neuron, spk_time,
                   n_spk, rec_slot, rec_times, rec_next, rec_out, rk4_work)


@nb.njit(**_JIT)
def expand_events(gen_time, gen_src, src_ptr, src_conn, conn_post, n_neurons):
    """Per-neuron event lists (CSR) from time-sorted source events: ``(ev_ptr, ev_time, ev_conn)``."""
    count = np.zeros(n_neurons + 1, dtype=np.int64)
    for e in range(gen_time.shape[0]):
        s = gen_src[e]
        for k in range(src_ptr[s], src_ptr[s + 1]):
            count[conn_post[src_conn[k]] + 1] += 1
    for i in range(n_neurons):
        count[i + 1] += count[i]
    total = count[n_neurons]
    ev_time = np.empty(total)
    ev_conn = np.empty(total, dtype=np.int64)
    fill = count[:-1].copy()
    for e in range(gen_time.shape[0]):
        s = gen_src[e]
        for k in range(src_ptr[s], src_ptr[s + 1]):
            c = src_conn[k]
            post = conn_post[c]
            j = fill[post]
            ev_time[j] = gen_time[e]
            ev_conn[j] = c
            fill[post] = j + 1
    return count, ev_time, ev_conn
