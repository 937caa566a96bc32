"""BG/NBD: the beta-geometric / negative binomial model of Fader, Hardie and Lee (2005).

While active a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)`` (shape ``r``,
rate ``alpha``); after each repeat purchase the customer drops out with probability
``p ~ Beta(a, b)``.  The likelihood of ``(x, t_x, T)`` is

``B(a, b+x)/B(a, b) * G(r+x)/G(r) * alpha^r / (alpha+T)^(r+x)
+ [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x)/G(r) * alpha^r / (alpha+t_x)^(r+x)``,

evaluated here in log space as ``log A + logaddexp(D1, D2)``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from retailkit.clv._data import compress, wsum
from retailkit.clv._purchase import PurchaseModel, PurchaseResults, fit_purchase_model
from retailkit.clv._special import logaddexp, softplus_expit

__all__ = ["BetaGeo", "BetaGeoResults"]

# tanh-sinh nodes on u in [-6, 6], step 1/16: s = (pi/2) sinh(u), p = expit(2 s) reaches 1e-280,
# enough for beta densities with a shape parameter as small as 0.05
_DE_U = np.arange(-96, 97) / 16.0
_DE_S = np.pi / 2 * np.sinh(_DE_U)
_DE_W = np.pi / 2 * np.cosh(_DE_U) / 16.0


def _loglik_terms(params, x, tx, T):
    """Per-row BG/NBD log-likelihood (arrays in, array out)."""
    r, alpha, a, b = params
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    common = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
              + special.betaln(a, b + x) - special.betaln(a, b))
    d1 = -(r + x) * np.log(alpha + T)
    rep = x > 0
    d = np.full(x.shape, -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        d[rep] = (np.log(a) - np.log(b + x[rep] - 1)
                  + (r + x[rep]) * (np.log(alpha + T[rep]) - np.log(alpha + tx[rep])))
    return common + d1 + logaddexp(0.0, d)


class _Likelihood:
    """Total weighted log-likelihood and its analytic gradient on distinct patterns.

    Terms that depend on one quantity only are summed over its distinct values: ``x`` for the
    gamma functions, ``T`` for ``(r+x) log(alpha+T)``; only the mixture weight of the "dropped out
    after the last purchase" branch needs every repeat-buyer pattern.  Those per-pattern steps
    write into buffers allocated once: fresh temporaries of this size cost more in page faults
    than the arithmetic itself.
    """

    def __init__(self, x, tx, T, w):
        self.ux, inv = np.unique(x, return_inverse=True)
        self.wx = np.bincount(inv, weights=w)
        self.W = w.sum()
        self.uT, iT = np.unique(T, return_inverse=True)
        self.WT = np.bincount(iT, weights=w)
        self.WxT = np.bincount(iT, weights=w * x)
        rep = x > 0
        self.xr, self.wr, self.iTr = x[rep], w[rep], iT[rep]
        self.utx, self.itx = np.unique(tx[rep], return_inverse=True)
        self.uxr, self.ixr = np.unique(self.xr, return_inverse=True)
        self._buf = np.empty((6, self.xr.size))
        self._key = None

    def _eval(self, theta):
        key = theta.tobytes()
        if key == self._key:
            return self._cache
        r, alpha, a, b = theta
        ux, wx, W = self.ux, self.wx, self.W
        delta, rx, d, e, ww2, tmp = self._buf
        lTu = np.log(alpha + self.uT)
        inv_Tu = 1.0 / (alpha + self.uT)
        inv_txu = 1.0 / (alpha + self.utx)
        # repeat buyers: d = log(dropped-out branch / alive branch)
        #   = log a - log(b+x-1) + (r+x) log((alpha+T)/(alpha+t_x))
        np.take(lTu, self.iTr, out=delta, mode="clip")
        np.take(np.log(alpha + self.utx), self.itx, out=tmp, mode="clip")
        delta -= tmp
        np.add(self.xr, r, out=rx)
        np.multiply(rx, delta, out=d)
        np.take(np.log(b + self.uxr - 1), self.ixr, out=tmp, mode="clip")
        d -= tmp
        d += np.log(a)
        # softplus(d) = log(1 + e^d) and its derivative expit(d), from one exp (d >= -700 avoids
        # an underflow of expit to 0; softplus(-700) is 1e-304, i.e. 0 in the sum)
        np.maximum(d, -700.0, out=d)
        np.negative(d, out=e)
        np.exp(e, out=e)
        e += 1.0
        np.reciprocal(e, out=ww2)  # expit(d)
        np.log(e, out=e)
        e += d  # softplus(d)
        ww2 *= self.wr
        gam = special.gammaln(r + ux) + special.gammaln(b + ux) - special.gammaln(a + b + ux)
        ll = (wsum(wx, gam) + W * (r * np.log(alpha) - special.gammaln(r) - special.gammaln(b)
                                   + special.gammaln(a + b))
              - wsum(r * self.WT + self.WxT, lTu) + _dot(self.wr, e, tmp))
        psi_ab = special.digamma(a + b)
        psi_abx = wsum(wx, special.digamma(a + b + ux))
        g_r = (wsum(wx, special.digamma(r + ux)) + W * (np.log(alpha) - special.digamma(r))
               - wsum(self.WT, lTu) + _dot(ww2, delta, tmp))
        np.take(inv_Tu, self.iTr, out=delta, mode="clip")
        np.take(inv_txu, self.itx, out=tmp, mode="clip")
        delta -= tmp
        delta *= rx
        g_alpha = W * r / alpha - wsum(r * self.WT + self.WxT, inv_Tu) + _dot(ww2, delta, tmp)
        np.take(1.0 / (b + self.uxr - 1), self.ixr, out=d, mode="clip")
        g_a = W * psi_ab - psi_abx + ww2.sum() / a
        g_b = (wsum(wx, special.digamma(b + ux)) + W * (psi_ab - special.digamma(b)) - psi_abx
               - _dot(ww2, d, tmp))
        self._key, self._cache = key, (ll, np.array([g_r, g_alpha, g_a, g_b]))
        return self._cache

    def loglik(self, theta):
        return self._eval(theta)[0]

    def score(self, theta):
        return self._eval(theta)[1]


def _dot(u, v, buf):
    np.multiply(u, v, out=buf)
    return float(buf.sum())


class BetaGeo(PurchaseModel):
    """The BG/NBD model (Fader, Hardie and Lee 2005).  Fit with :meth:`BetaGeo.fit`.

    Parameters are ``r, alpha`` (gamma heterogeneity of the purchase rate, shape and rate in the
    data's time unit) and ``a, b`` (beta heterogeneity of the drop-out probability).
    """

    param_names = ("r", "alpha", "a", "b")
    _terms = staticmethod(_loglik_terms)
    _likelihood_class = _Likelihood

    @classmethod
    def fit(cls, data, *, weights=None, frequency_col="frequency", recency_col="recency", T_col="T",
            start=None) -> BetaGeoResults:
        """Fit the BG/NBD model by maximum likelihood.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer: repeat purchases (frequency), time of the last repeat purchase
            since the first purchase (recency, 0 without repeat) and time since the first purchase
            (T), recency and T in one time unit.
        weights : str, array_like or None
            Frequency weights (a column name or one value per row); ``nobs`` is their sum.
        frequency_col, recency_col, T_col : str
            Column names.
        start : dict, Series or array_like, optional
            Starting values for ``r, alpha, a, b``.

        Returns
        -------
        BetaGeoResults

        Raises
        ------
        retailkit.errors.InputError
            Missing columns, NaN, negative frequency, recency > T, and similar.
        retailkit.errors.IdentificationError
            No repeat buyers, or no observation time.

        Notes
        -----
        The likelihood is evaluated once per distinct ``(frequency, recency, T)`` pattern with the
        number of customers (times any weights) as a weight.
        """
        return fit_purchase_model(cls, BetaGeoResults, data, weights=weights, frequency_col=frequency_col,
                                  recency_col=recency_col, T_col=T_col, start=start)

    @staticmethod
    def _start(x, tx, T, w):
        rate = wsum(w, x) / max(wsum(w, T), 1e-12)
        return np.array([1.0, 1.0 / max(rate, 1e-6), 1.0, 3.0])


class BetaGeoResults(PurchaseResults):
    """Results of :meth:`BetaGeo.fit`: estimates plus vectorised BG/NBD predictions."""

    model_name = "BG/NBD"
    param_names = ("r", "alpha", "a", "b")
    default_columns = {"frequency": "frequency", "recency": "recency", "T": "T"}

    def _log_prob_alive(self, x, tx, T):
        r, alpha, a, b = self._values
        out = np.zeros(x.shape)
        rep = x > 0
        xr = x[rep]
        d = np.log(a) - np.log(b + xr - 1) + (r + xr) * (np.log(alpha + T[rep]) - np.log(alpha + tx[rep]))
        out[rep] = -softplus_expit(d)[0]
        return out

    def _alive_expectation(self, x, T, t):
        """``E[purchases in (T, T+t] | alive at T, x, T]`` = (a+b+x-1)/(a-1) * [1 - ... 2F1(...)].

        Evaluated on the distinct (x, T, t) triples.  Euler's transformation turns
        ``((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)`` into
        ``(1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``, ``z = t/(alpha+T+t)``, which does not overflow
        for large ``x``; where that form is unusable (``a`` within 1e-6 of 1, or ``a+b+x <= 1``) the
        same expectation is computed by quadrature over ``p ~ Beta(a, b+x)``.
        """
        r, alpha, a, b = self._values
        pat = compress([x, T, t])
        px, pT, pt = pat.values
        z = pt / (alpha + pT + pt)
        c = a + b + px - 1
        with np.errstate(all="ignore"):
            G = special.hyp2f1(a + b - 1 - r, a - 1, c, z)
            val = c / (a - 1) * -np.expm1((a - 1) * np.log1p(-z) + np.log(G))
        bad = ~np.isfinite(val) | (c <= 1e-8) | (abs(a - 1) < 1e-6) | (val < 0)
        if bad.any():
            val[bad] = self._alive_expectation_quad(px[bad], pT[bad], pt[bad])
        return val[pat.inverse]

    def _alive_expectation_quad(self, x, T, t):
        """The same expectation by double-exponential (tanh-sinh) quadrature over ``p``.

        ``E_p[(1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p]`` with ``p ~ Beta(a, b+x)``; the nodes
        cluster doubly exponentially at both ends, so the endpoint singularities of the beta density
        and the 1/k scale of the integrand near ``p = 0`` are resolved.
        """
        r, alpha, a, b = self._values
        s = _DE_S[None, :]
        log_p, log_q = -np.logaddexp(0.0, -2 * s), -np.logaddexp(0.0, 2 * s)  # log p, log(1 - p)
        k = (t / (alpha + T))[:, None]
        xx = x[:, None]
        log_dens = (a - 1) * log_p + (b + xx - 1) * log_q - special.betaln(a, b + xx)
        # dp = 2 p (1 - p) ds, and ds = (pi/2) cosh(u) du
        log_w = log_dens + np.log(2.0) + log_p + log_q + np.log(_DE_W)[None, :]
        m = r + xx
        pk = np.exp(log_p) * k
        y = np.log1p(pk)
        y_over_pk = np.where(pk < 1e-8, 1.0 - pk / 2, y / np.where(pk > 0, pk, 1.0))
        f = m * k * y_over_pk * special.exprel(-m * y)  # = (1 - (1 + p k)^-m) / p, finite at p = 0
        return (f * np.exp(log_w)).sum(axis=1)

    def _cond_expected(self, t, x, tx, T):
        return np.exp(self._log_prob_alive(x, tx, T)) * self._alive_expectation(x, T, t)

    def _expected_new(self, t):
        zeros = np.zeros_like(t)
        return self._alive_expectation(zeros, zeros, t)

    def _prob_n(self, n, t):
        r, alpha, a, b = self._values
        with np.errstate(divide="ignore", invalid="ignore"):
            log_p0 = (special.betaln(a, b + n) - special.betaln(a, b) + special.gammaln(r + n)
                      - special.gammaln(r) - special.gammaln(n + 1) + r * np.log(alpha / (alpha + t))
                      + special.xlogy(n, t / (alpha + t)))
            tail = np.where(n > 0, special.betainc(np.maximum(n, 1), r, t / (alpha + t)), 0.0)
            log_dead = special.betaln(a + 1, b + n - 1) - special.betaln(a, b)
            second = np.where(n > 0, np.exp(log_dead) * tail, 0.0)
        return np.exp(log_p0) + second
