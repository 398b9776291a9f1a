"""One figure style for every notebook, and saving figures as PNG and PDF into figures/."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import seaborn as sns

FIGURES = Path(__file__).resolve().parent.parent / "figures"
CONDITION_COLOURS = {"baseline": "#4C72B0", "dreaming": "#DD8452"}


def use_style() -> None:
    """Seaborn 'ticks' with a colour-blind palette and readable sizes."""
    sns.set_theme(context="notebook", style="ticks", palette="colorblind")
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "axes.spines.top": False,
                         "axes.spines.right": False, "figure.constrained_layout.use": True})


def save(fig, name: str, directory: Path | str | None = None) -> Path:
    """Write ``name``.png and ``name``.pdf (figures/ by default); returns the PNG path."""
    out = Path(directory) if directory is not None else FIGURES
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{name}.png"
    fig.savefig(png)
    fig.savefig(out / f"{name}.pdf", metadata={"CreationDate": None})  # same figure, same bytes
    return png


def setting_curves(bands, settings, title: str, *, by_condition: bool = True):
    """Mean learning curve of each setting (lines, in the order of ``settings``), one panel per
    condition (``by_condition``) or all in one panel when the settings already tell the runs apart;
    ``bands`` from :func:`neurodream.analysis.curve_bands` with a ``setting`` column."""
    panels = [c for c in CONDITION_COLOURS if c in set(bands.condition)] if by_condition else [None]
    fig, axes = plt.subplots(1, len(panels), figsize=(max(6.5 * len(panels), 10.0), 4.5), sharey=True, squeeze=False)
    colours = sns.color_palette("viridis", len(settings))
    for ax, cond in zip(axes[0], panels):
        for colour, setting in zip(colours, settings):
            b = bands[(bands.setting == setting) & ((bands.condition == cond) if cond else True)]
            if len(b):
                ax.plot(b.game, b["mean"], color=colour, label=f"{setting} ({int(b.runs.max())} runs)")
        ax.set(xlabel="real games played", ylabel="mean return per game (50-game blocks, smoothed)", title=cond or "")
        ax.legend(fontsize=8)
    fig.suptitle(title)
    return fig
