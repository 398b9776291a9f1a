"""Reference integrator: classical RK4 on the whole coupled neuron, in the log domain (not user facing).

One neuron is advanced over a window ``[t0, t1)``. Input events and pulse ends split the window
into intervals of constant synaptic drive; inside each interval the state
``(ln I_syn[4], ln I_ahp, u)`` is integrated by RK4 with steps of at most ``h_max`` and small
enough that no log-current moves by more than ``MAX_LOG_STEP`` in one step. This is the oracle the
fast kernel is tested against, and the fast kernel's fallback near threshold.

State arrays (shared with the fast kernel; the Python layer owns them):

* ``mem[i] = (u, I_ahp, refractory_end, ahp_pulse_end)``  with ``u = ln(I_mem / I0)``;
* ``syn[i, s]``: DPI output of synapse type ``s`` (A);
* ``drive[i, 0..3]``: summed weight current of active pulses per type, ``drive[i, 4]``: AHP;
* ``nact[i, 0..4]``: number of active pulses (the drive is reset to exactly 0 when none is left);
* ``conn_end[c]``: end time of connection ``c``'s pulse, or -1 when idle.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from . import _layout as L
from ._dpi import dpi_log_rate, membrane_rate

MAX_LOG_STEP = 0.1
"""Largest change of a log-current in one RK4 step."""

M_U = 0
M_AHP = 1
M_REF = 2
M_AHP_END = 3
INACTIVE = -1.0
RK4_WORK_ROWS = 11
"""Rows of :func:`rk4_window`'s scratch array: the state, the stage state, four slopes, synaptic
currents, drives, a cache of ``exp`` of the log-currents (arguments, values) and the state at the
start of the step (to redo a step that crossed the threshold)."""
EXP_CACHE_ROW = 8
STEP_START_ROW = 10

_JIT = dict(cache=True, nogil=True)


@nb.njit(**_JIT)
def new_rk4_work():
    """Scratch space for :func:`rk4_window`, its ``exp`` cache empty (NaN matches no argument)."""
    work = np.empty((RK4_WORK_ROWS, 6))
    work[EXP_CACHE_ROW:] = np.nan
    return work


@nb.njit(inline="always", **_JIT)
def _cached_exp(v, k, cache_x, cache_e):
    # exp(v) through slot k of a one-entry cache (a current resting on its floor keeps its log)
    if v != cache_x[k]:
        cache_x[k] = v
        cache_e[k] = math.exp(v)
    return cache_e[k]


@nb.njit(_nrt=False, **_JIT)
def _derivs(x, drive, refractory, p, i, out, syn_buf, log_floor, cache_x, cache_e):
    # x = (ln I_syn[0..3], ln I_ahp, u)
    # a DPI resting on the floor without drive stays there: zero rate (keeps the steps long)
    for s in range(L.N_SYN):
        isyn = _cached_exp(x[s], s, cache_x, cache_e)
        syn_buf[s] = isyn
        if drive[s] == 0.0 and x[s] <= log_floor:
            out[s] = 0.0
        else:
            out[s] = dpi_log_rate(isyn, drive[s], p[i, L.SYN_TAU + s], p[i, L.SYN_ITH + s], p[i, L.SYN_ITAU + s])
    iahp = _cached_exp(x[4], 4, cache_x, cache_e)
    if drive[4] == 0.0 and x[4] <= log_floor:
        out[4] = 0.0
    else:
        out[4] = dpi_log_rate(iahp, drive[4], p[i, L.AHP_TAU], p[i, L.AHP_ITH], p[i, L.AHP_ITAU])
    if refractory:
        out[5] = 0.0
    else:
        out[5] = membrane_rate(x[5], syn_buf, iahp, p, i)


@nb.njit(_nrt=False, **_JIT)
def start_pulse(i, c, t, p, drive, nact, conn_end, conn_type, conn_mult):
    """An event on connection ``c`` at time ``t``: start its pulse, or extend a running one."""
    s = conn_type[c]
    if conn_end[c] > t:  # pulse extender retriggered: same drive, later end
        conn_end[c] = t + p[i, L.T_PULSE]
        return
    conn_end[c] = t + p[i, L.T_PULSE]
    drive[i, s] += conn_mult[c] * p[i, L.SYN_IW + s]
    nact[i, s] += 1


@nb.njit(_nrt=False, **_JIT)
def end_pulses(i, t, p, drive, nact, conn_end, conn_type, conn_mult, in_ptr, in_conn, mem):
    """Close every pulse of neuron ``i`` that ends at or before ``t``."""
    for k in range(in_ptr[i], in_ptr[i + 1]):
        c = in_conn[k]
        if conn_end[c] != INACTIVE and conn_end[c] <= t:
            s = conn_type[c]
            conn_end[c] = INACTIVE
            nact[i, s] -= 1
            if nact[i, s] == 0:
                drive[i, s] = 0.0
            else:
                drive[i, s] -= conn_mult[c] * p[i, L.SYN_IW + s]
    if mem[i, M_AHP_END] != INACTIVE and mem[i, M_AHP_END] <= t:
        mem[i, M_AHP_END] = INACTIVE
        drive[i, 4] = 0.0
        nact[i, 4] = 0


@nb.njit(_nrt=False, **_JIT)
def next_pulse_end(i, t, conn_end, in_ptr, in_conn, mem):
    """Earliest end of an active pulse of neuron ``i`` after ``t`` (inf if none)."""
    t_next = math.inf
    for k in range(in_ptr[i], in_ptr[i + 1]):
        e = conn_end[in_conn[k]]
        if e != INACTIVE and t < e < t_next:
            t_next = e
    e = mem[i, M_AHP_END]
    if e != INACTIVE and t < e < t_next:
        t_next = e
    return t_next


@nb.njit(_nrt=False, **_JIT)
def emit_spike(i, t, p, mem, drive, nact, counts, spk_neuron, spk_time, n_spk):
    """Record a spike of neuron ``i`` at ``t``: reset, refractory period, AHP pulse."""
    counts[i] += 1
    k = n_spk[0]
    if k < spk_time.shape[0]:
        spk_neuron[k] = i
        spk_time[k] = t
    n_spk[0] = k + 1
    mem[i, M_U] = math.log(p[i, L.I_RESET] / p[i, L.I0])
    mem[i, M_REF] = t + p[i, L.T_REF]
    if mem[i, M_AHP_END] == INACTIVE:
        drive[i, 4] = p[i, L.AHP_IW]
        nact[i, 4] = 1
    mem[i, M_AHP_END] = t + p[i, L.AHP_TPULSE]


@nb.njit(_nrt=False, **_JIT)
def _record(i, slot, t, mem, syn, rec_times, rec_next, rec_out, p):
    # write every sample time <= t that is still pending
    while rec_next[slot] < rec_times.shape[0] and rec_times[rec_next[slot]] <= t:
        j = rec_next[slot]
        rec_out[slot, j, 0] = p[i, L.I0] * math.exp(mem[i, M_U])
        for s in range(L.N_SYN):
            rec_out[slot, j, 1 + s] = syn[i, s]
        rec_out[slot, j, 5] = mem[i, M_AHP]
        rec_next[slot] = j + 1


@nb.njit(_nrt=False, **_JIT)
def _rk4_step(x, h, k1, dr, refractory, p, i, work, log_i0):
    """One classical RK4 step of length ``h`` of the state ``x`` in place (``k1``: the slopes at ``x``,
    already computed); log-currents floored at ``ln I0``, ``u`` at 0."""
    xs = work[1]
    k2 = work[3]
    k3 = work[4]
    k4 = work[5]
    sb = work[6]
    cache_x = work[EXP_CACHE_ROW]
    cache_e = work[EXP_CACHE_ROW + 1]
    for j in range(6):
        xs[j] = x[j] + 0.5 * h * k1[j]
    _derivs(xs, dr, refractory, p, i, k2, sb, log_i0, cache_x, cache_e)
    for j in range(6):
        xs[j] = x[j] + 0.5 * h * k2[j]
    _derivs(xs, dr, refractory, p, i, k3, sb, log_i0, cache_x, cache_e)
    for j in range(6):
        xs[j] = x[j] + h * k3[j]
    _derivs(xs, dr, refractory, p, i, k4, sb, log_i0, cache_x, cache_e)
    for j in range(6):
        x[j] += h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
    for j in range(5):
        if x[j] < log_i0:
            x[j] = log_i0
    if x[5] < 0.0:
        x[5] = 0.0


CROSSING_TOL = 1e-6
"""The threshold crossing is located until u is within this of the threshold (or after
``CROSSING_ITERATIONS`` redone steps)."""
CROSSING_ITERATIONS = 8


@nb.njit(_nrt=False, **_JIT)
def _step_to_threshold(x, x0, h, u_spk, k1, dr, p, i, work, log_i0):
    """``x`` at the end of a step of length ``h`` from ``x0`` lies above the threshold ``u_spk``:
    redo the step from ``x0`` with the length at which ``u`` reaches ``u_spk`` (regula falsi with the
    Illinois modification); ``x`` ends at the crossing. Returns that length."""
    lo, u_lo = 0.0, x0[5]
    hi, u_hi = h, x[5]
    h_try = h
    side = 0
    for _ in range(CROSSING_ITERATIONS):
        h_try = lo + (hi - lo) * (u_spk - u_lo) / (u_hi - u_lo)
        for j in range(6):
            x[j] = x0[j]
        _rk4_step(x, h_try, k1, dr, False, p, i, work, log_i0)
        if abs(x[5] - u_spk) <= CROSSING_TOL:
            break
        if x[5] >= u_spk:
            hi, u_hi = h_try, x[5]
            if side == 1:
                u_lo = u_spk + 0.5 * (u_lo - u_spk)
            side = 1
        else:
            lo, u_lo = h_try, x[5]
            if side == -1:
                u_hi = u_spk + 0.5 * (u_hi - u_spk)
            side = -1
    return h_try


@nb.njit(_nrt=False, **_JIT)
def rk4_window(
    i, t0, t1, h_max, p, mem, syn, drive, nact,
    conn_end, conn_type, conn_mult, in_ptr, in_conn,
    ev_time, ev_conn, ev_lo, ev_hi,
    counts, spk_neuron, spk_time, n_spk,
    rec_slot, rec_times, rec_next, rec_out, work,
):
    """Advance neuron ``i`` from ``t0`` to ``t1`` with RK4 (events ``ev_lo..ev_hi`` of its list).

    ``work``: scratch space from :func:`new_rk4_work` (the kernels allocate nothing, so that
    they run without reference counting).
    """
    i0 = p[i, L.I0]
    log_i0 = math.log(i0)
    u_spk = math.log(p[i, L.I_SPK] / i0)
    x = work[0]
    k1 = work[2]
    sb = work[6]
    dr = work[7]
    cache_x = work[EXP_CACHE_ROW]
    cache_e = work[EXP_CACHE_ROW + 1]
    x0 = work[STEP_START_ROW]
    slot = rec_slot[i]
    t = t0
    k = ev_lo
    while True:
        # discontinuities at t: pulse ends, then new events
        end_pulses(i, t, p, drive, nact, conn_end, conn_type, conn_mult, in_ptr, in_conn, mem)
        while k < ev_hi and ev_time[k] <= t:
            start_pulse(i, ev_conn[k], t, p, drive, nact, conn_end, conn_type, conn_mult)
            k += 1
        if slot >= 0:
            _record(i, slot, t, mem, syn, rec_times, rec_next, rec_out, p)
        if t >= t1:
            break
        t_next = t1
        if k < ev_hi and ev_time[k] < t_next:
            t_next = ev_time[k]
        e = next_pulse_end(i, t, conn_end, in_ptr, in_conn, mem)
        if e < t_next:
            t_next = e
        if mem[i, M_REF] > t and mem[i, M_REF] < t_next:
            t_next = mem[i, M_REF]
        if slot >= 0 and rec_next[slot] < rec_times.shape[0]:
            ts = rec_times[rec_next[slot]]
            if t < ts < t_next:
                t_next = ts
        refractory = mem[i, M_REF] > t
        for s in range(L.N_SYN):
            x[s] = math.log(syn[i, s])
        x[4] = math.log(mem[i, M_AHP])
        x[5] = mem[i, M_U]
        for s in range(5):
            dr[s] = drive[i, s]
        spiked = False
        while t < t_next:
            h = min(h_max, t_next - t)
            _derivs(x, dr, refractory, p, i, k1, sb, log_i0, cache_x, cache_e)
            big = 0.0
            for j in range(6):
                big = max(big, abs(k1[j]))
            if big * h > MAX_LOG_STEP:
                h = max(MAX_LOG_STEP / big, 1e-13)
                if t + h > t_next:
                    h = t_next - t
            for j in range(6):
                x0[j] = x[j]
            _rk4_step(x, h, k1, dr, refractory, p, i, work, log_i0)
            if not refractory and x[5] >= u_spk:
                # the threshold is crossed inside the step: find the crossing by redoing the step
                # with shorter lengths (regula falsi on u), so that the spike time is that of the
                # RK4 trajectory and the synapses and the AHP, which do not know of the spike, are
                # stored at the crossing (the rest of the step is not counted twice)
                t = t + _step_to_threshold(x, x0, h, u_spk, k1, dr, p, i, work, log_i0)
                spiked = True
                break
            t = t + h if t_next - (t + h) > 1e-15 * max(1.0, t_next) else t_next
        for s in range(L.N_SYN):
            syn[i, s] = math.exp(x[s])
        mem[i, M_AHP] = math.exp(x[4])
        mem[i, M_U] = x[5]
        if spiked:
            emit_spike(i, t, p, mem, drive, nact, counts, spk_neuron, spk_time, n_spk)
    return k
