"""Gamma-Gamma spend model (Fader, Hardie and Lee 2005; Colombo and Jiang 1999).

Each transaction value is ``Gamma(p, nu)`` (shape ``p``, rate ``nu``) around a customer-specific
rate ``nu ~ Gamma(q, v)`` (the literature's ``gamma`` is called ``v`` here).  The model is fitted
to the mean spend ``m`` of the ``x`` repeat transactions of each repeat buyer:

``f(m | x) = G(px+q) / (G(px) G(q)) * v^q * x^(px) * m^(px-1) / (v + x m)^(px+q)``.

It assumes spend is independent of purchase frequency; :meth:`GammaGamma.fit` warns when the data
disagree (Pearson correlation above 0.3 in absolute value among repeat buyers).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import special

from retailkit.clv._data import as_weights, check_columns, column, compress, require, wsum
from retailkit.clv._mle import MLEResults, ModelWarning, maximize
from retailkit.errors import IdentificationError, InputError

__all__ = ["GammaGamma", "GammaGammaResults"]

CORRELATION_WARNING = 0.3


def _loglik_terms(params, x, m):
    p, q, v = params
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
            + px * np.log(x) + (px - 1) * np.log(m) - (px + q) * np.log(v + x * m))


def _spend_columns(data, frequency_col, monetary_col, nonpositive="error"):
    """Frequency and mean spend.  Repeat buyers with a mean spend <= 0 (e.g. everything refunded)
    raise an error, or with ``nonpositive="exclude"`` are treated as having no spend history:
    left out of a fit and given the population mean in predictions (their count is returned)."""
    check_columns(data, [frequency_col, monetary_col])
    x = column(data, frequency_col, integer=True)
    m = column(data, monetary_col)
    require(x >= 0, data, frequency_col, "is negative", "frequency counts repeat purchases")
    if nonpositive not in ("error", "exclude"):
        raise InputError(f"nonpositive must be 'error' or 'exclude', got {nonpositive!r}.")
    if nonpositive == "error":
        require((x == 0) | (m > 0), data, monetary_col, f"is not positive where {frequency_col!r} > 0",
                "the Gamma-Gamma model needs a positive mean spend for every repeat buyer; net out "
                "refunds or drop zero-value orders first, or pass nonpositive='exclude'")
        return x, m, 0
    bad = (x > 0) & ~(m > 0)
    return np.where(bad, 0, x), np.where(bad, 0.0, m), int(bad.sum())


class GammaGamma:
    """The Gamma-Gamma model of average spend per transaction.  Fit with :meth:`GammaGamma.fit`."""

    param_names = ("p", "q", "v")

    @classmethod
    def fit(cls, data, *, weights=None, frequency_col="frequency", monetary_col="monetary_value",
            start=None, nonpositive: str = "error") -> GammaGammaResults:
        """Fit the Gamma-Gamma model to the repeat buyers of a summary frame.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer with the number of repeat purchases and their mean value.
            Customers without repeat purchase carry no spend information for this model and are
            left out (counted in the summary as "Excluded (x = 0)").
        weights : str, array_like or None
            Frequency weights (a column name or one value per row).
        frequency_col, monetary_col : str
            Column names.
        start : dict, Series or array_like, optional
            Starting values for ``p, q, v``.
        nonpositive : {"error", "exclude"}
            Repeat buyers whose mean spend is <= 0 (net of refunds, everything returned): an
            error (default), or left out of the fit, counted in the summary and warned about.

        Returns
        -------
        GammaGammaResults

        Raises
        ------
        retailkit.errors.InputError
            Missing column, NaN, negative frequency, non-positive mean spend of a repeat buyer.
        retailkit.errors.IdentificationError
            Fewer than two distinct mean spends among repeat buyers.

        Warns
        -----
        ModelWarning
            If spend and frequency correlate (``|r| > 0.3``) or the estimate of ``q`` is <= 1.
        """
        x, m, n_bad = _spend_columns(data, frequency_col, monetary_col, nonpositive)
        if n_bad:
            warnings.warn(
                f"{n_bad:,} repeat buyer(s) with {monetary_col!r} <= 0 (e.g. every repeat purchase refunded) "
                "are left out of the fit (nonpositive='exclude').", ModelWarning, stacklevel=2)
        w = as_weights(weights, data)
        rep = (x > 0) & (w > 0)
        if np.unique(m[rep]).size < 2:
            raise IdentificationError(
                f"the Gamma-Gamma model needs repeat buyers with at least two different values of "
                f"{monetary_col!r}; found {int(rep.sum())} repeat buyer(s) with "
                f"{np.unique(m[rep]).size} distinct value(s)."
            )
        corr = _weighted_corr(x[rep], m[rep], w[rep])
        if abs(corr) > CORRELATION_WARNING:
            warnings.warn(
                f"spend and frequency correlate among repeat buyers (Pearson r = {corr:.2f}); the "
                "Gamma-Gamma model assumes they are independent, so its expected spend is biased for "
                "frequent (or infrequent) buyers.", ModelWarning, stacklevel=2)
        pat = compress([x[rep], m[rep]], w[rep])
        px, pm = pat.values
        pw = pat.weight
        lik = _Likelihood(px, pm, pw)
        if start is None:
            mean = np.average(pm, weights=pw)
            start = np.array([2.0, 3.0, mean])
        else:
            start = np.asarray(pd.Series(start)[list(cls.param_names)] if isinstance(start, dict | pd.Series)
                               else start, dtype=float)
            if start.shape != (3,) or np.any(~(start > 0)):
                raise InputError("start must hold three positive values (p, q, v).")
        opt = maximize(lik.loglik, start, names=cls.param_names, score=lik.score, total_weight=pw.sum())
        excluded = float(w[(x == 0)].sum())
        info = [("Excluded (x = 0):", int(excluded) if excluded.is_integer() else excluded),
                ("Excluded (spend <= 0):", n_bad),
                ("Spend-frequency r:", float(corr)), ("Iterations:", opt.n_iter)]
        res = GammaGammaResults(opt, names=cls.param_names, nobs=pw.sum(), n_patterns=pat.n,
                                columns={"frequency": frequency_col, "monetary": monetary_col}, info=info,
                                extra={"spend_frequency_corr": float(corr), "n_excluded": excluded,
                                       "n_nonpositive": n_bad})
        if res.params["q"] <= 1:
            warnings.warn(
                f"q = {res.params['q']:.3f} <= 1: the population mean spend p*v/(q-1) is undefined "
                "(the spend distribution has a heavy tail); expected_spend is infinite for customers "
                "without repeat purchase.", ModelWarning, stacklevel=2)
        return res

    @classmethod
    def loglikeobs(cls, params, data, *, frequency_col="frequency", monetary_col="monetary_value"):
        """Per-customer log-density of the mean spend at ``params`` (NaN for customers with x = 0)."""
        x, m, _ = _spend_columns(data, frequency_col, monetary_col)
        p = pd.Series(params)[list(cls.param_names)] if isinstance(params, dict | pd.Series) else params
        with np.errstate(all="ignore"):
            ll = np.where(x > 0, _loglik_terms(np.asarray(p, dtype=float), x, m), np.nan)
        return pd.Series(ll, index=data.index, name="loglik")


def _weighted_corr(x, y, w):
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    c = np.cov(x, y, aweights=w)
    return float(c[0, 1] / np.sqrt(c[0, 0] * c[1, 1]))


class _Likelihood:
    def __init__(self, x, m, w):
        self.x, self.m, self.w = x, m, w
        self.logx, self.logm = np.log(x), np.log(m)
        self._key = None

    def _eval(self, theta):
        key = theta.tobytes()
        if key == self._key:
            return self._cache
        p, q, v = theta
        x, m, w = self.x, self.m, self.w
        px = p * x
        lvxm = np.log(v + x * m)
        ll = wsum(w, special.gammaln(px + q) - special.gammaln(px) + px * (self.logx + self.logm)
                    - self.logm - (px + q) * lvxm) + w.sum() * (q * np.log(v) - special.gammaln(q))
        psi = special.digamma(px + q)
        g_p = wsum(w, x * (psi - special.digamma(px) + self.logx + self.logm - lvxm))
        g_q = wsum(w, psi - lvxm) + w.sum() * (np.log(v) - special.digamma(q))
        g_v = w.sum() * q / v - wsum(w, (px + q) / (v + x * m))
        self._key, self._cache = key, (ll, np.array([g_p, g_q, g_v]))
        return self._cache

    def loglik(self, theta):
        return self._eval(theta)[0]

    def score(self, theta):
        return self._eval(theta)[1]


class GammaGammaResults(MLEResults):
    """Results of :meth:`GammaGamma.fit`.

    ``nobs`` counts the repeat buyers used in the fit; ``n_excluded`` the customers left out because
    they have no repeat purchase; ``spend_frequency_corr`` the Pearson correlation checked at fit time.
    """

    model_name = "Gamma-Gamma"
    param_names = ("p", "q", "v")
    default_columns = {"frequency": "frequency", "monetary": "monetary_value"}

    def __init__(self, optimum, *, extra, **kwargs):
        super().__init__(optimum, **kwargs)
        for k, val in extra.items():
            object.__setattr__(self, k, val)

    @classmethod
    def _from_optimum(cls, opt, columns):
        return cls(opt, nobs=0.0, n_patterns=0, columns=columns,
                   extra={"spend_frequency_corr": np.nan, "n_excluded": np.nan})

    @property
    def mean_spend(self) -> float:
        """Population mean spend per transaction, ``p v / (q - 1)`` (infinite when ``q <= 1``)."""
        p, q, v = self._values
        return p * v / (q - 1) if q > 1 else np.inf

    def expected_spend(self, data: pd.DataFrame, *, nonpositive: str = "error") -> pd.Series:
        """Expected mean spend per future transaction given each customer's history.

        ``E[Z | x, m] = p (v + x m) / (p x + q - 1)``, a weighted average of the population mean
        ``p v / (q - 1)`` and the customer's own mean ``m``; customers without repeat purchase get
        the population mean.

        Parameters
        ----------
        data : pandas.DataFrame
            Frame with the frequency and monetary columns named at fit time.
        nonpositive : {"error", "exclude"}
            Repeat buyers whose mean spend is <= 0: an error, or (``"exclude"``) treated as
            customers without spend history, i.e. given the population mean.

        Returns
        -------
        pandas.Series
            Aligned with ``data.index``; ``inf`` where the expectation does not exist (``q <= 1``).
        """
        x, m, _ = _spend_columns(data, self.columns["frequency"], self.columns["monetary"], nonpositive)
        p, q, v = self._values
        den = p * x + q - 1
        m = np.where(x > 0, m, 0.0)
        with np.errstate(divide="ignore"):
            out = np.where(den > 0, p * (v + x * m) / np.where(den > 0, den, 1.0), np.inf)
        return pd.Series(out, index=data.index, name="expected_spend")
