"""Churn: an operational definition, a logistic churn model, calibration and AUC, and P(alive).

In a non-contractual store nobody announces that they have left, so "churn" is a definition:

* :func:`churn_labels` -- operational churn: no purchase in the ``inactive_days`` days up to
  ``observation_end``; :func:`churn_sensitivity` shows how the churned share moves with that choice
  (plot: :func:`plot_churn_sensitivity`).
* :func:`churn_features` -- recency, frequency, monetary value, tenure and channel at a cut-off
  date, and the label from the period *after* it (did the customer buy in the next ``horizon_days``
  days?): a time split, so no feature sees the label period.
* :func:`fit_churn_model` -- logistic regression with a formula (patsy + ``statsmodels`` ``Logit``).
* :func:`auc`, :func:`brier_score`, :func:`calibration_table` (plot: :func:`plot_calibration`).
* :func:`compare_churn_scores` -- the logistic model against BG/NBD's P(alive) (and BG/NBD's own
  probability of a purchase in the horizon) on the same customers and the same future period.

Per-customer tables are indexed by customer, as :func:`retailkit.rfm_summary`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import patsy
from matplotlib.ticker import PercentFormatter
from pandas.api import types as pdt
from scipy import special, stats

from retailkit._logs import (
    RowsLeftOutWarning,
    day_to_timestamp,
    prepare_log,
    report_left_out,
    require_columns,
    unique_pairs,
)
from retailkit.errors import IdentificationError, InputError
from retailkit.theme import color_for

__all__ = [
    "churn_labels",
    "churn_sensitivity",
    "plot_churn_sensitivity",
    "churn_features",
    "fit_churn_model",
    "ChurnModelResults",
    "auc",
    "brier_score",
    "calibration_table",
    "plot_calibration",
    "compare_churn_scores",
    "ChurnScoreComparison",
]


# ------------------------------------------------------------------------------------ helpers
def _as_list(by) -> list:
    if by is None:
        return []
    return list(by) if isinstance(by, list | tuple) else [by]


def _by_columns(by: list) -> dict:
    return {f"by[{i}]" if len(by) > 1 else "by": c for i, c in enumerate(by)}


def _history(log, upto: int | None = None):
    """First and last purchase day, purchase days and the first row of each customer (kept rows)."""
    codes, days = log.codes, log.days
    if upto is not None:
        sel = days <= upto
        codes, days = codes[sel], days[sel]
    pair_codes, pair_days = unique_pairs(codes, days)
    n_days = np.bincount(pair_codes, minlength=log.n)
    end = np.cumsum(n_days)
    has = n_days > 0
    first = np.zeros(log.n, dtype=np.int64)
    last = np.zeros(log.n, dtype=np.int64)
    first[has] = pair_days[(end - n_days)[has]]
    last[has] = pair_days[end[has] - 1]
    return first, last, n_days


def _first_rows(log) -> np.ndarray:
    """Position in the input frame of each customer's first purchase row."""
    order = np.lexsort((log.days, log.codes))
    first = order[np.searchsorted(log.codes[order], np.arange(log.n))]
    return first if log.keep is None else np.flatnonzero(log.keep)[first]


def _dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[us]")


def _binary(y, name: str, func: str) -> np.ndarray:
    arr = pd.Series(y) if not isinstance(y, pd.Series) else y
    if pdt.is_bool_dtype(arr.dtype) and not arr.isna().any():
        return arr.to_numpy(dtype=float)
    if not pdt.is_numeric_dtype(arr.dtype):
        raise InputError(f"{func}: {name} must be 0/1 or boolean, got dtype {arr.dtype}.")
    v = arr.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~((v == 0) | (v == 1))
    if bad.any():
        rows = ", ".join(f"{arr.index[i]!r}: {float(v[i])!r}" for i in np.flatnonzero(bad)[:5])
        raise InputError(f"{func}: {name} must be 0/1 (or boolean); {bad.sum():,} value(s) are not ({{{rows}}}).")
    return v


def _scores(y, p, func: str) -> tuple[np.ndarray, np.ndarray]:
    yv = _binary(y, "y", func)
    ps = pd.Series(p) if not isinstance(p, pd.Series) else p
    if pdt.is_bool_dtype(ps.dtype) or not pdt.is_numeric_dtype(ps.dtype):
        raise InputError(f"{func}: p must be numeric scores, got dtype {ps.dtype}.")
    pv = ps.to_numpy(dtype="float64", na_value=np.nan)
    if len(pv) != len(yv):
        raise InputError(f"{func}: y and p must have the same length, got {len(yv):,} and {len(pv):,}.")
    bad = ~np.isfinite(pv)
    if bad.any():
        rows = ", ".join(f"{ps.index[i]!r}" for i in np.flatnonzero(bad)[:5])
        raise InputError(f"{func}: p has {bad.sum():,} missing or infinite values (rows {rows}).")
    if isinstance(y, pd.Series) and isinstance(p, pd.Series) and not y.index.equals(p.index):
        raise InputError(f"{func}: y and p are Series with different indexes; align them first (y.align(p)).")
    return yv, pv


# ---------------------------------------------------------------------------- operational churn
def churn_labels(transactions: pd.DataFrame, *, inactive_days: int, observation_end=None, by=None,
                 customer_col: str = "customer_id", datetime_col: str = "order_date") -> pd.DataFrame:
    """Operational churn: no purchase in the ``inactive_days`` days up to ``observation_end``.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log (e.g. :func:`retailkit.transactions`).
    inactive_days : int
        A customer has churned when their last purchase day is at least ``inactive_days`` days
        before ``observation_end`` (no purchase in the window of that many days ending on it).
    observation_end : date-like, optional
        Last day observed (inclusive); default the last date in the log.  Later rows are left out
        and counted.
    by : str or list of str, optional
        Column(s) to carry per customer, from the customer's first purchase row (e.g. ``"channel"``).
    customer_col, datetime_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``first_purchase_on``, ``last_purchase_on``, ``purchase_days``,
        ``tenure_days`` (first purchase to observation_end), ``days_since_last``, ``churned`` (bool),
        then the ``by`` columns.  Customers acquired fewer than ``inactive_days`` days ago cannot
        have churned.  ``attrs``: inactive_days, observation_end, rows_left_out, customers_left_out.

    Raises
    ------
    SchemaError
        Missing columns, unparseable dates.
    InputError
        ``inactive_days`` not a positive whole number, missing ids or dates, an observation_end
        before the data.
    """
    func = "churn_labels"
    _check_days(inactive_days, "inactive_days", func)
    by = _as_list(by)
    log = prepare_log(transactions, func, customer_col, datetime_col, None, observation_end,
                      extra_columns=_by_columns(by))
    first, last, n_days = _history(log)
    since = log.end_day - last
    out = pd.DataFrame({
        "first_purchase_on": _dates(first), "last_purchase_on": _dates(last), "purchase_days": n_days,
        "tenure_days": log.end_day - first, "days_since_last": since, "churned": since >= inactive_days,
    }, index=log.customers)
    _carry(out, transactions, by, log)
    return report_left_out(out, func, log, inactive_days=int(inactive_days))


def _check_days(value, name: str, func: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{func}: {name} must be a whole number of days >= 1, got {value!r}.")


def _carry(out: pd.DataFrame, transactions: pd.DataFrame, by: list, log) -> None:
    if by:
        pos = _first_rows(log)
        for col in by:
            out[col] = transactions[col].iloc[pos].set_axis(out.index)


def churn_sensitivity(transactions: pd.DataFrame, *, days=range(30, 366, 15), by=None, observation_end=None,
                      customer_col: str = "customer_id", datetime_col: str = "order_date") -> pd.DataFrame:
    """Share of customers counted as churned for each choice of ``inactive_days``.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log.
    days : iterable of int, default 30, 45, ..., 360
        The values of ``inactive_days`` to try.
    by : str or list of str, optional
        Group column(s) (per customer, from the first purchase row).
    observation_end, customer_col, datetime_col
        As in :func:`churn_labels`.

    Returns
    -------
    pandas.DataFrame
        Tidy: the ``by`` columns, ``inactive_days``, ``customers``, ``churned``, ``share_churned``
        (of all customers), ``eligible`` (customers with tenure >= inactive_days, the only ones who
        can have churned) and ``share_churned_eligible``.  A young, growing customer base makes
        ``share_churned`` fall with N partly because fewer customers are old enough: compare the two.

    Raises
    ------
    InputError, SchemaError
        As :func:`churn_labels`, or ``days`` empty or not positive whole numbers.
    """
    func = "churn_sensitivity"
    grid = np.asarray(list(days))
    if grid.size == 0 or not np.issubdtype(grid.dtype, np.integer) or np.any(grid < 1):
        raise InputError(f"{func}: days must be whole numbers >= 1, got {list(days)!r}.")
    grid = np.unique(grid)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RowsLeftOutWarning)
        labels = churn_labels(transactions, inactive_days=int(grid[0]), observation_end=observation_end, by=by,
                              customer_col=customer_col, datetime_col=datetime_col)
    for w in caught:
        warnings.warn(str(w.message).replace("churn_labels", func), w.category, stacklevel=2)
    by = _as_list(by)
    groups = labels.groupby(by, sort=True, observed=True, dropna=False) if by else [((), labels)]
    parts = []
    for key, g in groups:
        since = np.sort(g["days_since_last"].to_numpy())
        tenure = np.sort(g["tenure_days"].to_numpy())
        n = len(g)
        churned = n - np.searchsorted(since, grid, side="left")
        eligible = n - np.searchsorted(tenure, grid, side="left")
        part = pd.DataFrame({
            "inactive_days": grid, "customers": n, "churned": churned, "share_churned": churned / n,
            "eligible": eligible,
            "share_churned_eligible": np.divide(churned, eligible, out=np.full(len(grid), np.nan), where=eligible > 0),
        })
        key = key if isinstance(key, tuple) else (key,)
        for col, val in reversed(list(zip(by, key, strict=True))):
            part.insert(0, col, val)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for col in by:
        out[col] = out[col].astype(labels[col].dtype)
    out.attrs.update({k: labels.attrs[k] for k in ("observation_end", "rows_left_out", "customers_left_out")})
    out.attrs["by"] = by
    return out


def plot_churn_sensitivity(table: pd.DataFrame, *, hue=None, y: str = "share_churned", ax=None,
                           title: str | None = None):
    """Churned share against the inactivity threshold N (output of :func:`churn_sensitivity`).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`churn_sensitivity`.
    hue : str, optional
        Group column; default the table's single ``by`` column, if any.
    y : {"share_churned", "share_churned_eligible"}
        Which share to draw.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(table, pd.DataFrame) or not {"inactive_days", y} <= set(table.columns):
        raise InputError(f"plot_churn_sensitivity: expected the output of churn_sensitivity with a {y!r} column.")
    by = table.attrs.get("by", [])
    if hue is None and len(by) == 1:
        hue = by[0]
    if ax is None:
        _, ax = plt.subplots()
    groups = table.groupby(hue, sort=True, observed=True) if hue else [("all customers", table)]
    for key, g in groups:
        label = str(key[0] if isinstance(key, tuple) else key)
        ax.plot(g["inactive_days"], g[y], marker="o", ms=3, color=color_for(label), label=label)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("inactivity threshold N (days without a purchase)")
    who = "of customers old enough to qualify" if y == "share_churned_eligible" else "of customers"
    ax.set_ylabel(f"churned share {who}")
    ax.set_title(title or f"How many customers 'churned' depends on N{' by ' + hue if hue else ''}")
    ax.legend(title=hue)
    return ax


# --------------------------------------------------------------------------- features at a cut-off
def churn_features(transactions: pd.DataFrame, *, cutoff, horizon_days: int = 90, observation_end=None,
                   customer_col: str = "customer_id", datetime_col: str = "order_date",
                   monetary_col: str | None = "amount", channel_col: str | None = "channel") -> pd.DataFrame:
    """Features at ``cutoff`` and the label from the ``horizon_days`` days after it.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log.
    cutoff : date-like
        The features use purchases on or before this day only; the label uses the days
        ``(cutoff, cutoff + horizon_days]``.
    horizon_days : int, default 90
        Length of the label window.
    observation_end : date-like, optional
        Last day the log covers (default its last date).  The label window must end on or before
        it, else the label would be unobserved, not "no purchase".
    customer_col, datetime_col, monetary_col, channel_col : str
        Column names; ``monetary_col=None`` or ``channel_col=None`` leave those features out.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer, one row per customer whose first purchase is on or before ``cutoff``:
        ``recency_days`` (cutoff minus last purchase day), ``frequency`` (repeat purchase days,
        as in :func:`retailkit.rfm_summary`), ``monetary`` (spend per purchase day, first day
        included), ``tenure_days`` (cutoff minus first purchase day), the channel (from the first
        purchase row), ``purchases_next`` (purchase days in the label window) and ``buys_next``
        (bool: at least one).  ``attrs``: cutoff, horizon_days, label_end, rows_left_out (rows
        after the label window) and customers_left_out (first purchase after the cut-off).

    Raises
    ------
    SchemaError
        Missing columns, unparseable dates, non-numeric amounts.
    InputError
        A label window that ends after the data, a bad ``horizon_days``, and what
        :func:`retailkit.rfm_summary` rejects.
    """
    func = "churn_features"
    _check_days(horizon_days, "horizon_days", func)
    extra = {"channel_col": channel_col} if channel_col else {}
    log = prepare_log(transactions, func, customer_col, datetime_col, monetary_col, None, extra_columns=extra)
    cut = log.parse_day(cutoff, "cutoff")
    data_end = log.end_day if observation_end is None else log.parse_day(observation_end, "observation_end")
    label_end = cut + horizon_days
    if label_end > data_end:
        raise InputError(
            f"{func}: the label window ({day_to_timestamp(cut).date()}, {day_to_timestamp(label_end).date()}] ends "
            f"after the data ({day_to_timestamp(data_end).date()}): customers would look inactive only because "
            "the future is not observed. Use an earlier cutoff or a shorter horizon_days."
        )
    after = log.days > label_end
    first, last, n_days = _history(log, upto=cut)
    known = n_days > 0
    in_window = (log.days > cut) & ~after
    next_days = np.bincount(unique_pairs(log.codes[in_window], log.days[in_window])[0], minlength=log.n)
    out = pd.DataFrame({
        "recency_days": cut - last, "frequency": np.maximum(n_days - 1, 0), "tenure_days": cut - first,
    }, index=log.customers)
    if monetary_col is not None:
        spend = np.bincount(log.codes, weights=np.where(log.days <= cut, log.amounts, 0.0), minlength=log.n)
        out.insert(2, "monetary", np.divide(spend, n_days, out=np.zeros(log.n), where=known))
    if channel_col:
        out[channel_col] = transactions[channel_col].iloc[_first_rows(log)].set_axis(out.index)
    out["purchases_next"] = next_days
    out["buys_next"] = next_days > 0
    out = out[known]
    new_rows = int((~known[log.codes] & ~after).sum())
    rows = {**log.rows_left_out, "after the label window": int(after.sum()),
            "customer's first purchase after cutoff": new_rows}
    customers = {**log.customers_left_out, "first purchase after cutoff": int((~known).sum())}
    rows.pop("after observation_end")  # no observation_end cut here: the label window is the cut
    customers.pop("no purchase up to observation_end")
    out.attrs.update(cutoff=day_to_timestamp(cut), horizon_days=int(horizon_days),
                     label_end=day_to_timestamp(label_end), rows_left_out=rows, customers_left_out=customers)
    if any(rows.values()):
        text = ", ".join([f"{n:,} rows ({why})" for why, n in rows.items() if n]
                         + [f"{n:,} customers ({why})" for why, n in customers.items() if n])
        warnings.warn(
            f"{func}: left out {text}; features use days up to {day_to_timestamp(cut).date()}, the label the days "
            f"to {day_to_timestamp(label_end).date()}. The counts are in result.attrs['rows_left_out'] and "
            "result.attrs['customers_left_out'].", RowsLeftOutWarning, stacklevel=2,
        )
    return out


# ------------------------------------------------------------------------------ logistic model
class ChurnModelResults:
    """Immutable results of :func:`fit_churn_model` (a logistic regression).

    Attributes
    ----------
    params, bse, pvalues : pandas.Series
        Log odds ratios, standard errors, p-values.
    odds_ratios : pandas.Series
        ``exp(params)``.
    fitted : pandas.Series
        In-sample predicted probabilities, aligned with the rows used.
    llf, aic, bic, prsquared : float
        Log-likelihood, information criteria, McFadden's pseudo R-squared.
    nobs : int
    converged : bool
    formula, outcome : str
    rows_left_out : dict
        Rows left out by reason (missing values in the model's variables).
    statsmodels_results : statsmodels LogitResults
    """

    def __init__(self, sm_results, *, formula: str, outcome: str, design_info, rows_left_out: dict):
        object.__setattr__(self, "statsmodels_results", sm_results)
        object.__setattr__(self, "_design_info", design_info)
        object.__setattr__(self, "formula", formula)
        object.__setattr__(self, "outcome", outcome)
        object.__setattr__(self, "rows_left_out", dict(rows_left_out))

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; fit again to change it.")

    @property
    def params(self) -> pd.Series:
        """Log odds ratios."""
        return self.statsmodels_results.params.rename("params")

    @property
    def bse(self) -> pd.Series:
        """Standard errors of :attr:`params`."""
        return self.statsmodels_results.bse.rename("bse")

    @property
    def pvalues(self) -> pd.Series:
        """Wald p-values."""
        return self.statsmodels_results.pvalues.rename("pvalues")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald intervals for :attr:`params` (columns lower, upper)."""
        ci = self.statsmodels_results.conf_int(alpha)
        ci.columns = ["lower", "upper"]
        return ci

    @property
    def odds_ratios(self) -> pd.Series:
        """``exp(params)``."""
        return np.exp(self.params).rename("odds_ratio")

    @property
    def fitted(self) -> pd.Series:
        """In-sample predicted probabilities of the outcome."""
        linear = self.statsmodels_results.fittedvalues  # x' beta on the rows used
        return pd.Series(special.expit(np.asarray(linear)), index=linear.index, name=f"p_{self.outcome}")

    llf = property(lambda self: float(self.statsmodels_results.llf), doc="Log-likelihood.")
    aic = property(lambda self: float(self.statsmodels_results.aic), doc="Akaike information criterion.")
    bic = property(lambda self: float(self.statsmodels_results.bic), doc="Bayesian information criterion.")
    prsquared = property(lambda self: float(self.statsmodels_results.prsquared), doc="McFadden's pseudo R2.")
    nobs = property(lambda self: int(self.statsmodels_results.nobs), doc="Rows used.")
    converged = property(lambda self: bool(self.statsmodels_results.mle_retvals.get("converged", False)),
                         doc="Whether the optimiser converged.")

    def summary(self, alpha: float = 0.05):
        """statsmodels' summary of the logistic regression."""
        return self.statsmodels_results.summary(alpha=alpha)

    def predict(self, new_data: pd.DataFrame) -> pd.Series:
        """Predicted probability of the outcome for each row of ``new_data``.

        Parameters
        ----------
        new_data : pandas.DataFrame
            The variables of the formula (categorical levels must be ones seen in the fit).

        Returns
        -------
        pandas.Series
            Aligned with ``new_data.index``, named ``p_<outcome>``.
        """
        if not isinstance(new_data, pd.DataFrame):
            raise InputError(f"predict: expected a pandas DataFrame, got {type(new_data).__name__}.")
        try:
            (X,) = patsy.build_design_matrices([self._design_info], new_data, NA_action="raise",
                                               return_type="dataframe")
        except patsy.PatsyError as exc:
            raise InputError(f"predict: cannot build the variables of {self.formula!r} for new_data: {exc}") from None
        p = special.expit(X.to_numpy(dtype=float) @ self.statsmodels_results.params.to_numpy())
        return pd.Series(p, index=new_data.index, name=f"p_{self.outcome}")

    def __repr__(self) -> str:
        return f"<ChurnModelResults: {self.formula!r}, n={self.nobs:,}, llf={self.llf:.2f}>"


def fit_churn_model(frame: pd.DataFrame, formula: str) -> ChurnModelResults:
    """Logistic regression of a binary outcome with a formula (patsy design, ``statsmodels`` ``Logit``).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer, e.g. from :func:`churn_features` or :func:`churn_labels`.
    formula : str
        patsy formula with the outcome on the left, e.g.
        ``"buys_next ~ np.log1p(recency_days) + np.log1p(frequency) + C(channel)"``.  The outcome
        must be a column holding booleans or 0/1.  Names are looked up in ``frame``, then in the
        caller's namespace (``np`` is always available).

    Returns
    -------
    ChurnModelResults

    Raises
    ------
    SchemaError
        The outcome column is missing.
    InputError
        No ``~``, an outcome that is not binary, a formula that cannot be evaluated.
    IdentificationError
        An outcome with a single value (nothing to model).

    Notes
    -----
    Rows with a missing value in a model variable are left out, counted in ``res.rows_left_out``
    and reported with a :class:`~retailkit.RowsLeftOutWarning`.
    """
    import statsmodels.api as sm

    func = "fit_churn_model"
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{func}: expected a pandas DataFrame, got {type(frame).__name__}.")
    if not isinstance(formula, str) or "~" not in formula:
        raise InputError(f"{func}: formula must read 'outcome ~ covariates', got {formula!r}.")
    outcome = formula.split("~", 1)[0].strip()
    require_columns(frame, {"outcome": outcome}, func, table="frame")
    y = _binary(frame[outcome].dropna(), f"the outcome {outcome!r}", func)
    if len(np.unique(y)) < 2:
        raise IdentificationError(f"{func}: the outcome {outcome!r} takes a single value; there is nothing to model.")
    if pdt.is_bool_dtype(frame[outcome].dtype):  # patsy would treat a bool outcome as categorical
        frame = frame.assign(**{outcome: frame[outcome].astype("float64")})
    env = patsy.EvalEnvironment.capture(1).with_outer_namespace({"np": np})
    try:
        endog, exog = patsy.dmatrices(formula, frame, eval_env=env, NA_action="drop", return_type="dataframe")
    except patsy.PatsyError as exc:
        raise InputError(f"{func}: cannot build the model {formula!r}: {exc}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sm.Logit(endog.iloc[:, 0], exog).fit(disp=0, maxiter=100)
    left = len(frame) - len(endog)
    if left:
        warnings.warn(
            f"{func}: left out {left:,} rows with a missing value in a model variable; the count is in "
            "res.rows_left_out.", RowsLeftOutWarning, stacklevel=2,
        )
    return ChurnModelResults(res, formula=formula, outcome=outcome, design_info=exog.design_info,
                             rows_left_out={"missing value in a model variable": left})


# -------------------------------------------------------------------------- scores: AUC, calibration
def auc(y, p) -> float:
    """Area under the ROC curve via the Mann-Whitney rank formula.

    ``AUC = (R_1 - n_1 (n_1 + 1) / 2) / (n_1 n_0)`` with ``R_1`` the sum of the (average, so ties
    count one half) ranks of the positives: the probability that a random positive scores higher
    than a random negative.

    Parameters
    ----------
    y : array_like
        Outcomes, 0/1 or boolean.
    p : array_like
        Scores (any real numbers; only their order matters).

    Returns
    -------
    float

    Raises
    ------
    InputError
        Lengths differ, non-binary ``y``, missing scores, or only one class present.
    """
    yv, pv = _scores(y, p, "auc")
    n1 = yv.sum()
    n0 = len(yv) - n1
    if n1 == 0 or n0 == 0:
        raise InputError(f"auc: y holds only {'negatives' if n1 == 0 else 'positives'}; the AUC needs both classes.")
    ranks = stats.rankdata(pv)
    return float((ranks[yv == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def brier_score(y, p) -> float:
    """Mean squared difference between predicted probabilities and 0/1 outcomes (lower is better)."""
    yv, pv = _scores(y, p, "brier_score")
    return float(np.mean((pv - yv) ** 2))


def calibration_table(y, p, *, bins: int = 10, strategy: str = "quantile", alpha: float = 0.05) -> pd.DataFrame:
    """Predicted against observed rates by bin of predicted probability.

    Parameters
    ----------
    y : array_like
        Outcomes, 0/1 or boolean.
    p : array_like
        Predicted probabilities in [0, 1].
    bins : int, default 10
        Number of bins.
    strategy : {"quantile", "uniform"}, default "quantile"
        Bins of (about) equal counts, or of equal width on [0, 1].  Quantile edges that coincide
        (many tied predictions, e.g. P(alive) = 1 for every one-time buyer) are merged, so there can
        be fewer bins than asked; tied predictions always share a bin.
    alpha : float, default 0.05
        Wilson intervals for the observed rate have coverage ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty bin: ``bin`` (1, 2, ...), ``p_min``, ``p_max``, ``n``,
        ``mean_predicted``, ``observed_rate``, ``ci_lower``, ``ci_upper``.  ``attrs``:
        ``brier_score``, ``ece`` (expected calibration error: count-weighted mean of
        ``|mean_predicted - observed_rate|``), ``strategy``, ``bins_requested``.

    Raises
    ------
    InputError
        Bad ``y`` or ``p`` (see :func:`auc`), ``p`` outside [0, 1], a bad ``bins`` or ``strategy``.
    """
    from statsmodels.stats.proportion import proportion_confint

    func = "calibration_table"
    yv, pv = _scores(y, p, func)
    if np.any((pv < 0) | (pv > 1)):
        raise InputError(f"{func}: p must be probabilities in [0, 1]; got {pv.min():.4g} to {pv.max():.4g}.")
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise InputError(f"{func}: bins must be a whole number >= 1, got {bins!r}.")
    if strategy == "quantile":
        edges = np.unique(np.quantile(pv, np.linspace(0, 1, bins + 1)))
    elif strategy == "uniform":
        edges = np.round(np.linspace(0, 1, bins + 1), 12)  # 0.6, not 0.6000000000000001
    else:
        raise InputError(f"{func}: strategy must be 'quantile' or 'uniform', got {strategy!r}.")
    which = np.searchsorted(edges[1:-1], pv, side="right")
    k = max(len(edges) - 1, 1)
    n = np.bincount(which, minlength=k)
    pos = np.bincount(which, weights=yv, minlength=k)
    psum = np.bincount(which, weights=pv, minlength=k)
    pmin = np.full(k, np.inf)
    pmax = np.full(k, -np.inf)
    np.minimum.at(pmin, which, pv)
    np.maximum.at(pmax, which, pv)
    keep = n > 0
    n, pos, psum, pmin, pmax = n[keep], pos[keep], psum[keep], pmin[keep], pmax[keep]
    lo, hi = proportion_confint(pos, n, alpha=alpha, method="wilson")
    out = pd.DataFrame({
        "bin": np.arange(1, len(n) + 1), "p_min": pmin, "p_max": pmax, "n": n, "mean_predicted": psum / n,
        "observed_rate": pos / n, "ci_lower": lo, "ci_upper": hi,
    })
    out.attrs.update(
        brier_score=float(np.mean((pv - yv) ** 2)),
        ece=float(np.sum(n * np.abs(psum / n - pos / n)) / n.sum()),
        strategy=strategy, bins_requested=int(bins), alpha=alpha,
    )
    return out


def plot_calibration(table: pd.DataFrame, *, hue: str | None = None, ax=None, title: str | None = None):
    """Reliability diagram: observed rate (with its interval) against mean predicted probability.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`calibration_table`, or several stacked with a label column (as
        ``ChurnScoreComparison.calibration``, ``hue="score"``).
    hue : str, optional
        Label column, one colour per value.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    need = {"mean_predicted", "observed_rate", "ci_lower", "ci_upper"}
    if not isinstance(table, pd.DataFrame) or not need <= set(table.columns):
        raise InputError(f"plot_calibration: expected the output of calibration_table (columns {sorted(need)}).")
    if ax is None:
        _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], ls="--", color="#999999", lw=1, label="perfect calibration")
    groups = table.groupby(hue, sort=False, observed=True) if hue else [("model", table)]
    for key, g in groups:
        label = str(key[0] if isinstance(key, tuple) else key)
        color = color_for(label)
        err = np.vstack([g["observed_rate"] - g["ci_lower"], g["ci_upper"] - g["observed_rate"]])
        ax.errorbar(g["mean_predicted"], g["observed_rate"], yerr=err, marker="o", ms=4, capsize=2, color=color,
                    label=label)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("mean predicted probability in the bin")
    ax.set_ylabel("observed share in the bin")
    ax.set_title(title or "Calibration: predicted against observed")
    ax.legend(loc="upper left")
    return ax


# ------------------------------------------------------------------------ logistic vs P(alive)
DEFAULT_CHURN_FORMULA = ("buys_next ~ np.log1p(recency_days) + np.log1p(frequency) + np.log1p(monetary) "
                         "+ np.log1p(tenure_days)")


@dataclass(frozen=True)
class ChurnScoreComparison:
    """Result of :func:`compare_churn_scores` (immutable).

    Attributes
    ----------
    metrics : pandas.DataFrame
        One row per score: ``auc``, ``brier_score``, ``ece``, ``mean_score``, ``observed_rate``, ``n``.
    scores : pandas.DataFrame
        Indexed by customer: ``buys_next`` and one column per score.
    calibration : pandas.DataFrame
        :func:`calibration_table` of every score, stacked with a ``score`` column.
    logit : ChurnModelResults
        The logistic model, fitted on the earlier cut-off.
    bgnbd : BetaGeoResults
        BG/NBD fitted on the purchases up to the cut-off.
    cutoff, train_cutoff : pandas.Timestamp
    horizon_days : int
    """

    metrics: pd.DataFrame
    scores: pd.DataFrame
    calibration: pd.DataFrame
    logit: ChurnModelResults
    bgnbd: object
    cutoff: pd.Timestamp
    train_cutoff: pd.Timestamp
    horizon_days: int


def compare_churn_scores(transactions: pd.DataFrame, *, cutoff, horizon_days: int = 90, train_cutoff=None,
                         formula: str | None = None, bins: int = 10, observation_end=None,
                         customer_col: str = "customer_id", datetime_col: str = "order_date",
                         monetary_col: str = "amount", channel_col: str | None = "channel") -> ChurnScoreComparison:
    """Logistic churn model against BG/NBD P(alive) as scores for "buys in the next N days".

    Everything is scored on the same customers (first purchase on or before ``cutoff``) against the
    same outcome: a purchase in ``(cutoff, cutoff + horizon_days]``.  Neither score sees that window:

    * ``logit``: :func:`fit_churn_model` fitted on :func:`churn_features` at ``train_cutoff``
      (default ``cutoff - horizon_days``, so its label window ends on ``cutoff``), then applied to
      the features at ``cutoff``;
    * ``bgnbd_p_alive``: :meth:`BetaGeoResults.prob_alive` from BG/NBD fitted on
      ``rfm_summary(transactions, observation_end=cutoff, time_unit="W")``.  It is the probability
      of being a customer still, not of buying soon, so it ranks well and is miscalibrated;
    * ``bgnbd_p_buy``: BG/NBD's own probability of at least one purchase in the horizon,
      ``P(alive) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x))`` (given alive at ``T`` the purchase
      rate is Gamma(r + x, alpha + T), and a customer who does not buy cannot drop out).

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log with amounts (and a channel column unless ``channel_col=None``).
    cutoff : date-like
        Scoring day.
    horizon_days : int, default 90
        The outcome window.
    train_cutoff : date-like, optional
        Cut-off of the training features; its label window must end on or before ``cutoff``.
    formula : str, optional
        Logistic formula on the :func:`churn_features` columns; default
        ``DEFAULT_CHURN_FORMULA`` plus ``C(channel)`` when there are several channels.
    bins : int, default 10
        Quantile bins of the calibration tables.
    observation_end, customer_col, datetime_col, monetary_col, channel_col
        As in :func:`churn_features`.

    Returns
    -------
    ChurnScoreComparison

    Raises
    ------
    InputError
        A training window that overlaps the outcome window, a window beyond the data, and what
        :func:`churn_features`, :func:`fit_churn_model` and ``BetaGeo.fit`` reject.
    """
    from retailkit.clv import BetaGeo
    from retailkit.prep import rfm_summary

    func = "compare_churn_scores"
    _check_days(horizon_days, "horizon_days", func)
    cut = pd.Timestamp(cutoff).normalize()
    train = cut - pd.Timedelta(days=horizon_days) if train_cutoff is None else pd.Timestamp(train_cutoff).normalize()
    if train + pd.Timedelta(days=horizon_days) > cut:
        raise InputError(
            f"{func}: the training labels ({train.date()}, {(train + pd.Timedelta(days=horizon_days)).date()}] "
            f"reach past the cutoff {cut.date()}, so the model would learn from the period it is judged on. "
            f"Use train_cutoff <= {(cut - pd.Timedelta(days=horizon_days)).date()}."
        )
    common = dict(customer_col=customer_col, datetime_col=datetime_col, monetary_col=monetary_col,
                  channel_col=channel_col)
    with warnings.catch_warnings():  # rows outside each window are left out by design
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        train_frame = churn_features(transactions, cutoff=train, horizon_days=horizon_days, **common)
        test_frame = churn_features(transactions, cutoff=cut, horizon_days=horizon_days,
                                    observation_end=observation_end, **common)
        summary = rfm_summary(transactions, customer_col=customer_col, datetime_col=datetime_col, monetary_col=None,
                              observation_end=cut, time_unit="W")
    if formula is None:
        formula = DEFAULT_CHURN_FORMULA
        if channel_col and train_frame[channel_col].nunique() > 1:
            formula += f" + C({channel_col})"
    logit = fit_churn_model(train_frame, formula)
    bg = BetaGeo.fit(summary)
    summary = summary.loc[test_frame.index]
    p_alive = bg.prob_alive(summary).to_numpy()
    r, alpha = float(bg.params["r"]), float(bg.params["alpha"])
    t = horizon_days / 7.0
    x, T = summary["frequency"].to_numpy(), summary["T"].to_numpy()
    p_buy = p_alive * -np.expm1((r + x) * np.log((alpha + T) / (alpha + T + t)))
    scores = pd.DataFrame({
        "buys_next": test_frame["buys_next"], "logit": logit.predict(test_frame).to_numpy(),
        "bgnbd_p_alive": p_alive, "bgnbd_p_buy": p_buy,
    }, index=test_frame.index)
    y = scores["buys_next"].to_numpy()
    rows, calib = [], []
    for name in ("logit", "bgnbd_p_alive", "bgnbd_p_buy"):
        s = scores[name].to_numpy()
        table = calibration_table(y, s, bins=bins)
        rows.append({"score": name, "auc": auc(y, s), "brier_score": table.attrs["brier_score"],
                     "ece": table.attrs["ece"], "mean_score": float(s.mean()), "observed_rate": float(y.mean()),
                     "n": len(s)})
        calib.append(table.assign(score=name))
    return ChurnScoreComparison(
        metrics=pd.DataFrame(rows).set_index("score"), scores=scores,
        calibration=pd.concat(calib, ignore_index=True), logit=logit, bgnbd=bg, cutoff=cut,
        train_cutoff=train, horizon_days=int(horizon_days),
    )
