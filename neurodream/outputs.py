"""Where a notebook writes: the committed outputs come only from the committed parameters.

``figures/`` and the README's generated blocks hold what the notebooks give with the parameters
committed in their sources (the README quotes those numbers). A notebook run with other
parameters (``make figures PARAMS="-p seeds 5"``, or an edited parameters cell) writes its figures
and tables to ``figures/variants/<name>/`` instead, ``<name>`` built from the changed parameters,
and never touches the README. ``make figures QUICK=1`` writes to ``figures/quick/`` (not committed).

A notebook may list further parameter sets whose outputs are committed too, in a literal
``COMMITTED_PARAMETERS = [{...}, ...]`` of its source (notebook 04's ``corrected`` world model, for
instance): their files carry names of their own in ``figures/``, and only the notebook's defaults
write the README.

>>> defaults = {"quick": 0, "seeds": 10, "fidelity": "paper", "jobs": 2}
>>> variant_name(changed_parameters({"quick": 0, "seeds": 5, "fidelity": "paper", "jobs": 1}, defaults))
'seeds-5'
>>> variant_name({"fidelity": "corrected", "waits_ms": [10.0, 20.0]})
'fidelity-corrected_waits_ms-10-20'

A name is readable and, for distinct parameter sets, distinct (:func:`variant_name`): where the
readable text would lose something (a sign, a comma, a string that reads as a number), a short hash
of the exact parameters follows it:

>>> variant_name({"agent_pulse": "5,45"})
'agent_pulse-5-45_7b4f6bbeca'

The parameters' values are checked before any work (:func:`check_parameter_values`): each must
have the type of its committed value in the notebook's parameters cell, and the values in
:data:`PARAMETER_RULES` their range. Before any notebook runs, ``make figures`` refuses a parameter
that none of the notebooks it runs has, and a value of the wrong type (``python -m neurodream.outputs
check-parameters NOTEBOOK... -p NAME VALUE ...``: :func:`check_parameters_main`); papermill itself
only warns of an unknown parameter and runs the committed ones.
"""

from __future__ import annotations

import ast
import base64
import dataclasses
import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "figures"
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"

RECORD = NOTEBOOKS / "committed.json"
"""What produced the committed outputs, per notebook: its parameters, its further committed
parameter sets and the digest of its code (:func:`record_notebooks` writes it). It lives outside
the notebooks, so an edit saved from JupyterLab cannot change what counts as committed."""
MAKE_FIGURES = "NEURODREAM_MAKE_FIGURES"
"""Environment variable ``make figures`` sets to 1 for the notebooks it runs: only those runs may
write the committed outputs; a notebook run by hand in JupyterLab writes a variant."""
NOT_OUTPUT_PARAMETERS = frozenset({"quick", "jobs", "compute_missing"})
"""Parameters that change how a notebook runs, not what it writes (``quick`` has its own folder)."""
ALWAYS_ALLOWED = frozenset({"quick"})
"""Parameters ``make figures`` passes to every notebook (``QUICK``)."""


def _flag(value) -> bool:
    return isinstance(value, (bool, int)) and value in (0, 1)


def _positive_int(value) -> bool:
    return type(value) is int and value >= 1


def _non_negative_int(value) -> bool:
    return type(value) is int and value >= 0


def _nonzero_int(value) -> bool:
    return type(value) is int and value != 0


def _bias_code(value) -> bool:
    """A DYNAP-SE1 bias code ``[coarse, fine]`` as the chip's own check takes it
    (:func:`neurodream.chip.biases.check_code`: whole numbers, coarse 0..7 and fine 0..255). Its test
    takes the whole list, not each element."""
    from .chip.biases import check_code  # here: importing the chip loads the emulator

    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        return False
    try:
        check_code(*value)
    except ValueError:
        return False
    return True


_bias_code.whole_list = True


def _coarse_level(value) -> bool:
    return _bias_code([value, 0])


def _mismatch_cv(value) -> bool:
    return _is_number(value) and math.isfinite(value) and 0 <= value <= 1


def _positive_number(value) -> bool:
    return _is_number(value) and math.isfinite(value) and value > 0


def _non_negative_number(value) -> bool:
    return _is_number(value) and math.isfinite(value) and value >= 0


PARAMETER_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "quick": (_flag, "0 or 1 (False or True)"),
    "compute_missing": (_flag, "0 or 1 (False or True)"),
    "seeds": (_positive_int, "a positive whole number of seeds"),
    "games": (_positive_int, "a positive whole number of games"),
    "check_seeds": (_positive_int, "a positive whole number of seeds"),
    "control_seeds": (_positive_int, "a positive whole number of seeds"),
    "network_draws": (_positive_int, "a positive whole number of network draws"),
    "skill_games": (_positive_int, "a positive whole number of games"),
    "replays": (_positive_int, "a positive whole number of games"),
    "jobs": (_nonzero_int, "a whole number of parallel runs, not 0 (-1: one per core, as joblib counts)"),
    "waits_ms": (_positive_number, "a list of positive, finite waits in ms"),
    "action_activity": (_positive_number, "a positive, finite activity"),
    "jitter_ms": (_non_negative_number, "a finite jitter >= 0 ms"),
    "host_mac_J": (_non_negative_number, "a finite energy >= 0 J"),
    # notebook 01: DYNAP-SE1 bias codes [coarse, fine] (coarse 0-7, fine 0-255: neurodream.chip.limits)
    "fi_tau_bias": (_bias_code, "a bias code [coarse, fine], coarse 0-7 and fine 0-255 (IF_TAU1_N: the "
                    "membrane leak of the F-I core; a larger current, a shorter time constant)"),
    "fi_threshold_bias": (_bias_code, "a bias code [coarse, fine], coarse 0-7 and fine 0-255 (IF_THR_N: the "
                          "membrane gain of the F-I core)"),
    "fi_refractory_bias": (_bias_code, "a bias code [coarse, fine], coarse 0-7 and fine 0-255 (IF_RFR_N: a "
                           "larger current, a shorter refractory period)"),
    "fi_dc_coarse": (_coarse_level, "a coarse level 0-7 of the F-I curve's DC input IF_DC_P (its fine code runs "
                     "from 20 to 250)"),
    "fi_mismatch_cv": (_mismatch_cv, "a device-mismatch CV from 0 to 1 (0.2: 20 %)"),
    "demo_dc_bias": (_bias_code, "a bias code [coarse, fine], coarse 0-7 and fine 0-255 (IF_DC_P: the DC "
                     "input of the single-neuron demonstration)"),
    "agent_pulse_bias": (_bias_code, "a bias code [coarse, fine], coarse 0-7 and fine 0-255 (PULSE_PWLK_P of "
                         "the agent cores: a larger current, a shorter synaptic pulse)"),
    "dream_steps_values": (_non_negative_int, "a non-empty list of whole numbers of steps per dream >= 0 "
                           "(0: no dreams; 50: the paper's)"),
    "dreams_per_game_values": (_positive_int, "a non-empty list of positive whole numbers of dreams after each "
                               "real game (1: the paper's)"),
}
"""The ranges of the notebooks' parameters beyond their types: name -> (test of a value, what is
allowed). A list's test applies to each element, unless the test has ``whole_list`` set (a bias
code ``[coarse, fine]``). :func:`check_parameter_values` applies them."""


@dataclasses.dataclass(frozen=True)
class Outputs:
    """Where one notebook run writes.

    ``figures``: the folder for its figures, CSVs and summaries. ``variant``: the name of a
    parameter set that is not committed (``figures`` is then ``figures/variants/<variant>/``), else
    None. ``readme``: the README whose generated blocks this run may replace, or None (only the
    notebook's own defaults, at full size, write it).
    """

    figures: Path
    variant: str | None
    readme: Path | None
    changed: dict
    reasons: tuple = ()
    """Why this run is a variant besides its parameters: ``edited-<digest>`` (the notebook's code
    differs from the recorded one), ``interactive`` (not run by ``make figures``), ``unrecorded``."""

    def describe(self, notebook: str = "") -> str:
        """One line that says where the outputs go and why."""
        where = _relative(self.figures)
        name = f"{notebook}: " if notebook else ""
        if self.variant is None and not self.changed:
            return f"{name}committed parameters: outputs go to {where}/"
        changed = ", ".join(f"{k}={v!r}" for k, v in self.changed.items())
        if self.variant is None:
            return f"{name}a committed parameter set ({changed}): outputs go to {where}/, README.md is not changed"
        why = [f"parameters differ from the committed ones ({changed})"] if changed else []
        why += [REASONS[r.split("-")[0]] for r in self.reasons]
        return (f"{name}{'; '.join(why)}: outputs go to {where}/ (runs to data/.../variants/); "
                "figures/, data/ and README.md are not changed")


REASONS = {"edited": "the notebook's code differs from the code that made the committed outputs",
           "interactive": "run outside `make figures` (e.g. in JupyterLab)",
           "unrecorded": "the notebook has no record in notebooks/committed.json"}


def parameters_cell(notebook: str | Path) -> dict[str, Any]:
    """The literal assignments of a jupytext (py:percent) notebook's ``parameters`` cell, as in its
    source file: ``notebooks/<notebook>.py`` for a bare name such as ``"04_comparison"``."""
    path = _source(notebook)
    lines = path.read_text().splitlines()
    start = next((k for k, line in enumerate(lines) if line.startswith("# %%") and "parameters" in line), None)
    if start is None:
        raise ValueError(f"{path} has no cell tagged 'parameters'")
    end = next((k for k in range(start + 1, len(lines)) if lines[k].startswith("# %%")), len(lines))
    out = {}
    for node in ast.parse("\n".join(lines[start + 1:end])).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def committed_parameter_sets(notebook: str | Path) -> list[dict[str, Any]]:
    """The literal ``COMMITTED_PARAMETERS`` list of a notebook's source (empty when it has none):
    parameter changes, besides the defaults, whose outputs are committed."""
    tree = ast.parse(_source(notebook).read_text())
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "COMMITTED_PARAMETERS"):
            return [dict(s) for s in ast.literal_eval(node.value)]
    return []


def changed_parameters(params: Mapping[str, Any], defaults: Mapping[str, Any],
                       ignore: Iterable[str] = NOT_OUTPUT_PARAMETERS) -> dict[str, Any]:
    """The parameters (in the order of ``defaults``) whose value in ``params`` differs from the
    default; numbers compare by value (papermill passes ``-p action_activity 150`` as an int)."""
    ignore = set(ignore)
    return {k: params[k] for k, v in defaults.items() if k not in ignore and k in params and not _same(params[k], v)}


def variant_name(changed: Mapping[str, Any]) -> str:
    """A folder name for a parameter set: ``key-value`` pairs joined by ``_`` (``seeds-5``), distinct
    for distinct sets (values compared as :func:`changed_parameters` compares them). The readable
    text keeps only ``[A-Za-z0-9.]`` of a value, so where that loses something (a value that is not
    :func:`_plain`: a negative number, a float that ``%g`` rounds, text with other characters or that
    reads as a number, a list of fewer than two plain values, None) a hash of the exact parameters
    follows, ``_<10 hex digits>``: ``seeds--1`` and ``seeds-1`` cannot meet (``-p seeds -1`` gives
    ``seeds-1_<hash>``), nor ``a/b``, ``a b`` and ``a-b``."""
    if not changed:
        raise ValueError("no parameter changed: the committed outputs have no variant name")
    names = {k: str(k) if IDENTIFIER.fullmatch(str(k)) else _text(k) for k in changed}
    readable = "_".join(f"{names[k]}-{_text(v)}" for k, v in changed.items())
    if all(names[k] == k and _plain(v) for k, v in changed.items()):
        return readable
    return f"{readable}_{_digest(changed)}"


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""A parameter's name (a Python name: no ``-``, so a name's ``-`` ends the key)."""


def _plain(value) -> bool:
    """Whether :func:`_text` writes ``value`` so that it can be read back (up to equal numbers): a
    bool; a number >= 0 whose text is exact and has no exponent; text of ``[A-Za-z0-9.]`` only that
    does not read as a number or a bool; a list of two or more plain scalars (their texts joined by
    ``-``, which no plain scalar's holds)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return value >= 0
    if isinstance(value, float):
        text = f"{value:g}"
        return math.isfinite(value) and value >= 0 and re.fullmatch(r"[0-9.]+", text) is not None \
            and float(text) == value
    if isinstance(value, str):
        return re.fullmatch(r"[A-Za-z0-9.]+", value) is not None and not _reads_as_number(value) \
            and value not in ("True", "False", "None")
    if isinstance(value, (list, tuple)):
        return len(value) >= 2 and all(not isinstance(v, (list, tuple)) and _plain(v) for v in value)
    return False


def _reads_as_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _digest(changed: Mapping[str, Any]) -> str:
    """10 hex digits of SHA-256 over the exact parameters (numbers by value: 5 and 5.0 alike)."""
    def canonical(v):
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, (int, float)):
            return float(v) if math.isfinite(v) else str(v)
        if isinstance(v, (list, tuple)):
            return [canonical(x) for x in v]
        if isinstance(v, Mapping):
            return {str(k): canonical(x) for k, x in v.items()}
        return repr(v)

    text = json.dumps({str(k): canonical(v) for k, v in changed.items()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def check_parameter_values(params: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
    """``ValueError`` naming the first parameter of ``defaults`` (a notebook's parameters cell) whose
    value in ``params`` does not have the type of its committed value (an int for an int; an int or
    a finite float for a float; text for text; a bool for a bool; a list for a list, each element of
    the type of the committed list's elements) or breaks its rule in :data:`PARAMETER_RULES`."""
    for name, committed in defaults.items():
        if name not in params:
            continue
        value = params[name]
        rule = PARAMETER_RULES.get(name)
        if not (rule is not None and rule[0] is _flag) and not _same_type(value, committed):
            raise ValueError(f"parameter {name} = {value!r} ({type(value).__name__}) must be {_kind(committed)}, as "
                             f"its committed value {committed!r}")
        if rule is not None:
            test, allowed = rule
            whole = getattr(test, "whole_list", False)  # a bias code [coarse, fine] is tested as one value
            values = value if isinstance(value, (list, tuple)) and not whole else [value]
            if not (values and all(test(v) for v in values)):
                raise ValueError(f"parameter {name} = {value!r}: {name} must be {allowed} (committed: {committed!r})")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same_type(value, committed) -> bool:
    """Whether ``value`` may stand for ``committed`` (see :func:`check_parameter_values`)."""
    if committed is None:
        return True
    if isinstance(committed, bool):
        return isinstance(value, bool)
    if isinstance(committed, int):
        return type(value) is int
    if isinstance(committed, float):
        return _is_number(value) and math.isfinite(value)
    if isinstance(committed, (list, tuple)):
        return isinstance(value, (list, tuple)) and (not committed or all(_same_type(v, committed[0]) for v in value))
    return isinstance(value, type(committed))


def _kind(committed) -> str:
    if isinstance(committed, bool):
        return "True or False"
    if isinstance(committed, int):
        return "a whole number"
    if isinstance(committed, float):
        return "a finite number"
    if isinstance(committed, str):
        return "text"
    if isinstance(committed, (list, tuple)):
        return f"a list{' of ' + _kind(committed[0]).removeprefix('a ') + 's' if committed else ''}"
    return type(committed).__name__


def notebook_outputs(notebook: str, params: Mapping[str, Any], *, root: Path | None = None,
                     report: bool = True, create: bool = True, record: Path | None = None,
                     under_make: bool | None = None) -> Outputs:
    """Where notebook ``notebook`` (e.g. ``"04_comparison"``, or the path of its source) writes,
    given the values of its parameters (``globals()`` in the notebook will do) compared with its
    record (:data:`RECORD`: the parameters, parameter sets and code that made the committed outputs).

    * ``quick`` (``make figures QUICK=1``): ``figures/quick/``, no README;
    * the recorded parameters, the recorded code, run by ``make figures``: ``figures/``, and the
      README blocks;
    * the same with the parameters changed exactly as in one of the recorded parameter sets
      (the notebook's ``COMMITTED_PARAMETERS`` when it was recorded): ``figures/``, no README;
    * anything else (other parameters, edited code, a run in JupyterLab): a variant,
      ``figures/variants/<name>/``, no README, and its new runs and studies in
      ``data/variants/<name>/`` (:func:`neurodream.sweep.use_variant_data`), so a teaching edit
      never overwrites a committed file, whatever its route.

    ``report`` prints the line of :meth:`Outputs.describe`; ``create`` makes the folder.
    ``root``: another checkout (tests) instead of this one (the data redirection is then left to
    the caller); ``record``: another record file; ``under_make``: whether ``make figures`` runs it
    (default: the :data:`MAKE_FIGURES` environment variable). A value of the wrong type or out of
    its range raises ``ValueError`` naming it first (:func:`check_parameter_values`), before any work.
    """
    rec = committed_record(notebook, record)
    defaults = rec["parameters"] if rec else parameters_cell(notebook)
    check_parameter_values(params, defaults)
    figures = (root / "figures") if root is not None else FIGURES
    readme = (root / "README.md") if root is not None else README
    changed = changed_parameters(params, defaults)
    quick = bool(params.get("quick", 0))
    base = figures / "quick" if quick else figures
    raw_sets = rec["parameter_sets"] if rec else committed_parameter_sets(notebook)
    sets = [changed_parameters({**defaults, **c}, defaults) for c in raw_sets]
    if under_make is None:
        under_make = os.environ.get(MAKE_FIGURES) == "1"
    reasons = []
    if rec is None:
        reasons.append("unrecorded")
    elif (digest := code_digest(notebook)) != rec["code"]:
        reasons.append(f"edited-{digest[:8]}")
    if not under_make:
        reasons.append("interactive")
    if not changed and not reasons:
        out = Outputs(base, None, None if quick else readme, changed)
    elif not reasons and any(_same_set(changed, s) for s in sets):
        out = Outputs(base, None, None, changed)
    else:
        name = "_".join(([variant_name(changed)] if changed else []) + reasons)
        out = Outputs(base / "variants" / name, name, None, changed, tuple(reasons))
    if create:
        out.figures.mkdir(parents=True, exist_ok=True)
    if root is None:
        from . import study_cache, sweep

        folder = None if out.variant is None else sweep.data_dir(quick) / "variants" / out.variant
        sweep.use_variant_data(folder)
        study_cache.use_variant_dir(None if folder is None else folder / study_cache.STUDIES)
    if report:
        print(out.describe(Path(notebook).stem))
    return out


def code_digest(notebook: str | Path) -> str:
    """SHA-256 (hex) of a notebook source's code: every line of its code cells but the parameters
    cell (whose values :func:`notebook_outputs` compares one by one), trailing spaces stripped.
    Markdown (a teacher's notes) does not count; any change to the code does."""
    lines = _source(notebook).read_text().splitlines()
    kept, in_code, in_parameters = [], False, False
    for line in lines:
        if line.startswith("# %%"):
            in_code = "[markdown]" not in line
            in_parameters = "parameters" in line
            continue
        if in_code and not in_parameters:
            kept.append(line.rstrip())
    while kept and not kept[-1]:
        kept.pop()
    return hashlib.sha256("\n".join(kept).encode()).hexdigest()


def committed_record(notebook: str | Path, record: Path | None = None) -> dict | None:
    """The record of ``notebook`` in :data:`RECORD` (or ``record``), None when it has none."""
    path = RECORD if record is None else Path(record)
    if not path.exists():
        return None
    return json.loads(path.read_text()).get(Path(notebook).stem)


def record_notebooks(notebooks: Iterable[str | Path], record: Path | None = None) -> dict:
    """Record what makes the committed outputs of ``notebooks`` (their parameters cells,
    ``COMMITTED_PARAMETERS`` and :func:`code_digest`) in :data:`RECORD` (or ``record``), keeping
    the other notebooks' records; written atomically. A deliberate step after changing a notebook
    (``make record-notebooks``), before ``make figures`` redraws the committed outputs: an edit
    made in JupyterLab is not recorded, so it writes variants."""
    from .atomic_file import write_atomically

    path = RECORD if record is None else Path(record)
    data = json.loads(path.read_text()) if path.exists() else {}
    for nb in notebooks:
        data[Path(nb).stem] = {"parameters": parameters_cell(nb), "parameter_sets": committed_parameter_sets(nb),
                               "code": code_digest(nb)}
    write_atomically(path, json.dumps(dict(sorted(data.items())), indent=1) + "\n")  # parameters in cell order
    return data


def _source(notebook: str | Path) -> Path:
    path = Path(notebook)
    return path if path.suffix == ".py" else NOTEBOOKS / f"{path.stem}.py"


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):  # bools too: True == 1
        return float(a) == float(b)
    return a == b


def _same_set(a: Mapping, b: Mapping) -> bool:
    return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        return "-".join(_text(v) for v in value)
    if isinstance(value, float):
        value = f"{value:g}"
    return re.sub(r"[^A-Za-z0-9.]+", "-", str(value)).strip("-") or "empty"


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


PAPERMILL_OPTIONS = {"-p": "-p", "--parameters": "-p", "-r": "-r", "--parameters_raw": "-r",
                     "-y": "-y", "--parameters_yaml": "-y", "-f": "-f", "--parameters_file": "-f",
                     "-b": "-b", "--parameters_base64": "-b"}
"""papermill's options that pass parameters (long and short forms), each to its short form."""


def papermill_parameters(args: list[str]) -> dict[str, Any]:
    """The parameters papermill's command line makes of ``args`` (``-p NAME VALUE``: the value read as
    papermill reads it, True/False/None, an int, a float or text; ``-r NAME VALUE``: text; ``-y
    YAML``, ``-f YAML_FILE``, ``-b BASE64_YAML``: a mapping), applied in papermill's order (base64,
    files, YAML, ``-p``, ``-r``; later ones win). ``ValueError`` for anything else."""
    found = {"-b": [], "-f": [], "-y": [], "-p": [], "-r": []}
    k = 0
    while k < len(args):
        option = PAPERMILL_OPTIONS.get(args[k])
        if option is None:
            raise ValueError(f"{args[k]!r} is not a parameter option; allowed: -p NAME VALUE, -r NAME VALUE, "
                             "-y YAML, -f YAML_FILE, -b BASE64_YAML")
        width = 2 if option in ("-p", "-r") else 1
        if len(args) - k - 1 < width:
            raise ValueError(f"{args[k]} expects {'NAME VALUE' if width == 2 else 'one value'}")
        found[option].append(args[k + 1:k + 1 + width])
        k += 1 + width
    params: dict[str, Any] = {}
    for option in ("-b", "-f", "-y"):
        for (text,) in found[option]:
            if option == "-b":
                text = base64.b64decode(text).decode()
            elif option == "-f":
                text = Path(text).read_text()
            loaded = _yaml(text)
            if loaded is not None and not isinstance(loaded, dict):
                raise ValueError(f"{option} {text!r} is not a mapping of parameters")
            params.update(loaded or {})
    for name, text in found["-p"]:
        params[name] = _papermill_value(text)
    for name, text in found["-r"]:
        params[name] = text
    return params


def _papermill_value(text: str):
    """A ``-p`` value as papermill reads it (its ``cli._resolve_type``)."""
    if text in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[text]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _yaml(text: str):
    """YAML as papermill reads it: safely, dates left as text."""
    import yaml

    class NoDates(yaml.SafeLoader):
        yaml_implicit_resolvers = {k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
                                   for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    try:
        return yaml.load(text, Loader=NoDates)
    except yaml.YAMLError as err:
        raise ValueError(f"{text!r} is not YAML ({' '.join(str(err).split())})") from None


def check_parameters(notebooks: list[str | Path], params: Mapping[str, Any]) -> None:
    """``ValueError`` naming the problem when ``params`` (what ``make figures`` passes to each of
    ``notebooks``) holds a parameter that none of them has in its parameters cell (papermill would
    only warn, and run the committed parameters), or a value that a notebook having it does not
    accept (:func:`check_parameter_values`). A parameter some of the notebooks have is fine: the
    others ignore it, as their outputs do not depend on it."""
    cells = {Path(nb).stem: parameters_cell(nb) for nb in notebooks}
    allowed = set(ALWAYS_ALLOWED).union(*cells.values())
    unknown = [name for name in params if name not in allowed]
    if unknown:
        where = ", ".join(cells) if len(cells) <= 3 else f"{len(cells)} notebooks"
        raise ValueError(f"unknown parameter {unknown[0]!r} (no parameters cell of {where} has it); allowed: "
                         f"{', '.join(sorted(allowed))}")
    for name, defaults in cells.items():
        try:
            check_parameter_values(params, defaults)
        except ValueError as err:
            raise ValueError(f"{name}: {err}") from None


def check_parameters_main(argv: list[str]) -> int:
    """``python -m neurodream.outputs check-parameters NOTEBOOK... [-p NAME VALUE | -r NAME VALUE |
    -y YAML | -f FILE | -b BASE64]...``: :func:`check_parameters` of the papermill options against
    the notebooks' sources; exit status 2 with one line naming the problem, 0 when all is well.
    ``make figures`` runs it before the first notebook."""
    notebooks = []
    while argv and not argv[0].startswith("-"):
        notebooks.append(argv.pop(0))
    try:
        if not notebooks:
            raise ValueError("no notebook given (NOTEBOOK... before the papermill options)")
        check_parameters(notebooks, papermill_parameters(argv))
    except (ValueError, OSError) as err:
        print(f"neurodream.outputs check-parameters: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m neurodream.outputs notebooks/executed/NN_name.ipynb ...``: for each executed
    notebook, the line saying where it wrote (from the parameters papermill stored in it).
    ``python -m neurodream.outputs check-parameters ...``: :func:`check_parameters_main`.
    ``python -m neurodream.outputs record [NOTEBOOK...]``: :func:`record_notebooks` (default: all)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check-parameters"]:
        return check_parameters_main(argv[1:])
    if argv[:1] == ["record"]:
        names = argv[1:] or sorted(str(p) for p in NOTEBOOKS.glob("[0-9][0-9]_*.py"))
        record_notebooks(names)
        print(f"recorded {len(names)} notebooks in {_relative(RECORD)}")
        return 0
    for arg in argv:
        path = Path(arg)
        meta = json.loads(path.read_text()).get("metadata", {}).get("papermill", {})
        name = path.stem
        out = notebook_outputs(name, meta.get("parameters", {}), report=False, create=False)
        print("   " + out.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
