"""Group-time average treatment effects for a staggered roll-out (Callaway & Sant'Anna 2021), written plainly.

Group the treated units by the period they adopted, their *cohort* ``g``.  For each cohort and
each period ``t``, compare how much the cohort's outcome changed since the period before it
adopted, ``g - 1``, with how much the outcome of comparison units changed over the same span::

    ATT(g, t) = mean_{i in cohort g}[y_it - y_i,g-1]  -  mean_{j in controls(g, t)}[y_jt - y_j,g-1]

The controls are units never treated plus, by default, units *not yet treated* by period ``t``
(adoption after ``max(t, g - 1)``).  Units that adopted earlier are never used as controls -- that
is precisely the forbidden comparison that biases two-way fixed effects.  Each ``ATT(g, t)`` is a
clean 2x2 difference-in-differences, valid if cohort ``g`` and its controls would have moved in
parallel (unconditional parallel trends; no covariates, no anticipation).  For ``t < g - 1`` the
same formula gives placebo estimates (should be near 0); ``t = g - 1`` is 0 by construction.

The cells are then averaged with weights proportional to cohort size:

* by event time ``e = t - g`` (the dynamic profile): ``theta(e) = sum_g w_g ATT(g, g + e)`` over
  the cohorts observed ``e`` periods after adoption;
* overall: the average over all post-adoption cells ``(g, t >= g)``, each weighted by its cohort
  size -- the average effect over every treated unit-period (CS's "simple" aggregation).

Standard errors come from influence functions: each unit's contribution to each estimate, so that
``estimate - truth ~ (1/n) sum_i psi_i``.  Summing ``psi`` within clusters (units by default)
makes the errors robust to any correlation over time within a unit; the aggregation weights are
estimated too and their uncertainty is included.  ``se="bootstrap"`` instead draws a multiplier
bootstrap (each cluster's ``psi`` multiplied by a random +/-1, Rademacher weights) with ``seed``, as
the ``did`` R package does; it gives the same standard errors in large samples and adds a
simultaneous (uniform) band for the event-time profile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse, stats

from retailkit.errors import IdentificationError, InputError
from retailkit.experiments._common import check_alpha, rng_from, warn_left_out
from retailkit.experiments._panel import prepare_panel, require_variation
from retailkit.experiments._results import Frozen, Summary

__all__ = ["group_time_att", "GroupTimeResult", "compare_did"]


class GroupTimeResult(Frozen):
    """Group-time ATTs and their aggregations.

    Attributes
    ----------
    att_gt : pandas.DataFrame
        One row per (cohort, period) cell: ``cohort``, ``period``, ``event_time``, ``att``,
        ``std_err``, ``ci_lower``, ``ci_upper``, ``n_treated``, ``n_control`` (and ``truth``).
    event : pandas.DataFrame
        The event-time profile: ``event_time``, ``estimate``, ``std_err``, ``ci_lower``, ``ci_upper``,
        ``n_cohorts``, ``reference`` (e = -1), with the bootstrap also ``band_lower``/``band_upper``
        (simultaneous band) and with the truth ``truth``.
    overall, bse : float
        Overall ATT (simple aggregation) and its standard error; ``conf_int()`` its interval.
    """

    def __init__(self, **values):
        self._set(**values)

    @property
    def att_gt(self) -> pd.DataFrame:
        return self._att_gt.copy()

    @property
    def event(self) -> pd.DataFrame:
        return self._event.copy()

    def conf_int(self) -> tuple[float, float]:
        """Interval for the overall ATT at level ``1 - alpha``."""
        return self.ci_lower, self.ci_upper

    def to_frame(self, level: str = "event") -> pd.DataFrame:
        """Tidy output: ``"event"`` (profile, default), ``"group_time"`` (cells) or ``"overall"`` (one row)."""
        if level == "event":
            out = self.event
            out.insert(1, "term", out["event_time"].astype(str))
        elif level == "group_time":
            out = self.att_gt
        elif level == "overall":
            row = {"estimate": self.overall, "std_err": self.bse, "ci_lower": self.ci_lower, "ci_upper": self.ci_upper}
            if self.truth is not None:
                row["truth"] = self.truth
            out = pd.DataFrame([row])
        else:
            raise InputError(f"to_frame: level must be 'event', 'group_time' or 'overall', got {level!r}.")
        out.attrs.update(method=self.method, outcome=self.outcome, alpha=self.alpha, **dict(self.attrs))
        return out

    def summary(self) -> Summary:
        w = 78
        lo, hi = self.conf_int()
        lines = [self.method.center(w), "=" * w,
                 f"Outcome: {self.outcome}   Units: {self.n_units:,}   Periods: {self.n_periods}   "
                 f"Cohorts: {self.n_cohorts}   Controls: {self.control_group.replace('_', '-')}",
                 f"Std. errors: {self.se_method}, clustered by {self.cluster} ({self.n_clusters:,} clusters)", "=" * w,
                 f"Overall ATT (weights by cohort size): {self.overall:.4f}  (std err {self.bse:.4f}; "
                 f"{1 - self.alpha:.0%} CI {lo:.4f} to {hi:.4f})"
                 + ("" if self.truth is None else f"  truth {self.truth:.4f}"), "-" * w]
        ev = self._event
        cols = ["event_time", "estimate", "std_err", "ci_lower", "ci_upper", "n_cohorts"]
        cols += ["truth"] if "truth" in ev else []
        lines.append(ev[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        lines.append("=" * w)
        notes = [f"{n:,} units {why}" for why, n in self.attrs.get("units", {}).items() if n]
        notes += [f"{n:,} rows left out ({why})" for why, n in self.attrs.get("rows_left_out", {}).items() if n]
        if self.attrs.get("cells_without_controls"):
            notes.append(f"{self.attrs['cells_without_controls']} (cohort, period) cells had no comparison units "
                         "and are not estimated")
        lines += [f"Note: {n}" for n in notes]
        return Summary("\n".join(lines))

    def __repr__(self) -> str:
        return (f"<GroupTimeResult: overall ATT {self.overall:.4g} [{self.ci_lower:.4g}, {self.ci_upper:.4g}], "
                f"{len(self._att_gt)} cells, {self.n_cohorts} cohorts>")


def group_time_att(panel: pd.DataFrame, *, unit: str, period: str, outcome: str, first_treated: str,
                   control_group: str = "not_yet_treated", cluster: str | None = None, se: str = "analytic",
                   n_boot: int = 999, seed=None, true_effect: str | None = None,
                   alpha: float = 0.05) -> GroupTimeResult:
    """Group-time average treatment effects ATT(g, t), aggregated by event time and overall.

    Parameters
    ----------
    panel, unit, period, outcome, first_treated
        As in :func:`retailkit.experiments.twfe`.  Units treated from the first period have no
        pre-period and are left out (counted in ``attrs["units"]``).
    control_group : {"not_yet_treated", "never_treated"}
        Comparison units: never-treated plus not-yet-treated (default; more data), or never-treated
        only (needs some).
    cluster : str, optional
        Cluster column for the errors (default ``unit``); each unit must lie in one cluster.
    se : {"analytic", "bootstrap"}
        Influence-function standard errors (deterministic), or a multiplier bootstrap with
        ``n_boot`` draws and ``seed`` (adds a simultaneous band for the event profile).
    n_boot : int
        Bootstrap draws.
    seed : int, numpy.random.Generator or None
        Randomness for the bootstrap only.
    true_effect : str, optional
        True effects (simulations): adds ``truth`` to every table, aggregated with the same weights.
    alpha : float
        One minus the interval's coverage.

    Returns
    -------
    GroupTimeResult
        ``overall`` (with ``bse``, ``conf_int()``), ``event`` (profile), ``att_gt`` (cells),
        ``summary()``, ``to_frame(level)``; plot with :func:`retailkit.experiments.plot_event_study`.
    """
    func = "group_time_att"
    alpha = check_alpha(alpha, func)
    if control_group not in ("not_yet_treated", "never_treated"):
        raise InputError(f"{func}: control_group must be 'not_yet_treated' or 'never_treated', got {control_group!r}.")
    if se not in ("analytic", "bootstrap"):
        raise InputError(f"{func}: se must be 'analytic' or 'bootstrap', got {se!r}.")
    if se == "bootstrap" and (not isinstance(n_boot, int | np.integer) or n_boot < 50):
        raise InputError(f"{func}: n_boot must be an integer >= 50, got {n_boot!r}.")
    rng = rng_from(seed, func) if se == "bootstrap" else None
    p = prepare_panel(panel, func, unit=unit, period=period, outcome=outcome, first_treated=first_treated,
                      cluster=cluster, true_effect=true_effect)
    require_variation(p, func)
    if not p.nested:
        raise InputError(f"{func}: every unit must belong to one cluster; some units of {unit!r} appear in several "
                         f"values of {cluster!r}.")
    # keep units with a pre-period; g = adoption code (NaN never), wide outcome matrix units x periods
    g_all = p.g
    use_unit = ~(np.isfinite(g_all) & (g_all <= 0))
    new_code = np.cumsum(use_unit) - 1
    obs = use_unit[p.ucode]
    u, t_obs = new_code[p.ucode[obs]], p.pcode[obs]
    g = g_all[use_unit]
    n, n_p = int(use_unit.sum()), p.n_periods
    Y = np.full((n, n_p), np.nan)
    Y[u, t_obs] = p.y[obs]
    TAU = None
    if p.tau is not None:
        TAU = np.full((n, n_p), np.nan)
        TAU[u, t_obs] = p.tau[obs]
    cl_unit = np.zeros(n, dtype=np.int64)
    cl_unit[u] = p.ccode[obs]
    cl_codes, cl_unit = np.unique(cl_unit, return_inverse=True)
    n_cl = len(cl_codes)
    C = sparse.csr_matrix((np.ones(n), (cl_unit, np.arange(n))), shape=(n_cl, n))  # clusters x units
    never = ~np.isfinite(g)
    g_filled = np.where(never, np.inf, g)
    cohorts = np.unique(g[np.isfinite(g)]).astype(np.int64)
    observed = ~np.isnan(Y)
    cells, psis = [], []
    no_controls = 0
    t_idx = np.arange(n_p)
    for c in cohorts:
        base = c - 1
        in_g = g_filled == c
        dY = Y - Y[:, [base]]
        ok = observed & observed[:, [base]]
        treat = in_g[:, None] & ok
        if control_group == "never_treated":
            ctrl = never[:, None] & ok
        else:
            ctrl = (g_filled[:, None] > np.maximum(t_idx, base)[None, :]) & ~in_g[:, None] & ok
        n_t, n_c = treat.sum(0), ctrl.sum(0)
        valid = (t_idx != base) & (n_t > 0) & (n_c > 0)
        no_controls += int(((t_idx != base) & (n_t > 0) & (n_c == 0)).sum())
        dz = np.where(ok, dY, 0.0)
        mu_t = (dz * treat).sum(0) / np.maximum(n_t, 1)
        mu_c = (dz * ctrl).sum(0) / np.maximum(n_c, 1)
        att = mu_t - mu_c
        # influence function of each unit on each cell: n * (treated deviation / n_t - control deviation / n_c)
        psi = n * (treat * (dz - mu_t) / np.maximum(n_t, 1) - ctrl * (dz - mu_c) / np.maximum(n_c, 1))
        truth = (np.where(treat, np.nan_to_num(TAU), 0).sum(0) / np.maximum(n_t, 1)) if TAU is not None else None
        for t in np.flatnonzero(valid):
            cells.append((c, t, t - c, att[t], n_t[t], n_c[t], np.nan if truth is None else truth[t]))
        psis.append(psi[:, valid])
    if not cells:
        raise IdentificationError(f"{func}: no (cohort, period) cell has comparison units; with "
                                  f"control_group={control_group!r} there is nothing to compare the adopters with.")
    cells = pd.DataFrame(cells, columns=["g", "t", "event_time", "att", "n_treated", "n_control", "truth"])
    Psi = np.concatenate(psis, axis=1)  # units x cells
    share = np.array([(g_filled == c).mean() for c in cohorts])
    p_g = pd.Series(share, index=cohorts)[cells["g"]].to_numpy()
    att = cells["att"].to_numpy()
    ev_times = np.sort(cells["event_time"].unique())
    agg_names, agg_psi, agg_est, agg_truth = [], [], [], []
    unit_cohort = np.where(never, -1, g_filled).astype(np.int64)
    for name, sel in [(f"e={e}", (cells["event_time"] == e).to_numpy()) for e in ev_times] + \
                     [("overall", (cells["event_time"] >= 0).to_numpy())]:
        w = p_g[sel] / p_g[sel].sum()
        est = float(w @ att[sel])
        # weight-estimation term: sum over the selected cells of the unit's cohort of (ATT_k - est) / S
        per_cohort = pd.Series((att[sel] - est) / p_g[sel].sum()).groupby(cells["g"].to_numpy()[sel]).sum()
        wif = pd.Series(unit_cohort).map(per_cohort).fillna(0).to_numpy()
        agg_names.append(name)
        agg_psi.append(Psi[:, sel] @ w + wif)
        agg_est.append(est)
        agg_truth.append(float(w @ cells["truth"].to_numpy()[sel]))
    A = np.column_stack(agg_psi)
    cell_cl, agg_cl = C @ Psi, C @ A  # influence summed within clusters
    # Few clusters: the small-sample factor G/(G-1) and t(G-1) critical values, as in twfe, so the
    # intervals of the two estimators are comparable (normal values undercover with ~10 stores).
    small = np.sqrt(n_cl / (n_cl - 1)) if n_cl > 1 else 1.0
    se_cells = small * np.sqrt((cell_cl**2).sum(0)) / n
    se_agg = small * np.sqrt((agg_cl**2).sum(0)) / n
    z = stats.t.ppf(1 - alpha / 2, n_cl - 1) if n_cl > 1 else stats.norm.ppf(1 - alpha / 2)
    crit_band = np.nan
    if se == "bootstrap":
        draws_cells, draws_agg = _multiplier(rng, n_boot, cell_cl, agg_cl, n)
        iqr = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)
        se_cells = np.subtract(*np.percentile(draws_cells, [75, 25], axis=0)) / iqr
        se_agg = np.subtract(*np.percentile(draws_agg, [75, 25], axis=0)) / iqr
        k = len(ev_times)
        with np.errstate(invalid="ignore", divide="ignore"):
            tmax = np.nanmax(np.abs(draws_agg[:, :k]) / se_agg[:k], axis=1)
        crit_band = float(np.quantile(tmax, 1 - alpha))
    cells["std_err"] = se_cells
    cells["ci_lower"], cells["ci_upper"] = att - z * se_cells, att + z * se_cells
    cells.insert(0, "cohort", p.period_label(cells["g"].to_numpy()))
    cells.insert(1, "period", p.period_label(cells["t"].to_numpy()))
    att_gt = cells.drop(columns=["g", "t"])
    k = len(ev_times)
    est, s = np.array(agg_est[:k]), se_agg[:k]
    event = pd.DataFrame({"event_time": ev_times, "estimate": est, "std_err": s, "ci_lower": est - z * s,
                          "ci_upper": est + z * s,
                          "n_cohorts": [int((cells["event_time"] == e).sum()) for e in ev_times]})
    if se == "bootstrap":
        event["band_lower"], event["band_upper"] = est - crit_band * s, est + crit_band * s
    if TAU is not None:
        event["truth"] = agg_truth[:k]
    else:
        att_gt = att_gt.drop(columns="truth")
    event = event[event["event_time"] != -1]
    ref = {c: [np.nan] for c in event.columns}
    ref.update(event_time=[-1], estimate=[0.0], n_cohorts=[len(cohorts)])
    if TAU is not None:
        ref["truth"] = [0.0]
    event = pd.concat([event, pd.DataFrame(ref)], ignore_index=True).sort_values("event_time", ignore_index=True)
    event["reference"] = event["event_time"] == -1
    overall, bse = agg_est[-1], float(se_agg[-1])
    attrs = {"rows_left_out": p.left_out, "units": {**p.unit_notes, "left out (no pre-period)": int((~use_unit).sum())},
             "cells_without_controls": no_controls, "band_critical_value": crit_band}
    warn_left_out(func, p.left_out)
    method = "Group-time ATT (Callaway & Sant'Anna 2021), base period g-1"
    return GroupTimeResult(
        _att_gt=att_gt, _event=event, overall=overall, bse=bse, ci_lower=overall - z * bse, ci_upper=overall + z * bse,
        truth=agg_truth[-1] if TAU is not None else None, method=method, outcome=outcome, n_units=n,
        n_periods=n_p, n_cohorts=len(cohorts), n_clusters=n_cl, cluster=p.names["cluster"],
        control_group=control_group, alpha=alpha, attrs=attrs,
        se_method="influence function" if se == "analytic" else f"multiplier bootstrap ({n_boot} Rademacher draws)")


def _multiplier(rng, n_boot, cell_cl, agg_cl, n, block: int = 256):
    """Bootstrap deviations ``(1/n) V @ psi`` with Rademacher ``V`` (draws x clusters), in blocks."""
    G = cell_cl.shape[0]
    out_c, out_a = [], []
    for start in range(0, n_boot, block):
        b = min(block, n_boot - start)
        V = rng.integers(0, 2, size=(b, G)).astype(np.float64) * 2 - 1
        out_c.append(V @ cell_cl / n)
        out_a.append(V @ agg_cl / n)
    return np.vstack(out_c), np.vstack(out_a)


def compare_did(panel: pd.DataFrame, *, unit: str, period: str, outcome: str, first_treated: str,
                true_effect: str | None = None, cluster: str | None = None, control_group: str = "not_yet_treated",
                alpha: float = 0.05) -> pd.DataFrame:
    """TWFE's single coefficient next to the group-time overall ATT (and the truth, when known).

    Why they differ under a staggered roll-out (Goodman-Bacon 2021): the TWFE coefficient is a
    weighted average of every 2x2 difference-in-differences hidden in the panel -- early adopters
    against never-treated units, late adopters against never-treated units, early against late
    *before* the late ones adopt (fine: the late ones are not yet treated), and late against early
    *after* the early ones adopted.  That last comparison uses already-treated units as controls.
    If the effect grows with time since adoption, the early adopters' outcomes keep rising during
    the late adopters' window because of their own treatment; subtracting that rise removes part
    of the late adopters' effect (and can make the comparison negative).  Units treated longest get
    the smallest, even negative, weights, so with growing effects TWFE understates the average
    effect -- although every unit's true effect is positive.  The group-time estimator never makes
    that comparison, so it recovers the average effect.

    With constant, homogeneous effects every 2x2 comparison estimates the same number and the two
    estimators agree: the bias comes from effects that change over time, not from staggering alone.

    Parameters
    ----------
    panel, unit, period, outcome, first_treated, cluster, alpha
        As in :func:`retailkit.experiments.twfe`.
    true_effect : str, optional
        True effect column; ``truth`` is then the average true effect over treated unit-periods
        of units with a pre-period (what the group-time overall ATT targets).
    control_group : str
        Passed to :func:`group_time_att`.

    Returns
    -------
    pandas.DataFrame
        One row per estimator: ``estimator``, ``estimate``, ``std_err``, ``ci_lower``, ``ci_upper``,
        and with the truth ``truth``, ``bias`` and ``covers_truth``.

    Examples
    --------
    >>> from retailkit.experiments import simulate_rollout, compare_did
    >>> panel = simulate_rollout(effect="growing", seed=1)       # effect ramps up over 12 months
    >>> compare_did(panel, unit="store_id", period="period", outcome="outcome",
    ...             first_treated="first_treated", true_effect="true_effect")   # doctest: +SKIP
    """
    from retailkit.experiments.did import twfe

    kw = dict(unit=unit, period=period, outcome=outcome, first_treated=first_treated, cluster=cluster, alpha=alpha,
              true_effect=true_effect)
    tw = twfe(panel, **kw)
    gt = group_time_att(panel, control_group=control_group, **kw)
    lo, hi = tw.conf_int().iloc[0]
    rows = [{"estimator": "TWFE (single coefficient)", "estimate": float(tw.params.iloc[0]),
             "std_err": float(tw.bse.iloc[0]), "ci_lower": lo, "ci_upper": hi},
            {"estimator": "Group-time ATT (not-yet-treated controls)" if control_group == "not_yet_treated"
             else "Group-time ATT (never-treated controls)", "estimate": gt.overall, "std_err": gt.bse,
             "ci_lower": gt.ci_lower, "ci_upper": gt.ci_upper}]
    out = pd.DataFrame(rows)
    if true_effect is not None:
        out["truth"] = gt.truth
        out["bias"] = out["estimate"] - gt.truth
        out["covers_truth"] = (out["ci_lower"] <= gt.truth) & (gt.truth <= out["ci_upper"])
    out.attrs.update(alpha=alpha)
    return out
