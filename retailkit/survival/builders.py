"""Survival data from the store's tables: time to the second purchase, membership lifetimes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from retailkit._logs import (
    RowsLeftOutWarning,
    customer_groups,
    date_argument_day,
    day_to_timestamp,
    prepare_grouped_log,
    report_left_out,
    require_columns,
    unique_pairs,
    unit_days,
)
from retailkit.errors import InputError, SchemaError, first_rows, offending

__all__ = ["time_to_second_purchase", "membership_lifetimes"]

_EPOCH = np.datetime64("1970-01-01", "D")


def time_to_second_purchase(transactions: pd.DataFrame, *, observation_end=None, by=None,
                            customer_col: str = "customer_id", datetime_col: str = "order_date",
                            time_unit: str = "D") -> pd.DataFrame:
    """Time from each customer's first purchase day to their second distinct purchase day.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log, one row per purchase (e.g. :func:`retailkit.transactions`).
    observation_end : date-like, optional
        Last day observed (inclusive); default the last date in the log.  Rows after it are left
        out and counted in ``attrs`` (with a :class:`~retailkit.RowsLeftOutWarning`).
    by : str or list of str, optional
        Column(s) to carry per customer (e.g. ``"channel"``), taken from the customer's first
        purchase row.
    customer_col, datetime_col : str
        Column names; dates are reduced to calendar days (see :mod:`retailkit.prep`).
    time_unit : {"D", "W", "M", "Y"}, default "D"
        Unit of ``duration`` (days divided by 1, 7, 365.25/12 or 365.25).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer (sorted, as :func:`retailkit.rfm_summary`): ``first_purchase_on``,
        ``duration`` (to the second purchase day when ``event`` is True, else to
        ``observation_end``: censored), ``event`` (bool: a second purchase day was observed), then
        the ``by`` columns.  Several orders on one day count as one purchase day, so the duration of
        an observed second purchase is at least one day.  A customer whose first purchase is on
        ``observation_end`` has duration 0, censored: kept, and harmless to every estimator.
        ``attrs`` holds observation_end, time_unit, rows_left_out, customers_left_out and ``k`` (1).

    Raises
    ------
    SchemaError
        Missing columns or unparseable dates.
    InputError
        Missing ids or dates, an unknown time unit, an ``observation_end`` before the data.

    See Also
    --------
    time_to_next_purchase : the same from the k-th purchase day to the next, for any k.
    """
    out = _next_purchase(transactions, 1, "time_to_second_purchase", observation_end, by, customer_col,
                         datetime_col, time_unit)
    return out.rename(columns={"purchase_on": "first_purchase_on"})


def time_to_next_purchase(transactions: pd.DataFrame, *, k: int = 1, observation_end=None, by=None,
                          customer_col: str = "customer_id", datetime_col: str = "order_date",
                          time_unit: str = "D") -> pd.DataFrame:
    """Time from each customer's k-th distinct purchase day to the next one.

    Does the reserve deepen -- do customers who have bought ``k`` times come back sooner than
    customers who have bought once?  Kaplan-Meier or Cox on the tables for ``k = 1, 2, 3, ...``
    answers it.  ``k = 1`` is :func:`time_to_second_purchase`.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log, one row per purchase.
    k : int, default 1
        Which purchase day the clock starts at (1 = the first).  Only customers with at least
        ``k`` purchase days by ``observation_end`` are at risk; the others are left out and
        counted in ``attrs["customers_left_out"]``.
    observation_end, by, customer_col, datetime_col, time_unit
        As in :func:`time_to_second_purchase`.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``purchase_on`` (the k-th purchase day), ``duration`` (to the next
        purchase day when ``event`` is True, else to ``observation_end``), ``event``, then the
        ``by`` columns.  ``attrs`` as in :func:`time_to_second_purchase` (both record ``k``).
    """
    func = "time_to_next_purchase"
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"{func}: k must be a whole number >= 1 (the purchase day the clock starts at), got {k!r}.")
    return _next_purchase(transactions, int(k), func, observation_end, by, customer_col, datetime_col, time_unit)


def _next_purchase(transactions, k, func, observation_end, by, customer_col, datetime_col, time_unit):
    unit = unit_days(time_unit, func)
    log, by, first = prepare_grouped_log(transactions, func, by, customer_col, datetime_col, None, observation_end)
    pair_codes, pair_days = unique_pairs(log.codes, log.days)
    n_days = np.bincount(pair_codes, minlength=log.n)
    start = np.cumsum(n_days) - n_days
    at_risk = n_days >= k
    kth = pair_days[np.minimum(start + k - 1, len(pair_days) - 1)]
    event = n_days >= k + 1
    nxt = np.where(event, pair_days[np.minimum(start + k, len(pair_days) - 1)], log.end_day)
    out = pd.DataFrame({
        "purchase_on": kth.astype("datetime64[D]").astype("datetime64[us]"),
        "duration": (nxt - kth) / unit,
        "event": event,
    }, index=log.customers)
    if by:  # each customer's values on their first purchase row, dtypes kept (categories, strings)
        group, keys = customer_groups(transactions, log, by, first)
        out = out.join(keys.iloc[group].set_axis(out.index))
    if k > 1:
        out = out[at_risk]
        log.customers_left_out[f"fewer than {k} purchase days by observation_end"] = int((~at_risk).sum())
    return report_left_out(out, func, log, stacklevel=4, time_unit=time_unit, k=k)  # past the public function


def _dates(df: pd.DataFrame, col: str, func: str, nullable: bool) -> np.ndarray:
    """Day numbers (float, NaN for missing) of a date column."""
    s = df[col]
    if not (pdt.is_datetime64_dtype(s.dtype) or isinstance(s.dtype, pd.DatetimeTZDtype)):
        parsed = pd.to_datetime(s, errors="coerce")
        bad = (parsed.isna() & s.notna()).to_numpy()
        if bad.any():
            raise SchemaError(
                f"{func}: memberships column {col!r} has {bad.sum():,} unparseable dates "
                f"{offending(df.index, s.to_numpy(), bad)}. Parse it with pd.to_datetime(..., format=...)."
            )
        s = parsed
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)
    missing = s.isna().to_numpy()
    if missing.any() and not nullable:
        raise InputError(
            f"{func}: memberships column {col!r} has {missing.sum():,} missing dates (rows "
            f"{offending(df.index, s.to_numpy(), missing)}). Every membership needs a start day."
        )
    days = s.dt.floor("D").to_numpy().astype("datetime64[D]")
    out = (days - _EPOCH).astype("timedelta64[D]").astype(np.int64).astype(float)
    out[missing] = np.nan
    return out


def membership_lifetimes(memberships: pd.DataFrame, *, observation_end=None, period_days: int = 365,
                         unit: str = "periods", customer_col: str = "customer_id", start_col: str = "started_on",
                         renewals_col: str = "renewals", end_col: str = "ended_on") -> pd.DataFrame:
    """Lifetimes of paid memberships (contractual churn) as durations with an event flag.

    Parameters
    ----------
    memberships : pandas.DataFrame
        One row per membership: customer id, ``started_on``, ``renewals`` (renewals paid so far,
        whole numbers >= 0) and ``ended_on`` (the day it lapsed; missing while still active), as in
        ``store.memberships``.  Other columns (e.g. a channel merged in) are carried through.
    observation_end : date-like, optional
        Last day observed.  Memberships that start after it are left out (counted); ones that end
        after it count as active at it.  Required with ``unit="days"``; with ``unit="periods"`` the
        default trusts the table as it is (active = ``ended_on`` missing).
    period_days : int, default 365
        Length of one paid period (renewal every ``period_days`` days).
    unit : {"periods", "days"}, default "periods"
        ``"periods"``: discrete time, the renewal decisions survived.  A membership that lapsed after
        ``r`` renewals has duration ``r + 1`` with an event (it failed the ``r + 1``-th renewal); an
        active one with ``r`` renewals is censored at ``r`` (it has survived ``r`` decisions and
        not yet faced the next).  This is the shifted-beta-geometric lifetime, so Kaplan-Meier on
        it estimates the sBG survival ``S(t)`` at the renewal points.  ``"days"``: from
        ``started_on`` to ``ended_on`` (event) or to ``observation_end`` (censored).

    Returns
    -------
    pandas.DataFrame
        The input columns (rows left in their order, minus the ones left out), plus ``duration``
        and ``event`` (bool: the membership ended by ``observation_end``).  ``attrs`` holds
        observation_end, time_unit ("periods" or "D"), period_days and rows_left_out.

    Raises
    ------
    SchemaError
        Missing columns, unparseable dates.
    InputError
        Missing start days, renewals that are missing, negative or fractional, an ``ended_on``
        before ``started_on``, ``unit="days"`` without ``observation_end``, a bad unit or period.
    """
    return _membership_lifetimes(memberships, observation_end, period_days, unit, customer_col, start_col,
                                 renewals_col, end_col, func="membership_lifetimes")


def _membership_lifetimes(memberships, observation_end, period_days, unit, customer_col, start_col, renewals_col,
                          end_col, *, func: str) -> pd.DataFrame:
    """:func:`membership_lifetimes` for it and :func:`membership_sbg_data` (messages name ``func``,
    warnings point at the caller of the public function)."""
    if unit not in ("periods", "days"):
        raise InputError(f"{func}: unit must be 'periods' or 'days', got {unit!r}.")
    if not isinstance(period_days, int | np.integer) or period_days < 1:
        raise InputError(f"{func}: period_days must be a positive whole number of days, got {period_days!r}.")
    if not isinstance(memberships, pd.DataFrame):
        raise InputError(f"{func}: expected a pandas DataFrame of memberships, got {type(memberships).__name__}.")
    cols = {"customer_col": customer_col, "start_col": start_col, "renewals_col": renewals_col, "end_col": end_col}
    require_columns(memberships, cols, func, table="memberships")
    start = _dates(memberships, start_col, func, nullable=False)
    end = _dates(memberships, end_col, func, nullable=True)
    ren_s = memberships[renewals_col]
    if pdt.is_bool_dtype(ren_s.dtype) or not pdt.is_numeric_dtype(ren_s.dtype):
        raise InputError(f"{func}: column {renewals_col!r} must hold whole numbers >= 0, got dtype {ren_s.dtype}.")
    ren = ren_s.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~(np.isfinite(ren) & (ren >= 0) & (ren == np.round(ren)))
    if bad.any():
        raise InputError(
            f"{func}: column {renewals_col!r} must hold whole numbers >= 0; {bad.sum():,} rows do not "
            f"{offending(memberships.index, ren, bad)}."
        )
    before = end < start
    if before.any():
        raise InputError(
            f"{func}: {before.sum():,} memberships end before they start ({end_col!r} < {start_col!r}, rows "
            f"{offending(memberships.index, memberships[end_col].to_numpy(), before)}). Fix those rows."
        )
    if observation_end is None:
        if unit == "days":
            raise InputError(
                f"{func}: unit='days' needs observation_end (the last day observed, e.g. "
                "tx['order_date'].max()) to measure how long active memberships have run."
            )
        end_day = None
    else:
        end_day = float(date_argument_day(observation_end, func, "observation_end"))

    keep = np.ones(len(start), dtype=bool) if end_day is None else start <= end_day
    ended = ~np.isnan(end) if end_day is None else ~np.isnan(end) & (end <= end_day)
    if end_day is None:
        renewals = ren
    else:  # renewal dates start + k * period_days (k >= 1) on or before observation_end
        seen = np.floor((end_day - start) / period_days)
        renewals = np.where(ended, ren, np.minimum(ren, np.maximum(seen, 0)))
    if unit == "periods":
        duration = np.where(ended, renewals + 1, renewals)
    else:
        duration = np.where(ended, end - start, end_day - start)
    out = memberships[keep].copy()
    out["duration"] = duration[keep]
    out["event"] = ended[keep]
    out.attrs.update(
        observation_end=None if end_day is None else day_to_timestamp(int(end_day)),
        time_unit="periods" if unit == "periods" else "D", period_days=int(period_days),
        rows_left_out={"started after observation_end": int((~keep).sum())},
    )
    if (~keep).any():
        warnings.warn(
            f"{func}: left out {(~keep).sum():,} memberships that start after observation_end; the count is "
            "in result.attrs['rows_left_out'].", RowsLeftOutWarning, stacklevel=3,
        )
    return out


def membership_sbg_data(memberships: pd.DataFrame, *, observation_end=None, period_days: int = 365,
                        customer_col: str = "customer_id", start_col: str = "started_on",
                        renewals_col: str = "renewals", end_col: str = "ended_on") -> pd.DataFrame:
    """Memberships in the layout of :class:`retailkit.clv.ShiftedBetaGeometric`.

    A member pays period 1 on joining and decides at the end of each period whether to renew.
    With ``r`` renewals paid, the last period active is ``recency = r + 1``.  A lapsed membership
    churned at the next renewal, so it was observed one period longer: ``T = recency + 1``; an
    active one is censored with ``T = recency``.  Other columns are carried through.

    Parameters
    ----------
    memberships : pandas.DataFrame
        As for :func:`membership_lifetimes`.
    observation_end : date-like, optional
        See the memberships as they stood on this day (a back-test: fit on the past, compare with
        what came after).  Memberships that start after it are left out (counted in
        ``attrs["rows_left_out"]``, with a :class:`~retailkit.errors.RowsLeftOutWarning`); ones
        that end after it are active, with the renewals due by then.  This needs ``started_on``
        and ``period_days``; the default trusts the table as it is and needs neither.
    period_days : int, default 365
        Length of one paid period (with ``observation_end``).
    customer_col, start_col, renewals_col, end_col : str
        Column names (the first two only with ``observation_end``).

    Raises
    ------
    SchemaError
        A column is missing.
    InputError
        Renewals missing, negative or fractional (and, with ``observation_end``, whatever
        :func:`membership_lifetimes` refuses).
    """
    func = "membership_sbg_data"
    if observation_end is not None:
        # the same cut as the lifetimes: lapsed after r renewals -> duration r + 1 with an event,
        # active with r renewals by the cut -> duration r, censored
        d = _membership_lifetimes(memberships, observation_end, period_days, "periods", customer_col, start_col,
                                  renewals_col, end_col, func=func)
        duration, event = d.pop("duration").astype("int64"), d.pop("event")
        d["recency"] = np.where(event, duration, duration + 1)
        d["T"] = duration + 1
        return d
    require_columns(memberships, {"renewals_col": renewals_col, "end_col": end_col}, func, table="memberships")
    r = pd.to_numeric(memberships[renewals_col], errors="coerce")
    bad = r.isna() | (r < 0) | (r != np.floor(r))
    if bad.any():
        raise InputError(f"{func}: memberships.{renewals_col} must be whole numbers >= 0; "
                         f"found {list(memberships.loc[bad, renewals_col].head(3))} at rows "
                         f"{first_rows(memberships.index[bad])}")
    out = memberships.copy()
    out["recency"] = r.astype("int64") + 1
    out["T"] = out["recency"] + memberships[end_col].notna().astype("int64")
    return out
