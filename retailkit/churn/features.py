"""Churn features at a cut-off date, with the label from the period after it (a time split)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from retailkit._logs import RowsLeftOutWarning, day_to_timestamp, prepare_log, unique_pairs
from retailkit.churn._common import _check_days, _first_rows, _history
from retailkit.errors import InputError

__all__ = ["churn_features"]


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
    # Rows after the label window and customers first seen after the cut-off are outside the
    # analysis by definition: they are counted in attrs, not warned about.  Anything else is.
    by_design = {"after the label window", "customer's first purchase after cutoff", "first purchase after cutoff"}
    if any(n for why, n in {**rows, **customers}.items() if why not in by_design):
        text = ", ".join([f"{n:,} rows ({why})" for why, n in rows.items() if n]
                         + [f"{n:,} customers ({why})" for why, n in customers.items() if n])
        warnings.warn(
            f"{func}: left out {text}; features use days up to {day_to_timestamp(cut).date()}, the label the days "
            f"to {day_to_timestamp(label_end).date()}. The counts are in result.attrs['rows_left_out'] and "
            "result.attrs['customers_left_out'].", RowsLeftOutWarning, stacklevel=2,
        )
    return out
