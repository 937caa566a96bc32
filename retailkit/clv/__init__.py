"""Probabilistic customer-base models: who is still a customer, what will they buy, what are they worth.

Models (``res = Model.fit(summary)`` returns an immutable, statsmodels-style results object):

* :class:`BetaGeo` -- BG/NBD purchase and drop-out model (non-contractual).
* :class:`ParetoNBD` -- Pareto/NBD purchase and drop-out model (non-contractual).
* :class:`GammaGamma` -- spend per transaction.
* :class:`ShiftedBetaGeometric` -- sBG retention model (contractual).

Value: :func:`customer_value` (discounted expected margin over an explicit horizon) and
:func:`customer_equity` (total and by group).  Checks: :func:`holdout_comparison`,
:func:`holdout_metrics`, :func:`period_transaction_histogram`, :func:`frequency_recency_matrix`,
:func:`expected_cumulative_purchases`.  Known-truth data: the ``simulate_*`` functions.
"""

from retailkit.clv._mle import MLEResults, ModelWarning, Summary
from retailkit.clv.bgnbd import BetaGeo, BetaGeoResults
from retailkit.clv.diagnostics import (
    expected_cumulative_purchases,
    frequency_recency_matrix,
    holdout_comparison,
    holdout_metrics,
    period_transaction_histogram,
)
from retailkit.clv.gammagamma import GammaGamma, GammaGammaResults
from retailkit.clv.paretonbd import ParetoNBD, ParetoNBDResults
from retailkit.clv.sbg import ShiftedBetaGeometric, ShiftedBetaGeometricResults
from retailkit.clv.simulate import simulate_bgnbd, simulate_gammagamma, simulate_paretonbd, simulate_sbg
from retailkit.clv.value import customer_equity, customer_value, discount_factor

__all__ = [
    "BetaGeo",
    "BetaGeoResults",
    "ParetoNBD",
    "ParetoNBDResults",
    "GammaGamma",
    "GammaGammaResults",
    "ShiftedBetaGeometric",
    "ShiftedBetaGeometricResults",
    "MLEResults",
    "ModelWarning",
    "Summary",
    "customer_value",
    "customer_equity",
    "discount_factor",
    "holdout_comparison",
    "holdout_metrics",
    "period_transaction_histogram",
    "frequency_recency_matrix",
    "expected_cumulative_purchases",
    "simulate_bgnbd",
    "simulate_paretonbd",
    "simulate_gammagamma",
    "simulate_sbg",
]
