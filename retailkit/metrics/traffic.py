"""The traffic lens: what a growth team reports.

Sessions, conversion and orders per channel and period; GMV decomposed into sessions x conversion
x average order value; GMV from new versus returning customers; CAC per channel; and a KPI table.

Sessions are dated in the reporting time zone (the online store's, else UTC); orders by their
store-local ``order_date``.  GMV is the gross amount of orders (before discounts and refunds), as
growth dashboards usually report it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retailkit.errors import InputError
from retailkit.metrics.cohorts import returning_revenue_share
from retailkit.metrics.economics import acquisition_costs, order_margins

__all__ = ["reporting_timezone", "funnel", "gmv_decomposition", "gmv_new_vs_returning", "kpi_table"]

_PERIODS = ("D", "W", "M", "Q", "Y")


def _check_period(period, func):
    if period is not None and period not in _PERIODS:
        raise InputError(f"{func}: period must be one of {list(_PERIODS)} or None, got {period!r}")


def reporting_timezone(store) -> str:
    """The online store's time zone, else UTC."""
    online = store.stores[store.stores["format"].astype(str) == "online"]
    return str(online["timezone"].iloc[0]) if len(online) else "UTC"


def _period(values: pd.Series, period: str) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return values.dt.to_period(period)


def funnel(store, *, period: str | None = "M", by: str | None = "channel") -> pd.DataFrame:
    """Sessions, known-customer sessions, orders, first orders and conversion per period and channel.

    ``orders`` are the sessions that converted; ``new_customers`` those whose order was the
    customer's first; ``conversion = orders / sessions``.  With ``by=None`` the rows are totals
    per period; with ``period=None`` totals over all the data.  Rows add up: the sum over
    channels equals the ``by=None`` total."""
    _check_period(period, "funnel")
    if by not in (None, "channel"):
        raise InputError(f"funnel: by must be 'channel' or None, got {by!r}")
    s = store.sessions
    first_orders = store.orders.merge(store.customers[["customer_id", "acquired_at"]], on="customer_id")
    first_ids = first_orders.loc[first_orders["ordered_at"] == first_orders["acquired_at"], "order_id"]
    frame = pd.DataFrame({
        "sessions": 1,
        "known_sessions": s["customer_id"].notna().to_numpy(dtype=int),
        "orders": s["order_id"].notna().to_numpy(dtype=int),
        "new_customers": s["order_id"].isin(first_ids).to_numpy(dtype=int),
        "pageviews": s["pageviews"].to_numpy(),
    })
    keys = []
    if period is not None:
        frame["period"] = _period(s["started_at"].dt.tz_convert(reporting_timezone(store)), period).to_numpy()
        keys.append("period")
    if by is not None:
        frame["channel"] = s["channel"].astype(str).to_numpy()
        keys.append("channel")
    out = frame.groupby(keys).sum() if keys else frame.sum().to_frame().T
    out["conversion"] = out["orders"] / out["sessions"]
    out["pageviews_per_session"] = out.pop("pageviews") / out["sessions"]
    return out.reset_index() if keys else out.reset_index(drop=True)


def _last_day(store, margins: pd.DataFrame) -> pd.Timestamp:
    """The last day the data cover: the world's last day for a synthetic store (an online order by a
    West-coast customer late on the last evening is already the next day in the online store's
    time zone), else the last order date."""
    scenario = getattr(store, "scenario", None)
    if scenario is not None and hasattr(scenario, "end_date"):
        return pd.Timestamp(scenario.end_date) - pd.Timedelta(days=1)
    return margins["order_date"].max()


def _complete_span(per: pd.Series, last_day: pd.Timestamp, complete_only: bool) -> pd.PeriodIndex:
    """Periods from the first to the last one in ``per``; with ``complete_only``, only up to the
    last period whose final day is covered by the data (a partial period would look like a fall)."""
    span = pd.period_range(per.min(), per.max(), freq=per.dt.freq)
    if complete_only:
        span = span[span.end_time.normalize() <= last_day.normalize()]
    return span


def gmv_decomposition(store, *, period: str = "M", complete_only: bool = True,
                      margins: pd.DataFrame | None = None) -> pd.DataFrame:
    """GMV per period as sessions x conversion x average order value, with growth attribution.

    ``conversion = orders / sessions`` (orders by order date, sessions by start date) and
    ``aov = gmv / orders``, so ``gmv = sessions * conversion * aov`` exactly.  The growth of GMV
    from one period to the next splits additively in logs: ``dlog_gmv = dlog_sessions +
    dlog_conversion + dlog_aov``.  With ``complete_only`` (default) a trailing period the data do
    not cover to its last day is left out; its orders and sessions are counted in
    ``attrs["rows_left_out"]``."""
    _check_period(period, "gmv_decomposition")
    if period is None:
        raise InputError("gmv_decomposition: needs a period such as 'M'")
    tz = reporting_timezone(store)
    m = order_margins(store) if margins is None else margins
    per = _period(m["order_date"], period)
    last_day = _last_day(store, m)
    span = _complete_span(per, last_day, complete_only)
    orders_out = int((~per.isin(span)).sum())
    session_per = _period(store.sessions["started_at"].dt.tz_convert(tz), period)
    outside = ~session_per.isin(span)
    out = pd.DataFrame(index=pd.Index(span, name="period"))
    out["sessions"] = session_per[~outside].value_counts().reindex(span, fill_value=0)
    out["orders"] = per.value_counts().reindex(span, fill_value=0)
    out["gmv"] = m["gross_amount"].groupby(per.to_numpy()).sum().reindex(span, fill_value=0.0)
    if out.empty:
        raise InputError(f"gmv_decomposition: no complete {period!r} period in the data; pass complete_only=False")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["conversion"] = out["orders"] / out["sessions"]
        out["aov"] = out["gmv"] / out["orders"]
        for col in ("gmv", "sessions", "conversion", "aov"):
            out[f"dlog_{col}"] = np.log(out[col].where(out[col] > 0)).diff()
    out = out.reset_index()
    out.attrs["rows_left_out"] = {"orders in incomplete or later periods": orders_out,
                                  "sessions outside the reported periods": int(outside.sum())}
    return out


def gmv_new_vs_returning(store, *, period: str = "M") -> pd.DataFrame:
    """GMV per period from customers' first orders and from returning customers' orders."""
    _check_period(period, "gmv_new_vs_returning")
    m = order_margins(store)
    out = returning_revenue_share(m, period=period, monetary_col="gross_amount")
    return out.rename(columns={"revenue": "gmv", "new_revenue": "new_gmv", "returning_revenue": "returning_gmv"})


def kpi_table(store, *, period: str = "Q", complete_only: bool = True) -> pd.DataFrame:
    """The growth team's table: one row per period with sessions, new customers, orders, GMV, AOV,
    conversion, acquisition spend, blended CAC and GMV growth on the previous period.

    Blended CAC is acquisition spend (the retention programme excluded) over all new customers,
    paid or not, as growth dashboards usually show it.  Periods are those of
    :func:`gmv_decomposition` (complete ones only by default)."""
    _check_period(period, "kpi_table")
    margins = order_margins(store)
    decomposition = gmv_decomposition(store, period=period, complete_only=complete_only, margins=margins)
    d = decomposition.set_index("period")
    f = funnel(store, period=period, by=None).set_index("period")
    spend = store.marketing_spend[store.marketing_spend["channel"].astype(str) != "retention"]
    money = spend["spend"].groupby(_period(spend["spend_date"], period).to_numpy()).sum()
    first_orders = margins.loc[margins["is_first"], "order_date"]
    new = _period(first_orders, period).value_counts()  # cohorts by the first order's local date
    out = pd.DataFrame({
        "sessions": d["sessions"],
        "new_customers": new.reindex(d.index).fillna(0).astype("int64"),
        "orders": d["orders"],
        "gmv": d["gmv"],
        "aov": d["aov"],
        "conversion": d["conversion"],
        "acquisition_spend": money.reindex(d.index).fillna(0.0),
        "known_session_share": (f["known_sessions"] / f["sessions"]).reindex(d.index),
    })
    out["blended_cac"] = out["acquisition_spend"] / out["new_customers"].where(out["new_customers"] > 0)
    out["gmv_growth"] = out["gmv"].pct_change()
    out.index.name = "period"
    out = out.reset_index()
    out.attrs["rows_left_out"] = decomposition.attrs["rows_left_out"]
    return out


def cac_table(store) -> pd.DataFrame:
    """Spend, new customers and CAC per acquisition channel over all the data."""
    return acquisition_costs(store)
