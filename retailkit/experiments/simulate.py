"""Small simulated experiments whose true effects are known (for teaching, tests and benchmarks).

* :func:`simulate_campaign` -- a randomised retention campaign, one row per customer, with each
  customer's true effect on repurchase (larger in the middle of recency than for the customers most
  at risk, so targeting by churn risk is not targeting by effect).
* :func:`simulate_rollout` -- a store x month panel with a staggered programme roll-out whose effect
  is constant or grows with the months since adoption.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retailkit.errors import InputError
from retailkit.experiments._common import rng_from

__all__ = ["simulate_campaign", "simulate_rollout"]


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def simulate_campaign(n_customers: int = 100_000, *, treatment_share: float = 0.5, effect_scale: float = 1.0,
                      seed=0) -> pd.DataFrame:
    """A randomised retention campaign with known individual effects.

    Each customer has a recency (days since last order), a frequency (past orders) and pre-period
    spend.  Without the campaign they repurchase with probability ``p_control``, lower for long
    recency.  The campaign adds ``true_effect`` to that probability: at most about 8 points for
    customers 60-180 days since their last order ("lapsing but reachable"), little for recent
    customers (who buy anyway) and for the long-gone (who ignore it).  ``churn_risk = 1 - p_control``
    is what a perfect churn model would score.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    treatment_share : float
        Share assigned to the ``"treatment"`` arm (the rest get ``"control"``).
    effect_scale : float
        Multiplies every true effect (0 gives an A/A test).
    seed : int, numpy.random.Generator or None
        Randomness source.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``arm``, ``recency_days``, ``frequency``, ``pre_spend``, ``churn_risk``,
        ``p_control``, ``true_effect`` (on repurchase probability), ``repurchased`` (0/1),
        ``spend`` (test-window spend) and ``true_spend_effect``.  ``attrs`` holds the sample
        averages ``true_ate_repurchase`` and ``true_ate_spend``.
    """
    if not isinstance(n_customers, int | np.integer) or n_customers < 2:
        raise InputError(f"simulate_campaign: n_customers must be an integer >= 2, got {n_customers!r}.")
    if not 0 < treatment_share < 1:
        raise InputError(f"simulate_campaign: treatment_share must be in (0, 1), got {treatment_share!r}.")
    rng = rng_from(seed, "simulate_campaign")
    n = int(n_customers)
    recency = rng.gamma(1.6, 75.0, n).clip(1, 730).round()
    frequency = 1 + rng.poisson(rng.gamma(1.0, 2.0, n))
    pre_spend = np.round(frequency * rng.gamma(3.0, 12.0, n) * np.exp(-recency / 400), 2)
    p_control = _expit(-0.2 - 0.009 * recency + 0.25 * np.log(frequency))
    bump = np.exp(-0.5 * ((np.log(recency) - np.log(110)) / 0.45) ** 2)  # peaks at 110 days
    true_effect = np.minimum(effect_scale * 0.08 * bump, 1 - p_control)
    treated = rng.random(n) < treatment_share
    repurchased = (rng.random(n) < p_control + treated * true_effect).astype(np.int64)
    basket = 40.0
    spend = np.round(0.8 * pre_spend * rng.lognormal(-0.045, 0.3, n) + repurchased * rng.gamma(2.0, basket / 2, n), 2)
    out = pd.DataFrame({
        "customer_id": np.arange(1, n + 1),
        "arm": np.where(treated, "treatment", "control"),
        "recency_days": recency.astype(np.int64),
        "frequency": frequency.astype(np.int64),
        "pre_spend": pre_spend,
        "churn_risk": 1 - p_control,
        "p_control": p_control,
        "true_effect": true_effect,
        "repurchased": repurchased,
        "spend": spend,
        "true_spend_effect": true_effect * basket,
    })
    out.attrs.update(true_ate_repurchase=float(true_effect.mean()), true_ate_spend=float(true_effect.mean() * basket))
    return out


def simulate_rollout(n_units: int = 200, n_periods: int = 36, *, cohorts=(13, 19, 25), never_treated_share=0.25,
                     effect: str = "growing", effect_size: float = 2.0, ramp: int = 12, noise: float = 1.0,
                     unit: str = "store_id", period: str = "period", seed=0) -> pd.DataFrame:
    """A unit x period panel with a staggered roll-out and a known effect.

    ``outcome = unit level + common period shock + true_effect + noise``: parallel trends hold by
    construction (every unit shares the period shocks), so any bias seen in an estimator comes from
    the estimator, not the data.  Units are split evenly across the adoption ``cohorts`` (first
    treated period; periods run 1..n_periods) after ``never_treated_share`` of them are set aside
    as never treated.

    Parameters
    ----------
    n_units, n_periods : int
        Panel size.
    cohorts : sequence of int
        Adoption periods (1-based).  A cohort at 1 is treated from the start (no pre-period).
    never_treated_share : float
        Share of units never treated (0 allowed: then only not-yet-treated units serve as controls).
    effect : {"growing", "constant"}
        ``"constant"``: ``effect_size`` from adoption on.  ``"growing"``: ``effect_size * min(e + 1,
        ramp) / ramp`` at ``e`` periods since adoption (e = 0 in the adoption period), reaching
        ``effect_size`` after ``ramp`` periods -- the case that breaks two-way fixed effects.
    effect_size, ramp, noise : float, int, float
        Size of the (long-run) effect, periods to reach it, and the noise standard deviation.
    unit, period : str
        Column names.
    seed : int, numpy.random.Generator or None
        Randomness source.

    Returns
    -------
    pandas.DataFrame
        ``unit``, ``period`` (int), ``first_treated`` (float, NaN = never), ``outcome``,
        ``true_effect``, ``event_time`` (period - first_treated, NaN if never treated).
    """
    func = "simulate_rollout"
    if effect not in ("growing", "constant"):
        raise InputError(f"{func}: effect must be 'growing' or 'constant', got {effect!r}.")
    if not 0 <= never_treated_share < 1:
        raise InputError(f"{func}: never_treated_share must be in [0, 1), got {never_treated_share!r}.")
    cohorts = np.asarray(list(cohorts), dtype=float)
    if cohorts.size == 0 or (cohorts < 1).any() or (cohorts > n_periods).any():
        raise InputError(f"{func}: cohorts must be adoption periods within 1..{n_periods}, got {list(cohorts)}.")
    rng = rng_from(seed, func)
    n_never = int(round(never_treated_share * n_units))
    first = np.full(n_units, np.nan)
    first[n_never:] = cohorts[np.arange(n_units - n_never) % len(cohorts)]
    first = rng.permutation(first)
    periods = np.arange(1, n_periods + 1)
    level = rng.normal(10.0, 3.0, n_units)
    shock = 0.05 * periods + np.sin(2 * np.pi * periods / 12) + rng.normal(0, 0.5, n_periods)
    e = periods[None, :] - first[:, None]
    treated = np.nan_to_num(e, nan=-1) >= 0
    if effect == "constant":
        tau = np.where(treated, effect_size, 0.0)
    else:
        tau = np.where(treated, effect_size * np.minimum(np.nan_to_num(e, nan=0) + 1, ramp) / ramp, 0.0)
    y = level[:, None] + shock[None, :] + tau + rng.normal(0, noise, (n_units, n_periods))
    return pd.DataFrame({
        unit: np.repeat(np.arange(1, n_units + 1), n_periods),
        period: np.tile(periods, n_units),
        "first_treated": np.repeat(first, n_periods),
        "outcome": y.ravel(),
        "true_effect": tau.ravel(),
        "event_time": e.ravel(),
    })
