"""Customer value: discounted expected margin over an explicit horizon, and customer equity.

Conventions (stated once, used everywhere):

* Time is measured in the unit of the summary the purchase model was fitted on (``time_unit``), with
  the same meaning as in :func:`retailkit.rfm_summary`: ``"D"`` = 1 day, ``"W"`` = 7 days, ``"M"`` =
  365.25/12 days (a mean Julian month, never a 30-day month), ``"Y"`` = 365.25 days; or a number of
  days per unit.
* ``discount_rate`` is an *annual* rate; a cash flow at time ``t`` (in units) is discounted by
  ``(1 + discount_rate) ** -(t * days_per_unit / 365.25)``.
* The horizon is cut into steps of length ``step`` (the last one may be shorter).  The expected
  purchases in a step are the difference of ``expected_purchases`` at its boundaries, and they are
  discounted at the step's midpoint (default) or end (``discount_at="end"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retailkit.clv._data import compress
from retailkit.errors import InputError
from retailkit.prep import TIME_UNIT_DAYS

__all__ = ["DAYS_PER_YEAR", "customer_equity", "customer_value", "discount_factor"]

DAYS_PER_YEAR = 365.25


def _days_per_unit(time_unit) -> float:
    if isinstance(time_unit, str):
        if time_unit in TIME_UNIT_DAYS:
            return TIME_UNIT_DAYS[time_unit]
        raise InputError(
            f"time_unit {time_unit!r} is not supported: use one of {sorted(TIME_UNIT_DAYS)} (D=1, W=7, "
            "M=365.25/12, Y=365.25 days, as in rfm_summary) or a number of days per unit."
        )
    days = float(time_unit)
    if not np.isfinite(days) or days <= 0:
        raise InputError(f"time_unit as a number must be a positive number of days, got {time_unit!r}.")
    return days


def discount_factor(t, *, discount_rate: float, time_unit="W"):
    """Present-value factor ``(1 + discount_rate) ** -(t * days_per_unit / 365.25)``.

    Parameters
    ----------
    t : float or array_like
        Time(s) from now in ``time_unit``.
    discount_rate : float
        Annual discount rate (0.1 = 10% a year).
    time_unit : {"D", "W", "M", "Y"} or float
        Unit of ``t`` (or days per unit), as in :func:`retailkit.rfm_summary`.
    """
    rate = float(discount_rate)
    if not np.isfinite(rate) or rate <= -1:
        raise InputError(f"discount_rate must be an annual rate > -1 (e.g. 0.10), got {discount_rate!r}.")
    years = np.asarray(t, dtype=float) * _days_per_unit(time_unit) / DAYS_PER_YEAR
    return np.exp(-years * np.log1p(rate))


def _per_customer(value, data, name):
    """A scalar, a column name of ``data`` or values aligned with ``data`` as a float array."""
    if isinstance(value, str):
        if value not in data.columns:
            raise InputError(f"{name} names column {value!r}, which the data does not have.")
        arr = data[value].to_numpy(dtype=float, na_value=np.nan)
    elif isinstance(value, pd.Series):
        if not value.index.equals(data.index):
            raise InputError(f"{name} is a Series whose index differs from the data's index; align it first.")
        arr = value.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.broadcast_to(np.asarray(value, dtype=float), (len(data),))
    if np.any(np.isnan(arr)):
        bad = data.index[np.isnan(arr)]
        raise InputError(f"{name} is NaN for {len(bad)} customer(s), first: {list(bad[:5])}.")
    return arr


def customer_value(purchase_model, spend_model, data: pd.DataFrame, *, horizon: float, time_unit="W",
                   discount_rate: float, margin, step: float = 1.0,
                   discount_at: str = "midpoint", nonpositive_spend: str = "error") -> pd.DataFrame:
    """Discounted expected margin of each customer over an explicit horizon.

    Parameters
    ----------
    purchase_model : BetaGeoResults or ParetoNBDResults
        Fitted purchase model (provides expected purchases given each customer's history).
    spend_model : GammaGammaResults, float or pandas.Series
        Fitted spend model (its ``expected_spend(data)`` is used), or the expected value per
        purchase as a number or per customer.
    data : pandas.DataFrame
        Summary frame with the columns both models were fitted with.
    horizon : float
        Length of the future period, in ``time_unit`` (e.g. 52 with ``"W"`` for one year).
    time_unit : {"D", "W", "M", "Y"} or float
        The time unit of the summary, as in :func:`retailkit.rfm_summary` (days per unit when a
        number).
    discount_rate : float
        Annual discount rate (0.10 = 10% a year).
    margin : float, str or array_like
        Share of spend kept as margin (e.g. 0.3), a column name, or one value per customer.
    step : float
        Step length in ``time_unit`` for discounting (1 = weekly steps with ``"W"``).
    discount_at : {"midpoint", "end"}
        Where in each step its purchases are discounted.
    nonpositive_spend : {"error", "exclude"}
        Passed to ``spend_model.expected_spend``: repeat buyers with a mean spend <= 0 raise an
        error, or get the population mean spend.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``data``: ``expected_purchases`` (undiscounted, over the horizon),
        ``discounted_purchases``, ``expected_spend`` (per purchase) and ``value``
        (= margin * expected_spend * discounted_purchases).
    """
    horizon = float(horizon)
    step = float(step)
    if not np.isfinite(horizon) or horizon <= 0:
        raise InputError(f"horizon must be a positive length in time_unit, got {horizon!r}.")
    if not np.isfinite(step) or step <= 0:
        raise InputError(f"step must be a positive length in time_unit, got {step!r}.")
    if discount_at not in ("midpoint", "end"):
        raise InputError(f"discount_at must be 'midpoint' or 'end', got {discount_at!r}.")
    if not hasattr(purchase_model, "_cond_expected"):
        raise InputError("purchase_model must be a fitted BetaGeo or ParetoNBD result.")
    n_steps = int(np.ceil(horizon / step - 1e-9))
    bounds = np.minimum(np.arange(n_steps + 1) * step, horizon)
    when = (bounds[:-1] + bounds[1:]) / 2 if discount_at == "midpoint" else bounds[1:]
    factors = discount_factor(when, discount_rate=discount_rate, time_unit=time_unit)

    x, tx, T = purchase_model._history(data)
    pat = compress([x, tx, T])
    px, ptx, pT = pat.values
    previous = np.zeros(pat.n)
    discounted = np.zeros(pat.n)
    for k, current in enumerate(purchase_model._iter_expected(bounds[1:], px, ptx, pT)):
        discounted += (current - previous) * factors[k]
        previous = current
    if hasattr(spend_model, "expected_spend"):
        spend = spend_model.expected_spend(data, nonpositive=nonpositive_spend).to_numpy()
    else:
        spend = _per_customer(spend_model, data, "spend_model")
    m = _per_customer(margin, data, "margin")
    if np.any(m < 0) or np.any(m > 1):
        raise InputError("margin must be a share of spend between 0 and 1 (e.g. 0.3 for 30%).")
    disc = discounted[pat.inverse]
    return pd.DataFrame({"expected_purchases": previous[pat.inverse], "discounted_purchases": disc,
                         "expected_spend": spend, "value": m * spend * disc}, index=data.index)


def customer_equity(values, by=None, *, data: pd.DataFrame | None = None,
                    value_col: str = "value") -> pd.DataFrame:
    """Customer equity (sum of customer values), in total or split by a grouping column.

    Parameters
    ----------
    values : pandas.DataFrame or pandas.Series
        Output of :func:`customer_value` (its ``value_col`` is used) or values per customer.
    by : str, pandas.Series or None
        Grouping: a column of ``values`` or of ``data`` (e.g. ``"channel"``), or labels aligned with
        ``values``.  None gives one row with the total.
    data : pandas.DataFrame, optional
        Frame to look ``by`` up in when it is not a column of ``values`` (same index).
    value_col : str
        Column of ``values`` holding the customer value.

    Returns
    -------
    pandas.DataFrame
        One row per group (missing labels form their own group, nothing is dropped):
        ``n_customers``, ``equity``, ``mean_value`` and ``share`` (of the total equity).
    """
    if isinstance(values, pd.DataFrame):
        if value_col not in values.columns:
            raise InputError(f"values has no column {value_col!r}; pass value_col=...")
        v = values[value_col]
    elif isinstance(values, pd.Series):
        v = values
    else:
        raise InputError("values must be a DataFrame from customer_value or a Series of values.")
    if by is None:
        labels = pd.Series("all", index=v.index, name="group")
    elif isinstance(by, str):
        if isinstance(values, pd.DataFrame) and by in values.columns:
            labels = values[by]
        elif data is not None and by in data.columns:
            if not data.index.equals(v.index):
                raise InputError("data's index differs from the values' index; align them first.")
            labels = data[by]
        else:
            raise InputError(f"no column {by!r} in values{' or data' if data is not None else ''}.")
    else:
        labels = pd.Series(by, index=v.index) if not isinstance(by, pd.Series) else by
        if not labels.index.equals(v.index):
            raise InputError("by is a Series whose index differs from the values' index; align it first.")
    name = labels.name if labels.name is not None else "group"
    frame = pd.DataFrame({name: labels.to_numpy(), "value": v.to_numpy()})
    out = frame.groupby(name, dropna=False, sort=True)["value"].agg(
        n_customers="size", equity="sum", mean_value="mean")
    total = out["equity"].sum()
    out["share"] = out["equity"] / total if total != 0 else np.nan
    return out.reset_index()
