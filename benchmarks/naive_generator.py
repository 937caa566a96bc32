"""A row-by-row generator of the same store tables, written the way most tutorials write one.

This is the baseline that ``bench_generate.py`` compares ``retailkit.synth.generate`` against.
It is meant to be an honest, reasonable implementation of the usual recipe, not a straw man:

* one Python loop per customer, with Faker calls per row (``fake.name()``, ``fake.email()``,
  ``fake.city()``, ``fake.date_time_between(...)``);
* scalar ``numpy`` / ``random`` draws for each customer's BG/NBD-like behaviour (purchase rate
  ``lambda ~ Gamma(r, alpha)`` per week, drop-out probability ``p ~ Beta(a, b)`` after each repeat
  purchase) and Gamma-Gamma order values, then a ``while`` loop over that customer's orders and a
  ``for`` loop over each order's lines;
* rows appended to lists of dicts, turned into DataFrames at the end, written to Parquet.

It reads the same :class:`~retailkit.synth.Scenario` (channels, their conversion and behaviour,
catalogue, stores, sales-event discounts, retention effect) and produces the same tables with the
same columns (stores, products, customers, orders, order_lines, returns, sessions,
marketing_spend), with row counts of the same order per customer: anonymous visits are drawn as
the non-converting visits before each customer's first order (``geometric(conversion) - 1``), which
has the same mean per acquired customer as retailkit's channel traffic.  It is simpler where a
tutorial would be (no seasonality thinning, no product launches or aging, no time zones), which
only makes it faster.  Obvious cheap optimisations are taken (precomputed cumulative weights for
``random.choices``; a local ``Random`` and ``numpy.random.Generator``, no global state).

Run it on its own::

    python benchmarks/naive_generator.py --customers 2000 --out /tmp/naive_store
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from faker import Faker

from retailkit.synth import Scenario

__all__ = ["generate_naive", "write_tables"]


def _channel_weights(sc: Scenario) -> list[float]:
    """Share of new customers per channel: conversions of paid + base traffic, plus the traffic
    that orders bring back (referrals, word of mouth) at roughly three orders per customer."""
    direct = sum(c.conversion * (c.paid_sessions_per_day + c.base_sessions) for c in sc.channels)
    orders_per_day = 3.0 * direct
    return [c.conversion * (c.paid_sessions_per_day + c.base_sessions + c.sessions_per_order * orders_per_day)
            for c in sc.channels]


def _event_discounts(sc: Scenario, start: datetime, end: datetime) -> dict:
    """Discount rate by calendar date for the scenario's sales events."""
    out = {}
    for ev in sc.seasonality.events:
        for year in range(start.year, end.year + 1):
            try:
                first = datetime(year, ev.month, ev.day).date()
            except ValueError:
                continue
            for k in range(ev.days):
                day = first + timedelta(days=k)
                out[day] = max(out.get(day, 0.0), ev.discount)
    return out


def generate_naive(scenario: Scenario | str = "traffic_first", *, n_customers: int = 2000,
                   seed: int = 0) -> dict[str, pd.DataFrame]:
    """Generate the store tables row by row; returns ``{table name: DataFrame}``."""
    sc = Scenario.preset(scenario) if isinstance(scenario, str) else scenario
    fake = Faker(sc.locale)
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    rng = np.random.default_rng(seed)
    start = datetime.fromisoformat(sc.start_date).replace(tzinfo=UTC)
    end = start + timedelta(days=sc.horizon_days)
    ret = sc.retention
    cat_list = sc.catalogue.categories
    extra_lines = sc.catalogue.extra_lines_mean
    favourite_share = sc.catalogue.favourite_share
    event_discount = _event_discounts(sc, start, end)

    # --- stores
    company = fake.company()
    stores = []
    for s in sc.stores:
        city = fake.city()
        name = f"{company} Online" if s.format == "online" else f"{company} {city}"
        stores.append({"store_id": s.store_id, "name": name, "city": city, "format": s.format, "timezone": s.timezone})
    online_id = next(s.store_id for s in sc.stores if s.format == "online")
    physical = [s for s in sc.stores if s.format == "physical"]
    physical_cum = list(itertools.accumulate(s.share for s in physical))
    online_share = {s.store_id: s.online_share for s in sc.stores}

    # --- products
    products = []
    popularity = []
    by_category: dict[str, list[int]] = {c.name: [] for c in cat_list}
    for cat in cat_list:
        for _ in range(cat.n_products):
            price = max(round(cat.price_level * math.exp(rnd.gauss(0.0, cat.price_spread))) - 0.01, 0.99)
            margin = min(max(cat.margin * rnd.uniform(0.85, 1.15), 0.02), 0.95)
            by_category[cat.name].append(len(products))
            products.append({
                "sku": f"SKU-{len(products) + 1:05d}",
                "name": f"{fake.last_name()} {cat.item} {fake.bothify('??-###').upper()}",
                "category": cat.name,
                "unit_cost": round(price * (1 - margin), 2),
                "list_price": price,
                "launched_on": fake.date_between(start_date=start.date() - timedelta(days=3 * 365),
                                                 end_date=start.date()),
            })
            popularity.append(rnd.lognormvariate(0.0, 1.0))
    all_cum = list(itertools.accumulate(popularity))
    all_idx = list(range(len(products)))
    cat_cum = {name: list(itertools.accumulate(popularity[i] for i in idx)) for name, idx in by_category.items()}
    cat_names = [c.name for c in cat_list]
    cat_pop_cum = list(itertools.accumulate(c.popularity for c in cat_list))
    return_rate = {c.name: c.return_rate for c in cat_list}

    # --- customers, their orders, lines, returns and sessions
    channels = list(sc.channels)
    ch_cum = list(itertools.accumulate(_channel_weights(sc)))
    customers, orders, lines, returns, sessions = [], [], [], [], []
    order_id = 0
    for customer_id in range(1, n_customers + 1):
        ch = rnd.choices(channels, cum_weights=ch_cum)[0]
        if ch.name == sc.store_channel and physical:
            home = rnd.choices(physical, cum_weights=physical_cum)[0].store_id
        else:
            home = online_id
        acquired_at = fake.date_time_between(start_date=start, end_date=end, tzinfo=UTC)
        # the retention programme as strong as it was when this customer was acquired
        day = (acquired_at - start).days
        lam = rng.gamma(ch.purchase.r, 1.0 / ch.purchase.alpha) * float(ret.rate_multiplier_at(day))  # per week
        p = min(rng.beta(ch.purchase.a, ch.purchase.b) * float(ret.dropout_multiplier_at(day)), 1.0)
        nu = rng.gamma(ch.spend.q, 1.0 / ch.spend.gamma)
        favourite = rnd.choices(cat_names, cum_weights=cat_pop_cum)[0]

        # the visits that did not convert before this customer's first order (anonymous)
        for _ in range(int(rng.geometric(ch.conversion)) - 1):
            sessions.append({
                "started_at": fake.date_time_between(start_date=start, end_date=end, tzinfo=UTC),
                "channel": ch.name, "customer_id": None,
                "pageviews": 1 + int(rng.poisson(max(ch.pageviews - 1, 0))) if ch.name != sc.store_channel else 0,
                "order_id": None,
            })

        t = acquired_at
        first = True
        dropout_at = None
        while True:
            order_id += 1
            store = home if first or home == online_id or rnd.random() >= online_share[home] else online_id
            value = rng.gamma(ch.spend.p, 1.0 / nu)
            rate = max(ch.first_order_discount if first else 0.0, event_discount.get(t.date(), 0.0))
            n_lines = 1 + int(rng.poisson(extra_lines))
            shares = rng.dirichlet(np.ones(n_lines)) if n_lines > 1 else [1.0]
            in_order: dict[int, float] = {}
            for share in shares:
                if rnd.random() < favourite_share:
                    prod = rnd.choices(by_category[favourite], cum_weights=cat_cum[favourite])[0]
                else:
                    prod = rnd.choices(all_idx, cum_weights=all_cum)[0]
                in_order[prod] = in_order.get(prod, 0.0) + value * float(share)
            gross = discount = 0.0
            for prod, line_value in in_order.items():
                product = products[prod]
                qty = max(1, round(line_value / product["list_price"]))
                unit_price = round(max(line_value / qty, 0.01), 2)
                line_gross = round(unit_price * qty, 2)
                line_discount = round(line_gross * rate, 2)
                line_amount = round(line_gross - line_discount, 2)
                lines.append({"order_id": order_id, "sku": product["sku"], "quantity": qty, "unit_price": unit_price,
                              "discount_amount": line_discount, "line_amount": line_amount})
                gross += line_gross
                discount += line_discount
                if rnd.random() < return_rate[product["category"]]:
                    returned_at = t + timedelta(days=1 + rnd.gammavariate(2.0, 4.0))
                    if returned_at < end:
                        q_back = 1 + int(rng.binomial(qty - 1, 0.5))
                        returns.append({"order_id": order_id, "sku": product["sku"], "quantity": q_back,
                                        "refund_amount": round(line_amount * q_back / qty, 2),
                                        "returned_at": returned_at})
            orders.append({"order_id": order_id, "customer_id": customer_id, "store_id": store, "ordered_at": t,
                           "gross_amount": round(gross, 2), "discount_amount": round(discount, 2),
                           "amount": round(gross - discount, 2)})
            # the visit that converted into this order
            if first:
                visit_channel = ch.name
            else:
                visit_channel = sc.store_channel if store != online_id else sc.returning_channel
            visit_start = t - timedelta(minutes=rnd.expovariate(1 / 15))
            if not first:
                visit_start = max(visit_start, acquired_at)
            visit_pv = 0 if visit_channel == sc.store_channel else 2 + int(rng.poisson(2 * ch.pageviews))
            sessions.append({"started_at": visit_start, "channel": visit_channel, "customer_id": customer_id,
                             "pageviews": visit_pv, "order_id": order_id})
            # browsing in the week before an online repeat order
            if not first and store == online_id:
                for _ in range(int(rng.poisson(sc.browse_sessions_per_order))):
                    sessions.append({
                        "started_at": max(fake.date_time_between(start_date=t - timedelta(days=7), end_date=t,
                                                                 tzinfo=UTC), acquired_at),
                        "channel": sc.returning_channel, "customer_id": customer_id,
                        "pageviews": 1 + int(rng.poisson(3.0)), "order_id": None,
                    })
            # BG/NBD: after each repeat purchase the customer drops out with probability p
            if not first and rnd.random() < p:
                dropout_at = t
                break
            first = False
            gap_days = float(rng.exponential(7.0 / lam))
            if gap_days >= (end - t).total_seconds() / 86400:
                break
            t = t + timedelta(days=gap_days)

        customers.append({
            "customer_id": customer_id, "name": fake.name(), "email": fake.email(), "city": fake.city(),
            "acquired_at": acquired_at, "channel": ch.name, "store_id": home,
            "true_lambda": lam, "true_p": p, "true_nu": nu, "true_dropout_at": dropout_at,
        })

    # --- marketing spend, scaled to the customers generated
    direct = sum(c.conversion * (c.paid_sessions_per_day + c.base_sessions) for c in sc.channels)
    scale = n_customers / max(direct * sc.horizon_days, 1e-9)
    spend = []
    for day in range(sc.horizon_days):
        spend_date = (start + timedelta(days=day)).replace(tzinfo=None)
        for c in channels:
            if c.daily_spend > 0:
                spend.append({"spend_date": spend_date, "channel": c.name,
                              "spend": round(c.daily_spend * scale * rnd.uniform(0.9, 1.1), 2)})
        if ret.daily_spend > 0:
            spend.append({"spend_date": spend_date, "channel": "retention", "spend": round(ret.daily_spend * scale, 2)})

    # --- DataFrames
    sessions_df = pd.DataFrame(sessions)
    sessions_df.insert(0, "session_id", range(1, len(sessions_df) + 1))
    sessions_df["customer_id"] = sessions_df["customer_id"].astype("Int64")
    sessions_df["order_id"] = sessions_df["order_id"].astype("Int64")
    customers_df = pd.DataFrame(customers)
    customers_df["true_dropout_at"] = pd.to_datetime(customers_df["true_dropout_at"], utc=True)
    products_df = pd.DataFrame(products)
    products_df["launched_on"] = pd.to_datetime(products_df["launched_on"])
    return {
        "stores": pd.DataFrame(stores),
        "products": products_df,
        "customers": customers_df,
        "orders": pd.DataFrame(orders),
        "order_lines": pd.DataFrame(lines),
        "returns": pd.DataFrame(returns, columns=["order_id", "sku", "quantity", "refund_amount", "returned_at"]),
        "sessions": sessions_df,
        "marketing_spend": pd.DataFrame(spend),
    }


def write_tables(tables: dict[str, pd.DataFrame], path) -> Path:
    """One Parquet file per table (pandas' defaults), as a tutorial would write them."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_parquet(path / f"{name}.parquet", index=False)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="traffic_first")
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="folder for the Parquet files (omit to skip writing)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    tables = generate_naive(args.scenario, n_customers=args.customers, seed=args.seed)
    t1 = time.perf_counter()
    if args.out:
        write_tables(tables, args.out)
    t2 = time.perf_counter()
    counts = ", ".join(f"{k}={len(v):,}" for k, v in tables.items())
    print(f"{counts}\ngenerate {t1 - t0:.2f} s, write {t2 - t1:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
