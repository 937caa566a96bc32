"""What the BG/NBD and Pareto/NBD results share: input handling for predictions and the fit driver."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retailkit.clv._data import as_weights, btyd_columns, compress
from retailkit.clv._mle import MLEResults, maximize
from retailkit.errors import IdentificationError, InputError

__all__ = ["PurchaseModel", "PurchaseResults", "fit_purchase_model", "as_time"]


def as_time(t, n: int | None = None, *, name: str = "t") -> np.ndarray:
    """A non-negative finite time (scalar, or one value per customer when ``n`` is given)."""
    arr = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(f"{name} must be finite and >= 0 (in the data's time unit), got {t!r}.")
    if n is not None and arr.ndim > 0 and arr.shape != (n,):
        raise InputError(f"{name} must be a scalar or have one value per row ({n}), got shape {arr.shape}.")
    return arr


class PurchaseModel:
    """What the BG/NBD and Pareto/NBD model classes share.

    A subclass sets ``param_names``, ``_terms`` (the per-customer log-likelihood,
    ``_terms(params, x, tx, T)``) and ``_likelihood_class`` (built on the distinct patterns with
    their weights, with ``loglik(theta)`` and ``score(theta)``), and supplies ``fit`` and ``_start``.
    """

    param_names: tuple[str, ...] = ()

    @classmethod
    def loglikeobs(cls, params, data, *, frequency_col="frequency", recency_col="recency", T_col="T"):
        """Per-customer log-likelihood at ``params`` (a sequence in the order of ``param_names``,
        or a dict or Series by name)."""
        x, tx, T = btyd_columns(data, frequency_col, recency_col, T_col)
        p = pd.Series(params)[list(cls.param_names)] if isinstance(params, dict | pd.Series) else params
        return pd.Series(cls._terms(np.asarray(p, dtype=float), x, tx, T), index=data.index, name="loglik")

    @classmethod
    def _likelihood(cls, x, tx, T, w):
        lik = cls._likelihood_class(x, tx, T, w)
        return lik.loglik, lik.score


def fit_purchase_model(model, results_class, data, *, weights, frequency_col, recency_col, T_col, start):
    """Validate, compress to distinct patterns, check identification and maximise.

    ``model`` supplies ``param_names``, ``_likelihood(x, tx, T, w)`` (returning ``loglik, score``,
    the analytic gradient) and ``_start(x, tx, T, w)``; ``results_class`` wraps the optimum.
    """
    x, tx, T = btyd_columns(data, frequency_col, recency_col, T_col)
    w = as_weights(weights, data)
    if np.sum(w[T > 0]) == 0:
        raise IdentificationError(
            f"every customer has {T_col!r} equal to 0: there is no observation time to learn from. "
            "Check observation_end and the time unit of the summary."
        )
    if np.sum(w[x > 0]) == 0:
        raise IdentificationError(
            f"no repeat buyers ({frequency_col!r} is 0 for every customer with positive weight): "
            f"{model.__name__} cannot separate purchase rate from dropout. Use a longer calibration "
            "period or a population with repeat purchases."
        )
    pat = compress([x, tx, T], w)
    keep = pat.weight > 0
    px, ptx, pT, pw = (v[keep] for v in (*pat.values, pat.weight))
    loglik, score = model._likelihood(px, ptx, pT, pw)
    if start is None:
        start = model._start(px, ptx, pT, pw)
    else:
        start = np.asarray(pd.Series(start)[list(model.param_names)] if isinstance(start, dict | pd.Series)
                           else start, dtype=float)
        if start.shape != (len(model.param_names),) or np.any(~(start > 0)):
            raise InputError(f"start must hold {len(model.param_names)} positive values "
                             f"({', '.join(model.param_names)}).")
    opt = maximize(loglik, start, names=model.param_names, score=score, total_weight=pw.sum(), stacklevel=4)
    info = [("Repeat buyers:", _count(np.sum(w[x > 0]))), ("Iterations:", opt.n_iter)]
    return results_class(
        opt, names=model.param_names, nobs=w.sum(), n_patterns=int(keep.sum()),
        columns={"frequency": frequency_col, "recency": recency_col, "T": T_col}, info=info,
    )


def _count(v):
    return int(v) if float(v).is_integer() else float(v)


class PurchaseResults(MLEResults):
    """Predictions shared by the purchase-process models (BG/NBD and Pareto/NBD).

    Subclasses implement ``_log_prob_alive(x, tx, T)``, ``_cond_expected(t, x, tx, T)``,
    ``_expected_new(t)`` and ``_prob_n(n, t)`` on numpy arrays.
    """

    def _history(self, data):
        c = self.columns
        return btyd_columns(data, c["frequency"], c["recency"], c["T"])

    def _iter_expected(self, times, x, tx, T):
        """Yield ``E[Y(t) | history]`` for each ``t`` in ``times`` (arrays over customers)."""
        for t in times:
            yield self._cond_expected(np.full(x.shape, float(t)), x, tx, T)

    def expected_purchases(self, t, data: pd.DataFrame) -> pd.Series:
        """Expected number of repeat purchases in ``(T, T + t]`` given each customer's history.

        Parameters
        ----------
        t : float or array_like
            Length of the prediction period in the data's time unit (scalar, or one per row).
        data : pandas.DataFrame
            Summary frame with the frequency, recency and T columns named at fit time.

        Returns
        -------
        pandas.Series
            ``E[Y(t) | x, t_x, T]``, aligned with ``data.index``.
        """
        x, tx, T = self._history(data)
        t = as_time(t, len(data))
        values = self._cond_expected(np.broadcast_to(t, x.shape), x, tx, T)
        return pd.Series(values, index=data.index, name="expected_purchases")

    def prob_alive(self, data: pd.DataFrame) -> pd.Series:
        """Probability that each customer is still active at the end of their observation period.

        Returns
        -------
        pandas.Series
            ``P(alive | x, t_x, T)``, aligned with ``data.index``.
        """
        x, tx, T = self._history(data)
        return pd.Series(np.exp(self._log_prob_alive(x, tx, T)), index=data.index, name="prob_alive")

    def expected_purchases_new_customer(self, t):
        """Expected number of repeat purchases a new customer makes in ``(0, t]``.

        Parameters
        ----------
        t : float or array_like
            Time(s) since the first purchase, in the data's time unit.

        Returns
        -------
        float or numpy.ndarray
            ``E[X(t)]`` with the shape of ``t``.
        """
        t = as_time(t)
        out = self._expected_new(np.atleast_1d(t).astype(float)).reshape(t.shape)
        return float(out) if out.ndim == 0 else out

    def prob_n_purchases(self, n, t):
        """Probability that a new customer makes exactly ``n`` repeat purchases in ``(0, t]``.

        Parameters
        ----------
        n : int or array_like of int
            Number(s) of repeat purchases (>= 0).
        t : float or array_like
            Length(s) of the period; broadcast against ``n``.

        Returns
        -------
        float or numpy.ndarray
            ``P(X(t) = n)``, broadcast over ``n`` and ``t``.
        """
        n = np.asarray(n)
        if not np.all(np.isfinite(n)) or np.any(n < 0) or np.any(n != np.round(n)):
            raise InputError(f"n must be whole numbers >= 0, got {n!r}.")
        t = as_time(t)
        n_b, t_b = np.broadcast_arrays(n.astype(float), t)
        out = self._prob_n(n_b.ravel(), t_b.ravel()).reshape(n_b.shape)
        return float(out) if out.ndim == 0 else out
