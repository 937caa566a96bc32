"""Scores of binary predictions: AUC, Brier score, calibration table and reliability diagram."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter
from scipy import stats

from retailkit.churn._common import _scores
from retailkit.errors import InputError
from retailkit.theme import color_for

__all__ = ["auc", "brier_score", "calibration_table", "plot_calibration"]


def auc(y, p) -> float:
    """Area under the ROC curve via the Mann-Whitney rank formula.

    ``AUC = (R_1 - n_1 (n_1 + 1) / 2) / (n_1 n_0)`` with ``R_1`` the sum of the (average, so ties
    count one half) ranks of the positives: the probability that a random positive scores higher
    than a random negative.

    Parameters
    ----------
    y : array_like
        Outcomes, 0/1 or boolean.
    p : array_like
        Scores (any real numbers; only their order matters).

    Returns
    -------
    float

    Raises
    ------
    InputError
        Lengths differ, non-binary ``y``, missing scores, or only one class present.
    """
    yv, pv = _scores(y, p, "auc")
    n1 = yv.sum()
    n0 = len(yv) - n1
    if n1 == 0 or n0 == 0:
        raise InputError(f"auc: y holds only {'negatives' if n1 == 0 else 'positives'}; the AUC needs both classes.")
    ranks = stats.rankdata(pv)
    return float((ranks[yv == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def brier_score(y, p) -> float:
    """Mean squared difference between predicted probabilities and 0/1 outcomes (lower is better)."""
    yv, pv = _scores(y, p, "brier_score")
    return float(np.mean((pv - yv) ** 2))


def calibration_table(y, p, *, bins: int = 10, strategy: str = "quantile", alpha: float = 0.05) -> pd.DataFrame:
    """Predicted against observed rates by bin of predicted probability.

    Parameters
    ----------
    y : array_like
        Outcomes, 0/1 or boolean.
    p : array_like
        Predicted probabilities in [0, 1].
    bins : int, default 10
        Number of bins.
    strategy : {"quantile", "uniform"}, default "quantile"
        Bins of (about) equal counts, or of equal width on [0, 1].  Quantile edges that coincide
        (many tied predictions, e.g. P(alive) = 1 for every one-time buyer) are merged, so there can
        be fewer bins than asked; tied predictions always share a bin.
    alpha : float, default 0.05
        Wilson intervals for the observed rate have coverage ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty bin: ``bin`` (1, 2, ...), ``p_min``, ``p_max``, ``n``,
        ``mean_predicted``, ``observed_rate``, ``ci_lower``, ``ci_upper``.  ``attrs``:
        ``brier_score``, ``ece`` (expected calibration error: count-weighted mean of
        ``|mean_predicted - observed_rate|``), ``strategy``, ``bins_requested``.

    Raises
    ------
    InputError
        Bad ``y`` or ``p`` (see :func:`auc`), ``p`` outside [0, 1], a bad ``bins`` or ``strategy``.
    """
    from statsmodels.stats.proportion import proportion_confint

    func = "calibration_table"
    yv, pv = _scores(y, p, func)
    if np.any((pv < 0) | (pv > 1)):
        raise InputError(f"{func}: p must be probabilities in [0, 1]; got {pv.min():.4g} to {pv.max():.4g}.")
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise InputError(f"{func}: bins must be a whole number >= 1, got {bins!r}.")
    if strategy == "quantile":
        edges = np.unique(np.quantile(pv, np.linspace(0, 1, bins + 1)))
    elif strategy == "uniform":
        edges = np.round(np.linspace(0, 1, bins + 1), 12)  # 0.6, not 0.6000000000000001
    else:
        raise InputError(f"{func}: strategy must be 'quantile' or 'uniform', got {strategy!r}.")
    which = np.searchsorted(edges[1:-1], pv, side="right")
    k = max(len(edges) - 1, 1)
    n = np.bincount(which, minlength=k)
    pos = np.bincount(which, weights=yv, minlength=k)
    psum = np.bincount(which, weights=pv, minlength=k)
    pmin = np.full(k, np.inf)
    pmax = np.full(k, -np.inf)
    np.minimum.at(pmin, which, pv)
    np.maximum.at(pmax, which, pv)
    keep = n > 0
    n, pos, psum, pmin, pmax = n[keep], pos[keep], psum[keep], pmin[keep], pmax[keep]
    lo, hi = proportion_confint(pos, n, alpha=alpha, method="wilson")
    out = pd.DataFrame({
        "bin": np.arange(1, len(n) + 1), "p_min": pmin, "p_max": pmax, "n": n, "mean_predicted": psum / n,
        "observed_rate": pos / n, "ci_lower": lo, "ci_upper": hi,
    })
    out.attrs.update(
        brier_score=float(np.mean((pv - yv) ** 2)),
        ece=float(np.sum(n * np.abs(psum / n - pos / n)) / n.sum()),
        strategy=strategy, bins_requested=int(bins), alpha=alpha,
    )
    return out


def plot_calibration(table: pd.DataFrame, *, hue: str | None = None, ax=None, title: str | None = None):
    """Reliability diagram: observed rate (with its interval) against mean predicted probability.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`calibration_table`, or several stacked with a label column (as
        ``ChurnScoreComparison.calibration``, ``hue="score"``).
    hue : str, optional
        Label column, one colour per value.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    need = {"mean_predicted", "observed_rate", "ci_lower", "ci_upper"}
    if not isinstance(table, pd.DataFrame) or not need <= set(table.columns):
        raise InputError(f"plot_calibration: expected the output of calibration_table (columns {sorted(need)}).")
    if ax is None:
        _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], ls="--", color="#999999", lw=1, label="perfect calibration")
    groups = table.groupby(hue, sort=False, observed=True) if hue else [("model", table)]
    for key, g in groups:
        label = str(key[0] if isinstance(key, tuple) else key)
        color = color_for(label)
        err = np.vstack([g["observed_rate"] - g["ci_lower"], g["ci_upper"] - g["observed_rate"]])
        ax.errorbar(g["mean_predicted"], g["observed_rate"], yerr=err, marker="o", ms=4, capsize=2, color=color,
                    label=label)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("mean predicted probability in the bin")
    ax.set_ylabel("observed share in the bin")
    ax.set_title(title or "Calibration: predicted against observed")
    ax.legend(loc="upper left")
    return ax
