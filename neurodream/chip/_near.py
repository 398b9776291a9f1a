"""Near-threshold tier of the fast engine: NMDA-driven neurons that may spike (not user facing).

Where the closed form of :mod:`._pflow` hands over (the membrane may come near threshold, where the
positive feedback matters), a neuron whose only input words are NMDA is integrated here in the same
potential ``P`` (P1 of :mod:`._pflow`), now with the feedback and the AHP included::

    dP/dt = r I_th I_nmda(t) - lam P + N(u, t)
    N     = E(u) + r [I_a(I) - (I_ahp(t) - I0)] P'(u),    P'(u) = I + a + b / I

The input and the leak are integrated exactly (the NMDA current is exact between and across pulses,
:func:`._pflow.nmda_pulse`); ``N`` by the trapezoid rule over adaptive steps (an exponential Heun
method: predictor with ``N`` at the step's start, corrector with the mean of both ends). A step
whose correction moves ``u`` by more than ``NEAR_STEP_TOL`` is shortened. A threshold crossing is
located by redoing the step with shorter lengths (regula falsi on ``u``); then the neuron spikes:
reset and refractory period (:func:`._rk4.emit_spike`; the membrane is held), and the AHP pulse
applied at once, exact (:func:`._dpi.dpi_pulse`), decaying exactly from the pulse's end. Applying
it at once is exact for the membrane when the refractory period outlasts the AHP pulse, a condition
of this tier.

Anything else (a pulse overlapping another, the window's end or a refractory release; a crossing
inside a pulse; the AHP pulse outlasting the refractory period) goes to the reference RK4 from where
this tier stops.
"""

from __future__ import annotations

import math

import numba as nb

from . import _layout as L
from ._dpi import dpi_pulse, feedback_current, feedback_steepness, membrane_rate
from ._pflow import (C_A, C_B, C_E0, C_E1, C_LAM, C_PSWITCH, C_SIMPLE, _decay, correct_potential,
                     invert_potential, nmda_pulse, potential, volley)
from ._rk4 import (CROSSING_ITERATIONS, CROSSING_TOL, INACTIVE, M_AHP, M_AHP_END, M_REF, M_U, MAX_LOG_STEP,
                   emit_spike)

NEAR_STEP_TOL = 1e-3
"""Largest corrector change of ``u`` (the predictor's error estimate) accepted in one step."""
FLOOR_RISE = 20.0
"""A step that starts on the floor is at most as long as the input needs to raise ``P`` by this
many ``a`` (near the floor ``E`` changes fast, and the trapezoid rule would weigh the floor too much)."""
NEAR_DECAY_STEP = 0.3
"""Near threshold (RK4 in u): largest change of a decaying synaptic or AHP log-current in one step."""
NEAR_STIFF = 0.3
"""Near threshold (RK4 in u): largest step times the rate's derivative in u (the feedback)."""
NEAR_MAX_STEPS = 10_000
"""Steps of one window after which the neuron goes to the reference RK4 (a safeguard)."""

_JIT = dict(cache=True, nogil=True)


@nb.njit(inline="always", **_JIT)
def _decayed(i_start, mu, dt, i0):
    # a DPI without input after dt >= 0 (before its start: the start value), floored at I0
    return max(i_start * math.exp(-mu * max(dt, 0.0)), i0) if i_start > i0 else i0


@nb.njit(inline="always", **_JIT)
def _first_step(u, i_n, mu, dt_n, h_max, a, r_ith, i0):
    # the first step of a stretch: at most h_max; from the floor, short enough that the input raises P
    # by FLOOR_RISE a (i_n decaying since dt_n)
    if u > 0.0:
        return h_max
    rate = r_ith * _decayed(i_n, mu, dt_n, i0)
    return min(h_max, FLOOR_RISE * a / rate)


@nb.njit(inline="always", **_JIT)
def _nonlinear(u, e, t, t_a, i_a, mu_a, a, b, e0, e1, lam, r, p, i):
    # N(u, t) of the module docstring
    i0 = p[i, L.I0]
    ahp_excess = _decayed(i_a, mu_a, t - t_a, i0) - i0
    return (e0 + e1 / e + lam * a * u
            + r * (feedback_current(e, p, i) - ahp_excess) * (e + a + b / e))


@nb.njit(_nrt=False, **_JIT)
def _step(u, e, t, h, pulse_q, t_p, i_n, mu, t_a, i_a, mu_a, a, b, e0, e1, lam, r, r_ith, p, i):
    """One exponential Heun step of length ``h`` from ``(u, e = I)`` at ``t``; the NMDA decays from
    ``i_n`` at ``t`` (after a pulse of charge ``pulse_q`` and width ``t_p`` at ``t`` when
    ``pulse_q > 0``). Returns ``(u, I, |corrector change of u|, u_predicted)``."""
    i0 = p[i, L.I0]
    if pulse_q > 0.0:
        _, _, conv, el = _decay(i_n, mu, lam, h - t_p, i0)
        el *= math.exp(-lam * t_p)
        conv += pulse_q * math.exp(-lam * (h - 0.5 * t_p))
    else:
        _, _, conv, el = _decay(i_n, mu, lam, h, i0)
    g = (1.0 - el) / lam
    n_start = _nonlinear(u, e, t, t_a, i_a, mu_a, a, b, e0, e1, lam, r, p, i)
    p_pred = potential(u, e, a, b) * el + r_ith * conv + n_start * g
    guess = math.log(p_pred / i0) if p_pred > 4.0 * max(e, i0) else u
    u_pred, e_pred = invert_potential(p_pred, guess, i0, a, b)
    n_end = _nonlinear(u_pred, e_pred, t + h, t_a, i_a, mu_a, a, b, e0, e1, lam, r, p, i)
    u_new, e_new = correct_potential(u_pred, e_pred, 0.5 * (n_end - n_start) * g, a, b, i0, potential(0.0, i0, a, b))
    return u_new, e_new, abs(u_new - u_pred), u_pred


@nb.njit(inline="always", **_JIT)
def _rate(u, i_nmda, i_ahp, p, i, buf):
    # du/dt (the membrane equation of _dpi) with these NMDA and AHP currents (the rest on the floor)
    buf[L.NMDA] = i_nmda
    return membrane_rate(u, buf, i_ahp, p, i)


@nb.njit(_nrt=False, **_JIT)
def _rk4_u(u, h, k1, n0, n_half, n1, a0, a_half, a1, p, i, buf):
    # one classical RK4 step of the membrane alone in u, from u with slope k1 there; the NMDA and AHP
    # currents at the step's start, middle and end are given (they decay exactly)
    k2 = _rate(u + 0.5 * h * k1, n_half, a_half, p, i, buf)
    k3 = _rate(u + 0.5 * h * k2, n_half, a_half, p, i, buf)
    k4 = _rate(u + h * k3, n1, a1, p, i, buf)
    return max(u + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4), 0.0)


@nb.njit(inline="always", **_JIT)
def _hermite_crossing(u0, k0, u1, k1, h, level):
    """Fraction of a step at which the cubic Hermite interpolant of ``u`` (values and slopes at the
    step's ends; ``u0 < level <= u1``) reaches ``level``, by safeguarded Newton iteration."""
    lo, hi = 0.0, 1.0
    x = (level - u0) / (u1 - u0)
    for _ in range(30):
        x2 = x * x
        x3 = x2 * x
        f = ((2 * x3 - 3 * x2 + 1) * u0 + (x3 - 2 * x2 + x) * h * k0 + (3 * x2 - 2 * x3) * u1
             + (x3 - x2) * h * k1 - level)
        if f > 0.0:
            hi = x
        else:
            lo = x
        d = (6 * x2 - 6 * x) * u0 + (3 * x2 - 4 * x + 1) * h * k0 + (6 * x - 6 * x2) * u1 + (3 * x2 - 2 * x) * h * k1
        x_new = x - f / d if d > 0.0 else 0.5 * (lo + hi)
        if not (lo < x_new < hi):
            x_new = 0.5 * (lo + hi)
        if abs(x_new - x) < 1e-12:
            return x_new
        x = x_new
    return x


@nb.njit(_nrt=False, **_JIT)
def near_window(i, t0, t1, h_max, p, c, mem, syn, drive, nact, conn_mult, ev_time, ev_conn, ev_lo,
                ev_hi, counts, spk_neuron, spk_time, n_spk, buf):
    """Advance neuron ``i`` from ``t0`` towards ``t1`` (module docstring); the closed-form tier has
    closed its finished pulses. Returns ``(t, k)``: the time reached (``t1`` when done) and the
    first unprocessed event; the state is that at ``t``."""
    i0 = p[i, L.I0]
    if (c[i, C_SIMPLE] == 0.0 or p[i, L.T_REF] < p[i, L.AHP_TPULSE] or nact[i, L.NMDA] > 0
            or mem[i, M_AHP_END] != INACTIVE or syn[i, L.GABA_B] > i0 or syn[i, L.GABA_A] > i0
            or syn[i, L.AMPA] > i0):
        return t0, ev_lo
    u_spk = math.log(p[i, L.I_SPK] / i0)
    mu = 1.0 / p[i, L.SYN_TAU + L.NMDA]
    mu_a = 1.0 / p[i, L.AHP_TAU]
    t_p = p[i, L.T_PULSE]
    r = p[i, L.R_MEM]
    r_ith = r * p[i, L.I_TH]
    a, b, e0, e1, lam = c[i, C_A], c[i, C_B], c[i, C_E0], c[i, C_E1], c[i, C_LAM]
    u = mem[i, M_U]
    e = i0 * math.exp(u)
    t_n, i_n = t0, syn[i, L.NMDA]  # the NMDA decays from i_n at t_n
    t_a, i_a = t0, mem[i, M_AHP]  # the AHP from i_a at t_a
    t = t0
    k = ev_lo
    ts = t0
    steps = 0
    failed = False
    while t < t1:
        k_next, words = volley(k, ev_hi, t, ev_time, ev_conn, conn_mult)
        t_end = ev_time[k_next] if k_next < ev_hi else t1
        t_n_before, i_n_before = t_n, i_n
        pulse_q = 0.0
        if words > 0.0:
            ref = mem[i, M_REF]
            if t + t_p > t_end or (t < ref < t + t_p):
                break  # overlapping the next event, the window's end or the release
            i_peak, q = nmda_pulse(_decayed(i_n, mu, t - t_n, i0), words, p, c, i)
            if i_peak < 0.0:
                break
            pulse_q = q if ref <= t else 0.0  # a held membrane does not take the charge
            t_n, i_n = t + t_p, i_peak
        # the segment up to the next event, in steps; spikes on the way. The first step covers the
        # pulse alone (the membrane's fastest change), the next ones adapt.
        ts = t
        h = t_p if pulse_q > 0.0 else _first_step(u, i_n, mu, ts - t_n, t_end - ts, a, r_ith, i0)
        while ts < t_end:
            if mem[i, M_REF] > ts:  # held
                ts = min(mem[i, M_REF], t_end)
                continue
            steps += 1
            if steps > NEAR_MAX_STEPS:
                failed = True
                break
            h = min(h, t_end - ts)
            in_u = pulse_q == 0.0 and potential(u, e, a, b) >= c[i, C_PSWITCH]
            if in_u:
                # near threshold: RK4 of u (the feedback's steep rise needs small steps in u anyway)
                n0 = _decayed(i_n, mu, ts - t_n, i0)
                a0 = _decayed(i_a, mu_a, ts - t_a, i0)
                k1 = _rate(u, n0, a0, p, i, buf)
                h = min(h_max, t_end - ts)
                if abs(k1) * h > MAX_LOG_STEP:
                    h = max(MAX_LOG_STEP / abs(k1), 1e-13)
                stiff = feedback_steepness(e, p, i)
                if stiff * h > NEAR_STIFF:
                    h = NEAR_STIFF / stiff
                if mu * h > NEAR_DECAY_STEP and n0 > i0:
                    h = NEAR_DECAY_STEP / mu
                if mu_a * h > NEAR_DECAY_STEP and a0 > i0:
                    h = NEAR_DECAY_STEP / mu_a
                h = min(h, t_end - ts)
                f_n = math.exp(-0.5 * mu * h) if n0 > i0 else 1.0
                f_a = math.exp(-0.5 * mu_a * h) if a0 > i0 else 1.0
                n_half, n1 = max(n0 * f_n, i0), max(n0 * f_n * f_n, i0)
                a_half, a1 = max(a0 * f_a, i0), max(a0 * f_a * f_a, i0)
                u_new = _rk4_u(u, h, k1, n0, n_half, n1, a0, a_half, a1, p, i, buf)
                e_new = i0 * math.exp(u_new)
                err = 0.0
                if u_new >= u_spk:
                    # the crossing from the step's cubic Hermite interpolant (one more slope)
                    k_end = _rate(u_new, n1, a1, p, i, buf)
                    h_try = h * _hermite_crossing(u, k1, u_new, k_end, h, u_spk)
            else:
                if pulse_q > 0.0:
                    h = t_p  # the step that takes the pulse's charge covers the pulse
                    i_start = i_n
                else:
                    i_start = _decayed(i_n, mu, ts - t_n, i0)
                u_new, e_new, err, _ = _step(u, e, ts, h, pulse_q, t_p, i_start, mu, t_a, i_a, mu_a,
                                             a, b, e0, e1, lam, r, r_ith, p, i)
                if pulse_q == 0.0:
                    p_new = potential(u_new, e_new, a, b)
                    if p_new > c[i, C_PSWITCH] and u_new < u_spk:
                        # overshooting into the feedback's steep band: end the step near its edge
                        pot = potential(u, e, a, b)
                        shorter = h * max(0.1, (c[i, C_PSWITCH] - pot) / (p_new - pot))
                        if shorter < 0.9 * h:
                            h = shorter
                            continue
                    if err > NEAR_STEP_TOL:
                        # the error estimate grows like h (a fast start near the floor) or h^2
                        h *= max(0.1, 0.9 * NEAR_STEP_TOL / err)
                        continue
                if u_new >= u_spk:
                    # a crossing in this step: regula falsi on the step length (Illinois)
                    lo, u_lo, hi, u_hi, side = 0.0, u, h, u_new, 0
                    h_try = h
                    for _ in range(CROSSING_ITERATIONS):
                        h_try = lo + (hi - lo) * (u_spk - u_lo) / (u_hi - u_lo)
                        if pulse_q > 0.0 and h_try < t_p:
                            h_try = -1.0  # inside the pulse: the reference engine
                            break
                        u_try = _step(u, e, ts, h_try, pulse_q, t_p, i_start, mu, t_a, i_a, mu_a, a, b,
                                      e0, e1, lam, r, r_ith, p, i)[0]
                        if abs(u_try - u_spk) <= CROSSING_TOL:
                            break
                        if u_try >= u_spk:
                            hi, u_hi = h_try, u_try
                            if side == 1:
                                u_lo = u_spk + 0.5 * (u_lo - u_spk)
                            side = 1
                        else:
                            lo, u_lo = h_try, u_try
                            if side == -1:
                                u_hi = u_spk + 0.5 * (u_hi - u_spk)
                            side = -1
            if u_new >= u_spk:
                if h_try < 0.0:
                    failed = True
                    break
                t_c = ts + h_try
                mem[i, M_AHP] = _decayed(i_a, mu_a, t_c - t_a, i0)
                emit_spike(i, t_c, p, mem, drive, nact, counts, spk_neuron, spk_time, n_spk)
                i_a = dpi_pulse(mem[i, M_AHP], p[i, L.AHP_IW], p[i, L.AHP_TPULSE], p[i, L.AHP_TAU],
                                p[i, L.AHP_ITH], p[i, L.AHP_ITAU], i0)
                t_a = t_c + p[i, L.AHP_TPULSE]  # it decays from the pulse's end
                mem[i, M_AHP_END] = INACTIVE
                drive[i, 4] = 0.0
                nact[i, 4] = 0
                u = mem[i, M_U]
                e = i0 * math.exp(u)
                ts = t_c
                pulse_q = 0.0
                h = _first_step(u, i_n, mu, mem[i, M_REF] - t_n, t_end - ts, a, r_ith, i0)
                continue
            u, e = u_new, e_new
            ts += h
            pulse_q = 0.0
            h *= min(4.0, 0.9 * math.sqrt(NEAR_STEP_TOL / max(err, 1e-300)))
        if failed:
            break
        t = t_end
        k = k_next
    if failed:
        if ts == t:  # nothing done since the volley at t: the reference engine starts there
            t_n, i_n = t_n_before, i_n_before
        else:  # the volley's pulse is over: the reference engine goes on from ts
            t, k = ts, k_next
    mem[i, M_U] = u
    syn[i, L.NMDA] = _decayed(i_n, mu, t - t_n, i0)
    mem[i, M_AHP] = _decayed(i_a, mu_a, t - t_a, i0)
    return t, k
