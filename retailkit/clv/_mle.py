"""The maximum-likelihood core shared by every model in :mod:`retailkit.clv`.

Design choice: statsmodels' ``GenericLikelihoodModel`` was considered and not used.  It evaluates a
per-observation ``loglikeobs`` on every row, whereas these models are fitted on the *distinct*
(frequency, recency, T) patterns with counts as frequency weights (a million customers cost what
their few thousand patterns cost); it optimises the natural parameters, while all parameters here
are positive and are best searched on the log scale; its Hessian is a generic numerical
approximation; and its results objects are mutable.  The core below is small instead:

* :func:`maximize` searches ``eta = log(theta)`` with BFGS and the model's analytic gradient, then
  polishes with a few Newton steps, and reports a best fit that is a limit of the model (a flat
  ridge out to the edge of the search space) as not converged;
* the observed information is the negative Hessian of the total log-likelihood at the optimum, taken
  by central differences of the analytic gradient on the log scale and mapped
  exactly to the natural parameters, ``H_theta = (H_eta - diag(g_eta)) / (theta theta')``;
* :class:`MLEResults` is the immutable results object (``params``, ``bse``, ``conf_int``, ``llf``,
  ``aic``, ``bic``, ``nobs``, ``converged``, ``summary``) that each model's results class extends
  with predictions.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from retailkit._immutable import Immutable
from retailkit.clv._summary import Summary, nobs_value, summary_table

__all__ = ["MLEResults", "ModelWarning", "Summary", "maximize"]

_LOG_BOUND = np.log(1e9)  # parameters are searched in [1e-9, 1e9]


class ModelWarning(UserWarning):
    """A fit succeeded but the model or its estimates deserve caution (the message says why)."""


@dataclass(frozen=True)
class Optimum:
    """Raw output of :func:`maximize` (natural-scale estimates and covariance)."""

    params: np.ndarray
    cov: np.ndarray
    llf: float
    converged: bool
    n_iter: int
    message: str


def _num_hess_from_grad(grad, eta, h=1e-5):
    k = eta.size
    H = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = h
        H[:, i] = (grad(eta + e) - grad(eta - e)) / (2 * h)
    return (H + H.T) / 2


def maximize(loglik, start, *, names, score, total_weight=1.0, stacklevel=3) -> Optimum:
    """Maximise a log-likelihood over positive parameters.

    Parameters
    ----------
    loglik : callable
        ``loglik(theta) -> float``, the total (weighted) log-likelihood at natural parameters ``theta``.
    start : array_like
        Positive starting values.
    names : sequence of str
        Parameter names (for messages).
    score : callable
        ``score(theta) -> ndarray``, the gradient of ``loglik`` in the natural parameters (every
        model of the kit has an analytic one).
    total_weight : float
        Sum of the frequency weights; the optimiser works on the mean log-likelihood per customer so
        that tolerances do not depend on the size of the data.
    stacklevel : int
        Passed to :func:`warnings.warn` so that a convergence warning points at the user's call.

    Returns
    -------
    Optimum
        Estimates, covariance (inverse observed information), maximum, convergence flag.
    """
    scale = 1.0 / total_weight

    def f(eta):
        value = loglik(np.exp(eta))
        return -value * scale if np.isfinite(value) else 1e100

    def grad(eta):
        theta = np.exp(eta)
        return -score(theta) * theta * scale

    # BFGS on the log-parameters; the box [-B, B] is kept by evaluating the model at the clipped
    # point plus a quadratic wall outside it.  (L-BFGS-B's compiled core was avoided: on small
    # machines its BLAS calls can cost milliseconds each when an OpenBLAS thread pool is busy.)
    def f_box(eta):
        inside = np.clip(eta, -_LOG_BOUND, _LOG_BOUND)
        return f(inside) + 0.5 * np.sum((eta - inside) ** 2)

    def g_box(eta):
        inside = np.clip(eta, -_LOG_BOUND, _LOG_BOUND)
        g = np.where(eta == inside, grad(inside), 0.0)
        return g + (eta - inside)

    eta0 = np.clip(np.log(np.asarray(start, dtype=float)), -_LOG_BOUND + 1, _LOG_BOUND - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow while probing far-off points
        res = optimize.minimize(f_box, eta0, jac=g_box, method="BFGS", options={"maxiter": 2000, "gtol": 1e-9})
    eta = np.clip(res.x, -_LOG_BOUND, _LOG_BOUND)
    fun, n_iter = f(eta), int(res.nit)

    def hess(eta):
        return _num_hess_from_grad(grad, eta)

    # Newton polish: BFGS stops on a small gradient; a few Newton steps with the Hessian
    # taken once at its solution bring the gradient to rounding level.  The Hessian is recomputed
    # for the covariance only if the polish moved log-parameters by more than 1e-4 (below that the
    # change in the standard errors is of the same relative order, far below their own precision).
    H = hess(eta)
    eta_h = eta.copy()
    for _ in range(6):
        g = grad(eta)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        trial = np.clip(eta - step, -_LOG_BOUND, _LOG_BOUND)
        f_trial = f(trial)
        if not f_trial <= fun + 1e-15 * abs(fun):
            break
        eta, fun = trial, f_trial
        if np.max(np.abs(step)) < 1e-10:
            break
    if np.max(np.abs(eta - eta_h)) > 1e-4:
        H = hess(eta)

    theta = np.exp(eta)
    g_eta = grad(eta)
    # observed information -d2 llf / d theta2 (exact change of variables from eta, valid even where
    # the gradient is not exactly zero); H and g_eta belong to f = -llf * scale
    info = (H - np.diag(g_eta)) / np.outer(theta, theta) / scale
    at_bound = np.abs(np.abs(eta) - _LOG_BOUND) < 1e-3
    messages = []
    neg_def = bool(np.all(np.isfinite(info)) and np.all(np.linalg.eigvalsh((info + info.T) / 2) > 0))
    ridge = None if at_bound.any() or not np.all(np.isfinite(H)) else _flat_to_edge(f, eta, fun, H, scale)
    if ridge is not None:
        at_edge = ", ".join(f"{n}={v:.3g}" for n, v in zip(names, np.exp(ridge), strict=True))
        messages.append(
            f"the log-likelihood is within {_RIDGE_TOL} of its maximum all the way to the edge of the search "
            f"space ({at_edge}): the best fit is a limit of the model (for example no heterogeneity), and "
            "the estimates are arbitrary points on a flat ridge"
        )
    if neg_def and not at_bound.any() and ridge is None:
        cov = np.linalg.inv(info)
        cov = (cov + cov.T) / 2
    else:
        cov = np.full((theta.size, theta.size), np.nan)
    if at_bound.any():
        bad = ", ".join(n for n, b in zip(names, at_bound, strict=True) if b)
        messages.append(
            f"parameter(s) {bad} ran to the edge of the search space [1e-9, 1e9]: the data do not "
            "identify the model (for example no heterogeneity, or too little history)"
        )
    if not neg_def:
        messages.append("the Hessian at the optimum is not negative definite: no standard errors")
    grad_ok = np.max(np.abs(g_eta)) < 1e-5
    if not grad_ok:
        messages.append(f"gradient at the optimum is {np.max(np.abs(g_eta)):.1e} per customer")
    converged = bool(grad_ok and neg_def and not at_bound.any() and ridge is None)
    message = "; ".join(messages) if messages else "converged"
    if not converged:
        warnings.warn(f"fit did not converge cleanly: {message}.", ModelWarning, stacklevel=stacklevel)
    return Optimum(params=theta, cov=cov, llf=-fun / scale, converged=converged, n_iter=n_iter,
                   message=message)


_RIDGE_TOL = 0.01  # log-likelihood units: a likelihood-ratio statistic of 0.02 tells nothing apart


def _flat_to_edge(f, eta, fun, H, scale):
    """The point where the flattest direction of the fit leaves the search space, if the
    log-likelihood there is within ``_RIDGE_TOL`` of the maximum, else None.

    When the best fit is a limit of the model (no heterogeneity: ``alpha, beta -> inf`` at a
    fixed ratio in the sBG, ``r, alpha -> inf`` in the BG/NBD), the optimiser stops wherever the
    gradient happens to become small on the ridge that leads there: a point that depends on the
    start and the arithmetic, not on the data.  Such ridges are straight lines in the
    log-parameters, along the eigenvector of the smallest curvature; walking along it to the edge
    of the search space (both ways) shows whether the data prefer the estimate to the limit.  The
    walk goes in doubling steps from one unit of log-parameter and stops as soon as the fit is
    clearly worse, so an identified model costs two evaluations near its estimate, never one at
    the far edge, where some likelihoods are slow to evaluate."""
    vals, vecs = np.linalg.eigh((H + H.T) / 2)
    for d in (vecs[:, 0], -vecs[:, 0]):
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = np.where(d > 0, (_LOG_BOUND - eta) / d, np.where(d < 0, (-_LOG_BOUND - eta) / d, np.inf))
        edge = float(np.min(reach))
        if not np.isfinite(edge) or edge <= 0:
            continue
        t = min(1.0, edge)
        while True:
            point = np.clip(eta + t * d, -_LOG_BOUND, _LOG_BOUND)
            if not (f(point) - fun) / scale <= _RIDGE_TOL:
                break
            if t >= edge:
                return point
            t = min(2 * t, edge)
    return None


class MLEResults(Immutable):
    """Immutable results of a maximum-likelihood fit (base class of every model's results).

    Attributes
    ----------
    params : pandas.Series
        Estimates, indexed by parameter name.
    bse : pandas.Series
        Standard errors from the observed information (negative Hessian of the log-likelihood at
        the optimum).
    llf : float
        Maximised total log-likelihood (in the data's time unit; weighted).
    nobs : float
        Number of customers (the sum of the frequency weights).
    converged : bool
        Whether the optimiser reached an interior optimum with a negative definite Hessian.
    """

    model_name = "model"
    param_names: tuple = ()
    default_columns: dict = {}

    def __init__(self, optimum: Optimum, *, names=None, nobs, n_patterns, columns, info=()):
        names = self.param_names if names is None else names
        self._freeze(
            _names=tuple(names), _values=np.array(optimum.params, dtype=float),
            _cov=np.array(optimum.cov, dtype=float), llf=float(optimum.llf), nobs=float(nobs),
            n_patterns=int(n_patterns), converged=bool(optimum.converged), n_iter=int(optimum.n_iter),
            message=optimum.message, columns=dict(columns), _info=tuple(info),
        )

    @classmethod
    def from_params(cls, params, **columns):
        """Results at given parameter values, without estimation (e.g. the known truth).

        Predictions work as after a fit; ``bse`` and ``llf`` are NaN, ``nobs`` is 0 and
        ``converged`` is False.

        Parameters
        ----------
        params : dict, Series or sequence
            Values for ``param_names``, in that order when a sequence.
        **columns
            Column names used by the prediction methods (e.g. ``frequency="x"``); defaults as in
            ``fit``.
        """
        from retailkit.errors import InputError

        names = list(cls.param_names)
        if isinstance(params, dict | pd.Series):
            missing = [n for n in names if n not in params]
            if missing:
                raise InputError(f"params lacks {', '.join(missing)} (expected {', '.join(names)}).")
            values = np.array([float(params[n]) for n in names])
        else:
            values = np.asarray(params, dtype=float).ravel()
        if values.shape != (len(names),) or not np.all(values > 0) or not np.all(np.isfinite(values)):
            raise InputError(f"params must be {len(names)} positive values ({', '.join(names)}).")
        unknown = set(columns) - set(cls.default_columns)
        if unknown:
            raise InputError(f"unknown column role(s) {sorted(unknown)}; use {sorted(cls.default_columns)}.")
        k = len(names)
        opt = Optimum(params=values, cov=np.full((k, k), np.nan), llf=np.nan, converged=False, n_iter=0,
                      message="parameters supplied, not estimated")
        return cls._from_optimum(opt, {**cls.default_columns, **columns})

    @classmethod
    def _from_optimum(cls, opt, columns):
        return cls(opt, nobs=0.0, n_patterns=0, columns=columns)

    # -- estimates -------------------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """Estimates as a Series indexed by parameter name."""
        return pd.Series(self._values, index=list(self._names), name="params")

    @property
    def bse(self) -> pd.Series:
        """Standard errors (square roots of the diagonal of :meth:`cov_params`)."""
        return pd.Series(np.sqrt(np.diag(self._cov)), index=list(self._names), name="bse")

    def cov_params(self) -> pd.DataFrame:
        """Covariance matrix of the estimates (inverse observed information)."""
        return pd.DataFrame(self._cov, index=list(self._names), columns=list(self._names))

    def conf_int(self, alpha: float = 0.05, method: str = "log") -> pd.DataFrame:
        """Confidence intervals for the parameters.

        Parameters
        ----------
        alpha : float
            One minus the coverage (0.05 gives 95% intervals).
        method : {"log", "wald"}
            ``"log"`` (default): Wald interval for ``log(theta)`` mapped back,
            ``theta * exp(+/- z * bse / theta)``; it respects positivity and is the scale the
            optimiser works on.  ``"wald"``: the symmetric ``theta +/- z * bse``.

        Returns
        -------
        pandas.DataFrame
            Columns ``lower`` and ``upper``, one row per parameter.
        """
        if not 0 < alpha < 1:
            from retailkit.errors import InputError

            raise InputError(f"alpha must be in (0, 1), got {alpha!r}.")
        z = stats.norm.ppf(1 - alpha / 2)
        est, se = self._values, np.sqrt(np.diag(self._cov))
        if method == "log":
            lower, upper = est * np.exp(-z * se / est), est * np.exp(z * se / est)
        elif method == "wald":
            lower, upper = est - z * se, est + z * se
        else:
            from retailkit.errors import InputError

            raise InputError(f"method must be 'log' or 'wald', got {method!r}.")
        return pd.DataFrame({"lower": lower, "upper": upper}, index=list(self._names))

    @property
    def df_model(self) -> int:
        """Number of estimated parameters."""
        return len(self._names)

    @property
    def aic(self) -> float:
        """Akaike information criterion, ``-2 llf + 2 k``."""
        return -2 * self.llf + 2 * self.df_model

    @property
    def bic(self) -> float:
        """Bayesian information criterion, ``-2 llf + k log(nobs)``."""
        return -2 * self.llf + self.df_model * np.log(self.nobs) if self.nobs > 0 else np.nan

    # -- presentation ----------------------------------------------------------------------
    def summary(self, alpha: float = 0.05) -> Summary:
        """A statsmodels-style table of the fit; ``print(res.summary())``.

        Parameters
        ----------
        alpha : float
            One minus the coverage of the intervals shown (0.05: 95%).
        """
        return summary_table(self, alpha)

    def __repr__(self) -> str:
        params = ", ".join(f"{n}={v:.4g}" for n, v in zip(self._names, self._values, strict=True))
        return f"<{type(self).__name__}: {params}; llf={self.llf:.2f}, nobs={nobs_value(self.nobs)}>"
