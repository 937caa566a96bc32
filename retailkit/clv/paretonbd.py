"""Pareto/NBD: the model of Schmittlein, Morrison and Colombo (1987).

While alive a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; the lifetime
is exponential with rate ``mu ~ Gamma(s, beta)``.  Integrating over ``lambda`` and ``mu``, the
likelihood of ``(x, t_x, T)`` is

``G(r+x)/G(r) alpha^r beta^s [ (alpha+T)^-(r+x) (beta+T)^-s + s I ]``,
``I = int_{t_x}^T (alpha+u)^-(r+x) (beta+u)^-(s+1) du``,

which is the Fader and Hardie (2005) expression with ``I = A_0 / (r+s+x)``.  ``I`` is a difference of
two Gauss hypergeometric terms; :mod:`retailkit.clv._special` evaluates each term in log space after
Euler's transformation (so nothing overflows for large ``x``) and the difference with ``log1mexp``.
The result stays finite where implementations that call ``hyp2f1`` directly return NaN (for example
frequency >= 132 at T = 200 weeks).
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, special

from retailkit.clv._data import compress, wsum
from retailkit.clv._purchase import PurchaseModel, PurchaseResults, fit_purchase_model
from retailkit.clv._special import log_pnbd_window, logaddexp

__all__ = ["ParetoNBD", "ParetoNBDResults"]


def _log_parts(params, x, tx, T):
    """``log`` of the two bracketed likelihood terms: alive at T, and died in (t_x, T]."""
    r, alpha, s, beta = params
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) + log_pnbd_window(r, alpha, s, beta, x, tx, T)
    return alive, died


def _loglik_terms(params, x, tx, T):
    """Per-row Pareto/NBD log-likelihood."""
    r, alpha, s, beta = params
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    alive, died = _log_parts(params, x, tx, T)
    return (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            + logaddexp(alive, died))


class _Likelihood:
    """Total weighted log-likelihood and its analytic gradient on distinct patterns.

    The gradient of the "died in (t_x, T]" term comes from :func:`log_pnbd_window` with
    ``grad=True``, which carries the derivatives through the continued fraction that computes the
    hypergeometric terms; value and gradient are computed together and kept for the last
    parameters asked for (the optimiser asks for both at the same point)."""

    def __init__(self, x, tx, T, w):
        self.x, self.tx, self.T, self.w = x, tx, T, w
        self.ux, inv = np.unique(x, return_inverse=True)
        self.wx = np.bincount(inv, weights=w)
        self.W = w.sum()
        self._key = None

    def _eval(self, theta):
        key = theta.tobytes()
        if key == self._key:
            return self._cache
        r, alpha, s, beta = theta
        x, T, w = self.x, self.T, self.w
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        window, d_window = log_pnbd_window(r, alpha, s, beta, x, self.tx, T, grad=True)
        died = np.log(s) + window
        total = logaddexp(alive, died)
        value = (wsum(self.wx, special.gammaln(r + self.ux)) + self.W * (r * np.log(alpha) + s * np.log(beta)
                 - special.gammaln(r)) + wsum(w, total))
        # d total = (1 - pi) d alive + pi d died, pi = the weight of the died branch
        pi = np.exp(died - total)
        wa, wd = w * (1.0 - pi), w * pi
        grad = np.array([
            wsum(self.wx, special.digamma(r + self.ux)) + self.W * (np.log(alpha) - special.digamma(r))
            - wsum(wa, np.log(alpha + T)),
            self.W * r / alpha - wsum(wa, (r + x) / (alpha + T)),
            self.W * np.log(beta) - wsum(wa, np.log(beta + T)) + wd.sum() / s,
            self.W * s / beta - wsum(wa, s / (beta + T)),
        ]) + np.sum(d_window * wd, axis=1)  # not a BLAS product: see wsum
        self._key, self._cache = key, (float(value), grad)
        return self._cache

    def loglik(self, theta):
        return self._eval(np.asarray(theta, dtype=float))[0]

    def score(self, theta):
        return self._eval(np.asarray(theta, dtype=float))[1].copy()


class ParetoNBD(PurchaseModel):
    """The Pareto/NBD model.  Fit with :meth:`ParetoNBD.fit`.

    Parameters are ``r, alpha`` (gamma heterogeneity of the purchase rate) and ``s, beta`` (gamma
    heterogeneity of the drop-out rate), rates in the data's time unit.
    """

    param_names = ("r", "alpha", "s", "beta")
    _terms = staticmethod(_loglik_terms)
    _likelihood_class = _Likelihood

    @classmethod
    def fit(cls, data, *, weights=None, frequency_col="frequency", recency_col="recency", T_col="T",
            start=None) -> ParetoNBDResults:
        """Fit the Pareto/NBD model by maximum likelihood.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer with frequency (repeat purchases), recency (time of the last repeat
            purchase since the first, 0 without repeat) and T (time since the first purchase).
        weights : str, array_like or None
            Frequency weights (a column name or one value per row); ``nobs`` is their sum.
        frequency_col, recency_col, T_col : str
            Column names.
        start : dict, Series or array_like, optional
            Starting values for ``r, alpha, s, beta``.

        Returns
        -------
        ParetoNBDResults

        Raises
        ------
        retailkit.errors.InputError
            Bad input (the message names the column and first offending rows).
        retailkit.errors.IdentificationError
            No repeat buyers, or no observation time.

        Notes
        -----
        The likelihood and its analytic gradient are evaluated on the distinct (frequency,
        recency, T) patterns; the derivatives of the hypergeometric terms are carried through the
        continued fraction that computes them (see :func:`retailkit.clv._special.log_hyp2f1_one`).
        """
        return fit_purchase_model(cls, ParetoNBDResults, data, weights=weights,
                                  frequency_col=frequency_col, recency_col=recency_col, T_col=T_col,
                                  start=start)

    @staticmethod
    def _start(x, tx, T, w):
        rate = wsum(w, x) / max(wsum(w, T), 1e-12)
        return np.array([1.0, 1.0 / max(rate, 1e-6), 1.0, max(np.average(T, weights=w), 1e-3)])


class ParetoNBDResults(PurchaseResults):
    """Results of :meth:`ParetoNBD.fit`: estimates plus vectorised Pareto/NBD predictions."""

    model_name = "Pareto/NBD"
    param_names = ("r", "alpha", "s", "beta")
    default_columns = {"frequency": "frequency", "recency": "recency", "T": "T"}

    def _log_prob_alive(self, x, tx, T):
        pat = compress([x, tx, T])
        alive, died = _log_parts(self._values, *pat.values)
        return (alive - logaddexp(alive, died))[pat.inverse]

    def _alive_rate(self, t, x, T):
        """Expected purchases in ``(T, T+t]`` given alive at T:
        ``(r+x)(beta+T)/((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]``, stable at ``s = 1``."""
        r, alpha, s, beta = self._values
        L = np.log1p(t / (beta + T))  # log((beta+T+t)/(beta+T))
        return (r + x) / (alpha + T) * (beta + T) * L * special.exprel(-(s - 1) * L)

    def _cond_expected(self, t, x, tx, T):
        return np.exp(self._log_prob_alive(x, tx, T)) * self._alive_rate(t, x, T)

    def _iter_expected(self, times, x, tx, T):
        alive = np.exp(self._log_prob_alive(x, tx, T))  # once, not once per time
        for t in times:
            yield alive * self._alive_rate(float(t), x, T)

    def _expected_new(self, t):
        r, alpha, s, beta = self._values
        L = np.log1p(t / beta)
        return r / alpha * beta * L * special.exprel(-(s - 1) * L)

    def _prob_n(self, n, t):
        """``P(X(t) = n)`` for a new customer.

        ``NB(n; r, alpha/(alpha+t)) (beta/(beta+t))^s + int_0^t NB(n; r, alpha/(alpha+u)) s beta^s
        (beta+u)^-(s+1) du``: alive throughout, or died at ``u`` after ``n`` purchases.  The integral
        is taken by adaptive quadrature (vectorised over all (n, t) pairs), to an absolute error of
        about 1e-13 on the probability; the closed form (Fader and Hardie 2005, note 012) is a
        difference of hypergeometric sums that loses precision for moderate ``n``.
        """
        r, alpha, s, beta = self._values
        pat = compress([n, t])
        pn, pt = pat.values

        def log_nb(u):
            return (special.gammaln(r + pn) - special.gammaln(r) - special.gammaln(pn + 1)
                    + r * np.log(alpha / (alpha + u)) + special.xlogy(pn, u / (alpha + u)))

        alive = np.exp(log_nb(pt) + s * np.log(beta / (beta + pt)))

        def integrand(v):
            u = pt * v
            return pt * np.exp(log_nb(u) + np.log(s) + s * np.log(beta) - (s + 1) * np.log(beta + u))

        with np.errstate(divide="ignore", invalid="ignore"):
            died, _ = integrate.quad_vec(integrand, 0.0, 1.0, epsabs=1e-14, epsrel=1e-10, norm="max",
                                         limit=2000)
        return (alive + died)[pat.inverse]
