"""Fast event-driven kernel: exact synapses, charge-centroid splitting of the membrane (not user facing).

Why it is fast: a neuron's window costs a handful of exponentials instead of thousands of time
steps, and a neuron at rest that receives nothing costs nothing. Below :func:`run_window`, which
allocates the scratch arrays, every kernel is compiled without Numba's reference counting
(``_nrt=False``): otherwise each array argument of each call costs an atomic increment and
decrement (numba/numba#2345), which ``perf`` measured at a quarter of a window's time.

How, for one neuron over a chunk ``[ta, tb)`` of at most ``h_macro`` (the kernel's time resolution):

1. Synapses and the AHP are exact: between discontinuities (events, pulse ends) each DPI has a
   closed-form trajectory (:func:`~._dpi.dpi_pulse`, :func:`~._dpi.dpi_decay`) and a closed-form
   charge (:func:`~._dpi.dpi_charge`), with its first and second moments in time.
2. The membrane equation (see :mod:`._dpi`) is a sum of three flows, each solvable exactly for a
   given charge: NMDA input ``du/dt = r I_nmda(t) psi_A(u)`` (``psi_A`` = gate x attenuation)
   conserves ``Psi_A(u) - r Q_nmda``; ungated input (AMPA, DC, minus GABA_B) likewise with
   ``Psi_B``; leak, AHP and shunt ``du/dt = -r L(t)`` translate ``u`` by ``-r Q_L``.
   The chunk is advanced by composing these flows, placing each input flow at the centroid of its
   charge in time and splitting the leak there (second order in the charge's spread).
3. Positive feedback is negligible far below threshold. If an upper bound of the membrane current
   in the chunk (input flows without leak) reaches ``I_safe`` (where feedback would reach
   ``FEEDBACK_TOL`` of the leak), or the net ungated input turns negative, or the splitting error
   estimate ``r L sigma`` exceeds ``SPLIT_TOL``, the chunk is refused. A refused chunk without input
   events or running pulses (synapses only decaying) goes to :func:`quiet_chunk`: exact decays and
   RK4 on the membrane alone; otherwise a chunk refused near threshold is halved and retried, and
   what remains goes to the reference RK4.
4. During the refractory period the membrane is held: the chunk up to its end only moves the
   synapses and the AHP, exactly (``fast_chunk(..., clamped=True)``).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from . import _layout as L
from ._dpi import dpi_charge, dpi_decay_by, dpi_pulse
from ._dpi import membrane_rate
from ._rk4 import INACTIVE, M_AHP, M_AHP_END, M_REF, M_U, MAX_LOG_STEP, emit_spike, new_rk4_work, rk4_window

FEEDBACK_TOL = 1e-3
"""Positive feedback below this fraction of the leak current is neglected by the fast path."""
SPLIT_TOL = 0.05
"""Largest r * L * sigma (leak displacement over the charge's time spread) the fast path accepts."""

RK4_CHUNK_FRACTION = 1.0 / 8.0
"""A chunk refused near threshold is halved down to this fraction of the macro step before RK4
takes it, so that RK4 covers only the part of the window where the feedback matters."""
SMALL_FLOW = 1e-3
"""Input flows moving ln(I_mem) by less than this are inverted by series instead of Newton."""
REFUSE_SPLIT = -1
REFUSE_RK4 = -2

_JIT = dict(cache=True, nogil=True)


@nb.njit(_nrt=False, **_JIT)
def safe_current(p, i):
    """Membrane current below which the positive feedback is under FEEDBACK_TOL of the leak (A)."""
    target = FEEDBACK_TOL * p[i, L.I_TAU]
    gain = p[i, L.FB_GAIN]
    if target >= gain:
        return math.inf
    # gain / (1 + exp(-(I - thr)/slope)) = target  ->  I = thr - slope ln(gain/target - 1)
    return p[i, L.FB_THR] - p[i, L.FB_SLOPE] * math.log(gain / target - 1.0)


@nb.njit(**_JIT)
def psi_a(i_mem, i_th, i_nt, i0):
    """Potential of the gated NMDA flow: ``[I + (I_nt + I_th) ln(I/I0) - I_nt I_th / I] / I_th``."""
    return (i_mem + (i_nt + i_th) * math.log(i_mem / i0) - i_nt * i_th / i_mem) / i_th


@nb.njit(**_JIT)
def psi_b(i_mem, i_th, i0):
    """Potential of the ungated input flow: ``[I + I_th ln(I/I0)] / I_th``."""
    return (i_mem + i_th * math.log(i_mem / i0)) / i_th


@nb.njit(**_JIT)
def invert_psi(target, i_th, i_nt, i0, gated, y_start=math.inf):
    """Membrane current ``I >= I0`` with ``psi(I) = target`` (psi_a if ``gated``, else psi_b).

    Newton starts from ``y_start`` (a guess of ``ln I``) when it lies inside the bracket.

    Solves ``f(y) = e^y + a (y - ln I0) - b e^-y - target I_th = 0`` for ``y = ln I`` (``a = I_nt + I_th``,
    ``b = I_nt I_th`` when gated; ``a = I_th``, ``b = 0`` otherwise) by Newton's method inside the
    bracket ``[ln I0, min(ln(target I_th + b/I0), ln I0 + (target I_th + b/I0)/a)]``.
    """
    lo = math.log(i0)
    if gated:
        a = i_nt + i_th
        b = i_nt * i_th
    else:
        a = i_th
        b = 0.0
    scaled = target * i_th
    if i0 - b / i0 >= scaled:  # f(ln I0) >= 0: the floor
        return i0
    room = scaled + b / i0
    hi = min(math.log(room), lo + room / a)
    y_lo = lo
    y_hi = hi
    y = y_start if lo < y_start < hi else hi
    for _ in range(100):
        e = math.exp(y)
        f = e + a * (y - lo) - b / e - scaled
        if f == 0.0:
            break
        if f > 0.0:
            y_hi = y
        else:
            y_lo = y
        d = e + a + b / e
        step = f / d
        if abs(step) <= 1e-14 * max(1.0, abs(y)):  # converged (before the bracket test, which a
            y = y - step  # step below float resolution would fail and send to bisection)
            break
        y_new = y - step
        if not (y_lo < y_new < y_hi):
            y_new = 0.5 * (y_lo + y_hi)
        if abs(y_new - y) <= 1e-14 * max(1.0, abs(y)):
            y = y_new
            break
        y = y_new
    return max(math.exp(y), i0)


@nb.njit(**_JIT)
def apply_flow(i_mem, dpsi, i_th, i_nt, i0, gated):
    """Membrane current after an input flow that raises ``psi`` (psi_a if ``gated``) by ``dpsi``.

    A flow that moves ``ln I`` by less than ``SMALL_FLOW`` is inverted by its series to second order;
    larger ones by Newton from the first-order guess ``ln I + dpsi I_th / (I + a + b/I)``.
    """
    if gated:
        a = i_nt + i_th
        b = i_nt * i_th
    else:
        a = i_th
        b = 0.0
    d1 = (i_mem + a + b / i_mem) / i_th  # d psi / d ln I
    dy = dpsi / d1
    if abs(dy) < SMALL_FLOW:
        # inverse series to second order: error O(dy^3) < 1e-9 in ln I
        d2 = (i_mem - b / i_mem) / i_th
        return max(i_mem * math.exp(dy - 0.5 * d2 * dy * dy / d1), i0)
    if gated:
        target = psi_a(i_mem, i_th, i_nt, i0) + dpsi
    else:
        target = psi_b(i_mem, i_th, i0) + dpsi
    return invert_psi(target, i_th, i_nt, i0, gated, math.log(i_mem) + dy)


@nb.njit(inline="always", **_JIT)
def _decay_moments(h, tau, factor):
    # first and second moment (from the segment start) of the time profile exp(-t/tau) on [0, h];
    # factor = exp(-h/tau)
    x = h / tau
    if x < 1e-6:
        return 0.5 * h, h * h / 3.0
    q = factor / (1.0 - factor)
    return tau - h * q, 2.0 * tau * tau - (h * h + 2.0 * h * tau) * q


@nb.njit(inline="always", **_JIT)
def _dpi_segment(y, drive, h, tau, i_th, i_tau, i0, moments):
    """One DPI over a segment of ``h`` s with constant pulse ``drive``: its end current (A), the
    charge it delivers (C) and, when ``moments``, that charge's first and second time moments
    about the segment start per unit charge (s, s^2; a pulse is taken as uniform in time)."""
    if drive > 0.0:
        new = dpi_pulse(y, drive, h, tau, i_th, i_tau, i0)
        m1 = 0.5 * h
        m2 = h * h / 3.0
    else:
        factor = math.exp(-h / tau)  # the decay's, shared with its moments
        new = dpi_decay_by(y, factor, i0)
        m1, m2 = _decay_moments(h, tau, factor) if moments else (0.0, 0.0)
    return new, dpi_charge(y, new, drive, h, tau, i_th, i_tau, i0), m1, m2


@nb.njit(_nrt=False, **_JIT)
def _leak_between(ta, tb, seg_t, seg_h, seg_ql, n_seg):
    # leak charge in [ta, tb], leak spread uniformly within each segment
    q = 0.0
    for j in range(n_seg):
        s0 = seg_t[j]
        s1 = s0 + seg_h[j]
        lo = max(ta, s0)
        hi = min(tb, s1)
        if hi > lo and seg_h[j] > 0.0:
            q += seg_ql[j] * (hi - lo) / seg_h[j]
    return q


@nb.njit(_nrt=False, **_JIT)
def fast_chunk(
    i, ta, tb, p, mem, syn, drive, nact,
    conn_end, conn_type, conn_mult, in_ptr, in_conn,
    ev_time, ev_conn, k_start, ev_hi,
    loc_end, seg_t, seg_h, seg_ql, i_safe, clamped,
):
    """Try to advance neuron ``i`` over ``[ta, tb)`` without RK4 (``clamped``: the membrane is held
    (refractory period), only the synapses and the AHP move).

    Returns the index of the first unprocessed event, or (state untouched) ``REFUSE_SPLIT`` when
    the leak splitting error would be too large (or too many segments) and ``REFUSE_RK4`` when the
    membrane may come near threshold (or the net ungated input turns negative). Both send the chunk
    to RK4; only the second is worth retrying on a shorter chunk (its first part may stay far
    below threshold). Shorter fast chunks do not cure the first: their splitting errors add up.
    """
    i0 = p[i, L.I0]
    r = p[i, L.R_MEM]
    i_th = p[i, L.I_TH]
    i_nt = p[i, L.I_NT]
    t_pulse = p[i, L.T_PULSE]
    c_lo = in_ptr[i]
    n_in = in_ptr[i + 1] - c_lo
    for j in range(n_in):
        loc_end[j] = conn_end[in_conn[c_lo + j]]
    ys0 = syn[i, 0]
    ys1 = syn[i, 1]
    ys2 = syn[i, 2]
    ys3 = syn[i, 3]
    d0 = drive[i, 0]
    d1 = drive[i, 1]
    d2 = drive[i, 2]
    d3 = drive[i, 3]
    n0 = nact[i, 0]
    n1 = nact[i, 1]
    n2 = nact[i, 2]
    n3 = nact[i, 3]
    ahp = mem[i, M_AHP]
    d_ahp = drive[i, 4]
    ahp_end = mem[i, M_AHP_END]
    # charge accumulators: NMDA (A flow), ungated (B flow; first/second moments of |charge|), leak
    qa = 0.0
    ma1 = 0.0
    ma2 = 0.0
    qb = 0.0
    wb = 0.0
    mb1 = 0.0
    mb2 = 0.0
    l_max = 0.0
    b_min = math.inf
    n_seg = 0
    t = ta
    k = k_start
    while t < tb:
        # close pulses ending at t, open events at t
        for j in range(n_in):
            e = loc_end[j]
            if e != INACTIVE and e <= t:
                c = in_conn[c_lo + j]
                s = conn_type[c]
                loc_end[j] = INACTIVE
                amount = conn_mult[c] * p[i, L.SYN_IW + s]
                if s == 0:
                    n0 -= 1
                    d0 = 0.0 if n0 == 0 else d0 - amount
                elif s == 1:
                    n1 -= 1
                    d1 = 0.0 if n1 == 0 else d1 - amount
                elif s == 2:
                    n2 -= 1
                    d2 = 0.0 if n2 == 0 else d2 - amount
                else:
                    n3 -= 1
                    d3 = 0.0 if n3 == 0 else d3 - amount
        if ahp_end != INACTIVE and ahp_end <= t:
            ahp_end = INACTIVE
            d_ahp = 0.0
        while k < ev_hi and ev_time[k] <= t:
            c = ev_conn[k]
            j = -1
            for jj in range(n_in):
                if in_conn[c_lo + jj] == c:
                    j = jj
                    break
            s = conn_type[c]
            if loc_end[j] > t:
                loc_end[j] = t + t_pulse
            else:
                loc_end[j] = t + t_pulse
                amount = conn_mult[c] * p[i, L.SYN_IW + s]
                if s == 0:
                    n0 += 1
                    d0 += amount
                elif s == 1:
                    n1 += 1
                    d1 += amount
                elif s == 2:
                    n2 += 1
                    d2 += amount
                else:
                    n3 += 1
                    d3 += amount
            k += 1
        t_next = tb
        if k < ev_hi and ev_time[k] < t_next:
            t_next = ev_time[k]
        for j in range(n_in):
            e = loc_end[j]
            if e != INACTIVE and t < e < t_next:
                t_next = e
        if ahp_end != INACTIVE and t < ahp_end < t_next:
            t_next = ahp_end
        h = t_next - t
        # --- synapses: exact trajectories, charges and their time moments
        # GABA_B (0): subtractive, ungated
        # (a DPI resting on its floor without drive stays there and delivers I0: no work)
        if d0 > 0.0 or ys0 > i0:
            new, q_gb, _, _ = _dpi_segment(ys0, d0, h, p[i, L.SYN_TAU], p[i, L.SYN_ITH], p[i, L.SYN_ITAU], i0, False)
            gb_max = max(ys0, new)
            ys0 = new
        else:
            q_gb = i0 * h
            gb_max = i0
        # GABA_A (1): shunt, part of the leak
        if d1 > 0.0 or ys1 > i0:
            new, q_ga, _, _ = _dpi_segment(ys1, d1, h, p[i, L.SYN_TAU + 1], p[i, L.SYN_ITH + 1], p[i, L.SYN_ITAU + 1], i0, False)
            ga_max = max(ys1, new)
            ys1 = new
        else:
            q_ga = i0 * h
            ga_max = i0
        # NMDA (2): gated input (always advanced, also on its floor)
        new, q_n, m1, m2 = _dpi_segment(ys2, d2, h, p[i, L.SYN_TAU + 2], p[i, L.SYN_ITH + 2], p[i, L.SYN_ITAU + 2], i0, True)
        nmda_min = min(ys2, new)
        ys2 = new
        qa += q_n
        ma1 += q_n * (t + m1)
        ma2 += q_n * (t * t + 2.0 * t * m1 + m2)
        # AMPA (3): ungated input
        if d3 > 0.0 or ys3 > i0:
            new, q_am, m1, m2 = _dpi_segment(ys3, d3, h, p[i, L.SYN_TAU + 3], p[i, L.SYN_ITH + 3], p[i, L.SYN_ITAU + 3], i0, True)
            ampa_min = min(ys3, new)
            ys3 = new
        else:
            q_am = i0 * h
            m1 = 0.5 * h
            m2 = h * h / 3.0
            ampa_min = i0
        # AHP: part of the leak
        if d_ahp > 0.0 or ahp > i0:
            new, q_ahp, _, _ = _dpi_segment(ahp, d_ahp, h, p[i, L.AHP_TAU], p[i, L.AHP_ITH], p[i, L.AHP_ITAU], i0, False)
            ahp_max = max(ahp, new)
            ahp = new
        else:
            q_ahp = i0 * h
            ahp_max = i0
        # ungated flow B: AMPA + DC - GABA_B (time moments weighted by |charge|)
        q_dc = p[i, L.I_DC] * h
        qb += q_am + q_dc - q_gb
        w = q_am + q_dc + q_gb
        wb += w
        mb1 += q_am * (t + m1) + (q_dc + q_gb) * (t + 0.5 * h)
        mb2 += q_am * (t * t + 2.0 * t * m1 + m2) + (q_dc + q_gb) * (t * t + t * h + h * h / 3.0)
        # net input must stay non-negative for the flows to be exact (no clipping)
        b_seg = ampa_min + p[i, L.I_DC] - gb_max + nmda_min * i0 / (i0 + i_nt)
        if b_seg < b_min:
            b_min = b_seg
        # leak flow: I_tau + I_ahp + I_gaba_a
        ql = p[i, L.I_TAU] * h + q_ahp + q_ga
        l_rate = p[i, L.I_TAU] + ahp_max + ga_max
        if l_rate > l_max:
            l_max = l_rate
        seg_t[n_seg] = t
        seg_h[n_seg] = h
        seg_ql[n_seg] = ql
        n_seg += 1
        t = t_next
        if n_seg >= seg_t.shape[0] and t < tb:
            return REFUSE_SPLIT
    u = mem[i, M_U]
    if clamped:
        b_min = 0.0
        qa = 0.0
        qb = 0.0
    if b_min < 0.0:
        return REFUSE_RK4
    # --- membrane (held while clamped): validity of the splitting
    if not clamped:
        ta_c = ma1 / qa if qa > 0.0 else 0.5 * (ta + tb)
        tb_c = mb1 / wb if wb > 0.0 else 0.5 * (ta + tb)
        var_a = max(ma2 / qa - ta_c * ta_c, 0.0) if qa > 0.0 else 0.0
        var_b = max(mb2 / wb - tb_c * tb_c, 0.0) if wb > 0.0 else 0.0
        if r * l_max * math.sqrt(max(var_a, var_b)) > SPLIT_TOL:
            return REFUSE_SPLIT
        # upper bound of the membrane current in the chunk: both input flows, no leak, no feedback.
        # Without Newton: psi_a(I) >= (I - I_nt I_th / I0) / I_th and psi_b(I) >= I / I_th for I >= I0.
        u0 = mem[i, M_U]
        i_mem = i0 * math.exp(u0)
        bound = i_mem
        if qa > 0.0:
            bound = max(i_th * (psi_a(i_mem, i_th, i_nt, i0) + r * qa) + i_nt * i_th / i0, i_mem)
        if qb > 0.0:
            bound = i_th * (psi_b(bound, i_th, i0) + r * qb)
        if bound >= i_safe:
            return REFUSE_RK4
        # leak to the first centroid, first flow, leak to the second, second flow, leak to the end
        if ta_c <= tb_c:
            t1c = ta_c
            t2c = tb_c
        else:
            t1c = tb_c
            t2c = ta_c
        u = u0 - r * _leak_between(ta, t1c, seg_t, seg_h, seg_ql, n_seg)
        if u < 0.0:
            u = 0.0
        for flow in range(2):
            first_is_a = ta_c <= tb_c
            use_a = first_is_a if flow == 0 else not first_is_a
            i_mem = i0 * math.exp(u)
            if use_a:
                if qa > 0.0:
                    i_mem = apply_flow(i_mem, r * qa, i_th, i_nt, i0, True)
            elif qb != 0.0:
                i_mem = apply_flow(i_mem, r * qb, i_th, i_nt, i0, False)
            u = math.log(i_mem / i0)
            if flow == 0:
                u -= r * _leak_between(t1c, t2c, seg_t, seg_h, seg_ql, n_seg)
            else:
                u -= r * _leak_between(t2c, tb, seg_t, seg_h, seg_ql, n_seg)
            if u < 0.0:
                u = 0.0
    # --- commit
    for j in range(n_in):
        conn_end[in_conn[c_lo + j]] = loc_end[j]
    syn[i, 0] = ys0
    syn[i, 1] = ys1
    syn[i, 2] = ys2
    syn[i, 3] = ys3
    drive[i, 0] = d0
    drive[i, 1] = d1
    drive[i, 2] = d2
    drive[i, 3] = d3
    nact[i, 0] = n0
    nact[i, 1] = n1
    nact[i, 2] = n2
    nact[i, 3] = n3
    mem[i, M_AHP] = ahp
    drive[i, 4] = d_ahp
    if ahp_end == INACTIVE:
        nact[i, 4] = 0
    mem[i, M_AHP_END] = ahp_end
    mem[i, M_U] = u
    return k


QUIET_SYN_LOG_STEP = 0.3
"""Quiet chunks: largest decay of a synaptic log-current in one membrane RK4 step (the decay is
exact; this only bounds how fast the membrane's input changes within a step)."""


@nb.njit(inline="always", **_JIT)
def is_quiet(i, ta, tb, mem, drive, ev_time, k, ev_hi):
    """No input event in ``[ta, tb)``, no pulse running, not refractory: synapses only decay."""
    if k < ev_hi and ev_time[k] < tb:
        return False
    if mem[i, M_REF] > ta or mem[i, M_AHP_END] != INACTIVE:
        return False
    for s in range(5):
        if drive[i, s] != 0.0:
            return False
    return True


@nb.njit(_nrt=False, **_JIT)
def _quiet_currents(t, ta, p, i, syn, ahp0, buf):
    # exact DPI decay of every synapse type from ta (floored at I0); returns the AHP current.
    # A current on its floor stays there (its decay would be floored back to I0): no exp
    i0 = p[i, L.I0]
    for s in range(L.N_SYN):
        y = syn[i, s]
        buf[s] = max(y * math.exp(-(t - ta) / p[i, L.SYN_TAU + s]), i0) if y > i0 else i0
    return max(ahp0 * math.exp(-(t - ta) / p[i, L.AHP_TAU]), i0) if ahp0 > i0 else i0


@nb.njit(_nrt=False, **_JIT)
def quiet_chunk(i, ta, tb, h_max, p, mem, syn, drive, nact, counts, spk_neuron, spk_time, n_spk, buf):
    """Advance a quiet neuron (:func:`is_quiet`) from ``ta`` towards ``tb``: the synapses and the AHP
    decay exactly, the membrane alone is integrated by RK4 (steps limited as in the reference, and so
    that no synaptic current decays by more than ``QUIET_SYN_LOG_STEP`` within one step).

    Returns the time reached: ``tb``, or the time of a spike (the caller goes on from there).
    """
    i0 = p[i, L.I0]
    u_spk = math.log(p[i, L.I_SPK] / i0)
    ahp0 = mem[i, M_AHP]
    decay_rate = 0.0  # fastest log-decay among the currents above their floor
    for s in range(L.N_SYN):
        if syn[i, s] > i0:
            decay_rate = max(decay_rate, 1.0 / p[i, L.SYN_TAU + s])
    if ahp0 > i0:
        decay_rate = max(decay_rate, 1.0 / p[i, L.AHP_TAU])
    u = mem[i, M_U]
    t = ta
    spiked = False
    while t < tb:
        h = min(h_max, tb - t)
        ahp = _quiet_currents(t, ta, p, i, syn, ahp0, buf)
        k1 = membrane_rate(u, buf, ahp, p, i)
        if abs(k1) * h > MAX_LOG_STEP:
            h = max(MAX_LOG_STEP / abs(k1), 1e-13)
        if decay_rate * h > QUIET_SYN_LOG_STEP:
            h = QUIET_SYN_LOG_STEP / decay_rate
        h = min(h, tb - t)
        ahp = _quiet_currents(t + 0.5 * h, ta, p, i, syn, ahp0, buf)
        k2 = membrane_rate(u + 0.5 * h * k1, buf, ahp, p, i)
        k3 = membrane_rate(u + 0.5 * h * k2, buf, ahp, p, i)
        ahp = _quiet_currents(t + h, ta, p, i, syn, ahp0, buf)
        k4 = membrane_rate(u + h * k3, buf, ahp, p, i)
        u_new = max(u + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4), 0.0)
        if u_new >= u_spk:
            t = t + h * (u_spk - u) / (u_new - u)
            spiked = True
            break
        u = u_new
        t = t + h if tb - (t + h) > 1e-15 * max(1.0, tb) else tb
        # currents that reached their floor stop limiting the step
        if decay_rate > 0.0:
            decay_rate = 0.0
            for s in range(L.N_SYN):
                if buf[s] > i0:
                    decay_rate = max(decay_rate, 1.0 / p[i, L.SYN_TAU + s])
            if ahp > i0:
                decay_rate = max(decay_rate, 1.0 / p[i, L.AHP_TAU])
    ahp = _quiet_currents(t, ta, p, i, syn, ahp0, buf)
    for s in range(L.N_SYN):
        syn[i, s] = buf[s]
    mem[i, M_AHP] = ahp
    mem[i, M_U] = u
    if spiked:
        emit_spike(i, t, p, mem, drive, nact, counts, spk_neuron, spk_time, n_spk)
    return t


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


@nb.njit(_nrt=False, **_JIT)
def fast_window(
    i, t0, t1, h_macro, h_rk4, p, mem, syn, drive, nact,
    conn_end, conn_type, conn_mult, in_ptr, in_conn,
    ev_time, ev_conn, ev_lo, ev_hi,
    counts, spk_neuron, spk_time, n_spk,
    rec_slot, rec_times, rec_next, rec_out,
    rest_stable, loc_end, seg_t, seg_h, seg_ql, stats, quiet_buf, rk4_work,
):
    """Advance neuron ``i`` over ``[t0, t1)`` in chunks of ``h_macro``.

    Each chunk goes by the fast path if it can; a refused chunk without input events or running
    pulses is integrated by :func:`quiet_chunk`; one refused near threshold is halved (down to
    ``RK4_CHUNK_FRACTION`` of the macro step) and retried; what is left, and refractory periods,
    go to the reference RK4.
    """
    if rec_slot[i] >= 0:
        rk4_window(i, t0, t1, h_rk4, p, mem, syn, drive, nact, conn_end, conn_type, conn_mult,
                   in_ptr, in_conn, ev_time, ev_conn, ev_lo, ev_hi, counts, spk_neuron, spk_time,
                   n_spk, rec_slot, rec_times, rec_next, rec_out, rk4_work)
        stats[1] += 1
        return
    if ev_lo == ev_hi and rest_stable[i] and at_rest(i, p, mem, syn, drive):
        stats[2] += 1
        return
    i_safe = safe_current(p, i)
    h_rk4_chunk = h_macro * RK4_CHUNK_FRACTION
    tiny = 1e-15 * max(1.0, t1)
    k = ev_lo
    ta = t0
    h = h_macro
    while ta < t1:
        tb = min(ta + h, t1)
        if t1 - tb < tiny:
            tb = t1
        use_rk4 = False
        if mem[i, M_REF] > ta:
            # refractory: membrane held up to the end of the period, synapses exact
            tb = min(mem[i, M_REF], t1)
            if t1 - tb < tiny:
                tb = t1
            k_new = fast_chunk(i, ta, tb, p, mem, syn, drive, nact, conn_end, conn_type, conn_mult,
                               in_ptr, in_conn, ev_time, ev_conn, k, ev_hi, loc_end, seg_t, seg_h,
                               seg_ql, i_safe, True)
            if k_new >= 0:
                k = k_new
                stats[0] += 1
                ta = tb
                continue
            use_rk4 = True
        else:
            k_new = fast_chunk(i, ta, tb, p, mem, syn, drive, nact, conn_end, conn_type, conn_mult,
                               in_ptr, in_conn, ev_time, ev_conn, k, ev_hi, loc_end, seg_t, seg_h,
                               seg_ql, i_safe, False)
            if k_new >= 0:
                k = k_new
                stats[0] += 1
                ta = tb
                h = min(2.0 * h, h_macro)
                continue
            if is_quiet(i, ta, tb, mem, drive, ev_time, k, ev_hi):
                ta = quiet_chunk(i, ta, tb, h_rk4, p, mem, syn, drive, nact, counts, spk_neuron,
                                 spk_time, n_spk, quiet_buf)
                stats[1] += 1
                continue
            if k_new == REFUSE_RK4 and h > h_rk4_chunk * 1.5:
                h *= 0.5
                continue
            use_rk4 = True
        if use_rk4:
            # events strictly before tb belong to this chunk; rk4_window processes them
            hi = k
            while hi < ev_hi and ev_time[hi] < tb:
                hi += 1
            rk4_window(i, ta, tb, h_rk4, p, mem, syn, drive, nact, conn_end, conn_type, conn_mult,
                       in_ptr, in_conn, ev_time, ev_conn, k, hi, counts, spk_neuron, spk_time,
                       n_spk, rec_slot, rec_times, rec_next, rec_out, rk4_work)
            k = hi
            stats[1] += 1
            ta = tb


@nb.njit(**_JIT)
def run_window(
    engine, t0, t1, h_macro, h_rk4, p, mem, syn, drive, nact,
    conn_end, conn_type, conn_mult, in_ptr, in_conn,
    ev_ptr, ev_time, ev_conn,
    counts, spk_neuron, spk_time, n_spk,
    rec_slot, rec_times, rec_next, rec_out, rest_stable, stats,
):
    """Advance every neuron over ``[t0, t1)``; ``engine`` 0 = fast, 1 = reference RK4.

    Allocates the scratch space and hands over to :func:`_advance_all` (see the module docstring).
    """
    n = p.shape[0]
    max_in = 1
    for i in range(n):
        max_in = max(max_in, in_ptr[i + 1] - in_ptr[i])
    loc_end = np.empty(max_in)
    n_seg_max = 8 + 2 * max_in
    for i in range(n):
        n_seg_max = max(n_seg_max, 8 + 3 * (ev_ptr[i + 1] - ev_ptr[i]) + 2 * max_in)
    seg_t = np.empty(n_seg_max)
    seg_h = np.empty(n_seg_max)
    seg_ql = np.empty(n_seg_max)
    quiet_buf = np.empty(L.N_SYN)
    rk4_work = new_rk4_work()
    _advance_all(engine, t0, t1, h_macro, h_rk4, p, mem, syn, drive, nact, conn_end, conn_type,
                 conn_mult, in_ptr, in_conn, ev_ptr, ev_time, ev_conn, counts, spk_neuron, spk_time,
                 n_spk, rec_slot, rec_times, rec_next, rec_out, rest_stable, stats, loc_end, seg_t,
                 seg_h, seg_ql, quiet_buf, rk4_work)


@nb.njit(_nrt=False, **_JIT)
def _advance_all(
    engine, t0, t1, h_macro, h_rk4, p, mem, syn, drive, nact,
    conn_end, conn_type, conn_mult, in_ptr, in_conn,
    ev_ptr, ev_time, ev_conn,
    counts, spk_neuron, spk_time, n_spk,
    rec_slot, rec_times, rec_next, rec_out, rest_stable, stats,
    loc_end, seg_t, seg_h, seg_ql, quiet_buf, rk4_work,
):
    # the neuron loop of run_window
    for i in range(p.shape[0]):
        lo = ev_ptr[i]
        hi = ev_ptr[i + 1]
        if engine == 1:
            rk4_window(i, t0, t1, h_rk4, p, mem, syn, drive, nact, conn_end, conn_type, conn_mult,
                       in_ptr, in_conn, ev_time, ev_conn, lo, hi, counts, spk_neuron, spk_time,
                       n_spk, rec_slot, rec_times, rec_next, rec_out, rk4_work)
        elif lo == hi and rest_stable[i] and rec_slot[i] < 0 and at_rest(i, p, mem, syn, drive):
            stats[2] += 1  # at rest, nothing arrives: skip (checked here, a call costs more)
        else:
            fast_window(i, t0, t1, h_macro, h_rk4, p, mem, syn, drive, nact, conn_end, conn_type,
                        conn_mult, in_ptr, in_conn, ev_time, ev_conn, lo, hi, counts, spk_neuron,
                        spk_time, n_spk, rec_slot, rec_times, rec_next, rec_out, rest_stable,
                        loc_end, seg_t, seg_h, seg_ql, stats, quiet_buf, rk4_work)


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
