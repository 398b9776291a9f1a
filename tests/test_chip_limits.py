import numpy as np
import pytest

from neurodream.chip import Emulator, Network, Stimulus
from neurodream.chip.limits import global_neuron_id


def _net():
    net = Network(generator_chip=0)
    return net, net.add_neurons(0, 1, [1, 2])


def test_65_cam_words_are_refused_naming_the_neuron():
    net, post = _net()
    for g in range(16):
        net.connect_generator(g, int(post[0]), "NMDA", weight=4)
    net.validate()  # exactly 64 is fine
    net.connect_generator(20, int(post[0]), "AMPA", weight=1)
    with pytest.raises(ValueError, match=r"\(chip 0, core 1, neuron 1\) has 65 CAM entries; the limit is 64"):
        net.validate()
    with pytest.raises(ValueError):
        Emulator(net)


@pytest.mark.parametrize("args, fragment", [((4, 0, [1]), "chip 4"), ((0, 4, [1]), "core 4"),
                                            ((0, 0, [256]), "neuron 256")])
def test_addresses_outside_the_board(args, fragment):
    with pytest.raises(ValueError, match=fragment + " does not exist"):
        Network().add_neurons(*args)


def test_generators_and_weights_are_checked():
    net, post = _net()
    with pytest.raises(ValueError, match="spike generator id 1024 does not exist"):
        net.connect_generator(1024, int(post[0]), "NMDA")
    with pytest.raises(ValueError, match="weight 65"):
        net.connect_generator(3, int(post[0]), "NMDA", weight=65)
    with pytest.raises(ValueError, match="unknown synapse type 'GLU'"):
        net.connect_generator(3, int(post[0]), "GLU")
    with pytest.raises(ValueError, match="neuron index 7 is not in the network"):
        net.connect_generator(3, 7, "NMDA")


def test_generators_reach_one_chip_and_the_masked_cores():
    net = Network(generator_chip=0, generator_core_mask=0b0001)
    post = net.add_neurons(0, 2, [5])
    net.connect_generator(1, int(post[0]), "AMPA")
    with pytest.raises(ValueError, match="reach chip 0 cores \\[0\\] only"):
        net.validate()


def test_same_tag_twice_must_be_one_weight():
    net, post = _net()
    net.connect_generator(3, int(post[0]), "NMDA", weight=1)
    net.connect_generator(3, int(post[0]), "NMDA", weight=2)
    with pytest.raises(ValueError, match="twice"):
        net.validate()


def test_neuron_zero_of_core_zero_warns():
    with pytest.warns(UserWarning, match="empty CAM words"):
        Network().add_neurons(0, 0, [0])


def test_fpga_stimulus_limits():
    with pytest.raises(ValueError, match="16-bit"):
        Stimulus.from_spike_times([1, 2], [0.0, 0.7], isi_base=900)  # 70 000 units of 10 us
    Stimulus.from_spike_times([1, 2], [0.0, 0.65], isi_base=900)
    with pytest.raises(ValueError, match="at most 32766"):
        Stimulus.from_spike_times(np.zeros(32767, dtype=int), np.zeros(32767))
    with pytest.raises(ValueError, match="negative"):
        Stimulus.from_spike_times([1], [-1e-3])
    with pytest.raises(ValueError, match="isi_base 0"):
        Stimulus.from_spike_times([1], [0.0], isi_base=0)


def test_isi_quantisation_and_repeat():
    s = Stimulus.from_spike_times([0, 0, 0, 0], np.linspace(0, 1, 4) / 33, repeat=True)
    assert s.times_s[1] == pytest.approx(0.0101)  # 10.10 ms truncated to 10 us units
    times, ids = s.events(0.07)
    assert times[:5] == pytest.approx([0, 0.0101, 0.0202, 0.0303, 0.0303])  # the period is t_last
    assert len(times) == 9  # 4 + 4 + the first event of the third cycle at 60.6 ms
    again = s.events(0.07)  # computed once per duration, shared read-only
    assert again[0] is times and not times.flags.writeable
    with pytest.raises(ValueError):
        times[0] = 1.0
    assert len(s.events(0.025)[0]) == 3 and len(s.events(0.07)[0]) == 9  # one entry per duration


def test_global_neuron_id():
    assert global_neuron_id(3, 1, 17) == 3 * 1024 + 256 + 17


def test_neuron_sources_are_refused_until_emulated():
    net, post = _net()
    net.connect_neurons(int(post[0]), int(post[1]), "AMPA")
    net.validate()
    with pytest.raises(NotImplementedError, match="on-chip"):
        Emulator(net)


@pytest.mark.parametrize("times, ids, fragment", [
    ([0.0], [100000], "spike generator id 100000 does not exist; allowed 0..1023"),
    ([0.0, 0.001], [3, 1500], "spike generator id 1500 does not exist"),
    ([0.0], [-1], "spike generator id -1 does not exist"),
    ([0.0], [3.0], "generator ids must be integers"),
    ([float("nan")], [3], "event times must be finite"),
    ([0.0, 0.001], [3], "2 event times but 1 generator ids"),
    ([0.01], [3], r"must lie in \[0, duration_s\)"),
])
def test_event_input_is_checked_before_the_window(times, ids, fragment):
    net, post = _net()
    net.connect_generator(3, int(post[0]), "AMPA")
    chip = Emulator(net)
    with pytest.raises(ValueError, match=fragment):
        chip.run(0.01, events=(np.asarray(times), np.asarray(ids)))
    assert chip.time_s == 0.0  # nothing ran
    chip.run(0.01, events=(np.array([0.0, 0.005]), np.array([3, 3])))  # valid events still run


def test_every_stimulus_respects_the_fpga_event_limit():
    # encode() builds its programs from ticks, past from_spike_times: the limit must hold there too
    from neurodream.encoding import MAX_ACTION_ACTIVITY, encode

    state = [100.0, 100.0, 100.0, 100.0]
    assert encode(state, 0, MAX_ACTION_ACTIVITY).ids.size <= 32766
    with pytest.raises(ValueError, match=r"stimulus has 1515\d\d events; the FPGA stores at most 32766"):
        encode(state, 0, 5e6)
    with pytest.raises(ValueError, match="at most 32766"):
        encode(state, 0, 1e12)  # refused before its 3e10 events are allocated
    with pytest.raises(ValueError, match="at most 32766"):
        Stimulus(times_s=np.zeros(32767), ids=np.zeros(32767, dtype=np.int64))
    with pytest.raises(ValueError, match="2 event times but 3 generator ids"):
        Stimulus(times_s=np.zeros(2), ids=np.zeros(3, dtype=np.int64))
