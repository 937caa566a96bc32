"""Judging a targeting score on a randomised test: the Qini (uplift) curve and a budget comparison.

Sort customers by a score, best first.  For the top fraction ``f`` of customers, the randomised
arms inside that group estimate what treating them gains: the difference of the arms' outcome
rates times the number of customers,

    incremental(f) = n(f) * (mean outcome of treated in the top f - mean outcome of control in the top f)

= the extra repurchases we would get by treating exactly those ``n(f)`` customers.  A score that
puts the persuadable first climbs fast; treating customers in random order gains on average the
straight line from 0 to the total effect (``random``).  The area between the curve and that line
is the Qini coefficient (Radcliffe 2007); the area under the curve is the AUUC.  Radcliffe's
original Qini curve counts ``Y_t - Y_c * N_t / N_c`` in *treated* customers; with a 50/50 test it is
half of ``incremental`` here and ranks scores identically.

When each customer's true effect is known (simulated worlds) the same curve can be computed
exactly: ``true_incremental(f)`` sums the true effects of the top ``f``.  Ties in a score are
treated as unordered (the curve is linear across a tie, the average over tie-breaking orders).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from retailkit.errors import InputError, first_rows
from retailkit.experiments._common import check_alpha, check_frame, numeric, split_arms, warn_left_out

__all__ = ["qini_curve", "targeting_comparison"]


def _prepare(data, func, scores, outcome, arm, treatment, control, true_effect):
    if isinstance(scores, str):
        scores = [scores]
    scores = list(scores)
    if not scores:
        raise InputError(f"{func}: name at least one score column.")
    cols = {"outcome": outcome, "arm": arm, **{f"score[{i}]": s for i, s in enumerate(scores)}}
    if true_effect is not None:
        cols["true_effect"] = true_effect
    check_frame(data, func, cols)
    is_t, _, missing_arm = split_arms(data, arm, treatment, control, func)
    y, missing_y = numeric(data, outcome, func, "outcome")
    keep = ~missing_arm
    left_out = {"arm missing": int(missing_arm.sum()), "outcome missing": int((missing_y & keep).sum())}
    keep &= ~missing_y
    values = {}
    for s in scores:
        v, miss = numeric(data, s, func, "score")
        left_out[f"{s} missing"] = int((miss & keep).sum())
        keep &= ~miss
        values[s] = v
    tau = None
    if true_effect is not None:
        tau, miss = numeric(data, true_effect, func, "true_effect")
        if (miss & keep).any():
            raise InputError(f"{func}: true_effect column {true_effect!r} has missing values (rows "
                             f"{first_rows(data.index[miss & keep])}); the truth must be known for every row.")
        tau = tau[keep]
    return scores, {s: v[keep] for s, v in values.items()}, y[keep], is_t[keep], tau, left_out


def _cumulative(score, y, t, tau):
    """Cumulative counts and sums in score order, at the end of each tie group (with a leading 0)."""
    order = np.argsort(-score, kind="stable")
    s = score[order]
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    tt, yy = t[order], y[order]
    parts = {"n_t": tt.astype(float), "y_t": yy * tt, "n_c": (~tt).astype(float), "y_c": yy * ~tt}
    if tau is not None:
        parts["tau"] = tau[order]
    k = np.r_[0, ends + 1].astype(float)
    return k, {name: np.r_[0.0, np.cumsum(v)[ends]] for name, v in parts.items()}


def qini_curve(data: pd.DataFrame, *, score, outcome: str, arm: str, treatment="treatment", control="control",
               true_effect: str | None = None, n_points: int = 101) -> pd.DataFrame:
    """Qini / uplift curve of one or more targeting scores, from randomised data.

    Parameters
    ----------
    data : pandas.DataFrame
        Randomised experiment rows with the scores (use data the scores were *not* fitted on).
    score : str or list of str
        Score column(s); higher means "target first".  A churn-risk score and an uplift score can
        be compared on the same axes.
    outcome : str
        Outcome column (0/1 or numeric).
    arm : str
        Arm label column; ``treatment`` / ``control`` are its two labels.
    true_effect : str, optional
        Column with each row's true effect (simulations): adds ``true_incremental`` and
        ``true_random``.
    n_points : int
        Points on the fraction grid (101 gives 0%, 1%, ..., 100%).

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per score and grid point: ``score``, ``fraction_targeted``, ``n_targeted``,
        ``incremental`` (estimated extra outcomes from treating the top fraction; NaN where the
        top group does not yet hold both arms), ``random`` (the random-targeting line), and with
        ``true_effect`` also ``true_incremental`` and ``true_random``.  ``attrs`` holds per score
        ``auuc`` (area under ``incremental`` over the fraction axis), ``qini_coefficient``
        (``auuc`` minus the random line's area; > 0 beats random), ``true_qini_coefficient`` when
        the truth is given, and ``rows_left_out``.
    """
    func = "qini_curve"
    if not isinstance(n_points, int | np.integer) or n_points < 2:
        raise InputError(f"{func}: n_points must be an integer >= 2, got {n_points!r}.")
    scores, values, y, t, tau, left_out = _prepare(data, func, score, outcome, arm, treatment, control, true_effect)
    n = len(y)
    frac = np.linspace(0, 1, n_points)
    k_grid = frac * n
    frames, auuc, qini, true_qini = [], {}, {}, {}
    for name in scores:
        k, cum = _cumulative(values[name], y, t, tau)
        at = {key: np.interp(k_grid, k, v) for key, v in cum.items()}
        with np.errstate(invalid="ignore", divide="ignore"):
            lift = at["y_t"] / at["n_t"] - at["y_c"] / at["n_c"]
        inc = np.where(k_grid == 0, 0.0, k_grid * lift)
        inc[(k_grid > 0) & ((at["n_t"] < 1) | (at["n_c"] < 1))] = np.nan
        total = inc[-1]
        out = pd.DataFrame({"score": name, "fraction_targeted": frac, "n_targeted": np.round(k_grid).astype(np.int64),
                            "incremental": inc, "random": frac * total})
        ok = np.isfinite(inc)
        auuc[name] = float(np.trapezoid(inc[ok], frac[ok]))
        qini[name] = auuc[name] - float(np.trapezoid(out["random"].to_numpy()[ok], frac[ok]))
        if tau is not None:
            out["true_incremental"] = at["tau"]
            out["true_random"] = frac * cum["tau"][-1]
            true_qini[name] = float(np.trapezoid(at["tau"] - frac * cum["tau"][-1], frac))
        frames.append(out)
    result = pd.concat(frames, ignore_index=True)
    result.attrs.update(auuc=auuc, qini_coefficient=qini, outcome=outcome, rows_left_out=left_out)
    if tau is not None:
        result.attrs["true_qini_coefficient"] = true_qini
    warn_left_out(func, left_out)
    return result


def targeting_comparison(data: pd.DataFrame, *, scores, outcome: str, arm: str, budget=0.2, treatment="treatment",
                         control="control", true_effect: str | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Incremental outcomes from treating the top ``budget`` share of customers by each score.

    For each score (e.g. ``["churn_risk", "uplift"]``) and budget, take the top ``ceil(budget * n)``
    customers by the score; inside that group the randomised arms estimate the gain from treating
    all of them, ``n_targeted * (mean_treated - mean_control)``, with a normal interval.  A
    ``"random"`` row gives the gain from treating a random ``budget`` share.  With
    ``true_effect``, ``true_incremental`` is the exact gain: the sum of the targeted customers'
    true effects -- the number the choice of rule is really about.

    Parameters
    ----------
    data : pandas.DataFrame
        Randomised experiment rows with the score columns (held out from any model fitting).
    scores : str or list of str
        Score columns; higher = target first.  Ties are broken by row order.
    outcome, arm, treatment, control
        As in :func:`qini_curve`.
    budget : float or list of float
        Share(s) of customers that can be treated, in (0, 1].
    true_effect : str, optional
        Column of true individual effects (simulations).
    alpha : float
        One minus the interval's coverage.

    Returns
    -------
    pandas.DataFrame
        One row per rule and budget: ``rule``, ``budget``, ``n_targeted``, ``uplift_in_targeted``
        (difference of the arms' means among the targeted), ``incremental``, ``ci_lower``,
        ``ci_upper``, and with the truth ``true_uplift_in_targeted`` and ``true_incremental``.
    """
    func = "targeting_comparison"
    alpha = check_alpha(alpha, func)
    budgets = np.atleast_1d(np.asarray(budget, dtype=float))
    if not ((budgets > 0) & (budgets <= 1)).all():
        raise InputError(f"{func}: budget must be share(s) of customers in (0, 1], got {budget!r}.")
    scores, values, y, t, tau, left_out = _prepare(data, func, scores, outcome, arm, treatment, control, true_effect)
    n = len(y)
    z = stats.norm.ppf(1 - alpha / 2)
    ks = np.ceil(budgets * n - 1e-9).astype(np.int64)

    def gains(order, k_list):
        tt, yy = t[order], y[order]
        c = {"nt": np.cumsum(tt), "st": np.cumsum(yy * tt), "qt": np.cumsum(yy**2 * tt),
             "nc": np.cumsum(~tt), "sc": np.cumsum(yy * ~tt), "qc": np.cumsum(yy**2 * ~tt)}
        rows = []
        for k in k_list:
            nt, nc = c["nt"][k - 1], c["nc"][k - 1]
            if nt < 2 or nc < 2:
                rows.append((np.nan, np.nan, np.nan))
                continue
            mt, mc = c["st"][k - 1] / nt, c["sc"][k - 1] / nc
            vt = (c["qt"][k - 1] - nt * mt**2) / (nt - 1)
            vc = (c["qc"][k - 1] - nc * mc**2) / (nc - 1)
            rows.append((mt - mc, k * (mt - mc), k * np.sqrt(vt / nt + vc / nc)))
        return np.array(rows)

    out = []
    for name in scores:
        order = np.argsort(-values[name], kind="stable")
        g = gains(order, ks)
        truth = np.cumsum(tau[order])[ks - 1] if tau is not None else None
        for i, b in enumerate(budgets):
            row = {"rule": name, "budget": b, "n_targeted": int(ks[i]), "uplift_in_targeted": g[i, 0],
                   "incremental": g[i, 1], "ci_lower": g[i, 1] - z * g[i, 2], "ci_upper": g[i, 1] + z * g[i, 2]}
            if tau is not None:
                row["true_uplift_in_targeted"] = truth[i] / ks[i]
                row["true_incremental"] = truth[i]
            out.append(row)
    overall = gains(np.arange(n), [n])[0]
    for b, k in zip(budgets, ks, strict=True):
        row = {"rule": "random", "budget": b, "n_targeted": int(k), "uplift_in_targeted": overall[0],
               "incremental": k * overall[0], "ci_lower": k * (overall[0] - z * overall[2] / n),
               "ci_upper": k * (overall[0] + z * overall[2] / n)}
        if tau is not None:
            row["true_uplift_in_targeted"] = float(tau.mean())
            row["true_incremental"] = k * float(tau.mean())
        out.append(row)
    result = pd.DataFrame(out)
    result.attrs.update(rows_left_out=left_out, outcome=outcome, alpha=alpha)
    warn_left_out(func, left_out)
    return result
