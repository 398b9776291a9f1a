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


def figure_dir(quick: bool) -> Path:
    """figures/, or figures/quick/ (not committed) for the small runs of ``make figures QUICK=1``."""
    out = FIGURES / "quick" if quick else FIGURES
    out.mkdir(parents=True, exist_ok=True)
    return out


def save(fig, name: str, directory: Path | str | None = None) -> Path:
    """Write ``name``.png and ``name``.pdf (figures/ by default); returns the PNG path."""
    out = Path(directory) if directory is not None else FIGURES
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{name}.png"
    fig.savefig(png)
    fig.savefig(out / f"{name}.pdf")
    return png
