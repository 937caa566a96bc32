"""Plots of survival estimates: Kaplan-Meier step curves with bands, Cox per-customer curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from retailkit.errors import InputError
from retailkit.theme import color_for

__all__ = ["plot_survival", "plot_survival_curves"]

_UNIT_NAMES = {"D": "days", "W": "weeks", "M": "months", "Y": "years", "periods": "periods"}


def _time_label(unit) -> str:
    return f"time since start ({_UNIT_NAMES.get(unit, unit)})" if unit else "time since start"


def _label_column(table: pd.DataFrame, hue):
    """The labels of each row's curve and the name shown in the legend title."""
    by = table.attrs.get("by", [])
    if hue is None:
        hue = by if len(by) != 1 else by[0]
    if isinstance(hue, list | tuple):
        if not hue:
            return pd.Series("all", index=table.index), None
        missing = [c for c in hue if c not in table.columns]
        if missing:
            raise InputError(f"plot_survival: hue column(s) {missing} not in the table ({list(table.columns)}).")
        labels = table[list(hue)].astype(str).agg(" / ".join, axis=1)
        return labels, " / ".join(hue)
    if hue not in table.columns:
        raise InputError(f"plot_survival: hue column {hue!r} not in the table (columns {list(table.columns)}).")
    return table[hue].astype(str), hue


def plot_survival(km_table: pd.DataFrame, *, hue=None, ax=None, ci: bool = True, title: str | None = None,
                  xlabel: str | None = None, ylabel: str | None = None, show_median: bool = True):
    """Kaplan-Meier step curves with their pointwise bands, one colour per group.

    Parameters
    ----------
    km_table : pandas.DataFrame
        Output of :func:`kaplan_meier`.
    hue : str or list of str, optional
        Group column(s) to colour by; default the table's ``by`` columns.
    ax : matplotlib Axes, optional
        Where to draw (a new figure when omitted).
    ci : bool, default True
        Draw the ``1 - alpha`` pointwise bands.
    title, xlabel, ylabel : str, optional
        Override the default title and axis labels (the x label names the time unit when the table
        knows it), e.g. ``ylabel="share without a second purchase"``.
    show_median : bool, default True
        Put each group's median survival in its legend entry.

    Returns
    -------
    matplotlib.axes.Axes
    """
    need = {"time", "survival", "ci_lower", "ci_upper"}
    if not isinstance(km_table, pd.DataFrame) or not need <= set(km_table.columns):
        raise InputError(f"plot_survival: expected the output of kaplan_meier with columns {sorted(need)}.")
    if ax is None:
        _, ax = plt.subplots()
    labels, hue_name = _label_column(km_table, hue)
    # one curve per group of the table's ``by`` columns; ``hue`` only names and colours them, so
    # it must hold one value per curve (the groups themselves, or a relabelling of them)
    by = km_table.attrs.get("by", [])
    curve = km_table[by].astype(str).agg(" / ".join, axis=1) if by else labels  # no groups known: hue's
    pairs = pd.DataFrame({"curve": curve.to_numpy(), "label": labels.to_numpy()}).drop_duplicates()
    if pairs["curve"].duplicated().any():
        raise InputError(f"plot_survival: hue {hue_name!r} changes within one Kaplan-Meier curve (the table is by "
                         f"{by}); colour by the table's groups or by a column constant within each.")
    if pairs["label"].duplicated().any():
        shared = pairs.loc[pairs["label"].duplicated(), "label"].iloc[0]
        raise InputError(f"plot_survival: hue {hue_name!r} gives the label {shared!r} to several curves (the table "
                         f"is by {by}); pass hue={by!r}, or estimate kaplan_meier by {hue_name!r} alone.")
    med = pd.DataFrame(km_table.attrs.get("median") or [])
    if len(med):
        keys = med[by].astype(str).agg(" / ".join, axis=1) if by else pd.Series(["all"])
        max_time = dict(zip(keys, med["max_time"], strict=True))
        medians = dict(zip(keys, med["median"], strict=True))
    else:
        max_time, medians = {}, {}
    for key, label in zip(pairs["curve"], pairs["label"], strict=True):
        rows = km_table[(curve == key).to_numpy()]
        t = np.r_[0.0, rows["time"].to_numpy()]
        s = np.r_[1.0, rows["survival"].to_numpy()]
        end = max_time.get(key, t[-1])
        if end > t[-1]:  # flat to the longest follow-up
            t, s = np.r_[t, end], np.r_[s, s[-1]]
        color = color_for(str(label))
        name = str(label) if hue_name else "all customers"
        m = medians.get(key)
        if show_median and m is not None:
            name += f" (median {m:,.4g})" if np.isfinite(m) else " (median not reached)"
        ax.step(t, s, where="post", color=color, label=name, lw=1.8)
        if ci:
            lo = np.r_[1.0, rows["ci_lower"].to_numpy()]
            hi = np.r_[1.0, rows["ci_upper"].to_numpy()]
            if len(lo) < len(t):
                lo, hi = np.r_[lo, lo[-1]], np.r_[hi, hi[-1]]
            ax.fill_between(t, lo, hi, step="post", color=color, alpha=0.18, lw=0)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(ylabel or "share without the event, S(t)")
    ax.set_xlabel(xlabel or _time_label(km_table.attrs.get("time_unit")))
    level = km_table.attrs.get("alpha")
    band = f", {100 * (1 - level):g}% pointwise bands" if ci and level else ""
    ax.set_title(title or f"Kaplan-Meier estimate{' by ' + hue_name if hue_name else ''}{band}")
    ax.legend(title=hue_name, loc="best")
    return ax


def plot_survival_curves(curves: pd.DataFrame, *, ax=None, title: str | None = None, xlabel: str | None = None,
                         time_unit: str | None = None, colors=None):
    """Per-customer survival curves, e.g. from :meth:`CoxPHResults.survival_function`.

    Parameters
    ----------
    curves : pandas.DataFrame
        Wide: one row per customer, one column per time (the default output of
        ``survival_function``).  Row labels become the legend entries.
    ax : matplotlib Axes, optional
    title, xlabel : str, optional
    time_unit : str, optional
        Unit named in the default x label ("D", "W", "periods", ...).
    colors : dict, optional
        Row label -> colour; default the course colour of the label.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(curves, pd.DataFrame) or curves.shape[1] == 0:
        raise InputError("plot_survival_curves: expected a wide DataFrame, one row per customer, one column per time.")
    if ax is None:
        _, ax = plt.subplots()
    t = np.r_[0.0, np.asarray(curves.columns, dtype=float)]
    for label, row in curves.iterrows():
        color = (colors or {}).get(label, color_for(str(label)))
        ax.step(t, np.r_[1.0, row.to_numpy(dtype=float)], where="post", color=color, label=str(label), lw=1.8)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("share without the event, S(t | x)")
    ax.set_xlabel(xlabel or _time_label(time_unit))
    ax.set_title(title or "Survival curves from the Cox model")
    if len(curves) <= 12:
        ax.legend(loc="best")
    return ax
