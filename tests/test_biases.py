import numpy as np
import pytest

from neurodream.chip import (BIAS_NAMES, PAPER_AGENT_BIASES, PAPER_WORLD_MODEL_BIASES, Calibration,
                             CoreBiases, bias_current, code_for_current, core_circuit)
from neurodream.chip.biases import I_COARSE_A


def test_every_code_follows_the_coarse_table():
    for coarse in range(8):
        for fine in range(256):
            assert bias_current(coarse, fine) == pytest.approx(I_COARSE_A[coarse] * fine / 255, rel=1e-15)


def test_coarse_steps_are_the_published_ladder():
    assert I_COARSE_A == (15e-12, 105e-12, 820e-12, 6.5e-9, 50e-9, 0.4e-6, 3.2e-6, 24e-6)
    assert np.all(np.diff(I_COARSE_A) > 0)


def test_twenty_five_named_biases():
    assert len(BIAS_NAMES) == 25
    for name in ("IF_THR_N", "IF_RFR_N", "IF_TAU1_N", "IF_TAU2_N", "IF_DC_P", "IF_AHTAU_N", "IF_AHTHR_N",
                 "IF_AHW_P", "IF_NMDA_N", "NPDPIE_TAU_F_P", "NPDPIE_THR_F_P", "PS_WEIGHT_EXC_F_N",
                 "NPDPIE_TAU_S_P", "NPDPIE_THR_S_P", "PS_WEIGHT_EXC_S_N", "PULSE_PWLK_P"):
        assert name in BIAS_NAMES


@pytest.mark.parametrize("code, fragment", [((8, 10), "coarse value 8"), ((-1, 3), "coarse value -1"),
                                            ((3, 256), "fine value 256"), ((2.5, 3), "not an integer")])
def test_bad_codes_are_named(code, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        CoreBiases(IF_DC_P=code)
    assert "IF_DC_P" in str(err.value) and "allowed" in str(err.value)


def test_unknown_name_is_named():
    with pytest.raises(ValueError, match="unknown bias name 'IF_TAU_N'.*allowed names:.*IF_TAU1_N"):
        CoreBiases(IF_TAU_N=(1, 1))
    with pytest.raises(ValueError, match="unknown bias name 'NOPE'"):
        Calibration(unset_biases={"NOPE": (1, 1)})


def test_code_for_current_inverts_the_map():
    for coarse, fine in [(0, 1), (2, 128), (5, 47), (7, 255), (3, 106)]:
        c, f = code_for_current(bias_current(coarse, fine))
        assert bias_current(c, f) == pytest.approx(bias_current(coarse, fine), rel=1e-12)


def test_currents_are_floored_at_the_dark_current():
    cal = Calibration()
    circuit = core_circuit(CoreBiases(IF_DC_P=(0, 0), IF_THR_N=(0, 0)), cal)
    assert circuit.i_dc_A == cal.dark_current_A
    assert circuit.i_th_mem_A == cal.dark_current_A


def test_paper_presets_differ_only_where_the_paper_says():
    diff = {k for k in BIAS_NAMES if PAPER_AGENT_BIASES.get(k) != PAPER_WORLD_MODEL_BIASES.get(k)}
    assert diff == {"PS_WEIGHT_EXC_S_N", "NPDPII_TAU_F_P", "NPDPII_TAU_S_P"}
    assert PAPER_AGENT_BIASES["PS_WEIGHT_EXC_S_N"] == (5, 47)
    assert PAPER_WORLD_MODEL_BIASES["PS_WEIGHT_EXC_S_N"] == (4, 50)


def test_calibration_round_trips_and_rejects_unknown_keys():
    cal = Calibration().replace(spike_threshold_A=2e-9)
    assert Calibration.from_dict(cal.to_dict()) == cal
    with pytest.raises(ValueError, match="unknown calibration keys"):
        Calibration.from_dict({"kappa": 0.7, "C_membrane": 1.0})
    with pytest.raises(ValueError, match="kappa = -1"):
        Calibration(kappa=-1)
    assert set(Calibration.sources()) == {f for f in Calibration().to_dict()}


def test_both_conditions_use_one_set_of_biases_and_the_first_emulations_is_reachable():
    from neurodream.chip.calibration import DREAMING_AGENT_PULSE, PAPER_AGENT_PULSE, PAPER_MODEL_PULSE
    from neurodream.training import TrainConfig, agent_pulse_calibration, calibration_for

    base = calibration_for(TrainConfig(condition="baseline"))
    dream = calibration_for(TrainConfig(condition="dreaming"))
    assert base == dream == Calibration()  # as the released code: one pulse for both conditions
    # the first emulation's dreaming agent had a shorter pulse: an explicit record reproduces it
    old = agent_pulse_calibration(DREAMING_AGENT_PULSE)
    explicit = calibration_for(TrainConfig(condition="dreaming", calibration=old.to_dict()))
    pulses = {core: dict(m)["PULSE_PWLK_P"] for core, m in explicit.core_unset_biases.items()}
    assert pulses == {"3:0": DREAMING_AGENT_PULSE, "3:1": DREAMING_AGENT_PULSE,
                      "3:2": PAPER_MODEL_PULSE, "3:3": PAPER_MODEL_PULSE}
    assert explicit.replace(core_unset_biases=base.core_unset_biases) == base
    assert DREAMING_AGENT_PULSE != PAPER_AGENT_PULSE
    with pytest.raises(ValueError, match="8"):
        base.with_core_bias([(3, 0)], "PULSE_PWLK_P", (8, 10))


def test_agent_pulse_calibration_sets_the_agent_cores_in_both_setups():
    from neurodream.chip.calibration import PAPER_AGENT_PULSE, PAPER_MODEL_PULSE
    from neurodream.training import TrainConfig, agent_pulse_calibration, calibration_for

    record = agent_pulse_calibration((5, 52)).to_dict()
    for condition in ("baseline", "dreaming"):
        cal = calibration_for(TrainConfig(condition=condition, calibration=record))
        pulses = {core: dict(m)["PULSE_PWLK_P"] for core, m in cal.core_unset_biases.items()}
        assert pulses == {"3:0": (5, 52), "3:1": (5, 52), "3:2": PAPER_MODEL_PULSE, "3:3": PAPER_MODEL_PULSE}
    # the baseline's pulse for a dreaming run is the default record: the released code's single set
    same = calibration_for(TrainConfig(condition="dreaming", calibration=agent_pulse_calibration(PAPER_AGENT_PULSE).to_dict()))
    assert same == calibration_for(TrainConfig(condition="baseline"))
    with pytest.raises(ValueError, match="coarse value 9"):
        agent_pulse_calibration((9, 45))
    with pytest.raises(ValueError, match="must be a"):
        agent_pulse_calibration((5,))


INF = float("inf")


@pytest.mark.parametrize("changes, fragment", [
    ({"kappa": INF}, "kappa = inf"), ({"kappa": float("nan")}, "kappa = nan"), ({"kappa": 2.0}, "kappa = 2.0"),
    ({"C_syn_F": (INF, 25e-12, 25e-12, 25e-12)}, r"C_syn_F\[0\] = inf"),
    ({"C_syn_F": (25e-12, 25e-12, 1e-14, 25e-12)}, r"C_syn_F\[2\] = 1e-14"),
    ({"C_syn_F": (25e-12,) * 3}, "C_syn_F.*4"), ({"C_mem_F": 1.0}, "C_mem_F = 1.0"),
    ({"bias_scale": {"IF_TAU1_N": INF}}, r"bias_scale\['IF_TAU1_N'\] = inf"),
    ({"bias_scale": {"IF_TAU1_N": 1e3}}, r"bias_scale\['IF_TAU1_N'\] = 1000.0"),
    ({"thermal_voltage_V": 1.0}, "thermal_voltage_V = 1.0"), ({"dark_current_A": True}, "dark_current_A = True"),
    ({"spike_threshold_A": "1e-9"}, "spike_threshold_A = '1e-9'"), ({"V_switch_V": 1e6}, "V_switch_V = 1000000.0"),
])
def test_calibration_refuses_non_finite_and_absurd_values(changes, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        Calibration(**changes)
    assert "between" in str(err.value) or "4" in str(err.value)


def test_calibration_ranges_cover_every_number_and_the_values_in_use():
    from neurodream.chip.calibration import BIAS_SCALE_RANGE, CALIBRATION_RANGES

    numbers = {f for f, v in Calibration().to_dict().items() if isinstance(v, (float, list)) and f != "unset_biases"}
    assert set(CALIBRATION_RANGES) == numbers - {"bias_scale"}
    Calibration(feedback_gain_A=1e-30)  # switches the positive feedback off (tests, notebook 01)
    Calibration(bias_scale={"IF_TAU1_N": 1e-5, "IF_TAU2_N": 1e-2}, dark_current_A=0.1e-12, reset_current_A=0.1e-12)
    assert BIAS_SCALE_RANGE[1] == 1.0
