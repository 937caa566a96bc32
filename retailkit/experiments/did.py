"""Difference-in-differences on a unit x period panel: two-way fixed effects and the event study.

Two-way fixed effects (TWFE) regress the outcome on a treatment dummy plus a dummy for every unit
(its own level) and every period (shocks common to all units)::

    y_it = a_i + l_t + beta * D_it + e_it,        D_it = 1 once unit i has adopted

With one adoption date for all treated units this is the classic 2x2 difference-in-differences
and ``beta`` is the average effect on the treated, provided treated and control units would have
moved in parallel without treatment.  Observations of the same unit are correlated over time, so
the standard errors are clustered by unit (Bertrand, Duflo & Mullainathan 2004): ignoring that
makes intervals far too narrow.

With a *staggered* roll-out, ``beta`` is a weighted average of every 2x2 comparison in the data
(Goodman-Bacon 2021), including "forbidden" ones in which units that adopted *earlier* serve as the
controls for units adopting later.  If the effect grows with time since adoption, those early
adopters' outcomes are still rising because of the treatment, the comparison subtracts part of
the effect, and some weights are even negative: ``beta`` can be far from every unit's true
effect, or have the wrong sign.  The event study (leads and lags) shows the dynamics but carries
the same contamination (Sun & Abraham 2021).  Use :func:`retailkit.experiments.group_time_att`,
which only compares adopters with units not yet treated, and
:func:`retailkit.experiments.compare_did` to see both side by side.

Implementation: the unit and period dummies are absorbed by the two-way within transform (exactly
equivalent by the Frisch-Waugh-Lovell theorem; it scales to 100,000 units, where 100,000 dummy
columns would not), then OLS on the demeaned data, written out: ``b = (X'X)^-1 X'y`` and the
cluster-robust ("sandwich") covariance ``V = c (X'X)^-1 [sum_g s_g s_g'] (X'X)^-1`` with ``s_g`` the
sum of ``x_it * residual_it`` over cluster ``g``.  The tests check both against statsmodels' OLS with
``C(unit) + C(period)`` dummies and ``cov_type="cluster"``.  Small-sample factor as in Stata's
``reghdfe`` and R's ``fixest``: ``c = G/(G-1) * (N-1)/(N-K)`` where ``K`` counts the regressors and
the absorbed dummies *not* nested within the clusters (unit dummies are nested in unit clusters,
so only the ``P - 1`` period dummies count); t distribution with ``G - 1`` degrees of freedom.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse, stats

from retailkit.errors import IdentificationError, InputError
from retailkit.experiments._common import check_alpha, warn_left_out
from retailkit.experiments._panel import Panel, demean, prepare_panel, require_variation
from retailkit.experiments._results import Frozen, Summary

__all__ = ["twfe", "event_study", "DiDResult", "clustered_ols"]


class DiDResult(Frozen):
    """Estimates from a panel regression, in statsmodels' vocabulary, with tidy output.

    Attributes
    ----------
    method : str
        What was estimated.
    nobs, n_units, n_periods, n_clusters : int
        Observations, units, periods and clusters used.
    attrs : dict
        ``rows_left_out``, ``units`` notes, and for event studies the joint pre-trend test.
    """

    def __init__(self, *, table: pd.DataFrame, **values):
        self._set(_table=table, **values)

    @property
    def params(self) -> pd.Series:
        """Estimates by term (reference rows excluded)."""
        t = self._rows()
        return pd.Series(t["estimate"].to_numpy(), index=t["term"], name="params")

    @property
    def bse(self) -> pd.Series:
        """Clustered standard errors by term."""
        t = self._rows()
        return pd.Series(t["std_err"].to_numpy(), index=t["term"], name="bse")

    @property
    def pvalues(self) -> pd.Series:
        t = self._rows()
        return pd.Series(t["pvalue"].to_numpy(), index=t["term"], name="pvalues")

    def conf_int(self) -> pd.DataFrame:
        """Intervals at level ``1 - alpha``: columns lower and upper, one row per term."""
        t = self._rows()
        return pd.DataFrame({"lower": t["ci_lower"].to_numpy(), "upper": t["ci_upper"].to_numpy()}, index=t["term"])

    def cov_params(self) -> pd.DataFrame:
        """Clustered covariance matrix of the estimates."""
        return self.cov.copy()

    def _rows(self) -> pd.DataFrame:
        t = self._table
        return t[~t["reference"]] if "reference" in t else t

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of the estimates (event studies include the reference period with estimate 0)."""
        out = self._table.copy()
        out.attrs.update(method=self.method, outcome=self.outcome, alpha=self.alpha, **dict(self.attrs))
        return out

    def summary(self) -> Summary:
        w = 78
        lines = [self.method.center(w), "=" * w,
                 f"Outcome: {self.outcome}   Observations: {self.nobs:,}   Units: {self.n_units:,}   "
                 f"Periods: {self.n_periods}",
                 f"Std. errors clustered by {self.cluster} ({self.n_clusters:,} clusters), t with "
                 f"{self.n_clusters - 1} df", "=" * w]
        t = self._table
        lines.append(f"{'term':<12}{'estimate':>11}{'std err':>11}{'t':>9}{'p':>9}{'lower':>11}{'upper':>11}"
                     + (f"{'truth':>9}" if "truth" in t else ""))
        lines.append("-" * w)
        for _, r in t.iterrows():
            cells = [f"{str(r['term']):<12}", f"{r['estimate']:>11.4f}"]
            if r.get("reference", False):
                cells.append(f"{'(reference)':>51}")
            else:
                cells += [f"{r['std_err']:>11.4f}", f"{r['statistic']:>9.3f}", f"{r['pvalue']:>9.4f}",
                          f"{r['ci_lower']:>11.4f}", f"{r['ci_upper']:>11.4f}"]
            if "truth" in t:
                cells.append(f"{r['truth']:>9.4f}")
            lines.append("".join(cells))
        lines.append("=" * w)
        if "pretrend_pvalue" in self.attrs:
            lines.append(f"Joint test of the leads (pre-trends) = 0: F = {self.attrs['pretrend_F']:.3f}, "
                         f"p = {self.attrs['pretrend_pvalue']:.4f}")
        notes = [f"{n:,} {why}" for why, n in self.attrs.get("units", {}).items() if n]
        notes += [f"{n:,} rows left out ({why})" for why, n in self.attrs.get("rows_left_out", {}).items() if n]
        lines += [f"Note: {n}" for n in notes]
        return Summary("\n".join(lines))

    def __repr__(self) -> str:
        terms = ", ".join(f"{k}={v:.4g}" for k, v in list(self.params.items())[:4])
        return f"<DiDResult {self.method}: {terms}{' ...' if len(self.params) > 4 else ''}; nobs={self.nobs:,}>"


def clustered_ols(y_dm: np.ndarray, X_dm: np.ndarray, names, p: Panel, alpha: float, func: str):
    """OLS on demeaned data with cluster-robust covariance and the reghdfe/fixest degrees of freedom."""
    n, k = X_dm.shape
    xtx = X_dm.T @ X_dm
    if np.linalg.matrix_rank(xtx) < k:
        raise IdentificationError(
            f"{func}: the regressors {list(names)} are collinear with the unit and period effects (no variation in "
            "treatment timing separates them). Use fewer leads/lags, or add never- or not-yet-treated units.")
    bread = np.linalg.inv(xtx)
    params = bread @ (X_dm.T @ y_dm)
    resid = y_dm - X_dm @ params
    clusters = sparse.csr_matrix((np.ones(n), (p.ccode, np.arange(n))), shape=(p.n_clusters, n))
    scores = clusters @ (X_dm * resid[:, None])  # one row per cluster: sum of x * residual
    k_fe = (p.n_periods - 1) + (0 if p.nested else p.n_units)
    g = p.n_clusters
    c = g / (g - 1) * (n - 1) / (n - k - k_fe)
    cov = c * bread @ (scores.T @ scores) @ bread
    se = np.sqrt(np.diag(cov))
    df = g - 1
    tval = params / se
    q = stats.t.ppf(1 - alpha / 2, df)
    table = pd.DataFrame({"term": list(names), "estimate": params, "std_err": se, "statistic": tval,
                          "pvalue": 2 * stats.t.sf(np.abs(tval), df), "ci_lower": params - q * se,
                          "ci_upper": params + q * se})
    return pd.DataFrame(cov, index=list(names), columns=list(names)), table


def _common(p: Panel, func: str, alpha, *, treated_controls: bool = False):
    alpha = check_alpha(alpha, func)
    require_variation(p, func, treated_controls=treated_controls)
    if p.n_clusters < 2:
        raise InputError(f"{func}: clustered standard errors need at least 2 clusters, got {p.n_clusters}.")
    return alpha


def twfe(panel: pd.DataFrame, *, unit: str, period: str, outcome: str, first_treated: str,
         cluster: str | None = None, true_effect: str | None = None, alpha: float = 0.05) -> DiDResult:
    """Two-way fixed effects difference-in-differences with standard errors clustered by unit.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit and period (long format), e.g. store x month.
    unit : str
        Unit id column (e.g. ``"store_id"``).
    period : str
        Period column: integers (consecutive numbers) or pandas Periods.
    outcome : str
        Numeric outcome column.
    first_treated : str
        The unit's first treated period (same type as ``period``), repeated on each of its rows;
        missing (NaN/None/NaT) for units never treated.  Units adopting after the last period are
        treated as never treated.
    cluster : str, optional
        Cluster column for the standard errors (default: ``unit``).  Use the level at which
        treatment is assigned, e.g. ``store_id`` for a customer-level panel.
    true_effect : str, optional
        Column of true effects (simulations); ``truth`` is their mean over treated observations.
    alpha : float
        One minus the interval's coverage.

    Returns
    -------
    DiDResult
        One term, ``"treated"``: ``params``, ``bse``, ``conf_int()``, ``pvalues``, ``summary()``,
        ``to_frame()``.  Rows with a missing outcome are left out and counted in
        ``attrs["rows_left_out"]``.

    Notes
    -----
    Under a staggered roll-out with effects that change over time this single coefficient is
    biased (see the module docstring and :func:`compare_did`).
    """
    func = "twfe"
    p = prepare_panel(panel, func, unit=unit, period=period, outcome=outcome, first_treated=first_treated,
                      cluster=cluster, true_effect=true_effect)
    alpha = _common(p, func, alpha, treated_controls=True)
    d = p.treated
    Z = np.empty((len(p.y), 2))
    Z[:, 0], Z[:, 1] = p.y, d
    dm = demean(Z, p, copy=False)
    if np.abs(dm[:, 1]).max() < 1e-10:
        raise IdentificationError(f"{func}: no variation in treatment left after removing unit and period effects.")
    cov, table = clustered_ols(dm[:, 0], dm[:, 1:], ["treated"], p, alpha, func)
    if p.tau is not None:
        table["truth"] = [float(p.tau[d == 1].mean())]
    warn_left_out(func, p.left_out)
    return DiDResult(table=table, method="Two-way fixed effects DiD", outcome=outcome, nobs=len(p.y),
                     n_units=p.n_units, n_periods=p.n_periods, n_clusters=p.n_clusters, cluster=p.names["cluster"],
                     alpha=alpha, cov=cov, attrs={"rows_left_out": p.left_out, "units": p.unit_notes})


def event_study(panel: pd.DataFrame, *, unit: str, period: str, outcome: str, first_treated: str,
                leads: int = 5, lags: int = 10, cluster: str | None = None, true_effect: str | None = None,
                alpha: float = 0.05) -> DiDResult:
    """Two-way fixed effects event study: one coefficient per period relative to adoption.

    ``y_it = a_i + l_t + sum_e beta_e 1[t - g_i = e] + e_it`` for event times ``e`` from ``-leads``
    to ``lags``; the period just before adoption (``e = -1``) is the reference, so each ``beta_e``
    is the change since then, relative to comparison units.  The endpoints are *binned*:
    ``e <= -leads`` share one coefficient, ``e >= lags`` another (so no observation is dropped and
    the far periods do not silently join the reference).  Leads (``e <= -2``) near 0 support
    parallel trends; ``attrs["pretrend_pvalue"]`` is their joint F test.

    Parameters
    ----------
    panel, unit, period, outcome, first_treated, cluster, true_effect, alpha
        As in :func:`twfe`.
    leads : int
        Pre-adoption event times shown (``-leads`` is the binned endpoint); at least 2.
    lags : int
        Post-adoption event times shown (``lags`` is the binned endpoint "lags or later"); >= 0.

    Returns
    -------
    DiDResult
        ``to_frame()`` gives one row per event time: ``event_time``, ``term`` (e.g. ``"<=-5"``,
        ``"-4"``, ``">=10"``), ``estimate``, ``std_err``, ``ci_lower``, ``ci_upper``, ``pvalue``,
        ``n_obs`` (treated-unit observations in the bin), ``reference`` (True for ``e = -1``,
        estimate 0) and ``truth`` with ``true_effect``.  Plot with
        :func:`retailkit.experiments.plot_event_study`.
    """
    func = "event_study"
    for name, v, least in (("leads", leads, 2), ("lags", lags, 0)):
        if not isinstance(v, int | np.integer) or v < least:
            raise InputError(f"{func}: {name} must be an integer >= {least}, got {v!r}.")
    p = prepare_panel(panel, func, unit=unit, period=period, outcome=outcome, first_treated=first_treated,
                      cluster=cluster, true_effect=true_effect)
    alpha = _common(p, func, alpha)
    g = p.g_obs
    ever = np.isfinite(g)
    e = np.where(ever, p.pcode - np.nan_to_num(g), 0).astype(np.int64)
    e_b = np.clip(e, -leads, lags)
    times = [k for k in range(-leads, lags + 1) if k != -1 and (ever & (e_b == k)).any()]
    labels = {k: (f"<={k}" if k == -leads else f">={k}" if k == lags else str(k)) for k in range(-leads, lags + 1)}
    column = np.full(lags + leads + 1, -1)
    column[np.array(times) + leads] = np.arange(len(times))
    col = np.where(ever, column[e_b + leads], -1)
    rows = np.flatnonzero(col >= 0)
    Z = np.zeros((len(p.y), len(times) + 1))
    Z[:, 0] = p.y
    Z.ravel()[rows * Z.shape[1] + 1 + col[rows]] = 1.0
    dm = demean(Z, p, copy=False)
    cov, table = clustered_ols(dm[:, 0], dm[:, 1:], [labels[k] for k in times], p, alpha, func)
    table.insert(0, "event_time", times)
    ref = pd.DataFrame({"event_time": [-1], "term": ["-1"], "estimate": [0.0], "std_err": [np.nan],
                        "statistic": [np.nan], "pvalue": [np.nan], "ci_lower": [np.nan], "ci_upper": [np.nan]})
    table = pd.concat([table, ref], ignore_index=True).sort_values("event_time", ignore_index=True)
    table["reference"] = table["event_time"] == -1
    table["binned"] = table["event_time"].isin([-leads, lags])
    counts = pd.Series(e_b[ever]).value_counts()
    table["n_obs"] = table["event_time"].map(counts).fillna(0).astype(np.int64)
    if p.tau is not None:
        truth = pd.Series(p.tau[ever]).groupby(e_b[ever]).mean()
        table["truth"] = table["event_time"].map(truth)
    attrs = {"rows_left_out": p.left_out, "units": p.unit_notes, "leads": leads, "lags": lags}
    lead_idx = [i for i, k in enumerate(times) if k <= -2]
    if lead_idx:
        R = np.zeros((len(lead_idx), len(times)))
        R[np.arange(len(lead_idx)), lead_idx] = 1
        b = table["estimate"].to_numpy()[lead_idx]
        V = R @ cov.to_numpy() @ R.T
        F = float(b @ np.linalg.solve(V, b) / len(lead_idx))
        attrs.update(pretrend_F=F, pretrend_pvalue=float(stats.f.sf(F, len(lead_idx), p.n_clusters - 1)))
    warn_left_out(func, p.left_out)
    return DiDResult(table=table, method="TWFE event study (reference e = -1, binned endpoints)", outcome=outcome,
                     nobs=len(p.y), n_units=p.n_units, n_periods=p.n_periods, n_clusters=p.n_clusters,
                     cluster=p.names["cluster"], alpha=alpha, cov=cov, attrs=attrs)
