"""From orders to transactions, and from transactions to per-customer summaries.

Conventions (shared by :mod:`retailkit.metrics`):

* Datetimes are reduced to calendar days: timezone-naive values are floored to the day,
  timezone-aware ones to the day of their own wall clock (use ``order_date`` from
  :func:`transactions` for store-local days).  ``observation_end`` is a calendar day too (a
  timezone-aware one is first converted to the data's zone), and every purchase *on* that day is
  included.
* Nothing is dropped silently.  Rows a function leaves out are counted by reason in
  ``result.attrs["rows_left_out"]`` (customers in ``result.attrs["customers_left_out"]``); the
  dictionaries are always there, with zero counts when nothing was left out.  When a count is not
  zero a :class:`RowsLeftOutWarning` says so; silence it with
  ``warnings.simplefilter("ignore", rk.RowsLeftOutWarning)`` once you know.
* A transaction log holds purchases: amounts must be non-negative.  Refunds belong netted into
  the order they refund, as :func:`transactions` does.  An order refunded in full stays a purchase
  (amount 0): the customer came back, even if the goods did not stay.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retailkit._logs import (
    TIME_UNIT_DAYS,
    RowsLeftOutWarning,
    day_to_timestamp,
    distinct_count,
    prepare_log,
    report_left_out,
    require_columns,
    unique_pairs,
    unit_days,
)
from retailkit.errors import DataValidationError, InputError, SchemaError, first_rows

__all__ = ["transactions", "rfm_summary", "calibration_holdout", "RowsLeftOutWarning", "TIME_UNIT_DAYS"]

_ORDER_COLS = ("order_id", "customer_id", "store_id", "ordered_at", "amount")


def transactions(store, *, net_returns: bool = True) -> pd.DataFrame:
    """One row per order, with the store-local date, acquisition channel and net amount.

    Parameters
    ----------
    store : StoreData or any object with DataFrame attributes
        ``orders`` (order_id, customer_id, store_id, ordered_at [timezone-aware], amount),
        ``stores`` (store_id, timezone), ``customers`` (customer_id, channel) and, when
        ``net_returns`` is true, ``returns`` (order_id, refund_amount).
    net_returns : bool, default True
        Subtract each order's refunds from its amount.  Refunds are netted back to the order they
        refund whenever they happened (so a refund after an observation window still lowers the
        order's value; filter ``store.returns`` by ``returned_at`` first if that matters).
        An order refunded in full keeps its row with amount 0.

    Returns
    -------
    pandas.DataFrame
        Columns order_id, customer_id, store_id, ordered_at (UTC), order_date (the calendar date
        in the time zone of the order's store, naive ``datetime64`` at midnight), channel (the
        customer's acquisition channel), is_first (the customer's first order by ``ordered_at``,
        ties broken by order_id) and amount; sorted by customer_id, ordered_at, order_id.

    Raises
    ------
    SchemaError
        A table lacks a column, ``ordered_at`` is not timezone-aware, or a time zone is unknown.
    DataValidationError
        Orders of unknown stores or customers, duplicate customers, refunds of unknown orders,
        negative refunds, or refunds larger than the amount paid.
    """
    func = "transactions"
    orders, stores, customers = (_table(store, name, func) for name in ("orders", "stores", "customers"))
    require_columns(orders, {c: c for c in _ORDER_COLS}, func, table="orders")
    require_columns(stores, {"store_id": "store_id", "timezone": "timezone"}, func, table="stores")
    require_columns(customers, {"customer_id": "customer_id", "channel": "channel"}, func, table="customers")

    out = orders.loc[:, list(_ORDER_COLS)]
    when = out["ordered_at"]
    if not isinstance(when.dtype, pd.DatetimeTZDtype):
        raise SchemaError(
            f"{func}: orders.ordered_at must be timezone-aware timestamps (UTC), got dtype {when.dtype}. "
            "Localize it first, e.g. orders['ordered_at'].dt.tz_localize('UTC')."
        )
    paid = out["amount"].to_numpy(dtype="float64", na_value=np.nan)
    for col, bad in (("ordered_at", when.isna().to_numpy()), ("amount", ~np.isfinite(paid))):
        if bad.any():
            raise DataValidationError(
                f"{func}: orders.{col} is missing for {bad.sum():,} orders (rows "
                f"{first_rows(out.index[bad])}). Fix or drop those orders first."
            )
    out["ordered_at"] = when.dt.tz_convert("UTC")
    out["order_date"] = _local_dates(out, stores, func)

    if customers["customer_id"].duplicated().any():
        dup = customers.index[customers["customer_id"].duplicated(keep=False).to_numpy()]
        raise DataValidationError(f"{func}: customers.customer_id has duplicates (rows {first_rows(dup)}).")
    unknown = ~out["customer_id"].isin(customers["customer_id"]).to_numpy()
    if unknown.any():
        raise DataValidationError(
            f"{func}: {unknown.sum():,} orders belong to customers missing from customers "
            f"(orders rows {first_rows(out.index[unknown])}). Add them to the customers table."
        )
    out = out.merge(customers[["customer_id", "channel"]], on="customer_id", how="left", sort=False)

    amount = paid
    if net_returns:
        amount = _net_refunds(out, amount, _table(store, "returns", func), func)
    out["amount"] = amount

    out = out.sort_values(["customer_id", "ordered_at", "order_id"], kind="stable", ignore_index=True)
    out["is_first"] = ~out["customer_id"].duplicated().to_numpy()
    cols = ["order_id", "customer_id", "store_id", "ordered_at", "order_date", "channel", "is_first", "amount"]
    return out[cols]


def _table(store, name: str, func: str) -> pd.DataFrame:
    df = getattr(store, name, None)
    if not isinstance(df, pd.DataFrame):
        raise InputError(
            f"{func}: the store has no {name!r} table (got {type(df).__name__}). Pass a StoreData or an "
            "object whose orders, stores, customers and returns attributes are DataFrames."
        )
    return df


def _local_dates(out: pd.DataFrame, stores: pd.DataFrame, func: str) -> np.ndarray:
    """Store-local calendar date of every order: one conversion per time zone, not per order."""
    tz_of = stores.drop_duplicates("store_id").set_index("store_id")["timezone"]
    tz = out["store_id"].map(tz_of)
    missing = tz.isna().to_numpy()
    if missing.any():
        raise DataValidationError(
            f"{func}: {missing.sum():,} orders have a store_id without a time zone in stores "
            f"(orders rows {first_rows(out.index[missing])}, store_id "
            f"{first_rows(pd.Index(out['store_id'][missing].unique()))}). Add the store to stores."
        )
    dates = np.empty(len(out), dtype="datetime64[us]")
    for zone in pd.unique(tz):
        rows = (tz == zone).to_numpy()
        try:
            local = out["ordered_at"][rows].dt.tz_convert(zone)
        except Exception as exc:  # unknown zone names raise several exception types
            raise SchemaError(
                f"{func}: stores.timezone {zone!r} is not a known IANA time zone ({exc}). "
                "Use names such as 'Europe/Berlin' or 'Asia/Shanghai'."
            ) from None
        dates[rows] = local.dt.tz_localize(None).dt.floor("D").to_numpy().astype("datetime64[us]")
    return dates


def _net_refunds(out: pd.DataFrame, amount: np.ndarray, returns: pd.DataFrame, func: str) -> np.ndarray:
    if returns.empty:
        return amount
    require_columns(returns, {"order_id": "order_id", "refund_amount": "refund_amount"}, func, table="returns")
    refund = returns["refund_amount"].to_numpy(dtype="float64", na_value=np.nan)
    bad = ~(refund >= 0) | returns["order_id"].isna().to_numpy()
    if bad.any():
        raise DataValidationError(
            f"{func}: returns need an order_id and a non-negative refund_amount "
            f"(rows {first_rows(returns.index[bad])})."
        )
    per_order = pd.Series(refund).groupby(returns["order_id"].to_numpy()).sum()
    orphan = ~per_order.index.isin(out["order_id"])
    if orphan.any():
        raise DataValidationError(
            f"{func}: returns refer to orders missing from orders (order_id {first_rows(per_order.index[orphan])})."
        )
    net = np.round(amount - per_order.reindex(out["order_id"], fill_value=0.0).to_numpy(), 2)
    over = net < 0
    if over.any():
        raise DataValidationError(
            f"{func}: refunds exceed the amount paid for {over.sum():,} orders "
            f"(order_id {first_rows(pd.Index(out['order_id'][over]))}). Check returns.refund_amount."
        )
    return net + 0.0  # turns -0.0 into 0.0


def rfm_summary(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str | None = "amount",
    observation_end=None,
    time_unit: str = "W",
) -> pd.DataFrame:
    """Frequency, recency, T and monetary value per customer, as in the BTYD literature.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log, one row per purchase (e.g. the output of :func:`transactions`).
    customer_col, datetime_col, monetary_col : str
        Column names.  ``datetime_col`` may hold datetimes (naive or timezone-aware) or date
        strings; it is reduced to calendar days.  ``monetary_col=None`` leaves out monetary_value.
    observation_end : date-like, optional
        Last day observed (inclusive).  Default: the last date in the data.  Rows after it are
        left out and counted (see the module notes).
    time_unit : {"W", "D", "M", "Y"}, default "W"
        Unit of recency and T: days divided by ``TIME_UNIT_DAYS[time_unit]`` (7, 1, 365.25/12,
        365.25).  Real numbers, never floored.

    Returns
    -------
    pandas.DataFrame
        Indexed by the customer column (sorted), with columns

        * ``frequency``: distinct purchase days minus one (repeat purchase days), int64;
        * ``recency``: from the first to the last purchase day;
        * ``T``: from the first purchase day to ``observation_end``;
        * ``monetary_value``: mean of the daily-summed amount over the repeat purchase days (the
          first purchase day excluded), 0 when frequency is 0.

        ``attrs`` holds observation_end, time_unit, rows_left_out and customers_left_out.

    Raises
    ------
    SchemaError
        Missing columns (close names are suggested), unparseable dates, non-numeric amounts.
    InputError
        Missing customer ids or dates, negative or missing amounts, an unknown time unit, or an
        ``observation_end`` before the first date in the data.

    Examples
    --------
    >>> summary = rk.rfm_summary(rk.transactions(store), observation_end="2024-06-30")
    >>> summary["T"].max()  # doctest: +SKIP
    """
    func = "rfm_summary"
    unit = unit_days(time_unit, func)
    log = prepare_log(transactions, func, customer_col, datetime_col, monetary_col, observation_end)
    first, last, n_days, repeat_sum = _per_customer(log.codes, log.days, log.amounts, log.n)
    out = _summary_frame(log, first, last, n_days, repeat_sum, log.end_day, unit)
    return report_left_out(out, func, log, time_unit=time_unit)


def calibration_holdout(
    transactions: pd.DataFrame,
    calibration_end,
    observation_end,
    *,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str | None = "amount",
    time_unit: str = "W",
) -> pd.DataFrame:
    """Calibration summary up to ``calibration_end`` plus what happened in the holdout period.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log (see :func:`rfm_summary`).
    calibration_end, observation_end : date-like
        Last day of the calibration period and of the holdout period (both inclusive); the
        holdout is the days in ``(calibration_end, observation_end]``.
    customer_col, datetime_col, monetary_col, time_unit
        As in :func:`rfm_summary`.

    Returns
    -------
    pandas.DataFrame
        One row per customer whose first purchase is on or before ``calibration_end``, with the
        :func:`rfm_summary` columns over the calibration period (so a model fits on it directly)
        and ``frequency_holdout`` (distinct purchase days in the holdout), ``monetary_value_holdout``
        (mean daily-summed amount over the holdout purchase days, 0 if none) and
        ``duration_holdout`` (length of the holdout in ``time_unit``).  Customers first seen in
        the holdout are left out and counted in ``attrs``, as are rows after observation_end.

    Raises
    ------
    InputError
        ``calibration_end`` not before ``observation_end`` or before the first date in the data,
        plus everything :func:`rfm_summary` raises.
    """
    func = "calibration_holdout"
    unit = unit_days(time_unit, func)
    log = prepare_log(transactions, func, customer_col, datetime_col, monetary_col, observation_end)
    cal_day = log.parse_day(calibration_end, "calibration_end")
    if cal_day >= log.end_day:
        raise InputError(
            f"{func}: calibration_end {day_to_timestamp(cal_day).date()} must be before observation_end "
            f"{day_to_timestamp(log.end_day).date()}. Pass an earlier calibration_end."
        )
    codes, days, amounts = log.codes, log.days, log.amounts
    in_cal = days <= cal_day
    cal_codes = codes[in_cal]
    first, last, n_days, repeat_sum = _per_customer(
        cal_codes, days[in_cal], None if amounts is None else amounts[in_cal], log.n
    )
    known = n_days > 0  # customers with a purchase in the calibration period
    hold = ~in_cal & known[codes]
    hold_codes = codes[hold]
    hold_days = distinct_count(hold_codes, days[hold], log.n)

    out = _summary_frame(log, first, last, n_days, repeat_sum, cal_day, unit)
    out["frequency_holdout"] = hold_days
    if amounts is not None:
        hold_sum = np.bincount(hold_codes, weights=amounts[hold], minlength=log.n)
        out["monetary_value_holdout"] = np.divide(hold_sum, hold_days, out=np.zeros(log.n), where=hold_days > 0)
    out["duration_holdout"] = (log.end_day - cal_day) / unit
    n_new, new_rows = int((~known).sum()), int((~known[codes]).sum())
    out = out[known]
    log.rows_left_out["customer's first purchase after calibration_end"] = new_rows
    log.customers_left_out["first purchase after calibration_end"] = n_new
    out = report_left_out(out, func, log, time_unit=time_unit)
    out.attrs["calibration_end"] = day_to_timestamp(cal_day)
    return out


def _per_customer(codes: np.ndarray, days: np.ndarray, amounts: np.ndarray | None, n: int):
    """First and last purchase day, distinct purchase days and repeat-day spend per customer.

    First and last day come from the sorted distinct (customer, day) pairs; customers without
    rows get first = last = 0 and no purchase days."""
    pair_codes, pair_days = unique_pairs(codes, days)
    n_days = np.bincount(pair_codes, minlength=n)
    end = np.cumsum(n_days)
    has = n_days > 0
    first = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    first[has] = pair_days[(end - n_days)[has]]
    last[has] = pair_days[end[has] - 1]
    repeat_sum = None
    if amounts is not None:
        repeat_sum = np.bincount(codes, weights=np.where(days != first[codes], amounts, 0.0), minlength=n)
    return first, last, n_days, repeat_sum


def _summary_frame(log, first, last, n_days, repeat_sum, end_day: int, unit: float) -> pd.DataFrame:
    frequency = np.maximum(n_days - 1, 0)
    # customers without rows (possible in calibration_holdout) get meaningless values, dropped there
    data = {"frequency": frequency, "recency": (last - first) / unit, "T": (end_day - first) / unit}
    if repeat_sum is not None:
        data["monetary_value"] = np.divide(repeat_sum, frequency, out=np.zeros(len(first)), where=frequency > 0)
    return pd.DataFrame(data, index=log.customers)
