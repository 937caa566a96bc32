"""Churn: an operational definition, a logistic churn model, calibration and AUC, and P(alive).

In a non-contractual store nobody announces that they have left, so "churn" is a definition:

* :func:`churn_labels` -- operational churn: no purchase in the ``inactive_days`` days up to
  ``observation_end``; :func:`churn_sensitivity` shows how the churned share moves with that choice
  (plot: :func:`plot_churn_sensitivity`).
* :func:`churn_features` -- recency, frequency, monetary value, tenure and channel at a cut-off
  date, and the label from the period *after* it (did the customer buy in the next ``horizon_days``
  days?): a time split, so no feature sees the label period.
* :func:`fit_churn_model` -- logistic regression with a formula (patsy + ``statsmodels`` ``Logit``).
* :func:`auc`, :func:`brier_score`, :func:`calibration_table` (plot: :func:`plot_calibration`).
* :func:`compare_churn_scores` -- the logistic model against BG/NBD's P(alive) (and BG/NBD's own
  probability of a purchase in the horizon) on the same customers and the same future period.

Per-customer tables are indexed by customer, as :func:`retailkit.rfm_summary`.
"""

from retailkit.churn.compare import DEFAULT_CHURN_FORMULA as DEFAULT_CHURN_FORMULA  # module constant, as before
from retailkit.churn.compare import ChurnScoreComparison, compare_churn_scores
from retailkit.churn.features import churn_features
from retailkit.churn.labels import churn_labels, churn_sensitivity, plot_churn_sensitivity
from retailkit.churn.model import ChurnModelResults, fit_churn_model
from retailkit.churn.scores import auc, brier_score, calibration_table, plot_calibration

__all__ = [
    "churn_labels",
    "churn_sensitivity",
    "plot_churn_sensitivity",
    "churn_features",
    "fit_churn_model",
    "ChurnModelResults",
    "auc",
    "brier_score",
    "calibration_table",
    "plot_calibration",
    "compare_churn_scores",
    "ChurnScoreComparison",
]
