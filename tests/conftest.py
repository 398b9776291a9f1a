import numpy as np
import pytest

from neurodream.chip import Calibration, CoreBiases, Emulator, Network

NO_SCALE = Calibration(bias_scale={})
"""Calibration without the LowBias leak scale: leak biases give their nominal currents."""


def single_neuron(biases: CoreBiases, *, calibration=NO_SCALE, engine="reference", cv=0.0, seed=0,
                  connect=(), **kw) -> Emulator:
    """One neuron on chip 0 core 1 (neuron 1); ``connect`` = [(generator, type, weight)]."""
    net = Network(generator_chip=0)
    post = net.add_neurons(0, 1, [1])
    net.set_biases(0, 1, biases)
    for g, syn, w in connect:
        net.connect_generator(g, int(post[0]), syn, weight=w)
    return Emulator(net, calibration, mismatch_cv=cv, seed=seed, engine=engine, **kw)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _no_variant_redirection_leaks():
    """A test that calls notebook_outputs for the real checkout redirects the notebook helpers' runs
    and studies to a variant folder (process-wide); every test starts and ends without it."""
    from neurodream import study_cache, sweep

    sweep.use_variant_data(None)
    study_cache.use_variant_dir(None)
    yield
    sweep.use_variant_data(None)
    study_cache.use_variant_dir(None)
