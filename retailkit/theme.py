"""The course theme: one fixed colour per scenario and per channel, plot defaults, display options.

Colours come from the Okabe-Ito palette, which stays distinguishable under the common forms of
colour blindness.  ``rk.setup()`` applies everything; the colour maps are plain dictionaries so a
plot can use them without calling it.
"""

from __future__ import annotations

import warnings

__all__ = ["setup", "SCENARIO_COLORS", "CHANNEL_COLORS", "color_for", "PALETTE"]

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

SCENARIO_COLORS = {
    "traffic_first": "#D55E00",  # vermillion: the traffic lens
    "retention_first": "#0072B2",  # blue: the reserve lens
    "textbook": "#6E6E6E",  # grey: the reference world
}

CHANNEL_COLORS = {
    "organic": "#009E73",
    "search_ads": "#56B4E9",
    "social_ads": "#CC79A7",
    "coupon_subsidy": "#E69F00",
    "referral": "#882255",  # Tol's wine: keeps blue for retention_first
    "offline": "#000000",
    "retention": "#999999",
}


def color_for(name: str) -> str:
    """The course colour of a scenario or channel (a stable fallback for other names)."""
    if name in SCENARIO_COLORS:
        return SCENARIO_COLORS[name]
    if name in CHANNEL_COLORS:
        return CHANNEL_COLORS[name]
    return PALETTE[sum(map(ord, name)) % len(PALETTE)]


def setup(*, context: str = "notebook", dpi: int = 100) -> dict:
    """Apply the course theme and return the colour maps.

    - matplotlib/seaborn: white grid style, the colour-blind-safe palette, readable sizes, titles
      and labels on, a fixed figure size and resolution (so stored notebook outputs are stable);
    - pandas: wide display, thousands separators off (numbers stay copyable), 4 significant digits;
    - warnings: retailkit's own warnings always shown; known noise from third-party libraries
      (deprecations inside Jupyter's stack) hidden.
    """
    import matplotlib as mpl
    import pandas as pd
    import seaborn as sns

    sns.set_theme(context=context, style="whitegrid", palette=PALETTE)
    mpl.rcParams.update({
        "figure.figsize": (8.0, 4.5),
        "figure.dpi": dpi,
        "savefig.dpi": dpi,
        "axes.titlesize": "large",
        "axes.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "figure.autolayout": True,
    })
    pd.set_option("display.width", 120)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_colwidth", 60)
    pd.set_option("display.precision", 4)
    warnings.filterwarnings("always", module="retailkit")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="(jupyter|ipykernel|zmq|tornado).*")
    # tqdm.auto announces on import that ipywidgets is missing; its bars then fall back to text
    warnings.filterwarnings("ignore", message="IProgress not found")
    return {"scenarios": dict(SCENARIO_COLORS), "channels": dict(CHANNEL_COLORS)}
