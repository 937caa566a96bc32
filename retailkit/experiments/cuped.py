"""CUPED: narrower intervals from the same experiment, using what customers did before it started.

Much of the spread in an outcome such as spend during a test is just who the customer already
was: big spenders before stay big spenders.  CUPED (Controlled-experiment Using Pre-Experiment
Data; Deng, Xu, Kohavi & Walker 2013) removes the part of the outcome that a pre-experiment
covariate ``X`` predicts::

    Y_adj = Y - theta * (X - mean(X)),      theta = cov(Y, X) / var(X)   (both arms pooled)

and compares the arms on ``Y_adj`` instead of ``Y``.  Because ``X`` was measured before
assignment, randomisation makes its mean the same in both arms in expectation, so the adjustment
subtracts (nearly) the same amount from each arm: the estimate stays unbiased.  But ``Y_adj``
varies less: its variance is ``var(Y) (1 - rho^2)`` where ``rho`` is the correlation of ``X`` and
``Y``.  A pre-period correlation of 0.7 removes about half the variance, which is worth doubling
the sample.  ``theta`` is the slope of a regression of ``Y`` on ``X``; CUPED is the same idea as
adjusting for a baseline covariate in a regression (ANCOVA).

The covariate must not be affected by the treatment (measure it before assignment) or the
adjustment can remove part of the effect itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retailkit.errors import InputError
from retailkit.experiments._common import arm_data, check_alpha, warn_left_out
from retailkit.experiments._results import EffectResult
from retailkit.experiments.twosample import welch

__all__ = ["cuped"]


def cuped(data: pd.DataFrame, *, outcome: str, covariate: str, arm: str, treatment="treatment", control="control",
          alpha: float = 0.05) -> EffectResult:
    """Treatment effect on ``outcome`` adjusted with a pre-experiment ``covariate`` (CUPED), by Welch's test.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer.
    outcome : str
        Numeric outcome measured during the experiment (e.g. spend in the test window).
    covariate : str
        Numeric value measured before assignment, ideally the same metric in the pre-period (e.g.
        spend in the 8 weeks before).  It must not be affected by the treatment.
    arm : str
        Column with the arm labels.
    treatment, control : hashable
        Labels of the two arms.
    alpha : float
        One minus the interval's coverage.

    Returns
    -------
    EffectResult
        The adjusted difference of means (``effect``, ``ci_lower``, ``ci_upper``, ``pvalue``; means
        and lift on the adjusted outcome) plus, in ``extra``:

        - ``theta``: the pooled regression slope used for the adjustment;
        - ``correlation``: of outcome and covariate (pooled);
        - ``variance_reduction``: ``1 - (se_adjusted / se_unadjusted)^2``, the share of the
          estimate's variance removed (close to ``correlation^2``); the same precision without
          CUPED would need ``1 / (1 - variance_reduction)`` times the customers;
        - ``unadjusted_effect``, ``unadjusted_ci_lower``, ``unadjusted_ci_upper``: plain Welch;
        - ``ci_width_ratio``: adjusted interval width / unadjusted width.

        Rows with a missing arm, outcome or covariate are left out and counted in
        ``attrs["rows_left_out"]``.  (Customers new at the start have no pre-period: give them a
        covariate of 0 plus, if many, analyse them separately, rather than dropping them.)
    """
    func = "cuped"
    alpha = check_alpha(alpha, func)
    d = arm_data(data, func, arm=arm, treatment=treatment, control=control,
                 numeric_cols={"outcome": outcome, "covariate": covariate})
    y, x = d.columns["outcome"], d.columns["covariate"]
    xc = x - x.mean()
    var_x = float(xc @ xc) / (len(x) - 1)
    if not var_x > 0:
        raise InputError(f"{func}: covariate column {covariate!r} is constant ({x[0]!r}) on the analysed rows; it "
                         "cannot explain any of the outcome. Use a pre-experiment metric that varies by customer.")
    yc = y - y.mean()
    theta = float(yc @ xc) / (len(x) - 1) / var_x
    var_y = float(yc @ yc) / (len(y) - 1)
    corr = theta * np.sqrt(var_x / var_y) if var_y > 0 else np.nan
    y_adj = y - theta * xc
    treated = d.is_t
    plain = welch(y[treated], y[~treated], alpha)
    adj = welch(y_adj[treated], y_adj[~treated], alpha)
    if not (plain["bse"] > 0 and adj["bse"] > 0):
        raise InputError(f"{func}: outcome column {outcome!r} has no variation within the arms; nothing to test.")
    extra = {
        "theta": theta,
        "correlation": float(corr),
        "variance_reduction": 1 - (adj["bse"] / plain["bse"]) ** 2,
        "unadjusted_effect": plain["effect"],
        "unadjusted_ci_lower": plain["ci_lower"],
        "unadjusted_ci_upper": plain["ci_upper"],
        "unadjusted_pvalue": plain["pvalue"],
        "ci_width_ratio": (adj["ci_upper"] - adj["ci_lower"]) / (plain["ci_upper"] - plain["ci_lower"]),
    }
    warn_left_out(func, d.left_out)
    return EffectResult(
        method=f"CUPED: Welch t test on {outcome} adjusted for {covariate}", outcome=outcome, treatment=treatment,
        control=control, extra=extra, attrs={"rows_left_out": d.left_out},
        notes=("Y_adj = Y - theta (X - mean X), theta = cov(Y, X) / var(X) pooled over both arms.",
               "theta is estimated from the same data; its sampling error is negligible (order 1/n) and ignored."),
        **adj,
    )
