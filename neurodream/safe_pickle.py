"""Reading a checkpoint without running code from it: a pickle that may name only what checkpoints hold.

A checkpoint (:func:`neurodream.training.train`) pickles the run's state: the runner with its
emulated chip, the readouts, lists and dicts of numbers, NumPy arrays and random generators. A
pickle can name any importable callable and call it (``os.system``, ``builtins.exec``), so a file
planted in the output folder would run code when read. :func:`loads` reads with an unpickler whose
``find_class`` returns only the globals listed here (:data:`ALLOWED`), and for ``builtins.getattr``
(how a pickle names a class method) a lookup of the attributes of :data:`ALLOWED_ATTRIBUTES` only;
any other name raises :class:`ForbiddenGlobal` before anything is called.

A class added to the state a checkpoint holds must be added to :data:`ALLOWED` (the tests resume
checkpoints of both conditions, so a missing one fails them).
"""

from __future__ import annotations

import importlib
import io
import pickle

ALLOWED = frozenset({
    # the run's state (neurodream classes)
    ("neurodream.training", "PaperChipRunner"),
    ("neurodream.networks", "PaperChip"),
    ("neurodream.readouts", "Adam"),
    ("neurodream.readouts", "Policy"),
    ("neurodream.readouts", "WorldModel"),
    ("neurodream.chip.biases", "CoreBiases"),
    ("neurodream.chip.calibration", "Calibration"),
    ("neurodream.chip.circuits", "CoreCircuit"),
    ("neurodream.chip.emulator", "Emulator"),
    ("neurodream.chip.emulator", "EventCounts"),
    ("neurodream.chip.limits", "SynapseType"),
    ("neurodream.chip.network", "Address"),
    ("neurodream.chip.network", "CamEntry"),
    ("neurodream.chip.network", "Network"),
    ("neurodream.chip.stimulus", "Stimulus"),
    # NumPy arrays, scalars and dtypes (``numpy.core``: NumPy 1)
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    # NumPy random generators
    ("numpy.random._pickle", "__generator_ctor"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._generator", "Generator"),
    ("numpy.random._pcg64", "PCG64"),
    ("numpy.random.bit_generator", "SeedSequence"),
    ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
    # plain containers
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "complex"),
    ("builtins", "slice"),
    ("builtins", "range"),
    ("builtins", "bytearray"),
})
"""Every global (module, name) a checkpoint may name; ``builtins.getattr`` is answered apart."""

ALLOWED_ATTRIBUTES = frozenset({
    ("neurodream.chip.calibration", "Calibration", "from_dict"),  # Calibration.__reduce__
})
"""The attributes ``builtins.getattr`` may look up in a checkpoint: (module, class, attribute)."""


class ForbiddenGlobal(pickle.UnpicklingError):
    """A pickle names a global a checkpoint never holds; ``name`` is ``module.name``."""

    def __init__(self, name: str):
        super().__init__(f"it names {name}, which a checkpoint never holds")
        self.name = name


def _getattr(obj, name: str, *default):
    """``getattr`` for :data:`ALLOWED_ATTRIBUTES` only; :class:`ForbiddenGlobal` for anything else."""
    owner = (getattr(obj, "__module__", None), getattr(obj, "__qualname__", None), name) if isinstance(obj, type) \
        else None
    if owner not in ALLOWED_ATTRIBUTES or default:
        what = f"{owner[0]}.{owner[1]}.{name}" if owner else f"an attribute {name!r} of a {type(obj).__name__}"
        raise ForbiddenGlobal(f"builtins.getattr of {what}")
    return getattr(obj, name)


class CheckpointUnpickler(pickle.Unpickler):
    """An unpickler whose globals are :data:`ALLOWED` (and a restricted ``getattr``) only."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("builtins", "getattr"):
            return _getattr
        if (module, name) not in ALLOWED:
            raise ForbiddenGlobal(f"{module}.{name}")
        return getattr(importlib.import_module(module), name)


def loads(data: bytes):
    """The object pickled in ``data``, read by :class:`CheckpointUnpickler`."""
    return CheckpointUnpickler(io.BytesIO(data)).load()
