"""Planning a test: how many customers, what power, what is the smallest effect worth looking for.

Power is the chance that a test of size ``alpha`` detects a true effect of a given size.  It grows
with the number of customers and with the effect measured in noise units (a standardised effect
size).  Everything here delegates to :mod:`statsmodels.stats.power`:

* proportions: :class:`~statsmodels.stats.power.NormalIndPower` with Cohen's ``h``
  (:func:`~statsmodels.stats.proportion.proportion_effectsize`), the difference of the rates on the
  arcsine square-root scale, ``h = 2 asin(sqrt(p_t)) - 2 asin(sqrt(p_c))``.  On that scale the
  variance of a rate does not depend on the rate, so one normal approximation serves every rate.
  Repurchase 20% -> 22% gives ``h = 0.0491`` and ``n = (z_0.975 + z_0.80)^2 (1 + 1/ratio) / h^2 =
  6,507.3`` customers per arm, the figure usually quoted as "about 6,507"; a test needs whole
  customers, so :func:`sample_size_proportions` rounds *up* to 6,508 (6,507 would leave power a
  hair under 80%).  Other textbook formulas answer the same question with about 6,510 (normal
  approximation with the pooled variance under the null) and 6,610 (plus Fleiss' continuity
  correction): the approximations differ in the third digit, not in the conclusion.
* means: :class:`~statsmodels.stats.power.TTestIndPower` with Cohen's ``d = difference / sd``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from retailkit.errors import InputError
from retailkit.experiments._results import Frozen, Summary

__all__ = ["SampleSize", "sample_size_proportions", "sample_size_means", "power_proportions", "power_means",
           "power_curve", "minimum_detectable_effect"]

_ALTERNATIVES = ("two-sided", "larger", "smaller")


def _check(func, *, alpha=None, power=None, ratio=None, alternative=None, probs=(), n=None):
    for name, p in probs:
        if not isinstance(p, int | float | np.floating) or not 0 < float(p) < 1:
            raise InputError(f"{func}: {name} must be a proportion strictly between 0 and 1, got {p!r} "
                             "(write 20% as 0.20).")
    for name, v in (("alpha", alpha), ("power", power)):
        if v is not None and not (isinstance(v, int | float | np.floating) and 0 < float(v) < 1):
            raise InputError(f"{func}: {name} must be in (0, 1), e.g. alpha=0.05, power=0.8; got {v!r}.")
    if ratio is not None and not (isinstance(ratio, int | float | np.floating) and float(ratio) > 0):
        raise InputError(f"{func}: ratio (n_treatment / n_control) must be positive, got {ratio!r}.")
    if alternative is not None and alternative not in _ALTERNATIVES:
        raise InputError(f"{func}: alternative must be one of {_ALTERNATIVES}, got {alternative!r}.")
    if n is not None and not (np.all(np.isfinite(np.asarray(n, dtype=float))) and np.all(np.asarray(n) > 1)):
        raise InputError(f"{func}: n_control must be more than 1 customer, got {n!r}.")


class SampleSize(Frozen):
    """Customers needed per arm.

    Attributes
    ----------
    n_control, n_treatment, total : int
        Whole customers: ``n_exact`` rounded up, and ``ratio * n_exact`` rounded up.
    n_exact : float
        statsmodels' unrounded solution for the control arm (``nobs1``), e.g. 6507.33.
    effect_size : float
        The standardised effect (Cohen's h for proportions, Cohen's d for means).
    """

    def __init__(self, n_exact, *, effect_size, effect_name, alpha, power, ratio, alternative, question):
        n_exact = float(n_exact)
        n_c, n_t = math.ceil(n_exact - 1e-9), math.ceil(ratio * n_exact - 1e-9)
        self._set(n_exact=n_exact, n_control=n_c, n_treatment=n_t, total=n_c + n_t, effect_size=float(effect_size),
                  effect_name=effect_name, alpha=alpha, power=power, ratio=ratio, alternative=alternative,
                  question=question)

    def to_frame(self) -> pd.DataFrame:
        """One tidy row with the inputs and the answer."""
        return pd.DataFrame([{"question": self.question, "effect_size": self.effect_size,
                              "effect_name": self.effect_name, "alpha": self.alpha, "power": self.power,
                              "ratio": self.ratio,
                              "alternative": self.alternative, "n_exact": self.n_exact, "n_control": self.n_control,
                              "n_treatment": self.n_treatment, "total": self.total}])

    def summary(self) -> Summary:
        return Summary(
            f"Sample size for {self.question}\n"
            f"  {self.effect_name} = {self.effect_size:.4f}; alpha = {self.alpha:g} ({self.alternative}), "
            f"power = {self.power:.0%}, n_treatment/n_control = {self.ratio:g}\n"
            f"  exact solution: {self.n_exact:,.1f} in control (statsmodels), rounded up to whole customers:\n"
            f"  control {self.n_control:,}, treatment {self.n_treatment:,}, total {self.total:,}"
        )

    def __repr__(self) -> str:
        return (f"<SampleSize: {self.n_control:,} control + {self.n_treatment:,} treatment = {self.total:,} "
                f"(exact {self.n_exact:,.1f} per control arm; {self.effect_name} {self.effect_size:.4f})>")


def sample_size_proportions(p_control: float, p_treatment: float, alpha: float = 0.05, power: float = 0.8,
                            ratio: float = 1.0, alternative: str = "two-sided") -> SampleSize:
    """Customers per arm to detect a change in a rate from ``p_control`` to ``p_treatment``.

    Parameters
    ----------
    p_control, p_treatment : float
        The rate without and with the treatment (0.20 and 0.22 for 20% -> 22%).
    alpha : float
        Size of the test (false-positive rate).
    power : float
        Desired chance of detecting the effect if it is real.
    ratio : float
        ``n_treatment / n_control`` (1 = equal arms).
    alternative : {"two-sided", "larger", "smaller"}
        Passed to statsmodels.

    Returns
    -------
    SampleSize
        ``n_control``/``n_treatment`` rounded up, plus ``n_exact`` (6507.33 for 20% -> 22% at 5%/80%).

    Examples
    --------
    >>> sample_size_proportions(0.20, 0.22).n_control
    6508
    >>> round(sample_size_proportions(0.20, 0.22).n_exact)
    6507
    """
    func = "sample_size_proportions"
    _check(func, alpha=alpha, power=power, ratio=ratio, alternative=alternative,
           probs=(("p_control", p_control), ("p_treatment", p_treatment)))
    if p_control == p_treatment:
        raise InputError(f"{func}: p_treatment equals p_control ({p_control}); no sample is large enough to "
                         "detect a zero effect.")
    h = proportion_effectsize(p_treatment, p_control)  # signed: statsmodels' one-sided alternatives need the sign
    n = NormalIndPower().solve_power(effect_size=abs(h) if alternative == "two-sided" else h, nobs1=None,
                                     alpha=alpha, power=power, ratio=ratio, alternative=alternative)
    return SampleSize(n, effect_size=h, effect_name="Cohen's h", alpha=alpha, power=power, ratio=ratio,
                      alternative=alternative, question=f"a rate of {p_control:.2%} -> {p_treatment:.2%}")


def power_proportions(p_control: float, p_treatment: float, n_control, alpha: float = 0.05, ratio: float = 1.0,
                      alternative: str = "two-sided"):
    """Power of a test with ``n_control`` customers in control (and ``ratio * n_control`` in treatment).

    ``n_control`` may be an array; the result then is an array of the same shape.
    """
    func = "power_proportions"
    _check(func, alpha=alpha, ratio=ratio, alternative=alternative, n=n_control,
           probs=(("p_control", p_control), ("p_treatment", p_treatment)))
    h = proportion_effectsize(p_treatment, p_control)
    h = abs(h) if alternative == "two-sided" else h
    out = NormalIndPower().power(effect_size=h, nobs1=np.asarray(n_control, dtype=float), alpha=alpha, ratio=ratio,
                                 alternative=alternative)
    return float(out) if np.ndim(out) == 0 else np.asarray(out)


def sample_size_means(difference: float, sd: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0,
                      alternative: str = "two-sided") -> SampleSize:
    """Customers per arm to detect a difference in means (two-sample t test, Cohen's d = difference / sd).

    ``sd`` is the standard deviation of the outcome per customer (take it from past data; CUPED's
    adjusted outcome has a smaller one, see :func:`retailkit.experiments.cuped`).
    """
    func = "sample_size_means"
    _check(func, alpha=alpha, power=power, ratio=ratio, alternative=alternative)
    if not (np.isfinite(sd) and sd > 0) or not np.isfinite(difference) or difference == 0:
        raise InputError(f"{func}: need a non-zero difference and a positive sd, got difference={difference!r}, "
                         f"sd={sd!r}.")
    d = difference / sd
    d = abs(d) if alternative == "two-sided" else d
    n = TTestIndPower().solve_power(effect_size=d, nobs1=None, alpha=alpha, power=power, ratio=ratio,
                                    alternative=alternative)
    return SampleSize(n, effect_size=d, effect_name="Cohen's d", alpha=alpha, power=power, ratio=ratio,
                      alternative=alternative, question=f"a difference in means of {difference:g} (sd {sd:g})")


def power_means(difference: float, sd: float, n_control, alpha: float = 0.05, ratio: float = 1.0,
                alternative: str = "two-sided"):
    """Power of a two-sample t test for a difference in means (``n_control`` may be an array)."""
    func = "power_means"
    _check(func, alpha=alpha, ratio=ratio, alternative=alternative, n=n_control)
    if not (np.isfinite(sd) and sd > 0):
        raise InputError(f"{func}: sd must be positive, got {sd!r}.")
    d = difference / sd
    d = abs(d) if alternative == "two-sided" else d
    out = TTestIndPower().power(effect_size=d, nobs1=np.asarray(n_control, dtype=float), alpha=alpha, ratio=ratio,
                                alternative=alternative)
    return float(out) if np.ndim(out) == 0 else np.asarray(out)


def power_curve(p_control: float, p_treatment, n_control, alpha: float = 0.05, ratio: float = 1.0) -> pd.DataFrame:
    """Tidy power table over every combination of treatment rates and control-arm sizes.

    Returns columns ``p_control``, ``p_treatment``, ``difference``, ``n_control``, ``n_treatment`` and
    ``power`` (two-sided), ready for ``seaborn.lineplot(x="n_control", y="power", hue="p_treatment")``.
    """
    rows = []
    for p_t in np.atleast_1d(p_treatment):
        pw = np.atleast_1d(power_proportions(p_control, float(p_t), np.atleast_1d(n_control), alpha=alpha, ratio=ratio))
        for n, value in zip(np.atleast_1d(n_control), pw, strict=True):
            rows.append((p_control, float(p_t), float(p_t) - p_control, int(n), math.ceil(ratio * n), float(value)))
    return pd.DataFrame(rows, columns=["p_control", "p_treatment", "difference", "n_control", "n_treatment", "power"])


def minimum_detectable_effect(n_control, *, p_control: float | None = None, sd: float | None = None,
                              alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0) -> float:
    """The smallest true effect a two-sided test with ``n_control`` customers detects with ``power``.

    Give ``p_control`` for a rate (the answer is an absolute difference in the rate, upwards: 0.02
    means 20% -> 22%) or ``sd`` for a mean (the answer is a difference in the outcome's units).
    Effects smaller than the MDE can be real, but a test of this size will usually miss them.

    Examples
    --------
    >>> round(minimum_detectable_effect(6508, p_control=0.20), 4)
    0.02
    """
    func = "minimum_detectable_effect"
    _check(func, alpha=alpha, power=power, ratio=ratio, n=n_control)
    if (p_control is None) == (sd is None):
        raise InputError(f"{func}: give exactly one of p_control= (a rate) or sd= (a mean's standard deviation).")
    if p_control is not None:
        _check(func, probs=(("p_control", p_control),))
        h = NormalIndPower().solve_power(effect_size=None, nobs1=float(n_control), alpha=alpha, power=power,
                                         ratio=ratio, alternative="two-sided")
        angle = math.asin(math.sqrt(p_control)) + h / 2  # invert Cohen's h: h = 2 asin(sqrt p_t) - 2 asin(sqrt p_c)
        if angle >= math.pi / 2:
            raise InputError(f"{func}: no rate above {p_control} is detectable with n_control={n_control}; "
                             "the test is too small.")
        return math.sin(angle) ** 2 - p_control
    if not (np.isfinite(sd) and sd > 0):
        raise InputError(f"{func}: sd must be positive, got {sd!r}.")
    d = TTestIndPower().solve_power(effect_size=None, nobs1=float(n_control), alpha=alpha, power=power, ratio=ratio,
                                    alternative="two-sided")
    return float(d * sd)
