"""Plots for the experiment analyses: Qini curves and event-study profiles.

Each takes the tidy output (or results object) of an analysis and returns the Axes it drew on,
titled and labelled with units, in the course palette (:mod:`retailkit.theme`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from retailkit.errors import InputError
from retailkit.theme import PALETTE

__all__ = ["plot_qini", "plot_event_study"]

_TRUTH_COLOR = "#6E6E6E"


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def plot_qini(curve: pd.DataFrame, *, ax=None, title: str | None = None, show_truth: bool = True):
    """Draw the Qini (uplift) curves of :func:`retailkit.experiments.qini_curve`.

    Solid lines: estimated incremental outcomes from treating the top share of customers by each
    score (legend: the Qini coefficient).  Dashed grey: random targeting.  Dotted: the true curves
    when the data carried the true effects.
    """
    need = {"score", "fraction_targeted", "incremental", "random"}
    if not isinstance(curve, pd.DataFrame) or not need <= set(curve.columns):
        raise InputError(f"plot_qini: expected the frame returned by qini_curve (columns {sorted(need)}).")
    ax = _axes(ax)
    qini = curve.attrs.get("qini_coefficient", {})
    truth = show_truth and "true_incremental" in curve
    for i, (name, part) in enumerate(curve.groupby("score", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        label = f"{name} (Qini {qini[name]:,.1f})" if name in qini else str(name)
        ax.plot(part["fraction_targeted"], part["incremental"], color=color, lw=2, label=label)
        if truth:
            ax.plot(part["fraction_targeted"], part["true_incremental"], color=color, lw=1.5, ls=":",
                    label=f"{name}: truth")
        if i == 0:
            ax.plot(part["fraction_targeted"], part["random"], color=_TRUTH_COLOR, ls="--", lw=1.2,
                    label="random targeting")
    outcome = curve.attrs.get("outcome", "outcome")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Customers targeted, best-scored first (% of customers)")
    ax.set_ylabel(f"Incremental {outcome} (customers)")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_title(title or "Qini curve: extra outcomes from targeting by each score")
    ax.legend(frameon=False)
    return ax


def _event_frame(obj) -> pd.DataFrame:
    if hasattr(obj, "to_frame"):
        frame = obj.to_frame()
    elif isinstance(obj, pd.DataFrame):
        frame = obj
    else:
        raise InputError(f"plot_event_study: cannot plot a {type(obj).__name__}; pass an event_study or "
                         "group_time_att result, its to_frame(), or a dict of them.")
    need = {"event_time", "estimate", "ci_lower", "ci_upper"}
    if not need <= set(frame.columns):
        raise InputError(f"plot_event_study: the table lacks column(s) {sorted(need - set(frame.columns))}; it has "
                         f"{list(frame.columns)}. Pass an event-time profile (event_study or group_time_att).")
    return frame


def plot_event_study(results, *, ax=None, title: str | None = None, show_truth: bool = True,
                     ylabel: str | None = None):
    """Draw event-time profiles: estimate and interval for each period relative to adoption.

    Parameters
    ----------
    results : DiDResult, GroupTimeResult, pandas.DataFrame or dict
        One profile (an :func:`event_study` or :func:`group_time_att` result or its ``to_frame()``),
        or ``{label: profile}`` to overlay several (e.g. TWFE event study vs group-time), dodged.
    ax : matplotlib Axes, optional
    title, ylabel : str, optional
    show_truth : bool
        Draw the true effect by event time (grey line) when the profile carries ``truth``.

    The dashed vertical line separates pre-adoption periods (placebos: should sit near 0 if trends
    are parallel) from post-adoption effects; ``e = -1`` is the reference, fixed at 0 (hollow).
    """
    if not isinstance(results, dict):
        results = {None: results}
    frames = {label: _event_frame(obj) for label, obj in results.items()}
    ax = _axes(ax)
    k = len(frames)
    width = 0.5 if k > 1 else 0.0
    truth_drawn = False
    for i, (label, f) in enumerate(frames.items()):
        f = f.sort_values("event_time")
        color = PALETTE[i % len(PALETTE)]
        shift = (i - (k - 1) / 2) * (width / max(k - 1, 1)) if k > 1 else 0.0
        x = f["event_time"].to_numpy(dtype=float) + shift
        ref = f["reference"].to_numpy(dtype=bool) if "reference" in f else np.zeros(len(f), bool)
        est = f["estimate"].to_numpy(dtype=float)
        lo, hi = f["ci_lower"].to_numpy(dtype=float), f["ci_upper"].to_numpy(dtype=float)
        yerr = np.vstack([est - lo, hi - est])
        ax.errorbar(x[~ref], est[~ref], yerr=yerr[:, ~ref], fmt="o", ms=4, color=color, capsize=2, lw=1.2,
                    label=label if label is not None else "estimate (95% CI)" if i == 0 else None)
        ax.plot(x[ref], est[ref], "o", mfc="white", color=color, ms=5)
        if "band_lower" in f and f["band_lower"].notna().any():
            ax.fill_between(x, f["band_lower"], f["band_upper"], color=color, alpha=0.12, lw=0)
        if show_truth and not truth_drawn and "truth" in f and f["truth"].notna().any():
            t = f.dropna(subset=["truth"])
            ax.plot(t["event_time"], t["truth"], color=_TRUTH_COLOR, lw=1.5, ls="-", label="true effect", zorder=0)
            truth_drawn = True
    ax.axhline(0, color="black", lw=0.6)
    ax.axvline(-0.5, color=_TRUTH_COLOR, ls="--", lw=1)
    ax.set_xlabel("Periods since adoption (e = t - g; e = -1 is the reference)")
    first = next(iter(frames.values()))
    ax.set_ylabel(ylabel or f"Effect on {first.attrs.get('outcome', 'the outcome')} (outcome units)")
    ax.set_title(title or "Event study: effect by periods since adoption")
    if any(label is not None for label in frames) or truth_drawn:
        ax.legend(frameon=False)
    return ax
