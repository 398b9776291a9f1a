"""The circuit equations of the emulated chip and their exact solutions (Numba; not user facing).

Each equation is written once here, with its reference; the kernels call these functions.

DPI synapse (Bartolozzi & Indiveri 2007; docs/chip_model.md), output current ``I``, input
(weight) current ``I_in`` during a pulse::

    tau (1 + I_th / I) dI/dt + I + I_th = (I_th / I_tau) I_in,        tau = C U_T / (kappa I_tau)

Membrane (Chicca et al. 2014, eq. N1), rewritten exactly in the capacitor voltage
``V = (U_T / kappa) ln(I_mem / I0)``; with ``u = kappa V / U_T`` and ``r = kappa / (C_mem U_T)``::

    du/dt = r [ I_in I_th / (I_mem + I_th) - I_tau - I_ahp - I_gaba_a + I_a(I_mem) ]
    I_in  = max(0, I_nmda I_mem / (I_mem + I_nmda_gate) + I_ampa - I_gaba_b + I_dc)
    I_a   = gain / (1 + exp(-(I_mem - thr) / slope))      (positive feedback, teili fit)

Every current is floored at the dark current I0.
"""

from __future__ import annotations

import math

import numba as nb

from . import _layout as L

_JIT = dict(cache=True, nogil=True)


@nb.njit(**_JIT)
def dpi_log_rate(i_syn, drive, tau, i_th, i_tau):
    """d ln(I)/dt of a DPI (S2) with output ``i_syn`` and input current ``drive`` (1/s)."""
    return ((i_th / i_tau) * drive - i_th - i_syn) / (tau * (i_syn + i_th))


@nb.njit(inline="always", **_JIT)
def dpi_decay_by(i_syn, factor, i0):
    """DPI output after a decay without input by ``factor = exp(-dt/tau)`` (see :func:`dpi_decay`)."""
    return max(i_syn * factor, i0)


@nb.njit(**_JIT)
def dpi_decay(i_syn, dt, tau, i0):
    """DPI output after ``dt`` without input: exactly ``I exp(-dt/tau)`` in every regime, floored at I0."""
    return dpi_decay_by(i_syn, math.exp(-dt / tau), i0)


@nb.njit(**_JIT)
def _pulse_residual(y, y1, i1, g, c, a):
    # G(y) = (y - y1) - c ln((g - e^y)/(g - I1)) - A  and its derivative; see dpi_pulse
    e = math.exp(y)
    res = (y - y1) - c * math.log1p((i1 - e) / (g - i1)) - a
    der = 1.0 + c * e / (g - e)
    return res, der


@nb.njit(**_JIT)
def dpi_pulse(i_syn, drive, dt, tau, i_th, i_tau, i0):
    """Exact DPI output after ``dt`` of constant input ``drive`` (A), from output ``i_syn`` (A).

    With ``g = I_th (drive / I_tau - 1)`` (the steady state), separating (S2) gives::

        ln(I/I1) - (1 + g/I_th) ln((g - I)/(g - I1)) = g dt / (I_th tau)

    solved for ``y = ln I`` by safeguarded Newton iteration inside analytic bounds: the solution
    never exceeds the exponential-regime growth ``I1 exp(g dt / (I_th tau))`` nor the linear-regime
    approach ``g - (g - I1) exp(-dt/tau)``, and never decays faster than ``I1 exp(-dt/tau)``.
    """
    if dt <= 0.0:
        return i_syn
    g = i_th * (drive / i_tau - 1.0)
    if abs(g + i_th) <= 1e-15 * i_th:  # no input: pure exponential decay
        return dpi_decay(i_syn, dt, tau, i0)
    if g == i_syn:
        return i_syn
    if g == 0.0:  # measure-zero singular case of the formula: nudge the steady state
        g = 1e-300
    y1 = math.log(i_syn)
    a = g * dt / (i_th * tau)
    c = 1.0 + g / i_th
    decay = math.exp(-dt / tau)
    if i_syn < g:  # rising towards g
        lo = y1
        hi = min(y1 + a, math.log(g - (g - i_syn) * decay))
        if hi <= lo:
            return max(i_syn, i0)
    else:  # falling towards g (or towards 0 when g <= 0)
        hi = y1
        lo = y1 - dt / tau
        if g > 0.0:
            lo = max(lo, math.log(g + (i_syn - g) * decay))
        if hi <= lo:
            return max(i_syn, i0)
    # sign of the residual at the bounds tells which side is which (G may be concave or convex)
    r_lo, _ = _pulse_residual(lo, y1, i_syn, g, c, a)
    if r_lo == 0.0:
        return max(math.exp(lo), i0)
    lo_negative = r_lo < 0.0
    y = hi if i_syn < g else lo
    for _ in range(100):
        res, der = _pulse_residual(y, y1, i_syn, g, c, a)
        if res == 0.0:
            break
        if (res < 0.0) == lo_negative:
            lo = y
        else:
            hi = y
        step = res / der if der != 0.0 else 0.0
        if der != 0.0 and abs(step) <= 1e-14 * max(1.0, abs(y)):  # converged; tested before the
            y = y - step  # bracket, which a step below float resolution would fail (bisection)
            break
        y_new = y - step
        if not (min(lo, hi) < y_new < max(lo, hi)) or der == 0.0:
            y_new = 0.5 * (lo + hi)
        if abs(y_new - y) <= 1e-14 * max(1.0, abs(y)):
            y = y_new
            break
        y = y_new
    return max(math.exp(y), i0)


@nb.njit(**_JIT)
def dpi_charge(i_start, i_end, drive, dt, tau, i_th, i_tau, i0):
    """Charge (A s) a DPI delivers over ``dt`` of constant input, from its end points.

    Integrating (S2) over the interval: ``int I dt = g dt - tau (dI + I_th d ln I)`` with
    ``g = I_th (drive/I_tau - 1)``. Without input this is ``tau (I_start - I_end)``; an output that
    reaches the floor I0 delivers I0 for the rest of the interval.
    """
    if dt <= 0.0:
        return 0.0
    if drive <= 0.0:
        if i_end > i0 or i_start <= i0:
            if i_start <= i0:
                return i0 * dt
            return tau * (i_start - i_end)
        t_hit = tau * math.log(i_start / i0)
        return tau * (i_start - i0) + i0 * (dt - t_hit)
    g = i_th * (drive / i_tau - 1.0)
    return g * dt - tau * ((i_end - i_start) + i_th * math.log(i_end / i_start))


@nb.njit(_nrt=False, **_JIT)
def feedback_current(i_mem, p, i):
    """Positive-feedback current I_a of the membrane (teili sigmoid fit), A."""
    x = -(i_mem - p[i, L.FB_THR]) / p[i, L.FB_SLOPE]
    if x > 700.0:
        return 0.0
    return p[i, L.FB_GAIN] / (1.0 + math.exp(x))


@nb.njit(_nrt=False, **_JIT)
def feedback_steepness(i_mem, p, i):
    """``r I_mem dI_a/dI_mem`` (1/s): how fast the feedback's share of ``du/dt`` grows with ``u``
    (the sigmoid's derivative ``I_a (1 - I_a / gain) / slope``); integrators keep their steps below
    its inverse."""
    i_a = feedback_current(i_mem, p, i)
    return p[i, L.R_MEM] * i_mem * i_a * (1.0 - i_a / p[i, L.FB_GAIN]) / p[i, L.FB_SLOPE]


@nb.njit(_nrt=False, **_JIT)
def membrane_rate(u, i_syn, i_ahp, p, i):
    """du/dt (1/s) of neuron ``i`` (module docstring): ``u = ln(I_mem / I0)``, ``i_syn`` by type."""
    i0 = p[i, L.I0]
    i_mem = i0 * math.exp(u)
    i_in = (
        i_syn[L.NMDA] * i_mem / (i_mem + p[i, L.I_NT])
        + i_syn[L.AMPA]
        - i_syn[L.GABA_B]
        + p[i, L.I_DC]
    )
    if i_in < 0.0:
        i_in = 0.0
    i_th = p[i, L.I_TH]
    return p[i, L.R_MEM] * (
        i_in * i_th / (i_mem + i_th)
        - p[i, L.I_TAU]
        - i_ahp
        - i_syn[L.GABA_A]
        + feedback_current(i_mem, p, i)
    )
