"""One figure style for every notebook, one set of colours, and saving figures as PNG and PDF.

Colours carry meaning across figures: the baseline is always :data:`CONDITION_COLOURS` blue, the
dreaming agent with the paper's schedule orange, the dreaming setup without dreams grey
(:data:`NO_DREAMS_COLOUR`); any other categories (settings of a study) take distinct colours of a
qualitative, colour-blind-safe palette (:func:`category_colours`), never neighbouring shades of
one colour map.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import seaborn as sns

FIGURES = Path(__file__).resolve().parent.parent / "figures"
CONDITION_COLOURS = {"baseline": "#4C72B0", "dreaming": "#DD8452"}
NO_DREAMS_COLOUR = "#7f7f7f"
"""The dreaming setup run without dreams (the control of notebooks 04 and 08)."""
QUALITATIVE = ("#029e73", "#cc78bc", "#000000", "#56b4e9", "#8c564b", "#c44e52", "#bcbd22", "#17becf")
"""Distinct colours for categories: green, pink, black, sky blue, brown, red, olive, cyan (none of
them close to the conditions' blue and orange or to the no-dreams grey)."""
RETURN_LABEL = "mean return per game\n(50-game blocks, smoothed)"
"""Y label of the paper's learning curves (:func:`neurodream.analysis.learning_curves`)."""


def use_style() -> None:
    """Seaborn 'ticks' with a colour-blind palette and readable sizes; constrained layout."""
    sns.set_theme(context="notebook", style="ticks", palette="colorblind")
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "axes.spines.top": False,
                         "axes.spines.right": False, "figure.constrained_layout.use": True,
                         "legend.fontsize": 9})


def category_colours(labels, fixed: dict | None = None) -> dict:
    """A colour per label: those in ``fixed`` keep theirs, the others take :data:`QUALITATIVE` in order."""
    fixed = dict(fixed or {})
    free = iter(c for c in QUALITATIVE if c not in fixed.values())
    return {label: fixed[label] if label in fixed else next(free) for label in labels}


def save(fig, name: str, directory: Path | str | None = None) -> Path:
    """Write ``name``.png and ``name``.pdf (figures/ by default); returns the PNG path. The saved
    area grows to take in every label, title and legend (nothing is clipped)."""
    out = Path(directory) if directory is not None else FIGURES
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{name}.png"
    fig.savefig(png, bbox_inches="tight", pad_inches=0.08)
    fig.savefig(out / f"{name}.pdf", bbox_inches="tight", pad_inches=0.08,
                metadata={"CreationDate": None})  # same figure, same bytes
    return png


def legend_outside(fig, axes=None, **kw):
    """One legend for the whole figure, below the panels (or where ``loc`` says, e.g.
    ``"outside right upper"``), with each label once (from ``axes``, default all). Below, it never
    meets a figure title; ``ncols`` defaults to 3."""
    handles, labels = [], []
    for ax in (axes if axes is not None else fig.axes):
        for h, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels and not label.startswith("_"):
                handles.append(h)
                labels.append(label)
    kw.setdefault("loc", "outside lower center")
    if kw["loc"] == "outside lower center":
        kw.setdefault("ncols", min(3, len(labels)))
    return fig.legend(handles, labels, **kw)


def setting_curves(bands, settings, title: str, *, by_condition: bool = True, colours: dict | None = None,
                   random_mean: float | None = None, random_label: str = "random policy"):
    """Mean learning curve of each setting (lines, in the order of ``settings``), one panel per
    condition (``by_condition``) or all in one panel when the settings already tell the runs apart;
    ``bands`` from :func:`neurodream.analysis.curve_bands` with a ``setting`` column. ``colours``:
    a colour per setting (default :func:`category_colours`); ``random_mean``: the random policy's
    return, drawn as a dotted line labelled ``random_label``. The legend stands below the panels."""
    panels = [c for c in CONDITION_COLOURS if c in set(bands.condition)] if by_condition else [None]
    fig, axes = plt.subplots(1, len(panels), figsize=(max(6.0 * len(panels), 9.0), 5.2), sharey=True,
                             squeeze=False, layout="constrained")
    colours = colours or category_colours(settings)
    for ax, cond in zip(axes[0], panels):
        for setting in settings:
            b = bands[(bands.setting == setting) & ((bands.condition == cond) if cond else True)]
            if len(b):
                ax.plot(b.game, b["mean"], color=colours[setting], lw=1.8,
                        label=f"{setting} ({int(b.runs.max())} runs)")
        if random_mean is not None:
            ax.axhline(random_mean, ls=":", color="k", lw=1, label=random_label)
        ax.set(xlabel="real games played", title=f"{cond} agent" if cond else "")
    axes[0, 0].set_ylabel(RETURN_LABEL)
    legend_outside(fig)
    fig.suptitle(title)
    return fig


def swarm_offsets(values, *, step: float = 0.06, close: float = 0.05, widest: float = 0.3):
    """Horizontal offsets for a column of dots (a simple beeswarm), in the order of ``values``: a dot
    whose value lies within ``close`` (data units) of a dot already placed moves sideways by
    multiples of ``step``, alternately right and left, so that tied values (e.g. runs at the floor
    of -2) stand side by side instead of on top of each other. Offsets are scaled down to stay within
    ``widest``. Dots far from all others stay on the centre line."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    offsets = np.zeros(values.size)
    placed: list[int] = []
    candidates = [0.0] + [s * k * step for k in range(1, values.size + 1) for s in (1, -1)]
    for i in order:
        near = [j for j in placed if abs(values[j] - values[i]) < close]
        for c in candidates:
            if all(abs(offsets[j] - c) >= step * 0.99 for j in near):
                offsets[i] = c
                break
        placed.append(i)
    largest = np.abs(offsets).max() if values.size else 0.0
    return offsets * (widest / largest) if largest > widest else offsets
