"""The logistic churn model against BG/NBD P(alive) on the same customers and future period."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retailkit._logs import RowsLeftOutWarning
from retailkit.churn._common import _check_days
from retailkit.churn.features import churn_features
from retailkit.churn.model import ChurnModelResults, fit_churn_model
from retailkit.churn.scores import auc, calibration_table
from retailkit.errors import InputError

__all__ = ["compare_churn_scores", "ChurnScoreComparison"]


DEFAULT_CHURN_FORMULA = ("buys_next ~ np.log1p(recency_days) + np.log1p(frequency) + np.log1p(monetary) "
                         "+ np.log1p(tenure_days)")


@dataclass(frozen=True)
class ChurnScoreComparison:
    """Result of :func:`compare_churn_scores` (immutable).

    Attributes
    ----------
    metrics : pandas.DataFrame
        One row per score: ``auc``, ``brier_score``, ``ece``, ``mean_score``, ``observed_rate``, ``n``.
    scores : pandas.DataFrame
        Indexed by customer: ``buys_next`` and one column per score.
    calibration : pandas.DataFrame
        :func:`calibration_table` of every score, stacked with a ``score`` column.
    logit : ChurnModelResults
        The logistic model, fitted on the earlier cut-off.
    bgnbd : BetaGeoResults
        BG/NBD fitted on the purchases up to the cut-off.
    cutoff, train_cutoff : pandas.Timestamp
    horizon_days : int
    """

    metrics: pd.DataFrame
    scores: pd.DataFrame
    calibration: pd.DataFrame
    logit: ChurnModelResults
    bgnbd: object
    cutoff: pd.Timestamp
    train_cutoff: pd.Timestamp
    horizon_days: int


def compare_churn_scores(transactions: pd.DataFrame, *, cutoff, horizon_days: int = 90, train_cutoff=None,
                         formula: str | None = None, bins: int = 10, observation_end=None,
                         customer_col: str = "customer_id", datetime_col: str = "order_date",
                         monetary_col: str = "amount", channel_col: str | None = "channel") -> ChurnScoreComparison:
    """Logistic churn model against BG/NBD P(alive) as scores for "buys in the next N days".

    Everything is scored on the same customers (first purchase on or before ``cutoff``) against the
    same outcome: a purchase in ``(cutoff, cutoff + horizon_days]``.  Neither score sees that window:

    * ``logit``: :func:`fit_churn_model` fitted on :func:`churn_features` at ``train_cutoff``
      (default ``cutoff - horizon_days``, so its label window ends on ``cutoff``), then applied to
      the features at ``cutoff``;
    * ``bgnbd_p_alive``: :meth:`BetaGeoResults.prob_alive` from BG/NBD fitted on
      ``rfm_summary(transactions, observation_end=cutoff, time_unit="W")``.  It is the probability
      of being a customer still, not of buying soon: it is miscalibrated for this outcome and can
      rank poorly (every one-time buyer has P(alive) = 1 in BG/NBD);
    * ``bgnbd_p_buy``: BG/NBD's own probability of at least one purchase in the horizon,
      ``P(alive) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x))`` (given alive at ``T`` the purchase
      rate is Gamma(r + x, alpha + T), and a customer who does not buy cannot drop out).

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log with amounts (and a channel column unless ``channel_col=None``).
    cutoff : date-like
        Scoring day.
    horizon_days : int, default 90
        The outcome window.
    train_cutoff : date-like, optional
        Cut-off of the training features; its label window must end on or before ``cutoff``.
    formula : str, optional
        Logistic formula on the :func:`churn_features` columns; default
        ``DEFAULT_CHURN_FORMULA`` plus ``C(channel)`` when there are several channels.
    bins : int, default 10
        Quantile bins of the calibration tables.
    observation_end, customer_col, datetime_col, monetary_col, channel_col
        As in :func:`churn_features`.

    Returns
    -------
    ChurnScoreComparison

    Raises
    ------
    InputError
        A training window that overlaps the outcome window, a window beyond the data, and what
        :func:`churn_features`, :func:`fit_churn_model` and ``BetaGeo.fit`` reject.
    """
    from retailkit.clv import BetaGeo
    from retailkit.prep import rfm_summary

    func = "compare_churn_scores"
    _check_days(horizon_days, "horizon_days", func)
    cut = pd.Timestamp(cutoff).normalize()
    train = cut - pd.Timedelta(days=horizon_days) if train_cutoff is None else pd.Timestamp(train_cutoff).normalize()
    if train + pd.Timedelta(days=horizon_days) > cut:
        raise InputError(
            f"{func}: the training labels ({train.date()}, {(train + pd.Timedelta(days=horizon_days)).date()}] "
            f"reach past the cutoff {cut.date()}, so the model would learn from the period it is judged on. "
            f"Use train_cutoff <= {(cut - pd.Timedelta(days=horizon_days)).date()}."
        )
    common = dict(customer_col=customer_col, datetime_col=datetime_col, monetary_col=monetary_col,
                  channel_col=channel_col)
    with warnings.catch_warnings():  # rows outside each window are left out by design
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        train_frame = churn_features(transactions, cutoff=train, horizon_days=horizon_days, **common)
        test_frame = churn_features(transactions, cutoff=cut, horizon_days=horizon_days,
                                    observation_end=observation_end, **common)
        summary = rfm_summary(transactions, customer_col=customer_col, datetime_col=datetime_col, monetary_col=None,
                              observation_end=cut, time_unit="W")
    if formula is None:
        formula = DEFAULT_CHURN_FORMULA
        if channel_col and train_frame[channel_col].nunique() > 1:
            formula += f" + C({channel_col})"
    logit = fit_churn_model(train_frame, formula)
    bg = BetaGeo.fit(summary)
    summary = summary.loc[test_frame.index]
    p_alive = bg.prob_alive(summary).to_numpy()
    r, alpha = float(bg.params["r"]), float(bg.params["alpha"])
    t = horizon_days / 7.0
    x, T = summary["frequency"].to_numpy(), summary["T"].to_numpy()
    p_buy = p_alive * -np.expm1((r + x) * np.log((alpha + T) / (alpha + T + t)))
    scores = pd.DataFrame({
        "buys_next": test_frame["buys_next"], "logit": logit.predict(test_frame).to_numpy(),
        "bgnbd_p_alive": p_alive, "bgnbd_p_buy": p_buy,
    }, index=test_frame.index)
    y = scores["buys_next"].to_numpy()
    rows, calib = [], []
    for name in ("logit", "bgnbd_p_alive", "bgnbd_p_buy"):
        s = scores[name].to_numpy()
        table = calibration_table(y, s, bins=bins)
        rows.append({"score": name, "auc": auc(y, s), "brier_score": table.attrs["brier_score"],
                     "ece": table.attrs["ece"], "mean_score": float(s.mean()), "observed_rate": float(y.mean()),
                     "n": len(s)})
        calib.append(table.assign(score=name))
    return ChurnScoreComparison(
        metrics=pd.DataFrame(rows).set_index("score"), scores=scores,
        calibration=pd.concat(calib, ignore_index=True), logit=logit, bgnbd=bg, cutoff=cut,
        train_cutoff=train, horizon_days=int(horizon_days),
    )
