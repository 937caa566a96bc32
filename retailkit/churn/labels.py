"""Operational churn: labels for one inactivity threshold, and how the churned share moves with it."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from retailkit._logs import RowsLeftOutWarning, prepare_log, report_left_out
from retailkit.churn._common import _as_list, _by_columns, _check_days, _dates, _first_rows, _history
from retailkit.errors import InputError
from retailkit.theme import color_for

__all__ = ["churn_labels", "churn_sensitivity", "plot_churn_sensitivity"]


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
