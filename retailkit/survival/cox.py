"""Cox proportional hazards with formulas, and per-customer survival curves from the fitted model.

The model is ``h_i(t) = h_0(t) exp(x_i' beta)``.  ``beta`` maximises the Breslow (or Efron) partial
likelihood; the baseline cumulative hazard is Breslow's estimator ``H_0(t) = sum over event times
t_k <= t of d_k / sum_{j: T_j >= t_k} exp(x_j' beta)`` (covariates *not* centred, so ``H_0`` is the
cumulative hazard of a customer whose design row is all zeros: the reference level of every
categorical and 0 for every number), and a customer's survival curve is
``S_i(t) = exp(-H_0(t) exp(x_i' beta))``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import patsy
from scipy import stats

from retailkit._immutable import Immutable
from retailkit._logs import RowsLeftOutWarning
from retailkit.errors import IdentificationError, InputError, first_rows
from retailkit.survival._checks import check_frame, durations, events

__all__ = ["CoxPH", "CoxPHResults", "cox_ph"]

#: ``engine="auto"`` uses statsmodels' PHReg up to this many rows and distinct event times; above
#: either, PHReg's per-row set-up and per-event-time loops take tens of seconds (measured in
#: ``benchmarks/bench_survival.py``) and the vectorised engine is used.
AUTO_MAX_ROWS = 50_000
AUTO_MAX_EVENT_TIMES = 5_000
_MAX_CELLS = 50_000_000  # survival_function refuses larger matrices (400 MB of float64)


def _split_formula(formula: str, duration_col: str, func: str) -> tuple[str, str]:
    if not isinstance(formula, str) or not formula.strip():
        raise InputError(f"{func}: formula must be a string such as 'C(channel) + age', got {formula!r}.")
    if "~" in formula:
        lhs, rhs = formula.split("~", 1)
        if lhs.strip():
            duration_col = lhs.strip()
    else:
        rhs = formula
    terms = {t.strip() for t in rhs.replace("-", "+").split("+")}
    if terms & {"0", "1"}:
        raise InputError(
            f"{func}: formula {formula!r} has a '0', '1' or '- 1' term. A Cox model has no intercept (the "
            "baseline hazard plays its part); write only the covariates, e.g. 'C(channel) + age'."
        )
    return duration_col, rhs.strip()


def _design(rhs: str, data: pd.DataFrame, env, func: str):
    try:
        X = patsy.dmatrix(rhs, data, eval_env=env, NA_action="drop", return_type="dataframe")
    except patsy.PatsyError as exc:
        raise InputError(f"{func}: cannot build the covariates from {rhs!r}: {exc}") from None
    if "Intercept" not in X.columns:  # pragma: no cover - _split_formula rejects '- 1' already
        raise InputError(f"{func}: formula {rhs!r} removes the intercept; write only the covariates.")
    info = X.design_info
    X = X.drop(columns="Intercept")
    if X.shape[1] == 0:
        raise InputError(f"{func}: formula {rhs!r} has no covariates; use kaplan_meier for a model without any.")
    return X, info


def _check_identified(X: pd.DataFrame, e: np.ndarray, func: str) -> None:
    x = X.to_numpy()
    const = np.flatnonzero(np.ptp(x, axis=0) == 0)
    if len(const):
        raise IdentificationError(
            f"{func}: covariate(s) {[X.columns[j] for j in const]} take a single value, which the baseline "
            "hazard absorbs. Leave them out of the formula."
        )
    binary = np.flatnonzero(np.all((x == 0) | (x == 1), axis=0))
    ev = e == 1
    for j in binary:
        for value in (1.0, 0.0):
            rows = x[:, j] == value
            if not ev[rows].any():
                who = f"{X.columns[j]} = {value:g}"
                raise IdentificationError(
                    f"{func}: no events among the {rows.sum():,} rows with {who}; the log hazard ratio of "
                    f"{X.columns[j]!r} runs to {'-' if value == 1 else '+'}infinity. Merge that group with "
                    "another level, or leave it out."
                )
    if np.linalg.matrix_rank(x - x.mean(axis=0)) < x.shape[1]:
        raise IdentificationError(
            f"{func}: the covariates {list(X.columns)} are collinear (one is a combination of the others). "
            "Drop one of them."
        )


def _revcumsum(a: np.ndarray) -> np.ndarray:
    return np.cumsum(a[::-1], axis=0)[::-1]


class _Breslow:
    """Breslow partial likelihood, score and information, vectorised over rows and event times.

    Each row is binned at the last distinct event time on or before its duration (``bin``: it is
    at risk at event times ``0..bin``; -1 if it leaves before the first event).  With
    ``w_i = exp(x_i' beta)``, the risk-set sum at event time ``k`` is ``S0_k = sum_{bin_i >= k} w_i``
    (a reverse cumulative sum of a bincount) and, swapping the order of summation,
    ``sum_k d_k S1_k / S0_k = sum_i x_i w_i A_{bin_i}`` with ``A = cumsum(d / S0)`` (Breslow's
    cumulative hazard), and likewise for the second moments.  So an evaluation costs a few passes
    over the rows and two small matrix products, whatever the number of ties.
    """

    def __init__(self, time: np.ndarray, event: np.ndarray, X: np.ndarray):
        self.etimes, self.d = np.unique(time[event == 1], return_counts=True)
        self.k = len(self.etimes)
        self.bin = np.searchsorted(self.etimes, time, side="right") - 1
        self.at_risk = self.bin >= 0
        self.X, self.event = X, event
        self.xe = X[event == 1].sum(axis=0)

    def _s0(self, beta):
        eta = self.X @ beta
        shift = float(eta.max())
        w = np.exp(eta - shift)
        w[~self.at_risk] = 0.0
        s0 = _revcumsum(np.bincount(np.maximum(self.bin, 0), weights=w, minlength=self.k))
        return eta, shift, w, s0

    def evaluate(self, beta: np.ndarray):
        eta, shift, w, s0 = self._s0(beta)
        d, X = self.d, self.X
        llf = float(eta @ self.event - d @ (np.log(s0) + shift))
        a = np.cumsum(d / s0)
        u = w * np.where(self.at_risk, a[np.maximum(self.bin, 0)], 0.0)
        score = self.xe - X.T @ u
        s1 = _revcumsum(np.column_stack([
            np.bincount(np.maximum(self.bin, 0), weights=w * X[:, j], minlength=self.k) for j in range(X.shape[1])
        ]))
        mean = s1 / s0[:, None]
        info = X.T @ (X * u[:, None]) - (mean.T * d) @ mean
        return llf, score, info

    def baseline(self, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distinct event times and Breslow's ``H_0`` there (covariates not centred)."""
        _, shift, _, s0 = self._s0(beta)
        return self.etimes, np.cumsum(self.d / s0 * np.exp(-shift))


def _newton(lik: _Breslow, p: int, maxiter: int = 50, tol: float = 1e-9):
    beta = np.zeros(p)
    llf, score, info = lik.evaluate(beta)
    llnull, converged, it = llf, False, 0
    for it in range(1, maxiter + 1):  # noqa: B007 - the count is reported
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            break
        for _ in range(30):  # step halving keeps every accepted step uphill
            new = lik.evaluate(beta + step)
            if new[0] >= llf - 1e-12 * abs(llf):
                break
            step = step / 2
        beta = beta + step
        gain = new[0] - llf
        llf, score, info = new
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))) and abs(gain) < 1e-9 * (1 + abs(llf)):
            converged = True
            break
    return beta, llf, llnull, info, converged, it


def _fit_statsmodels(time, event, X, ties):
    from statsmodels.duration.hazard_regression import PHReg

    model = PHReg(time, X, status=event, ties=ties)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = model.fit(disp=False)
    beta, cov = np.asarray(res.params), np.asarray(res.cov_params())
    # PHReg keeps no convergence flag: require the Newton step left at the optimum to be negligible
    step = cov @ model.score(beta)
    converged = bool(np.all(np.isfinite(step)) and np.max(np.abs(step)) < 1e-6 * (1 + np.max(np.abs(beta))))
    llnull = float(model.loglike(np.zeros(X.shape[1])))
    return res, beta, float(res.llf), llnull, cov, converged


class CoxPH:
    """Cox proportional hazards model with a formula.  Fit with :meth:`CoxPH.fit` (or :func:`cox_ph`)."""

    @classmethod
    def fit(cls, data: pd.DataFrame, formula: str, *, duration_col: str = "duration", event_col: str = "event",
            ties: str = "breslow", engine: str = "auto") -> CoxPHResults:
        """Fit a Cox proportional hazards model by maximum partial likelihood.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per subject with a duration, an event indicator and the covariates.
        formula : str
            Covariates in patsy syntax, e.g. ``"C(channel) + np.log1p(first_amount)"``; an optional
            left-hand side names the duration column (``"duration ~ C(channel)"``).  No intercept:
            the baseline hazard plays its part.  Names are looked up in ``data``, then in the
            caller's namespace (``np`` is always available).
        duration_col, event_col : str
            Duration (numbers >= 0) and event indicator (bool or 0/1) columns.
        ties : {"breslow", "efron"}, default "breslow"
            Handling of tied event times in the partial likelihood.  Efron's is the more accurate
            with many ties (durations in whole days, say); it needs ``engine="statsmodels"`` (which
            ``"auto"`` then picks).
        engine : {"auto", "statsmodels", "numpy"}, default "auto"
            ``"statsmodels"``: ``statsmodels.duration.hazard_regression.PHReg``.  ``"numpy"``: the
            same Breslow partial likelihood maximised by Newton-Raphson with risk-set sums computed by
            ``bincount`` over time ranks; it agrees with PHReg to 1e-6 (tested) and stays within a
            few seconds on 1M rows where PHReg's per-row set-up and per-event-time loops take tens
            of seconds.  ``"auto"``: statsmodels up to 50,000 rows and 5,000 distinct event times
            (or whenever ``ties="efron"``), numpy above.

        Returns
        -------
        CoxPHResults

        Raises
        ------
        SchemaError
            The duration or event column is missing.
        InputError
            Negative or missing durations (times < 0), a non-binary event column, an intercept term,
            a formula that cannot be evaluated, ``ties="efron"`` with ``engine="numpy"``.
        IdentificationError
            No events; a constant or collinear covariate; a 0/1 covariate (e.g. one level of a
            categorical) with no events on one side, whose hazard ratio would be 0 or infinite (the
            message names it).

        Notes
        -----
        Rows with a missing covariate are left out, counted in ``res.rows_left_out`` and reported
        with a :class:`~retailkit.RowsLeftOutWarning`.  Standard errors come from the observed
        information (the negative Hessian of the log partial likelihood).
        """
        env = patsy.EvalEnvironment.capture(1).with_outer_namespace({"np": np})
        return _fit(data, formula, duration_col, event_col, ties, engine, env)


def cox_ph(data: pd.DataFrame, formula: str, *, duration_col: str = "duration", event_col: str = "event",
           ties: str = "breslow", engine: str = "auto") -> CoxPHResults:
    """Fit a Cox proportional hazards model; the same as :meth:`CoxPH.fit` (see there)."""
    env = patsy.EvalEnvironment.capture(1).with_outer_namespace({"np": np})
    return _fit(data, formula, duration_col, event_col, ties, engine, env)


def _fit(data, formula, duration_col, event_col, ties, engine, env) -> CoxPHResults:
    func = "cox_ph"
    if ties not in ("breslow", "efron"):
        raise InputError(f"{func}: ties must be 'breslow' or 'efron', got {ties!r}.")
    if engine not in ("auto", "statsmodels", "numpy"):
        raise InputError(f"{func}: engine must be 'auto', 'statsmodels' or 'numpy', got {engine!r}.")
    if engine == "numpy" and ties == "efron":
        raise InputError(f"{func}: the numpy engine implements Breslow ties only; use engine='statsmodels'.")
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{func}: expected a pandas DataFrame, got {type(data).__name__}.")
    duration_col, rhs = _split_formula(formula, duration_col, func)
    check_frame(data, func, {"duration_col": duration_col, "event_col": event_col})
    time_all = durations(data, duration_col, func)
    event_all = events(data, event_col, func)
    X, design_info = _design(rhs, data.set_axis(pd.RangeIndex(len(data))), env, func)  # positions survive NA dropping
    kept = X.index.to_numpy() if len(X) < len(data) else None
    n_missing = len(data) - len(X)
    time, event = (time_all, event_all) if kept is None else (time_all[kept], event_all[kept])
    if not event.any():
        raise IdentificationError(
            f"{func}: no events (every {event_col!r} is 0/False among the {len(event):,} rows used); the "
            f"hazard ratios are not identified. Check {event_col!r}."
        )
    _check_identified(X, event, func)
    if engine == "auto":
        few = len(time) <= AUTO_MAX_ROWS and len(np.unique(time[event == 1])) <= AUTO_MAX_EVENT_TIMES
        engine = "statsmodels" if (few or ties == "efron") else "numpy"
    x = X.to_numpy(dtype=float)
    lik = _Breslow(time, event, x)
    if engine == "statsmodels":
        sm_res, beta, llf, llnull, cov, converged = _fit_statsmodels(time, event, x, ties)
        n_iter = None  # PHReg does not report it
    else:
        sm_res = None
        beta, llf, llnull, info, converged, n_iter = _newton(lik, x.shape[1])
        try:
            cov = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            cov = np.full((x.shape[1], x.shape[1]), np.nan)
    if not converged:
        warnings.warn(f"{func}: the partial likelihood maximisation did not converge.", RuntimeWarning, stacklevel=3)
    bt, bh = lik.baseline(beta)
    left = {"missing covariate": int(n_missing)}
    if n_missing:
        dropped = np.ones(len(data), dtype=bool)
        dropped[kept] = False
        warnings.warn(
            f"{func}: left out {n_missing:,} rows with a missing covariate (rows {first_rows(data.index[dropped])}); "
            "the count is in res.rows_left_out.", RowsLeftOutWarning, stacklevel=3,
        )
    return CoxPHResults(
        names=list(X.columns), params=beta, cov=cov, llf=llf, llnull=llnull, nobs=len(time),
        n_events=int(event.sum()), converged=converged, n_iter=n_iter, engine=engine, ties=ties,
        formula=rhs, duration_col=duration_col, event_col=event_col, design_info=design_info,
        baseline_times=bt, baseline_cumhaz=bh, max_time=float(time.max()), rows_left_out=left,
        statsmodels_results=sm_res,
    )


class CoxPHResults(Immutable):
    """Immutable results of :meth:`CoxPH.fit`, in statsmodels' vocabulary.

    Attributes
    ----------
    params : pandas.Series
        Log hazard ratios, one per design column.
    bse : pandas.Series
        Standard errors.
    hazard_ratios : pandas.Series
        ``exp(params)``.
    llf, llnull : float
        Log partial likelihood at the estimate and at ``beta = 0``.
    nobs, n_events : int
        Rows used and events among them.
    converged : bool
    engine, ties, formula : str
    rows_left_out : dict
        Rows left out by reason.
    baseline_cumulative_hazard : pandas.DataFrame
        Breslow's ``H_0`` at the distinct event times (columns time, cumulative_hazard, survival),
        evaluated at the fitted ``params`` whatever the ``ties`` method.  (statsmodels'
        ``PHRegResults.baseline_cumulative_hazard`` reports, at each event time, the value just
        *before* its jump, i.e. ``H_0`` lagged by one event time; it is not used here.)
    statsmodels_results : PHRegResults or None
        The statsmodels results (schoenfeld_residuals, martingale_residuals, ...) when PHReg was the
        engine.
    """

    def __init__(self, *, names, params, cov, llf, llnull, nobs, n_events, converged, n_iter, engine, ties,
                 formula, duration_col, event_col, design_info, baseline_times, baseline_cumhaz, max_time,
                 rows_left_out, statsmodels_results):
        values = dict(
            _names=tuple(names), _params=np.array(params, dtype=float), _cov=np.array(cov, dtype=float),
            llf=float(llf), llnull=float(llnull), nobs=int(nobs), n_events=int(n_events),
            converged=bool(converged), n_iter=n_iter, engine=engine, ties=ties, formula=formula,
            duration_col=duration_col, event_col=event_col, _design_info=design_info,
            _bt=np.array(baseline_times, dtype=float), _bh=np.array(baseline_cumhaz, dtype=float),
            max_time=float(max_time), rows_left_out=dict(rows_left_out), statsmodels_results=statsmodels_results,
        )
        self._freeze(**values)

    # -- estimates -----------------------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """Log hazard ratios (one per design column)."""
        return pd.Series(self._params, index=list(self._names), name="params")

    @property
    def bse(self) -> pd.Series:
        """Standard errors of :attr:`params`."""
        return pd.Series(np.sqrt(np.diag(self._cov)), index=list(self._names), name="bse")

    def cov_params(self) -> pd.DataFrame:
        """Covariance matrix of :attr:`params` (inverse observed information)."""
        return pd.DataFrame(self._cov, index=list(self._names), columns=list(self._names))

    @property
    def tvalues(self) -> pd.Series:
        """Wald z statistics ``params / bse``."""
        return (self.params / self.bse).rename("z")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of the Wald z statistics."""
        return pd.Series(2 * stats.norm.sf(np.abs(self.tvalues.to_numpy())), index=list(self._names),
                         name="pvalues")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald intervals for the log hazard ratios (columns ``lower``, ``upper``)."""
        z = stats.norm.ppf(1 - alpha / 2)
        p, se = self.params, self.bse
        return pd.DataFrame({"lower": p - z * se, "upper": p + z * se})

    @property
    def hazard_ratios(self) -> pd.Series:
        """``exp(params)``: the factor on the hazard per unit of each covariate."""
        return np.exp(self.params).rename("hazard_ratio")

    def hazard_ratio_conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Intervals for the hazard ratios (the exponentiated :meth:`conf_int`)."""
        return np.exp(self.conf_int(alpha))

    @property
    def aic(self) -> float:
        """``-2 llf + 2 k`` (partial likelihood)."""
        return -2 * self.llf + 2 * len(self._names)

    @property
    def lr_test(self) -> pd.Series:
        """Likelihood-ratio test of all coefficients being 0 (statistic, df, p_value)."""
        stat = 2 * (self.llf - self.llnull)
        k = len(self._names)
        return pd.Series({"statistic": stat, "df": k, "p_value": stats.chi2.sf(stat, k)}, name="lr_test")

    def summary(self, alpha: float = 0.05):
        """A statsmodels ``Summary`` (print it, or ``.as_html()``) with the hazard ratios."""
        from statsmodels.iolib.summary2 import Summary

        ci = self.conf_int(alpha)
        level = f"{100 * (1 - alpha):g}%"
        table = pd.DataFrame({
            "log HR": self.params, "Std.Err.": self.bse, "z": self.tvalues, "P>|z|": self.pvalues,
            f"[{level}": ci["lower"], f"{level}]": ci["upper"], "HR": self.hazard_ratios,
            "HR lower": np.exp(ci["lower"]), "HR upper": np.exp(ci["upper"]),
        })
        lr = self.lr_test
        info = {
            "Model:": "Cox proportional hazards", "Formula:": self.formula, "Ties:": self.ties,
            "Engine:": self.engine, "No. observations:": f"{self.nobs:,}", "No. events:": f"{self.n_events:,}",
            "Log partial lik.:": f"{self.llf:.4f}", "LR chi2 (df):": f"{lr['statistic']:.3f} ({int(lr['df'])})",
            "Prob > chi2:": f"{lr['p_value']:.4g}", "Converged:": str(self.converged),
        }
        smry = Summary()
        smry.add_title("Cox proportional hazards regression results")
        smry.add_dict(info)
        smry.add_df(table, float_format="%.4f")
        if any(self.rows_left_out.values()):
            smry.add_text(f"Rows left out: {self.rows_left_out}")
        return smry

    # -- prediction ----------------------------------------------------------------------------
    @property
    def baseline_cumulative_hazard(self) -> pd.DataFrame:
        """Breslow's baseline cumulative hazard at the distinct event times (design row all zeros)."""
        return pd.DataFrame({"time": self._bt, "cumulative_hazard": self._bh, "survival": np.exp(-self._bh)})

    def _eta(self, new_data: pd.DataFrame) -> np.ndarray:
        func = "CoxPHResults.predict"
        if not isinstance(new_data, pd.DataFrame):
            raise InputError(f"{func}: expected a pandas DataFrame of covariates, got {type(new_data).__name__}.")
        try:
            (X,) = patsy.build_design_matrices([self._design_info], new_data,
                                               NA_action="raise", return_type="dataframe")
        except patsy.PatsyError as exc:
            raise InputError(f"{func}: cannot build the covariates {self.formula!r} for new_data: {exc}") from None
        x = X.drop(columns="Intercept").to_numpy(dtype=float)
        return x @ self._params

    def predict(self, new_data: pd.DataFrame, kind: str = "log_hazard_ratio") -> pd.Series:
        """Relative hazard of each row of ``new_data`` against the design row of zeros.

        Parameters
        ----------
        new_data : pandas.DataFrame
            The covariates named in the formula (categorical levels must be ones seen in the fit).
        kind : {"log_hazard_ratio", "hazard_ratio"}
            ``x' beta`` or ``exp(x' beta)``.

        Returns
        -------
        pandas.Series
            Aligned with ``new_data.index``.
        """
        if kind not in ("log_hazard_ratio", "hazard_ratio"):
            raise InputError(f"predict: kind must be 'log_hazard_ratio' or 'hazard_ratio', got {kind!r}.")
        eta = self._eta(new_data)
        return pd.Series(eta if kind == "log_hazard_ratio" else np.exp(eta), index=new_data.index, name=kind)

    def _cumhaz_at(self, times: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self._bt, times, side="right") - 1
        h = np.where(idx >= 0, self._bh[np.maximum(idx, 0)], 0.0)
        return np.where(times > self.max_time, np.nan, h)

    def survival_function(self, new_data: pd.DataFrame, times=None, *, tidy: bool = False) -> pd.DataFrame:
        """Survival curves ``S_i(t) = exp(-H_0(t) exp(x_i' beta))`` of the rows of ``new_data``.

        Parameters
        ----------
        new_data : pandas.DataFrame
            One row per customer with the covariates of the formula.
        times : array_like, optional
            Times at which to evaluate (default: the distinct event times of the fit).  Times
            beyond the longest follow-up in the fitted data give NaN (the baseline is unknown there).
            At most 50 million values (rows x times) are computed at once.
        tidy : bool, default False
            False: one row per customer (``new_data.index``) and one column per time.  True: long
            format with columns ``row`` (the index label), ``time`` and ``survival``.

        Returns
        -------
        pandas.DataFrame
        """
        times = self._bt if times is None else np.atleast_1d(np.asarray(times, dtype=float))
        if np.any(~np.isfinite(times)) or np.any(times < 0):
            raise InputError(f"survival_function: times must be finite and >= 0, got {times!r}.")
        if len(new_data) * len(times) > _MAX_CELLS:
            raise InputError(
                f"survival_function: {len(new_data):,} rows x {len(times):,} times is more than {_MAX_CELLS:,} "
                "values; pass fewer times (e.g. times=[30, 90, 180, 365]) or fewer rows."
            )
        risk = np.exp(self._eta(new_data))
        surv = np.exp(-np.outer(risk, self._cumhaz_at(times)))
        wide = pd.DataFrame(surv, index=new_data.index, columns=pd.Index(times, name="time"))
        if not tidy:
            return wide
        return pd.DataFrame({
            "row": np.repeat(new_data.index.to_numpy(), len(times)), "time": np.tile(times, len(new_data)),
            "survival": surv.ravel(),
        })

    def median_survival(self, new_data: pd.DataFrame) -> pd.Series:
        """Median survival time of each row of ``new_data``.

        The first event time at which ``S_i`` drops below one half (the Kaplan-Meier convention of
        :func:`median_survival`); NaN when it never does within the fitted data's follow-up.

        Returns
        -------
        pandas.Series
            Aligned with ``new_data.index``.
        """
        eta = self._eta(new_data)
        # S_i(t) < 1/2  <=>  H_0(t) > log(2) exp(-eta_i); H_0 is non-decreasing
        k = np.searchsorted(self._bh, np.log(2) * np.exp(-eta), side="right")
        out = np.where(k < len(self._bt), self._bt[np.minimum(k, len(self._bt) - 1)], np.nan)
        return pd.Series(out, index=new_data.index, name="median_survival")

    def __repr__(self) -> str:
        hr = ", ".join(f"{k}={v:.3g}" for k, v in self.hazard_ratios.items())
        return f"<CoxPHResults: {self.formula!r}, n={self.nobs:,}, events={self.n_events:,}; HR {hr}>"
