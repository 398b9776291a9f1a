"""neurodream.plotting.swarm_offsets: tied dots stand side by side, lone dots stay on the centre line."""

import numpy as np

from neurodream.plotting import swarm_offsets


def test_tied_values_get_distinct_offsets_and_lone_values_stay_centred():
    values = [-2.0, 0.5, -2.0, -2.0, 0.1]
    off = swarm_offsets(values, step=0.05, close=0.04, widest=0.3)
    ties = off[[0, 2, 3]]
    assert len(set(np.round(ties, 9))) == 3  # no two tied dots on top of each other
    assert np.all(np.abs(np.diff(np.sort(ties))) >= 0.05 * 0.99)
    assert off[1] == 0.0 and off[4] == 0.0


def test_offsets_stay_within_the_widest_spread_and_follow_the_input_order():
    values = np.full(12, -2.0)
    off = swarm_offsets(values, step=0.06, widest=0.1)
    assert np.abs(off).max() <= 0.1 + 1e-12
    assert len(set(np.round(off, 9))) == 12
    assert swarm_offsets([]).size == 0
