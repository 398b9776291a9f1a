"""Closed-form tier of the fast engine: NMDA-driven neurons far below threshold (not user facing).

Most of a window's work is neurons that never come near threshold. For a neuron whose only input
words are NMDA (its AMPA, GABA and AHP circuits rest on their floor I0), the membrane equation of
:mod:`._dpi` is integrated exactly in the potential::

    P(u) = I + a u - b / I,        I = I0 e^u,  a = I_nt + I_th,  b = I_nt I_th          (P1)

whose time derivative, with ``P'(u) = (I + I_nt)(I + I_th) / I``, is (feedback left out)::

    dP/dt = r I_th I_nmda(t) - lam P + E(u)                                               (P2)
    lam   = r (I_tau + I_ahp + I_gaba_a)                       (leak rate, 1/s)
    E(u)  = e0 + e1 / I + lam a u,  e0 = r I_th B - lam a,  e1 = r I_th B I_nt - 2 lam b,
    B     = I_ampa - I_gaba_b + I_dc                            (ungated input, A)

The NMDA input enters (P2) linearly and exactly: between input pulses ``I_nmda`` decays as
``e^(-t/tau)`` down to its floor, and a pulse of width ``t_p`` is solved exactly (:func:`nmda_pulse`).
With ``E`` taken as the mean of its values at the segment's ends (Heun: a predictor with ``E`` at the
start, then a corrector), (P2) has the closed form::

    P(h) = P0 e^(-lam h) + r I_th int_0^h I_nmda(s) e^(-lam (h - s)) ds + E (1 - e^(-lam h)) / lam

The one approximation beyond the equations is that trapezoid in ``E`` (``E`` is small beside
``lam P`` and varies as ``ln I``); the positive feedback is below ``FEEDBACK_TOL`` of the leak
wherever this tier runs, as in the rest of the fast engine.

When to hand over: a segment whose conservative bound on ``P`` (input charge and ``E`` without the
leak) reaches ``P(I_safe)``, a pulse that overlaps another or the window's end, a refractory period
ending inside a pulse, or any other synapse type or the AHP above its floor: the rest of the window
goes to the general fast path (:func:`._fast.fast_window`), which handles the approach to threshold.

A membrane at its floor (``u = 0``) whose NMDA current stays below ``I_lift`` (the current at which
``du/dt`` at the floor turns positive) stays there: only the synapse moves.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from . import _layout as L
from ._dpi import dpi_charge, dpi_pulse
from ._rk4 import INACTIVE, M_AHP, M_AHP_END, M_REF, M_U

# columns of the per-neuron constants of this tier (closed_form_constants)
C_SIMPLE = 0  # 1.0 when every input word of the neuron is NMDA
C_LAM = 1  # lam, 1/s (with the AHP and GABA_A on their floor)
C_E0 = 2  # e0, A/s
C_E1 = 3  # e1, A^2/s
C_A = 4  # a, A
C_B = 5  # b, A^2
C_PFLOOR = 6  # P at u = 0, A
C_PSAFE = 7  # P at I_safe, A (inf when the feedback never matters)
C_EBOUND = 8  # upper bound of max(E + lam max(-P, 0), 0) for 0 <= u <= u_safe, A/s
C_LIFT = 9  # NMDA current above which a membrane at its floor rises, A
C_PULSE_A = 10  # pulse exponent per CAM word: I_w t_p / (I_tau tau), 1
C_PULSE_A0 = 11  # pulse exponent offset: t_p / tau, 1
C_PULSE_CC = 12  # drive per CAM word over the DPI's leak: I_w / I_tau, 1
C_PSWITCH = 13  # P above which the near-threshold tier integrates u by RK4 (feedback SWITCH_FEEDBACK of the leak), A
N_CONST = 14

FEEDBACK_TOL = 1e-3
"""Positive feedback below this fraction of the leak current is left out of (P2)."""
SWITCH_FEEDBACK = 0.1
"""The near-threshold tier (:mod:`._near`) integrates ``P`` with the feedback included while it is
below this fraction of the leak, and ``u`` by RK4 above (where the feedback's sigmoid is steep)."""

HALLEY_TOL = 1e-4
"""Halley iterations stop after a step below this (in ``u`` or ``ln I``): the error left is of the
order of its cube."""
HALLEY_MAX = 60
HALLEY_MAX_STEP = 1.0
"""Largest step in ``u`` of one iteration of :func:`invert_potential` (a factor e in the current)."""

_JIT = dict(cache=True, nogil=True)


@nb.njit(_nrt=False, **_JIT)
def safe_current(p, i, fraction=FEEDBACK_TOL):
    """Membrane current below which the positive feedback is under ``fraction`` of the leak (A)."""
    target = fraction * p[i, L.I_TAU]
    gain = p[i, L.FB_GAIN]
    if target >= gain:
        return math.inf
    # gain / (1 + exp(-(I - thr)/slope)) = target  ->  I = thr - slope ln(gain/target - 1)
    return p[i, L.FB_THR] - p[i, L.FB_SLOPE] * math.log(gain / target - 1.0)


def closed_form_constants(p: np.ndarray, conn_type: np.ndarray, conn_post: np.ndarray) -> np.ndarray:
    """The per-neuron constants of this tier (columns ``C_*``) from the parameter matrix ``p`` and
    the type and target neuron of every connection."""
    n = p.shape[0]
    safe = np.array([safe_current(p, i) for i in range(n)])
    switch = np.maximum(np.array([safe_current(p, i, SWITCH_FEEDBACK) for i in range(n)]), safe)
    c = np.zeros((n, N_CONST))
    simple = np.ones(n, dtype=bool)
    other = conn_type != L.NMDA
    simple[conn_post[other]] = False
    i0 = p[:, L.I0]
    r = p[:, L.R_MEM]
    i_th = p[:, L.I_TH]
    i_nt = p[:, L.I_NT]
    a = i_nt + i_th
    b = i_nt * i_th
    leak = p[:, L.I_TAU] + 2.0 * i0  # the AHP and GABA_A on their floor
    lam = r * leak
    B = p[:, L.I_DC]  # AMPA and GABA_B on their floor cancel
    e0 = r * i_th * B - lam * a
    e1 = r * i_th * B * i_nt - 2.0 * lam * b
    p_floor = i0 - b / i0
    with np.errstate(divide="ignore", invalid="ignore"):
        i_safe = np.maximum(safe, i0)
        u_safe = np.log(i_safe / i0)
        p_safe = np.where(np.isfinite(i_safe), i_safe + a * u_safe - b / i_safe, np.inf)
    e_bound = e0 + np.maximum(e1, 0.0) / i0 + lam * a * np.where(np.isfinite(u_safe), u_safe, 0.0)
    e_bound = np.maximum(e_bound + lam * np.maximum(-p_floor, 0.0), 0.0)
    # du/dt at u = 0 is r [(I_n I0 / (I0 + I_nt) + B) I_th / (I0 + I_th) - leak]: zero at I_lift
    lift = (leak * (i0 + i_th) / i_th - B) * (i0 + i_nt) / i0
    tau = p[:, L.SYN_TAU + L.NMDA]
    t_p = p[:, L.T_PULSE]
    c[:, C_SIMPLE] = simple
    c[:, C_LAM] = lam
    c[:, C_E0] = e0
    c[:, C_E1] = e1
    c[:, C_A] = a
    c[:, C_B] = b
    c[:, C_PFLOOR] = p_floor
    c[:, C_PSAFE] = p_safe
    c[:, C_EBOUND] = np.where(np.isfinite(u_safe), e_bound, np.inf)
    c[:, C_LIFT] = lift
    c[:, C_PULSE_A] = p[:, L.SYN_IW + L.NMDA] * t_p / (p[:, L.SYN_ITAU + L.NMDA] * tau)
    c[:, C_PULSE_A0] = t_p / tau
    c[:, C_PULSE_CC] = p[:, L.SYN_IW + L.NMDA] / p[:, L.SYN_ITAU + L.NMDA]
    with np.errstate(divide="ignore", invalid="ignore"):
        i_sw = np.maximum(switch, i0)
        c[:, C_PSWITCH] = np.where(np.isfinite(i_sw), i_sw + a * np.log(i_sw / i0) - b / i_sw, np.inf)
    return c


@nb.njit(inline="always", **_JIT)
def potential(u, e, a, b):
    """(P1) at ``u`` with ``e = I = I0 e^u`` (A)."""
    return e + a * u - b / e


@nb.njit(_nrt=False, **_JIT)
def invert_potential(target, u_guess, i0, a, b):
    """``(u, I)`` with ``u >= 0`` and ``P(u) = target`` (P1), ``I = I0 e^u``, by Halley's method from
    ``u_guess`` (A in; 1, A out).

    ``P`` is increasing in ``u``; a target at or below ``P(0)`` gives the floor ``u = 0``. The
    iteration stops after a step below ``HALLEY_TOL`` (``I`` then from the last exponential, to
    second order in that step)."""
    if target <= i0 - b / i0:
        return 0.0, i0
    u = u_guess if u_guess > 0.0 else 0.0
    for _ in range(HALLEY_MAX):
        e = i0 * math.exp(u)
        q = b / e
        f = e + a * u - q - target
        d1 = e + a + q
        d2 = e - q
        # Halley: step = (f / d1) / (1 - f d2 / (2 d1^2)), in one division (Newton where that fails)
        den = d1 * d1 - 0.5 * f * d2
        step = f * d1 / den if den > 0.5 * d1 * d1 else f / d1
        if abs(step) > HALLEY_MAX_STEP:  # far from the root (a poor guess): a bounded step
            step = math.copysign(HALLEY_MAX_STEP, step)
        u_new = u - step
        if u_new < 0.0:
            u_new = 0.5 * u
            step = u - u_new
        u = u_new
        if abs(step) <= HALLEY_TOL:
            return u, e * (1.0 - step + 0.5 * step * step)
    return u, i0 * math.exp(u)


SATURATION_Z = 0.1
SATURATION_A = 50.0
"""Pulses that would bring the current within ``1 - SATURATION_Z`` of its steady state ``g`` (judged
from the small-current solution ``I1 e^A``), or of exponent ``A`` above ``SATURATION_A``, go to the
bracketed general solver (:func:`._dpi.dpi_pulse`); the Halley iteration below is for the rest."""
SERIES_Z = 1e-3
"""Pulses that raise the NMDA current by less than this fraction of ``g`` use the series of
``ln(1 - z)`` to the fourth order (error below ``cc z^5 / 5``, about 1e-12 in ``ln I``)."""


@nb.njit(_nrt=False, **_JIT)
def nmda_pulse(i1, words, p, c, i):
    """Exact NMDA DPI output after one pulse of ``words`` CAM words (its width ``t_p``) from ``i1``;
    returns ``(I_end, charge)`` in (A, A s), or ``(-1, 0)`` for a pulse that cannot raise the current
    (left to the general path).

    Separating the DPI equation (``_dpi.dpi_pulse``) gives, with ``cc = drive / I_tau``,
    ``g = I_th (cc - 1)`` (the steady state) and ``A = (cc - 1) t_p / tau``::

        w + cc L(z) = A,   w = ln(I / I1),  z = (I - I1) / (g - I1),  L(z) = -ln(1 - z)

    solved for ``w`` by Halley's method from ``w = A`` (the solution when ``I << I_th``), or, near the
    steady state, by the general solver (``SATURATION_Z``). The charge
    is ``tau [(I_th + g) L(z) - (I - I1)] = tau [(I - I1)(I_th + I1)/(g - I1) + (I_th + g)(L(z) - z)]``
    (``_dpi.dpi_charge`` without its cancellation).
    """
    tau = p[i, L.SYN_TAU + L.NMDA]
    i_th = p[i, L.SYN_ITH + L.NMDA]
    cc = words * c[i, C_PULSE_CC]
    g = i_th * (cc - 1.0)
    if g <= i1:
        return -1.0, 0.0
    big_a = words * c[i, C_PULSE_A] - c[i, C_PULSE_A0]
    inv_gi = 1.0 / (g - i1)
    w = big_a
    if w > SATURATION_A or i1 * math.expm1(w) * inv_gi > SATURATION_Z:
        # near the steady state (long or strong pulses): the bracketed general solver
        i_end = dpi_pulse(i1, words * p[i, L.SYN_IW + L.NMDA], p[i, L.T_PULSE], tau, i_th,
                          p[i, L.SYN_ITAU + L.NMDA], p[i, L.I0])
        return i_end, dpi_charge(i1, i_end, words * p[i, L.SYN_IW + L.NMDA], p[i, L.T_PULSE], tau, i_th,
                                 p[i, L.SYN_ITAU + L.NMDA], p[i, L.I0])
    v = math.exp(w)  # I / I1
    for _ in range(HALLEY_MAX):
        z = i1 * (v - 1.0) * inv_gi
        lz = z * (1.0 + z * (0.5 + z * (1.0 / 3.0 + 0.25 * z))) if z < SERIES_Z else -math.log1p(-z)
        e = i1 * v
        inv = 1.0 / (g - e)
        wd = cc * e * inv
        d1 = 1.0 + wd
        d2 = wd * g * inv
        f = w + cc * lz - big_a
        step = f * d1 / (d1 * d1 - 0.5 * f * d2)  # Halley
        w -= step
        if abs(step) <= HALLEY_TOL:
            v *= 1.0 - step + 0.5 * step * step
            break
        v = math.exp(w)
    i_end = i1 * v
    z = (i_end - i1) * inv_gi
    lz_minus_z = z * z * (0.5 + z * (1.0 / 3.0 + 0.25 * z)) if z < SERIES_Z else -math.log1p(-z) - z
    return i_end, tau * ((i_end - i1) * (i_th + i1) * inv_gi + (i_th + g) * lz_minus_z)


@nb.njit(inline="always", **_JIT)
def _phi(x, y, h, ey):
    # int_0^h e^(-x s) e^(-y (h - s)) ds = (e^(-x h) - e^(-y h)) / (y - x); ey = e^(-y h)
    d = (y - x) * h
    if abs(d) < 1e-8:
        return h * ey
    return h * ey * math.expm1(d) / d


@nb.njit(_nrt=False, **_JIT)
def _decay(i_start, mu, lam, h, i0):
    """NMDA decay from ``i_start`` over ``h`` (floor I0): end current, charge and the charge
    convolved with the leak ``int_0^h I(s) e^(-lam (h - s)) ds``; also ``e^(-lam h)``."""
    el = math.exp(-lam * h)
    if i_start <= i0:
        return i0, i0 * h, i0 * (1.0 - el) / lam, el
    f = math.exp(-mu * h)
    if i_start * f >= i0:
        return i_start * f, i_start * (1.0 - f) / mu, i_start * _phi(mu, lam, h, el), el
    t_hit = math.log(i_start / i0) / mu
    rest = h - t_hit
    el_rest = math.exp(-lam * rest)
    conv = i_start * _phi(mu, lam, t_hit, math.exp(-lam * t_hit)) * el_rest + i0 * (1.0 - el_rest) / lam
    return i0, (i_start - i0) / mu + i0 * rest, conv, el


CACHE_SLOTS = 8
"""Segment lengths remembered per neuron by :func:`decay_factors` (a window repeats the same few)."""
CACHE_TICK_S = 1e-12
"""Segment lengths are rounded to this (s) before their factors are computed, so that a factor
does not depend on whether it was computed or remembered (resumed runs give the same numbers)."""


MAX_WORDS = 64
"""A neuron's CAM words (the most one volley can drive)."""


def new_caches(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Empty memo arrays of this tier for ``n`` neurons: segment factors (:func:`decay_factors`,
    ``(n, CACHE_SLOTS, 4)``) and pulses from the floor (:func:`pulse_from`, ``(n, MAX_WORDS + 1, 2)``),
    NaN where nothing is remembered. They only save work: results do not depend on their content."""
    return np.full((n, CACHE_SLOTS, 4), np.nan), np.full((n, MAX_WORDS + 1, 2), np.nan)


@nb.njit(_nrt=False, **_JIT)
def pulse_from(i1, words, p, c, i, pulses):
    """:func:`nmda_pulse`, remembered per neuron and word count for pulses from the floor ``I0``."""
    if i1 != p[i, L.I0] or words > MAX_WORDS:
        return nmda_pulse(i1, words, p, c, i)
    w = int(words)
    if pulses[i, w, 0] != pulses[i, w, 0]:  # NaN: not yet computed
        i_end, q = nmda_pulse(i1, words, p, c, i)
        pulses[i, w, 0] = i_end
        pulses[i, w, 1] = q
    return pulses[i, w, 0], pulses[i, w, 1]


@nb.njit(_nrt=False, **_JIT)
def decay_factors(i, h, mu, lam, cache):
    """``(e^(-lam h), e^(-mu h), phi(mu, lam, h))`` for neuron ``i`` (``phi`` as in :func:`_phi`), with
    ``h`` rounded to ``CACHE_TICK_S``; remembered per neuron (round-robin over ``CACHE_SLOTS``)."""
    key = math.floor(h / CACHE_TICK_S + 0.5)
    for j in range(CACHE_SLOTS):
        if cache[i, j, 0] == key:
            return cache[i, j, 1], cache[i, j, 2], cache[i, j, 3]
    hq = key * CACHE_TICK_S
    el = math.exp(-lam * hq)
    f = math.exp(-mu * hq)
    ph = _phi(mu, lam, hq, el)
    j = int(key) % CACHE_SLOTS
    cache[i, j, 0] = key
    cache[i, j, 1] = el
    cache[i, j, 2] = f
    cache[i, j, 3] = ph
    return el, f, ph


@nb.njit(inline="always", **_JIT)
def _decay_cached(i_start, mu, lam, h, i0, i, cache):
    # _decay's end current, convolved charge and e^(-lam h), from remembered factors when the
    # current stays above its floor (the common case)
    el, f, ph = decay_factors(i, h, mu, lam, cache)
    if i_start <= i0:
        return i0, i0 * (1.0 - el) / lam, el
    if i_start * f >= i0:
        return i_start * f, i_start * ph, el
    i_end, _, conv, el = _decay(i_start, mu, lam, h, i0)
    return i_end, conv, el


PFLOW_TOL = 1e-3
"""A step whose corrector moves ``u`` by more than this is halved."""
@nb.njit(inline="always", **_JIT)
def volley(k, ev_hi, t, ev_time, ev_conn, conn_mult):
    """The events from ``k`` at time ``t`` (they make one pulse of their summed CAM words):
    ``(first event after them, words)``. A connection that appears more than once at ``t`` (a
    repeated program's wrap: its last event and the replayed first one at the same time) counts
    once: its pulse extender is retriggered at the instant it starts, which changes nothing, as in
    the reference engine's ``start_pulse``."""
    k_next = k
    words = 0.0
    while k_next < ev_hi and ev_time[k_next] <= t:
        cj = ev_conn[k_next]
        seen = False
        for j in range(k, k_next):
            if ev_conn[j] == cj:
                seen = True
                break
        if not seen:
            words += conn_mult[cj]
        k_next += 1
    return k_next, words


RISE_SPLITS = (0.5, 1.5)
"""A segment that starts with a pulse is integrated in steps split this many synaptic time constants
after the pulse (the membrane's rise, then its slow decay), so that the trapezoid in ``E`` follows
both."""


@nb.njit(_nrt=False, **_JIT)
def _heun_step(u, e, conv, el, lam, r_ith, e0, e1, a, b, i0, p_floor):
    """``(u, I, |change of u by the corrector|)`` after one segment of (P2) from ``u``
    (``e = I = I0 e^u``): ``conv`` is the input charge convolved with the leak, ``el = e^(-lam h)``;
    ``E`` by the trapezoid rule (predictor with ``E`` at the start, corrector with the mean of both
    ends). The corrector's change estimates the predictor's error (an upper bound of the step's)."""
    g = (1.0 - el) / lam
    pot = potential(u, e, a, b)
    e_start = e0 + e1 / e + lam * a * u
    p_pred = pot * el + r_ith * conv + e_start * g
    if p_pred <= p_floor:
        return 0.0, i0, 0.0
    guess = math.log(p_pred / i0) if p_pred > 4.0 * max(pot, i0) else u
    u_pred, e_pred = invert_potential(p_pred, guess, i0, a, b)
    e_end = e0 + e1 / e_pred + lam * a * u_pred
    u_new, e_new = correct_potential(u_pred, e_pred, 0.5 * (e_end - e_start) * g, a, b, i0, p_floor)
    return u_new, e_new, abs(u_new - u_pred)


@nb.njit(inline="always", **_JIT)
def correct_potential(u, e, dp, a, b, i0, p_floor):
    """``(u, I)`` after ``P`` (P1) moves by ``dp`` from ``u`` (``e = I0 e^u``), for a ``dp`` small
    beside ``P'(u) = e + a + b/e``: one Halley step in ``u`` (error of order ``(dp / P')^3``)."""
    q = b / e
    d1 = e + a + q
    s = dp / d1
    du = s / (1.0 - 0.5 * s * (e - q) / d1)
    if u + du <= 0.0 or potential(u, e, a, b) + dp <= p_floor:
        return 0.0, i0
    return u + du, e * (1.0 + du * (1.0 + du * (0.5 + du / 6.0)))


@nb.njit(_nrt=False, **_JIT)
def pflow_window(i, t0, t1, p, c, mem, syn, drive, nact, conn_end, conn_mult, in_ptr, in_conn,
                 ev_time, ev_conn, ev_lo, ev_hi, cache, pulses):
    """Advance neuron ``i`` from ``t0`` towards ``t1`` in closed form (module docstring).

    Returns ``(t, k)``: the time reached (``t1`` when done) and the first of the neuron's events
    not yet processed; the state is that at ``t`` (segments are committed whole), so the general
    path can go on from there.
    """
    if c[i, C_SIMPLE] == 0.0:
        return t0, ev_lo
    i0 = p[i, L.I0]
    # pulses that ended before the window are closed; a pulse still running is left to the general path
    if nact[i, L.NMDA] > 0:
        for j in range(in_ptr[i], in_ptr[i + 1]):
            cj = in_conn[j]
            e = conn_end[cj]
            if e != INACTIVE:
                if e > t0:
                    return t0, ev_lo
                conn_end[cj] = INACTIVE
        nact[i, L.NMDA] = 0
        drive[i, L.NMDA] = 0.0
    if mem[i, M_AHP_END] != INACTIVE:
        if mem[i, M_AHP_END] > t0:
            return t0, ev_lo
        mem[i, M_AHP_END] = INACTIVE
        drive[i, 4] = 0.0
        nact[i, 4] = 0
    if mem[i, M_AHP] > i0 or syn[i, L.GABA_B] > i0 or syn[i, L.GABA_A] > i0 or syn[i, L.AMPA] > i0:
        return t0, ev_lo
    r_ith = p[i, L.R_MEM] * p[i, L.I_TH]
    mu = 1.0 / p[i, L.SYN_TAU + L.NMDA]
    t_p = p[i, L.T_PULSE]
    lam = c[i, C_LAM]
    a = c[i, C_A]
    b = c[i, C_B]
    e0 = c[i, C_E0]
    e1 = c[i, C_E1]
    u = mem[i, M_U]
    i_n = syn[i, L.NMDA]
    t = t0
    k = ev_lo
    while t < t1:
        k_next, words = volley(k, ev_hi, t, ev_time, ev_conn, conn_mult)
        t_end = ev_time[k_next] if k_next < ev_hi else t1
        refractory_end = mem[i, M_REF]
        if refractory_end > t and refractory_end < t_end:
            t_end = refractory_end  # the membrane is released there
        h = t_end - t
        if words > 0.0:
            if t + t_p > t_end:
                break  # the pulse overlaps the next event, the window's end or the release
            i_peak, q_pulse = pulse_from(i_n, words, p, c, i, pulses)
            if i_peak < 0.0:
                break
        else:
            i_peak, q_pulse = i_n, 0.0
        if refractory_end > t or (u == 0.0 and i_peak <= c[i, C_LIFT]):
            # membrane held (refractory), or at its floor with an input too weak to lift it
            dt = h - t_p if words > 0.0 else h
            i_end = max(i_peak * math.exp(-mu * dt), i0) if i_peak > i0 else i0
        else:
            e_u = i0 * math.exp(u)
            pot = potential(u, e_u, a, b)
            # conservative bound: all the input charge, E at its largest, no leak
            charge = q_pulse + (i_peak - i0) / mu + i0 * h if i_peak > i0 else q_pulse + i0 * h
            if pot + r_ith * charge + c[i, C_EBOUND] * h >= c[i, C_PSAFE]:
                break  # may come near threshold: the general path
            # after a pulse the membrane rises within about one tau of the synapse, then decays
            # slowly: steps split at RISE_SPLITS tau after the pulse, so that E's trapezoid
            # follows the rise and the decay
            t_a = t_p if words > 0.0 else 0.0
            t_s = 0.0  # time from t reached by the membrane
            i_s = i_peak
            j = 0
            while t_s < h:
                goal = t_a + RISE_SPLITS[j] / mu if words > 0.0 and j < len(RISE_SPLITS) else h
                if goal > h:
                    goal = h
                hs = goal - t_s
                while True:
                    if t_s == 0.0 and words > 0.0:  # the pulse, then the decay from its end
                        i_e, conv, el = _decay_cached(i_peak, mu, lam, hs - t_a, i0, i, cache)
                        el_p, _, _ = decay_factors(i, t_a, mu, lam, cache)
                        el_q, _, _ = decay_factors(i, hs - 0.5 * t_a, mu, lam, cache)
                        el *= el_p
                        conv += q_pulse * el_q
                    else:
                        i_e, conv, el = _decay_cached(i_s, mu, lam, hs, i0, i, cache)
                    u_new, e_new, err = _heun_step(u, e_u, conv, el, lam, r_ith, e0, e1, a, b, i0,
                                                   c[i, C_PFLOOR])
                    shortest = 2.0 * t_a if t_s == 0.0 else 0.0
                    if err <= PFLOW_TOL or hs <= shortest or lam * hs < 1e-6:
                        break
                    hs = max(0.5 * hs, shortest)  # the trapezoid in E was too coarse: halve
                u, e_u, i_s = u_new, e_new, i_e
                t_s = t_s + hs if goal - (t_s + hs) > 1e-15 * max(1.0, h) else goal
                if t_s >= goal and j < len(RISE_SPLITS):
                    j += 1
            i_end = i_s
        i_n = i_end
        t = t_end
        k = k_next
    mem[i, M_U] = u
    syn[i, L.NMDA] = i_n
    return t, k
