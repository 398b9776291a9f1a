"""Event counting of the emulated chip and the energy bookkeeping built on it."""

import pytest

from neurodream import energy
from neurodream.chip import Emulator, EventCounts, Network, Stimulus


def test_events_are_counted_as_the_hardware_sees_them():
    net = Network(generator_chip=0, generator_core_mask=0b0011)  # generator events reach 2 cores
    a = net.add_neurons(0, 0, [1, 2])
    b = net.add_neurons(0, 1, [3])
    net.connect_generator(5, int(a[0]), "NMDA", weight=3)
    net.connect_generator(5, int(b[0]), "NMDA", weight=2)
    net.connect_generator(6, int(a[1]), "AMPA", weight=1)
    chip = Emulator(net, seed=0)
    res = chip.run(0.01, Stimulus.from_spike_times([5, 5, 6], [0.0, 2e-3, 4e-3]))
    ev = chip.events
    assert (ev.input_events, ev.core_broadcasts, ev.cam_matches) == (3, 6, 2 * (3 + 2) + 1)
    assert ev.spikes == res.counts.sum() and ev.time_s == pytest.approx(0.01)


def test_chip_energy_is_the_priced_sum_of_events():
    ev = EventCounts(input_events=10, core_broadcasts=40, cam_matches=100, spikes=5, time_s=0.01)
    e = energy.ChipEnergies(spike_J=1.0, broadcast_J=2.0, pulse_J=3.0, route_J=4.0, static_W=100.0)
    parts = energy.chip_energy_J(ev, e)
    assert parts["total"] == pytest.approx(5 + 80 + 300 + 60 + 1.0)
    with pytest.raises(ValueError, match="pulse_J = -1"):
        energy.ChipEnergies(pulse_J=-1)
    assert energy.readout_macs_per_step(False) == 510 * 7
    assert energy.dense_hidden_macs_per_step() == 40 * 510
