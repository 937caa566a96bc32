"""Comparing two arms of a randomised experiment: proportions, means and the sample-ratio check.

A randomised test assigns each customer to an arm by chance, so the arms differ only by chance and
by the treatment.  The difference of the arm means estimates the average treatment effect; its
standard error says how much that difference would wobble if the test were run again.

* :func:`two_proportions` -- a 0/1 outcome (repurchased or not): difference in rates with a
  Newcombe (default) or Wald interval, a pooled z test, and the relative lift.
* :func:`two_means` -- any numeric outcome (spend): Welch's t test and interval, which do not
  assume the two arms have the same variance.
* :func:`srm_check` -- before reading any effect: did the arms get the share of customers the
  design promised?  A sample-ratio mismatch means assignment or logging is broken.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from retailkit.errors import InputError, first_rows
from retailkit.experiments._common import arm_data, check_alpha, check_frame, warn_left_out
from retailkit.experiments._results import EffectResult, Frozen, Summary, table_lines

__all__ = ["two_proportions", "two_means", "srm_check", "SRMResult", "welch"]

_CI_METHODS = {"newcombe": "Newcombe hybrid score (method 10 of Newcombe 1998)",
               "wald": "Wald, difference +/- z * unpooled std err"}


def two_proportions(data: pd.DataFrame, *, outcome: str, arm: str, treatment="treatment", control="control",
                    alpha: float = 0.05, ci_method: str = "newcombe") -> EffectResult:
    """Compare the rate of a 0/1 outcome between treatment and control.

    The difference ``p_t - p_c`` is the effect in proportion points (0.02 = two points).  The test
    of "no difference" is the classic pooled z test: under the null both arms share one rate ``p``,
    so ``z = (p_t - p_c) / sqrt(p (1 - p) (1/n_t + 1/n_c))``.  The interval does not assume the null
    and so uses each arm's own rate.  The default Newcombe interval combines the Wilson score
    intervals of the two rates; it keeps its promised coverage for small samples and rates near 0
    or 1, where the textbook Wald interval ``diff +/- z * se`` is too narrow.  With thousands of
    customers per arm the two agree to a few decimals.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer (experimental unit).
    outcome : str
        Column holding 0/1 (or boolean) outcomes.
    arm : str
        Column holding the arm label of each row.
    treatment, control : hashable
        The labels of the two arms; any other label is an error (filter the data first).
    alpha : float
        One minus the interval's coverage (0.05 gives 95% intervals).
    ci_method : {"newcombe", "wald"}
        Interval for the difference (see above).

    Returns
    -------
    EffectResult
        ``effect`` (difference), ``ci_lower``/``ci_upper``, ``lift`` (``effect / p_c``, with a
        log-scale interval for the risk ratio), ``statistic`` (z), ``pvalue``; ``summary()`` and
        ``to_frame()``.  Rows with a missing arm or outcome are left out and counted in
        ``attrs["rows_left_out"]`` (with a :class:`~retailkit.RowsLeftOutWarning`).

    Examples
    --------
    >>> res = two_proportions(df, outcome="repurchased", arm="arm")   # doctest: +SKIP
    >>> print(res.summary())                                          # doctest: +SKIP
    """
    func = "two_proportions"
    alpha = check_alpha(alpha, func)
    if ci_method not in _CI_METHODS:
        raise InputError(f"{func}: ci_method must be one of {list(_CI_METHODS)}, got {ci_method!r}.")
    d = arm_data(data, func, arm=arm, treatment=treatment, control=control, numeric_cols={"outcome": outcome},
                 min_per_arm=1)
    y = d.columns["outcome"]
    bad = (y != 0) & (y != 1)
    if bad.any():
        rows = data.index[d.keep][bad]
        raise InputError(
            f"{func}: outcome column {outcome!r} must hold 0/1 (or True/False); {bad.sum():,} rows do not "
            f"(first: {first_rows(rows)}, values {sorted(set(y[bad][:5].tolist()))}). For spend or counts use "
            "two_means()."
        )
    yt, yc = d.arm("outcome", True), d.arm("outcome", False)
    n_t, n_c = len(yt), len(yc)
    x_t, x_c = int(yt.sum()), int(yc.sum())
    p_t, p_c = x_t / n_t, x_c / n_c
    diff = p_t - p_c
    pooled = (x_t + x_c) / (n_t + n_c)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    if se0 == 0:
        raise InputError(f"{func}: outcome column {outcome!r} has no variation (every analysed row is "
                         f"{int(pooled)}); there is no difference to test.")
    z = diff / se0
    se = np.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    if ci_method == "wald":
        q = stats.norm.ppf(1 - alpha / 2)
        lo, hi = diff - q * se, diff + q * se
    else:
        lo, hi = confint_proportions_2indep(x_t, n_t, x_c, n_c, method="newcomb", compare="diff", alpha=alpha)
    if x_c > 0 and x_t > 0:
        r_lo, r_hi = confint_proportions_2indep(x_t, n_t, x_c, n_c, method="log", compare="ratio", alpha=alpha)
        lift, lift_lo, lift_hi = diff / p_c, r_lo - 1, r_hi - 1
    else:
        lift = lift_lo = lift_hi = np.nan
    warn_left_out(func, d.left_out)
    return EffectResult(
        method="Two proportions: pooled z test", outcome=outcome, treatment=treatment, control=control,
        nobs_treatment=n_t, nobs_control=n_c, mean_treatment=p_t, mean_control=p_c, effect=diff, bse=float(se),
        ci_lower=float(lo), ci_upper=float(hi), lift=lift, lift_ci_lower=float(lift_lo), lift_ci_upper=float(lift_hi),
        statistic=float(z), stat_name="z", df=np.nan, pvalue=float(2 * stats.norm.sf(abs(z))), alpha=alpha,
        ci_method=_CI_METHODS[ci_method], attrs={"rows_left_out": d.left_out},
        notes=("std err is unpooled (each arm's own rate); the z test pools the rates under 'no difference'.",
               "Lift interval: risk ratio p_t/p_c on the log scale (Katz), minus 1."),
    )


def welch(yt: np.ndarray, yc: np.ndarray, alpha: float) -> dict:
    """Welch's two-sample comparison of means (used by :func:`two_means` and :func:`cuped`)."""
    n_t, n_c = len(yt), len(yc)
    m_t, m_c = float(yt.mean()), float(yc.mean())
    vt, vc = yt.var(ddof=1) / n_t, yc.var(ddof=1) / n_c
    se = float(np.sqrt(vt + vc))
    diff = m_t - m_c
    df = se**4 / (vt**2 / (n_t - 1) + vc**2 / (n_c - 1)) if se > 0 else np.nan
    t = diff / se if se > 0 else np.nan
    q = stats.t.ppf(1 - alpha / 2, df) if se > 0 else np.nan
    # relative lift m_t/m_c - 1; delta method: var(m_t/m_c) ~ vt/m_c^2 + m_t^2 vc/m_c^4
    if m_c != 0:
        se_r = np.sqrt(vt / m_c**2 + m_t**2 * vc / m_c**4)
        z = stats.norm.ppf(1 - alpha / 2)
        lift, lift_lo, lift_hi = diff / m_c, diff / m_c - z * se_r, diff / m_c + z * se_r
    else:
        lift = lift_lo = lift_hi = np.nan
    return dict(nobs_treatment=n_t, nobs_control=n_c, mean_treatment=m_t, mean_control=m_c, effect=diff, bse=se,
                ci_lower=diff - q * se, ci_upper=diff + q * se, lift=lift, lift_ci_lower=float(lift_lo),
                lift_ci_upper=float(lift_hi), statistic=float(t), stat_name="t", df=float(df),
                pvalue=float(2 * stats.t.sf(abs(t), df)) if se > 0 else np.nan, alpha=alpha,
                ci_method="Welch t interval (unequal variances, Welch-Satterthwaite df)")


def two_means(data: pd.DataFrame, *, outcome: str, arm: str, treatment="treatment", control="control",
              alpha: float = 0.05) -> EffectResult:
    """Compare the mean of a numeric outcome (spend, orders) between treatment and control (Welch).

    Welch's t test divides the difference of means by ``sqrt(s_t^2/n_t + s_c^2/n_c)``, each arm
    with its own variance, and reads the p-value from a t distribution with Welch-Satterthwaite
    degrees of freedom.  It is the safe default: when the variances are equal it loses almost
    nothing against Student's pooled test, and when they differ (a treatment often changes the
    spread as well as the mean) it keeps its error rate.  Spend is skewed, but with thousands of
    customers per arm the mean is close to normal (central limit theorem), which is all it needs.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer.
    outcome : str
        Numeric (or boolean) column.
    arm : str
        Column with the arm labels.
    treatment, control : hashable
        Labels of the two arms; any other label is an error.
    alpha : float
        One minus the interval's coverage.

    Returns
    -------
    EffectResult
        ``effect`` (difference of means) with a t interval, ``lift`` (``effect / mean_control``,
        interval by the delta method), ``statistic`` (t), ``df``, ``pvalue``.  Rows with a missing
        arm or outcome are left out and counted in ``attrs["rows_left_out"]``.
    """
    func = "two_means"
    alpha = check_alpha(alpha, func)
    d = arm_data(data, func, arm=arm, treatment=treatment, control=control, numeric_cols={"outcome": outcome})
    res = welch(d.arm("outcome", True), d.arm("outcome", False), alpha)
    if not res["bse"] > 0:
        raise InputError(f"{func}: outcome column {outcome!r} is constant within both arms; there is nothing to test.")
    warn_left_out(func, d.left_out)
    return EffectResult(method="Two means: Welch t test", outcome=outcome, treatment=treatment, control=control,
                        attrs={"rows_left_out": d.left_out},
                        notes=("Lift interval: delta method for mean_t/mean_c, minus 1.",), **res)


# --------------------------------------------------------------------------------------------- SRM
class SRMResult(Frozen):
    """Result of :func:`srm_check`: the counts per arm, the chi-square test and a verdict.

    Attributes
    ----------
    counts : pandas.DataFrame
        One row per arm: ``observed``, ``expected``, ``observed_share``, ``expected_share``.
    statistic, df, pvalue : float
        Pearson chi-square goodness-of-fit statistic, degrees of freedom (arms - 1) and p-value.
    mismatch : bool
        True when ``pvalue < alpha``.
    verdict : str
        One sentence saying what the test found and what to do.
    """

    def __init__(self, counts, statistic, pvalue, alpha, attrs):
        mismatch = bool(pvalue < alpha)
        worst = counts.loc[(counts["observed_share"] - counts["expected_share"]).abs().idxmax()]
        if mismatch:
            verdict = (f"Sample ratio mismatch (p = {pvalue:.3g} < {alpha:g}): arm {worst['arm']!r} got "
                       f"{worst['observed_share']:.2%} of units where {worst['expected_share']:.2%} was designed. "
                       "Find the assignment or logging fault before reading any effect.")
        else:
            verdict = (f"No sample ratio mismatch detected (p = {pvalue:.3g} >= {alpha:g}): the arm sizes are "
                       "consistent with the designed shares.")
        self._set(_counts=counts, statistic=float(statistic), df=len(counts) - 1, pvalue=float(pvalue),
                  alpha=alpha, mismatch=mismatch, verdict=verdict, nobs=int(counts["observed"].sum()), attrs=attrs)

    @property
    def counts(self) -> pd.DataFrame:
        """Observed and expected units per arm (a copy)."""
        return self._counts.copy()

    def to_frame(self) -> pd.DataFrame:
        """The counts per arm, with the test in ``attrs`` (statistic, pvalue, mismatch, verdict)."""
        out = self.counts
        out.attrs.update(statistic=self.statistic, df=self.df, pvalue=self.pvalue, mismatch=self.mismatch,
                         verdict=self.verdict, rows_left_out=dict(self.attrs["rows_left_out"]))
        return out

    def summary(self) -> Summary:
        w = 78
        lines = ["Sample ratio mismatch check (chi-square goodness of fit)".center(w), "=" * w]
        lines += table_lines(self._counts.set_index("arm"), {"observed": "observed", "expected": "expected",
                                                              "observed_share": "obs share",
                                                              "expected_share": "design share"}, "arm", w)
        lines += ["-" * w, f"chi2 = {self.statistic:.3f}, df = {self.df}, p-value = {self.pvalue:.4g}", self.verdict]
        return Summary("\n".join(lines))

    def __repr__(self) -> str:
        return f"<SRMResult: {'MISMATCH' if self.mismatch else 'ok'}, chi2={self.statistic:.2f}, p={self.pvalue:.3g}>"


def srm_check(data: pd.DataFrame, *, arm: str, expected_shares, alpha: float = 0.001) -> SRMResult:
    """Test whether the arms received the designed share of units (sample-ratio mismatch, SRM).

    If a test was designed 50/50 and 100,000 customers came out 52,000 / 48,000, chance alone
    almost never does that (chi-square = 160, p ~ 1e-36): something in assignment, redirects,
    bot filtering or logging treats the arms differently, and that same fault can bias every
    effect estimate.  The check is Pearson's chi-square goodness-of-fit test of the observed counts
    against ``N * expected_share``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per assigned unit.
    arm : str
        Column with the arm labels.
    expected_shares : mapping
        Designed share (or ratio) per arm label, e.g. ``{"control": 0.5, "treatment": 0.5}`` or
        ``{"control": 1, "treatment": 2}``; normalised to sum to 1.  Every label in the data must
        appear here; a designed arm with no units counts as 0 observed (a severe mismatch).
    alpha : float
        Threshold for the verdict.  The default 0.001 follows common practice (Kohavi, Tang & Xu
        2020; Fabijan et al. 2019): the check runs on every experiment, so it must rarely cry wolf,
        and real mismatches usually give far smaller p-values.

    Returns
    -------
    SRMResult
        ``counts``, ``statistic``, ``pvalue``, ``mismatch`` and a plain ``verdict``.  Rows with a
        missing arm are left out and counted in ``attrs["rows_left_out"]``.
    """
    func = "srm_check"
    alpha = check_alpha(alpha, func)
    check_frame(data, func, {"arm": arm})
    if not isinstance(expected_shares, Mapping | pd.Series) or len(expected_shares) < 2:
        raise InputError(f"{func}: expected_shares must map at least two arm labels to shares, e.g. "
                         f"{{'control': 0.5, 'treatment': 0.5}}; got {expected_shares!r}.")
    labels = list(expected_shares.keys())
    shares = np.array([expected_shares[k] for k in labels], dtype=float)
    if not (np.isfinite(shares).all() and (shares > 0).all()):
        raise InputError(f"{func}: every expected share must be a positive number; got {dict(expected_shares)}.")
    shares = shares / shares.sum()
    s = data[arm]
    missing = s.isna().to_numpy(dtype=bool)
    counts = s[~missing].value_counts()
    unknown = [label for label in counts.index if label not in set(labels)]
    if unknown:
        listed = ", ".join(f"{label!r} ({counts[label]:,} rows)" for label in unknown[:8])
        raise InputError(f"{func}: column {arm!r} has arm label(s) {listed} that are not in expected_shares "
                         f"({labels}). Add their designed share, or check the labels.")
    observed = np.array([int(counts.get(label, 0)) for label in labels])
    n = int(observed.sum())
    if n == 0:
        raise InputError(f"{func}: column {arm!r} has no non-missing arm labels.")
    expected = shares * n
    statistic, pvalue = stats.chisquare(observed, f_exp=expected)
    table = pd.DataFrame({"arm": labels, "observed": observed, "expected": expected,
                          "observed_share": observed / n, "expected_share": shares})
    left_out = {"arm missing": int(missing.sum())}
    warn_left_out(func, left_out)
    return SRMResult(table, statistic, pvalue, alpha, {"rows_left_out": left_out})
