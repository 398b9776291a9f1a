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
>>> variant_name({"fidelity": "corrected", "agent_pulse": "5,45", "waits_ms": [10.0, 20.0]})
'fidelity-corrected_agent_pulse-5-45_waits_ms-10-20'
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "figures"
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"

NOT_OUTPUT_PARAMETERS = frozenset({"quick", "jobs", "compute_missing"})
"""Parameters that change how a notebook runs, not what it writes (``quick`` has its own folder)."""


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

    def describe(self, notebook: str = "") -> str:
        """One line that says where the outputs go and why."""
        where = _relative(self.figures)
        name = f"{notebook}: " if notebook else ""
        if self.variant is None and not self.changed:
            return f"{name}committed parameters: outputs go to {where}/"
        changed = ", ".join(f"{k}={v!r}" for k, v in self.changed.items())
        if self.variant is None:
            return f"{name}a committed parameter set ({changed}): outputs go to {where}/, README.md is not changed"
        return (f"{name}parameters differ from the committed ones ({changed}): outputs go to {where}/; "
                "figures/ and README.md are not changed")


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
    """A folder name for a parameter set: ``key-value`` pairs joined by ``_`` (``seeds-5``)."""
    if not changed:
        raise ValueError("no parameter changed: the committed outputs have no variant name")
    return "_".join(f"{k}-{_text(v)}" for k, v in changed.items())


def notebook_outputs(notebook: str, params: Mapping[str, Any], *, root: Path | None = None,
                     report: bool = True, create: bool = True) -> Outputs:
    """Where notebook ``notebook`` (e.g. ``"04_comparison"``) writes, given the values of its
    parameters (``globals()`` in the notebook will do) compared with its parameters cell.

    * ``quick`` (``make figures QUICK=1``): ``figures/quick/``, no README;
    * the defaults: ``figures/``, and the README blocks;
    * the defaults changed exactly as in one of the notebook's ``COMMITTED_PARAMETERS``
      (:func:`committed_parameter_sets`): ``figures/``, no README;
    * anything else: ``figures/variants/<variant_name>/``, no README.

    ``report`` prints the line of :meth:`Outputs.describe`; ``create`` makes the folder.
    ``root``: another checkout (tests) instead of this one.
    """
    defaults = parameters_cell(notebook)
    figures = (root / "figures") if root is not None else FIGURES
    readme = (root / "README.md") if root is not None else README
    changed = changed_parameters(params, defaults)
    quick = bool(params.get("quick", 0))
    base = figures / "quick" if quick else figures
    sets = [changed_parameters({**defaults, **c}, defaults) for c in committed_parameter_sets(notebook)]
    if not changed:
        out = Outputs(base, None, None if quick else readme, changed)
    elif any(_same_set(changed, s) for s in sets):
        out = Outputs(base, None, None, changed)
    else:
        name = variant_name(changed)
        out = Outputs(base / "variants" / name, name, None, changed)
    if create:
        out.figures.mkdir(parents=True, exist_ok=True)
    if report:
        print(out.describe(notebook))
    return out


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


def main(argv: list[str] | None = None) -> int:
    """``python -m neurodream.outputs notebooks/executed/NN_name.ipynb ...``: for each executed
    notebook, the line saying where it wrote (from the parameters papermill stored in it)."""
    for arg in (sys.argv[1:] if argv is None else argv):
        path = Path(arg)
        meta = json.loads(path.read_text()).get("metadata", {}).get("papermill", {})
        name = path.stem
        out = notebook_outputs(name, meta.get("parameters", {}), report=False, create=False)
        print("   " + out.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
