"""Unit economics: what an order leaves after goods, discounts and refunds, and what an acquired
customer is worth month by month against what acquiring them cost.

Definitions (all in the store currency):

* GMV of an order: ``gross_amount`` (the lines at the prices paid, before discounts).
* Contribution margin of an order: paid amount (``gross - discount``) minus refunds minus the
  cost of the goods the customer kept (returned goods go back to stock).  Marketing is not in it:
  it is compared separately, as acquisition cost (CAC) per customer.
* CAC of a channel: its acquisition spend divided by the customers it acquired (per cohort month,
  or over the whole period).  Channels without spend have CAC 0.
* Value per acquired customer after ``k`` months: cumulative contribution margin of a cohort's
  customers in months ``0..k`` since their acquisition month, divided by the cohort's size,
  counted only for cohorts observed for ``k`` complete months (others are NaN, never 0).
* Payback month: the first ``k`` whose value per acquired customer reaches the CAC.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retailkit.errors import InputError
from retailkit.prep import transactions

__all__ = ["order_margins", "acquisition_costs", "value_per_customer", "payback"]


def order_margins(store) -> pd.DataFrame:
    """One row per order with its GMV, discount, refunds, cost of goods kept and contribution margin.

    Columns: those of :func:`retailkit.transactions` (``amount`` is the net paid amount) plus
    ``gross_amount``, ``discount_amount``, ``refund_amount``, ``cogs`` and ``margin``."""
    tx = transactions(store, net_returns=True)
    orders = store.orders.set_index("order_id")
    lines = store.order_lines.merge(store.products[["sku", "unit_cost"]], on="sku", how="left")
    if lines["unit_cost"].isna().any():
        bad = lines.loc[lines["unit_cost"].isna(), "sku"].unique()[:5]
        raise InputError(f"order_margins: order_lines reference SKUs missing from products: {list(bad)}")
    kept = lines["quantity"].astype("float64")
    if len(store.returns):
        back = store.returns.groupby(["order_id", "sku"])["quantity"].sum()
        key = pd.MultiIndex.from_frame(lines[["order_id", "sku"]])
        kept = kept - back.reindex(key).fillna(0).to_numpy()
    cogs = (kept * lines["unit_cost"]).groupby(lines["order_id"]).sum()
    refunds = store.returns.groupby("order_id")["refund_amount"].sum()
    ids = tx["order_id"]
    tx["gross_amount"] = orders["gross_amount"].reindex(ids).to_numpy()
    tx["discount_amount"] = orders["discount_amount"].reindex(ids).to_numpy()
    tx["refund_amount"] = refunds.reindex(ids).fillna(0.0).to_numpy()
    tx["cogs"] = cogs.reindex(ids).fillna(0.0).to_numpy()
    tx["margin"] = tx["amount"] - tx["cogs"]
    return tx


def _month(dates: pd.Series) -> np.ndarray:
    """Calendar month number (months since 1970-01) of naive dates or timestamps."""
    values = dates.dt.tz_localize(None) if isinstance(dates.dtype, pd.DatetimeTZDtype) else dates
    return values.to_numpy().astype("datetime64[M]").astype(np.int64)


def acquisition_costs(store, *, by_cohort: bool = False) -> pd.DataFrame:
    """Spend, new customers and CAC per acquisition channel (per cohort month if ``by_cohort``).

    A customer's cohort is the month of their first order's store-local date, as in
    :func:`value_per_customer`, so per-cohort CAC and value describe the same customers.  The
    retention programme's spend is not acquisition spend and is left out of CAC; it is in
    ``store.marketing_spend`` under channel ``retention``."""
    cust = store.customers
    channels = list(cust["channel"].cat.categories) if hasattr(cust["channel"], "cat") else sorted(
        cust["channel"].unique())
    spend = store.marketing_spend[store.marketing_spend["channel"].astype(str).isin(channels)]
    keys = ["channel"]
    new = cust.assign(channel=cust["channel"].astype(str))
    spend = spend.assign(channel=spend["channel"].astype(str))
    if by_cohort:
        tx = transactions(store, net_returns=False)
        first = tx.loc[tx["is_first"], ["customer_id", "order_date"]].set_index("customer_id")["order_date"]
        new = new[new["customer_id"].isin(first.index)]
        months = _month(first.reindex(new["customer_id"]).reset_index(drop=True))
        new = new.assign(cohort=pd.PeriodIndex.from_ordinals(months, freq="M"))
        spend = spend.assign(cohort=pd.PeriodIndex.from_ordinals(_month(spend["spend_date"]), freq="M"))
        keys = ["channel", "cohort"]
    counts = new.groupby(keys).size().rename("new_customers")
    money = spend.groupby(keys)["spend"].sum()
    out = pd.concat([money, counts], axis=1).fillna({"spend": 0.0, "new_customers": 0})
    out["new_customers"] = out["new_customers"].astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cac"] = np.where(out["new_customers"] > 0, out["spend"] / out["new_customers"], np.nan)
    return out.reset_index()


def value_per_customer(store, *, by="channel", margins: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cumulative contribution margin per acquired customer by months since acquisition.

    Parameters
    ----------
    store : StoreData
    by : str or None, default "channel"
        Customer grouping (a column of ``transactions``: "channel" or "store_id"), or None.
    margins : DataFrame, optional
        The output of :func:`order_margins`, if already computed.

    Returns
    -------
    DataFrame with the ``by`` column, ``cohort`` (acquisition month), ``months_since`` (0 = the
    acquisition month), ``customers`` (cohort size), ``margin`` (that month's margin),
    ``cum_margin_per_customer`` and ``observable`` (False where month ``months_since`` is not
    complete by the end of the data: those values are NaN).
    """
    m = order_margins(store) if margins is None else margins
    if by is not None and by not in m.columns:
        raise InputError(f"value_per_customer: by={by!r} is not a column of the transactions; "
                         f"use one of {['channel', 'store_id']} or None")
    first = m[m["is_first"]]
    acq_month = pd.Series(_month(first["order_date"]), index=first["customer_id"].to_numpy())
    cohort = acq_month.reindex(m["customer_id"]).to_numpy()
    since = _month(m["order_date"]) - cohort
    last_day = m["order_date"].max()
    # the last month counts only if the data reach its final day
    last_complete = _month(pd.Series([last_day + pd.Timedelta(days=1)])).item() - 1
    keys = ([by] if by else []) + ["cohort"]
    frame = pd.DataFrame({"cohort": cohort, "months_since": since, "margin": m["margin"].to_numpy()})
    if by:
        frame.insert(0, by, m[by].astype(str).to_numpy())
    monthly = frame.groupby(keys + ["months_since"])["margin"].sum()
    size = first.assign(cohort=acq_month.to_numpy())
    if by:
        size[by] = size[by].astype(str)
    sizes = size.groupby(keys).size().rename("customers")
    # complete grid: every cohort x every month up to the end of the data
    grid = sizes.reset_index()
    span = last_complete - grid["cohort"].min() + 1
    grid = grid.loc[grid.index.repeat(max(span, 1))].reset_index(drop=True)
    grid["months_since"] = grid.groupby(keys).cumcount()
    grid = grid[grid["cohort"] + grid["months_since"] <= max(last_complete, grid["cohort"].max())]
    grid["margin"] = monthly.reindex(pd.MultiIndex.from_frame(grid[keys + ["months_since"]])).fillna(0.0).to_numpy()
    grid["observable"] = grid["cohort"] + grid["months_since"] <= last_complete
    grid["cum_margin_per_customer"] = grid.groupby(keys)["margin"].cumsum() / grid["customers"]
    grid.loc[~grid["observable"], "cum_margin_per_customer"] = np.nan
    grid["cohort"] = pd.PeriodIndex.from_ordinals(grid["cohort"].to_numpy(), freq="M")
    grid = grid.reset_index(drop=True)
    grid.attrs["rows_left_out"] = {"orders after the last complete month": int((cohort + since > last_complete).sum())}
    return grid


def payback(store, *, by="channel", by_cohort: bool = False, min_customers: int = 20,
            margins: pd.DataFrame | None = None) -> pd.DataFrame:
    """CAC against value per acquired customer, and the month it pays back, per channel.

    Value curves pool every cohort observed long enough for each month (customer-weighted), so
    month ``k`` uses the cohorts at least ``k`` complete months old.  Channels with fewer than
    ``min_customers`` customers are left out and counted in ``attrs["rows_left_out"]``.

    Returns one row per channel: ``customers``, ``spend``, ``cac``, ``value_3m``, ``value_12m``
    (value per acquired customer after 3 and 12 months since acquisition, NaN if no cohort is that
    old), ``payback_month`` (first month whose pooled value reaches the CAC; 0 means the first
    order pays for it; NaN: not within the observed months); the curves themselves come from
    :func:`value_per_customer`.  With ``by_cohort=True`` the same per channel and acquisition
    month, against that month's CAC (no pooling)."""
    if by != "channel":
        raise InputError("payback: CAC is defined per acquisition channel; use by='channel'")
    v = value_per_customer(store, by="channel", margins=margins)
    if by_cohort:
        return _payback_by_cohort(store, v, min_customers)
    obs = v[v["observable"]].copy()
    obs["total"] = obs["cum_margin_per_customer"] * obs["customers"]
    pooled = obs.groupby(["channel", "months_since"])[["total", "customers"]].sum()
    pooled["value"] = pooled["total"] / pooled["customers"]
    cac = acquisition_costs(store).set_index("channel")
    rows, left_out = [], 0
    for channel, curve in pooled["value"].groupby(level="channel"):
        n = int(cac.loc[channel, "new_customers"]) if channel in cac.index else 0
        if n < min_customers:
            left_out += 1
            continue
        curve = curve.droplevel("channel")
        c = float(cac.loc[channel, "cac"])
        reached = curve.index[curve.to_numpy() >= c]
        rows.append({
            "channel": channel, "customers": n, "spend": float(cac.loc[channel, "spend"]), "cac": c,
            "value_3m": curve.get(3, np.nan), "value_12m": curve.get(12, np.nan),
            "payback_month": float(reached.min()) if len(reached) else np.nan,
        })
    out = pd.DataFrame(rows)
    out.attrs["rows_left_out"] = {f"channels with fewer than {min_customers} customers": left_out}
    return out


def _payback_by_cohort(store, v: pd.DataFrame, min_customers: int) -> pd.DataFrame:
    """Per channel and acquisition month: that cohort's CAC, value after 3 and 12 months, payback month."""
    cac = acquisition_costs(store, by_cohort=True).set_index(["channel", "cohort"])["cac"]
    obs = v[v["observable"]]
    sizes = obs.groupby(["channel", "cohort"])["customers"].first()
    keep = sizes[sizes >= min_customers].index
    obs = obs.set_index(["channel", "cohort"]).loc[keep].reset_index()
    obs["cac"] = cac.reindex(pd.MultiIndex.from_frame(obs[["channel", "cohort"]])).to_numpy()
    obs["paid"] = obs["cum_margin_per_customer"] >= obs["cac"]
    g = obs.groupby(["channel", "cohort"])
    out = pd.DataFrame({
        "customers": g["customers"].first(),
        "cac": g["cac"].first(),
        "months_observed": g["months_since"].max() + 1,
        "value_3m": obs[obs["months_since"] == 3].set_index(["channel", "cohort"])["cum_margin_per_customer"],
        "value_12m": obs[obs["months_since"] == 12].set_index(["channel", "cohort"])["cum_margin_per_customer"],
        "payback_month": obs[obs["paid"]].groupby(["channel", "cohort"])["months_since"].min().astype(float),
    }).reset_index()
    small = int((sizes < min_customers).sum())
    out.attrs["rows_left_out"] = {f"cohorts with fewer than {min_customers} customers": small}
    return out
