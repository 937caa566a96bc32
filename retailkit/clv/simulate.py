"""Vectorised simulators for the customer-base models (known truth for tests and teaching).

Each function draws every customer's latent traits from the model's mixing distributions and then
the observable summary, without a Python loop over customers.  All take ``seed`` (an int or a
``numpy.random.Generator``) and never touch global random state.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retailkit.errors import InputError

__all__ = ["simulate_bgnbd", "simulate_gammagamma", "simulate_paretonbd", "simulate_sbg"]


def _params(params, names):
    if isinstance(params, dict | pd.Series):
        missing = [n for n in names if n not in params]
        if missing:
            raise InputError(f"params lacks {', '.join(missing)} (expected {', '.join(names)}).")
        values = [float(params[n]) for n in names]
    else:
        values = [float(v) for v in params]
        if len(values) != len(names):
            raise InputError(f"params must hold {len(names)} values ({', '.join(names)}).")
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise InputError(f"params must be positive and finite, got {dict(zip(names, values, strict=True))}.")
    return values


def _times(T, n, name="T"):
    arr = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy() if np.ndim(T) == 0 else \
        np.asarray(T, dtype=float)
    if arr.shape != (n,) or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(f"{name} must be a scalar or {n} finite values >= 0.")
    return arr


def _last_of(rng, x, window):
    """Time of the last of ``x`` uniform points on ``[0, window]`` (0 where ``x == 0``)."""
    return np.where(x > 0, window * rng.beta(np.maximum(x, 1), 1.0), 0.0)


def simulate_bgnbd(n: int, params, T, *, holdout: float | None = None, seed=None) -> pd.DataFrame:
    """Simulate BG/NBD customers.

    Parameters
    ----------
    n : int
        Number of customers.
    params : dict, Series or sequence
        ``r, alpha, a, b``.
    T : float or array_like
        Observation length per customer (time since the first purchase).
    holdout : float, optional
        Also count repeat purchases in ``(T, T + holdout]`` (column ``frequency_holdout``).
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    pandas.DataFrame
        ``frequency, recency, T`` plus the truth: ``true_lambda``, ``true_p``, ``alive`` (active at
        T) and, with ``holdout``, ``frequency_holdout``.

    Notes
    -----
    The number of repeat purchases until drop-out is ``N ~ Geometric(p)`` on 1, 2, ...; with
    ``K ~ Poisson(lambda T)`` purchase times in ``[0, T]``, ``x = min(K, N)`` and the last purchase is
    the x-th of K uniform order statistics, ``t_x = T * Beta(x, K - x + 1)``.
    """
    r, alpha, a, b = _params(params, ("r", "alpha", "a", "b"))
    rng = np.random.default_rng(seed)
    T = _times(T, n)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    N = rng.geometric(np.maximum(p, 1e-12))  # p < 1e-12 means "never drops out" in any horizon
    K = rng.poisson(lam * T)
    x = np.minimum(K, N)
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(K - x + 1, 1)), 0.0)
    out = pd.DataFrame({"frequency": x, "recency": tx, "T": T, "true_lambda": lam, "true_p": p,
                        "alive": K < N})
    if holdout is not None:
        more = rng.poisson(lam * float(holdout))
        out["frequency_holdout"] = np.where(K < N, np.minimum(more, N - x), 0)
    return out


def simulate_paretonbd(n: int, params, T, *, holdout: float | None = None, seed=None) -> pd.DataFrame:
    """Simulate Pareto/NBD customers.

    Parameters
    ----------
    n : int
        Number of customers.
    params : dict, Series or sequence
        ``r, alpha, s, beta``.
    T : float or array_like
        Observation length per customer.
    holdout : float, optional
        Also count repeat purchases in ``(T, T + holdout]`` (column ``frequency_holdout``).
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    pandas.DataFrame
        ``frequency, recency, T`` plus ``true_lambda``, ``true_mu``, ``alive`` and optionally
        ``frequency_holdout``.
    """
    r, alpha, s, beta = _params(params, ("r", "alpha", "s", "beta"))
    rng = np.random.default_rng(seed)
    T = _times(T, n)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    life = rng.exponential(1.0 / mu)
    window = np.minimum(life, T)
    x = rng.poisson(lam * window)
    out = pd.DataFrame({"frequency": x, "recency": _last_of(rng, x, window), "T": T, "true_lambda": lam,
                        "true_mu": mu, "alive": life > T})
    if holdout is not None:
        active = np.clip(life - T, 0.0, float(holdout))
        out["frequency_holdout"] = rng.poisson(lam * active)
    return out


def simulate_gammagamma(frequency, params, *, seed=None) -> pd.DataFrame:
    """Simulate mean spend per repeat transaction under the Gamma-Gamma model.

    Parameters
    ----------
    frequency : array_like or pandas.Series
        Repeat purchases per customer (the index of a Series is kept).
    params : dict, Series or sequence
        ``p, q, v``.
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    pandas.DataFrame
        ``monetary_value`` (mean of the ``frequency`` transaction values, 0 without repeat purchase)
        and ``true_mean_spend`` (``p / nu``, the customer's expected transaction value).
    """
    p, q, v = _params(params, ("p", "q", "v"))
    rng = np.random.default_rng(seed)
    index = frequency.index if isinstance(frequency, pd.Series) else None
    x = np.asarray(frequency, dtype=float)
    if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.round(x)):
        raise InputError("frequency must be whole numbers >= 0.")
    nu = rng.gamma(q, 1.0 / v, x.size)
    # the mean of x Gamma(p, nu) values is Gamma(p x, nu x)
    mean = np.where(x > 0, rng.gamma(np.maximum(p * x, 1e-300), 1.0 / (nu * np.maximum(x, 1))), 0.0)
    return pd.DataFrame({"monetary_value": mean, "true_mean_spend": p / nu}, index=index)


def simulate_sbg(n: int, params, T, *, seed=None) -> pd.DataFrame:
    """Simulate a contractual cohort under the shifted-beta-geometric model.

    Parameters
    ----------
    n : int
        Number of customers.
    params : dict, Series or sequence
        ``alpha, beta``.
    T : int or array_like of int
        Periods observed per customer (>= 1).
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    pandas.DataFrame
        ``recency`` (last period active, ``T`` if still active), ``T`` and ``true_theta``.
    """
    alpha, beta = _params(params, ("alpha", "beta"))
    rng = np.random.default_rng(seed)
    T = _times(T, n)
    if np.any(T < 1) or np.any(T != np.round(T)):
        raise InputError("T must be whole numbers of periods >= 1.")
    theta = rng.beta(alpha, beta, n)
    last = rng.geometric(np.maximum(theta, 1e-12))
    return pd.DataFrame({"recency": np.minimum(last, T).astype(np.int64), "T": T.astype(np.int64),
                         "true_theta": theta})
