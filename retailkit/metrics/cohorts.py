"""The reserve lens: acquisition cohorts, retention curves, repeat rate, returning revenue.

A customer's *cohort* is the calendar period of their first purchase in the log.  Period ``k``
of a cohort is the k-th calendar period after it (``k = 0`` is the cohort's own period).  Periods
are ISO weeks starting Monday (``"W"``), calendar months (``"M"``), quarters (``"Q"``), years
(``"Y"``) or days (``"D"``).

Observability.  A cell (cohort, k) is *observable* only when its whole calendar period ends on or
before ``observation_end`` (default: the last date in the data).  The partial period that contains
``observation_end`` is therefore masked (NaN) like the periods after it, so a half-observed month
never looks like a drop in retention.  Masked cells are NaN, never 0; an observable cell without
activity is 0.

``by`` columns describe customers (e.g. acquisition ``channel``): each customer takes the values
of their first purchase row.  Missing ``by`` values form their own group.  Rows after
``observation_end`` are left out and counted in ``result.attrs`` (see :mod:`retailkit.prep`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as pdt
from statsmodels.stats.proportion import proportion_confint

from retailkit._logs import (
    Log,
    check_period,
    customer_groups,
    last_complete_period,
    period_labels,
    period_numbers,
    prepare_grouped_log,
    report_left_out,
    require_columns,
    unique_pairs,
)
from retailkit.errors import InputError, SchemaError

__all__ = ["cohort_table", "pivot_cohorts", "retention_curve", "repeat_rate", "returning_revenue_share"]

METRICS = ("retention", "active", "orders", "revenue")
_BASE_COLUMNS = ("cohort", "period_number", "cohort_size", "value")


@dataclass
class _Cells:
    """Counts on the (group, cohort, period_number) grid of a log."""

    log: Log
    by: list
    groups: pd.DataFrame
    pmin: int
    last_p: int
    last_complete: int
    size: np.ndarray  # (G, C) customers per cohort
    counts: dict  # metric -> (G, C, K) array

    def observable(self) -> np.ndarray:
        """(C, K) mask: the cell's whole period is on or before observation_end."""
        c = np.arange(self.size.shape[1])[:, None]
        return self.pmin + c + np.arange(self.size.shape[1])[None, :] <= self.last_complete


def _cells(df, func, *, period, by, customer_col, datetime_col, monetary_col, observation_end, need) -> _Cells:
    check_period(period, func)
    log, by_cols, first = prepare_grouped_log(df, func, by, customer_col, datetime_col, monetary_col, observation_end)
    codes = log.codes
    row_p = period_numbers(log.days, period)
    cust_p = period_numbers(first, period)
    pmin, last_p = int(cust_p.min()), int(period_numbers(np.array([log.end_day]), period)[0])
    n_c = last_p - pmin + 1  # also the number of period numbers k = 0..n_c-1
    g, groups = customer_groups(df, log, by_cols, first)
    n_g = len(groups)
    gc = g * n_c + (cust_p - pmin)
    size = np.bincount(gc, minlength=n_g * n_c).reshape(n_g, n_c)
    k = row_p - cust_p[codes]
    shape, counts = (n_g, n_c, n_c), {}
    if "orders" in need or "revenue" in need:
        row_cell = gc[codes] * n_c + k
        if "orders" in need:
            counts["orders"] = np.bincount(row_cell, minlength=n_g * n_c * n_c).reshape(shape)
        if "revenue" in need:
            counts["revenue"] = np.bincount(row_cell, weights=log.amounts, minlength=n_g * n_c * n_c).reshape(shape)
    if "active" in need:
        uc, uk = unique_pairs(codes, k)
        counts["active"] = np.bincount(gc[uc] * n_c + uk, minlength=n_g * n_c * n_c).reshape(shape)
    return _Cells(log, by_cols, groups, pmin, last_p, last_complete_period(log.end_day, period), size, counts)


def cohort_table(
    transactions: pd.DataFrame,
    *,
    period: str = "M",
    metric: str = "retention",
    by=None,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
    observation_end=None,
) -> pd.DataFrame:
    """Acquisition cohorts by periods since acquisition, as a tidy (long) table.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log, one row per purchase (e.g. :func:`retailkit.transactions`).
    period : {"M", "W", "Q", "Y", "D"}, default "M"
        Calendar months, ISO weeks (Monday to Sunday), quarters, years or days.
    metric : {"retention", "active", "orders", "revenue"}, default "retention"
        ``active``: customers of the cohort with a purchase in period k; ``retention``: active
        divided by cohort size (1 at k = 0); ``orders``: rows; ``revenue``: sum of ``monetary_col``
        (only read for this metric).
    by : str or list of str, optional
        Customer attributes to split by (values of each customer's first purchase row).
    customer_col, datetime_col, monetary_col : str
        Column names.
    observation_end : date-like, optional
        Last day observed (inclusive); default the last date in the data.

    Returns
    -------
    pandas.DataFrame
        Columns: the ``by`` columns, ``cohort`` (pandas Period), ``period_number`` (k),
        ``cohort_size`` and ``value``; one row per cohort and k up to the period containing
        ``observation_end``.  Cells not fully observed are NaN (see the module notes).  Use
        :func:`pivot_cohorts` for the cohort x period matrix.

    Raises
    ------
    InputError, SchemaError
        Unknown period or metric, and the log checks of :func:`retailkit.rfm_summary`.
    """
    func = "cohort_table"
    if metric not in METRICS:
        raise InputError(f"{func}: unknown metric {metric!r}. Use one of {list(METRICS)}.")
    need = {"retention": "active"}.get(metric, metric)
    cells = _cells(
        transactions, func, period=period, by=by, customer_col=customer_col, datetime_col=datetime_col,
        monetary_col=monetary_col if metric == "revenue" else None, observation_end=observation_end, need={need},
    )
    size, n_c = cells.size, cells.size.shape[1]
    exists = np.arange(n_c)[:, None] + np.arange(n_c)[None, :] <= n_c - 1  # period k not after last_p
    gi, ci, ki = np.nonzero((size > 0)[:, :, None] & exists[None])
    value = cells.counts[need][gi, ci, ki].astype(float)
    if metric == "retention":
        value = value / size[gi, ci]
    value[~cells.observable()[ci, ki]] = np.nan
    out = cells.groups.iloc[gi].reset_index(drop=True)
    out["cohort"] = period_labels(cells.pmin + ci, period)
    out["period_number"] = ki
    out["cohort_size"] = size[gi, ci]
    out["value"] = value
    return report_left_out(
        out, func, cells.log, metric=metric, period=period, by=cells.by,
        last_complete_period=period_labels([cells.last_complete], period)[0],
    )


def pivot_cohorts(table: pd.DataFrame, *, values: str = "value") -> pd.DataFrame:
    """The cohort x period_number matrix of a :func:`cohort_table` (``by`` columns as row levels).

    Unobservable cells stay NaN; combinations absent from the table are NaN too."""
    require_columns(table, {c: c for c in _BASE_COLUMNS}, "pivot_cohorts", table="cohort table")
    by = [c for c in table.columns if c not in _BASE_COLUMNS]
    wide = table.pivot(index=[*by, "cohort"], columns="period_number", values=values)
    wide.attrs = dict(table.attrs)
    return wide


def retention_curve(
    transactions: pd.DataFrame,
    *,
    by=None,
    period: str = "M",
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    observation_end=None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Share of customers active k periods after acquisition, pooled over cohorts, with Wilson intervals.

    For each k only cohorts whose period k is fully observed count ("old enough"): ``retained``
    is their active customers in period k, ``customers`` their total size.  The Wilson interval
    (``statsmodels`` ``proportion_confint(method="wilson")``) treats customers as independent,
    which ignores differences between cohorts.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log.
    by : str or list of str, optional
        Customer attributes to split by (e.g. ``"channel"``).
    period, customer_col, datetime_col, observation_end
        As in :func:`cohort_table`.
    alpha : float, default 0.05
        1 - confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``period_number``, ``n_cohorts``, ``customers``, ``retained``,
        ``retention``, ``ci_lower``, ``ci_upper``; only k observed for at least one cohort.
    """
    func = "retention_curve"
    cells = _cells(
        transactions, func, period=period, by=by, customer_col=customer_col, datetime_col=datetime_col,
        monetary_col=None, observation_end=observation_end, need={"active"},
    )
    obs = cells.observable()[None] & (cells.size > 0)[:, :, None]  # (G, C, K)
    customers = (cells.size[:, :, None] * obs).sum(axis=1)
    retained = (cells.counts["active"] * obs).sum(axis=1)
    n_cohorts = obs.sum(axis=1)
    gi, ki = np.nonzero(n_cohorts > 0)
    out = cells.groups.iloc[gi].reset_index(drop=True)
    out["period_number"] = ki
    out["n_cohorts"] = n_cohorts[gi, ki]
    out["customers"] = customers[gi, ki]
    out["retained"] = retained[gi, ki]
    out["retention"] = out["retained"] / out["customers"]
    out["ci_lower"], out["ci_upper"] = _wilson(out["retained"], out["customers"], alpha)
    return report_left_out(out, func, cells.log, period=period, by=cells.by, alpha=alpha)


def _wilson(count, nobs, alpha):
    low, high = proportion_confint(np.asarray(count), np.asarray(nobs), alpha=alpha, method="wilson")
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def repeat_rate(
    transactions: pd.DataFrame,
    *,
    within_days: int = 90,
    by=None,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    observation_end=None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Share of customers who bought again within ``within_days`` days of their first purchase.

    "Again" means on a later calendar day ``d`` with ``first < d <= first + within_days`` (a second
    order on the first day does not count, as in the BTYD summaries).  Only customers whose window
    is fully observed (``first + within_days <= observation_end``) count; the others are reported
    as ``too_young``, not dropped silently.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log.
    within_days : int, default 90
        Length of the window after the first purchase day, in days (> 0).
    by : str or list of str, optional
        Customer attributes to split by.
    customer_col, datetime_col, observation_end
        As in :func:`cohort_table`.
    alpha : float, default 0.05
        1 - confidence level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` group (one row without ``by``): the ``by`` columns, ``customers``
        (eligible), ``repeaters``, ``repeat_rate``, ``ci_lower``, ``ci_upper`` and ``too_young``.
        ``repeat_rate`` is NaN for a group without eligible customers.
    """
    func = "repeat_rate"
    if not (pdt.is_integer(within_days) and within_days > 0):
        raise InputError(f"{func}: within_days must be a positive whole number of days, got {within_days!r}.")
    log, by_cols, first = prepare_grouped_log(transactions, func, by, customer_col, datetime_col, None, observation_end)
    start = first[log.codes]
    again = (log.days > start) & (log.days <= start + within_days)
    repeater = np.bincount(log.codes[again], minlength=log.n) > 0
    eligible = first + within_days <= log.end_day
    g, groups = customer_groups(transactions, log, by_cols, first)
    n_g = len(groups)
    out = groups.copy()
    out["customers"] = np.bincount(g[eligible], minlength=n_g)
    out["repeaters"] = np.bincount(g[eligible & repeater], minlength=n_g)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["repeat_rate"] = out["repeaters"] / out["customers"]
        low, high = _wilson(out["repeaters"], out["customers"], alpha)
    empty = out["customers"].to_numpy() == 0
    low[empty], high[empty] = np.nan, np.nan
    out["ci_lower"], out["ci_upper"] = low, high
    out["too_young"] = np.bincount(g[~eligible], minlength=n_g)
    log.customers_left_out[f"too young: first purchase less than {within_days} days before observation_end"] = int(
        (~eligible).sum()
    )
    return report_left_out(out, func, log, within_days=within_days, by=by_cols, alpha=alpha)


def returning_revenue_share(
    transactions: pd.DataFrame,
    *,
    period: str = "M",
    by=None,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
    first_col: str | None = "is_first",
    observation_end=None,
) -> pd.DataFrame:
    """Revenue per period split into first orders and returning customers' orders.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log.
    period : {"M", "W", "Q", "Y", "D"}, default "M"
        Calendar period of the revenue.
    by : str or list of str, optional
        Customer attributes to split by (values of the first purchase row).
    customer_col, datetime_col, monetary_col : str
        Column names.
    first_col : str or None, default "is_first"
        Boolean column marking each customer's first order (as :func:`retailkit.transactions`
        gives).  ``None``: every row on the customer's first purchase day in the log counts as new.
    observation_end : date-like, optional
        Last day observed (inclusive).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``period`` (pandas Period), ``revenue``, ``new_revenue``,
        ``returning_revenue``, ``returning_share`` (NaN without revenue) and ``complete``
        (False for the partial period that contains ``observation_end``).
    """
    func = "returning_revenue_share"
    check_period(period, func)
    if first_col is not None and isinstance(transactions, pd.DataFrame):
        require_columns(transactions, {"first_col": first_col}, func,
                        hint=" Pass first_col=None to count the first purchase day as new.")
    log, by_cols, first = prepare_grouped_log(
        transactions, func, by, customer_col, datetime_col, monetary_col, observation_end, first_col=first_col
    )
    if first_col is None:
        new = log.days == first[log.codes]
    else:
        flags = transactions[first_col]
        if not pdt.is_bool_dtype(flags.dtype) or flags.isna().any():
            raise SchemaError(
                f"{func}: column {first_col!r} (first_col) must be boolean without missing values, got "
                f"{flags.dtype}. Pass first_col=None to treat the first purchase day as new."
            )
        new = log.column(transactions, first_col).astype(bool)
    g, groups = customer_groups(transactions, log, by_cols, first)
    row_p = period_numbers(log.days, period)
    p0, last_p = int(row_p.min()), int(period_numbers(np.array([log.end_day]), period)[0])
    n_p, n_g = last_p - p0 + 1, len(groups)
    cell = g[log.codes] * n_p + (row_p - p0)
    new_revenue = np.bincount(cell, weights=np.where(new, log.amounts, 0.0), minlength=n_g * n_p)
    returning = np.bincount(cell, weights=np.where(new, 0.0, log.amounts), minlength=n_g * n_p)
    revenue = new_revenue + returning
    gi, pi = np.divmod(np.arange(n_g * n_p), n_p)
    out = groups.iloc[gi].reset_index(drop=True)
    out["period"] = period_labels(p0 + pi, period)
    out["revenue"] = revenue
    out["new_revenue"] = new_revenue
    out["returning_revenue"] = returning
    with np.errstate(invalid="ignore", divide="ignore"):
        out["returning_share"] = np.where(revenue > 0, returning / revenue, np.nan)
    out["complete"] = p0 + pi <= last_complete_period(log.end_day, period)
    return report_left_out(out, func, log, period=period, by=by_cols)
