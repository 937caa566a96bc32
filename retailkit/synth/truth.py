"""Truths a generated store implies but does not store as columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["retention_effect"]


def retention_effect(store) -> pd.DataFrame:
    """The retention programme's effect on each customer of a generated store.

    A customer gets the programme's strength at their acquisition (``Retention.strength`` of the
    local day of their first order in their home store's time zone), and keeps it.  Returns one row
    per customer, indexed by ``customer_id`` in the order of ``store.customers``, with
    ``acquired_day`` (local days since the scenario's start), ``strength`` (0..1),
    ``dropout_multiplier`` and ``rate_multiplier``: the factors the customer's ``true_p`` and
    ``true_lambda`` carry on top of their channel's Beta and Gamma draws.
    """
    sc = store.scenario
    c = store.customers
    zones = store.stores.set_index("store_id")["timezone"].astype(str)
    home = c["store_id"].astype(str).to_numpy()
    start = pd.Timestamp(sc.start_date)
    day = np.full(len(c), np.nan)
    for store_id, zone in zones.items():  # a handful of stores: one vectorised conversion each
        mine = home == store_id
        if mine.any():
            local = c.loc[mine, "acquired_at"].dt.tz_convert(zone).dt.tz_localize(None)
            day[mine] = np.floor((local - start).dt.total_seconds().to_numpy() / 86400)
    ret = sc.retention
    return pd.DataFrame({
        "acquired_day": day.astype(np.int64),
        "strength": ret.strength(day),
        "dropout_multiplier": ret.dropout_multiplier_at(day),
        "rate_multiplier": ret.rate_multiplier_at(day),
    }, index=pd.Index(c["customer_id"].to_numpy(), name="customer_id"))
