"""Column layout of the per-neuron parameter matrix passed to the Numba kernels (not user facing).

Every neuron carries its own copy of every circuit parameter (device mismatch makes them
differ). Kernels read ``params[i, COLUMN]``; the Python layer fills the matrix in
:func:`neurodream.chip.emulator.neuron_parameters`. All values are SI.
"""

# membrane
R_MEM = 0  # kappa / (C_mem U_T), 1/(A s): du/dt = R_MEM * (capacitor current)
I0 = 1  # dark current floor of every current, A
I_TAU = 2  # membrane leak (tau1 or tau2 bias of this neuron), A
I_TH = 3  # membrane DPI gain, A
I_DC = 4  # constant input, A
I_NT = 5  # NMDA gate threshold, A
T_REF = 6  # refractory period, s
I_SPK = 7  # spike threshold, A
I_RESET = 8  # reset current, A
FB_GAIN = 9  # positive-feedback sigmoid: gain (A),
FB_THR = 10  # half-activation current (A),
FB_SLOPE = 11  # slope (A)
T_PULSE = 12  # synaptic pulse width, s
# adaptation (AHP) DPI
AHP_TAU = 13
AHP_ITH = 14
AHP_ITAU = 15
AHP_IW = 16
AHP_TPULSE = 17
# synapse DPIs: column SYN_x + synapse type (0 GABA_B, 1 GABA_A, 2 NMDA, 3 AMPA)
SYN_TAU = 18
SYN_ITH = 22
SYN_ITAU = 26
SYN_IW = 30
N_PARAMS = 34

# state vector of one neuron (kernels keep these in arrays of shape (n,) or (n, 4))
N_SYN = 4
GABA_B = 0
GABA_A = 1
NMDA = 2
AMPA = 3
