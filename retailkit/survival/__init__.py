"""How long customers stay: survival data, Kaplan-Meier, log-rank tests and Cox models.

Data (one row per customer or membership, with ``duration`` and ``event``):

* :func:`time_to_second_purchase` -- from the first purchase day to the second purchase day
  (non-contractual: the event is a repeat purchase); :func:`time_to_next_purchase` from the k-th
  to the next, for the customers who got that far;
* :func:`membership_lifetimes` -- paid memberships in renewal periods or days (contractual: the
  event is the lapse).

Estimators (statsmodels underneath, tidy tables out):

* :func:`kaplan_meier` (``SurvfuncRight``), :func:`median_survival`, :func:`survival_at`;
* :func:`logrank_test` (``survdiff``) returning a :class:`LogrankResult`;
* :func:`cox_ph` / :meth:`CoxPH.fit` (``PHReg``, or a vectorised engine for large data) returning a
  :class:`CoxPHResults` with per-customer ``survival_function`` and ``median_survival``.

Plots: :func:`plot_survival` (Kaplan-Meier with bands), :func:`plot_survival_curves` (Cox curves).

Conventions.  Durations are numbers >= 0 in one unit (the builders record it in
``attrs["time_unit"]``); events are bool or 0/1.  Bad rows raise an :class:`~retailkit.InputError`
naming the column and rows (times < 0, non-binary events, missing values); a Kaplan-Meier group
without events raises too (its curve is flat at 1 with no interval, usually a miscoded event column),
while the log-rank test accepts such a group (zero events against a positive expectation is evidence,
not a failure).  Rows left out are counted in ``attrs["rows_left_out"]``.
"""

from retailkit.survival.builders import (
    membership_lifetimes,
    membership_sbg_data,
    time_to_next_purchase,
    time_to_second_purchase,
)
from retailkit.survival.cox import CoxPH, CoxPHResults, cox_ph
from retailkit.survival.km import LogrankResult, kaplan_meier, logrank_test, median_survival, survival_at
from retailkit.survival.plots import plot_survival, plot_survival_curves

__all__ = [
    "time_to_second_purchase",
    "time_to_next_purchase",
    "membership_lifetimes",
    "membership_sbg_data",
    "kaplan_meier",
    "median_survival",
    "survival_at",
    "logrank_test",
    "LogrankResult",
    "cox_ph",
    "CoxPH",
    "CoxPHResults",
    "plot_survival",
    "plot_survival_curves",
]
