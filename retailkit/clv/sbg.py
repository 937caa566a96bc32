"""Shifted-beta-geometric (sBG) model of contractual retention (Fader and Hardie 2007).

Each customer renews at the end of every period with probability ``1 - theta`` and leaves for good
with probability ``theta ~ Beta(alpha, beta)``.  Periods are numbered 1, 2, ...; the data hold, per
customer, ``recency`` = the last period in which the customer was active (1..T) and ``T`` = the
number of periods observed.  A customer with ``recency < T`` churned at the renewal after period
``recency``; ``recency == T`` means still active (censored).

``P(churn at renewal t) = B(alpha+1, beta+t-1) / B(alpha, beta)``,
``S(t) = P(still active after t renewals) = B(alpha, beta+t) / B(alpha, beta)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from retailkit.clv._data import as_weights, check_columns, column, compress, require, wsum
from retailkit.clv._mle import MLEResults, maximize
from retailkit.clv._special import log_hyp2f1_one
from retailkit.errors import IdentificationError, InputError

__all__ = ["ShiftedBetaGeometric", "ShiftedBetaGeometricResults"]


def _periods(data, recency_col, T_col):
    check_columns(data, [recency_col, T_col])
    rec = column(data, recency_col, integer=True)
    T = column(data, T_col, integer=True)
    require(T >= 1, data, T_col, "is less than 1", "T counts the periods observed (1, 2, ...)")
    require(rec >= 1, data, recency_col, "is less than 1",
            "recency is the last period the customer was active (1 = churned after the first period)")
    require(rec <= T, data, recency_col, f"is greater than {T_col!r}",
            "a customer cannot be active after the last observed period")
    return rec, T


def _loglik_terms(params, rec, T):
    alpha, beta = params
    churned = rec < T
    with np.errstate(invalid="ignore"):
        return np.where(churned, special.betaln(alpha + 1, beta + rec - 1),
                        special.betaln(alpha, beta + T - 1)) - special.betaln(alpha, beta)


class ShiftedBetaGeometric:
    """The sBG model of contractual retention.  Fit with :meth:`ShiftedBetaGeometric.fit`."""

    param_names = ("alpha", "beta")

    @classmethod
    def fit(cls, data, *, weights=None, recency_col="recency", T_col="T",
            start=None) -> ShiftedBetaGeometricResults:
        """Fit the sBG model by maximum likelihood.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer: ``recency`` = last period active (1..T), ``T`` = periods observed
            (whole numbers).  Customers of cohorts observed for different lengths can be mixed.
        weights : str, array_like or None
            Frequency weights (a column name or one value per row).
        recency_col, T_col : str
            Column names.
        start : dict, Series or array_like, optional
            Starting values for ``alpha, beta``.

        Returns
        -------
        ShiftedBetaGeometricResults

        Raises
        ------
        retailkit.errors.InputError
            Missing column, NaN, non-integer periods, recency outside 1..T.
        retailkit.errors.IdentificationError
            Fewer than two renewal opportunities observed (max T < 3), nobody churned, or nobody
            survived the first renewal.
        """
        rec, T = _periods(data, recency_col, T_col)
        w = as_weights(weights, data)
        pos = w > 0
        if T[pos].max() < 3:
            raise IdentificationError(
                f"the sBG model needs at least two observed renewals ({T_col!r} >= 3 for some customers) "
                "to separate the mean churn rate from its heterogeneity; the data have at most "
                f"{int(T[pos].max())} period(s)."
            )
        if not np.any(pos & (rec < T)):
            raise IdentificationError("nobody churned in the data: the churn rate is not identified.")
        if not np.any(pos & (rec >= 2)):
            raise IdentificationError(
                "every customer churned at the first renewal: the sBG model is not identified."
            )
        pat = compress([rec, T], w)
        keep = pat.weight > 0
        prec, pT, pw = pat.values[0][keep], pat.values[1][keep], pat.weight[keep]
        churned = prec < pT

        def loglik(theta):
            return float(wsum(pw, _loglik_terms(theta, prec, pT)))

        def score(theta):
            a, b = theta
            base_a = special.digamma(a) - special.digamma(a + b)
            base_b = special.digamma(b) - special.digamma(a + b)
            dig_a = np.where(churned, special.digamma(a + 1) - special.digamma(a + b + prec),
                             special.digamma(a) - special.digamma(a + b + pT - 1))
            dig_b = np.where(churned, special.digamma(b + prec - 1) - special.digamma(a + b + prec),
                             special.digamma(b + pT - 1) - special.digamma(a + b + pT - 1))
            return np.array([wsum(pw, dig_a - base_a), wsum(pw, dig_b - base_b)])

        if start is None:
            start = np.array([1.0, 1.0])
        else:
            start = np.asarray(pd.Series(start)[list(cls.param_names)] if isinstance(start, dict | pd.Series)
                               else start, dtype=float)
            if start.shape != (2,) or np.any(~(start > 0)):
                raise InputError("start must hold two positive values (alpha, beta).")
        opt = maximize(loglik, start, names=cls.param_names, score=score, total_weight=pw.sum())
        churn = w[rec < T].sum()
        info = [("Churned:", int(churn) if float(churn).is_integer() else float(churn)),
                ("Iterations:", opt.n_iter)]
        return ShiftedBetaGeometricResults(opt, names=cls.param_names, nobs=w.sum(),
                                           n_patterns=int(keep.sum()),
                                           columns={"recency": recency_col, "T": T_col}, info=info)

    @classmethod
    def loglikeobs(cls, params, data, *, recency_col="recency", T_col="T"):
        """Per-customer log-likelihood at ``params`` (``alpha, beta``)."""
        rec, T = _periods(data, recency_col, T_col)
        p = pd.Series(params)[list(cls.param_names)] if isinstance(params, dict | pd.Series) else params
        return pd.Series(_loglik_terms(np.asarray(p, dtype=float), rec, T), index=data.index, name="loglik")


def _whole(t, name="t"):
    arr = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise InputError(f"{name} must be whole numbers of periods >= 0, got {t!r}.")
    return arr


def _out(arr):
    return float(arr) if np.ndim(arr) == 0 else arr


class ShiftedBetaGeometricResults(MLEResults):
    """Results of :meth:`ShiftedBetaGeometric.fit` with survival, retention and lifetime."""

    model_name = "sBG"
    param_names = ("alpha", "beta")
    default_columns = {"recency": "recency", "T": "T"}

    def survival(self, t):
        """Share of a new cohort still active after ``t`` renewals, ``S(t) = B(alpha, beta+t)/B(alpha, beta)``.

        Parameters
        ----------
        t : int or array_like of int
            Number of renewal opportunities (0 gives 1).

        Returns
        -------
        float or numpy.ndarray
        """
        alpha, beta = self._values
        t = _whole(t)
        return _out(np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta)))

    def retention(self, t):
        """Retention rate at renewal ``t`` (>= 1): ``S(t) / S(t-1) = (beta+t-1) / (alpha+beta+t-1)``.

        It rises with ``t``: the customers who stay are increasingly the loyal ones (heterogeneity,
        not a change in any individual's behaviour).
        """
        alpha, beta = self._values
        t = _whole(t)
        if np.any(t < 1):
            raise InputError("retention is defined from the first renewal on: t must be >= 1.")
        return _out((beta + t - 1) / (alpha + beta + t - 1))

    def expected_lifetime(self, horizon=None, discount_rate=None) -> float:
        """Expected number of periods a new customer is active, counting the first period.

        Parameters
        ----------
        horizon : int, optional
            Count only the first ``horizon`` periods: ``E[min(K, horizon)] = sum_{t<horizon} S(t)``
            where ``K`` is the last period active.  Without it the sum runs to infinity:
            ``(alpha+beta-1)/(alpha-1)`` when ``alpha > 1``, and infinite when ``alpha <= 1`` (the
            heavy tail of loyal customers; pass a horizon or a discount rate).
        discount_rate : float, optional
            Rate per period; period ``t+1`` counts ``(1+d)^-t`` (the first period is not discounted).
            Without a horizon this is the discounted expected lifetime of Fader and Hardie (2010),
            ``2F1(1, beta; alpha+beta; 1/(1+d))``.

        Returns
        -------
        float
        """
        alpha, beta = self._values
        d = 0.0 if discount_rate is None else float(discount_rate)
        if not d >= 0 or not np.isfinite(d):
            raise InputError(f"discount_rate must be a finite rate >= 0 per period, got {discount_rate!r}.")
        if horizon is not None:
            h = _whole(horizon, "horizon")
            t = np.arange(int(h))
            return float(np.sum(np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta)
                                       - t * np.log1p(d))))
        if d == 0:
            return float((alpha + beta - 1) / (alpha - 1)) if alpha > 1 else np.inf
        return float(np.exp(log_hyp2f1_one(beta, alpha + beta, 1.0 / (1.0 + d))))
